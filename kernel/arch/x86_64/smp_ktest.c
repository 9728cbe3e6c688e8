/* ktests for interrupts across CPUs: ticks, IPIs, cross-CPU calls, TLB shootdown, timer events. */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "console/console.h"
#include "irq/irq_internal.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "test/ktest.h"
#include "time/clock.h"
#include "time/timer.h"

/* Waits with interrupts on, so this CPU keeps ticking and answering IPIs. */
static void sleep_ms(unsigned ms)
{
	irq_enable();
	clock_delay_us(ms * 1000ull);
}

KTEST(smp_all_cpus_online)
{
	size_t enabled = 0;
	for (size_t i = 0; i < acpi.madt.cpu_count; i++)
		enabled += acpi.madt.cpus[i].enabled;
	if (irq_mode != IRQ_MODE_APIC)
		enabled = 1; /* acpi=off / noapic: one CPU on the PIC */
	KT_ASSERT_EQ(cpu_count, enabled ? enabled : 1);
	for (unsigned c = 0; c < cpu_count; c++)
		KT_ASSERT(cpus[c].online);
	kprintf("ktest: smp_all_cpus_online: %u CPUs\n", cpu_count);
}

/*
 * Every CPU takes interrupts from its own timer. (The rate is checked against the reference by
 * lapic_timer_rate_matches_reference; counting delivered ticks against wall time would measure
 * the emulator's scheduling, since TCG drops periodic ticks while a vCPU thread waits for a core.)
 */
KTEST(smp_every_cpu_ticks)
{
	uint64_t before[MAX_CPUS];
	for (unsigned c = 0; c < cpu_count; c++)
		before[c] = __atomic_load_n(&cpus[c].ticks, __ATOMIC_RELAXED);
	irq_enable();
	uint64_t start = clock_monotonic_ns(), deadline = start + 5000000000ull;
	for (unsigned c = 0; c < cpu_count; c++) {
		while (__atomic_load_n(&cpus[c].ticks, __ATOMIC_RELAXED) - before[c] < 10) {
			if (clock_monotonic_ns() > deadline) {
				ktest_fail_at(__FILE__, __LINE__, "CPU %u took %llu ticks in 5 s", c,
					      (unsigned long long)(cpus[c].ticks - before[c]));
				return;
			}
			cpu_pause();
		}
	}
	kprintf("ktest: smp_every_cpu_ticks: %u CPUs each took 10 ticks within %llu ms\n", cpu_count,
		(unsigned long long)((clock_monotonic_ns() - start) / 1000000));
}

/* The LAPIC timer's rate, measured again against the reference clock, matches the calibration. */
KTEST(lapic_timer_rate_matches_reference)
{
	if (irq_mode != IRQ_MODE_APIC) {
		kprintf("ktest: lapic_timer_rate_matches_reference: no local APIC in use\n");
		return;
	}
	uint64_t hz = lapic_timer_measure_hz(100);
	kprintf("ktest: lapic_timer_rate_matches_reference: %llu Hz now, %llu Hz calibrated\n",
		(unsigned long long)hz, (unsigned long long)lapic_timer_hz);
	KT_ASSERT(hz * 100 >= lapic_timer_hz * 98 && hz * 100 <= lapic_timer_hz * 102);
}

static volatile uint64_t pings[MAX_CPUS];

static void ping_handler(struct trap_frame *tf)
{
	(void)tf;
	__atomic_fetch_add(&pings[cpu_id()], 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

struct ping_job {
	unsigned target;
	bool ok;
};

/* Runs on the sending CPU: ping the target and wait (bounded) for it to take the interrupt. */
static void ping_from_here(void *arg)
{
	struct ping_job *job = arg;
	uint64_t seen = __atomic_load_n(&pings[job->target], __ATOMIC_ACQUIRE);
	lapic_send_ipi(cpus[job->target].apic_id, IPI_FIXED, VEC_IPI_PING);
	uint64_t deadline = clock_monotonic_ns() + 2000000000ull;
	while (__atomic_load_n(&pings[job->target], __ATOMIC_ACQUIRE) == seen) {
		if (clock_monotonic_ns() > deadline)
			return;
		smp_poll(); /* the target may be the CPU that asked us */
		cpu_pause();
	}
	job->ok = true;
}

KTEST(smp_ipi_every_pair)
{
	trap_set_handler(VEC_IPI_PING, ping_handler);
	irq_enable();
	unsigned pairs = 0;
	for (unsigned from = 0; from < cpu_count; from++) {
		for (unsigned to = 0; to < cpu_count; to++) {
			if (from == to)
				continue;
			struct ping_job job = { to, false };
			KT_ASSERT_EQ(smp_call_on(from, ping_from_here, &job), 0);
			if (!job.ok)
				ktest_fail_at(__FILE__, __LINE__, "IPI from CPU %u to CPU %u never arrived", from, to);
			KT_ASSERT(job.ok);
			pairs++;
		}
	}
	kprintf("ktest: smp_ipi_every_pair: %u round trips\n", pairs);
}

static void record_cpu(void *arg)
{
	*(volatile unsigned *)arg = cpu_id();
}

KTEST(smp_call_runs_on_target)
{
	irq_enable();
	for (unsigned c = 0; c < cpu_count; c++) {
		volatile unsigned ran_on = ~0u;
		KT_ASSERT_EQ(smp_call_on(c, record_cpu, (void *)&ran_on), 0);
		KT_ASSERT_EQ(ran_on, c);
	}
}

#define SHOOT_VA (VMALLOC_END - 0x20000000ull)
static volatile uint64_t seen_value[MAX_CPUS];

static void read_scratch(void *arg)
{
	(void)arg;
	seen_value[cpu_id()] = *(volatile uint64_t *)SHOOT_VA;
}

KTEST(tlb_shootdown)
{
	irq_enable();
	struct page *a = pmm_alloc_pages(0, GFP_ZERO), *b = pmm_alloc_pages(0, GFP_ZERO);
	KT_ASSERT(a && b);
	*(uint64_t *)page_to_virt(a) = 0xaaaa;
	*(uint64_t *)page_to_virt(b) = 0xbbbb;
	KT_ASSERT_EQ(vmm_map(kernel_pml4, SHOOT_VA, page_to_phys(a), PAGE_SIZE, VM_WRITE), 0);
	for (unsigned c = 0; c < cpu_count; c++) { /* every CPU caches the translation */
		smp_call_on(c, read_scratch, NULL);
		KT_ASSERT_EQ(seen_value[c], 0xaaaa);
	}
	/* Remapping to b must reach every CPU's TLB. */
	KT_ASSERT_EQ(vmm_map(kernel_pml4, SHOOT_VA, page_to_phys(b), PAGE_SIZE, VM_WRITE), 0);
	for (unsigned c = 0; c < cpu_count; c++) {
		smp_call_on(c, read_scratch, NULL);
		KT_ASSERT_EQ(seen_value[c], 0xbbbb);
	}
	vmm_unmap(kernel_pml4, SHOOT_VA, PAGE_SIZE);
	pmm_free_pages(a, 0);
	pmm_free_pages(b, 0);
}

static volatile uint64_t fired_at;
static void on_timer(struct timer_event *t, void *ctx)
{
	(void)t;
	(void)ctx;
	fired_at = clock_monotonic_ns();
}

KTEST(timer_event_fires_and_cancels)
{
	static struct timer_event t, never;
	irq_enable();
	fired_at = 0;
	uint64_t start = clock_monotonic_ns();
	timer_event_add(&t, start + 30000000ull, on_timer, NULL);
	timer_event_add(&never, start + 20000000ull, on_timer, NULL);
	KT_ASSERT(timer_event_cancel(&never));
	sleep_ms(100);
	for (int i = 0; i < 50 && !fired_at; i++)
		sleep_ms(10);
	KT_ASSERT(fired_at != 0);
	KT_ASSERT(fired_at >= start + 30000000ull);
	/* Never early; late only by tick granularity plus however long the emulator kept this
	 * vCPU from running (ms under TCG on a busy host), so the upper bound is loose. */
	KT_ASSERT(fired_at - start < 30000000ull + 500000000ull);
	KT_ASSERT(!timer_event_cancel(&t));
	kprintf("ktest: timer_event_fires_and_cancels: fired %llu us after arming (deadline 30000 us)\n",
		(unsigned long long)((fired_at - start) / 1000));
}
