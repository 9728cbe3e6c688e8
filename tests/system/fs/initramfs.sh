#!/bin/bash
# An initramfs made by the host's cpio (nested directories, a symlink, a hard link, an empty file,
# owners, a 5 MiB file), booted as it is and gzip-compressed: the kernel unpacks it into the root
# tmpfs and a ktest checks the tree and the big file's CRC-32.
source "$(dirname "$0")/../lib.sh"

work=$LOGDIR/initramfs-tree
rm -rf "$work"
mkdir -p "$work/root/a/b/c"
printf 'deep\n' > "$work/root/a/b/c/deep.txt"
chmod 0640 "$work/root/a/b/c/deep.txt"
ln -s a/b/c/deep.txt "$work/root/link"
printf 'shared' > "$work/root/hard1"
ln "$work/root/hard1" "$work/root/hard2"
: > "$work/root/empty"
head -c 5242880 /dev/urandom > "$work/root/big.bin"
(cd "$work/root" && find . | sort | cpio -o -H newc -R 1234:5678 --quiet) > "$work/initrd.cpio"
gzip -9 -k -c "$work/initrd.cpio" > "$work/initrd.cpio.gz"
check=$(python3 -c 'import sys, zlib, os; d = open(sys.argv[1], "rb").read(); print("%x,%x" % (zlib.crc32(d), len(d)))' "$work/root/big.bin")

for kind in cpio cpio.gz; do
	qemu_boot "initramfs_$kind" 180 -machine q35 -m 256M -kernel "$KERNEL" -initrd "$work/initrd.$kind" \
		-append "ktest=initramfs_tree initrd_check=$check"
	expect_exit "$kind/exit_status" 33
	expect_log_re "$kind/unpacked" 'initramfs: [0-9]+ entries unpacked from [0-9]+ bytes'
	ktest_results "$kind/ktest"
done
