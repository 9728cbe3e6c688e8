#!/bin/bash
# ext4 write: the ext2 write test's workload on mkfs.ext4 file systems (extents, 64bit, flex_bg,
# metadata_csum; 1 KiB blocks and 128-byte inodes with a clean journal, 4 KiB blocks and 256-byte
# inodes without a journal; the latter on virtio-blk, AHCI, NVMe and IDE), with many/
# hash-indexed by e2fsck -D first. Ferrite runs tree-ops (creates, appends, a 9 MiB copy,
# renames, deletes, 300 files in one directory, hard and symbolic links, truncates), fills the
# disk and the inode tables to ENOSPC, removes the fillers, unmounts, mounts again and describes
# the tree: it must equal the host's description of a copy after the same tree-ops. After
# power-off the host's e2fsck -fn must find nothing (checksums included) and debugfs must read
# back the same contents. ext4/ext4-ops then adds a file of hundreds of extents (a tree of
# depth 1 or 2, split and grown by Ferrite), truncated inside its tree and appended to.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext2
work=$LOGDIR/ext4-write
rm -rf "$work"
mkdir -p "$work"
bash "$here/tree-make" "$work/tree"
cp -a "$work/tree" "$work/expected-tree"
TZ=UTC /bin/busybox sh "$here/tree-ops" "$work/expected-tree"
TZ=UTC /bin/busybox sh "$ROOT/tests/system/block/ext4/ext4-ops" "$work/expected-tree"
/bin/busybox sh "$here/tree-list" "$work/expected-tree" > "$work/expected.txt"
# The ext2 test's /init, mounting ext4, with ext4-ops after tree-ops.
sed -e 's/ext2/ext4/g' -e 's|sh /tree-ops /mnt|sh /tree-ops /mnt \&\& sh /ext4-ops /mnt|' "$here/write.init" > "$work/write.init"
chmod +x "$work/write.init"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$work/write.init:init" "$here/tree-list:tree-list" \
	"$here/tree-ops:tree-ops" "$ROOT/tests/system/block/ext4/ext4-ops:ext4-ops"

# Both variants on virtio-blk; the 4 KiB one also on AHCI, NVMe and IDE, each run on a fresh copy
# of the image made for its variant.
runs=("1k-journal|virtio|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4k-nojournal|virtio|-machine q35 -device virtio-blk-pci,drive=d0|"
	"4k-nojournal|ahci|-machine q35 -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda"
	"4k-nojournal|nvme|-machine q35 -device nvme,serial=e0,drive=d0|blktest.disk=nvme0n1"
	"4k-nojournal|ide|-machine pc -device ide-hd,drive=d0,bus=ide.0|blktest.disk=sda")
for run in "${runs[@]}"; do
	IFS='|' read -r fsvar drv dev opts <<< "$run"
	variant=$fsvar
	[ "$drv" = virtio ] || variant=$drv-$fsvar
	if [ "${built:-}" != "$fsvar" ]; then built=$fsvar
	opts_mkfs=(-b 1024 -I 128)
	[ $fsvar = 4k-nojournal ] && opts_mkfs=(-b 4096 -O ^has_journal)
	rm -f "$work/fs.img"
	mkfs.ext4 -q -F "${opts_mkfs[@]}" -N 2048 -d "$work/tree" "$work/fs.img" 48M > /dev/null
	e2fsck -fyD "$work/fs.img" > /dev/null 2>&1
	if debugfs -R "stat /many" "$work/fs.img" 2> /dev/null | grep -q 'Flags: 0x81000'; then
		pass $fsvar/indexed_dir_made; else fail $fsvar/indexed_dir_made "e2fsck -D did not index many/"; fi
	rm -f "$work/disk.orig"
	truncate -s 50M "$work/disk.orig"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.orig" > /dev/null
	dd if="$work/fs.img" of="$work/disk.orig" bs=1M seek=1 conv=notrunc status=none
	fi
	cp "$work/disk.orig" "$work/disk.img"
	# shellcheck disable=SC2086
	qemu_boot ext4_write_$variant 240 $dev -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -append "console=ttyS0 quiet $opts"
	expect_log $variant/ops "ext4-test: ops done"
	expect_log $variant/enospc "ext4-test: ENOSPC"
	expect_log $variant/fill_removed "ext4-test: fill removed"
	expect_log_re $variant/inodes_enospc "ext4-test: inodes ENOSPC after [0-9]+ files"
	expect_log $variant/inode_filler_removed "ext4-test: inode filler removed"
	expect_log $variant/remounted "ext4-test: unmounted again"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$variant/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $variant/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -6 | tr '\n' '|') (log: $LOG)"
	fi
	# The host's view after power-off.
	dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=48 status=none
	if e2fsck -fn "$work/fs.img" > "$work/fsck-$variant.txt" 2>&1; then
		pass $variant/e2fsck_clean
	else
		fail $variant/e2fsck_clean "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck-$variant.txt" | head -4 | tr '\n' '|') (full: $work/fsck-$variant.txt)"
	fi
	# Ferrite built holes.bin's extent tree: at least one level of tree blocks.
	debugfs -R "ex /holes.bin" "$work/fs.img" > "$work/ex.txt" 2> /dev/null
	depth=$(sed -n '2s|^ *[0-9]*/ *\([0-9]*\) .*|\1|p' "$work/ex.txt")
	extents=$(grep -c "^ *$depth/ *$depth " "$work/ex.txt")
	if [ "${depth:-0}" -ge 1 ] && [ "$extents" -ge 300 ]; then pass "$variant/extent_tree_built (depth $depth, $extents extents)"; else
		fail $variant/extent_tree_built "depth ${depth:-?}, $extents extents"; fi
	rm -rf "$work/dump"
	mkdir "$work/dump"
	debugfs -R "rdump / $work/dump" "$work/fs.img" > /dev/null 2>&1
	rm -rf "$work/dump/lost+found"
	want=$(grep -v '^[DFL]|' "$work/expected.txt"; grep '^L|' "$work/expected.txt")
	seen=$( (cd "$work/dump" && /bin/busybox sh "$here/tree-list" .) | grep -v '^[DF]|')
	seen=$(echo "$seen" | grep -v '^L|'; echo "$seen" | grep '^L|')
	if [ "$want" = "$seen" ]; then pass $variant/host_reads_back; else
		fail $variant/host_reads_back "debugfs sees other contents than expected"; fi
	if log_text | grep -qiE 'panic|exception|checksum mismatch'; then fail $variant/no_panic "the log has a panic or checksum error (log: $LOG)"; else pass $variant/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
