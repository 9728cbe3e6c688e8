/*
 * Restart and power-off. Restart: the FADT reset register when ACPI offers one, then the 8042
 * keyboard controller's reset line, then a triple fault. Power-off: ACPI S5 means writing
 * SLP_TYP|SLP_EN to PM1a/PM1b control, where SLP_TYP comes from the DSDT's \_S5 package; until
 * the AML interpreter exists, the value QEMU's DSDT declares (0) is used, which is right under
 * QEMU (pc and q35) and documented as the fallback. If the machine is still running after
 * that, it halts.
 */
#include "acpi/acpi.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "time/clock.h"

#define SLP_EN (1u << 13)
#define QEMU_S5_SLP_TYP 0

static void write_gas(const struct acpi_gas *g, uint8_t value)
{
	if (g->space_id == 1)
		outb((uint16_t)g->address, value);
	/* FIXME: memory-space reset registers (hardware-reduced platforms). */
}

__attribute__((noreturn)) void machine_restart(void)
{
	kprintf("reboot: restarting system\n");
	irq_disable();
	if (acpi.present && acpi.has_fadt && acpi.fadt.reset_supported) {
		write_gas(&acpi.fadt.reset_reg, acpi.fadt.reset_value);
		clock_delay_us(50000);
	}
	for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		cpu_pause();
	outb(0x64, 0xfe); /* 8042: pulse the reset line */
	clock_delay_us(50000);
	/* A triple fault: load an empty IDT and fault. */
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
	cpu_halt_forever();
}

__attribute__((noreturn)) void machine_power_off(void)
{
	kprintf("reboot: power down\n");
	irq_disable();
	if (acpi.present && acpi.has_fadt && acpi.fadt.pm1a_cnt) {
		uint16_t v = (uint16_t)((QEMU_S5_SLP_TYP << 10) | SLP_EN);
		outw((uint16_t)acpi.fadt.pm1a_cnt, v);
		if (acpi.fadt.pm1b_cnt)
			outw((uint16_t)acpi.fadt.pm1b_cnt, v);
		clock_delay_us(100000);
	}
	kprintf("reboot: the machine did not power off; halting\n");
	cpu_halt_forever();
}
