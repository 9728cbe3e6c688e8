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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tftp"
head -c 30000 /dev/urandom > "$work/tftp/ferrite-tftp.bin"
sum=$(md5sum < "$work/tftp/ferrite-tftp.bin" | cut -d' ' -f1)
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/udhcpc.rc:/dhtest" \
	"$ROOT/tests/system/net/udhcpc.script:/udhcpc.script"
base=$TEST_NAME
run_nic() {
	local nic=$1
	TEST_NAME=$base/$nic
	qemu_boot "udhcpc-$nic" 150 -machine pc -m 256M -nic "user,model=$nic,restrict=on,tftp=$work/tftp" \
		-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" -append "console=ttyS0 rdinit=/dhtest"
	if [ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "dhtest: end"; then pass powered_off; else
		fail powered_off "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
	section() { log_text | sed -n "/^dhtest: $1\$/,/^dhtest: $1-end\$/p"; }
	check_re() { # NAME SECTION REGEX WHY
		if section "$2" | grep -qE -- "$3"; then pass "$1"; else fail "$1" "$4 (log: $LOG)"; fi
	}
	if log_text | grep -qxF "dhtest: udhcpc 0"; then pass lease; else
		fail lease "udhcpc -n -q did not end with a lease (log: $LOG)"; fi
	check_re address ifconfig 'inet addr:10\.0\.2\.15 +Bcast:10\.0\.2\.255 +Mask:255\.255\.255\.0' "eth0 lacks 10.0.2.15/24"
	check_re connected_route route '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' "no route to 10.0.2.0/24"
	if section route | grep -qE '^0\.0\.0\.0 ' || section resolv | grep -q nameserver; then
		fail restricted_lease "a default route or a nameserver appeared though QEMU (restrict=on) offers none (log: $LOG)"
	else pass restricted_lease; fi
	if log_text | grep -qxF "dhtest: ping 0" && log_text | grep -qE '^3 packets transmitted, 3 packets received'; then
		pass ping_gateway; else fail ping_gateway "ping 10.0.2.2 did not get 3 of 3 answers (log: $LOG)"; fi
	if log_text | grep -qxF "dhtest: tftp $sum  /tmp/t.bin"; then pass tftp_md5; else
		fail tftp_md5 "the TFTP fetch failed or brought other bytes (log: $LOG)"; fi
	events=$(section events | grep -E '^(deconfig|bound|renew) ' | cut -d' ' -f1,2 | tr '\n' ' ')
	if [ "$events" = "deconfig ip= bound ip=10.0.2.15 renew ip=10.0.2.15 deconfig ip= " ]; then
		pass renew_release; else
		fail renew_release "background udhcpc events were '$events', not deconfig, bound, renew (SIGUSR1), deconfig (SIGUSR2) (log: $LOG)"; fi
	if section after-release | grep -q 'inet addr:'; then
		fail released_address "eth0 kept its address after the release (log: $LOG)"; else pass released_address; fi
}
for nic in e1000 virtio-net-pci; do run_nic "$nic"; done
