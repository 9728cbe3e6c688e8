#!/bin/sh
# Boots Ferrite in QEMU with the serial console in this terminal (Ctrl-A X quits).
#   BOOT=iso (default; GRUB, BIOS)  BOOT=uefi (GRUB, OVMF)  BOOT=kernel (QEMU -kernel, PVH)
#   ACCEL=tcg|kvm (default: kvm when a quick probe boots Ferrite under it, else tcg)
#   MEM=512M SMP=2 CMDLINE="..." (BOOT=kernel only) INITRD=file (BOOT=kernel only; default the busybox rootfs)
set -eu
cd "$(dirname "$0")/.."
BOOT=${BOOT:-iso}
MEM=${MEM:-512M}
SMP=${SMP:-2}
CMDLINE=${CMDLINE:-console=ttyS0}
INITRD=${INITRD:-build/rootfs.cpio.gz}

if [ -z "${ACCEL:-}" ]; then
	ACCEL=tcg
	# KVM on some hosts is a nested kind that cannot run guests: trust it only after Ferrite
	# finished a ktest run under it. The verdict is cached per kernel build.
	if [ -w /dev/kvm ] && [ "$BOOT" != uefi ]; then
		cache=build/.accel-probe
		if [ ! -f "$cache" ] || [ "$cache" -ot build/ferrite.elf ]; then
			verdict=tcg
			rc=0
			timeout 8 qemu-system-x86_64 -accel kvm -m 128M -display none -serial null \
				-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot \
				-kernel build/ferrite.elf -append "ktest=ksyms_lookup" > /dev/null 2>&1 || rc=$?
			[ "$rc" -eq 33 ] && verdict=kvm
			echo "$verdict" > "$cache"
		fi
		ACCEL=$(cat "$cache")
	fi
fi
echo "run: booting with $BOOT under $ACCEL (serial console here; Ctrl-A X quits)"

set -- -accel "$ACCEL" -m "$MEM" -smp "$SMP" -serial mon:stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
[ -n "${DISPLAY:-}" ] || set -- "$@" -display none

case "$BOOT" in
iso) exec qemu-system-x86_64 -machine q35 "$@" -cdrom build/ferrite.iso ;;
uefi)
	vars=$(mktemp)
	cp /usr/share/OVMF/OVMF_VARS.fd "$vars"
	exec qemu-system-x86_64 -machine q35 "$@" -cdrom build/ferrite.iso \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$vars"
	;;
kernel)
	if [ -n "$INITRD" ]; then set -- "$@" -initrd "$INITRD"; fi
	exec qemu-system-x86_64 -machine q35 "$@" -kernel build/ferrite.elf -append "$CMDLINE"
	;;
*) echo "run: unknown BOOT=$BOOT" >&2; exit 1 ;;
esac
