#!/bin/bash
# A runaway recursion hits the guard page below the boot stack: the page fault cannot be
# delivered on the dead stack, so the CPU raises a double fault, handled on its own IST stack.
source "$(dirname "$0")/../lib.sh"

qemu_boot stack_overflow 120 -machine q35 -m 128M -kernel "$KERNEL" -append "ktest=stack_overflow"
expect_exit exit_status 37
expect_log double_fault "#DF double fault in kernel mode"
expect_log panic "Kernel panic: unhandled #DF double fault"
