# The corruption suites (ext2_corrupt, ext4_corrupt, fat_corrupt) on every disk driver. On
# virtio-blk each damaged image is its own disk (vda, vdb, ...). AHCI, NVMe and IDE cannot hold a
# dozen disks each (the PIIX has four), so there the images go, in the same order, into the
# partitions of one GPT disk: partition N holds what disk vd<Nth letter> holds, and the test's
# /init walks sda1.., nvme0n1p1.. instead (blktest.disk= tells it the disk). The inits print
# "CORRUPT <letter> <device>: ...", so one set of checks serves every driver.

# corrupt_gpt DISK IMG...: a GPT disk with each image, in order, in a partition of exactly its
# size (a file system that claims more blocks than its partition must see the partition's end).
corrupt_gpt() {
	local disk=$1 start=2048 script="label: gpt" img sectors
	shift
	CORRUPT_STARTS=()
	for img; do
		sectors=$((($(stat -c %s "$img") + 511) / 512))
		script+=$'\n'"start=$start, size=$sectors"
		CORRUPT_STARTS+=("$start")
		start=$(((start + sectors + 2047) / 2048 * 2048))
	done
	rm -f "$disk"
	truncate -s $(((start + 2048) * 512)) "$disk"
	echo "$script" | sfdisk -q "$disk" > /dev/null
	local i=0
	for img; do
		dd if="$img" of="$disk" bs=512 seek="${CORRUPT_STARTS[i]}" conv=notrunc status=none
		i=$((i + 1))
	done
}

# corrupt_part DISK N IMG OUT: partition N (from 1) of a disk corrupt_gpt made from images of
# which IMG was the Nth, copied out to OUT.
corrupt_part() {
	dd if="$1" of="$4" bs=512 skip="${CORRUPT_STARTS[$2 - 1]}" count=$((($(stat -c %s "$3") + 511) / 512)) status=none
}

# corrupt_check NAME REGEX: REGEX starts with the virtio disk's name ("vdb: refused: ..."); the
# log line names the letter and whichever device held that image.
corrupt_check() {
	local letter=${2:2:1} rest=${2:5}
	if log_text | grep -qE "^CORRUPT $letter [^ ]+: $rest"; then pass "$CORRUPT_PREFIX$1"; else
		fail "$CORRUPT_PREFIX$1" "got: $(log_text | grep "^CORRUPT $letter " | head -1) (log: $LOG)"; fi
}

# corrupt_driver_args DRIVER DISK-IMAGE: the QEMU and kernel arguments that attach DISK-IMAGE as
# the only disk through DRIVER (ahci, nvme, ide); sets CORRUPT_QEMU (array) and CORRUPT_CMDLINE.
corrupt_driver_args() {
	case $1 in
	ahci) CORRUPT_QEMU=(-machine q35 -drive "file=$2,if=none,id=c0,format=raw" -device ide-hd,drive=c0,bus=ide.0)
		CORRUPT_CMDLINE=blktest.disk=sda ;;
	nvme) CORRUPT_QEMU=(-machine q35 -drive "file=$2,if=none,id=c0,format=raw" -device nvme,serial=c0,drive=c0)
		CORRUPT_CMDLINE=blktest.disk=nvme0n1 ;;
	ide) CORRUPT_QEMU=(-machine pc -drive "file=$2,if=none,id=c0,format=raw" -device ide-hd,drive=c0,bus=ide.0)
		CORRUPT_CMDLINE=blktest.disk=sda ;;
	esac
}
