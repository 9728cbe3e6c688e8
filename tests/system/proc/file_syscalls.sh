#!/bin/bash
# The file system calls end to end: file_syscalls.c, built with musl-gcc as a static /init in an
# initramfs, checks files, names, metadata, descriptors, pipes and poll/select from user space,
# prints a PASS/FAIL line per check and powers the machine off (ACPI S5), which ends QEMU.
source "$(dirname "$0")/../lib.sh"

work=$LOGDIR/file_syscalls
rm -rf "$work"
mkdir -p "$work/root"
if ! command -v musl-gcc > /dev/null; then
	fail build "musl-gcc is missing (tools/install-deps.sh installs it)"
	exit 0
fi
if ! musl-gcc -static -O2 -Wall -Wextra -Werror -o "$work/root/init" "$ROOT/tests/system/proc/file_syscalls.c" \
	> "$work/cc.log" 2>&1; then
	fail build "file_syscalls.c does not compile (see $work/cc.log)"
	exit 0
fi
(cd "$work/root" && echo init | cpio -o -H newc --quiet) > "$work/initrd.cpio"

qemu_boot file_syscalls 240 -machine q35 -m 256M -smp 2 -cpu max -kernel "$KERNEL" \
	-initrd "$work/initrd.cpio" -append "console=ttyS0"
expect_exit power_off 0
expect_log init 'init: running /init as PID 1'
# Each check of the program becomes a result line; a run that stops early lacks the DONE line.
log_text | awk -v base="system/$TEST_NAME" '
	/^PASS [^ ]+$/ { print "PASS " base "/" $2 }
	/^FAIL / { name = $2; line = $0; sub(/^FAIL [^ ]+ /, "", line); print "FAIL " base "/" name ": " line }'
if log_text | grep -q '^DONE 0 failures$'; then
	pass done
else
	fail done "the program did not finish cleanly (log: $LOG)"
fi
