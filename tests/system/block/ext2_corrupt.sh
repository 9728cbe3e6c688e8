#!/bin/bash
# ext2 on damaged disks: a bad superblock magic, a block count larger than the disk, zero
# blocks per group, a zeroed root inode, a directory block with rec_len 0, an indirect block
# pointing outside the file system, and a directory entry naming an inode past the end. Each
# must give a refused mount or EIO to the reader — no panic, no hang, no wrong data.
source "$(dirname "$0")/../lib.sh"
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
mk() { # mk NAME: a copy of the good image, added as the next disk
	cp "$work/good.img" "$work/$1.img"
	args+=(-drive "file=$work/$1.img,if=none,id=$1,format=raw" -device "virtio-blk-pci,drive=$1")
}
mk magic; poke "$work/magic.img" $((1024 + 56)) 0000        # vdb
mk blocks; poke "$work/blocks.img" $((1024 + 4)) ffffff7f   # vdc
mk bpg; poke "$work/bpg.img" $((1024 + 32)) 00000000        # vdd
mk root; poke "$work/root.img" $((root_block * 1024 + root_off)) "$(printf '00%.0s' $(seq 1 128))" # vde
mk dirent; poke "$work/dirent.img" $((dir_block * 1024 + 24 + 4)) 0000  # vdf: rec_len 0 after . and ..
mk ind; poke "$work/ind.img" $((ind_block * 1024)) ffffff7f               # vdg
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/corrupt.init:init"

qemu_boot ext2_corrupt 180 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-drive file="$work/good.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 "${args[@]}" \
	-append "console=ttyS0 quiet"
expect_log finished "ext2-test: corruption walk done"
check() { # check NAME REGEX
	if log_text | grep -qE "^CORRUPT $2"; then pass "$1"; else
		fail "$1" "got: $(log_text | grep "^CORRUPT ${2:0:3}" | head -1)"; fi
}
check good 'vda: mounted, ls=0 +, cat=0 $'
check bad_magic 'vdb: refused: .*Invalid argument'
check blocks_past_end 'vdc: refused: .*Invalid argument'
check zero_blocks_per_group 'vdd: refused: .*Invalid argument'
check zeroed_root_inode 'vde: refused: .*Input/output error'
# busybox ls does not report a failing getdents; the name lookup below the bad entry fails.
check dirent_rec_len_0 "vdf: mounted, .*, cat=1 cat: can't open '/mnt/d/f': Input/output error"
check indirect_outside 'vdg: mounted, ls=0 +, cat=1 .*Input/output error'
if log_text | grep -qiE 'panic|exception'; then fail no_panic "the log has a panic (log: $LOG)"; else pass no_panic; fi
rm -rf "$work"
