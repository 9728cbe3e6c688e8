/*
 * Console output and the kernel log. Every message goes into the log ring; messages whose level
 * is below the console log level (loglevel=, default 7 = everything but debug) go to every
 * registered console (serial, framebuffer, VGA text).
 */
#pragma once

#include <stdarg.h>

#include "lib/compiler.h"
#include "lib/types.h"

enum log_level {
	LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};

struct console {
	const char *name;
	void (*write)(struct console *con, const char *s, size_t n);
	unsigned rows, cols;        /* text cells of a screen console (0: not a screen) */
	struct console *next;
};

void console_register(struct console *con);
void console_unregister(struct console *con);
/* The registered console called name, or NULL (the TTY layer writes to a screen through it). */
struct console *console_find(const char *name);
/* Writes to one console under the console lock (the TTY layer's screen output). */
void console_write_one(struct console *con, const char *s, size_t n);
/* Writes to every console, bypassing the log and the lock (panic paths). */
void console_write(const char *s, size_t n);

void klog(int level, const char *fmt, ...) __printf(2, 3);
void vklog(int level, const char *fmt, va_list ap);
/* kprintf logs at LOG_INFO; partial lines are joined until the newline. */
void kprintf(const char *fmt, ...) __printf(1, 2);

#define pr_emerg(...)  klog(LOG_EMERG, __VA_ARGS__)
#define pr_err(...)    klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   klog(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) klog(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  klog(LOG_DEBUG, __VA_ARGS__)

extern int console_loglevel;

/* A clock for log timestamps (ns since boot); until one is set, timestamps are not printed. */
void klog_set_clock(uint64_t (*now_ns)(void));

struct klog_ring;
const struct klog_ring *klog_ring(void);
