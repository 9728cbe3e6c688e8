// unit-deps: kernel/fs/fat/fat_check.c kernel/lib/string.c
/*
 * FAT's pure logic: boot sectors from the host's mkfs.fat (FAT12/16/32) and hand-corrupted
 * copies, FAT entry encoding, UTF-8 <-> UTF-16 with surrogates and invalid input, LFN slots
 * written and read back (and broken ones falling back to the 8.3 name), 8.3 alias generation,
 * FAT time; and a fuzzer: random mutations of a real image (mkfs.fat + mtools), each walked
 * with the parsers as the driver walks it. No crash, no hang, ASan clean.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "fs/fat/fat_layout.h"

#define IMG "/tmp/ferrite-unit-fat.img"

/* A host image: mkfs.fat -F bits over kib KiB, optionally with mtools content. */
static uint8_t *host_image(int bits, int kib, bool content, size_t *size)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -f " IMG " && mkfs.fat -F %d -C " IMG " %d > /dev/null 2>&1", bits, kib);
	if (system(cmd) != 0)
		return NULL;
	if (content) {
		snprintf(cmd, sizeof(cmd),
			 "d=$(mktemp -d) && mkdir -p $d/Sub\\ Dir/deeper && echo hi > \"$d/Sub Dir/deeper/A long name.text\" && "
			 "for i in 1 2 3 4 5 6 7 8 9; do head -c $((i * 700)) /dev/urandom > $d/file$i.bin; done && "
			 "echo x > $d/README.TXT && echo y > \"$d/Übergröße.txt\" && "
			 "mcopy -s -Q -i " IMG " $d/* ::/ > /dev/null 2>&1; rc=$?; rm -rf $d; exit $rc");
		if (system(cmd) != 0)
			return NULL;
	}
	FILE *f = fopen(IMG, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *img = malloc(*size);
	if (img && fread(img, 1, *size, f) != *size) {
		free(img);
		img = NULL;
	}
	fclose(f);
	remove(IMG);
	return img;
}

TEST(mkfs_boot_sectors)
{
	static const int kinds[][3] = { { 12, 4096, 12 }, { 16, 32768, 16 }, { 32, 65536, 32 } };
	for (int k = 0; k < 3; k++) {
		size_t size;
		uint8_t *img = host_image(kinds[k][0], kinds[k][1], false, &size);
		if (!img) {
			printf("SKIP mkfs.fat missing\n");
			return;
		}
		struct fat_geom g;
		int err = fat_parse_bpb(img, size, &g);
		uint32_t bits = g.bits;
		/* Too small a device for the file system it says it holds. */
		int small = fat_parse_bpb(img, size - 4096, &g);
		free(img);
		CHECK_INT(err, 0);
		CHECK_INT(bits, kinds[k][2]);
		CHECK_INT(small, -EINVAL);
	}
}

TEST(corrupt_boot_sectors)
{
	size_t size;
	uint8_t *good = host_image(32, 65536, false, &size);
	if (!good) {
		printf("SKIP mkfs.fat missing\n");
		return;
	}
	uint8_t bs[512];
	struct fat_geom g;
	struct { int off, len; uint32_t v; } bad[] = {
		{ 0, 1, 0 },          /* no jump */
		{ 11, 2, 0 },         /* bytes per sector */
		{ 11, 2, 513 },
		{ 11, 2, 8192 },
		{ 13, 1, 0 },         /* sectors per cluster */
		{ 13, 1, 3 },
		{ 14, 2, 0 },         /* reserved sectors */
		{ 16, 1, 0 },         /* FATs */
		{ 21, 1, 0x12 },      /* media */
		{ 17, 2, 512 },       /* a fixed root on FAT32 */
		{ 32, 4, 0 },         /* no sectors */
		{ 32, 4, 0xffffffff },
		{ 36, 4, 0 },         /* FAT size */
		{ 36, 4, 0xffffffff },
		{ 44, 4, 0 },         /* root cluster */
		{ 44, 4, 0x0fffffff },
		{ 42, 2, 1 },         /* FAT32 version */
		{ 40, 2, 0x8f },      /* active FAT past the FATs */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(bs, good, 512);
		for (int b = 0; b < bad[i].len; b++)
			bs[bad[i].off + b] = (uint8_t)(bad[i].v >> (8 * b));
		if (fat_parse_bpb(bs, size, &g) != -EINVAL) {
			free(good);
			unit_fail(__FILE__, __LINE__, "corruption %zu accepted", i);
			return;
		}
	}
	memcpy(bs, good, 512);
	free(good);
	CHECK_INT(fat_parse_bpb(bs, size, &g), 0);
}

TEST(fat_entries)
{
	uint8_t fat[8] = { 0 };
	/* FAT12: entries 0 and 1 share byte 1; each keeps the other's nibble. */
	fat_entry_encode(12, 0, fat + fat_entry_offset(12, 0), 0xabc);
	fat_entry_encode(12, 1, fat + fat_entry_offset(12, 1), 0x123);
	CHECK_INT(fat_entry_decode(12, 0, fat + fat_entry_offset(12, 0)), 0xabc);
	CHECK_INT(fat_entry_decode(12, 1, fat + fat_entry_offset(12, 1)), 0x123);
	CHECK_INT(fat[0], 0xbc);
	CHECK_INT(fat[1], 0x3a);
	CHECK_INT(fat[2], 0x12);
	uint8_t e32[4] = { 0, 0, 0, 0xf0 };
	fat_entry_encode(32, 5, e32, 0x0fffffff);
	CHECK_INT(e32[3], 0xff);
	fat_entry_encode(32, 5, e32, 7);
	CHECK_INT(e32[3], 0xf0); /* the top 4 bits are reserved and kept */
	CHECK_INT(fat_entry_decode(32, 5, e32), 7);
	struct fat_geom g = { .bits = 16, .clusters = 100 };
	CHECK_INT(fat_classify(&g, 0), FAT_NEXT_FREE);
	CHECK_INT(fat_classify(&g, 2), FAT_NEXT_CLUSTER);
	CHECK_INT(fat_classify(&g, 101), FAT_NEXT_CLUSTER);
	CHECK_INT(fat_classify(&g, 102), FAT_NEXT_BAD);
	CHECK_INT(fat_classify(&g, 1), FAT_NEXT_BAD);
	CHECK_INT(fat_classify(&g, 0xfff7), FAT_NEXT_BAD);
	CHECK_INT(fat_classify(&g, 0xfff8), FAT_NEXT_EOC);
}

TEST(utf)
{
	uint16_t u[FAT_LFN_MAX];
	char back[FAT_NAME_MAX + 1];
	const char *s = "Ünï-日本-😀.txt";
	int n = fat_utf8_to_utf16(s, strlen(s), u);
	CHECK_INT(n, 13); /* the emoji is a surrogate pair */
	CHECK_INT(u[7], 0xd83d);
	CHECK_INT(u[8], 0xde00);
	CHECK_INT(fat_utf16_to_utf8(u, (size_t)n, back), (int)strlen(s));
	CHECK(strcmp(back, s) == 0);
	CHECK_INT(fat_utf8_to_utf16("\xc0\xaf", 2, u), -1);     /* overlong */
	CHECK_INT(fat_utf8_to_utf16("\x80", 1, u), -1);         /* lone continuation */
	CHECK_INT(fat_utf8_to_utf16("\xe4\xb8", 2, u), -1);     /* cut short */
	CHECK_INT(fat_utf8_to_utf16("\xed\xa0\x80", 3, u), -1); /* a surrogate */
	CHECK_INT(fat_utf8_to_utf16("\xf4\x90\x80\x80", 4, u), -1); /* past U+10FFFF */
	char big[300];
	memset(big, 'a', sizeof(big));
	CHECK_INT(fat_utf8_to_utf16(big, 255, u), 255);
	CHECK_INT(fat_utf8_to_utf16(big, 256, u), -2);
	uint16_t lone[2] = { 'a', 0xdc00 };
	CHECK_INT(fat_utf16_to_utf8(lone, 2, back), -1);
	uint16_t slash[1] = { '/' };
	CHECK_INT(fat_utf16_to_utf8(slash, 1, back), -1);
	CHECK(fat_name_eq("ReadMe.TXT", 10, "readme.txt", 10));
	CHECK(!fat_name_eq("é", 2, "É", 2)); /* only ASCII folds */
}

/* Writes name as LFN slots + short entry, feeds them back. */
static void roundtrip(const char *name, uint8_t *dir, uint32_t *count)
{
	uint16_t u[FAT_LFN_MAX];
	int n = fat_utf8_to_utf16(name, strlen(name), u);
	uint8_t sn[11] = { 'L', 'O', 'N', 'G', 'N', 'A', '~', '1', 'T', 'X', 'T' };
	uint32_t slots = fat_lfn_slot_count((size_t)n);
	fat_lfn_fill(dir, u, (size_t)n, fat_lfn_checksum(sn));
	memset(dir + slots * 32, 0, 32);
	memcpy(dir + slots * 32, sn, 11);
	dir[slots * 32 + 11] = FAT_ATTR_ARCH;
	*count = slots + 1;
}

static enum fat_feed feed_all(uint8_t *dir, uint32_t count, struct fat_dirent *d)
{
	struct fat_lfn_state st = { 0 };
	enum fat_feed r = FAT_FEED_END;
	for (uint32_t i = 0; i < count; i++)
		r = fat_feed(&st, dir + i * 32, d);
	return r;
}

TEST(lfn_slots)
{
	static uint8_t dir[21 * 32];
	static struct fat_dirent d;
	uint32_t count;
	const char *names[] = { "a", "exactly13char", "exactly13charX", "Ünï-日本-😀 with spaces.txt" };
	for (size_t i = 0; i < 4; i++) {
		roundtrip(names[i], dir, &count);
		CHECK_INT(feed_all(dir, count, &d), FAT_FEED_ENTRY);
		CHECK(strcmp(d.name, names[i]) == 0);
		CHECK_INT(d.lfn_slots, count - 1);
	}
	char n255[256];
	memset(n255, 'n', 255);
	n255[255] = 0;
	roundtrip(n255, dir, &count);
	CHECK_INT(count, 21);
	CHECK_INT(feed_all(dir, count, &d), FAT_FEED_ENTRY);
	CHECK_INT(d.len, 255);
	/* A wrong checksum, a missing slot, slots out of order: the 8.3 name stands. */
	roundtrip("A long name.txt", dir, &count);
	dir[13] ^= 1;
	feed_all(dir, count, &d);
	CHECK(strcmp(d.name, "LONGNA~1.TXT") == 0);
	roundtrip("A much longer name than one slot.txt", dir, &count);
	memmove(dir + 32, dir + 64, (count - 2) * 32);
	feed_all(dir, count - 1, &d);
	CHECK(strcmp(d.name, "LONGNA~1.TXT") == 0);
	/* The case bits. */
	uint8_t de[32] = { 'R', 'E', 'A', 'D', 'M', 'E', ' ', ' ', 'T', 'X', 'T' };
	de[12] = FAT_CASE_LOWER_BASE;
	feed_all(de, 1, &d);
	CHECK(strcmp(d.name, "readme.TXT") == 0);
	de[0] = 0;
	CHECK_INT(feed_all(de, 1, &d), FAT_FEED_END);
	de[0] = FAT_DELETED;
	CHECK_INT(feed_all(de, 1, &d), FAT_FEED_SKIP);
}

TEST(short_names)
{
	uint8_t sn[11], out[11], cb;
	bool exact;
	CHECK_INT(fat_make_short("README.TXT", 10, sn, &cb, &exact), 0);
	CHECK(exact && cb == 0 && memcmp(sn, "README  TXT", 11) == 0);
	CHECK_INT(fat_make_short("lower.txt", 9, sn, &cb, &exact), 0);
	CHECK(exact && cb == (FAT_CASE_LOWER_BASE | FAT_CASE_LOWER_EXT) && memcmp(sn, "LOWER   TXT", 11) == 0);
	CHECK_INT(fat_make_short("MixedCase.Txt", 13, sn, &cb, &exact), 0);
	CHECK(!exact && memcmp(sn, "MIXEDCASTXT", 11) == 0);
	fat_short_tail(sn, 1, out);
	CHECK(memcmp(out, "MIXEDC~1TXT", 11) == 0);
	CHECK_INT(fat_short_tail_of(sn, out), 1);
	fat_short_tail(sn, 123, out);
	CHECK(memcmp(out, "MIXE~123TXT", 11) == 0);
	CHECK_INT(fat_short_tail_of(sn, out), 123);
	CHECK_INT(fat_short_tail_of(sn, (const uint8_t *)"OTHE~123TXT"), 0);
	CHECK_INT(fat_make_short(".hidden", 7, sn, &cb, &exact), 0);
	CHECK(!exact && memcmp(sn, "HIDDEN     ", 11) == 0);
	CHECK_INT(fat_make_short("a b+c.tar.gz", 12, sn, &cb, &exact), 0);
	CHECK(!exact && memcmp(sn, "AB_CTAR GZ ", 11) == 0);
	CHECK_INT(fat_make_short(".", 1, sn, &cb, &exact), -EINVAL);
	CHECK_INT(fat_make_short("..", 2, sn, &cb, &exact), -EINVAL);
	CHECK_INT(fat_make_short("a:b", 3, sn, &cb, &exact), -EINVAL);
	CHECK_INT(fat_make_short("a\x01", 2, sn, &cb, &exact), -EINVAL);
	CHECK_INT(fat_make_short("", 0, sn, &cb, &exact), -EINVAL);
	/* 0xE5 as a first byte is stored as 0x05 (0xE5 marks a free slot). */
	uint8_t d[32] = { 0x05, 'A', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ' };
	char s[13];
	fat_short_to_str(d, 0, s);
	CHECK(strcmp(s, "_A") == 0); /* OEM bytes are not translated */
}

TEST(times)
{
	uint16_t date, time;
	fat_time_from_unix(1680674828, &date, &time); /* 2023-04-05 06:07:08 UTC */
	CHECK_INT(date, (43 << 9) | (4 << 5) | 5);
	CHECK_INT(time, (6 << 11) | (7 << 5) | 4);
	CHECK_INT(fat_time_to_unix(date, time), 1680674828);
	fat_time_from_unix(0, &date, &time); /* before 1980: clamped */
	CHECK_INT(fat_time_to_unix(date, time), 315532800);
	fat_time_from_unix(1680674829, &date, &time); /* odd seconds round down */
	CHECK_INT(fat_time_to_unix(date, time), 1680674828);
	CHECK(fat_time_to_unix(0xffff, 0xffff) > 0); /* garbage stays in range */
}

/* ---- the fuzzer: walk a (mutated) image as the driver does, with the same bounds ---- */

struct fz {
	const uint8_t *img;
	size_t size;
	struct fat_geom g;
	unsigned entries, files;
};

static bool fz_next(struct fz *z, uint32_t c, uint32_t *next)
{
	uint64_t off = (uint64_t)z->g.fat_start * z->g.bps + fat_entry_offset(z->g.bits, c);
	if (c > z->g.clusters + 1 || off + 4 > z->size)
		return false;
	uint32_t v = fat_entry_decode(z->g.bits, c, z->img + off);
	enum fat_next k = fat_classify(&z->g, v);
	if (k == FAT_NEXT_EOC)
		*next = 0;
	else if (k == FAT_NEXT_CLUSTER)
		*next = v;
	else
		return false;
	return true;
}

static const uint8_t *fz_cluster(struct fz *z, uint32_t c)
{
	uint64_t off = ((uint64_t)z->g.data_start + (uint64_t)(c - 2) * z->g.spc) * z->g.bps;
	return off + z->g.cluster_size <= z->size ? z->img + off : NULL;
}

static void fz_dir(struct fz *z, uint32_t start, int depth)
{
	static struct fat_dirent d;
	struct fat_lfn_state st = { 0 };
	uint32_t c = start, steps = 0;
	uint64_t bytes = 0;
	uint32_t subs[64], nsubs = 0;
	for (;;) {
		const uint8_t *p;
		uint32_t len;
		if (!start) {
			uint64_t off = (uint64_t)z->g.root_start * z->g.bps;
			len = z->g.root_entries * 32;
			if (off + len > z->size)
				return;
			p = z->img + off;
		} else {
			if (c < 2 || !(p = fz_cluster(z, c)))
				return;
			len = z->g.cluster_size;
		}
		for (uint32_t o = 0; o < len; o += 32) {
			enum fat_feed r = fat_feed(&st, p + o, &d);
			if (r == FAT_FEED_END)
				goto done;
			if (r != FAT_FEED_ENTRY)
				continue;
			z->entries++;
			if (strlen(d.name) != d.len || !d.len || memchr(d.name, '/', d.len))
				abort(); /* a name the VFS could not take */
			uint32_t cl = fat_de_cluster(p + o, z->g.bits);
			if ((d.attr & FAT_ATTR_DIR) && d.name[0] != '.' && nsubs < 64 && cl)
				subs[nsubs++] = cl;
			else if (!(d.attr & FAT_ATTR_DIR) && cl) {
				/* A file's chain, no longer than its size needs. */
				uint32_t want = (uint32_t)((d.size + (uint64_t)z->g.cluster_size - 1) / z->g.cluster_size);
				uint32_t f = cl;
				for (uint32_t i = 1; i < want && f; i++)
					if (!fz_next(z, f, &f))
						break;
				z->files++;
			}
		}
		bytes += len;
		if (!start || bytes >= 65536u * 32 || ++steps > z->g.clusters || !fz_next(z, c, &c) || !c)
			break;
	}
done:
	if (depth < 8)
		for (uint32_t i = 0; i < nsubs; i++)
			fz_dir(z, subs[i], depth + 1);
}

static void fz_walk(const uint8_t *img, size_t size, struct fz *z)
{
	memset(z, 0, sizeof(*z));
	z->img = img;
	z->size = size;
	if (fat_parse_bpb(img, size, &z->g) != 0)
		return;
	/* Everything the geometry says lies inside the device. */
	if ((uint64_t)z->g.data_start * z->g.bps >= size)
		abort();
	fz_dir(z, z->g.bits == 32 ? z->g.root_cluster : 0, 0);
}

TEST(fuzz_images)
{
	static const int kinds[][2] = { { 12, 2048 }, { 16, 20000 }, { 32, 40000 } };
	unsigned seed = 12345, mounted = 0;
	for (int k = 0; k < 3; k++) {
		size_t size;
		uint8_t *good = host_image(kinds[k][0], kinds[k][1], true, &size);
		if (!good) {
			printf("SKIP mkfs.fat or mtools missing\n");
			return;
		}
		struct fz z;
		fz_walk(good, size, &z);
		if (z.files < 10) {
			free(good);
			unit_fail(__FILE__, __LINE__, "FAT%d: the intact image shows %u files", kinds[k][0], z.files);
			return;
		}
		/* Mutations land in the metadata: boot sector, FATs, the first directory sectors. */
		struct fat_geom g = z.g;
		uint64_t meta = ((uint64_t)g.data_start + 8u * g.spc) * g.bps;
		if (meta > size)
			meta = size;
		uint8_t *img = malloc(size);
		for (int iter = 0; iter < 3000; iter++) {
			memcpy(img, good, size);
			int n = 1 + (int)(rand_r(&seed) % 16);
			for (int i = 0; i < n; i++) {
				uint64_t at = rand_r(&seed) % 4 == 0 ? (uint64_t)(rand_r(&seed) % 512) : rand_r(&seed) % meta;
				img[at] = (uint8_t)rand_r(&seed);
			}
			fz_walk(img, size, &z);
			mounted += z.g.bits != 0;
		}
		free(img);
		free(good);
	}
	CHECK(mounted > 1000); /* most mutations leave a mountable volume to walk */
}
