#!/bin/bash
# SMP on -machine q35 under UEFI (OVMF): with -smp 1, 2, 4 and 8 every CPU comes
# online, ticks from its own LAPIC timer, and exchanges IPIs with every other CPU.
source "$(dirname "$0")/../lib.sh"

for n in 1 2 4 8; do
	name=smp_uefi_q35_$n
	qemu_boot "$name" 400 -machine q35 -smp "$n" -m 256M -cdrom "$TEST_ISO" $(ovmf_args "$name")
	expect_exit "$n/exit_status" 33
	expect_log "$n/online" "smp: $n of $n CPUs online"
	expect_log "$n/ktest_counted" "ktest: smp_all_cpus_online: $n CPUs"
	ktest_results "$n/ktest"
done
