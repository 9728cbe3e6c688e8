#!/bin/bash
# Root on disk: an initramfs /init mounts an ext2 partition made on the host (a busybox tree from
# tools/mkrootfs.sh plus a file only the disk has) and runs busybox switch_root (MS_MOVE onto
# "/", chroot ".") to the disk's /sbin/init, which reads that file, writes one, remounts / ro and
# powers off. The host then reads the written file with debugfs and e2fsck -fn finds no error.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/fs/switch_root
work=$LOGDIR/switch-root
rm -rf "$work"
mkdir -p "$work/tree"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/initramfs.init:init"
sh "$ROOT/tools/mkrootfs.sh" "$work/disk.cpio.gz" "$here/disk.init:sbin/init"
(cd "$work/tree" && gzip -dc "$work/disk.cpio.gz" | cpio -id --quiet)
rm -f "$work/tree/init"
echo "only the disk has this" > "$work/tree/only-on-disk.txt"
mkfs.ext2 -q -F -b 4096 -d "$work/tree" "$work/fs.img" 32M > /dev/null
truncate -s 34M "$work/disk.img"
echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
qemu_boot switch_root 180 -machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-drive file="$work/disk.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
	-append "console=ttyS0 quiet"
expect_log initramfs_init "switch-test: initramfs init"
if log_text | grep -qx "switch-test: init on disk, pid 1"; then pass disk_init_pid1; else
	fail disk_init_pid1 "the disk's init did not run as PID 1 (log: $LOG)"; fi
expect_log reads_disk_file "only the disk has this"
expect_log busybox_on_disk "switch-test: busybox found on disk"
if log_text | grep -q "switch-test: the initramfs is still visible"; then
	fail initramfs_hidden "/newroot is visible after switch_root"; else pass initramfs_hidden; fi
expect_log_re root_in_mounts "^MOUNTS /dev/vda1 / ext2 "
expect_log remount_ro "switch-test: root remounted ro"
expect_log root_ro "switch-test: root is read-only"
dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=32 status=none
if [ "$(debugfs -R 'cat /from-ferrite.txt' "$work/fs.img" 2> /dev/null)" = "written by the disk's init" ]; then
	pass host_reads_file; else fail host_reads_file "debugfs cannot read /from-ferrite.txt (log: $LOG)"; fi
if e2fsck -fn "$work/fs.img" > "$work/fsck.txt" 2>&1; then pass e2fsck_clean; else
	fail e2fsck_clean "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck.txt" | head -4 | tr '\n' '|')"; fi
if log_text | grep -qiE 'panic|exception'; then fail no_panic "the log has a panic (log: $LOG)"; else pass no_panic; fi
[ -n "${KEEP:-}" ] || rm -rf "$work"
