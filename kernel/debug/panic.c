/* panic(): the one way the kernel gives up. */
#include "debug/panic.h"

#include <stdarg.h>

#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/backtrace.h"
#include "lib/cmdline.h"
#include "time/clock.h"

void (*panic_hook)(void);
static bool in_panic;

/* panic=N, as Linux: 0 halts for ever (the default), N > 0 restarts after N seconds, N < 0 at once. */
static long panic_timeout;

static int param_panic(const char *val)
{
	if (!val)
		return -1;
	bool negative = *val == '-';
	const char *p = val + negative;
	long v = 0;
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 3600)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > 3600)
		return -1;
	panic_timeout = negative ? -v : v;
	return 0;
}
KPARAM("panic", param_panic);

static __noreturn void finish(void)
{
	pr_emerg("---[ end Kernel panic ]---\n");
	if (panic_hook)
		panic_hook();
	if (panic_timeout) {
		if (panic_timeout > 0) {
			pr_emerg("Rebooting in %ld seconds..\n", panic_timeout);
			for (long s = 0; s < panic_timeout; s++)
				clock_delay_us(1000000);
		}
		machine_restart();
	}
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
