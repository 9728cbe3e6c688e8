#!/bin/bash
# Without the APIC (acpi=off: no MADT; noapic: MADT ignored) the kernel runs on one CPU with the
# 8259 PIC and the PIT tick, and every ktest still passes.
source "$(dirname "$0")/../lib.sh"

qemu_boot acpi_off 180 -machine q35 -smp 2 -m 256M -kernel "$KERNEL" -append "acpi=off ktest"
expect_exit acpi_off/exit_status 33
expect_log acpi_off/pic "irq: 8259 PIC (no MADT), 16 lines"
expect_log_re acpi_off/pit_tick 'tick: PIT at [0-9]+ Hz on IRQ 0'
expect_log acpi_off/one_cpu "ktest: smp_all_cpus_online: 1 CPUs"
ktest_results acpi_off/ktest

qemu_boot noapic 180 -machine pc -smp 2 -m 256M -kernel "$KERNEL" -append "noapic ktest"
expect_exit noapic/exit_status 33
expect_log noapic/pic "irq: 8259 PIC (noapic), 16 lines"
ktest_results noapic/ktest
