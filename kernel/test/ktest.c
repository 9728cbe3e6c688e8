/* The in-kernel test runner. */
#include "test/ktest.h"

#include <stdarg.h>

#include "arch/x86_64/qemu_exit.h"
#include "console/console.h"
#include "debug/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "time/timer.h"

extern const struct ktest __ktest_start[], __ktest_end[];

static bool failed;
static char reason[256];

void ktest_fail_at(const char *file, int line, const char *fmt, ...)
{
	if (failed)
		return;
	failed = true;
	int n = snprintf(reason, sizeof(reason), "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason + n, sizeof(reason) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Is name in the comma-separated list? */
static bool selected(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, name, n) == 0)
			return true;
		p += n + (end ? 1 : 0);
	}
	return false;
}

/*
 * A test still running after this long is hung: say which, show what every thread is doing,
 * and end the run, so that a hang leaves evidence instead of an external timeout.
 */
#define KTEST_HANG_NS (150ull * 1000000000ull)

static void on_hang(struct timer_event *ev, void *name)
{
	(void)ev;
	kprintf("ktest: FAIL %s: still running after %llu s; the threads:\n", (const char *)name,
		KTEST_HANG_NS / 1000000000ull);
	sched_dump_threads();
	qemu_exit(QEMU_EXIT_FAIL);
}

static void on_panic(void)
{
	kprintf("ktest: FAIL (kernel panic)\n");
	qemu_exit(QEMU_EXIT_PANIC);
}

__noreturn void ktest_run(const char *selection)
{
	/* "ktest" or "ktest=all": every automatic test; names add manual ones ("all,fault"). */
	bool all = selection[0] == '\0' || selected(selection, "all");
	unsigned pass = 0, fail = 0;

	panic_hook = on_panic;
	kprintf("ktest: running %s\n", all ? "all tests" : selection);
	for (const struct ktest *t = __ktest_start; t < __ktest_end; t++) {
		if (!selected(selection, t->name) && (!all || t->manual))
			continue;
		failed = false;
		struct timer_event watchdog = { 0 };
		timer_event_add(&watchdog, clock_monotonic_ns() + KTEST_HANG_NS, on_hang, (void *)t->name);
		t->fn();
		timer_event_cancel(&watchdog);
		if (failed) {
			kprintf("ktest: FAIL %s: %s\n", t->name, reason);
			fail++;
		} else {
			kprintf("ktest: PASS %s\n", t->name);
			pass++;
		}
	}
	kprintf("ktest: summary: %u passed, %u failed\n", pass, fail);
	qemu_exit(fail || pass == 0 ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}
