/* Fatal errors: print why, the registers and a backtrace, then stop. */
#pragma once

#include "lib/compiler.h"

struct trap_frame;

__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* Like panic, from an exception handler that already reported the frame. */
__noreturn void panic_from_trap(const struct trap_frame *tf, const char *fmt, ...) __printf(2, 3);

/* Called with the panic message once it is printed (the ktest runner ends QEMU here). */
extern void (*panic_hook)(void);

#define BUG_ON(cond)                                                              \
	do {                                                                      \
		if (unlikely(cond))                                               \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);  \
	} while (0)
