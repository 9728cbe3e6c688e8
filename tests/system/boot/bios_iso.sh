#!/bin/bash
# The GRUB ISO under SeaBIOS on both machine types: multiboot2, framebuffer, module.
source "$(dirname "$0")/../lib.sh"

for machine in pc q35; do
	qemu_boot "bios_iso_$machine" 180 -machine "$machine" -m 256M -cdrom "$TEST_ISO"
	expect_exit "$machine/exit_status" 33
	expect_log_re "$machine/protocol" 'boot: multiboot2 from "GRUB [^"]*", BIOS firmware'
	expect_log "$machine/cmdline" 'cmdline: "ktest console=ttyS0"'
	expect_log_re "$machine/initrd" 'initrd: module 0 "initrd" at 0x[0-9a-f]+, 70000 bytes'
	expect_log_re "$machine/initramfs" 'initramfs: 1 entries unpacked from 70000 bytes'
	expect_log_re "$machine/framebuffer" 'fb: [0-9]+x[0-9]+, 32 bpp RGB'
	expect_log_re "$machine/acpi" "acpi: RSDP revision 0 \(RSDT at 0x[0-9a-f]+\)"
	ktest_results "$machine/ktest"
done
