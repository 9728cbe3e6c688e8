/* Page faults and general protection faults in the kernel: fixups first, then a bug report. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/trap.h"
#include "debug/panic.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "proc/process.h"

extern const struct extable_entry __extable_start[], __extable_end[];

struct fixup_record last_fixup;

uint64_t extable_find(uint64_t rip)
{
	/* A linear scan: the table is short, and only consulted when something faulted. */
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

/*
 * A page fault on a user address with a process's address space: demand paging, copy-on-write,
 * stack growth. True when resolved. Kernel-mode faults here come from the uaccess routines,
 * which run with interrupts on; with interrupts off (a bug) only the fixup applies.
 */
static bool user_page_fault(struct trap_frame *tf, uint64_t addr)
{
	struct process *p = current_process();
	if (!p || !p->mm)
		return false;
	if (addr >= USER_TOP) { /* kernel addresses are never the user's */
		if (!(tf->cs & 3))
			return false;
		force_signal(SIGSEGV, (tf->error_code & 1) ? SEGV_ACCERR : SEGV_MAPERR, addr);
		return true;
	}
	if (!(tf->cs & 3) && !(tf->rflags & 0x200))
		return false;
	irq_enable();
	bool write = tf->error_code & 2, exec = tf->error_code & 16;
	int r = mm_fault(p->mm, addr, write, exec);
	irq_disable();
	if (r == FAULT_OK)
		return true;
	if (tf->cs & 3) {
		if (r == FAULT_OOM)
			force_signal(SIGKILL, SI_KERNEL, addr);
		else if (r == FAULT_BUS)
			force_signal(SIGBUS, BUS_ADRERR, addr);
		else
			force_signal(SIGSEGV, r == FAULT_ACCESS ? SEGV_ACCERR : SEGV_MAPERR, addr);
		return true; /* delivered on the way back to user mode */
	}
	return false;
}

/* An exception in user mode becomes the signal Linux sends for it. */
bool user_exception(struct trap_frame *tf)
{
	if (!(tf->cs & 3) || !current_uthread())
		return false;
	switch (tf->vector) {
	case VEC_DIVIDE_ERROR: force_signal(SIGFPE, FPE_INTDIV, tf->rip); break;
	case VEC_DEBUG: case VEC_BREAKPOINT: force_signal(SIGTRAP, SI_KERNEL, tf->rip); break;
	case VEC_OVERFLOW: case VEC_BOUND: case VEC_GP: case VEC_SEGMENT_NP: case VEC_STACK_FAULT:
	case VEC_INVALID_TSS:
		force_signal(SIGSEGV, SI_KERNEL, 0);
		break;
	case VEC_INVALID_OPCODE: force_signal(SIGILL, ILL_ILLOPN, tf->rip); break;
	case VEC_X87: case VEC_SIMD: force_signal(SIGFPE, 0, tf->rip); break;
	case VEC_ALIGNMENT: force_signal(SIGBUS, 1, tf->rip); break;
	default: return false;
	}
	return true;
}

static void kernel_fault(struct trap_frame *tf)
{
	if (tf->vector == VEC_PAGE_FAULT && user_page_fault(tf, read_cr2()))
		return;
	if (user_exception(tf))
		return;
	if ((tf->cs & 3) && current_uthread()) { /* whatever it was, user mode never panics the kernel */
		force_signal(SIGSEGV, tf->vector == VEC_PAGE_FAULT ? SEGV_MAPERR : SI_KERNEL,
			     tf->vector == VEC_PAGE_FAULT ? read_cr2() : 0);
		return;
	}
	uint64_t fixup = (tf->cs & 3) ? 0 : extable_find(tf->rip);
	if (fixup) {
		last_fixup = (struct fixup_record){ tf->vector, tf->error_code,
						    tf->vector == VEC_PAGE_FAULT ? read_cr2() : 0 };
		tf->rip = fixup;
		return;
	}
	exception_report(tf);
	panic_from_trap(tf, "unhandled %s in %s mode", exception_name((unsigned)tf->vector),
			(tf->cs & 3) ? "user" : "kernel");
}

void fault_handlers_init(void)
{
	trap_set_handler(VEC_PAGE_FAULT, kernel_fault);
	trap_set_handler(VEC_GP, kernel_fault); /* non-canonical addresses fault with #GP */
}

int probe_read_u64(const void *addr, uint64_t *out)
{
	int err = 0;
	uint64_t v = 0;
	__asm__ volatile("1: movq (%2), %1\n\t"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl %3, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
			 : "+r"(err), "+r"(v)
			 : "r"(addr), "i"(-EFAULT)
			 : "memory");
	if (!err)
		*out = v;
	return err;
}

int probe_write_u64(void *addr, uint64_t value)
{
	int err = 0;
	__asm__ volatile("1: movq %1, (%2)\n\t"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl %3, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
			 : "+r"(err)
			 : "r"(value), "r"(addr), "i"(-EFAULT)
			 : "memory");
	return err;
}
