/* Formatted output into a buffer: the engine behind kprintf. */
#pragma once

#include <stdarg.h>

#include "lib/compiler.h"
#include "lib/types.h"

/*
 * Supports %d %i %u %x %X %o %p %s %c %%, the length modifiers hh h l ll z j t,
 * flags '-' '0' ' ' '+' '#', a field width and a precision (both may be '*').
 * Like C99: returns the length the full output would have had; writes at most size-1
 * characters plus a terminating NUL when size > 0.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
