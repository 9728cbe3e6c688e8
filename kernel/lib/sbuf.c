/* Text buffers that count what did not fit (lib/sbuf.h); pure, host-tested in tests/unit/test_sbuf.c. */
#include "lib/sbuf.h"

#include <stdarg.h>

#include "lib/printf.h"
#include "lib/string.h"

static void sb_vprintf(struct sbuf *s, const char *fmt, va_list ap)
{
	size_t room = s->len < s->size ? s->size - s->len : 0;
	int n = vsnprintf(room ? s->buf + s->len : NULL, room, fmt, ap);
	if (n > 0)
		s->len += (size_t)n;
}

void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(s, fmt, ap);
	va_end(ap);
}

void sb_putmem(struct sbuf *s, const void *data, size_t len)
{
	if (s->len < s->size) {
		size_t room = s->size - s->len;
		memcpy(s->buf + s->len, data, len < room ? len : room);
	}
	s->len += len;
}

void sb_pad(struct sbuf *s, size_t start, size_t width)
{
	static const char spaces[32] = "                                ";
	while (s->len - start < width) {
		size_t n = width - (s->len - start);
		sb_putmem(s, spaces, n < sizeof(spaces) ? n : sizeof(spaces));
	}
}

void sb_printf_line(struct sbuf *s, size_t width, const char *fmt, ...)
{
	size_t start = s->len;
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(s, fmt, ap);
	va_end(ap);
	sb_pad(s, start, width);
	sb_putmem(s, "\n", 1);
}

size_t sb_done(struct sbuf *s)
{
	if (s->size)
		s->buf[s->len < s->size ? s->len : s->size - 1] = '\0';
	return s->len;
}
