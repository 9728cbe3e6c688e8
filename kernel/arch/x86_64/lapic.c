/* Local APIC driver (Intel SDM vol. 3, chapter 11). */
#include "arch/x86_64/lapic.h"

#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "console/console.h"
#include "debug/panic.h"
#include "mm/vmm.h"
#include "time/clock.h"
#include "sched/sched.h"
#include "time/timer.h"

#define MSR_APIC_BASE    0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)

/* Register offsets (xAPIC MMIO); the x2APIC MSR is 0x800 + offset / 16. */
enum {
	REG_ID = 0x20, REG_VERSION = 0x30, REG_TPR = 0x80, REG_EOI = 0xb0, REG_SVR = 0xf0,
	REG_ESR = 0x280, REG_ICR_LO = 0x300, REG_ICR_HI = 0x310, REG_LVT_TIMER = 0x320,
	REG_LVT_LINT0 = 0x350, REG_LVT_LINT1 = 0x360, REG_LVT_ERROR = 0x370,
	REG_TIMER_INIT = 0x380, REG_TIMER_CUR = 0x390, REG_TIMER_DIV = 0x3e0,
};

#define SVR_ENABLE       (1u << 8)
#define LVT_MASKED       (1u << 16)
#define LVT_PERIODIC     (1u << 17)
#define LVT_NMI          (4u << 8)
#define LVT_LEVEL        (1u << 15)
#define LVT_ACTIVE_LOW   (1u << 13)
#define ICR_PENDING      (1u << 12)
#define ICR_ASSERT       (1u << 14)
#define ICR_ALL_BUT_SELF (3u << 18)

bool lapic_x2apic;
uint64_t lapic_timer_hz;
static volatile uint32_t *mmio;

static uint32_t rd(unsigned reg)
{
	if (lapic_x2apic)
		return (uint32_t)rdmsr(0x800 + reg / 16);
	return mmio[reg / 4];
}

static void wr(unsigned reg, uint32_t v)
{
	if (lapic_x2apic)
		wrmsr(0x800 + reg / 16, v);
	else
		mmio[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	return lapic_x2apic ? rd(REG_ID) : rd(REG_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(REG_EOI, 0);
}

static void spurious(struct trap_frame *tf)
{
	(void)tf; /* no EOI for spurious interrupts */
}

static void apic_error(struct trap_frame *tf)
{
	(void)tf;
	wr(REG_ESR, 0);
	uint32_t esr = rd(REG_ESR);
	pr_warn("lapic: CPU %u error status 0x%x\n", cpu_id(), esr);
	lapic_eoi();
}

static void timer_tick(struct trap_frame *tf)
{
	(void)tf;
	this_cpu()->ticks++;
	lapic_eoi();
	timer_events_run(clock_monotonic_ns());
	sched_tick();
}

/* LINT0/LINT1 as the MADT's LAPIC NMI entries say (on PCs: LINT1 is NMI). */
static void wire_lints(void)
{
	uint32_t uid = 0;
	for (size_t i = 0; i < acpi.madt.cpu_count; i++)
		if (acpi.madt.cpus[i].apic_id == lapic_id())
			uid = acpi.madt.cpus[i].acpi_uid;
	wr(REG_LVT_LINT0, LVT_MASKED);
	wr(REG_LVT_LINT1, LVT_MASKED);
	for (size_t i = 0; i < acpi.madt.lapic_nmi_count; i++) {
		const struct acpi_lapic_nmi *n = &acpi.madt.lapic_nmis[i];
		if (n->acpi_uid != 0xff && n->acpi_uid != 0xffffffff && n->acpi_uid != uid)
			continue;
		uint32_t lvt = LVT_NMI;
		if ((n->flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW)
			lvt |= LVT_ACTIVE_LOW;
		if ((n->flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL)
			lvt |= LVT_LEVEL;
		wr(n->lint ? REG_LVT_LINT1 : REG_LVT_LINT0, lvt);
	}
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
	if (lapic_x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	wr(REG_TPR, 0);
	wr(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
	wr(REG_LVT_ERROR, VEC_LAPIC_ERROR);
	wr(REG_ESR, 0);
	wr(REG_ESR, 0);
	wr(REG_LVT_TIMER, LVT_MASKED);
	wire_lints();
	lapic_eoi();
	this_cpu()->apic_id = lapic_id();
}

void lapic_init(paddr_t phys)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	lapic_x2apic = c & (1u << 21);
	if (lapic_x2apic) {
		/* Switch now and check it took; otherwise stay with MMIO. FIXME: x2APIC mode is not
		 * exercised by the tests: QEMU 7.2's TCG cannot offer it and KVM here cannot boot. */
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
		lapic_x2apic = rdmsr(MSR_APIC_BASE) & APIC_BASE_X2APIC;
	}
	if (!lapic_x2apic) {
		mmio = ioremap(phys, 0x1000, VM_CACHE_UC);
		if (!mmio)
			panic("lapic: cannot map the local APIC at 0x%llx", (unsigned long long)phys);
	}
	trap_set_handler(VEC_SPURIOUS, spurious);
	trap_set_handler(VEC_LAPIC_ERROR, apic_error);
	trap_set_handler(VEC_LAPIC_TIMER, timer_tick);
	lapic_init_cpu();
	pr_info("lapic: %s mode, boot CPU APIC id %u, version 0x%x\n",
		lapic_x2apic ? "x2APIC (MSR)" : "xAPIC (MMIO)", lapic_id(), rd(REG_VERSION) & 0xff);
}

uint32_t lapic_timer_current(void)
{
	return rd(REG_TIMER_CUR);
}

void lapic_timer_calibrate(void)
{
	wr(REG_TIMER_DIV, 0x3); /* divide by 16 */
	wr(REG_LVT_TIMER, LVT_MASKED);
	wr(REG_TIMER_INIT, 0xffffffff);
	lapic_timer_hz = clock_calibrate_countdown(lapic_timer_current, 50) * 1000 / 50;
	wr(REG_TIMER_INIT, 0);
	if (!lapic_timer_hz)
		panic("lapic: timer calibration failed");
	pr_info("lapic: timer %llu.%03llu MHz (bus clock / 16), tick %u Hz\n",
		(unsigned long long)(lapic_timer_hz / 1000000),
		(unsigned long long)(lapic_timer_hz / 1000 % 1000), LAPIC_TIMER_HZ);
}

uint64_t lapic_timer_measure_hz(unsigned ms)
{
	uint64_t flags = irq_save();
	wr(REG_LVT_TIMER, LVT_MASKED);
	wr(REG_TIMER_DIV, 0x3);
	wr(REG_TIMER_INIT, 0xffffffff);
	uint64_t hz = clock_calibrate_countdown(lapic_timer_current, ms) * 1000 / ms;
	lapic_timer_start();
	irq_restore(flags);
	return hz;
}

void lapic_timer_start(void)
{
	wr(REG_TIMER_DIV, 0x3);
	wr(REG_LVT_TIMER, VEC_LAPIC_TIMER | LVT_PERIODIC);
	wr(REG_TIMER_INIT, (uint32_t)(lapic_timer_hz / LAPIC_TIMER_HZ));
}

static bool wait_icr_idle(void)
{
	if (lapic_x2apic)
		return true; /* x2APIC has no delivery-status bit */
	for (int i = 0; i < 1000000; i++) {
		if (!(rd(REG_ICR_LO) & ICR_PENDING))
			return true;
		cpu_pause();
	}
	return false;
}

static void write_icr(uint32_t dest, uint32_t lo)
{
	if (lapic_x2apic) {
		wrmsr(0x830, ((uint64_t)dest << 32) | lo);
	} else {
		wr(REG_ICR_HI, dest << 24);
		wr(REG_ICR_LO, lo);
	}
}

bool lapic_send_ipi(uint32_t apic_id, enum ipi_kind kind, uint8_t vector)
{
	static const uint32_t modes[] = { 0u << 8, 4u << 8, 5u << 8, 6u << 8 };
	uint64_t flags = irq_save();
	write_icr(apic_id, modes[kind] | ICR_ASSERT | vector);
	bool ok = wait_icr_idle();
	irq_restore(flags);
	return ok;
}

bool lapic_send_ipi_all_but_self(uint8_t vector)
{
	uint64_t flags = irq_save();
	write_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | vector);
	bool ok = wait_icr_idle();
	irq_restore(flags);
	return ok;
}
