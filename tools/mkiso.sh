#!/bin/sh
# Builds a GRUB 2 hybrid ISO (BIOS + UEFI) that boots the kernel with multiboot2.
# usage: mkiso.sh KERNEL OUTPUT.iso "CMDLINE" [INITRD]
set -eu
kernel=$1 iso=$2 cmdline=$3 initrd=${4:-}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
# Without its DWARF sections: GRUB reads the whole file, and under OVMF with 64 MiB it could no
# longer read a 4 MiB kernel (backtraces use the symbol table linked into the kernel itself).
objcopy --strip-debug "$kernel" "$dir/boot/ferrite.elf"
module=""
if [ -n "$initrd" ]; then
	cp "$initrd" "$dir/boot/initrd.img"
	module="module2 /boot/initrd.img initrd"
fi

# all_video: without it UEFI GRUB hands over no framebuffer.
cat > "$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
insmod all_video
menuentry "Ferrite" {
	multiboot2 /boot/ferrite.elf $cmdline
	$module
	boot
}
CFG

if ! grub-mkrescue -o "$iso" "$dir" > "$iso.log" 2>&1; then
	cat "$iso.log" >&2
	exit 1
fi
rm -f "$iso.log"
