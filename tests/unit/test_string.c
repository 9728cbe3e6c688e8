// unit-deps: kernel/lib/string.c
/*
 * Host tests for kernel/lib/string.c. The host libc is the oracle where it has the function;
 * strlcpy/strlcat are checked against a small reference written from the BSD definition.
 * The kernel's mem* are inline asm that ASan cannot see into, so every buffer is surrounded by
 * guard bytes that are checked after each call.
 */
#include "unit.h"

#include <stdlib.h>

/* Host oracles: defined before host_prefix.h renames the libc names to the kernel's. */
static void *host_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
static void *host_memset(void *d, int c, size_t n) { return memset(d, c, n); }
static int host_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
static void *host_memchr(const void *s, int c, size_t n) { return memchr(s, c, n); }
static size_t host_strlen(const char *s) { return strlen(s); }
static int host_strcmp(const char *a, const char *b) { return strcmp(a, b); }
static int host_strncmp(const char *a, const char *b, size_t n) { return strncmp(a, b, n); }
static char *host_strchr(const char *s, int c) { return strchr(s, c); }
static char *host_strrchr(const char *s, int c) { return strrchr(s, c); }

#include "host_prefix.h"

#include "lib/string.h"

#define GUARD 0xa5
#define PAD   64

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* The direction flag must be clear whenever kernel code returns (SysV ABI). */
static bool df_clear(void)
{
	uint64_t fl;
	__asm__ volatile("pushfq; popq %0" : "=r"(fl));
	return !(fl & (1u << 10));
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 3));
}

TEST(memcpy_sizes_and_alignments)
{
	static uint8_t src[PAD + 600 + PAD], dst[PAD + 600 + PAD];
	for (size_t n = 0; n <= 600; n = n < 80 ? n + 1 : n + 37) {
		for (size_t so = 0; so < 8; so++) {
			for (size_t dof = 0; dof < 8; dof++) {
				host_memset(dst, GUARD, sizeof(dst));
				fill_pattern(src, sizeof(src), (unsigned)(n + so));
				void *r = memcpy(dst + PAD + dof, src + PAD + so, n);
				CHECK(r == dst + PAD + dof);
				CHECK(host_memcmp(dst + PAD + dof, src + PAD + so, n) == 0);
				CHECK(all_bytes(dst, PAD + dof, GUARD));
				CHECK(all_bytes(dst + PAD + dof + n, sizeof(dst) - PAD - dof - n, GUARD));
				CHECK(df_clear());
			}
		}
	}
}

TEST(memcpy_zero_length_touches_nothing)
{
	uint8_t b[8];
	host_memset(b, GUARD, sizeof(b));
	CHECK(memcpy(b + 4, b, 0) == b + 4);
	CHECK(memcpy(b, NULL, 0) == b); /* rep movsb with rcx == 0 never dereferences */
	CHECK(all_bytes(b, sizeof(b), GUARD));
}

/* Every (src, dst, n) inside one buffer, so overlap in both directions and none at all. */
TEST(memmove_all_overlaps)
{
	enum { LEN = 96 };
	static uint8_t mine[PAD + LEN + PAD], ref[PAD + LEN + PAD];
	for (size_t n = 0; n <= LEN; n++) {
		for (size_t s = 0; s + n <= LEN; s++) {
			for (size_t d = 0; d + n <= LEN; d++) {
				host_memset(mine, GUARD, sizeof(mine));
				fill_pattern(mine + PAD, LEN, (unsigned)n);
				host_memmove(ref, mine, sizeof(mine));
				void *r = memmove(mine + PAD + d, mine + PAD + s, n);
				host_memmove(ref + PAD + d, ref + PAD + s, n);
				if (r != mine + PAD + d || host_memcmp(mine, ref, sizeof(mine)) != 0) {
					unit_fail(__FILE__, __LINE__, "memmove(dst=+%zu, src=+%zu, n=%zu) wrong",
						  d, s, n);
					return;
				}
				CHECK(df_clear());
			}
		}
	}
}

TEST(memmove_large_overlaps)
{
	enum { LEN = 8192 };
	uint8_t *mine = malloc(PAD + LEN + PAD), *ref = malloc(PAD + LEN + PAD);
	CHECK(mine && ref);
	static const size_t shifts[] = { 1, 2, 7, 8, 9, 63, 64, 65, 4095, 4096, 4097 };
	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		size_t k = shifts[i], n = LEN - k;
		for (int up = 0; up < 2; up++) {
			host_memset(mine, GUARD, PAD + LEN + PAD);
			fill_pattern(mine + PAD, LEN, (unsigned)k);
			host_memmove(ref, mine, PAD + LEN + PAD);
			uint8_t *d = mine + PAD + (up ? k : 0), *s = mine + PAD + (up ? 0 : k);
			CHECK(memmove(d, s, n) == d);
			host_memmove(ref + PAD + (up ? k : 0), ref + PAD + (up ? 0 : k), n);
			CHECK(host_memcmp(mine, ref, PAD + LEN + PAD) == 0);
			CHECK(df_clear());
		}
	}
	free(mine);
	free(ref);
}

TEST(memmove_same_pointer_and_zero)
{
	uint8_t b[16];
	fill_pattern(b, sizeof(b), 3);
	uint8_t copy[16];
	host_memmove(copy, b, sizeof(b));
	CHECK(memmove(b, b, sizeof(b)) == b);
	CHECK(memmove(b + 3, b, 0) == b + 3);
	CHECK(memmove(b, b + 3, 0) == b);
	CHECK(host_memcmp(b, copy, sizeof(b)) == 0);
}

/* A backwards memmove followed by a forward memcpy: the memcpy must not run backwards. */
TEST(memmove_backwards_leaves_direction_forward)
{
	char b[32] = "abcdefghij";
	memmove(b + 1, b, 10);
	CHECK(host_memcmp(b, "aabcdefghij", 11) == 0);
	char d[8] = { 0 };
	memcpy(d, "1234567", 8);
	CHECK(host_strcmp(d, "1234567") == 0);
}

TEST(memset_values_and_sizes)
{
	static uint8_t b[PAD + 300 + PAD];
	static const int vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x1ab, -1, -128, 0x12345678 };
	for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
		for (size_t n = 0; n <= 300; n += n < 40 ? 1 : 13) {
			for (size_t off = 0; off < 8; off++) {
				host_memset(b, GUARD, sizeof(b));
				CHECK(memset(b + PAD + off, vals[v], n) == b + PAD + off);
				CHECK(all_bytes(b + PAD + off, n, (uint8_t)vals[v]));
				CHECK(all_bytes(b, PAD + off, GUARD));
				CHECK(all_bytes(b + PAD + off + n, sizeof(b) - PAD - off - n, GUARD));
			}
		}
	}
}

TEST(memcmp_sign_and_bounds)
{
	CHECK_INT(memcmp("abc", "abd", 0), 0);
	CHECK_INT(memcmp("abc", "abd", 2), 0);
	CHECK(memcmp("abc", "abd", 3) < 0);
	CHECK(memcmp("abd", "abc", 3) > 0);
	/* Bytes compare as unsigned char. */
	CHECK(memcmp("\x80", "\x7f", 1) > 0);
	CHECK(memcmp("\x01", "\xff", 1) < 0);
	/* Embedded NULs are ordinary bytes. */
	CHECK(memcmp("a\0b", "a\0c", 3) < 0);
	CHECK_INT(memcmp("a\0b", "a\0b", 3), 0);

	srand(1);
	uint8_t x[64], y[64];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)rand() % 65;
		for (size_t i = 0; i < 64; i++)
			x[i] = y[i] = (uint8_t)rand();
		if (n && rand() % 4)
			y[(size_t)rand() % n] = (uint8_t)rand();
		CHECK_INT(sign(memcmp(x, y, n)), sign(host_memcmp(x, y, n)));
	}
}

TEST(memchr_cases)
{
	const char s[] = "hello\0world\x80\xff";
	CHECK(memchr(s, 'h', sizeof(s)) == s);
	CHECK(memchr(s, 'o', sizeof(s)) == s + 4);
	CHECK(memchr(s, 'w', sizeof(s)) == s + 6); /* searches past a NUL */
	CHECK(memchr(s, '\0', sizeof(s)) == s + 5);
	CHECK(memchr(s, 'w', 6) == NULL);            /* bounded by n */
	CHECK(memchr(s, 'h', 0) == NULL);
	CHECK(memchr(s, 'z', sizeof(s)) == NULL);
	CHECK(memchr(s, 0x80, sizeof(s)) == s + 11);
	CHECK(memchr(s, 0x180, sizeof(s)) == s + 11); /* c is converted to unsigned char */
	CHECK(memchr(s, -1, sizeof(s)) == s + 12);
	for (int c = -300; c < 600; c++)
		CHECK(memchr(s, c, sizeof(s)) == host_memchr(s, c, sizeof(s)));
}

TEST(strlen_strnlen)
{
	CHECK_INT(strlen(""), 0);
	CHECK_INT(strlen("a"), 1);
	CHECK_INT(strlen("hello\0world"), 5);
	CHECK_INT(strlen("\xff\x80"), 2);
	char big[5000];
	host_memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(strlen(big), 4999);

	CHECK_INT(strnlen("hello", 0), 0);
	CHECK_INT(strnlen("hello", 3), 3);
	CHECK_INT(strnlen("hello", 5), 5);
	CHECK_INT(strnlen("hello", 6), 5);
	CHECK_INT(strnlen("hello", (size_t)-1), 5);
	CHECK_INT(strnlen("", 10), 0);
	/* Must not read past max: an unterminated array is fine. */
	char *raw = malloc(4);
	host_memset(raw, 'a', 4);
	CHECK_INT(strnlen(raw, 4), 4);
	free(raw);
}

TEST(strcmp_strncmp)
{
	CHECK_INT(strcmp("", ""), 0);
	CHECK_INT(strcmp("abc", "abc"), 0);
	CHECK(strcmp("abc", "abd") < 0);
	CHECK(strcmp("abd", "abc") > 0);
	CHECK(strcmp("ab", "abc") < 0);
	CHECK(strcmp("abc", "ab") > 0);
	CHECK(strcmp("", "a") < 0);
	CHECK(strcmp("\x80", "\x7f") > 0); /* unsigned char order */
	CHECK(strcmp("a\xff", "a") > 0);

	CHECK_INT(strncmp("abc", "abd", 0), 0);
	CHECK_INT(strncmp("abc", "abd", 2), 0);
	CHECK(strncmp("abc", "abd", 3) < 0);
	CHECK(strncmp("abc", "abd", 100) < 0);
	CHECK_INT(strncmp("abc\0x", "abc\0y", 5), 0); /* stops at the NUL */
	CHECK(strncmp("ab", "abc", 3) < 0);
	CHECK(strncmp("\x80", "\x01", 1) > 0);
	/* n may exceed both arrays as long as they are terminated. */
	char *a = malloc(2), *b = malloc(2);
	a[0] = b[0] = 'q';
	a[1] = b[1] = '\0';
	CHECK_INT(strncmp(a, b, (size_t)-1), 0);
	free(a);
	free(b);

	srand(2);
	char x[12], y[12];
	for (int iter = 0; iter < 50000; iter++) {
		for (int i = 0; i < 11; i++) {
			x[i] = (char)("ab\x80\xff"[rand() % 4]);
			y[i] = (char)("ab\x80\xff"[rand() % 4]);
		}
		x[rand() % 12] = '\0';
		y[rand() % 12] = '\0';
		x[11] = y[11] = '\0';
		CHECK_INT(sign(strcmp(x, y)), sign(host_strcmp(x, y)));
		size_t n = (size_t)rand() % 14;
		CHECK_INT(sign(strncmp(x, y, n)), sign(host_strncmp(x, y, n)));
	}
}

TEST(strchr_strrchr)
{
	const char *s = "abcabc\x80";
	CHECK(strchr(s, 'a') == s);
	CHECK(strchr(s, 'c') == s + 2);
	CHECK(strchr(s, 'z') == NULL);
	CHECK(strchr(s, '\0') == s + 7); /* the terminator is part of the string */
	CHECK(strchr(s, 0x80) == s + 6);
	CHECK(strchr(s, 0x180) == s + 6); /* c is converted to char */
	CHECK(strchr("", '\0') != NULL);
	CHECK(strchr("", 'a') == NULL);

	CHECK(strrchr(s, 'a') == s + 3);
	CHECK(strrchr(s, 'c') == s + 5);
	CHECK(strrchr(s, 'z') == NULL);
	CHECK(strrchr(s, '\0') == s + 7);
	CHECK(strrchr(s, 0x80) == s + 6);
	CHECK(strrchr("", 'a') == NULL);
	const char *t = "x/y/z\xff\xff";
	for (int c = -300; c < 600; c++) {
		CHECK(strchr(t, c) == host_strchr(t, c));
		CHECK(strrchr(t, c) == host_strrchr(t, c));
	}
}

/* Reference strlcpy/strlcat, straight from the OpenBSD man page's definition. */
static size_t ref_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = host_strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		host_memmove(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

static size_t ref_strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = 0;
	while (dlen < size && dst[dlen])
		dlen++;
	if (dlen == size)
		return size + host_strlen(src);
	return dlen + ref_strlcpy(dst + dlen, src, size - dlen);
}

TEST(strlcpy_every_size)
{
	static const char *srcs[] = { "", "a", "hello", "exactly16bytes!!", "a much longer string, past 32 bytes" };
	char mine[PAD + 64 + PAD], ref[PAD + 64 + PAD];
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		size_t len = host_strlen(srcs[i]);
		for (size_t size = 0; size <= len + 3 && size <= 64; size++) {
			host_memset(mine, GUARD, sizeof(mine));
			host_memset(ref, GUARD, sizeof(ref));
			CHECK_INT(strlcpy(mine + PAD, srcs[i], size), len);
			CHECK_INT(ref_strlcpy(ref + PAD, srcs[i], size), len);
			CHECK(host_memcmp(mine, ref, sizeof(mine)) == 0);
			if (size) {
				size_t n = len < size ? len : size - 1;
				CHECK(host_memcmp(mine + PAD, srcs[i], n) == 0);
				CHECK_INT(mine[PAD + n], '\0');
			}
			/* Nothing at or past size is touched. */
			CHECK(all_bytes((uint8_t *)mine + PAD + size, sizeof(mine) - PAD - size, GUARD));
			CHECK(all_bytes((uint8_t *)mine, PAD, GUARD));
		}
	}
}

TEST(strlcpy_size_zero_writes_nothing)
{
	CHECK_INT(strlcpy(NULL, "abc", 0), 3);
	char b[4] = "zzz";
	CHECK_INT(strlcpy(b, "", 0), 0);
	CHECK(host_strcmp(b, "zzz") == 0);
}

TEST(strlcat_every_size)
{
	static const char *dsts[] = { "", "a", "abcd", "0123456789" };
	static const char *srcs[] = { "", "x", "wxyz", "the quick brown fox" };
	char mine[PAD + 48 + PAD], ref[PAD + 48 + PAD];
	for (size_t di = 0; di < sizeof(dsts) / sizeof(dsts[0]); di++) {
		for (size_t si = 0; si < sizeof(srcs) / sizeof(srcs[0]); si++) {
			size_t dl = host_strlen(dsts[di]), sl = host_strlen(srcs[si]);
			for (size_t size = 0; size <= dl + sl + 3; size++) {
				host_memset(mine, GUARD, sizeof(mine));
				host_memmove(mine + PAD, dsts[di], dl + 1);
				host_memmove(ref, mine, sizeof(mine));
				size_t want = ref_strlcat(ref + PAD, srcs[si], size);
				size_t got = strlcat(mine + PAD, srcs[si], size);
				CHECK_INT(got, want);
				/* dst not terminated within size: the result is size + strlen(src). */
				CHECK_INT(got, (size <= dl ? size : dl) + sl);
				CHECK(host_memcmp(mine, ref, sizeof(mine)) == 0);
				if (size > dl) {
					size_t total = dl + sl < size ? dl + sl : size - 1;
					CHECK_INT(host_strlen(mine + PAD), total);
					CHECK(host_memcmp(mine + PAD, dsts[di], dl) == 0);
					CHECK(host_memcmp(mine + PAD + dl, srcs[si], total - dl) == 0);
				} else {
					CHECK(host_memcmp(mine + PAD, dsts[di], dl + 1) == 0); /* untouched */
				}
			}
		}
	}
}

TEST(strlcat_unterminated_dst_is_not_read_past_size)
{
	char *d = malloc(4); /* ASan catches a read past size */
	host_memset(d, 'q', 4);
	CHECK_INT(strlcat(d, "abc", 4), 7);
	CHECK(all_bytes((uint8_t *)d, 4, 'q'));
	free(d);
}

TEST(strlcat_building_a_path)
{
	char b[16] = "";
	CHECK_INT(strlcat(b, "/usr", sizeof(b)), 4);
	CHECK_INT(strlcat(b, "/local", sizeof(b)), 10);
	CHECK_INT(strlcat(b, "/share/doc", sizeof(b)), 20);
	CHECK(host_strcmp(b, "/usr/local/shar") == 0);
	CHECK_INT(strlcat(b, "x", sizeof(b)), 16);
	CHECK(host_strcmp(b, "/usr/local/shar") == 0);
}
