/*
 * In-kernel ACPI tests: what acpi_init found must match the machine it runs on (an enabled
 * boot CPU in the MADT, an I/O APIC that answers at the address given, a PM timer that counts).
 * Without ACPI (acpi=off, or firmware without tables) the tests have nothing to check.
 */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "arch/x86_64/cpu.h"
#include "mm/vmm.h"
#include "test/ktest.h"

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_REG_VER  0x01

KTEST(acpi_madt)
{
	if (!acpi.present)
		return;
	KT_ASSERT(acpi.has_madt);
	KT_ASSERT(acpi.madt.lapic_addr != 0);

	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	uint32_t bsp = b >> 24;
	size_t enabled = 0;
	bool bsp_listed = false;
	for (size_t i = 0; i < acpi.madt.cpu_count; i++) {
		enabled += acpi.madt.cpus[i].enabled;
		if (acpi.madt.cpus[i].apic_id == bsp && acpi.madt.cpus[i].enabled)
			bsp_listed = true;
	}
	KT_ASSERT(enabled >= 1);
	KT_ASSERT(bsp_listed); /* the CPU running this is one of them */
	KT_ASSERT(acpi.madt.ioapic_count >= 1);
}

/* The first I/O APIC's version register: its low byte is the version, bits 16-23 the last
 * redirection entry (23 on QEMU's 24-pin I/O APIC). */
KTEST(acpi_ioapic)
{
	if (!acpi.present)
		return;
	KT_ASSERT(acpi.madt.ioapic_count >= 1);
	volatile uint32_t *io = ioremap(acpi.madt.ioapics[0].addr, 0x20, VM_CACHE_UC);
	KT_ASSERT(io != NULL);
	io[IOAPIC_IOREGSEL / 4] = IOAPIC_REG_VER;
	uint32_t ver = io[IOAPIC_IOWIN / 4];
	KT_ASSERT(ver != 0xffffffff); /* nothing there: reads float high */
	KT_ASSERT((ver & 0xff) >= 0x10); /* an integrated (APIC) version, not an 82489DX */
	KT_ASSERT(((ver >> 16) & 0xff) >= 23);
}

KTEST(acpi_fadt)
{
	if (!acpi.present)
		return;
	KT_ASSERT(acpi.has_fadt);
	if (!acpi.fadt.hw_reduced) {
		KT_ASSERT(acpi.fadt.sci_irq != 0);
		KT_ASSERT(acpi.fadt.pm1a_evt != 0);
		KT_ASSERT(acpi.fadt.pm1a_cnt != 0);
	}
	KT_ASSERT(acpi.dsdt != 0);
	KT_ASSERT(acpi.dsdt_len > 36);
	KT_ASSERT_EQ(acpi.bad_tables, 0); /* QEMU's tables are all sound */
}

/* The PM timer runs at 3.579545 MHz: two reads a few microseconds apart must differ. */
KTEST(acpi_pm_timer)
{
	if (!acpi.present || !acpi.fadt.pm_timer.address || acpi.fadt.pm_timer.space_id != ACPI_SPACE_IO)
		return;
	uint16_t port = (uint16_t)acpi.fadt.pm_timer.address;
	uint32_t mask = acpi.fadt.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t first = inl(port) & mask, now = first;
	for (int i = 0; i < 100000 && now == first; i++)
		now = inl(port) & mask;
	KT_ASSERT(now != first);
}

/* The lookup follows the MADT's ISA overrides and is the identity elsewhere. */
KTEST(acpi_isa_irqs)
{
	uint16_t flags;
	for (uint8_t irq = 0; irq < 16; irq++) {
		uint32_t gsi = acpi_isa_irq_to_gsi(irq, &flags);
		bool overridden = false;
		for (size_t i = 0; i < acpi.madt.override_count; i++) {
			const struct acpi_override *o = &acpi.madt.overrides[i];
			if (o->bus == 0 && o->source == irq && !overridden) {
				KT_ASSERT_EQ(gsi, o->gsi);
				KT_ASSERT_EQ(flags, o->flags);
				overridden = true;
			}
		}
		if (!overridden) {
			KT_ASSERT_EQ(gsi, irq);
			KT_ASSERT_EQ(flags, 0);
		}
	}
}

/* Run by name with acpi=off: nothing may be left behind. */
KTEST_MANUAL(acpi_disabled)
{
	KT_ASSERT(!acpi.present);
	KT_ASSERT(!acpi.has_madt && !acpi.has_fadt && !acpi.has_mcfg && !acpi.has_hpet);
	KT_ASSERT_EQ(acpi.madt.cpu_count, 0);
	KT_ASSERT_EQ(acpi_isa_irq_to_gsi(0, NULL), 0);
}
