#!/bin/bash
# Disk benchmark, Ferrite beside Linux: user/bench/diskbench (musl-gcc -static) measures
# sequential write and read MB/s (1 MiB O_DIRECT transfers, fsync included) and 4 KiB random-read
# IOPS (queue depth 1) on the raw disk, for virtio-blk, AHCI, NVMe and IDE, under QEMU TCG with
# the same machine (-smp 1 -m 512M, q35; pc for IDE), the same fresh raw image and QEMU's
# default cache mode (writeback) for both kernels. Linux is Debian's 6.1 kernel
# (linux-image-6.1.0-56-amd64, fetched with apt-get download when not cached); its disk drivers
# are modules, loaded with busybox insmod from the initramfs.
# Usage: tools/bench-disks.sh [RUNS] [DRIVERS...]      (default: 1 run; virtio ahci nvme ide)
# Env:   MIB=64 (region) SECS=5 (random-read time) WORK=build/bench-disks KERNELS="ferrite linux"
#        FERRITE=build/ferrite.elf (the Ferrite kernel to measure)
# Output: one "RESULT kernel driver run seq_write seq_read iops" line per run, logs in $WORK.
# Needs: qemu-system-x86_64, musl-gcc, busybox-static, root (mknod of /dev/console in Linux's
# initramfs) and, the first time, apt access for the kernel package (kept in $WORK after).
# Results of the runs recorded in docs/PERFORMANCE.md ("Disks, per driver, beside Linux").
set -eu
cd "$(dirname "$0")/.."
runs=${1:-1}
shift || true
drivers=${*:-virtio ahci nvme ide}
MIB=${MIB:-64} SECS=${SECS:-5} KERNELS=${KERNELS:-ferrite linux}
WORK=${WORK:-build/bench-disks}
kver=6.1.0-56-amd64
mkdir -p "$WORK"
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/diskbench" user/bench/diskbench.c

# The guests' /init: run diskbench on the disk named by bench.disk= and power off.
cat > "$WORK/bench.init" <<'INIT'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc 2> /dev/null
grep -q ' /dev devtmpfs' /proc/mounts || mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order 2> /dev/null); do insmod /lib/modules/$m.ko; done
disk=$(sed -n 's/.*bench\.disk=\([^ ]*\).*/\1/p' /proc/cmdline)
args=$(sed -n 's/.*bench\.args=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
i=0
while [ ! -b /dev/$disk ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "bench: kernel $(uname -r)"
/diskbench /dev/$disk $args
# Requests the disk saw (reads, merges, sectors... as Linux's format): their average size.
grep " $disk " /proc/diskstats | sed 's/^/diskstats: /'
poweroff -f
INIT
chmod +x "$WORK/bench.init"
sh tools/mkrootfs.sh "$WORK/ferrite.cpio.gz" "$WORK/bench.init:init" "$WORK/diskbench:diskbench"

# Linux: the kernel and the modules for the four drivers, in dependency order.
if [[ " $KERNELS " == *" linux "* ]]; then
	deb=$(ls "$WORK"/linux-image-${kver}_*.deb 2> /dev/null | head -1 || true)
	if [ -z "$deb" ]; then (cd "$WORK" && apt-get download linux-image-$kver > /dev/null); deb=$(ls "$WORK"/linux-image-${kver}_*.deb | head -1); fi
	rm -rf "$WORK/deb" "$WORK/linux-root"
	dpkg-deb -x "$deb" "$WORK/deb"
	cp "$WORK/deb/boot/vmlinuz-$kver" "$WORK/vmlinuz"
	mods="scsi_common scsi_mod crc64 crc64_rocksoft_generic crc64-rocksoft crct10dif_common crct10dif_generic
		crc-t10dif t10-pi sd_mod libata libahci ahci ata_piix nvme-core nvme virtio_ring virtio
		virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
	mkdir -p "$WORK/linux-root/lib/modules"
	for m in $mods; do
		f=$(find "$WORK/deb/lib/modules/$kver" -name "$m.ko*" | head -1)
		[ -n "$f" ] || { echo "bench-disks: no module $m in $deb" >&2; exit 1; }
		case $f in *.xz) xz -dc "$f" ;; *) cat "$f" ;; esac > "$WORK/linux-root/lib/modules/$m.ko"
		echo "$m" >> "$WORK/linux-root/modules.order"
	done
	rm -rf "$WORK/deb"
	(cd "$WORK/linux-root" && gzip -dc "../ferrite.cpio.gz" | cpio -id --quiet)
	[ -e "$WORK/linux-root/dev/console" ] || mknod -m 600 "$WORK/linux-root/dev/console" c 5 1
	(cd "$WORK/linux-root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$WORK/linux.cpio.gz"
fi

for run in $(seq "$runs"); do
	for drv in $drivers; do
		case $drv in
		virtio) machine=q35 disk=vda dev="-device virtio-blk-pci,drive=d0" ;;
		ahci) machine=q35 disk=sda dev="-device ide-hd,drive=d0,bus=ide.0" ;;
		nvme) machine=q35 disk=nvme0n1 dev="-device nvme,serial=bench,drive=d0" ;;
		ide) machine=pc disk=sda dev="-device ide-hd,drive=d0,bus=ide.0" ;;
		*) echo "bench-disks: unknown driver $drv" >&2; exit 2 ;;
		esac
		for k in $KERNELS; do
			rm -f "$WORK/disk.img"
			truncate -s $((MIB + 64))M "$WORK/disk.img"
			if [ $k = ferrite ]; then kimg=${FERRITE:-build/ferrite.elf} initrd=$WORK/ferrite.cpio.gz
			else kimg=$WORK/vmlinuz initrd=$WORK/linux.cpio.gz; fi
			log=$WORK/$k-$drv-$run.log
			# shellcheck disable=SC2086
			timeout 600 qemu-system-x86_64 -accel tcg -machine $machine -smp 1 -m 512M -display none \
				-monitor none -no-reboot -nic none -serial "file:$log" -kernel "$kimg" -initrd "$initrd" \
				-drive file="$WORK/disk.img",if=none,id=d0,format=raw $dev \
				-append "console=ttyS0 quiet bench.disk=$disk bench.args=$MIB,$SECS" > /dev/null 2>&1 || true
			line=$(tr -d '\r' < "$log" | grep '^diskbench:' | head -1)
			if [ -z "$line" ]; then echo "RESULT $k $drv $run failed (log: $log)"; continue; fi
			get() { echo "$line" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
			echo "RESULT $k $drv $run $(get seq_write_mbs) $(get seq_read_mbs) $(get rand4k_read_iops) direct=$(get direct) errors=$(get errors)"
		done
	done
done
rm -f "$WORK/disk.img"
