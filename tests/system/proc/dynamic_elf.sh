#!/bin/bash
# A dynamically linked program built by musl-gcc (PIE, interpreter /lib/ld-musl-x86_64.so.1)
# runs inside Ferrite with the host's musl loader copied into the initramfs: PT_INTERP loading,
# AT_BASE/AT_ENTRY/AT_PHDR, the loader's relocations and TLS.
source "$(dirname "$0")/../lib.sh"

loader=$(readlink -f /lib/ld-musl-x86_64.so.1 2>/dev/null)
if [ ! -f "$loader" ]; then
	fail setup "no /lib/ld-musl-x86_64.so.1 on the host (musl-tools)"
	exit 0
fi
tree=$BUILD/dynamic-elf-initrd
rm -rf "$tree"
mkdir -p "$tree/bin" "$tree/lib"
cp "$BUILD/user/init/runtests" "$tree/init"
musl-gcc -O2 -Wall -Werror -o "$tree/bin/dynhello" "$ROOT/user/demo/dynhello.c"
cp "$loader" "$tree/lib/ld-musl-x86_64.so.1"
if ! readelf -l "$tree/bin/dynhello" | grep -q 'interpreter: /lib/ld-musl-x86_64.so.1'; then
	fail setup "musl-gcc did not make a dynamically linked program"
	exit 0
fi
(cd "$tree" && find . | cpio -o -H newc --quiet > "$BUILD/dynamic-elf.cpio")

qemu_boot dynamic_elf 180 -machine q35 -m 256M -smp 2 -nic none -kernel "$KERNEL" \
	-initrd "$BUILD/dynamic-elf.cpio" -append "console=ttyS0 -- /bin/dynhello"
expect_log runs "dynhello: argc=1 argv0=/bin/dynhello tls=42 at_base=set at_entry=set"
expect_log exit_zero "RUNNER dynhello ended: exit 0"
expect_log powered_off "RUNNER done"
