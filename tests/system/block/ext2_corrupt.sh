#!/bin/bash
# ext2 on damaged disks: a bad superblock magic, a block count larger than the disk, zero
# blocks per group, a zeroed root inode, a directory block with rec_len 0, an indirect block
# pointing outside the file system, and a directory entry naming an inode past the end. Each
# must give a refused mount or EIO to the reader — no panic, no hang, no wrong data. On
# virtio-blk (a disk per image), then AHCI, NVMe and IDE (one partition per image).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_corrupt.bash"
here=$ROOT/tests/system/block/ext2
work=$LOGDIR/ext2-corrupt
rm -rf "$work"
mkdir -p "$work/t/d"
echo hi > "$work/t/d/f"
head -c 300000 /dev/urandom > "$work/t/big"
mkfs.ext2 -q -F -b 1024 -d "$work/t" "$work/good.img" 4M > /dev/null
# poke IMG OFFSET HEXBYTES: overwrite bytes at a byte offset.
poke() { printf "$(echo "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
blk() { debugfs -R "$1" "$work/good.img" 2> /dev/null; }
dir_block=$(blk "bmap /d 0")
ind_block=$(blk "stat /big" | sed -n 's/.*(IND):\([0-9]*\).*/\1/p' | head -1)
read -r root_block root_off < <(blk "imap <2>" | sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
args=()
imgs=("$work/good.img")
mk() { # mk NAME: a copy of the good image, added as the next disk
	cp "$work/good.img" "$work/$1.img"
	imgs+=("$work/$1.img")
	args+=(-drive "file=$work/$1.img,if=none,id=$1,format=raw" -device "virtio-blk-pci,drive=$1")
}
mk magic; poke "$work/magic.img" $((1024 + 56)) 0000        # vdb
mk blocks; poke "$work/blocks.img" $((1024 + 4)) ffffff7f   # vdc
mk bpg; poke "$work/bpg.img" $((1024 + 32)) 00000000        # vdd
mk root; poke "$work/root.img" $((root_block * 1024 + root_off)) "$(printf '00%.0s' $(seq 1 128))" # vde
mk dirent; poke "$work/dirent.img" $((dir_block * 1024 + 24 + 4)) 0000  # vdf: rec_len 0 after . and ..
mk ind; poke "$work/ind.img" $((ind_block * 1024)) ffffff7f               # vdg
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/corrupt.init:init"
corrupt_gpt "$work/gpt.orig" "${imgs[@]}" # before any run can touch the images

qemu_boot ext2_corrupt 180 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-drive file="$work/good.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 "${args[@]}" \
	-append "console=ttyS0 quiet"
checks() { # the outcomes of one run (CORRUPT_PREFIX names the driver)
	expect_log ${CORRUPT_PREFIX}finished "ext2-test: corruption walk done"
	corrupt_check good 'vda: mounted, ls=0 +, cat=0 $'
	corrupt_check bad_magic 'vdb: refused: .*Invalid argument'
	corrupt_check blocks_past_end 'vdc: refused: .*Invalid argument'
	corrupt_check zero_blocks_per_group 'vdd: refused: .*Invalid argument'
	corrupt_check zeroed_root_inode 'vde: refused: .*Input/output error'
	# busybox ls does not report a failing getdents; the name lookup below the bad entry fails.
	corrupt_check dirent_rec_len_0 "vdf: mounted, .*, cat=1 cat: can't open '/mnt/d/f': Input/output error"
	corrupt_check indirect_outside 'vdg: mounted, ls=0 +, cat=1 .*Input/output error'
	if log_text | grep -qiE 'panic|exception'; then fail ${CORRUPT_PREFIX}no_panic "the log has a panic (log: $LOG)"; else pass ${CORRUPT_PREFIX}no_panic; fi
}
CORRUPT_PREFIX=
checks
for drv in ahci nvme ide; do
	cp "$work/gpt.orig" "$work/gpt.img"
	corrupt_driver_args $drv "$work/gpt.img"
	qemu_boot ext2_corrupt_$drv 180 "${CORRUPT_QEMU[@]}" -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-append "console=ttyS0 quiet $CORRUPT_CMDLINE"
	CORRUPT_PREFIX=$drv/
	checks
done
rm -rf "$work"
