#!/bin/bash
# busybox's shell on the virtual terminal (screen + PS/2 keyboard), typed at through QMP
# send-key; results come back through /dev/ttyS0 (vt_keyboard.py).
source "$(dirname "$0")/../lib.sh"
make -s -C "$ROOT" "$BUILD/rootfs.cpio.gz" > /dev/null || { fail boot "cannot build the busybox initramfs"; exit 0; }
python3 "$ROOT/tests/system/tty/vt_keyboard.py" "$KERNEL" "$BUILD/rootfs.cpio.gz" "$LOGDIR" || true
