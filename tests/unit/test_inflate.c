// unit-deps: kernel/lib/inflate.c kernel/lib/string.c
/*
 * inflate and gzip against files made at test time by the host's gzip (levels 1/6/9; random,
 * text, zero and empty inputs up to 2 MiB), hand-built DEFLATE streams for every block type and
 * error, then truncated, bit-flipped and random inputs. Inputs and outputs sit flush against an
 * inaccessible page (the kernel's memcpy is an uninstrumented rep movsb), so any read past in_len
 * or write past out_cap faults even where ASan cannot see it.
 */
#include "unit.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_prefix.h"

#include "lib/errno.h"
#include "lib/inflate.h"
#include "lib/string.h"

#undef snprintf /* the host's, for shell commands; printf.c is not linked */

static struct inflate_state st; /* 13.5 KiB: not on the stack, as in the kernel */

/* ---- buffers that end at a PROT_NONE page ---- */

struct gbuf {
	uint8_t *p; /* p[0..n) is usable; p + n is the guard page */
	size_t n;
	void *map;
	size_t map_len;
};

static struct gbuf gb_new(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data = ((n + (size_t)pg - 1) / (size_t)pg) * (size_t)pg;
	struct gbuf g = { .n = n, .map_len = data + (size_t)pg };
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.map == MAP_FAILED)
		abort();
	mprotect((uint8_t *)g.map + data, (size_t)pg, PROT_NONE);
	g.p = (uint8_t *)g.map + data - n;
	return g;
}

static struct gbuf gb_copy(const void *src, size_t n)
{
	struct gbuf g = gb_new(n);
	if (n)
		memcpy(g.p, src, n);
	return g;
}

static void gb_free(struct gbuf *g)
{
	munmap(g->map, g->map_len);
	g->map = NULL;
}

#define BROKEN 1 /* a helper's result when the call broke its contract: fails every check */

/* gzip_inflate on a guarded copy of in, into a guarded buffer of out_cap bytes. */
static int gunzip(const void *in, size_t in_len, size_t out_cap, uint8_t **out, size_t *out_len)
{
	struct gbuf gi = gb_copy(in, in_len), go = gb_new(out_cap);
	size_t n = (size_t)-1;
	int rc = gzip_inflate(&st, gi.p, in_len, go.p, out_cap, &n);
	if (n > out_cap) {
		unit_fail(__FILE__, __LINE__, "gzip_inflate wrote %zu bytes into %zu", n, out_cap);
		rc = BROKEN;
		n = 0;
	}
	*out_len = n;
	if (out) {
		*out = malloc(n + 1);
		memcpy(*out, go.p, n);
	}
	gb_free(&gi);
	gb_free(&go);
	return rc;
}

static int raw_inflate(const void *in, size_t in_len, size_t out_cap, uint8_t **out,
		       size_t *out_len, size_t *in_used)
{
	struct gbuf gi = gb_copy(in, in_len), go = gb_new(out_cap);
	size_t n = (size_t)-1, used = 0;
	int rc = inflate_raw(&st, gi.p, in_len, &used, go.p, out_cap, &n);
	if (n > out_cap || used > in_len) {
		unit_fail(__FILE__, __LINE__, "inflate_raw: %zu bytes of %zu in, %zu of %zu out", used,
			  in_len, n, out_cap);
		rc = BROKEN;
		n = 0;
	}
	*out_len = n;
	if (in_used)
		*in_used = used;
	if (out) {
		*out = malloc(n + 1);
		memcpy(*out, go.p, n);
	}
	gb_free(&gi);
	gb_free(&go);
	return rc;
}

static bool known_error(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOSPC || rc == -EIO;
}

/* ---- test data ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

enum kind { K_RANDOM, K_TEXT, K_ZERO, K_BINARY, K_COUNT };
static const char *const kind_name[] = { "random", "text", "zero", "binary" };

/* Deterministic content of a kind: text is words with a rare odd byte (long Huffman codes). */
static uint8_t *make_data(enum kind k, size_t n, uint64_t seed)
{
	static const char *const words[] = {
		"the", "kernel", "inflates", "an", "initramfs", "of", "several", "mebibytes", "while",
		"booting", "under", "emulation", "and", "every", "byte", "counts", "\n", ", ",
	};
	uint8_t *p = malloc(n + 1);
	uint64_t save = rng;
	rng = seed | 1;
	for (size_t i = 0; i < n;) {
		switch (k) {
		case K_RANDOM:
			p[i++] = (uint8_t)rnd();
			break;
		case K_ZERO:
			p[i++] = 0;
			break;
		case K_TEXT: {
			uint64_t r = rnd();
			if (r % 997 == 0) {
				p[i++] = (uint8_t)(r >> 32);
				break;
			}
			const char *w = words[(r >> 8) % (sizeof(words) / sizeof(words[0]))];
			for (size_t j = 0; w[j] && i < n; j++)
				p[i++] = (uint8_t)w[j];
			if (i < n)
				p[i++] = ' ';
			break;
		}
		default: /* runs and small records: like an executable */
			if (rnd() % 4 == 0) {
				size_t run = rnd() % 40;
				uint8_t v = (uint8_t)rnd();
				while (run-- && i < n)
					p[i++] = v;
			} else {
				p[i++] = (uint8_t)(rnd() % 16);
			}
			break;
		}
	}
	rng = save;
	return p;
}

static char tmpdir[64];

__attribute__((destructor)) static void tmp_cleanup(void)
{
	char cmd[128];
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

static const char *tmp(void)
{
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/ferrite-inflate-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	return tmpdir;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	uint8_t *p = malloc((size_t)len + 1);
	if (fread(p, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Runs the host's gzip with args on data; returns the .gz bytes (NULL if gzip failed). */
static uint8_t *host_gzip(const void *data, size_t n, const char *args, size_t *gz_len)
{
	char in[128], cmd[512];
	snprintf(in, sizeof(in), "%s/in.bin", tmp());
	write_file(in, data, n);
	snprintf(cmd, sizeof(cmd), "gzip %s -c '%s' > '%s/in.gz'", args, in, tmp());
	if (system(cmd) != 0)
		return NULL;
	snprintf(in, sizeof(in), "%s/in.gz", tmp());
	return read_file(in, gz_len);
}

/* Bitwise CRC-32 from the definition, independent of the table the kernel uses. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffff;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320 & -(c & 1));
	}
	return ~c;
}

/* ---- CRC ---- */

TEST(crc32_vectors)
{
	CHECK_INT(gzip_crc32(0, "", 0), 0);
	CHECK_INT(gzip_crc32(0, "123456789", 9), 0xcbf43926);
	CHECK_INT(gzip_crc32(0, "a", 1), 0xe8b7be43);
	uint8_t *d = make_data(K_RANDOM, 5000, 7);
	for (size_t n = 0; n < 5000; n += 1 + n / 3) {
		CHECK_INT(gzip_crc32(0, d, n), ref_crc32(d, n));
		/* A running CRC over two pieces equals the CRC of the whole. */
		CHECK_INT(gzip_crc32(gzip_crc32(0, d, n / 3), d + n / 3, n - n / 3), ref_crc32(d, n));
	}
	free(d);
}

/* ---- against the host's gzip ---- */

static unsigned btype_seen[4];

/* gzip -level of a kind and size, then every way of decoding it. */
static void roundtrip(enum kind k, size_t n, int level)
{
	char args[16];
	size_t gz_len, out_len, used;
	uint8_t *out;

	uint8_t *data = make_data(k, n, n * 31 + (size_t)level);
	snprintf(args, sizeof(args), "-n -%d", level);
	uint8_t *gz = host_gzip(data, n, args, &gz_len);
	CHECK(gz != NULL);
	CHECK(gzip_is_gzip(gz, gz_len));
	CHECK_INT(gzip_isize(gz, gz_len), n);
	CHECK_INT(gz[3], 0); /* -n: no name, so the deflate data starts at byte 10 */
	btype_seen[(gz[10] >> 1) & 3]++;

	/* The exact size fits, with the output flush against the guard page. */
	int rc = gunzip(gz, gz_len, n, &out, &out_len);
	if (rc != 0 || out_len != n || memcmp(out, data, n) != 0)
		unit_fail(__FILE__, __LINE__, "%s size %zu level %d: rc %d, %zu bytes", kind_name[k], n,
			  level, rc, out_len);
	CHECK(rc == 0 && out_len == n && memcmp(out, data, n) == 0);
	free(out);

	/* One byte less is -ENOSPC, with the prefix already written. */
	if (n > 0) {
		CHECK_INT(gunzip(gz, gz_len, n - 1, &out, &out_len), -ENOSPC);
		CHECK_INT(out_len, n - 1);
		CHECK(memcmp(out, data, n - 1) == 0);
		free(out);
	}

	/* The raw stream between header and trailer, and the member call's length. */
	CHECK_INT(raw_inflate(gz + 10, gz_len - 18, n, &out, &out_len, &used), 0);
	CHECK_INT(used, gz_len - 18);
	CHECK(out_len == n && memcmp(out, data, n) == 0);
	free(out);
	struct gbuf gi = gb_copy(gz, gz_len), go = gb_new(n);
	CHECK_INT(gzip_inflate_member(&st, gi.p, gz_len, &used, go.p, n, &out_len), 0);
	CHECK_INT(used, gz_len);
	gb_free(&gi);
	gb_free(&go);
	free(gz);
	free(data);
}

static const size_t sizes[] = {
	0, 1, 2, 3, 100, 1000, 4096, 32767, 32768, 32769, 65535, 65536, 65537, 300000,
	1 << 20, 2 << 20,
};

TEST(host_gzip_levels_kinds_sizes)
{
	static const int levels[] = { 1, 6, 9 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int k = 0; k < K_COUNT; k++)
			for (size_t l = 0; l < 3; l++) {
				/* Zeros and random data compress the same at every level: once is enough. */
				if ((k == K_ZERO || k == K_RANDOM) && sizes[s] > 65537 && levels[l] != 6)
					continue;
				roundtrip((enum kind)k, sizes[s], levels[l]);
				if (unit_failed)
					return;
			}
	/* The corpus started blocks of every kind: stored (random), fixed (tiny), dynamic. */
	CHECK(btype_seen[0] > 0);
	CHECK(btype_seen[1] > 0);
	CHECK(btype_seen[2] > 0);
}

TEST(host_gzip_with_name_and_mtime)
{
	size_t gz_len, out_len;
	uint8_t *out, *data = make_data(K_TEXT, 20000, 3);
	uint8_t *gz = host_gzip(data, 20000, "-N -9", &gz_len);
	CHECK(gz != NULL);
	CHECK(gz[3] & 0x08); /* FNAME */
	CHECK_INT(gunzip(gz, gz_len, 20000, &out, &out_len), 0);
	CHECK(out_len == 20000 && memcmp(out, data, 20000) == 0);
	free(out);
	free(gz);
	free(data);
}

/* ---- header flags ---- */

/* A member with every optional header field around the deflate data of a host .gz. */
static uint8_t *full_header_member(const uint8_t *gz, size_t gz_len, size_t *len, uint8_t flg)
{
	static const char extra[] = "AP\x04\x00" "abcd";
	uint8_t *m = malloc(gz_len + 100), *p = m;
	memcpy(p, gz, 10);
	p[3] = flg;
	p += 10;
	if (flg & 0x04) {
		*p++ = sizeof(extra) - 1;
		*p++ = 0;
		memcpy(p, extra, sizeof(extra) - 1);
		p += sizeof(extra) - 1;
	}
	if (flg & 0x08) {
		memcpy(p, "name.txt", 9);
		p += 9;
	}
	if (flg & 0x10) {
		memcpy(p, "a comment", 10);
		p += 10;
	}
	if (flg & 0x02) {
		uint32_t c = ref_crc32(m, (size_t)(p - m));
		*p++ = (uint8_t)c;
		*p++ = (uint8_t)(c >> 8);
	}
	memcpy(p, gz + 10, gz_len - 10);
	*len = (size_t)(p - m) + gz_len - 10;
	return m;
}

TEST(header_flags)
{
	size_t gz_len, len, out_len;
	uint8_t *out, *data = make_data(K_TEXT, 3000, 5);
	uint8_t *gz = host_gzip(data, 3000, "-n -6", &gz_len);
	CHECK(gz != NULL);

	for (unsigned flg = 0; flg < 32; flg++) {
		uint8_t *m = full_header_member(gz, gz_len, &len, (uint8_t)flg);
		CHECK_INT(gunzip(m, len, 3000, &out, &out_len), 0);
		CHECK(out_len == 3000 && memcmp(out, data, 3000) == 0);
		free(out);
		free(m);
	}

	/* A wrong header CRC16 is -EIO. */
	uint8_t *m = full_header_member(gz, gz_len, &len, 0x1f);
	size_t hcrc = 10 + 2 + 8 + 9 + 10;
	m[hcrc] ^= 1;
	CHECK_INT(gunzip(m, len, 3000, NULL, &out_len), -EIO);
	m[hcrc] ^= 1;
	/* Each reserved flag bit is -EINVAL. */
	for (int bit = 5; bit < 8; bit++) {
		m[3] ^= (uint8_t)(1 << bit);
		CHECK_INT(gunzip(m, len, 3000, NULL, &out_len), -EINVAL);
		m[3] ^= (uint8_t)(1 << bit);
	}
	/* Header fields cut off at every length are -EINVAL, never a read past the end. */
	for (size_t cut = 0; cut <= hcrc + 2; cut++)
		CHECK_INT(gunzip(m, cut, 3000, NULL, &out_len), -EINVAL);
	free(m);

	/* FEXTRA longer than the file; FNAME without its NUL. */
	uint8_t bad[] = { 0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 1, 2, 3 };
	CHECK_INT(gunzip(bad, sizeof(bad), 100, NULL, &out_len), -EINVAL);
	uint8_t bad2[] = { 0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c', 'd' };
	CHECK_INT(gunzip(bad2, sizeof(bad2), 100, NULL, &out_len), -EINVAL);

	/* Magic and method. */
	uint8_t *c = malloc(gz_len);
	memcpy(c, gz, gz_len);
	for (int i = 0; i < 3; i++) {
		c[i] ^= 0x40;
		CHECK(!gzip_is_gzip(c, gz_len));
		CHECK_INT(gzip_isize(c, gz_len), 0);
		CHECK_INT(gunzip(c, gz_len, 3000, NULL, &out_len), -EINVAL);
		c[i] ^= 0x40;
	}
	CHECK(!gzip_is_gzip(gz, 2));
	CHECK_INT(gzip_isize(gz, 19), 0);
	free(c);
	free(gz);
	free(data);
}

/* ---- trailer ---- */

TEST(trailer_crc_and_isize)
{
	size_t gz_len, out_len;
	uint8_t *data = make_data(K_BINARY, 10000, 9);
	uint8_t *gz = host_gzip(data, 10000, "-n -6", &gz_len);
	CHECK(gz != NULL);
	for (int i = 0; i < 8; i++) {
		gz[gz_len - 8 + i] ^= 0x10;
		int rc = gunzip(gz, gz_len, 20000, NULL, &out_len);
		CHECK_INT(rc, -EIO);
		gz[gz_len - 8 + i] ^= 0x10;
	}
	/* A huge claimed size: gzip_isize reports it (the caller caps it), decoding says -EIO. */
	memset(gz + gz_len - 4, 0xff, 4);
	CHECK_INT(gzip_isize(gz, gz_len), 0xffffffffu);
	CHECK_INT(gunzip(gz, gz_len, 20000, NULL, &out_len), -EIO);
	CHECK_INT(out_len, 10000);
	free(gz);
	free(data);
}

/* ---- several members ---- */

TEST(concatenated_members)
{
	size_t la, lb, lc, out_len, used;
	uint8_t *out;
	uint8_t *da = make_data(K_TEXT, 70000, 11), *db = make_data(K_BINARY, 5000, 12);
	uint8_t *ga = host_gzip(da, 70000, "-n -9", &la);
	uint8_t *gb = host_gzip(db, 5000, "-n -1", &lb);
	uint8_t *gc = host_gzip("", 0, "-n", &lc);
	CHECK(ga && gb && gc);

	uint8_t *cat = malloc(la + lb + lc + la + 64);
	size_t n = 0;
	memcpy(cat + n, ga, la), n += la;
	memcpy(cat + n, gc, lc), n += lc;
	memcpy(cat + n, gb, lb), n += lb;
	memcpy(cat + n, ga, la), n += la;
	uint8_t *want = malloc(145000);
	memcpy(want, da, 70000);
	memcpy(want + 70000, db, 5000);
	memcpy(want + 75000, da, 70000);

	CHECK_INT(gunzip(cat, n, 145000, &out, &out_len), 0);
	CHECK(out_len == 145000 && memcmp(out, want, 145000) == 0);
	free(out);
	/* gzip_isize only sees the last member. */
	CHECK_INT(gzip_isize(cat, n), 70000);
	/* The whole does not fit in the last member's size. */
	CHECK_INT(gunzip(cat, n, 70000, NULL, &out_len), -ENOSPC);
	CHECK_INT(out_len, 70000);

	/* One member at a time. */
	struct gbuf gi = gb_copy(cat, n), go = gb_new(145000);
	CHECK_INT(gzip_inflate_member(&st, gi.p, n, &used, go.p, 145000, &out_len), 0);
	CHECK_INT(used, la);
	CHECK_INT(out_len, 70000);
	CHECK_INT(gzip_inflate_member(&st, gi.p + la, n - la, &used, go.p, 145000, &out_len), 0);
	CHECK_INT(used, lc);
	CHECK_INT(out_len, 0);
	gb_free(&gi);
	gb_free(&go);

	/* Zero padding after the last member is fine; anything else is not. */
	memset(cat + n, 0, 64);
	CHECK_INT(gunzip(cat, n + 64, 145000, NULL, &out_len), 0);
	CHECK_INT(out_len, 145000);
	cat[n + 63] = 1;
	CHECK_INT(gunzip(cat, n + 64, 145000, NULL, &out_len), -EINVAL);
	cat[n] = 0x1f; /* looks like the start of a member, but is cut short */
	CHECK_INT(gunzip(cat, n + 2, 145000, NULL, &out_len), -EINVAL);

	free(cat);
	free(want);
	free(ga);
	free(gb);
	free(gc);
	free(da);
	free(db);
}

/* ---- hand-made DEFLATE streams ---- */

struct bw {
	uint8_t buf[80000];
	size_t nbits;
};

static struct bw *bw_new(void)
{
	return calloc(1, sizeof(struct bw));
}

/* Writes n bits of v, least significant first (header fields, extra bits). */
static void put(struct bw *w, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, w->nbits++)
		if (v >> i & 1)
			w->buf[w->nbits / 8] |= (uint8_t)(1 << (w->nbits % 8));
}

/* Writes a Huffman code, its most significant bit first (RFC 1951 3.1.1). */
static void put_code(struct bw *w, uint32_t code, unsigned len)
{
	while (len--)
		put(w, code >> len & 1, 1);
}

static size_t bw_bytes(const struct bw *w)
{
	return (w->nbits + 7) / 8;
}

static void put_stored(struct bw *w, bool final, const uint8_t *p, unsigned n)
{
	put(w, final, 1);
	put(w, 0, 2);
	w->nbits = (w->nbits + 7) / 8 * 8;
	put(w, n, 16);
	put(w, ~n & 0xffff, 16);
	for (unsigned i = 0; i < n; i++)
		put(w, p[i], 8);
}

/* The fixed literal/length code (RFC 1951 3.2.6). */
static void put_fixed_lit(struct bw *w, unsigned sym)
{
	if (sym < 144)
		put_code(w, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(w, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(w, sym - 256, 7);
	else
		put_code(w, 0xc0 + sym - 280, 8);
}

static const unsigned lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
				    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const unsigned lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
				   3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const unsigned dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
				    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
				    6145, 8193, 12289, 16385, 24577 };
static const unsigned dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
				   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* A length/distance pair in the fixed code. */
static void put_fixed_match(struct bw *w, unsigned len, unsigned dist)
{
	int l = 28, d = 29;
	while (len < lbase[l] || (l < 28 && len >= lbase[l + 1]))
		l--;
	if (len == 258)
		l = 28;
	while (dist < dbase[d])
		d--;
	put_fixed_lit(w, 257 + (unsigned)l);
	put(w, len - lbase[l], lext[l]);
	put_code(w, (unsigned)d, 5);
	put(w, dist - dbase[d], dext[d]);
}

static int decode_bw(const struct bw *w, size_t cap, uint8_t **out, size_t *out_len)
{
	return raw_inflate(w->buf, bw_bytes(w), cap, out, out_len, NULL);
}

TEST(stored_blocks)
{
	struct bw *w = bw_new();
	size_t out_len, used;
	uint8_t *out;

	put_stored(w, false, (const uint8_t *)"hello, ", 7);
	put_stored(w, false, NULL, 0);
	put_stored(w, true, (const uint8_t *)"world", 5);
	CHECK_INT(raw_inflate(w->buf, bw_bytes(w), 100, &out, &out_len, &used), 0);
	CHECK_INT(used, bw_bytes(w));
	CHECK_INT(out_len, 12);
	CHECK(memcmp(out, "hello, world", 12) == 0);
	free(out);
	CHECK_INT(decode_bw(w, 11, NULL, &out_len), -ENOSPC);
	for (size_t cut = 0; cut < bw_bytes(w); cut++)
		CHECK_INT(raw_inflate(w->buf, cut, 100, NULL, &out_len, NULL), -EINVAL);

	/* NLEN must be LEN's complement; LEN must not run past the input. */
	memset(w, 0, sizeof(*w));
	put(w, 1, 1);
	put(w, 0, 2);
	w->nbits = 8;
	put(w, 5, 16);
	put(w, 0xfffb, 16); /* ~5 is 0xfffa */
	put(w, 0x6161616161ull & 0xffffffff, 32);
	put(w, 0x61, 8);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	memset(w, 0, sizeof(*w));
	put(w, 1, 1);
	put(w, 0, 2);
	w->nbits = 8;
	put(w, 6, 16);
	put(w, 0xfff9, 16);
	put(w, 0x61616161, 32);
	put(w, 0x61, 8);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);

	/* Block type 3 is reserved. */
	memset(w, 0, sizeof(*w));
	put(w, 1, 1);
	put(w, 3, 2);
	put(w, 0, 16);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	/* No final block before the input ends. */
	memset(w, 0, sizeof(*w));
	put_stored(w, false, (const uint8_t *)"abc", 3);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	CHECK_INT(raw_inflate(NULL, 0, 0, NULL, &out_len, NULL), -EINVAL);
	free(w);
}

TEST(fixed_blocks)
{
	struct bw *w = bw_new();
	size_t out_len;
	uint8_t *out;

	/* Literals, an overlapping match (dist 1), a plain one, literals 144..255 (9-bit codes). */
	put(w, 1, 1);
	put(w, 1, 2);
	put_fixed_lit(w, 'a');
	put_fixed_match(w, 10, 1);
	put_fixed_lit(w, 'b');
	put_fixed_match(w, 3, 2);
	put_fixed_lit(w, 200);
	put_fixed_lit(w, 255);
	put_fixed_lit(w, 256);
	CHECK_INT(decode_bw(w, 100, &out, &out_len), 0);
	CHECK_INT(out_len, 17);
	CHECK(memcmp(out, "aaaaaaaaaaab" "aba" "\xc8\xff", 17) == 0);
	free(out);
	CHECK_INT(decode_bw(w, 16, NULL, &out_len), -ENOSPC);
	CHECK_INT(decode_bw(w, 10, &out, &out_len), -ENOSPC); /* the match does not fit */
	CHECK_INT(out_len, 10);
	CHECK(memcmp(out, "aaaaaaaaaa", 10) == 0);
	free(out);
	for (size_t cut = 0; cut < bw_bytes(w); cut++)
		CHECK_INT(raw_inflate(w->buf, cut, 100, NULL, &out_len, NULL), -EINVAL);

	/* A distance reaching before the output is -EINVAL, even by one byte. */
	memset(w, 0, sizeof(*w));
	put(w, 1, 1);
	put(w, 1, 2);
	put_fixed_lit(w, 'a');
	put_fixed_match(w, 3, 2);
	put_fixed_lit(w, 256);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);

	/* Literal/length codes 286, 287 and distance codes 30, 31 exist but are invalid. */
	for (unsigned sym = 286; sym < 288; sym++) {
		memset(w, 0, sizeof(*w));
		put(w, 3, 3);
		put_fixed_lit(w, 'a');
		put_fixed_lit(w, sym);
		put(w, 0, 32);
		CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	}
	for (unsigned d = 30; d < 32; d++) {
		memset(w, 0, sizeof(*w));
		put(w, 3, 3);
		put_fixed_lit(w, 'a');
		put_fixed_lit(w, 257);
		put_code(w, d, 5);
		put(w, 0, 32);
		CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	}

	/* The longest match at the farthest distance: 258 bytes from 32768 back. */
	memset(w, 0, sizeof(*w));
	uint8_t *data = make_data(K_RANDOM, 32768, 77);
	put_stored(w, false, data, 32768);
	put(w, 1, 1);
	put(w, 1, 2);
	put_fixed_match(w, 258, 32768);
	put_fixed_match(w, 257, 32768);
	put_fixed_lit(w, 256);
	CHECK_INT(decode_bw(w, 40000, &out, &out_len), 0);
	CHECK_INT(out_len, 32768 + 258 + 257);
	CHECK(memcmp(out, data, 32768) == 0);
	CHECK(memcmp(out + 32768, data, 258) == 0);
	CHECK(memcmp(out + 32768 + 258, data + 258, 257) == 0);
	free(out);
	free(data);
	free(w);
}

/* Canonical codes for lengths (RFC 1951 3.2.2). */
static void canon(const uint8_t *lens, unsigned n, uint32_t *codes)
{
	unsigned count[16] = { 0 }, next[16];
	for (unsigned i = 0; i < n; i++)
		count[lens[i]]++;
	count[0] = 0;
	unsigned code = 0;
	for (unsigned b = 1; b < 16; b++) {
		code = (code + count[b - 1]) << 1;
		next[b] = code;
	}
	for (unsigned i = 0; i < n; i++)
		if (lens[i])
			codes[i] = next[lens[i]]++;
}

/* A dynamic block header: every length sent as-is with the code-length code clens. */
static void put_dynamic_header(struct bw *w, bool final, const uint8_t *lit, unsigned nlit,
			       const uint8_t *dist, unsigned ndist, const uint8_t clens[19])
{
	static const unsigned order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
					    11, 4, 12, 3, 13, 2, 14, 1, 15 };
	uint32_t ccodes[19];
	canon(clens, 19, ccodes);
	put(w, final, 1);
	put(w, 2, 2);
	put(w, nlit - 257, 5);
	put(w, ndist - 1, 5);
	put(w, 15, 4);
	for (int i = 0; i < 19; i++)
		put(w, clens[order[i]], 3);
	for (unsigned i = 0; i < nlit; i++)
		put_code(w, ccodes[lit[i]], clens[lit[i]]);
	for (unsigned i = 0; i < ndist; i++)
		put_code(w, ccodes[dist[i]], clens[dist[i]]);
}

TEST(dynamic_long_codes)
{
	/* Literals 'a'..'o' and end-of-block with lengths 1, 2, ..., 15, 15: a complete code
	 * whose long codes miss the direct table and take the canonical walk. */
	uint8_t lit[258] = { 0 }, dist[2] = { 1, 0 }, clens[19] = { 0 };
	uint32_t codes[258];
	struct bw *w = bw_new();
	size_t out_len;
	uint8_t *out;

	for (int i = 0; i < 15; i++)
		lit['a' + i] = (uint8_t)(i + 1);
	lit[256] = 15;
	for (int i = 0; i < 16; i++)
		clens[i] = 4;
	canon(lit, 257, codes);
	put_dynamic_header(w, true, lit, 257, dist, 1, clens);
	const char *msg = "onmlkjihgfedcbaabcdefghijklmnoooa";
	for (const char *c = msg; *c; c++)
		put_code(w, codes[(uint8_t)*c], lit[(uint8_t)*c]);
	size_t before_eob = w->nbits;
	put_code(w, codes[256], 15);
	CHECK_INT(decode_bw(w, 100, &out, &out_len), 0);
	CHECK_INT(out_len, strlen(msg));
	CHECK(memcmp(out, msg, out_len) == 0);
	free(out);
	/* Cut inside the 15-bit end-of-block code. */
	for (size_t cut = (before_eob + 7) / 8; cut < bw_bytes(w); cut++)
		CHECK_INT(raw_inflate(w->buf, cut, 100, NULL, &out_len, NULL), -EINVAL);

	/* An incomplete code: the unused codes (all ones past 'a'..'c') fail. */
	memset(w, 0, sizeof(*w));
	memset(lit, 0, sizeof(lit));
	lit['a'] = 1;
	lit['b'] = 2;
	lit[256] = 3; /* '111' is unused */
	canon(lit, 257, codes);
	put_dynamic_header(w, true, lit, 257, dist, 1, clens);
	put_code(w, codes['a'], 1);
	put_code(w, codes['b'], 2);
	put_code(w, 7, 3);
	put(w, 0, 16);
	CHECK_INT(decode_bw(w, 100, &out, &out_len), -EINVAL);
	CHECK_INT(out_len, 2);
	free(out);

	/* A distance code with no codes at all is fine until a match needs one. */
	memset(w, 0, sizeof(*w));
	lit[257] = 3;
	dist[0] = 0;
	canon(lit, 258, codes);
	put_dynamic_header(w, true, lit, 258, dist, 1, clens);
	put_code(w, codes['a'], 1);
	put_code(w, codes[256], 3);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), 0);
	CHECK_INT(out_len, 1);
	memset(w, 0, sizeof(*w));
	put_dynamic_header(w, true, lit, 258, dist, 1, clens);
	put_code(w, codes['a'], 1);
	put_code(w, codes[257], 3);
	put(w, 0, 32);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	free(w);
}

TEST(dynamic_header_errors)
{
	uint8_t lit[288] = { 0 }, dist[32] = { 0 }, clens[19] = { 0 };
	struct bw *w = bw_new();
	size_t out_len;

	for (int i = 0; i < 16; i++)
		clens[i] = 4;
	lit['a'] = 1;
	lit[256] = 1;
	dist[0] = 1;

	/* HLIT 287 or 288, HDIST 31 or 32: more symbols than the alphabets have. */
	static const unsigned nlits[] = { 257, 286, 287, 288 }, ndists[] = { 1, 30, 31, 32 };
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 4; j++) {
			unsigned nlit = nlits[i], ndist = ndists[j];
			memset(w, 0, sizeof(*w));
			put_dynamic_header(w, true, lit, nlit, dist, ndist, clens);
			put_code(w, 0, 1); /* 'a' */
			put_code(w, 1, 1); /* end of block */
			int rc = decode_bw(w, 100, NULL, &out_len);
			CHECK_INT(rc, nlit <= 286 && ndist <= 30 ? 0 : -EINVAL);
		}
	}

	/* No end-of-block code. */
	memset(w, 0, sizeof(*w));
	lit[256] = 0;
	lit['b'] = 1;
	put_dynamic_header(w, true, lit, 257, dist, 1, clens);
	put(w, 0, 32);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	lit['b'] = 0;
	lit[256] = 1;

	/* Over-subscribed literal code (three codes of length 1). */
	memset(w, 0, sizeof(*w));
	lit['c'] = 1;
	put_dynamic_header(w, true, lit, 257, dist, 1, clens);
	put(w, 0, 32);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	lit['c'] = 0;

	/* Over-subscribed distance code. */
	memset(w, 0, sizeof(*w));
	dist[1] = dist[2] = 1;
	put_dynamic_header(w, true, lit, 257, dist, 3, clens);
	put(w, 0, 32);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);
	dist[1] = dist[2] = 0;

	/* Over-subscribed code-length code: written by hand, 19 lengths of 1. */
	memset(w, 0, sizeof(*w));
	put(w, 1, 1);
	put(w, 2, 2);
	put(w, 0, 5);
	put(w, 0, 5);
	put(w, 15, 4);
	for (int i = 0; i < 19; i++)
		put(w, 1, 3);
	put(w, 0, 32);
	CHECK_INT(decode_bw(w, 100, NULL, &out_len), -EINVAL);

	/* Run-length codes 16/17/18 with hand-written sequences. Code-length code: 0..15 and 16,
	 * 17, 18 all with length 5 (19 codes of 32: incomplete, which is allowed). */
	uint8_t cl5[19];
	uint32_t cc[19];
	memset(cl5, 5, sizeof(cl5));
	canon(cl5, 19, cc);
	static const unsigned order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
					    11, 4, 12, 3, 13, 2, 14, 1, 15 };
	enum { REPEAT_FIRST, REPEAT_OVER, ZEROS_OVER, VALID };
	for (int t = REPEAT_FIRST; t <= VALID; t++) {
		memset(w, 0, sizeof(*w));
		put(w, 1, 1);
		put(w, 2, 2);
		put(w, 0, 5); /* 257 literal/length codes */
		put(w, 0, 5); /* 1 distance code */
		put(w, 15, 4);
		for (int i = 0; i < 19; i++)
			put(w, cl5[order[i]], 3);
		unsigned n = 0;
		if (t == REPEAT_FIRST) {
			put_code(w, cc[16], 5);
			put(w, 0, 2);
		} else {
			/* 'a' = 1, 255 zeros via 18s... then end-of-block = 1, distance = 1. */
			put_code(w, cc[18], 5), put(w, 'a' - 11, 7), n += 'a';
			put_code(w, cc[1], 5), n++;
			unsigned z = 256 - n;
			while (z >= 11) {
				unsigned r = z > 138 ? 138 : z;
				put_code(w, cc[18], 5), put(w, r - 11, 7);
				z -= r, n += r;
			}
			while (z--)
				put_code(w, cc[0], 5), n++;
			put_code(w, cc[1], 5), n++; /* 256 */
			if (t == REPEAT_OVER) {
				put_code(w, cc[16], 5), put(w, 0, 2); /* 3 more: 2 too many */
			} else if (t == ZEROS_OVER) {
				put_code(w, cc[17], 5), put(w, 0, 3);
			} else {
				put_code(w, cc[1], 5); /* the distance code */
				put_code(w, 0, 1);     /* 'a' */
				put_code(w, 1, 1);     /* end of block */
			}
		}
		put(w, 0, 32);
		uint8_t *out;
		int rc = decode_bw(w, 100, &out, &out_len);
		CHECK_INT(rc, t == VALID ? 0 : -EINVAL);
		if (t == VALID)
			CHECK(out_len == 1 && out[0] == 'a');
		free(out);
	}
	free(w);
}

/* ---- damaged input ---- */

TEST(truncated_at_every_position)
{
	static const struct {
		enum kind k;
		size_t n;
		const char *args;
	} cases[] = {
		{ K_TEXT, 6000, "-n -9" },  /* dynamic */
		{ K_RANDOM, 3000, "-n -6" }, /* stored */
		{ K_TEXT, 40, "-n -6" },     /* fixed */
		{ K_BINARY, 4000, "-N -1" }, /* with a name */
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t gz_len, out_len;
		uint8_t *data = make_data(cases[c].k, cases[c].n, c);
		uint8_t *gz = host_gzip(data, cases[c].n, cases[c].args, &gz_len);
		CHECK(gz != NULL);
		for (size_t cut = 0; cut < gz_len; cut++) {
			int rc = gunzip(gz, cut, cases[c].n, NULL, &out_len);
			if (rc != -EINVAL)
				unit_fail(__FILE__, __LINE__, "case %zu cut at %zu/%zu: %d", c, cut,
					  gz_len, rc);
			CHECK_INT(rc, -EINVAL);
			CHECK(out_len <= cases[c].n);
		}
		CHECK_INT(gunzip(gz, gz_len, cases[c].n, NULL, &out_len), 0);
		free(gz);
		free(data);
	}
}

TEST(bit_flips)
{
	size_t gz_len, out_len;
	uint8_t *data = make_data(K_TEXT, 4000, 21);
	uint8_t *gz = host_gzip(data, 4000, "-n -9", &gz_len);
	CHECK(gz != NULL);
	unsigned errors = 0;
	for (size_t bit = 0; bit < gz_len * 8; bit++) {
		uint8_t *out;
		gz[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		int rc = gunzip(gz, gz_len, 8000, &out, &out_len);
		gz[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		CHECK(known_error(rc));
		/* Success only when the flip hit something that does not matter (MTIME, XFL, OS,
		 * FTEXT, the unused bits of the last byte, the length of an unused code). */
		if (rc == 0) {
			CHECK(out_len == 4000 && memcmp(out, data, 4000) == 0);
		} else {
			errors++;
		}
		free(out);
	}
	CHECK(errors > gz_len * 8 * 9 / 10);
	free(gz);
	free(data);
}

TEST(small_output_buffers)
{
	size_t gz_len, out_len;
	uint8_t *data = make_data(K_TEXT, 100000, 31);
	uint8_t *gz = host_gzip(data, 100000, "-n -6", &gz_len);
	CHECK(gz != NULL);
	for (size_t cap = 0; cap < 100000; cap = cap * 2 + 1) {
		uint8_t *out;
		CHECK_INT(gunzip(gz, gz_len, cap, &out, &out_len), -ENOSPC);
		CHECK_INT(out_len, cap);
		CHECK(memcmp(out, data, cap) == 0);
		free(out);
	}
	free(gz);
	free(data);
}

/* ---- random input ---- */

TEST(fuzz_random_raw)
{
	uint8_t buf[1024];
	rng = 0x1234567;
	unsigned ok = 0;
	for (int i = 0; i < 10000; i++) {
		size_t n = rnd() % sizeof(buf), out_len;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rnd();
		/* Mostly dynamic blocks, the type with most to parse. */
		if (n && i % 4)
			buf[0] = (uint8_t)((buf[0] & ~6) | 4);
		int rc = raw_inflate(buf, n, rnd() % 8192, NULL, &out_len, NULL);
		CHECK(known_error(rc));
		ok += rc == 0;
	}
	printf("# fuzz_random_raw: %u of 10000 decoded\n", ok);
}

TEST(fuzz_random_gzip)
{
	size_t gz_len, out_len;
	uint8_t *data = make_data(K_TEXT, 3000, 41);
	uint8_t *gz = host_gzip(data, 3000, "-n -9", &gz_len);
	CHECK(gz != NULL);
	uint8_t *m = malloc(gz_len + 1024);
	rng = 0x7654321;
	for (int i = 0; i < 10000; i++) {
		size_t n;
		if (i % 2) {
			/* A real member with a few bytes changed and maybe cut short. */
			memcpy(m, gz, gz_len);
			n = gz_len;
			for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
				m[10 + rnd() % (gz_len - 10)] = (uint8_t)rnd();
			if (rnd() % 4 == 0)
				n = rnd() % gz_len;
		} else {
			/* A valid header with random flags, then garbage. */
			n = 10 + rnd() % 1024;
			for (size_t j = 0; j < n; j++)
				m[j] = (uint8_t)rnd();
			m[0] = 0x1f, m[1] = 0x8b, m[2] = 8, m[3] &= 0x1f;
		}
		int rc = gunzip(m, n, rnd() % 6000, NULL, &out_len);
		CHECK(known_error(rc));
	}
	free(m);
	free(gz);
	free(data);
}
