#!/bin/bash
# ext2 read: a tree made on the host (tests/system/block/ext2/tree-make: nested directories,
# 1200 files in one directory, a 9 MiB file, a sparse file, fast and slow symlinks, hard links,
# a 255-byte and a non-ASCII name) goes into a partition with mkfs.ext2 -d. Ferrite boots
# busybox, mounts /dev/vda1 with mount -t ext2, and describes the tree (names, modes, link
# counts, sizes, mtimes, SHA-256s, symlink targets) with the same busybox script the host runs
# on the original tree: the two descriptions must be equal.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext2
work=$LOGDIR/ext2-read
rm -rf "$work"
mkdir -p "$work"
bash "$here/tree-make" "$work/tree"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/read.init:init" "$here/tree-list:tree-list"
/bin/busybox sh "$here/tree-list" "$work/tree" > "$work/expected.txt"

# 1 KiB blocks (double-indirect blocks for the big file) and 4 KiB blocks, 256-byte inodes.
for bs in 1024 4096; do
	mkfs.ext2 -q -F -b $bs -I $((bs == 1024 ? 128 : 256)) -d "$work/tree" "$work/fs.img" 48M > /dev/null
	rm -f "$work/disk.img"
	truncate -s 50M "$work/disk.img"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	qemu_boot ext2_read_$bs 180 -machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
		-append "console=ttyS0 quiet"
	expect_log $bs/mounted "ext2-test: mounted"
	expect_log $bs/unmounted "ext2-test: unmounted"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$bs/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $bs/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -5 | tr '\n' '|') (log: $LOG)"
	fi
	if log_text | grep -qE '^MOUNTS /dev/vda1 /mnt ext2 '; then pass $bs/proc_mounts; else fail $bs/proc_mounts "no ext2 line for /dev/vda1 in /proc/mounts"; fi
	if log_text | grep -qE '^DF /dev/vda1 +4[0-9]{4} +[0-9]+ +[0-9]+ '; then pass $bs/statfs; else fail $bs/statfs "df shows no ~48 MiB file system"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $bs/no_panic "the log has a panic (log: $LOG)"; else pass $bs/no_panic; fi
done
rm -rf "$work"
