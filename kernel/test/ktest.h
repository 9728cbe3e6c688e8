/*
 * In-kernel tests. KTEST(name) registers a test in the .ktest section; with "ktest" on the
 * command line the kernel runs them all after boot, prints one line each
 *   ktest: PASS name            ktest: FAIL name: why
 * and a summary, then ends QEMU through isa-debug-exit. "ktest=a,b" runs only the named tests,
 * "ktest=all,a" every automatic test plus a; tests marked KTEST_MANUAL (ones that crash on
 * purpose, long measurements) run only when named.
 */
#pragma once

#include "lib/compiler.h"
#include "lib/types.h"

struct ktest {
	const char *name;
	void (*fn)(void);
	bool manual;
};

#define KTEST_DEFINE(tname, is_manual)                                                       \
	static void ktest_fn_##tname(void);                                                 \
	static const struct ktest __ktest_##tname __attribute__((used, section(".ktest"),   \
								   aligned(8))) = {         \
		#tname, ktest_fn_##tname, is_manual                                         \
	};                                                                                  \
	static void ktest_fn_##tname(void)

#define KTEST(name)        KTEST_DEFINE(name, false)
#define KTEST_MANUAL(name) KTEST_DEFINE(name, true)

/* Records a failure of the running test (the first reason is kept) and returns from it. */
void ktest_fail_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);

#define KT_ASSERT(cond)                                                           \
	do {                                                                      \
		if (!(cond)) {                                                    \
			ktest_fail_at(__FILE__, __LINE__, "assertion %s", #cond);  \
			return;                                                   \
		}                                                                 \
	} while (0)

#define KT_ASSERT_EQ(a, b)                                                                   \
	do {                                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);                          \
		if (a_ != b_) {                                                              \
			ktest_fail_at(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); \
			return;                                                              \
		}                                                                            \
	} while (0)

/* Runs the tests selected by the command line's ktest option and exits QEMU. Never returns. */
__noreturn void ktest_run(const char *selection);

/* Set by a subsystem with state worth seeing when a test hangs (printed after the threads). */
extern void (*ktest_hang_dump)(void);
