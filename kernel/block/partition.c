/*
 * Partition tables, parsed defensively from a sector reader (so host unit tests can feed
 * hostile images): MBR primary entries, the extended partition's chain of EBRs (logical
 * partitions 5 and up, a bounded walk), and GPT (header and entry-array CRC-32s, the primary
 * header at LBA 1, falling back to the backup at the last LBA).
 */
#include "block/partition.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/inflate.h"
#include "lib/string.h"

struct mbr_entry {
	uint8_t status;
	uint8_t chs_first[3];
	uint8_t type;
	uint8_t chs_last[3];
	uint32_t lba;
	uint32_t count;
} __attribute__((packed));
_Static_assert(sizeof(struct mbr_entry) == 16, "MBR entries are 16 bytes");
#define MBR_TABLE_OFF 446
#define MBR_TYPE_GPT_PROTECTIVE 0xee

struct gpt_header {
	char signature[8];          /* "EFI PART" */
	uint32_t revision;
	uint32_t header_size;
	uint32_t header_crc;
	uint32_t reserved;
	uint64_t my_lba, alternate_lba, first_usable, last_usable;
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t nr_entries, entry_size, entries_crc;
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_header) == 92, "the GPT header is 92 bytes");

struct gpt_entry {
	uint8_t type_guid[16];
	uint8_t unique_guid[16];
	uint64_t first_lba, last_lba, attributes;
	uint16_t name[36];
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_entry) == 128, "GPT entries are 128 bytes");

#define GPT_MAX_ENTRIES 1024  /* far above the usual 128; bounds the CRC work */
#define EBR_MAX_CHAIN   64    /* logical partitions followed before giving up */

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

struct parse {
	part_read_t read;
	void *ctx;
	uint64_t nr_sectors;
	struct part_entry *out;
	unsigned max, n;
};

static void add(struct parse *p, uint64_t start, uint64_t count, unsigned number)
{
	/* Sector 0 holds the table; a partition must lie inside the disk. */
	if (!count || start == 0 || start >= p->nr_sectors || count > p->nr_sectors - start)
		return;
	if (p->n < p->max)
		p->out[p->n++] = (struct part_entry){ .start = start, .nr_sectors = count, .number = number };
}

static bool guid_zero(const uint8_t *g)
{
	for (int i = 0; i < 16; i++)
		if (g[i])
			return false;
	return true;
}

/* Checks a GPT header at lba (and reads its entries); 0, -EINVAL when unusable, -EIO. */
static int gpt_try(struct parse *p, uint64_t lba, uint8_t *sec)
{
	int err = p->read(p->ctx, lba, sec);
	if (err)
		return err;
	struct gpt_header h;
	memcpy(&h, sec, sizeof(h));
	if (memcmp(h.signature, "EFI PART", 8) != 0 || h.header_size < sizeof(h) || h.header_size > PART_SECTOR_SIZE)
		return -EINVAL;
	uint32_t crc = h.header_crc;
	memset(sec + 16, 0, 4);
	if (gzip_crc32(0, sec, h.header_size) != crc || h.my_lba != lba)
		return -EINVAL;
	if (h.entry_size < sizeof(struct gpt_entry) || h.entry_size > PART_SECTOR_SIZE ||
	    PART_SECTOR_SIZE % h.entry_size || h.nr_entries > GPT_MAX_ENTRIES)
		return -EINVAL;
	uint64_t bytes = (uint64_t)h.nr_entries * h.entry_size;
	uint64_t nsec = (bytes + PART_SECTOR_SIZE - 1) / PART_SECTOR_SIZE;
	if (h.entries_lba >= p->nr_sectors || nsec > p->nr_sectors - h.entries_lba)
		return -EINVAL;
	/* First pass: the CRC over the whole array; second pass: the entries (only if it matched). */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t c = 0;
		unsigned idx = 0;
		for (uint64_t s = 0; s < nsec; s++) {
			err = p->read(p->ctx, h.entries_lba + s, sec);
			if (err)
				return err;
			uint32_t len = (uint32_t)MIN((uint64_t)PART_SECTOR_SIZE, bytes - s * PART_SECTOR_SIZE);
			if (pass == 0) {
				c = gzip_crc32(c, sec, len);
				continue;
			}
			for (uint32_t off = 0; off + h.entry_size <= len; off += h.entry_size, idx++) {
				struct gpt_entry e;
				memcpy(&e, sec + off, sizeof(e));
				if (guid_zero(e.type_guid) || e.last_lba < e.first_lba)
					continue;
				if (e.first_lba < h.first_usable || e.last_lba > h.last_usable)
					continue;
				add(p, e.first_lba, e.last_lba - e.first_lba + 1, idx + 1);
			}
		}
		if (pass == 0 && c != h.entries_crc)
			return -EINVAL;
	}
	return 0;
}

static void parse_ebr_chain(struct parse *p, uint64_t ext_start, uint64_t ext_count, uint8_t *sec)
{
	uint64_t ebr = ext_start;
	unsigned number = 5;
	for (int i = 0; i < EBR_MAX_CHAIN; i++) {
		if (ebr < ext_start || ebr >= ext_start + ext_count || ebr >= p->nr_sectors)
			return;
		if (p->read(p->ctx, ebr, sec) || sec[510] != 0x55 || sec[511] != 0xaa)
			return;
		struct mbr_entry e[2];
		memcpy(e, sec + MBR_TABLE_OFF, sizeof(e));
		/* The first entry is relative to this EBR, the link relative to the extended start. */
		if (e[0].count && e[0].type && !is_extended(e[0].type))
			add(p, ebr + e[0].lba, e[0].count, number++);
		if (!is_extended(e[1].type) || !e[1].lba)
			return;
		uint64_t next = ext_start + e[1].lba;
		if (next <= ebr)
			return; /* only forwards: a chain pointing back would loop */
		ebr = next;
	}
}

int part_parse(part_read_t read, void *ctx, uint64_t nr_sectors, struct part_entry *out, unsigned max)
{
	uint8_t sec[PART_SECTOR_SIZE];
	struct parse p = { .read = read, .ctx = ctx, .nr_sectors = nr_sectors, .out = out, .max = max };
	if (nr_sectors < 2)
		return 0;
	int err = read(ctx, 0, sec);
	if (err)
		return err;
	if (sec[510] != 0x55 || sec[511] != 0xaa)
		return 0;
	struct mbr_entry e[4];
	memcpy(e, sec + MBR_TABLE_OFF, sizeof(e));
	for (int i = 0; i < 4; i++) {
		if (e[i].type == MBR_TYPE_GPT_PROTECTIVE) {
			err = gpt_try(&p, 1, sec);
			if (err == -EINVAL) {
				p.n = 0;
				err = gpt_try(&p, nr_sectors - 1, sec);
			}
			if (err == -EINVAL)
				p.n = 0;
			return err == -EIO ? -EIO : (int)p.n;
		}
	}
	memcpy(e, sec + MBR_TABLE_OFF, sizeof(e));
	for (unsigned i = 0; i < 4; i++) {
		if (!e[i].type || !e[i].count)
			continue;
		if (is_extended(e[i].type)) {
			/* Linux shows the extended partition as two sectors (its EBR), so nobody
			 * makes a file system over the logical ones through it. */
			add(&p, e[i].lba, MIN(e[i].count, 2u), i + 1);
			parse_ebr_chain(&p, e[i].lba, e[i].count, sec);
		} else {
			add(&p, e[i].lba, e[i].count, i + 1);
		}
	}
	return (int)p.n;
}
