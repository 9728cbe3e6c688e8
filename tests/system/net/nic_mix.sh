#!/bin/bash
# One machine with all three NIC models (q35: e1000, e1000e and virtio-net on the root bus):
# each driver binds its card, the three get distinct names eth0-eth2 with the MACs QEMU gave
# them and report their links, and MSI/MSI-X vectors do not collide.
source "$(dirname "$0")/../lib.sh"

qemu_boot nic_mix 60 -machine q35 -m 256M -nic none \
	-netdev user,id=n0,restrict=on -netdev user,id=n1,restrict=on -netdev user,id=n2,restrict=on \
	-device e1000,netdev=n0,mac=52:54:00:00:0a:01 -device e1000e,netdev=n1,mac=52:54:00:00:0a:02 \
	-device virtio-net-pci,netdev=n2,mac=52:54:00:00:0a:03 \
	-kernel "$KERNEL" -append "ktest=net_loopback,nic_irq console=ttyS0"
expect_exit exit_status 33
expect_log_re e1000 '^\[ *[0-9.]+\] e1000: 0000:00:0[0-9a-f]\.0: eth[0-2], (INTx|MSI), link up'
expect_log_re irq_e1000 "^\[ *[0-9.]+\] e1000: eth[0-2]: test interrupt by INTx delivered"
expect_log_re irq_e1000e "^\[ *[0-9.]+\] e1000e: eth[0-2]: test interrupt by MSI delivered"
expect_log_re e1000e '^\[ *[0-9.]+\] e1000e: 0000:00:0[0-9a-f]\.0: eth[0-2], MSI, link up'
expect_log_re virtio_net '^\[ *[0-9.]+\] virtio-net: 0000:00:0[0-9a-f]\.0: eth[0-2] \[1af4:1000\], MSI-X, '
names=$(log_text | sed -n 's/^net: \(eth[0-9]\): registered, MAC \(52:54:00:00:0a:0[1-3]\), .*/\1 \2/p' | sort)
if [ "$(awk '{print $1}' <<< "$names" | tr '\n' ' ')" = "eth0 eth1 eth2 " ] &&
	[ "$(awk '{print $2}' <<< "$names" | sort -u | wc -l)" -eq 3 ]; then
	pass distinct_names
else
	fail distinct_names "expected eth0-eth2 for the three MACs, got: $(tr '\n' ';' <<< "$names") (log: $LOG)"
fi
if [ "$(log_text | grep -cE '^net: eth[0-2]: link up$')" -eq 3 ]; then pass links_up; else
	fail links_up "not three 'link up' lines (log: $LOG)"; fi
ktest_results ktest
# Both Intel cards answer EERD (82540EM: done bit 4; 82574L: done bit 1, address in 15:2), so the
# MACs above came from their EEPROMs, not the receive-address fallback.
if log_text | grep -q "no EEPROM answer"; then fail mac_from_eeprom "a card fell back to RAL/RAH (log: $LOG)"; else
	pass mac_from_eeprom; fi
