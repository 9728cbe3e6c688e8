#!/bin/bash
# Hot-unplug of a mounted disk: an ext2 virtio-blk disk behind a PCIe root port is mounted and
# read in a loop; QMP device_del pulls it. Reads and writes must then fail with EIO, /dev/vda
# must go, umount must work and the kernel must not crash (the mount keeps the block device's
# structures alive until umount releases them).
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext2
tmp=$(mktemp -d /tmp/ferrite-unplug.XXXXXX)
qemu=
cleanup() {
	[ -n "$qemu" ] && kill "$qemu" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/t"
head -c 200000 /dev/urandom > "$tmp/t/f"
mkfs.ext2 -q -F -b 1024 -d "$tmp/t" "$tmp/fs.img" 8M > /dev/null
sh "$ROOT/tools/mkrootfs.sh" "$tmp/initrd.cpio.gz" "$here/unplug.init:init"
LOG=$LOGDIR/ext2_unplug.log
rm -f "$LOG"
timeout --kill-after=5 180 qemu-system-x86_64 -accel tcg -display none -monitor none \
	-serial "file:$LOG" -no-reboot -machine q35 -m 256M -nic none \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 \
	-drive "file=$tmp/fs.img,if=none,id=d0,format=raw" -device virtio-blk-pci,bus=rp1,drive=d0,id=disk0 \
	-kernel "$KERNEL" -initrd "$tmp/initrd.cpio.gz" -append "console=ttyS0" \
	-qmp "unix:$tmp/qmp.sock,server=on,wait=off" > "$LOGDIR/ext2_unplug.qemu.txt" 2>&1 &
qemu=$!
python3 - "$ROOT" "$tmp/qmp.sock" "$LOG" "$qemu" <<'PY'
import os, sys, time
root, sock, log, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, os.path.join(root, "tests/system"))
from qmp import QMP, log_text, wait_log
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
if wait_log(log, lambda t: "unplug-test: ready" in t, 120, alive) is None:
    print("no ready line", file=sys.stderr)
    sys.exit(0)
q = QMP(sock)
t0 = time.monotonic()
q.command("device_del", id="disk0")
if q.wait_event("DEVICE_DELETED", 10.0, since=t0, device="disk0") is None:
    print("no DEVICE_DELETED", file=sys.stderr)
wait_log(log, lambda t: "unplug-test: end" in t, 60, alive)
PY
wait "$qemu" 2>/dev/null
qemu=
expect_log ready "unplug-test: ready"
expect_log driver_removed "virtio-blk: removed vda"
expect_log read_eio "unplug-test: read after unplug: cat: read error: Input/output error"
expect_log write_eio "can't create /mnt/g: Input/output error"
expect_log node_gone "unplug-test: /dev/vda gone"
expect_log umount "unplug-test: umount ok"
expect_log unmounted "unplug-test: not mounted"
if log_text | grep -qiE 'panic|exception'; then fail no_panic "the log has a panic (log: $LOG)"; else pass no_panic; fi
