/* Page faults and general protection faults in the kernel: fixups first, then a bug report. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/trap.h"
#include "debug/panic.h"
#include "lib/errno.h"

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

static void kernel_fault(struct trap_frame *tf)
{
	uint64_t fixup = (tf->cs & 3) ? 0 : extable_find(tf->rip);
	if (fixup) {
		last_fixup = (struct fixup_record){ tf->vector, tf->error_code,
						    tf->vector == VEC_PAGE_FAULT ? read_cr2() : 0 };
		tf->rip = fixup;
		return;
	}
	/* FIXME: faults from user mode become signals with the user-process issue. */
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
