// unit-deps: kernel/fs/cpio.c kernel/lib/string.c
/*
 * The cpio newc iterator against archives the host's `cpio -o -H newc` (and `-H crc`) made of a
 * directory tree built at test time, checked against lstat() of every file; then hand-made,
 * truncated, malformed and random archives. Archives sit flush against an inaccessible page, so
 * any read past the length handed over faults.
 */
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host_prefix.h"

#include "fs/cpio.h"
#include "lib/errno.h"
#include "lib/string.h"

#undef snprintf /* the host's, for paths and shell commands; printf.c is not linked */

/* ---- buffers that end at a PROT_NONE page ---- */

struct gbuf {
	uint8_t *p; /* p[0..n) is usable; p + n is the guard page */
	size_t n;
	void *map;
	size_t map_len;
};

static struct gbuf gb_copy(const void *src, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data = ((n + (size_t)pg - 1) / (size_t)pg) * (size_t)pg;
	struct gbuf g = { .n = n, .map_len = data + (size_t)pg };
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.map == MAP_FAILED)
		abort();
	mprotect((uint8_t *)g.map + data, (size_t)pg, PROT_NONE);
	g.p = (uint8_t *)g.map + data - n;
	if (n)
		memcpy(g.p, src, n);
	return g;
}

static void gb_free(struct gbuf *g)
{
	munmap(g->map, g->map_len);
}

/*
 * Iterates over a guarded copy of an archive to its end and checks what every entry points at.
 * Returns the last cpio_next result (0 or an error) and the number of entries in *count.
 */
static int walk(const void *ar, size_t len, unsigned *count, size_t *end)
{
	struct gbuf g = gb_copy(ar, len);
	struct cpio_iter it;
	struct cpio_entry e;
	int rc;

	*count = 0;
	cpio_iter_init(&it, g.p, len);
	while ((rc = cpio_next(&it, &e)) == 1) {
		const uint8_t *name = (const uint8_t *)e.name, *data = e.data;
		if (name < g.p || name + e.name_len >= g.p + len || name[e.name_len] != 0 ||
		    e.name_len == 0 || memchr(name, 0, e.name_len) || data < g.p ||
		    e.size > (size_t)(g.p + len - data) || *count > len / 110) {
			unit_fail(__FILE__, __LINE__, "entry %u out of bounds or unterminated", *count);
			rc = 1;
			break;
		}
		(*count)++;
	}
	/* The end (or the error) is sticky. */
	if (rc <= 0 && cpio_next(&it, &e) != rc) {
		unit_fail(__FILE__, __LINE__, "a second call after %d returned something else", rc);
		rc = 1;
	}
	if (rc == 0 && (it.pos > len || (it.pos % 4 != 0 && it.pos != len))) {
		unit_fail(__FILE__, __LINE__, "end offset %zu of %zu", it.pos, len);
		rc = 1;
	}
	if (end)
		*end = it.pos;
	gb_free(&g);
	return rc;
}

static bool known_error(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -EIO;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- hand-made archives ---- */

struct ar {
	uint8_t buf[1 << 16];
	size_t n;
};

static void ar_bytes(struct ar *a, const void *p, size_t n)
{
	memcpy(a->buf + a->n, p, n);
	a->n += n;
}

static void ar_pad(struct ar *a)
{
	while (a->n % 4)
		a->buf[a->n++] = 0;
}

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR, F_DEVMINOR,
       F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK };

/* A header with the given fields; then the name (namesize bytes of it) and the data. */
static void ar_raw(struct ar *a, const char *magic, const uint32_t f[13], const char *name,
		   size_t name_bytes, const void *data, size_t size)
{
	char h[111];
	snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, f[0],
		 f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]);
	ar_bytes(a, h, 110);
	ar_bytes(a, name, name_bytes);
	ar_pad(a);
	ar_bytes(a, data, size);
	ar_pad(a);
}

/* A well-formed entry; the 070702 checksum is computed. */
static void ar_entry(struct ar *a, const char *magic, const char *name, uint32_t mode,
		     const void *data, size_t size)
{
	uint32_t f[13] = { 0 };
	f[F_INO] = (uint32_t)a->n + 1;
	f[F_MODE] = mode;
	f[F_NLINK] = 1;
	f[F_FILESIZE] = (uint32_t)size;
	f[F_NAMESIZE] = (uint32_t)strlen(name) + 1;
	for (size_t i = 0; i < size; i++)
		f[F_CHECK] += ((const uint8_t *)data)[i];
	ar_raw(a, magic, f, name, strlen(name) + 1, data, size);
}

static void ar_trailer(struct ar *a)
{
	ar_entry(a, "070701", "TRAILER!!!", 0, NULL, 0);
}

static struct ar *ar_new(void)
{
	return calloc(1, sizeof(struct ar));
}

TEST(handmade_fields)
{
	struct ar *a = ar_new();
	uint32_t f[13] = { 0x12345678, 0100644, 1000, 1001, 2, 0x5f5e1000, 5, 8, 1, 4, 64, 8, 0 };
	ar_raw(a, "070701", f, "dir/abc", 8, "hello", 5);
	ar_entry(a, "070701", "dir", 040755, NULL, 0);
	ar_entry(a, "070701", "lnk", 0120777, "dir/abc", 7);
	ar_trailer(a);
	size_t len = a->n;

	struct cpio_iter it;
	struct cpio_entry e;
	cpio_iter_init(&it, a->buf, len);
	CHECK_INT(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, "dir/abc");
	CHECK_INT(e.name_len, 7);
	CHECK_INT(e.ino, 0x12345678);
	CHECK_INT(e.mode, 0100644);
	CHECK_INT(e.uid, 1000);
	CHECK_INT(e.gid, 1001);
	CHECK_INT(e.nlink, 2);
	CHECK_INT(e.mtime, 0x5f5e1000);
	CHECK_INT(e.size, 5);
	CHECK(memcmp(e.data, "hello", 5) == 0);
	CHECK_INT(e.dev_major, 8);
	CHECK_INT(e.dev_minor, 1);
	CHECK_INT(e.rdev_major, 4);
	CHECK_INT(e.rdev_minor, 64);
	/* Header 110 + name 8 = 118, padded to 120: the data starts 4-aligned. */
	CHECK((const uint8_t *)e.data == a->buf + 120);
	CHECK_INT(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, "dir");
	CHECK_INT(e.mode, 040755);
	CHECK_INT(e.size, 0);
	CHECK_INT(cpio_next(&it, &e), 1);
	CHECK_INT(e.size, 7);
	CHECK(memcmp(e.data, "dir/abc", 7) == 0);
	CHECK_INT(cpio_next(&it, &e), 0);
	CHECK_INT(it.pos, len);
	CHECK_INT(cpio_next(&it, &e), 0);

	/* Lower-case hex digits are hex digits too. */
	for (size_t i = 6; i < 110; i++)
		if (a->buf[i] >= 'A' && a->buf[i] <= 'F')
			a->buf[i] = (uint8_t)(a->buf[i] - 'A' + 'a');
	cpio_iter_init(&it, a->buf, len);
	CHECK_INT(cpio_next(&it, &e), 1);
	CHECK_INT(e.ino, 0x12345678);
	CHECK_INT(e.mtime, 0x5f5e1000);

	CHECK(cpio_is_newc(a->buf, len));
	CHECK(cpio_is_newc("070702", 6));
	CHECK(!cpio_is_newc("070701", 5));
	CHECK(!cpio_is_newc("070707", 6));
	CHECK(!cpio_is_newc("\xc7\x71", 2));
	free(a);
}

TEST(bad_magic)
{
	static const char *const magics[] = { "070707", "070703", "070700", "170701", "07070 ",
					      "\xc7\x71\x00\x00\x00\x00" };
	for (size_t m = 0; m < sizeof(magics) / sizeof(magics[0]); m++) {
		struct ar *a = ar_new();
		ar_entry(a, "070701", "file", 0100644, "x", 1);
		ar_trailer(a);
		memcpy(a->buf, magics[m], 6);
		unsigned count;
		CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
		CHECK_INT(count, 0);
		/* And in the second entry (header 110, "file" 5 + 1 padding, data 1 + 3 padding). */
		memcpy(a->buf, "070701", 6);
		memcpy(a->buf + 120, magics[m], 6);
		CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
		CHECK_INT(count, 1);
		free(a);
	}
}

TEST(bad_hex_digits)
{
	static const char bad[] = { 'g', 'G', ' ', '-', '+', 'x', 'X', ':', '@', '`', '/', 0, '\n',
				    (char)0xb0 };
	struct ar *a = ar_new();
	ar_entry(a, "070701", "file", 0100644, "data", 4);
	ar_trailer(a);
	unsigned count;
	CHECK_INT(walk(a->buf, a->n, &count, NULL), 0);
	CHECK_INT(count, 1);
	/* Every digit of every field, the check field included. */
	for (size_t i = 6; i < 110; i++) {
		uint8_t save = a->buf[i];
		for (size_t b = 0; b < sizeof(bad); b++) {
			a->buf[i] = (uint8_t)bad[b];
			CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
		}
		a->buf[i] = save;
	}
	free(a);
}

TEST(names)
{
	struct ar *a = ar_new();
	uint32_t f[13] = { 1, 0100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	unsigned count;
	size_t end;

	/* namesize 0, and 1 (the empty name). */
	for (uint32_t ns = 0; ns < 2; ns++) {
		a->n = 0;
		f[F_NAMESIZE] = ns;
		ar_raw(a, "070701", f, "", ns, NULL, 0);
		ar_trailer(a);
		CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	}
	/* A NUL inside the name; no NUL at its end. */
	a->n = 0;
	f[F_NAMESIZE] = 6;
	ar_raw(a, "070701", f, "ab\0cd", 6, NULL, 0);
	ar_trailer(a);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	a->n = 0;
	f[F_NAMESIZE] = 5;
	ar_raw(a, "070701", f, "abcdef", 5, NULL, 0);
	ar_trailer(a);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	/* namesize past the end, by one and by a lot. */
	a->n = 0;
	f[F_NAMESIZE] = 5;
	ar_raw(a, "070701", f, "abcd", 5, NULL, 0);
	for (uint32_t ns = 6; ns < 40; ns++) {
		char h[9];
		snprintf(h, sizeof(h), "%08X", ns);
		memcpy(a->buf + 6 + 8 * F_NAMESIZE, h, 8);
		CHECK_INT(walk(a->buf, 115, &count, NULL), -EINVAL);
	}
	memcpy(a->buf + 6 + 8 * F_NAMESIZE, "FFFFFFFF", 8);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	/* The name and its padding, then the end: the entry, then no trailer. */
	memcpy(a->buf + 6 + 8 * F_NAMESIZE, "00000005", 8);
	CHECK_INT(walk(a->buf, 116, &count, NULL), -EINVAL);
	CHECK_INT(count, 1);
	CHECK_INT(walk(a->buf, 115, &count, NULL), -EINVAL); /* the padding missing */
	CHECK_INT(count, 0);
	/* A name that only starts like the trailer is an ordinary name. */
	a->n = 0;
	ar_entry(a, "070701", "TRAILER!!", 0100644, NULL, 0);
	ar_entry(a, "070701", "TRAILER!!!x", 0100644, NULL, 0);
	ar_trailer(a);
	CHECK_INT(walk(a->buf, a->n, &count, &end), 0);
	CHECK_INT(count, 2);
	CHECK_INT(end, a->n);
	free(a);
}

TEST(data_sizes)
{
	struct ar *a = ar_new();
	unsigned count;

	ar_entry(a, "070701", "a", 0100644, "12345678", 8);
	ar_trailer(a);
	/* Every filesize past the data: past the end (no entry), or into the trailer (which is
	 * then data, and no trailer follows). The data starts at 112, the archive ends at 244. */
	CHECK_INT(a->n, 244);
	for (uint32_t size = 9; size < 300; size++) {
		char h[9];
		snprintf(h, sizeof(h), "%08X", size);
		memcpy(a->buf + 6 + 8 * F_FILESIZE, h, 8);
		CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
		CHECK_INT(count, size <= 132 ? 1 : 0);
	}
	memcpy(a->buf + 6 + 8 * F_FILESIZE, "FFFFFFFF", 8);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	CHECK_INT(count, 0);
	memcpy(a->buf + 6 + 8 * F_FILESIZE, "FFFFFFF8", 8);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	free(a);
}

TEST(trailer_and_padding)
{
	struct ar *a = ar_new();
	unsigned count;
	size_t end;

	/* Nothing at all, and entries without a trailer. */
	CHECK_INT(walk("", 0, &count, NULL), -EINVAL);
	ar_entry(a, "070701", "a", 0100644, "x", 1);
	ar_entry(a, "070701", "b", 0100644, "yy", 2);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	CHECK_INT(count, 2);
	/* The last entry's data padding missing, then the end. */
	CHECK_INT(walk(a->buf, a->n - 2, &count, NULL), -EINVAL);
	CHECK_INT(count, 2);

	/* The trailer ends it; zeros (or anything) after it are not read. */
	size_t before = a->n;
	ar_trailer(a);
	size_t trailer_end = a->n;
	memset(a->buf + a->n, 0, 512);
	CHECK_INT(walk(a->buf, a->n + 512, &count, &end), 0);
	CHECK_INT(count, 2);
	CHECK_INT(end, trailer_end);
	memset(a->buf + a->n, 0xa5, 512);
	CHECK_INT(walk(a->buf, a->n + 512, &count, &end), 0);
	/* The trailer's name padding may be missing at the very end. */
	CHECK_INT(walk(a->buf, before + 110 + 11, &count, &end), 0);
	CHECK_INT(end, before + 121);
	/* But not its name. */
	for (size_t cut = before; cut < before + 121; cut++)
		CHECK_INT(walk(a->buf, cut, &count, NULL), -EINVAL);

	/* Zero padding instead of a header before the trailer is not a header. */
	a->n = before;
	memset(a->buf + a->n, 0, 8);
	a->n += 8;
	ar_trailer(a);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EINVAL);
	free(a);
}

TEST(crc_format_checksum)
{
	struct ar *a = ar_new();
	unsigned count;

	ar_entry(a, "070702", "f", 0100644, "\xff\xfe\x01", 3);
	ar_entry(a, "070702", "empty", 0100644, NULL, 0);
	ar_entry(a, "070702", "TRAILER!!!", 0, NULL, 0);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), 0);
	CHECK_INT(count, 2);
	/* A data byte changed. */
	a->buf[113] ^= 1;
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EIO);
	CHECK_INT(count, 0);
	a->buf[113] ^= 1;
	/* The check field changed. */
	a->buf[6 + 8 * F_CHECK + 7] = '0';
	CHECK_INT(walk(a->buf, a->n, &count, NULL), -EIO);
	/* In 070701 the check field means nothing. */
	memcpy(a->buf, "070701", 6);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), 0);
	CHECK_INT(count, 2);
	/* Only regular files carry a sum: GNU cpio writes 0 for a symlink's target. */
	a->n = 0;
	uint32_t f[13] = { 1, 0120777, 0, 0, 1, 0, 3, 0, 0, 0, 0, 2, 0 };
	ar_raw(a, "070702", f, "s", 2, "a/f", 3);
	ar_trailer(a);
	CHECK_INT(walk(a->buf, a->n, &count, NULL), 0);
	CHECK_INT(count, 1);
	free(a);
}

/* ---- archives from the host's cpio ---- */

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
		strcpy(tmpdir, "/tmp/ferrite-cpio-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	return tmpdir;
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

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

/*
 * The tree: nested directories, text, an empty file, a 1 MiB file, a symlink, two hard links,
 * a private file and a FIFO. Returns the number of paths (as find lists them).
 */
static unsigned make_tree(const char *root, bool big)
{
	char cmd[1024], path[512];
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p '%1$s/a/b/c' '%1$s/emptydir'; cd '%1$s';"
		 "printf 'hello\\n' > hello.txt; : > empty; printf 'deep' > a/b/c/deep.txt;"
		 "ln -s a/b/c/deep.txt link; ln -s /nowhere/at/all dangling;"
		 "head -c 1234 /dev/zero | tr '\\0' 'h' > a/hard1; ln a/hard1 a/hard2;"
		 "printf 's' > secret; chmod 600 secret; chmod 711 a/b; mkfifo fifo",
		 root);
	if (system(cmd) != 0)
		return 0;
	unsigned n = 14;
	if (big) {
		size_t size = 1 << 20;
		uint8_t *p = malloc(size);
		for (size_t i = 0; i < size; i++)
			p[i] = (uint8_t)rnd();
		snprintf(path, sizeof(path), "%s/a/big.bin", root);
		write_file(path, p, size);
		free(p);
		n++;
	}
	return n;
}

/* Archives root with `cpio -o -H fmt`; returns the archive. */
static uint8_t *host_cpio(const char *root, const char *fmt, size_t *len)
{
	char cmd[1024], path[256];
	snprintf(path, sizeof(path), "%s/archive.cpio", tmp());
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . | LC_ALL=C sort | cpio -o -H %s --quiet > '%s'",
		 root, fmt, path);
	if (system(cmd) != 0)
		return NULL;
	return read_file(path, len);
}

/* Every entry of a host archive against lstat() of the file it came from. */
static void check_host_archive(const char *root, const uint8_t *ar, size_t len, unsigned paths,
			       const char *magic)
{
	struct gbuf g = gb_copy(ar, len);
	struct cpio_iter it;
	struct cpio_entry e;
	unsigned count = 0, hard = 0;
	uint32_t hard_ino = 0;
	int rc;

	cpio_iter_init(&it, g.p, len);
	CHECK(memcmp(g.p, magic, 6) == 0);
	while ((rc = cpio_next(&it, &e)) == 1) {
		char path[512];
		struct stat s;
		snprintf(path, sizeof(path), "%s/%s", root, e.name);
		CHECK_INT(e.name_len, strlen(e.name));
		if (lstat(path, &s) != 0) {
			unit_fail(__FILE__, __LINE__, "no file for entry \"%s\"", e.name);
			break;
		}
		CHECK_INT(e.mode, s.st_mode);
		CHECK_INT(e.uid, s.st_uid);
		CHECK_INT(e.gid, s.st_gid);
		CHECK_INT(e.nlink, s.st_nlink);
		CHECK_INT(e.mtime, (uint32_t)s.st_mtime);
		CHECK_INT(e.ino, (uint32_t)s.st_ino);
		CHECK_INT(e.dev_major, major(s.st_dev));
		CHECK_INT(e.dev_minor, minor(s.st_dev));
		CHECK_INT(e.rdev_major, major(s.st_rdev));
		CHECK_INT(e.rdev_minor, minor(s.st_rdev));
		if (S_ISLNK(s.st_mode)) {
			char target[256];
			ssize_t n = readlink(path, target, sizeof(target));
			CHECK_INT(e.size, n);
			CHECK(memcmp(e.data, target, (size_t)n) == 0);
		} else if (S_ISREG(s.st_mode) && s.st_nlink > 1) {
			/* GNU cpio: the data goes with the last name of a hard-linked file. */
			if (hard++ == 0)
				hard_ino = e.ino;
			CHECK_INT(e.ino, hard_ino);
			CHECK_INT(e.size, hard == s.st_nlink ? s.st_size : 0);
		} else if (S_ISREG(s.st_mode)) {
			size_t n;
			uint8_t *want = read_file(path, &n);
			CHECK(want != NULL);
			CHECK_INT(e.size, n);
			CHECK(memcmp(e.data, want, n) == 0);
			free(want);
		} else {
			CHECK_INT(e.size, 0);
		}
		count++;
	}
	CHECK_INT(rc, 0);
	CHECK_INT(count, paths);
	CHECK_INT(hard, 2);
	/* cpio pads the archive to 512-byte blocks with zeros, which nobody reads. */
	CHECK(it.pos <= len && it.pos % 4 == 0);
	for (size_t i = it.pos; i < len; i++)
		CHECK_INT(g.p[i], 0);
	gb_free(&g);
}

TEST(host_newc_tree)
{
	char root[128];
	snprintf(root, sizeof(root), "%s/tree", tmp());
	unsigned paths = make_tree(root, true);
	CHECK(paths > 0);
	size_t len;
	uint8_t *ar = host_cpio(root, "newc", &len);
	CHECK(ar != NULL);
	check_host_archive(root, ar, len, paths, "070701");
	free(ar);
}

TEST(host_crc_tree)
{
	char root[128];
	snprintf(root, sizeof(root), "%s/crctree", tmp());
	unsigned paths = make_tree(root, true);
	CHECK(paths > 0);
	size_t len, off = 0;
	uint8_t *ar = host_cpio(root, "crc", &len);
	CHECK(ar != NULL);
	check_host_archive(root, ar, len, paths, "070702");
	if (unit_failed)
		return;
	/* One byte changed in the middle of the 1 MiB file: -EIO at that entry. */
	struct cpio_iter it;
	struct cpio_entry e;
	unsigned count = 0, big_at = 0;
	cpio_iter_init(&it, ar, len);
	while (cpio_next(&it, &e) == 1) {
		count++;
		if (e.size == 1 << 20) {
			big_at = count;
			off = (size_t)((const uint8_t *)e.data - ar) + 12345;
		}
	}
	CHECK(big_at > 0);
	ar[off] ^= 0x40;
	CHECK_INT(walk(ar, len, &count, NULL), -EIO);
	CHECK_INT(count, big_at - 1);
	free(ar);
}

TEST(host_archive_truncated_everywhere)
{
	char root[128];
	snprintf(root, sizeof(root), "%s/small", tmp());
	unsigned paths = make_tree(root, false), count;
	CHECK(paths > 0);
	size_t len, end;
	uint8_t *ar = host_cpio(root, "newc", &len);
	CHECK(ar != NULL);
	/* Where the trailer's name ends: past it, the archive is complete. */
	size_t trailer_end = 0;
	for (size_t i = 0; i + 11 <= len; i++)
		if (memcmp(ar + i, "TRAILER!!!", 11) == 0)
			trailer_end = i + 11;
	CHECK(trailer_end > 0);
	for (size_t cut = 0; cut <= len; cut++) {
		int rc = walk(ar, cut, &count, &end);
		if (cut < trailer_end) {
			CHECK_INT(rc, -EINVAL);
			CHECK(count <= paths);
		} else {
			CHECK_INT(rc, 0);
			CHECK_INT(count, paths);
			CHECK(end <= cut);
		}
	}
	free(ar);
}

/* ---- random input ---- */

TEST(fuzz_random)
{
	static uint8_t buf[4096];
	struct ar *a = ar_new();
	unsigned count;

	unsigned complete = 0, entries = 0;
	rng = 0x51ed27;
	for (int i = 0; i < 10000; i++) {
		size_t n = rnd() % sizeof(buf);
		switch (i % 3) {
		case 0: /* random bytes, but starting with a magic */
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)rnd();
			if (n >= 6)
				memcpy(buf, rnd() % 2 ? "070701" : "070702", 6);
			break;
		case 1: { /* headers of random hex digits with small sizes, random names */
			a->n = 0;
			while (a->n < 3000) {
				uint32_t f[13];
				for (int k = 0; k < 13; k++)
					f[k] = (uint32_t)rnd();
				f[F_NAMESIZE] = (uint32_t)(rnd() % 20);
				f[F_FILESIZE] = (uint32_t)(rnd() % 200);
				if (rnd() % 8 == 0)
					f[F_FILESIZE] = (uint32_t)rnd();
				char name[20];
				for (size_t k = 0; k < sizeof(name); k++)
					name[k] = (char)(rnd() % 4 ? 'a' + rnd() % 26 : rnd() % 3);
				ar_raw(a, rnd() % 2 ? "070701" : "070702", f, name,
				       f[F_NAMESIZE] < 20 ? f[F_NAMESIZE] : 20, buf, rnd() % 200);
				if (rnd() % 10 == 0)
					ar_trailer(a);
			}
			n = a->n < n ? a->n : n;
			memcpy(buf, a->buf, n);
			break;
		}
		default: /* a valid archive with a few bytes changed */
			a->n = 0;
			ar_entry(a, "070701", "dir", 040755, NULL, 0);
			ar_entry(a, "070702", "dir/file", 0100644, "contents\n", 9);
			ar_entry(a, "070701", "dir/link", 0120777, "file", 4);
			ar_trailer(a);
			n = a->n;
			memcpy(buf, a->buf, n);
			for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
				buf[rnd() % n] = rnd() % 2 ? (uint8_t)rnd()
							   : (uint8_t)"0123456789ABCDEF"[rnd() % 16];
			break;
		}
		int rc = walk(buf, n, &count, NULL);
		CHECK(known_error(rc));
		complete += rc == 0;
		entries += count;
	}
	printf("# fuzz_random: 10000 archives, %u complete, %u entries read\n", complete, entries);
	free(a);
}
