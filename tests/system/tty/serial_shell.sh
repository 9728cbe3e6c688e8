#!/bin/bash
# busybox's interactive shell on the serial console, driven from outside through a QEMU socket
# chardev (serial_shell.py): prompt, commands, line editing, history, ^C, ^Z/jobs/fg, background
# jobs, SIGTTIN, ^D, stty, /dev/tty, poweroff -f and reboot -f.
source "$(dirname "$0")/../lib.sh"
make -s -C "$ROOT" "$BUILD/rootfs.cpio.gz" > /dev/null || { fail boot "cannot build the busybox initramfs"; exit 0; }
python3 "$ROOT/tests/system/tty/serial_shell.py" "$KERNEL" "$BUILD/rootfs.cpio.gz" "$LOGDIR" ||
	true
