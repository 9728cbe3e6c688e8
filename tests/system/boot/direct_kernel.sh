#!/bin/bash
# QEMU -kernel (PVH) with an initrd and a command line, like booting a Linux kernel.
source "$(dirname "$0")/../lib.sh"

initrd=$LOGDIR/direct_kernel.initrd
head -c 123457 /dev/urandom > "$initrd"
cmdline='ktest loglevel=7 foo=bar foo=baz "quoted=a b" -- init-arg'
qemu_boot direct_kernel 120 -machine q35 -m 256M -kernel "$KERNEL" -initrd "$initrd" -append "$cmdline"

expect_exit exit_status 33
expect_log banner "Ferrite 0.1.0 (x86_64)"
expect_log protocol "boot: PVH direct boot, BIOS firmware"
expect_log cmdline "cmdline: \"$cmdline\""
expect_log_re initrd_size 'initrd: module 0 .* 123457 bytes'
expect_log_re memory_map '\[mem 0x0000000000100000-0x[0-9a-f]+\] usable'
expect_log vga_text "fb: EGA text 80x25 at 0xb8000"
# Unknown options are reported once each, never fatal.
if [ "$(grep -c "unknown option 'foo'" "$LOG")" -eq 1 ]; then pass unknown_option_once; else
	fail unknown_option_once "expected one report of 'foo' (log: $LOG)"; fi
expect_log unknown_quoted "unknown option 'quoted'"
ktest_results ktest
