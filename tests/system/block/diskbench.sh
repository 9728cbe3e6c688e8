#!/bin/bash
# A smoke run of the disk benchmark's program (user/bench/diskbench, run for real by
# tools/bench-disks.sh): on a virtio-blk and an NVMe disk it writes 8 MiB with O_DIRECT, reads
# them back (checking every 4 KiB block's tag) and reads random 4 KiB blocks for a second. It
# must say direct=1 (Ferrite honours O_DIRECT on block devices) and find no wrong block; the
# host then finds the tags the program wrote in the image.
source "$(dirname "$0")/../lib.sh"
work=$LOGDIR/diskbench
rm -rf "$work"
mkdir -p "$work"
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$work/diskbench" "$ROOT/user/bench/diskbench.c"
cat > "$work/init" <<'INIT'
#!/bin/sh
disk=$(sed -n 's/.*bench\.disk=\([^ ]*\).*/\1/p' /proc/cmdline)
/diskbench /dev/$disk 8 1
poweroff -f
INIT
chmod +x "$work/init"
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$work/init:init" "$work/diskbench:diskbench"
for drv in virtio nvme; do
	dev="-device virtio-blk-pci,drive=d0" disk=vda
	[ $drv = nvme ] && dev="-device nvme,serial=bench,drive=d0" disk=nvme0n1
	rm -f "$work/disk.img"
	truncate -s 16M "$work/disk.img"
	# shellcheck disable=SC2086
	qemu_boot diskbench_$drv 60 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-drive file="$work/disk.img",if=none,id=d0,format=raw $dev -append "console=ttyS0 quiet bench.disk=$disk"
	expect_log_re $drv/ran "^diskbench: dev=/dev/$disk direct=1 mib=8 .* errors=0"
	# The tag of the last 4 KiB block written: its byte offset.
	tag=$(od -An -tu8 -j $((8 * 1048576 - 4096)) -N 8 "$work/disk.img" | tr -d ' ')
	if [ "$tag" = $((8 * 1048576 - 4096)) ]; then pass $drv/host_sees_writes; else
		fail $drv/host_sees_writes "the image's last block holds tag '$tag'"; fi
	if log_text | grep -qiE 'panic|exception'; then fail $drv/no_panic "the log has a panic (log: $LOG)"; else pass $drv/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
