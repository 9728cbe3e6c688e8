/* IDT set-up and dispatch of every vector to its registered handler. */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/cpu.h"
#include "proc/process.h"

#include "arch/x86_64/gdt.h"
#include "debug/panic.h"
#include "irq/irq_internal.h"
#include "sched/sched.h"
#include "lib/compiler.h"

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "64-bit IDT gate is 16 bytes");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate (IF cleared on entry) */
#define GATE_DPL3      0x60

extern const uint64_t isr_stub_table[256];

static struct idt_entry idt[256] __aligned(16);
static trap_handler_t handlers[256];

static void set_gate(unsigned vec, uint64_t addr, uint8_t ist, uint8_t attr)
{
	idt[vec] = (struct idt_entry){
		.offset_lo = addr & 0xffff,
		.selector = GDT_KERNEL_CODE,
		.ist = ist,
		.type_attr = attr,
		.offset_mid = (addr >> 16) & 0xffff,
		.offset_hi = addr >> 32,
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, isr_stub_table[v], 0, GATE_INTERRUPT);
	/* Faults that may arrive on a broken stack get a known-good one. */
	set_gate(VEC_DOUBLE_FAULT, isr_stub_table[VEC_DOUBLE_FAULT], IST_DOUBLE_FAULT, GATE_INTERRUPT);
	set_gate(VEC_NMI, isr_stub_table[VEC_NMI], IST_NMI, GATE_INTERRUPT);
	set_gate(VEC_MACHINE_CHECK, isr_stub_table[VEC_MACHINE_CHECK], IST_MACHINE_CHECK, GATE_INTERRUPT);
	/* int3 may be used from user space (debuggers). */
	set_gate(VEC_BREAKPOINT, isr_stub_table[VEC_BREAKPOINT], 0, GATE_INTERRUPT | GATE_DPL3);

	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(ptr));
}

void trap_set_handler(unsigned vector, trap_handler_t fn)
{
	if (vector < 256)
		handlers[vector] = fn;
}

void trap_dispatch(struct trap_frame *tf)
{
	if (tf->vector >= VEC_FIRST_IRQ)
		irq_account((unsigned)tf->vector);
	trap_handler_t h = handlers[tf->vector & 0xff];
	if (h) {
		h(tf);
		if (tf->cs & 3) { /* back to user mode: signals, rescheduling */
			user_return_work(tf);
			irq_disable();
			return;
		}
		if (tf->vector >= VEC_FIRST_IRQ)
			sched_preempt_irq(); /* a more important thread may have become runnable */
		return;
	}
	if (tf->vector < VEC_FIRST_IRQ && user_exception(tf)) {
		user_return_work(tf);
		irq_disable();
		return;
	}
	if (tf->vector < VEC_FIRST_IRQ) {
		exception_report(tf);
		panic_from_trap(tf, "unhandled %s in kernel", exception_name((unsigned)tf->vector));
	}
	/* FIXME: spurious or unrouted interrupt; the interrupt controller issue counts these. */
}
