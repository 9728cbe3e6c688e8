/*
 * Appending text to a fixed buffer, snprintf-style: len counts everything, even what did not
 * fit, so a generator (a /proc file) can be run again with a buffer of that size. The text
 * stays NUL-terminated within size after sb_done.
 */
#pragma once

#include "lib/compiler.h"
#include "lib/types.h"

struct sbuf {
	char *buf;
	size_t size, len;
};
#define SB(b, sz) { .buf = (b), .size = (sz), .len = 0 }

void __printf(2, 3) sb_printf(struct sbuf *s, const char *fmt, ...);
/* Raw bytes (NULs included, as in /proc/PID/cmdline). */
void sb_putmem(struct sbuf *s, const void *data, size_t len);
/* Spaces until the text since offset start (a line's beginning) is width long; nothing if it
 * already is (Linux's seq_pad). */
void sb_pad(struct sbuf *s, size_t start, size_t width);
/* One line padded with spaces to width, then '\n', as /proc/net/{route,udp,tcp} print theirs
 * (Linux's seq_setwidth/seq_pad); a longer line is kept whole. */
void __printf(3, 4) sb_printf_line(struct sbuf *s, size_t width, const char *fmt, ...);
/* NUL-terminates (when size > 0) and returns the full length. */
size_t sb_done(struct sbuf *s);
