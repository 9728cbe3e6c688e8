#!/bin/bash
# The scheduler on 1, 2 and 4 CPUs: the automatic ktests plus the measurements (CPU shares by
# nice, pinning, load balance, priority inheritance on and off, FIFO preemption, benchmarks).
source "$(dirname "$0")/../lib.sh"

manual=sched_nice_share,sched_pinned_thread,sched_load_balance,sched_priority_inheritance,sched_fifo_preempts,bench_sched
for n in 1 2 4; do
	qemu_boot "sched_smp$n" 400 -machine q35 -smp "$n" -m 256M -kernel "$KERNEL" -append "ktest=all,$manual"
	expect_exit "smp$n/exit_status" 33
	expect_log_re "smp$n/inheritance_on" 'priority inversion, inheritance on: high got the lock at [0-9]+ ms'
	expect_log_re "smp$n/inheritance_off_stalls" 'priority inversion, inheritance off: high got the lock at [0-9]+ ms'
	ktest_results "smp$n/ktest"
done
