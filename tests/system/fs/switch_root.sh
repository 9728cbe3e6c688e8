#!/bin/bash
# Root on disk: an initramfs /init mounts a partition made on the host (a busybox tree from
# tools/mkrootfs.sh plus a file only the disk has) and runs busybox switch_root (MS_MOVE onto
# "/", chroot ".") to the disk's /sbin/init, which reads that file, writes one, remounts / ro and
# powers off. The host then reads the written file with debugfs and e2fsck -fn finds no error.
# Two roots: ext2 (4 KiB blocks) and ext4 as the host's mkfs.ext4 makes it with its default
# features (journal, extents, 64bit, flex_bg, metadata_csum, 1 KiB blocks at this size).
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/fs/switch_root
work=$LOGDIR/switch-root
rm -rf "$work"
mkdir -p "$work/tree"
sh "$ROOT/tools/mkrootfs.sh" "$work/disk.cpio.gz" "$here/disk.init:sbin/init"
(cd "$work/tree" && gzip -dc "$work/disk.cpio.gz" | cpio -id --quiet)
rm -f "$work/tree/init"
echo "only the disk has this" > "$work/tree/only-on-disk.txt"
for fs in ext2 ext4; do
	# The initramfs mounts the disk with -t $fs.
	sed "s/@FSTYPE@/$fs/g" "$here/initramfs.init" > "$work/init"
	chmod +x "$work/init"
	sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$work/init:init"
	rm -f "$work/fs.img" "$work/disk.img"
	if [ $fs = ext2 ]; then mkfs.ext2 -q -F -b 4096 -d "$work/tree" "$work/fs.img" 32M > /dev/null
	else mkfs.ext4 -q -F -d "$work/tree" "$work/fs.img" 32M > /dev/null; fi
	truncate -s 34M "$work/disk.img"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
	qemu_boot switch_root_$fs 180 -machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
		-append "console=ttyS0 quiet"
	expect_log $fs/initramfs_init "switch-test: initramfs init"
	if log_text | grep -qx "switch-test: init on disk, pid 1"; then pass $fs/disk_init_pid1; else
		fail $fs/disk_init_pid1 "the disk's init did not run as PID 1 (log: $LOG)"; fi
	expect_log $fs/reads_disk_file "only the disk has this"
	expect_log $fs/busybox_on_disk "switch-test: busybox found on disk"
	if log_text | grep -q "switch-test: the initramfs is still visible"; then
		fail $fs/initramfs_hidden "/newroot is visible after switch_root"; else pass $fs/initramfs_hidden; fi
	expect_log_re $fs/root_in_mounts "^MOUNTS /dev/vda1 / $fs "
	expect_log $fs/remount_ro "switch-test: root remounted ro"
	expect_log $fs/root_ro "switch-test: root is read-only"
	dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=32 status=none
	if [ $fs = ext4 ]; then
		# The image really has the default ext4 features (a mke2fs.conf change would show here).
		features=$(dumpe2fs -h "$work/fs.img" 2> /dev/null | sed -n 's/^Filesystem features: *//p')
		missing=""
		for f in has_journal extent 64bit flex_bg metadata_csum huge_file dir_nlink extra_isize; do
			case " $features " in *" $f "*) ;; *) missing="$missing $f" ;; esac
		done
		if [ -z "$missing" ]; then pass ext4/default_features; else
			fail ext4/default_features "mkfs.ext4 made an image without:$missing"; fi
	fi
	if [ "$(debugfs -R 'cat /from-ferrite.txt' "$work/fs.img" 2> /dev/null)" = "written by the disk's init" ]; then
		pass $fs/host_reads_file; else fail $fs/host_reads_file "debugfs cannot read /from-ferrite.txt (log: $LOG)"; fi
	if e2fsck -fn "$work/fs.img" > "$work/fsck.txt" 2>&1; then pass $fs/e2fsck_clean; else
		fail $fs/e2fsck_clean "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck.txt" | head -4 | tr '\n' '|')"; fi
	if log_text | grep -qiE 'panic|exception|checksum mismatch'; then fail $fs/no_panic "the log has a panic (log: $LOG)"; else pass $fs/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
