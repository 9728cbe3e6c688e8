// unit-deps: kernel/lib/printf.c kernel/lib/string.c
/*
 * Host tests for kernel/lib/printf.c. glibc's vsnprintf is the oracle: every combination of
 * flags, width, precision, length modifier and conversion the kernel documents is formatted by
 * both and compared, including the return value and truncation to every buffer size.
 * Only combinations that C leaves undefined (and glibc resolves its own way) are left out.
 */
#include "unit.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>

/* Host oracles: defined before host_prefix.h renames the libc names to the kernel's. */
static int host_vsnprintf(char *b, size_t n, const char *fmt, va_list ap)
{
	return vsnprintf(b, n, fmt, ap);
}
static int host_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
static void *host_memset(void *d, int c, size_t n) { return memset(d, c, n); }
static int host_strcmp(const char *a, const char *b) { return strcmp(a, b); }
/* Builds the format strings under test, so that a kernel bug cannot hide in them. */
__attribute__((format(printf, 3, 4))) static void host_fmt(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, n, fmt, ap);
	va_end(ap);
}

#include "host_prefix.h"

#include "lib/printf.h"

#define BUF   600
#define GUARD 0x5a

/* A CHECK_STR that does not go through the kernel's own strcmp. */
#define CHECK_HSTR(a, b)                                                                        \
	do {                                                                                    \
		const char *sa_ = (a), *sb_ = (b);                                              \
		if (host_strcmp(sa_, sb_) != 0) {                                               \
			unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, sa_, sb_); \
			return;                                                                 \
		}                                                                               \
	} while (0)

/*
 * Formats with the kernel and with glibc into a full buffer and into one cut in the middle (or
 * every size, when asked); on the first difference records a failure naming the format and
 * returns false.
 */
static bool vsame(const char *file, int line, bool every_size, const char *fmt, va_list ap)
{
	char want[BUF], got[BUF + 16];
	va_list a1, a2;

	va_copy(a1, ap);
	int wn = host_vsnprintf(want, sizeof(want), fmt, a1);
	va_end(a1);
	if (wn < 0 || wn >= BUF) {
		unit_fail(file, line, "test bug: \"%s\" too long for the oracle buffer", fmt);
		return false;
	}

	size_t sizes[BUF + 4], nsizes = 0;
	if (every_size) {
		for (size_t s = 0; s <= (size_t)wn + 2; s++)
			sizes[nsizes++] = s;
	} else {
		sizes[nsizes++] = BUF;
		sizes[nsizes++] = (size_t)wn / 2 + 1;
	}
	for (size_t i = 0; i < nsizes; i++) {
		size_t size = sizes[i];
		host_memset(got, GUARD, sizeof(got));
		va_copy(a2, ap);
		int gn = vsnprintf(size ? got : NULL, size, fmt, a2);
		va_end(a2);
		if (gn != wn) {
			unit_fail(file, line, "\"%s\" size %zu: returned %d, expected %d (\"%s\")", fmt, size,
				  gn, wn, want);
			return false;
		}
		if (size == 0) {
			for (size_t k = 0; k < sizeof(got); k++)
				if ((uint8_t)got[k] != GUARD) {
					unit_fail(file, line, "\"%s\" size 0 wrote to the buffer", fmt);
					return false;
				}
			continue;
		}
		size_t n = (size_t)wn < size - 1 ? (size_t)wn : size - 1;
		/* Compare bytes, not strings: %c may legitimately produce a NUL. */
		if (host_memcmp(got, want, n) != 0 || got[n] != '\0') {
			got[n < BUF ? n : BUF - 1] = '\0';
			unit_fail(file, line, "\"%s\" size %zu: got \"%s\", expected \"%.*s\"", fmt, size, got,
				  (int)n, want);
			return false;
		}
		for (size_t k = size; k < sizeof(got); k++)
			if ((uint8_t)got[k] != GUARD) {
				unit_fail(file, line, "\"%s\" size %zu: wrote byte %zu, past the buffer", fmt,
					  size, k);
				return false;
			}
	}
	return true;
}

static bool same_at(const char *file, int line, bool every_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = vsame(file, line, every_size, fmt, ap);
	va_end(ap);
	return ok;
}

/* Compares the kernel with glibc for one format and its arguments; stops the case on a difference. */
#define SAME(...)                                                       \
	do {                                                            \
		if (!same_at(__FILE__, __LINE__, false, __VA_ARGS__))   \
			return;                                         \
	} while (0)
/* Likewise, and truncates to every size from 0 to the full length + 2. */
#define SAME_ALL_SIZES(...)                                             \
	do {                                                            \
		if (!same_at(__FILE__, __LINE__, true, __VA_ARGS__))    \
			return;                                         \
	} while (0)

/* Expects the kernel to produce exactly `want` (for behaviour glibc does not define for us). */
#define EXPECT(want, ...)                                                       \
	do {                                                                    \
		char b_[BUF];                                                   \
		int n_ = snprintf(b_, sizeof(b_), __VA_ARGS__);                 \
		CHECK_HSTR(b_, want);                                           \
		CHECK_INT(n_, (int)sizeof(want) - 1);                           \
	} while (0)

TEST(literal_text_and_percent)
{
	SAME_ALL_SIZES("%s", "");
	SAME_ALL_SIZES("plain text, no conversions");
	SAME_ALL_SIZES("100%% sure %%%% %%d");
	SAME_ALL_SIZES("pid %d: %s (%#x) %c%%\n", 42, "init", 0xbeef, '!');
}

/* Checks below deliberately pass what GCC's format checker warns about (NULL for %s, ...). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

TEST(explicit_edge_values)
{
	EXPECT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	EXPECT("9223372036854775807", "%ld", (long)INT64_MAX);
	EXPECT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	EXPECT("-2147483648", "%d", INT_MIN);
	EXPECT("ffffffffffffffff", "%zx", (size_t)-1);
	EXPECT("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
	EXPECT("", "%.0d", 0);
	EXPECT("     ", "%5.0u", 0u);
	EXPECT("+", "%+.0d", 0);
	EXPECT("", "%#.0x", 0u);
	EXPECT("0", "%#.0o", 0u);
	EXPECT("00010", "%#.5o", 8u);
	EXPECT("010", "%#o", 8u);
	EXPECT("0x00ff", "%#06x", 255u);
	EXPECT("   -42|", "%*d|", 6, -42);
	EXPECT("-42   |", "%*d|", -6, -42);
	EXPECT("42", "%.*d", -4, 42);
	EXPECT("0042", "%.*d", 4, 42);
	EXPECT("(nil)", "%p", (void *)0);
	EXPECT("0x1234", "%p", (void *)0x1234);
	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("-1 255 -1 65535", "%hhd %hhu %hd %hu", 255, 255, 65535, 65535);
}

#pragma GCC diagnostic pop

static const char *const int_flags[] = { "", "-", "0", " ", "+", "#", "-0", "- ", "-+", "-#", "0 ",
					  "0+", "0#", " +", " #", "+#", "-0 ", "-0+", "-0#", "- +",
					  "- #", "-+#", "0 +", "0 #", "0+#", " +#", "-0 +", "-0 #",
					  "-0+#", "- +#", "0 +#", "-0 +#" };
_Static_assert(sizeof(int_flags) / sizeof(int_flags[0]) == 32, "every subset of the five flags");

/* Widths and precisions; "*" entries take their value from the matching star array. */
static const char *const widths[] = { "", "1", "6", "23", "*", "*", "*" };
static const int width_star[] = { 0, 0, 0, 0, -9, 0, 9 };
static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".22", ".*", ".*", ".*" };
static const int prec_star[] = { 0, 0, 0, 0, 0, 0, -3, 0, 5 };
#define NW (sizeof(widths) / sizeof(widths[0]))
#define NP (sizeof(precs) / sizeof(precs[0]))

/* Calls SAME with the '*' arguments the format needs ahead of the value. */
#define SAME_STARS(fmt, ws, w, ps, p, v)                                       \
	do {                                                                   \
		if ((ws) && (ps))                                              \
			SAME(fmt, w, p, v);                                    \
		else if (ws)                                                   \
			SAME(fmt, w, v);                                       \
		else if (ps)                                                   \
			SAME(fmt, p, v);                                       \
		else                                                           \
			SAME(fmt, v);                                          \
	} while (0)

static const long long int_values[] = {
	0, 1, -1, 7, 8, 10, 15, 16, 99, 127, 128, 255, 256, -128, -129, 32767, 32768, -32768, -32769,
	65535, 65536, INT32_MAX, INT32_MIN, UINT32_MAX, 0x100000000LL, 01234567012345670LL,
	INT64_MAX, INT64_MIN, (long long)0xdeadbeefcafebabeULL,
};

static void fmt_number(const char *flags, size_t wi, size_t pi, const char *len, char conv, long long v)
{
	char fmt[32];
	int ws = widths[wi][0] == '*', ps = precs[pi][0] && precs[pi][1] == '*';
	int w = width_star[wi], p = prec_star[pi];
	host_fmt(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", flags, widths[wi], precs[pi], len, conv);

	/* Pass the argument with the type the length modifier reads. */
	if (!len[0] || len[0] == 'h') {
		SAME_STARS(fmt, ws, w, ps, p, (int)v);
	} else if (!host_strcmp(len, "l")) {
		SAME_STARS(fmt, ws, w, ps, p, (long)v);
	} else if (!host_strcmp(len, "ll")) {
		SAME_STARS(fmt, ws, w, ps, p, v);
	} else if (!host_strcmp(len, "z")) {
		SAME_STARS(fmt, ws, w, ps, p, (size_t)v);
	} else if (!host_strcmp(len, "j")) {
		SAME_STARS(fmt, ws, w, ps, p, (intmax_t)v);
	} else {
		SAME_STARS(fmt, ws, w, ps, p, (ptrdiff_t)v);
	}
}

/* fmt_number stops at its first failed SAME; this wrapper turns that into a result. */
static bool number_ok(const char *flags, size_t wi, size_t pi, const char *len, char conv, long long v)
{
	unit_failed = false;
	fmt_number(flags, wi, pi, len, conv, v);
	return !unit_failed;
}

/*
 * Every flag set with the int, char, short and long long modifiers; the other 64-bit ones
 * (l z j t) differ only in how the argument is fetched, so they get a few flag sets.
 */
static void number_matrix(const char *convs)
{
	static const char *const lens[] = { "", "hh", "h", "ll", "l", "z", "j", "t" };
	static const size_t few_flags[] = { 0, 1, 2, 4, 12, 31 };
	for (const char *c = convs; *c; c++)
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (size_t fj = 0; fj < (li < 4 ? 32 : 6); fj++)
				for (size_t wi = 0, fi = li < 4 ? fj : few_flags[fj]; wi < NW; wi++)
					for (size_t pi = 0; pi < NP; pi++)
						for (size_t vi = 0; vi < sizeof(int_values) / sizeof(int_values[0]); vi++)
							if (!number_ok(int_flags[fi], wi, pi, lens[li], *c,
								       int_values[vi]))
								return;
}

TEST(signed_matrix_against_glibc)
{
	number_matrix("di");
}

TEST(unsigned_matrix_against_glibc)
{
	number_matrix("u");
}

TEST(hex_matrix_against_glibc)
{
	number_matrix("xX");
}

TEST(octal_matrix_against_glibc)
{
	number_matrix("o");
}

TEST(strings_against_glibc)
{
	static const char *const strs[] = { "", "a", "hello", "hello, world: a longer string", "tab\there" };
	static const char *const sflags[] = { "", "-" };
	char fmt[32];
	for (size_t fi = 0; fi < 2; fi++)
		for (size_t wi = 0; wi < NW; wi++)
			for (size_t pi = 0; pi < NP; pi++) {
				int ws = widths[wi][0] == '*', ps = precs[pi][0] && precs[pi][1] == '*';
				int w = width_star[wi], p = prec_star[pi];
				host_fmt(fmt, sizeof(fmt), "[%%%s%s%ss]", sflags[fi], widths[wi], precs[pi]);
				for (size_t si = 0; si < sizeof(strs) / sizeof(strs[0]); si++)
					SAME_STARS(fmt, ws, w, ps, p, strs[si]);
				/* glibc prints "(null)" only when the precision lets all of it through. */
				bool whole = !precs[pi][0] || (ps && p < 0) || (!ps && precs[pi][1] == '2');
				if (whole)
					SAME_STARS(fmt, ws, w, ps, p, (char *)NULL);
			}
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

TEST(null_string_with_short_precision_is_cut)
{
	/* glibc prints nothing here; the kernel cuts "(null)" like any other string. */
	EXPECT("(nu", "%.3s", (char *)NULL);
	EXPECT("  (nu", "%5.3s", (char *)NULL);
}

#pragma GCC diagnostic pop

TEST(string_precision_does_not_read_past_it)
{
	char *raw = malloc(3); /* not terminated: ASan catches a read of raw[3] */
	raw[0] = 'a';
	raw[1] = 'b';
	raw[2] = 'c';
	EXPECT("abc", "%.3s", raw);
	EXPECT("ab", "%.2s", raw);
	EXPECT("  abc", "%5.3s", raw);
	free(raw);
}

TEST(chars_against_glibc)
{
	static const int chars[] = { 'a', ' ', '%', 0x7f, 0x80, 0xff, -1, 0x141 };
	static const char *const cflags[] = { "", "-" };
	char fmt[32];
	for (size_t fi = 0; fi < 2; fi++)
		for (size_t wi = 0; wi < NW; wi++) {
			int ws = widths[wi][0] == '*', w = width_star[wi];
			host_fmt(fmt, sizeof(fmt), "[%%%s%sc]", cflags[fi], widths[wi]);
			for (size_t ci = 0; ci < sizeof(chars) / sizeof(chars[0]); ci++)
				SAME_STARS(fmt, ws, w, 0, 0, chars[ci]);
		}
}

TEST(nul_char_counts_and_is_written)
{
	char b[8];
	host_memset(b, 'x', sizeof(b));
	CHECK_INT(snprintf(b, sizeof(b), "a%cb", 0), 3);
	CHECK(host_memcmp(b, "a\0b\0", 4) == 0);
	SAME_ALL_SIZES("%c%c%c", 'x', 0, 'y');
	SAME_ALL_SIZES("[%-3c]", 0);
}

TEST(pointers_against_glibc)
{
	static void *const ptrs[] = { NULL, (void *)1, (void *)0x12, (void *)0xfffff,
				      (void *)0x7fffdeadbeefULL, (void *)0xffff800000000000ULL,
				      (void *)UINTPTR_MAX };
	static const char *const pflags[] = { "", "-", "0", "-0" };
	char fmt[32];
	for (size_t fi = 0; fi < 4; fi++)
		for (size_t wi = 0; wi < NW; wi++)
			for (size_t pi = 0; pi < NP; pi++) {
				int ws = widths[wi][0] == '*', ps = precs[pi][0] && precs[pi][1] == '*';
				int w = width_star[wi], p = prec_star[pi];
				host_fmt(fmt, sizeof(fmt), "[%%%s%s%sp]", pflags[fi], widths[wi], precs[pi]);
				for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
					SAME_STARS(fmt, ws, w, ps, p, ptrs[i]);
			}
}

TEST(truncation_every_size)
{
	SAME_ALL_SIZES("%d", INT_MIN);
	SAME_ALL_SIZES("%-12s|%12s|", "left", "right");
	SAME_ALL_SIZES("%#018llx", 0x123456789abcULL);
	SAME_ALL_SIZES("%+.10d and %.0u and %5.3o", -7, 0u, 8u);
	SAME_ALL_SIZES("%p %p", (void *)0, (void *)0xffffffff81000000ULL);
	SAME_ALL_SIZES("%*.*s", -20, 3, "abcdef");
	SAME_ALL_SIZES("%c", 'z');
	SAME_ALL_SIZES("%s%s%s", "a", "", "bc");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

TEST(size_zero_and_null_buffer)
{
	CHECK_INT(snprintf(NULL, 0, "%d-%s", 12345, "xyz"), 9);
	CHECK_INT(snprintf(NULL, 0, ""), 0);
	char b[4] = "abc";
	CHECK_INT(snprintf(b, 0, "zzzz"), 4);
	CHECK_HSTR(b, "abc");
	CHECK_INT(snprintf(b, 1, "zzzz"), 4);
	CHECK_INT(b[0], '\0');
	CHECK_INT(b[1], 'b');
}

#pragma GCC diagnostic pop

TEST(output_longer_than_any_internal_buffer)
{
	char fmt[32];
	host_fmt(fmt, sizeof(fmt), "%%%d.%dd|%%-%ds|", 300, 250, 200);
	SAME(fmt, -123456789, "tail");
	SAME("%.500x", 0xabcu);
	SAME("%0500d", -1);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Not C: the kernel prints a conversion it does not know verbatim, consuming no argument. */
TEST(unknown_conversions_are_printed_verbatim)
{
	EXPECT("a%yb", "a%yb");
	EXPECT("%-5q 7", "%-5q %d", 7);
	EXPECT("%lf", "%lf");
	EXPECT("%", "%");
	EXPECT("x%", "x%");
	EXPECT("x%-08", "x%-08");
	EXPECT("%ll", "%ll");
	EXPECT("%n", "%n");
}

#pragma GCC diagnostic pop

/* vsnprintf must leave the caller's va_list usable by a second, independent va_copy. */
static int twice(char *b1, char *b2, size_t n, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int r1 = vsnprintf(b1, n, fmt, ap);
	int r2 = vsnprintf(b2, n, fmt, ap2);
	va_end(ap2);
	va_end(ap);
	return r1 == r2 ? r1 : -1;
}

TEST(vsnprintf_with_va_copy)
{
	char b1[64], b2[64];
	CHECK_INT(twice(b1, b2, sizeof(b1), "%s=%lld/%c", "k", -5LL, 'q'), 6);
	CHECK_HSTR(b1, "k=-5/q");
	CHECK_HSTR(b2, "k=-5/q");
}

TEST(many_arguments)
{
	SAME("%d %d %d %d %d %d %d %d %d %d %s %s %s %s %lld %lld %c %c %x %x", 1, 2, 3, 4, 5, 6, 7,
	     8, 9, 10, "a", "b", "c", "d", 11LL, -12LL, 'e', 'f', 0xau, 0xbu);
}
