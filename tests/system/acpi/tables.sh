#!/bin/bash
# ACPI static tables as QEMU builds them: pc and q35 with 1 and 4 CPUs (SeaBIOS tables, RSDT,
# through QEMU -kernel), q35 under UEFI (OVMF tables, ACPI 2.0 RSDP with an XSDT, through
# GRUB), and acpi=off. The boot log must report what each table holds; the ACPI ktests check
# it against the hardware (boot CPU listed, IOAPIC answering, PM timer counting).
source "$(dirname "$0")/../lib.sh"

# ktest_results puts its prefix into a sed expression unescaped, so ktest prefixes have no '/'.
KTESTS=acpi_madt,acpi_ioapic,acpi_fadt,acpi_pm_timer,acpi_isa_irqs

# check_tables CHECK-PREFIX MACHINE SMP: the per-table lines of the current log.
check_tables() {
	local c=$1 machine=$2 smp=$3 cpus
	[ "$smp" -eq 1 ] && cpus="1 CPU" || cpus="$smp CPUs"
	expect_log "$c/madt" "acpi: MADT: $cpus ($smp enabled), 1 IOAPIC, 5 overrides, 1 LAPIC NMI, LAPIC at 0xfee00000"
	if [ "$machine" = pc ]; then # ACPI 1.0 FADT: no reset register
		expect_log "$c/fadt" "acpi: FADT: SCI 9, PM timer port 0x608 (24-bit), no reset register, century 0x32"
	else
		expect_log "$c/fadt" "acpi: FADT: SCI 9, PM timer port 0x608 (24-bit), reset register port 0xcf9 value 0xf, century 0x32"
	fi
	expect_log "$c/hpet" "acpi: HPET: at 0xfed00000, min tick 0"
	if [ "$machine" = pc ]; then # PCI, not PCIe: no ECAM
		if grep -q 'acpi: MCFG' "$LOG"; then fail "$c/no_mcfg" "pc reports an MCFG (log: $LOG)"; else pass "$c/no_mcfg"; fi
	else
		expect_log "$c/mcfg" "acpi: MCFG: segment 0 buses 0-255 at 0xb0000000"
	fi
	expect_log_re "$c/dsdt" 'acpi: DSDT: [0-9]+ bytes at 0x[0-9a-f]+'
	if grep -qE 'acpi: .*(skipped|bad checksum|out of range|malformed)' "$LOG"; then
		fail "$c/no_bad_tables" "a table was rejected (log: $LOG)"
	else
		pass "$c/no_bad_tables"
	fi
}

for machine in pc q35; do
	for smp in 1 4; do
		c=$machine/smp$smp
		qemu_boot "acpi_${machine}_smp$smp" 120 -machine "$machine" -smp "$smp" -m 256M \
			-kernel "$KERNEL" -append "ktest=$KTESTS"
		expect_exit "$c/exit_status" 33
		expect_log_re "$c/rsdp" 'acpi: RSDP revision 0 \(RSDT at 0x[0-9a-f]+\), OEM BOCHS, from the boot loader'
		check_tables "$c" "$machine" "$smp"
		expect_log_re "$c/table_list" "acpi: [0-9]+ tables in the RSDT: FACP APIC HPET( MCFG)? WAET"
		ktest_results "$machine-smp$smp-ktest"
	done
done

# UEFI: a GRUB ISO of our own, so that the command line names only these ktests.
iso=$LOGDIR/acpi_uefi.iso
if sh "$ROOT/tools/mkiso.sh" "$KERNEL" "$iso" "ktest=$KTESTS console=ttyS0"; then
	qemu_boot acpi_uefi_q35_smp4 300 -machine q35 -smp 4 -m 256M -cdrom "$iso" $(ovmf_args acpi_uefi)
	expect_exit uefi/exit_status 33
	expect_log_re uefi/rsdp 'acpi: RSDP revision 2 \(XSDT at 0x[0-9a-f]+\), OEM BOCHS, from the boot loader'
	check_tables uefi q35 4
	ktest_results uefi-ktest
else
	fail uefi/iso "tools/mkiso.sh failed"
fi

# acpi=off: nothing parsed, and the kernel still comes up.
qemu_boot acpi_off 120 -machine q35 -smp 2 -m 256M -kernel "$KERNEL" -append "acpi=off ktest=acpi_disabled"
expect_exit off/exit_status 33
expect_log off/disabled "acpi: disabled by acpi=off"
if grep -qE 'acpi: (MADT|FADT|RSDP revision)' "$LOG"; then
	fail off/nothing_parsed "tables parsed despite acpi=off (log: $LOG)"
else
	pass off/nothing_parsed
fi
ktest_results off-ktest
