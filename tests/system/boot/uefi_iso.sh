#!/bin/bash
# The GRUB ISO under UEFI (OVMF): multiboot2 with the EFI memory map and a GOP framebuffer.
source "$(dirname "$0")/../lib.sh"

qemu_boot uefi_iso 300 -machine q35 -m 256M -cdrom "$TEST_ISO" $(ovmf_args uefi_iso)
expect_exit exit_status 33
expect_log_re protocol 'boot: multiboot2 from "GRUB [^"]*", UEFI firmware'
expect_log cmdline 'cmdline: "ktest console=ttyS0"'
expect_log_re initrd 'initrd: module 0 "initrd" at 0x[0-9a-f]+, 70000 bytes'
expect_log_re initramfs 'initramfs: 1 entries unpacked from 70000 bytes'
expect_log_re framebuffer 'fb: [0-9]+x[0-9]+, 32 bpp RGB'
expect_log_re efi_mmap 'efi: memory map with [0-9]+ descriptors'
expect_log_re acpi "acpi: RSDP revision 2 \(XSDT at 0x[0-9a-f]+\)"
ktest_results ktest
