#!/bin/bash
# ext4 on damaged disks (mkfs.ext4, 4 KiB blocks, metadata_csum): a superblock whose checksum
# does not match, a journal needing recovery, an unknown incompatible feature, an unknown
# read-only-compatible feature (mounted read-only: writes give EROFS), a group descriptor
# checksum, an inode checksum, a directory block checksum, an extent block's magic and its
# checksum, and an extent (with a valid inode checksum) pointing past the end. Each must give a
# refused mount or EIO — no panic, no hang, no wrong data. Last, an intact ext3 disk (block
# maps, a clean journal) mounted with -t ext4 reads and writes, and e2fsck finds it clean. On
# virtio-blk (a disk per image), then AHCI, NVMe and IDE (one partition per image).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_corrupt.bash"
here=$ROOT/tests/system/block/ext4
work=$LOGDIR/ext4-corrupt
rm -rf "$work"
mkdir -p "$work/t/d"
echo hi > "$work/t/d/f"
head -c 300000 /dev/urandom > "$work/t/big"
# Ten blocks with holes between them: more extents than the inode holds, so a tree block.
for i in 0 1 2 3 4 5 6 7 8 9; do
	head -c 4096 /dev/urandom | dd of="$work/t/frag" bs=4096 seek=$((i * 2)) conv=notrunc status=none
done
mkfs.ext4 -q -F -O ^has_journal -b 4096 -d "$work/t" "$work/good.img" 8M > /dev/null
# poke IMG OFFSET HEXBYTES: overwrite bytes at a byte offset (checksums left stale).
poke() { printf "$(echo "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
blk() { debugfs -R "$1" "$work/good.img" 2> /dev/null; }
dir_block=$(blk "bmap /d 0")
etb=$(blk "stat /frag" | sed -n 's/.*(ETB0):\([0-9]*\).*/\1/p' | head -1)
read -r f_block f_off < <(blk "imap /d/f" | sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
args=()
imgs=("$work/good.img")
mk() { # mk NAME: a copy of the good image, added as the next disk
	cp "$work/good.img" "$work/$1.img"
	imgs+=("$work/$1.img")
	args+=(-drive "file=$work/$1.img,if=none,id=$1,format=raw" -device "virtio-blk-pci,drive=$1")
}
# debugfs -w changes keep every checksum valid: only the feature or field itself is wrong.
dbw() { debugfs -w -R "$2" "$work/$1.img" > /dev/null 2>&1; }
mk sbcsum; poke "$work/sbcsum.img" $((1024 + 0x78)) 58                        # vdb: volume name byte
mk recover; dbw recover "feature needs_recovery"                               # vdc
word() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; } # word IMG OFFSET: a 32-bit field
incompat=$(word "$work/good.img" $((1024 + 0x60))) ro_compat=$(word "$work/good.img" $((1024 + 0x64)))
mk incompat; dbw incompat "ssv feature_incompat $((incompat | 0x10000000))"        # vdd: an unknown bit
mk rocompat; dbw rocompat "ssv feature_ro_compat $((ro_compat | 0x80000000))"      # vde: an unknown bit
mk gdcsum; poke "$work/gdcsum.img" $((4096 + 0x10)) 0700                       # vdf: used dirs of group 0
mk icsum; poke "$work/icsum.img" $((f_block * 4096 + f_off + 0x08)) 01         # vdg: /d/f's atime
mk dircsum; poke "$work/dircsum.img" $((dir_block * 4096 + 24 + 8)) 58         # vdh: a name in /d
mk etbmagic; poke "$work/etbmagic.img" $((etb * 4096)) 0000                    # vdi
mk etbcsum; poke "$work/etbcsum.img" $((etb * 4096 + 8)) 01                    # vdj: eh_generation
mk extrange; dbw extrange "sif /big block[5] 0x7ffffff0"                       # vdk: first extent's start
mkfs.ext3 -q -F -d "$work/t" "$work/ext3.img" 8M > /dev/null
args+=(-drive "file=$work/ext3.img,if=none,id=ext3,format=raw" -device "virtio-blk-pci,drive=ext3") # vdl
imgs+=("$work/ext3.img")
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/corrupt.init:init"
untouched="sbcsum recover incompat rocompat gdcsum" # refused or read-only: must stay as they are
for f in $untouched; do sha256sum < "$work/$f.img" > "$work/$f.sum"; done
# The debugfs changes took effect (the bits are set, the inode's extent moved).
if [ "$(word "$work/incompat.img" $((1024 + 0x60)))" = $((incompat | 0x10000000)) ] &&
   [ "$(word "$work/rocompat.img" $((1024 + 0x64)))" = $((ro_compat | 0x80000000)) ] &&
   debugfs -R "stat /big" "$work/extrange.img" 2> /dev/null | grep -q 2147483632; then
	pass setup_damage; else fail setup_damage "debugfs did not make the intended change"; fi
corrupt_gpt "$work/gpt.orig" "${imgs[@]}" # before any run can touch the images

qemu_boot ext4_corrupt 180 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-drive file="$work/good.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 "${args[@]}" \
	-append "console=ttyS0"
# checks DIR: the outcomes of one run; the images as they are after it are in DIR (CORRUPT_PREFIX
# names the driver).
checks() {
	local d=$1
	expect_log ${CORRUPT_PREFIX}finished "ext4-test: corruption walk done"
	corrupt_check good 'vda: mounted, ls=0 +, unreadable:, write=0 $'
	corrupt_check sb_checksum 'vdb: refused: .*Invalid argument'
	corrupt_check needs_recovery 'vdc: refused: .*(not supported|Not supported)'
	corrupt_check unknown_incompat 'vdd: refused: .*(not supported|Not supported)'
	corrupt_check unknown_ro_compat 'vde: mounted, ls=0 +, unreadable:, write=1 .*Read-only file system'
	corrupt_check gd_checksum 'vdf: refused: .*Invalid argument'
	corrupt_check inode_checksum "vdg: mounted, .*unreadable: d/f:cat: can't open '/mnt/d/f': Input/output error +, write"
	# busybox ls does not report a failing getdents; the name lookup in the bad block fails.
	corrupt_check dir_checksum "vdh: mounted, ls=[01] .*unreadable: d/f:cat: can't open '/mnt/d/f': Input/output error +, write"
	corrupt_check extent_block_magic 'vdi: mounted, ls=0 +, unreadable: frag:cat: read error: Input/output error +, write'
	corrupt_check extent_block_checksum 'vdj: mounted, ls=0 +, unreadable: frag:cat: read error: Input/output error +, write'
	corrupt_check ext3_as_ext4 'vdl: mounted, ls=0 +, unreadable:, write=0 $'
	corrupt_check extent_past_end 'vdk: mounted, ls=0 +, unreadable: big:cat: read error: Input/output error +, write'
	if log_text | grep -q 'the journal needs recovery'; then pass ${CORRUPT_PREFIX}recovery_message; else fail ${CORRUPT_PREFIX}recovery_message "no clear message for needs_recovery"; fi
	if log_text | grep -qiE 'panic|exception'; then fail ${CORRUPT_PREFIX}no_panic "the log has a panic (log: $LOG)"; else pass ${CORRUPT_PREFIX}no_panic; fi
	if e2fsck -fn "$d/ext3.img" > "$work/ext3.fsck" 2>&1 && debugfs -R "ls /" "$d/ext3.img" 2> /dev/null | grep -q new; then
		pass ${CORRUPT_PREFIX}ext3_e2fsck_clean; else fail ${CORRUPT_PREFIX}ext3_e2fsck_clean "$(grep -v '^Pass' "$work/ext3.fsck" | head -3 | tr '\n' '|')"; fi
	# Nothing was written to the damaged disks that were refused or mounted read-only.
	changed=
	for f in $untouched; do sha256sum < "$d/$f.img" | cmp -s - "$work/$f.sum" || changed="$changed $f"; done
	if [ -z "$changed" ]; then pass ${CORRUPT_PREFIX}refused_disks_untouched; else fail ${CORRUPT_PREFIX}refused_disks_untouched "written:$changed"; fi
}
CORRUPT_PREFIX=
checks "$work"
for drv in ahci nvme ide; do
	cp "$work/gpt.orig" "$work/gpt.img"
	corrupt_driver_args $drv "$work/gpt.img"
	qemu_boot ext4_corrupt_$drv 180 "${CORRUPT_QEMU[@]}" -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-append "console=ttyS0 $CORRUPT_CMDLINE"
	# The partitions back out as images, for the checks on what was written.
	mkdir -p "$work/$drv"
	for i in "${!imgs[@]}"; do corrupt_part "$work/gpt.img" $((i + 1)) "${imgs[i]}" "$work/$drv/${imgs[i]##*/}"; done
	CORRUPT_PREFIX=$drv/
	checks "$work/$drv"
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
