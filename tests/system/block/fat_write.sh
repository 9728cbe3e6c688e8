#!/bin/bash
# FAT write: the tree of fat_read (copied in with mtools) on FAT32 (512-byte clusters), FAT16
# and FAT12 (virtio-blk; FAT32 also on AHCI, FAT16 on NVMe); Ferrite runs tree-ops on it
# (tests/system/block/fat/tree-ops), fills the disk to ENOSPC, removes the filler, unmounts, mounts again and describes the tree: it must equal the
# host's description of a copy of the tree after the same tree-ops. After power-off the host's
# fsck.fat -n must find no error (the dirty bit, set while mounted, cleared again), and mtools must read back the same names and contents.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/fat
list=$ROOT/tests/system/block/ext2/tree-list
work=$LOGDIR/fat-write
rm -rf "$work"
mkdir -p "$work"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/write.init:init" "$list:tree-list" "$here/tree-ops:tree-ops"

# type, file-system MiB, mkfs.fat options, files in many/, big file MiB, disk driver (virtio-blk
# unless named)
for spec in "32 64 -s1 500 8" "16 32 -s4 500 8" "12 8 -s4 200 0" "32 64 -s1 500 8 ahci" "16 32 -s4 500 8 nvme"; do
	set -- $spec
	bits=$1 mib=$2 opt=$3 nfiles=$4 big=$5 drv=${6:-virtio}
	case $drv in
	virtio) dev="-machine q35 -device virtio-blk-pci,drive=d0" disk=vda tag=fat$bits ;;
	ahci) dev="-machine q35 -device ide-hd,drive=d0,bus=ide.0" disk=sda tag=ahci-fat$bits ;;
	nvme) dev="-machine q35 -device nvme,serial=e0,drive=d0" disk=nvme0n1 tag=nvme-fat$bits ;;
	esac
	rm -rf "$work/tree" "$work/expected-tree"
	bash "$here/tree-make" "$work/tree" "$nfiles" "$big"
	cp -a "$work/tree" "$work/expected-tree"
	TZ=UTC /bin/busybox sh "$here/tree-ops" "$work/expected-tree"
	/bin/busybox sh "$list" "$work/expected-tree" > "$work/expected.txt"
	rm -f "$work/fs.img" "$work/disk.img"
	mkfs.fat -F "$bits" $opt -C "$work/fs.img" $((mib * 1024)) > /dev/null
	(cd "$work/tree" && TZ=UTC mcopy -s -m -Q -i "$work/fs.img" ./* ::/)
	truncate -s $((mib + 2))M "$work/disk.img"
	echo 'start=2048, type=c' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	# shellcheck disable=SC2086
	qemu_boot fat_write_$tag 240 $dev -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -append "console=ttyS0 quiet blktest.disk=$disk"
	expect_log $tag/ops "fat-test: ops done"
	dirty=$(log_text | sed -n 's/^DIRTY *\([0-9a-f]*\) *\([0-9a-f]*\).*/\1 \2/p' | head -1)
	[ "$bits" = 32 ] && dirty=${dirty#* } || dirty=${dirty% *}
	if [ -n "$dirty" ] && [ $((0x$dirty & 1)) = 1 ]; then pass $tag/dirty_while_mounted; else
		fail $tag/dirty_while_mounted "the boot sector's dirty bit reads '$dirty' while mounted"; fi
	expect_log_re $tag/crowded_dir "fat-test: crowd of 2000 files removed after [0-9]+ s"
	for e in 'invalid_char Invalid argument' 'hard_link Operation not permitted' 'symlink Operation not permitted' \
		'mkdir_exists File exists' 'rmdir_full Directory not empty' 'fifo Operation not permitted' \
		'too_long File name too long'; do
		expect_log "$tag/errno_${e%% *}" "ERR $e"
	done
	expect_log $tag/open_unlinked "REUSE old contents / new contents"
	expect_log $tag/trailing_dots "TRAIL trailing dotted"
	expect_log $tag/enospc "fat-test: ENOSPC"
	expect_log $tag/fill_removed "fat-test: fill removed"
	expect_log $tag/remounted "fat-test: unmounted again"
	if log_text | grep -q "append after ENOSPC succeeded"; then fail $tag/append_enospc "an append to a full disk succeeded"; else pass $tag/append_enospc; fi
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$tag/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $tag/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -6 | tr '\n' '|') (log: $LOG)"
	fi
	# The host's view after power-off.
	dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=$mib status=none
	if fsck.fat -n "$work/fs.img" > "$work/fsck-$tag.txt" 2>&1; then
		pass $tag/fsck_clean
	else
		fail $tag/fsck_clean "$(grep -v '^fsck.fat\|^Checking\|^Starting\|^/' "$work/fsck-$tag.txt" | head -4 | tr '\n' '|') (full: $work/fsck-$tag.txt)"
	fi
	rm -rf "$work/dump"
	mkdir "$work/dump"
	(cd "$work/dump" && TZ=UTC mcopy -s -m -n -i "$work/fs.img" '::/*' . 2> "$work/mcopy.err")
	want=$(grep -v '^[DFL]|' "$work/expected.txt"; sed -n 's/^D|\([^|]*\)|.*/\1/p' "$work/expected.txt" | LC_ALL=C sort)
	seen=$( (cd "$work/dump" && /bin/busybox sh "$list" . | grep -v '^[DFL]|'; find . -mindepth 1 -type d | LC_ALL=C sort))
	if [ "$want" = "$seen" ]; then pass $tag/host_reads_back; else
		fail $tag/host_reads_back "mtools sees other names or contents than expected: $(diff <(echo "$want") <(echo "$seen") | head -4 | tr '\n' '|')"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $tag/no_panic "the log has a panic (log: $LOG)"; else pass $tag/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
