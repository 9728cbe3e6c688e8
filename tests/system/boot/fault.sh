#!/bin/bash
# A deliberate kernel page fault: decoded error code, CR2, registers, symbolized backtrace.
source "$(dirname "$0")/../lib.sh"

qemu_boot fault 120 -machine q35 -m 128M -kernel "$KERNEL" -append "ktest=fault"
expect_exit exit_status 37
expect_log vector "*** CPU exception 14: #PF page fault in kernel mode ***"
expect_log error_code "error code 0x2: page not present, write, kernel mode, data access"
expect_log cr2 "CR2 (faulting address): 0x0000400000000000"
expect_log_re rip 'RIP: 0008:ffffffff8[0-9a-f]+ <ktest_fault_write\+0x[0-9a-f]+>'
expect_log_re registers 'RAX=[0-9a-f]{16} RBX=[0-9a-f]{16}'
expect_log_re backtrace_caller '#1  ffffffff8[0-9a-f]+ <ktest_fn_fault\+0x[0-9a-f]+>'
expect_log_re backtrace_runner '<ktest_run\+0x[0-9a-f]+>'
expect_log panic "Kernel panic: unhandled #PF page fault in kernel"
