#!/bin/bash
# ext2 write: the tree of ext2_read on a 1 KiB-block and a 4 KiB-block file system (virtio-blk;
# the 4 KiB one also on AHCI, NVMe and IDE); Ferrite
# runs tree-ops on it (create, append, a 9 MiB copy, renames of files and directories, replacing
# rename, delete, rmdir, mkdir -p, 300 files in one directory then a third of them removed,
# hard and symbolic links, truncate down and up, chmod, utimensat), fills the disk to ENOSPC and
# the inode tables to ENOSPC, removes the fillers, unmounts, mounts again and describes the tree. It must equal the host's
# description of a copy of the tree after the same tree-ops; after power-off the host's
# e2fsck -fn must find no error and debugfs must read back the same file contents.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext2
work=$LOGDIR/ext2-write
rm -rf "$work"
mkdir -p "$work"
bash "$here/tree-make" "$work/tree"
cp -a "$work/tree" "$work/expected-tree"
TZ=UTC /bin/busybox sh "$here/tree-ops" "$work/expected-tree"
/bin/busybox sh "$here/tree-list" "$work/expected-tree" > "$work/expected.txt"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/write.init:init" "$here/tree-list:tree-list" \
	"$here/tree-ops:tree-ops"

# virtio-blk with both block sizes; AHCI, NVMe and IDE (the same image, same checks) with 4 KiB.
# Each run writes to a fresh copy of the image made for its block size.
runs=("1024|virtio|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4096|virtio|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4096|ahci|-machine q35 -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda"
	"4096|nvme|-machine q35 -device nvme,serial=e0,drive=d0|blktest.disk=nvme0n1"
	"4096|ide|-machine pc -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda")
for run in "${runs[@]}"; do
	IFS='|' read -r bs drv dev opts <<< "$run"
	tag=$bs
	[ "$drv" = virtio ] || tag=$drv-$bs
	if [ "${built:-}" != "$bs" ]; then built=$bs
	rm -f "$work/fs.img"
	mkfs.ext2 -q -F -b $bs -I $((bs == 1024 ? 128 : 256)) -N 2048 -d "$work/tree" "$work/fs.img" 48M > /dev/null
	# e2fsck -D hash-indexes the large directories (many/): Ferrite changes them linearly and
	# must clear their index flag.
	e2fsck -fyD "$work/fs.img" > /dev/null 2>&1
	if debugfs -R "stat /many" "$work/fs.img" 2> /dev/null | grep -q 'Flags: 0x1000'; then
		pass $bs/indexed_dir_made; else fail $bs/indexed_dir_made "e2fsck -D did not index many/"; fi
	rm -f "$work/disk.orig"
	truncate -s 50M "$work/disk.orig"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.orig" > /dev/null
	dd if="$work/fs.img" of="$work/disk.orig" bs=1M seek=1 conv=notrunc status=none
	fi
	cp "$work/disk.orig" "$work/disk.img"
	# shellcheck disable=SC2086
	qemu_boot ext2_write_$tag 240 $dev -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -append "console=ttyS0 quiet $opts"
	expect_log $tag/ops "ext2-test: ops done"
	expect_log $tag/fifo "ext2-test: fifo read 'through the disk fifo'"
	expect_log $tag/enospc "ext2-test: ENOSPC"
	expect_log $tag/fill_removed "ext2-test: fill removed"
	expect_log_re $tag/inodes_enospc "ext2-test: inodes ENOSPC after [0-9]+ files"
	expect_log $tag/inode_filler_removed "ext2-test: inode filler removed"
	expect_log $tag/remounted "ext2-test: unmounted again"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$tag/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $tag/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -6 | tr '\n' '|') (log: $LOG)"
	fi
	# The host's view after power-off.
	dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=48 status=none
	if e2fsck -fn "$work/fs.img" > "$work/fsck-$tag.txt" 2>&1; then
		pass $tag/e2fsck_clean
	else
		fail $tag/e2fsck_clean "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck-$tag.txt" | head -4 | tr '\n' '|') (full: $work/fsck-$tag.txt)"
	fi
	rm -rf "$work/dump"
	mkdir "$work/dump"
	debugfs -R "rdump / $work/dump" "$work/fs.img" > /dev/null 2>&1
	rm -rf "$work/dump/lost+found"
	want=$(grep -v '^[DFL]|' "$work/expected.txt"; grep '^L|' "$work/expected.txt")
	seen=$( (cd "$work/dump" && /bin/busybox sh "$here/tree-list" .) | grep -v '^[DF]|')
	seen=$(echo "$seen" | grep -v '^L|'; echo "$seen" | grep '^L|')
	if [ "$want" = "$seen" ]; then pass $tag/host_reads_back; else
		fail $tag/host_reads_back "debugfs sees other contents than expected"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $tag/no_panic "the log has a panic (log: $LOG)"; else pass $tag/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
