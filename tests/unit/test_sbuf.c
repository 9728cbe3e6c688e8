// unit-deps: kernel/lib/sbuf.c kernel/lib/printf.c kernel/lib/string.c
/*
 * Host tests for the text buffer behind /proc's generated files (kernel/lib/sbuf.c): it counts
 * what did not fit, stays NUL-terminated, and pads lines as /proc/net/{route,udp,tcp} need
 * ("%-127s\n" in Linux's seq_file terms).
 */
#include "unit.h"

/* Host helpers: defined before host_prefix.h renames the libc names to the kernel's. */
static int host_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
static size_t host_strlen(const char *s) { return strlen(s); }

#include "host_prefix.h"

#include "lib/sbuf.h"

TEST(counts_what_does_not_fit)
{
	char buf[8];
	struct sbuf s = SB(buf, sizeof(buf));
	sb_printf(&s, "%s", "0123456789");
	sb_printf(&s, "%d", 42);
	CHECK_INT(sb_done(&s), 12);
	CHECK(host_memcmp(buf, "0123456", 8) == 0);

	struct sbuf z = SB(NULL, 0); /* counting only: nothing is written */
	sb_printf(&z, "%s", "abc");
	sb_putmem(&z, "de", 2);
	sb_printf_line(&z, 10, "x");
	CHECK_INT(sb_done(&z), 5 + 11);
}

TEST(exact_fit_and_raw_bytes)
{
	char buf[4];
	struct sbuf s = SB(buf, sizeof(buf));
	sb_printf(&s, "abc");
	CHECK_INT(sb_done(&s), 3);
	CHECK(host_memcmp(buf, "abc", 4) == 0);

	char big[16];
	struct sbuf t = SB(big, sizeof(big));
	sb_putmem(&t, "a\0b\0", 4);
	sb_printf(&t, "x");
	CHECK_INT(sb_done(&t), 5);
	CHECK(host_memcmp(big, "a\0b\0x\0", 6) == 0);
}

TEST(padded_lines)
{
	char buf[64];
	struct sbuf s = SB(buf, sizeof(buf));
	sb_printf_line(&s, 8, "ab%d", 1);
	sb_printf_line(&s, 4, "longer than four"); /* kept whole, as "%-4s" would */
	sb_printf_line(&s, 3, "%s", "");
	CHECK_INT(sb_done(&s), 9 + 17 + 4);
	CHECK(host_memcmp(buf, "ab1     \nlonger than four\n   \n", 31) == 0);

	/* Padding wider than the spaces sb_pad copies at a time, and from a line's middle. */
	char wide[200];
	struct sbuf w = SB(wide, sizeof(wide));
	sb_printf(&w, "x\n");
	size_t line = w.len;
	sb_printf(&w, "abc");
	sb_pad(&w, line, 100);
	sb_pad(&w, line, 50); /* already wider: nothing */
	CHECK_INT(sb_done(&w), 102);
	CHECK_INT(host_strlen(wide), 102);
	CHECK(wide[101] == ' ' && wide[5] == ' ' && wide[4] == 'c');
}

TEST(padded_line_truncated)
{
	char buf[10];
	struct sbuf s = SB(buf, sizeof(buf));
	sb_printf_line(&s, 127, "%s", "route");
	CHECK_INT(sb_done(&s), 128); /* the caller learns the size a full text needs */
	CHECK(host_memcmp(buf, "route    ", 10) == 0);
}
