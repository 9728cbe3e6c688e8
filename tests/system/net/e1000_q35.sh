#!/bin/bash
# The e1000 as an added device on q35 (PCIe machine, ECAM configuration, INTx through the ICH9
# PIRQ routing), configured by ip=, pinging QEMU's gateway, changing its MAC (the gateway must
# learn it from the gratuitous ARP), an unanswered ARP on a dummy device ending a ping with host
# unreachable; with the loopback and hostile-frame ktests on the same boot.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

cmdline="ktest=net_loopback,net_malformed_frames,net_ping_gateway,net_set_mac,net_arp_unanswered console=ttyS0 ip=10.0.2.15::10.0.2.2:255.255.255.0:ferrite:eth0:off"
qemu_boot "$NIC_RUN" 120 -machine q35 -m 256M -smp 2 -nic none \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0,mac=52:54:00:aa:bb:cc" -netdev user,id=n0,restrict=on \
	-kernel "$KERNEL" -append "$cmdline"
expect_exit exit_status 33
expect_log_re probe "$(nic_probe_re '0000:00:0[0-9a-f]\.0')"
expect_log mac_from_eeprom "net: eth0: registered, MAC 52:54:00:aa:bb:cc, MTU 1500"
expect_log address "net: eth0: address 10.0.2.15/24"
ktest_results ktest
