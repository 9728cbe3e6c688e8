#!/bin/bash
# DHCP through Debian's unmodified busybox udhcpc (AF_PACKET sockets with udhcpc's classic BPF
# filter, then UDP sockets bound to the device for renew/release), with no ip= for the kernel:
# the lease from QEMU's user network must give eth0 10.0.2.15/24, and that configuration must
# carry real traffic (ping the gateway, a TFTP fetch with its md5 checked). A background
# udhcpc must then renew on SIGUSR1 and release on SIGUSR2 (deconfig, address gone).
# QEMU with restrict=on offers neither router nor DNS server (slirp leaves both options out),
# so the lease must carry none and no default route may appear; udhcpc_tap.sh checks the
# router and DNS options against a real DHCP server. Once with e1000, once with virtio-net.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/udhcpc.bash"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tftp"
head -c 30000 /dev/urandom > "$work/tftp/ferrite-tftp.bin"
sum=$(md5sum < "$work/tftp/ferrite-tftp.bin" | cut -d' ' -f1)
dh_rootfs "$work/rootfs.cpio.gz"
base=$TEST_NAME
run_nic() {
	local nic=$1
	TEST_NAME=$base/$nic
	qemu_boot "udhcpc-$nic" 150 -machine pc -m 256M -nic "user,model=$nic,restrict=on,tftp=$work/tftp" \
		-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" -append "console=ttyS0 rdinit=/dhtest"
	dh_check_common 10.0.2.15 10.0.2
	dh_check_re connected_route route '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' \
		"no route to 10.0.2.0/24"
	if dh_section route | grep -qE '^0\.0\.0\.0 ' || dh_section resolv | grep -q nameserver; then
		fail restricted_lease "a default route or a nameserver appeared though QEMU (restrict=on) offers none (log: $LOG)"
	else pass restricted_lease; fi
	if log_text | grep -qxF "dhtest: ping 0" && log_text | grep -qE '^3 packets transmitted, 3 packets received'; then
		pass ping_gateway; else fail ping_gateway "ping 10.0.2.2 did not get 3 of 3 answers (log: $LOG)"; fi
	if log_text | grep -qxF "dhtest: tftp $sum  /tmp/t.bin"; then pass tftp_md5; else
		fail tftp_md5 "the TFTP fetch failed or brought other bytes (log: $LOG)"; fi
}
for nic in e1000 virtio-net-pci; do run_nic "$nic"; done
