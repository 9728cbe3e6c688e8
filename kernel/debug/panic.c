/* panic(): the one way the kernel gives up. */
#include "debug/panic.h"

#include <stdarg.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/backtrace.h"

void (*panic_hook)(void);
static bool in_panic;

static __noreturn void finish(void)
{
	pr_emerg("---[ end Kernel panic ]---\n");
	if (panic_hook)
		panic_hook();
	cpu_halt_forever();
}

static void print_message(const char *fmt, va_list ap)
{
	pr_emerg("\nKernel panic: ");
	vklog(LOG_EMERG, fmt, ap);
	pr_emerg("\n");
}

__noreturn void panic(const char *fmt, ...)
{
	irq_disable();
	if (in_panic) /* a panic while panicking: say nothing more */
		cpu_halt_forever();
	in_panic = true;

	va_list ap;
	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);

	/* Capture where we are so the report looks like an exception's. */
	struct trap_frame tf = { 0 };
	__asm__ volatile("movq %%rbp, %0" : "=r"(tf.rbp));
	__asm__ volatile("leaq 0(%%rip), %0" : "=r"(tf.rip));
	__asm__ volatile("movq %%rsp, %0" : "=r"(tf.rsp));
	regs_dump(&tf);
	backtrace_print(tf.rip, tf.rbp);
	finish();
}

__noreturn void panic_from_trap(const struct trap_frame *tf, const char *fmt, ...)
{
	(void)tf;
	irq_disable();
	if (in_panic)
		cpu_halt_forever();
	in_panic = true;

	va_list ap;
	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	finish();
}
