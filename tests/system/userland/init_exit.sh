#!/bin/bash
# PID 1 ending is fatal, as on Linux: a busybox /init that exits with status 7 leaves the kernel
# panicking with that status (the wait status 0x700); panic=-1 restarts at once, which ends QEMU
# (-no-reboot) with status 0 instead of a halt. rdinit= naming a missing file falls back to
# /sbin/init, as Linux does, and panic=1 restarts after a second.
source "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\necho "init-exit: leaving with 7"\nexit 7\n' > "$work/exit7"
chmod +x "$work/exit7"
printf '#!/bin/sh\necho "init-exit: fallback init ran"\nexit 3\n' > "$work/fallback"
chmod +x "$work/fallback"
if ! sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$work/exit7:/exit7" "$work/fallback:/sbin/init"; then
	fail setup "mkrootfs failed"
	exit 0
fi

qemu_boot init_exit 90 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 rdinit=/exit7 panic=-1"
expect_log ran "init-exit: leaving with 7"
expect_log panic_status "init (PID 1) exited with status 0x700"
expect_log restarted "reboot: restarting system"
expect_exit panicked 0

qemu_boot init_exit_fallback 90 -machine q35 -m 256M -nic none -kernel "$KERNEL" \
	-initrd "$work/initrd.cpio.gz" -append "console=ttyS0 rdinit=/missing panic=1"
expect_log fallback_ran "init-exit: fallback init ran"
expect_log fallback_status "init (PID 1) exited with status 0x300"
expect_log fallback_waited "Rebooting in 1 seconds.."
expect_exit fallback_panicked 0
