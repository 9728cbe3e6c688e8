// unit-deps: kernel/block/partition.c kernel/lib/inflate.c kernel/lib/string.c
/*
 * The partition-table parser against images the host's sfdisk and sgdisk make at test time
 * (MBR with an extended partition and logical ones, GPT), then hand-made hostile tables: bad
 * CRCs, entries past the end, an EBR chain that loops, huge entry counts, a corrupt primary
 * GPT header with an intact backup, and random bytes. Nothing may crash, loop or read outside.
 */
#include "unit.h"

#include <stdlib.h>

#include "block/partition.h"
#include "lib/inflate.h"

struct image {
	uint8_t *data;
	uint64_t sectors;
	unsigned reads;
};

static int img_read(void *ctx, uint64_t sector, void *buf)
{
	struct image *im = ctx;
	im->reads++;
	if (sector >= im->sectors)
		return -5; /* -EIO: the parser asked for a sector outside the disk */
	memcpy(buf, im->data + sector * 512, 512);
	return 0;
}

static bool load(const char *path, struct image *im)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	im->data = malloc((size_t)len);
	im->sectors = (uint64_t)len / 512;
	im->reads = 0;
	bool ok = fread(im->data, 1, (size_t)len, f) == (size_t)len;
	fclose(f);
	return ok;
}

static int parse(struct image *im, struct part_entry *out)
{
	return part_parse(img_read, im, im->sectors, out, 16);
}

static bool have(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s > /dev/null 2>&1", tool);
	return system(cmd) == 0;
}

TEST(mbr_from_sfdisk)
{
	if (!have("sfdisk")) {
		printf("SKIP sfdisk missing\n");
		return;
	}
	const char *path = "/tmp/ferrite-unit-mbr.img";
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s && truncate -s 32M %s && printf 'label: dos\\nstart=2048, size=4096, type=83\\n"
		 "start=8192, size=8192, type=83\\nstart=20480, size=20480, type=5\\nstart=22528, size=2048, type=83\\n"
		 "start=26624, size=4096, type=83\\n' | sfdisk -q %s > /dev/null", path, path, path);
	CHECK(system(cmd) == 0);
	struct image im;
	CHECK(load(path, &im));
	remove(path);
	struct part_entry p[16];
	int n = parse(&im, p);
	free(im.data);
	CHECK_INT(n, 5);
	CHECK_INT(p[0].number, 1); CHECK_INT(p[0].start, 2048); CHECK_INT(p[0].nr_sectors, 4096);
	CHECK_INT(p[1].number, 2); CHECK_INT(p[1].start, 8192); CHECK_INT(p[1].nr_sectors, 8192);
	/* The extended partition itself: two sectors, as Linux shows it. */
	CHECK_INT(p[2].number, 3); CHECK_INT(p[2].start, 20480); CHECK_INT(p[2].nr_sectors, 2);
	CHECK_INT(p[3].number, 5); CHECK_INT(p[3].start, 22528); CHECK_INT(p[3].nr_sectors, 2048);
	CHECK_INT(p[4].number, 6); CHECK_INT(p[4].start, 26624); CHECK_INT(p[4].nr_sectors, 4096);
}

static bool make_gpt(const char *path, struct image *im)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -f %s && truncate -s 32M %s && sgdisk -o -n 1:2048:+1M -n 2:8192:+4M "
		 "-n 3:20480:+2M %s > /dev/null", path, path, path);
	if (system(cmd) != 0)
		return false;
	bool ok = load(path, im);
	remove(path);
	return ok;
}

TEST(gpt_from_sgdisk)
{
	if (!have("sgdisk")) {
		printf("SKIP sgdisk missing\n");
		return;
	}
	struct image im;
	CHECK(make_gpt("/tmp/ferrite-unit-gpt.img", &im));
	struct part_entry p[16];
	int n = parse(&im, p);
	CHECK_INT(n, 3);
	CHECK_INT(p[0].number, 1); CHECK_INT(p[0].start, 2048); CHECK_INT(p[0].nr_sectors, 2048);
	CHECK_INT(p[1].number, 2); CHECK_INT(p[1].start, 8192); CHECK_INT(p[1].nr_sectors, 8192);
	CHECK_INT(p[2].number, 3); CHECK_INT(p[2].start, 20480); CHECK_INT(p[2].nr_sectors, 4096);
	/* A corrupt primary header: the backup at the last sector still gives the table. */
	im.data[512 + 40] ^= 0xff;
	CHECK_INT(parse(&im, p), 3);
	/* Both headers corrupt: no partitions, no error. */
	im.data[(im.sectors - 1) * 512 + 40] ^= 0xff;
	CHECK_INT(parse(&im, p), 0);
	/* A primary whose entry array fails its CRC (and no backup): refused. */
	im.data[512 + 40] ^= 0xff;
	im.data[2 * 512 + 32] ^= 0x01;
	CHECK_INT(parse(&im, p), 0);
	free(im.data);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void mbr_entry(uint8_t *sec, int i, uint8_t type, uint32_t lba, uint32_t count)
{
	uint8_t *e = sec + 446 + 16 * i;
	e[4] = type;
	put32(e + 8, lba);
	put32(e + 12, count);
	sec[510] = 0x55;
	sec[511] = 0xaa;
}

TEST(mbr_hostile)
{
	struct image im = { .sectors = 4096 };
	im.data = calloc(4096, 512);
	struct part_entry p[16];
	/* No signature: no table. */
	CHECK_INT(parse(&im, p), 0);
	/* Entries past the end or starting at sector 0 are dropped; a good one stays. */
	mbr_entry(im.data, 0, 0x83, 4000, 200);
	mbr_entry(im.data, 1, 0x83, 0, 10);
	mbr_entry(im.data, 2, 0x83, 0xffffffff, 0xffffffff);
	mbr_entry(im.data, 3, 0x83, 100, 50);
	CHECK_INT(parse(&im, p), 1);
	CHECK_INT(p[0].number, 4);
	/* An EBR chain that points at itself and backwards ends; so does one running off the disk. */
	memset(im.data, 0, 512);
	mbr_entry(im.data, 0, 0x05, 1000, 3000);
	uint8_t *ebr = im.data + 1000 * 512;
	mbr_entry(ebr, 0, 0x83, 10, 20);
	mbr_entry(ebr, 1, 0x05, 0, 100); /* next EBR = the same one */
	CHECK_INT(parse(&im, p), 2);
	CHECK_INT(p[1].number, 5); CHECK_INT(p[1].start, 1010);
	mbr_entry(ebr, 1, 0x05, 0x7fffffff, 100);
	CHECK_INT(parse(&im, p), 2);
	/* More logical partitions than slots: the output is bounded. */
	for (int i = 0; i < 40; i++) {
		uint8_t *e = im.data + (1000 + 50 * i) * 512;
		memset(e, 0, 512);
		mbr_entry(e, 0, 0x83, 1, 10);
		mbr_entry(e, 1, 0x05, 50 * (uint32_t)(i + 1), 50);
	}
	CHECK_INT(parse(&im, p), 16);
	free(im.data);
}

TEST(gpt_hostile)
{
	struct image im = { .sectors = 256 };
	im.data = calloc(256, 512);
	struct part_entry p[16];
	mbr_entry(im.data, 0, 0xee, 1, 255);
	/* A header claiming 2^32-1 entries, or entries beyond the disk: refused, bounded work. */
	uint8_t *h = im.data + 512;
	memcpy(h, "EFI PART", 8);
	put32(h + 12, 92);
	uint64_t one = 1, two = 2;
	memcpy(h + 24, &one, 8);
	memcpy(h + 72, &two, 8);
	put32(h + 80, 0xffffffff);
	put32(h + 84, 128);
	put32(h + 16, 0);
	put32(h + 16, gzip_crc32(0, h, 92));
	CHECK_INT(parse(&im, p), 0);
	CHECK(im.reads < 10);
	/* Entry size not dividing a sector, header size too big: refused. */
	put32(h + 80, 4);
	put32(h + 84, 100);
	put32(h + 16, 0);
	put32(h + 16, gzip_crc32(0, h, 92));
	CHECK_INT(parse(&im, p), 0);
	put32(h + 12, 100000);
	CHECK_INT(parse(&im, p), 0);
	free(im.data);
}

TEST(random_tables)
{
	srand(12345);
	struct image im = { .sectors = 64 };
	im.data = malloc(64 * 512);
	struct part_entry p[16];
	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < 64 * 512; i++)
			im.data[i] = (uint8_t)rand();
		im.data[510] = 0x55;
		im.data[511] = 0xaa;
		if (round & 1)
			im.data[446 + 4] = 0xee;
		if (round & 2)
			memcpy(im.data + 512, "EFI PART", 8);
		int n = parse(&im, p);
		CHECK(n >= -5 && n <= 16);
		for (int i = 0; i < n; i++)
			CHECK(p[i].start + p[i].nr_sectors <= im.sectors);
	}
	free(im.data);
}
