#!/bin/bash
# /proc/net as Linux tools read it: Debian's busybox route -n (which parses /proc/net/route
# with its own scanf) must print the routes ip= made; /proc/net/dev lists lo and eth0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

rootfs=$LOGDIR/$NIC_RUN.cpio.gz
sh "$ROOT/tools/mkrootfs.sh" "$rootfs" "$ROOT/tests/system/net/busybox_init.rc:/nettest"
qemu_boot "$NIC_RUN" 120 -machine pc -m 256M -nic none \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0" -netdev user,id=n0,restrict=on \
	-kernel "$KERNEL" -initrd "$rootfs" \
	-append "console=ttyS0 rdinit=/nettest ip=10.0.2.15::10.0.2.2:255.255.255.0"
rm -f "$rootfs"
if [ "$QEMU_RC" -eq 0 ] && grep -qF "nettest: end" "$LOG"; then pass powered_off; else
	fail powered_off "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
routes=$(log_text | sed -n '/^nettest: route$/,/^nettest: route-end$/p')
if grep -qE '^0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG +0 +0 +0 +eth0$' <<< "$routes"; then
	pass route_default; else fail route_default "route -n lacks the default route (log: $LOG)"; fi
if grep -qE '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' <<< "$routes"; then
	pass route_connected; else fail route_connected "route -n lacks 10.0.2.0/24 (log: $LOG)"; fi
expect_log_re dev_lo '^ *lo: +[0-9]+ +[0-9]+ +0 +0 +0 +0 +0 +0 +[0-9]+ +[0-9]+ +0 +0 +0 +0 +0 +0'
expect_log_re dev_eth0 '^ *eth0: +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+'
