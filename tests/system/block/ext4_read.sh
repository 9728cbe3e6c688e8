#!/bin/bash
# ext4 read: tests/system/block/ext4/tree-make's tree (the ext2 tests' tree plus 10 000 files in
# one directory and a 64 MiB file) goes into a partition with mkfs.ext4 -d and its default
# features (extents, 64bit, flex_bg, huge_file, dir_nlink, extra_isize, metadata_csum, a clean
# journal) and mkfs's choice of 1 KiB blocks for a small disk; the ext2 tests' tree alone goes
# into one with 4 KiB blocks and no journal. Ferrite mounts each with mount -t ext4 and
# describes the tree with the busybox script the host runs on the original; the two must be
# equal (the 10 000 files via a digest, to keep the serial log short).
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext4
work=$LOGDIR/ext4-read
rm -rf "$work"
mkdir -p "$work"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/read.init:init" "$ROOT/tests/system/block/ext2/tree-list:tree-list"

for variant in default 4k-nojournal; do
	opts=()
	rm -rf "$work/tree"
	if [ $variant = 4k-nojournal ]; then
		opts=(-b 4096 -O ^has_journal)
		bash "$ROOT/tests/system/block/ext2/tree-make" "$work/tree"
	else
		bash "$here/tree-make" "$work/tree"
	fi
	/bin/busybox sh "$ROOT/tests/system/block/ext2/tree-list" "$work/tree" > "$work/expected-all.txt"
	grep -v '\./tenk/' "$work/expected-all.txt" > "$work/expected.txt"
	digest="$(sha256sum < "$work/expected-all.txt" | cut -d' ' -f1) $(wc -l < "$work/expected-all.txt")"
	rm -f "$work/fs.img"
	mkfs.ext4 -q -F "${opts[@]}" -d "$work/tree" "$work/fs.img" 160M > /dev/null
	feats=$(dumpe2fs -h "$work/fs.img" 2> /dev/null | sed -n 's/^Filesystem features: *//p')
	missing=
	for f in extent 64bit flex_bg huge_file dir_nlink extra_isize metadata_csum dir_index; do
		case " $feats " in *" $f "*) ;; *) missing="$missing $f" ;; esac
	done
	if [ -z "$missing" ]; then pass "$variant/image_has_ext4_features"; else
		fail "$variant/image_has_ext4_features" "missing:$missing"; fi
	rm -f "$work/disk.img"
	truncate -s 162M "$work/disk.img"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	rm -f "$work/fs.img"
	qemu_boot ext4_read_$variant 180 -machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
		-append "console=ttyS0 quiet"
	expect_log $variant/mounted "ext4-test: mounted"
	expect_log $variant/unmounted "ext4-test: unmounted"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$variant/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $variant/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -5 | tr '\n' '|') (log: $LOG)"
	fi
	if log_text | grep -qF "DIGEST $digest"; then pass "$variant/all_files_digest"; else
		fail "$variant/all_files_digest" "want $digest, got $(log_text | grep '^DIGEST' | head -1)"; fi
	if log_text | grep -qE '^MOUNTS /dev/vda1 /mnt ext4 '; then pass $variant/proc_mounts; else fail $variant/proc_mounts "no ext4 line for /dev/vda1 in /proc/mounts"; fi
	if log_text | grep -qE '^DF /dev/vda1 +1[0-9]{5} +[0-9]+ +[0-9]+ '; then pass $variant/statfs; else fail $variant/statfs "df shows no ~160 MiB file system"; fi
	log_text | grep '^PERF' | sed "s/^/# $variant: /"
	if log_text | grep -qiE 'panic|exception|checksum mismatch'; then fail $variant/no_panic "the log has a panic or checksum error (log: $LOG)"; else pass $variant/no_panic; fi
done
rm -rf "$work"
