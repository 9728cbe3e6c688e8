/*
 * Bringing up the application processors (Intel SDM vol. 3, 9.4: INIT-SIPI-SIPI) and the
 * cross-CPU call mechanism that IPIs, TLB shootdown and the ktests use.
 */
#include "arch/x86_64/smp.h"

#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_defs.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "console/console.h"
#include "irq/irq_internal.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "proc/syscall.h"
#include "sched/sched.h"
#include "time/clock.h"

extern const char trampoline_start[], trampoline_end[];
extern const char tramp_cr3[], tramp_efer[], tramp_stack[], tramp_entry[], tramp_cpu[];

/* One pending cross-CPU call per target CPU. */
struct call_req {
	void (*fn)(void *);
	void *arg;
	volatile uint32_t done;
};
static struct call_req *volatile mailbox[MAX_CPUS];
static bool smp_ready;

static void *tramp_field(const char *sym)
{
	return (uint8_t *)phys_to_virt(TRAMPOLINE_PHYS) + (sym - trampoline_start);
}

void smp_poll(void)
{
	struct call_req *req = __atomic_exchange_n(&mailbox[cpu_id()], NULL, __ATOMIC_ACQ_REL);
	if (req) {
		req->fn(req->arg);
		__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	}
}

static void ipi_call(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	smp_poll();
}

/* Queues req for cpu (waiting while its mailbox is busy) and sends the IPI. */
static void post(unsigned cpu, struct call_req *req)
{
	struct call_req *expected = NULL;
	while (!__atomic_compare_exchange_n(&mailbox[cpu], &expected, req, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE)) {
		expected = NULL;
		smp_poll(); /* the target may be waiting on us */
		cpu_pause();
	}
	lapic_send_ipi(cpus[cpu].apic_id, IPI_FIXED, VEC_IPI_CALL);
}

static void wait_done(struct call_req *req)
{
	while (!__atomic_load_n(&req->done, __ATOMIC_ACQUIRE)) {
		smp_poll();
		cpu_pause();
	}
}

int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu >= MAX_CPUS || !cpus[cpu].online)
		return -EINVAL;
	if (cpu == cpu_id()) {
		fn(arg);
		return 0;
	}
	struct call_req req = { fn, arg, 0 };
	post(cpu, &req);
	wait_done(&req);
	return 0;
}

void smp_call_others(void (*fn)(void *), void *arg)
{
	smp_call_mask(~0ull, fn, arg);
}

void smp_call_mask(uint64_t mask, void (*fn)(void *), void *arg)
{
	static struct call_req reqs[MAX_CPUS]; /* one caller at a time: see others_lock */
	static spinlock_t others_lock = SPINLOCK_INIT;
	if (!__atomic_load_n(&smp_ready, __ATOMIC_ACQUIRE) || cpu_count < 2)
		return;
	/* Spin for the lock while servicing calls, so two CPUs calling each other cannot deadlock. */
	while (!spin_trylock(&others_lock)) {
		smp_poll();
		cpu_pause();
	}
	unsigned me = cpu_id();
	mask &= ~(1ull << me);
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		if (!(mask & (1ull << c)) || !cpus[c].online)
			continue;
		reqs[c] = (struct call_req){ fn, arg, 0 };
		post(c, &reqs[c]);
	}
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if ((mask & (1ull << c)) && cpus[c].online)
			wait_done(&reqs[c]);
	spin_unlock(&others_lock);
}

struct flush_range {
	vaddr_t va;
	size_t len;
};

static void flush_local(void *arg);
static void (*const flush_local_fn)(void *) = flush_local;

void smp_flush_tlb_mask(uint64_t mask, vaddr_t va, size_t len)
{
	struct flush_range r = { va, len };
	if (mask)
		smp_call_mask(mask, flush_local_fn, &r);
}

static void flush_local(void *arg)
{
	const struct flush_range *r = arg;
	if (r->len >= 64 * PAGE_SIZE) {
		uint64_t cr4 = read_cr4();
		write_cr4(cr4 & ~(1ull << 7)); /* toggling PGE flushes global entries too */
		write_cr4(cr4);
	} else {
		for (vaddr_t a = r->va; a < r->va + r->len; a += PAGE_SIZE)
			__asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
	}
}

static void shootdown(vaddr_t va, size_t len)
{
	struct flush_range r = { va, len };
	smp_call_others(flush_local, &r);
}

/* Topology from CPUID leaf 0xB (x2APIC ids), else leaf 1's logical-processor count. */
static void read_topology(struct cpu *c)
{
	uint32_t a, b, cx, d, max;
	cpuid(0, 0, &max, &b, &cx, &d);
	c->package = c->apic_id;
	c->core = 0;
	c->thread = 0;
	if (max < 0xb)
		return;
	unsigned smt_shift = 0, core_shift = 0;
	for (uint32_t level = 0; level < 8; level++) {
		cpuid(0xb, level, &a, &b, &cx, &d);
		unsigned type = (cx >> 8) & 0xff;
		if (type == 0)
			break;
		if (type == 1)
			smt_shift = a & 0x1f;
		else if (type == 2)
			core_shift = a & 0x1f;
	}
	if (core_shift == 0)
		core_shift = smt_shift;
	c->thread = c->apic_id & ((1u << smt_shift) - 1);
	c->core = (c->apic_id >> smt_shift) & ((1u << (core_shift - smt_shift)) - 1);
	c->package = c->apic_id >> core_shift;
}

__attribute__((noreturn)) void ap_entry(unsigned id);
__attribute__((noreturn)) void ap_entry(unsigned id)
{
	write_cr3(kernel_pml4);
	paging_init_ap();
	percpu_init(id);
	gdt_init_ap(id);
	idt_load();
	syscall_init_cpu();
	lapic_init_cpu();
	read_topology(&cpus[id]);
	lapic_timer_start();
	__atomic_store_n(&cpus[id].online, true, __ATOMIC_RELEASE);
	sched_start_ap(); /* this CPU's idle thread, from here on */
}

/* A page table for the switch to long mode: this page identity-mapped, the kernel half shared. */
static paddr_t build_trampoline_pml4(void)
{
	struct page *pg = pmm_alloc_pages(2, GFP_DMA32 | GFP_ZERO); /* PML4, PDPT, PD */
	if (!pg)
		return 0;
	paddr_t pml4 = page_to_phys(pg);
	uint64_t *t = phys_to_virt(pml4);
	uint64_t *pdpt = t + 512, *pd = t + 1024;
	t[0] = (pml4 + 0x1000) | PTE_P | PTE_W;
	pdpt[0] = (pml4 + 0x2000) | PTE_P | PTE_W;
	pd[0] = 0 | PTE_P | PTE_W | PTE_PS; /* the first 2 MiB */
	const uint64_t *k = phys_to_virt(kernel_pml4);
	for (int i = 256; i < 512; i++)
		t[i] = k[i];
	return pml4;
}

static bool wait_online(unsigned id, uint64_t us)
{
	uint64_t end = clock_monotonic_ns() + us * 1000;
	while (clock_monotonic_ns() < end) {
		if (__atomic_load_n(&cpus[id].online, __ATOMIC_ACQUIRE))
			return true;
		smp_poll();
		cpu_pause();
	}
	return __atomic_load_n(&cpus[id].online, __ATOMIC_ACQUIRE);
}

static bool start_ap(unsigned id, uint32_t apic_id)
{
	/* The stack first: the page table below copies the kernel's top level, which must
	 * already include the stack's mapping. */
	void *stack = vmalloc(AP_STACK_SIZE);
	paddr_t pml4 = stack ? build_trampoline_pml4() : 0;
	if (!pml4) {
		pr_warn("smp: no memory to start CPU with APIC id %u\n", apic_id);
		vfree(stack);
		return false;
	}
	cpus[id].apic_id = apic_id;
	cpus[id].kernel_stack = (uint64_t)stack + AP_STACK_SIZE;
	*(uint64_t *)tramp_field(tramp_cr3) = pml4;
	*(uint64_t *)tramp_field(tramp_stack) = cpus[id].kernel_stack;
	*(uint64_t *)tramp_field(tramp_entry) = (uint64_t)ap_entry;
	*(uint32_t *)tramp_field(tramp_efer) = (uint32_t)(rdmsr(MSR_EFER) & ((1u << 8) | EFER_NXE));
	*(uint32_t *)tramp_field(tramp_cpu) = id;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	lapic_send_ipi(apic_id, IPI_INIT, 0);
	clock_delay_us(10000);
	bool up = false;
	for (int attempt = 0; attempt < 2 && !up; attempt++) {
		lapic_send_ipi(apic_id, IPI_STARTUP, TRAMPOLINE_PHYS >> 12);
		up = wait_online(id, attempt == 0 ? 200000 : 2000000); /* generous: TCG is slow */
	}
	pmm_free_pages(phys_to_page(pml4), 2); /* once online, the AP runs on kernel_pml4 */
	if (!up) {
		pr_warn("smp: CPU with APIC id %u did not start; skipped\n", apic_id);
		vfree(stack);
	}
	return up;
}

void smp_init(void)
{
	trap_set_handler(VEC_IPI_CALL, ipi_call);
	irq_set_vector_name(VEC_IPI_CALL, "function call IPIs");
	irq_set_vector_name(VEC_LAPIC_TIMER, "local timer");
	struct cpu *bsp = &cpus[0];
	bsp->online = true;
	read_topology(bsp);
	tlb_shootdown_hook = shootdown;

	size_t enabled = 0;
	unsigned next = 1;
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, (size_t)(trampoline_end - trampoline_start));
	__atomic_store_n(&smp_ready, true, __ATOMIC_RELEASE);
	for (size_t i = 0; i < acpi.madt.cpu_count; i++) {
		const struct acpi_cpu *c = &acpi.madt.cpus[i];
		if (!c->enabled)
			continue;
		enabled++;
		if (c->apic_id == bsp->apic_id)
			continue;
		if (next >= MAX_CPUS) {
			pr_warn("smp: more than %u CPUs; APIC id %u ignored\n", MAX_CPUS, c->apic_id);
			continue;
		}
		if (start_ap(next, c->apic_id)) {
			next++;
			cpu_count = next;
		}
	}
	for (unsigned id = 0; id < cpu_count; id++)
		pr_info("smp: CPU %u: APIC id %u, package %u core %u thread %u\n", id, cpus[id].apic_id,
			cpus[id].package, cpus[id].core, cpus[id].thread);
	pr_info("smp: %u of %zu CPUs online\n", cpu_count, enabled ? enabled : (size_t)1);
}
