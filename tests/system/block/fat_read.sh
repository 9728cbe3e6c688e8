#!/bin/bash
# FAT read: a tree made on the host (tests/system/block/fat/tree-make) is copied with mtools
# (mcopy -s -m, so the LFN entries and timestamps are mtools' own) into FAT32, FAT16 and FAT12
# file systems made with mkfs.fat in a partition (virtio-blk; FAT32 also on AHCI, FAT16 on IDE).
# Ferrite boots busybox, mounts the partition with
# mount -t vfat (also with 4 KiB sectors) and describes the tree (names, modes, link counts, sizes, mtimes, SHA-256s) with
# the script the host runs on the original tree: the two descriptions must be equal.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/fat
work=$LOGDIR/fat-read
rm -rf "$work"
mkdir -p "$work"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/read.init:init" "$ROOT/tests/system/block/ext2/tree-list:tree-list"

# name, type, file-system MiB, mkfs.fat options (commas for spaces), files in many/, big file MiB,
# disk driver (virtio-blk unless named)
for spec in "fat32 32 300 -s8 2000 24" "fat16 16 48 -s4 1000 16" "fat12 12 8 -s4 300 0" \
	"fat32-4k-sectors 32 300 -S4096,-s1 200 4" "fat32-ahci 32 64 -s1 500 8 ahci" "fat16-ide 16 32 -s4 500 8 ide"; do
	set -- $spec
	tag=$1 bits=$2 mib=$3 opt=$4 nfiles=$5 big=$6 drv=${7:-virtio}
	case $drv in
	virtio) dev="-machine q35 -device virtio-blk-pci,drive=d0" disk=vda ;;
	ahci) dev="-machine q35 -device ide-hd,drive=d0,bus=ide.0" disk=sda ;;
	ide) dev="-machine pc -device ide-hd,drive=d0,bus=ide.0" disk=sda ;;
	esac
	rm -rf "$work/tree"
	bash "$here/tree-make" "$work/tree" "$nfiles" "$big"
	/bin/busybox sh "$ROOT/tests/system/block/ext2/tree-list" "$work/tree" > "$work/expected.txt"
	rm -f "$work/fs.img" "$work/disk.img"
	mkfs.fat -F "$bits" ${opt//,/ } -C "$work/fs.img" $((mib * 1024)) > /dev/null
	(cd "$work/tree" && TZ=UTC mcopy -s -m -Q -i "$work/fs.img" ./* ::/)
	truncate -s $((mib + 2))M "$work/disk.img"
	echo 'start=2048, type=c' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	# shellcheck disable=SC2086
	qemu_boot fat_read_$tag 180 $dev -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -append "console=ttyS0 quiet blktest.disk=$disk"
	expect_log $tag/mounted "fat-test: mounted"
	expect_log $tag/unmounted "fat-test: unmounted"
	log_text | sed -n 's/^LST //p' > "$work/got.txt"
	if [ -s "$work/got.txt" ] && cmp -s "$work/expected.txt" "$work/got.txt"; then
		pass "$tag/tree_matches ($(wc -l < "$work/expected.txt") lines)"
	else
		fail $tag/tree_matches "$(diff "$work/expected.txt" "$work/got.txt" | head -5 | tr '\n' '|') (log: $LOG)"
	fi
	if log_text | grep -qE "^MOUNTS /dev/${disk}1 /mnt vfat "; then pass $tag/proc_mounts; else fail $tag/proc_mounts "no vfat line for /dev/${disk}1 in /proc/mounts"; fi
	# df: the size in KiB is the data area (clusters): a little under the file system's size.
	size=$(log_text | sed -n "s/^DF \/dev\/${disk}1 *\([0-9]*\) .*/\1/p" | head -1)
	if [ -n "$size" ] && [ "$size" -le $((mib * 1024)) ] && [ "$size" -ge $((mib * 1024 * 95 / 100)) ]; then
		pass "$tag/statfs ($size KiB)"; else fail $tag/statfs "df shows no ~$mib MiB file system: '$size'"; fi
	if log_text | grep -qE '^OPTS 1000 100 644 1000 100 755 $'; then pass $tag/mount_options; else
		fail $tag/mount_options "uid=1000,gid=100,fmask=133: $(log_text | grep '^OPTS' | head -1)"; fi
	if log_text | grep -qE '^CASE upper deep file $'; then pass $tag/case_insensitive; else
		fail $tag/case_insensitive "$(log_text | grep '^CASE' | head -1)"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $tag/no_panic "the log has a panic (log: $LOG)"; else pass $tag/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
