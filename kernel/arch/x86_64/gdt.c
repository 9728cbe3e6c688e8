/* GDT with flat 64-bit segments and a TSS whose IST stacks catch double faults and NMIs. */
#include "arch/x86_64/gdt.h"

#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "mm/vmm.h"
#include "lib/compiler.h"
#include "lib/string.h"

#define IST_STACK_SIZE 8192

/* Access byte and flag bits (Intel SDM vol. 3, 3.4.5). */
#define SEG_PRESENT (1ull << 47)
#define SEG_DPL3    (3ull << 45)
#define SEG_S       (1ull << 44) /* code/data, not system */
#define SEG_CODE    (1ull << 43)
#define SEG_RW      (1ull << 41)
#define SEG_LONG    (1ull << 53)
#define SEG_DB      (1ull << 54)
#define SEG_GRAN    (1ull << 55)
#define SEG_LIMIT   0x000f00000000ffffull

/* Each CPU has its own GDT (its TSS descriptor differs) and TSS. */
struct cpu_tables {
	uint64_t gdt[7];
	struct tss tss;
} __aligned(16);
static struct cpu_tables tables[MAX_CPUS];
/* Each IST stack sits above an unmapped guard page. */
struct guarded_stack {
	uint8_t guard[4096];
	uint8_t stack[IST_STACK_SIZE];
};
static struct guarded_stack ist_stacks[3] __aligned(4096);
KERNEL_GUARD_PAGE(ist_stacks[0].guard);
KERNEL_GUARD_PAGE(ist_stacks[1].guard);
KERNEL_GUARD_PAGE(ist_stacks[2].guard);

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void load_gdt(const uint64_t *gdt, size_t size)
{
	struct gdt_ptr ptr = { size - 1, (uint64_t)gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		/* FS and GS are left alone: loading a selector would zero the per-CPU GS base. */
		:
		: "m"(ptr), "i"(GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA)
		: "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"((uint16_t)GDT_TSS));
}

static void build(struct cpu_tables *t, const uint64_t ist_tops[3])
{
	const uint64_t code = SEG_PRESENT | SEG_S | SEG_CODE | SEG_RW | SEG_LONG | SEG_GRAN | SEG_LIMIT;
	const uint64_t data = SEG_PRESENT | SEG_S | SEG_RW | SEG_DB | SEG_GRAN | SEG_LIMIT;
	uint64_t *gdt = t->gdt;

	gdt[0] = 0;
	gdt[1] = code;
	gdt[2] = data;
	gdt[3] = data | SEG_DPL3;
	gdt[4] = code | SEG_DPL3;

	memset(&t->tss, 0, sizeof(t->tss));
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = ist_tops[i];
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */

	/* A 16-byte system descriptor: type 9 = available 64-bit TSS. */
	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (9ull << 40) | SEG_PRESENT |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;

	load_gdt(gdt, sizeof(t->gdt));
}

void gdt_init(void)
{
	uint64_t tops[3];
	for (int i = 0; i < 3; i++)
		tops[i] = (uint64_t)&ist_stacks[i].stack[IST_STACK_SIZE];
	build(&tables[0], tops);
}

int gdt_init_ap(unsigned id)
{
	/* vmalloc areas are followed by a guard page; a page below is never mapped either. */
	uint64_t tops[3];
	for (int i = 0; i < 3; i++) {
		uint8_t *stack = vmalloc(IST_STACK_SIZE);
		if (!stack)
			return -1;
		tops[i] = (uint64_t)stack + IST_STACK_SIZE;
	}
	build(&tables[id], tops);
	return 0;
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	tables[cpu_id()].tss.rsp[0] = rsp0;
}
