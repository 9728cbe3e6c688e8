#!/bin/bash
# ext4 under random damage: 16 small mkfs.ext4 images (half with metadata_csum, half without,
# so that damage reaches the parsers instead of stopping at a checksum), each with 40 random
# bytes overwritten in its first 512 KiB (superblock, descriptors, bitmaps, inode table,
# directories, extent blocks and small files live there). Ferrite mounts, walks, reads and
# changes each (ext4/fuzz.init). Whatever each step returns, the kernel must not panic or
# hang. FUZZ_SEED=N picks another set of damage (default 1), FUZZ_BYTES how many bytes per image.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/ext4
work=$LOGDIR/ext4-fuzz
rm -rf "$work"
mkdir -p "$work/t/d/e"
echo hi > "$work/t/d/f"
for i in $(seq 1 60); do echo "file $i" > "$work/t/d/e/f$i"; done
head -c 200000 /dev/urandom > "$work/t/big"
for i in 0 1 2 3 4 5 6 7 8 9; do
	head -c 1024 /dev/urandom | dd of="$work/t/frag" bs=1024 seek=$((i * 2)) conv=notrunc status=none
done
ln -s d/f "$work/t/link"
seed=${FUZZ_SEED:-1} # fixed by default: make test stays reproducible
echo "# ext4_fuzz: FUZZ_SEED=$seed"
RANDOM=$seed
args=()
for n in $(seq 0 15); do
	opts=(-O ^has_journal -b 1024)
	[ $((n % 2)) = 1 ] && opts=(-O ^has_journal,^metadata_csum -b 1024)
	img=$work/img$n.img
	mkfs.ext4 -q -F "${opts[@]}" -d "$work/t" "$img" 4M > /dev/null
	for k in $(seq 1 "${FUZZ_BYTES:-40}"); do
		off=$(( (RANDOM * 32768 + RANDOM) % 524288 ))
		[ $off -lt 1024 ] && off=$((off + 1024)) # keep the boot sector; the superblock is fair game
		printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of="$img" bs=1 seek=$off conv=notrunc status=none
	done
	args+=(-drive "file=$img,if=none,id=f$n,format=raw" -device "virtio-blk-pci,drive=f$n")
done
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/fuzz.init:init"
qemu_boot ext4_fuzz 150 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	"${args[@]}" -append "console=ttyS0 quiet"
expect_log finished "ext4-test: fuzz walk done"
echo "# ext4_fuzz: $(log_text | grep -c '^FUZZ .*mounted') of 16 mounted, $(log_text | grep -c '^FUZZ .*refused') refused"
if log_text | grep -qiE 'panic|exception'; then fail no_panic "the log has a panic (seed $seed, log: $LOG)"; else pass no_panic; fi
[ -n "${KEEP:-}" ] || rm -rf "$work"
