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
# virtio-blk with both block sizes; AHCI, NVMe and IDE (the same image, same checks) with 4 KiB.
runs=("1024|virtio|vda1|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4096|virtio|vda1|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4096|ahci|sda1|-machine q35 -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda"
	"4096|nvme|nvme0n1p1|-machine q35 -device nvme,serial=e0,drive=d0|blktest.disk=nvme0n1"
	"4096|ide|sda1|-machine pc -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda")
for run in "${runs[@]}"; do
	IFS='|' read -r bs drv part dev opts <<< "$run"
	tag=$bs
	[ "$drv" = virtio ] || tag=$drv-$bs
	if [ "${built:-}" != "$bs" ]; then built=$bs
	mkfs.ext2 -q -F -b $bs -I $((bs == 1024 ? 128 : 256)) -d "$work/tree" "$work/fs.img" 48M > /dev/null
	rm -f "$work/disk.img"
	truncate -s 50M "$work/disk.img"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	fi
	# shellcheck disable=SC2086
	qemu_boot ext2_read_$tag 180 $dev -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -append "console=ttyS0 quiet $opts"
	expect_log $tag/mounted "ext2-test: mounted"
	expect_log $tag/unmounted "ext2-test: unmounted"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$tag/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $tag/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -5 | tr '\n' '|') (log: $LOG)"
	fi
	if log_text | grep -qE "^MOUNTS /dev/$part /mnt ext2 "; then pass $tag/proc_mounts; else fail $tag/proc_mounts "no ext2 line for /dev/$part in /proc/mounts"; fi
	if log_text | grep -qE "^DF /dev/$part +4[0-9]{4} +[0-9]+ +[0-9]+ "; then pass $tag/statfs; else fail $tag/statfs "df shows no ~48 MiB file system"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $tag/no_panic "the log has a panic (log: $LOG)"; else pass $tag/no_panic; fi
done
rm -rf "$work"
