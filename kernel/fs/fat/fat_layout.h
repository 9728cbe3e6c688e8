/*
 * FAT on disk (Microsoft's FAT specification): the boot sector's BPB, the geometry derived from
 * it, FAT entries, 32-byte directory entries and long-name (LFN) slots, and the pure functions
 * that decode and encode them. Nothing here touches a device, so the host unit tests (and their
 * fuzzer) run this code on images in memory.
 */
#pragma once

#include "lib/types.h"

#define FAT_DIRENT_SIZE 32
#define FAT_LFN_CHARS   13      /* UTF-16 units per LFN slot */
#define FAT_LFN_MAX     255     /* UTF-16 units in a long name */
#define FAT_NAME_MAX    1020    /* bytes of UTF-8 a long name can become (NAME_MAX caps it) */

/* Directory-entry attributes. */
#define FAT_ATTR_RO     0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR    0x10
#define FAT_ATTR_ARCH   0x20
#define FAT_ATTR_LFN    0x0f
/* NT's case bits (byte 12): the 8.3 name's base and extension are shown in lower case. */
#define FAT_CASE_LOWER_BASE 0x08
#define FAT_CASE_LOWER_EXT  0x10

#define FAT_DELETED 0xe5

/* Where things are, from a validated boot sector. Sectors count from the volume's start. */
struct fat_geom {
	uint32_t bps;               /* bytes per sector: 512..4096 */
	uint32_t spc;               /* sectors per cluster */
	uint32_t cluster_size;      /* bytes */
	uint32_t nfats;
	uint32_t fat_start;         /* first sector of the first FAT */
	uint32_t fat_sectors;       /* per FAT */
	uint32_t root_start;        /* FAT12/16: the fixed root directory's first sector */
	uint32_t root_entries;      /* FAT12/16 */
	uint32_t data_start;        /* first sector of cluster 2 */
	uint64_t total_sectors;
	uint32_t clusters;          /* data clusters: numbers 2 .. clusters + 1 */
	uint32_t bits;              /* 12, 16 or 32 */
	uint32_t root_cluster;      /* FAT32 */
	uint32_t fsinfo_sector;     /* FAT32, 0 when none */
	uint32_t active_fat;        /* FAT32 with mirroring off: the only FAT in use */
	bool mirror;                /* every FAT copy is written */
};

/*
 * Validates a boot sector (at least 512 bytes) for a device of dev_bytes and fills g: 0, or
 * -EINVAL when it is no FAT file system or one whose numbers do not hold together. The type
 * comes from the cluster count as the specification says, except that a FAT32 BPB (16-bit FAT
 * size 0) is FAT32 whatever its count, as Linux and mkfs.fat -F 32 have it.
 */
int fat_parse_bpb(const uint8_t *bs, uint64_t dev_bytes, struct fat_geom *g);

/* The byte offset of cluster n's entry in a FAT, and its value from the bytes there. */
static inline uint32_t fat_entry_offset(uint32_t bits, uint32_t n)
{
	return bits == 12 ? n + n / 2 : n * (bits / 8);
}
uint32_t fat_entry_decode(uint32_t bits, uint32_t n, const uint8_t *p);
/* Stores v into the bytes at p (FAT12 keeps the neighbour's nibble; FAT32 its top 4 bits). */
void fat_entry_encode(uint32_t bits, uint32_t n, uint8_t *p, uint32_t v);
/* The end-of-chain mark this FAT writes. */
uint32_t fat_eoc(uint32_t bits);

/* What an entry's value means for a chain. */
enum fat_next { FAT_NEXT_FREE, FAT_NEXT_CLUSTER, FAT_NEXT_EOC, FAT_NEXT_BAD };
/* FAT_NEXT_BAD covers bad-cluster marks, reserved values and numbers past the last cluster. */
enum fat_next fat_classify(const struct fat_geom *g, uint32_t v);

/* A directory entry as the directory code sees it. */
struct fat_dirent {
	char name[FAT_NAME_MAX + 1];     /* UTF-8, NUL-terminated */
	size_t len;
	uint8_t short_name[11];          /* the 8.3 name as stored */
	uint8_t attr;
	uint32_t cluster;
	uint32_t size;
	uint16_t mtime, mdate;
	uint32_t lfn_slots;              /* LFN slots in front of the short entry */
};

/* Long-name assembly across slots (they come last part first). */
struct fat_lfn_state {
	uint16_t name[FAT_LFN_MAX + FAT_LFN_CHARS];
	int next_seq;                    /* the sequence number expected next, 0: none pending */
	uint8_t csum;
	uint32_t slots;
	uint32_t units;
};

enum fat_feed { FAT_FEED_END, FAT_FEED_SKIP, FAT_FEED_ENTRY };
/*
 * Feeds one 32-byte entry: FAT_FEED_END at the end-of-directory mark, FAT_FEED_SKIP for free
 * slots, LFN parts and volume labels, FAT_FEED_ENTRY with *out filled for a file or directory
 * ("." and ".." included). A long name is used only when its slots are complete, in order and
 * match the short entry's checksum; otherwise the short name stands (as every FAT reader does).
 */
enum fat_feed fat_feed(struct fat_lfn_state *st, const uint8_t *de, struct fat_dirent *out);

uint8_t fat_lfn_checksum(const uint8_t short_name[11]);
/* The 8.3 name as shown: "NAME.EXT", the case bits applied; returns the length. */
size_t fat_short_to_str(const uint8_t short_name[11], uint8_t case_bits, char *out);
/* UTF-16 to UTF-8 (out holds FAT_NAME_MAX + 1): the length, or -1 for broken surrogates. */
int fat_utf16_to_utf8(const uint16_t *in, size_t n, char *out);
/* UTF-8 to UTF-16 (out holds FAT_LFN_MAX): the unit count, -1 (not UTF-8) or -2 (too long). */
int fat_utf8_to_utf16(const char *in, size_t len, uint16_t *out);
/* Whether two names are the same to FAT (ASCII letters compare without case). */
bool fat_name_eq(const char *a, size_t alen, const char *b, size_t blen);

/*
 * A new name: 0 when it may be created (characters valid, not "." or ".."), with the 8.3 name
 * to store. *exact says the 8.3 name (with *case_bits) shows the name as given, so no long
 * name is needed and no "~n" tail; otherwise short is the basis for fat_short_tail.
 */
int fat_make_short(const char *name, size_t len, uint8_t short_name[11], uint8_t *case_bits, bool *exact);
/* basis with the tail "~n" (n >= 1) put into the base part. */
void fat_short_tail(const uint8_t basis[11], unsigned n, uint8_t out[11]);
/* The n of a "~n" tail of name if its base agrees with basis before the tail, else 0. */
unsigned fat_short_tail_of(const uint8_t basis[11], const uint8_t name[11]);
/* Writes the LFN slots (count*32 bytes, last part first) for a long name of n units. */
uint32_t fat_lfn_slot_count(size_t units);
void fat_lfn_fill(uint8_t *slots, const uint16_t *name, size_t units, uint8_t csum);

/* FAT's local date and time (2-second steps, years 1980-2107) from and to Unix seconds (UTC). */
int64_t fat_time_to_unix(uint16_t date, uint16_t time);
void fat_time_from_unix(int64_t t, uint16_t *date, uint16_t *time);

static inline uint16_t fat_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fat_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void fat_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void fat_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
/* A directory entry's first cluster (the high half only on FAT32). */
static inline uint32_t fat_de_cluster(const uint8_t *de, uint32_t bits)
{
	return fat_le16(de + 26) | (bits == 32 ? (uint32_t)fat_le16(de + 20) << 16 : 0);
}
static inline void fat_de_set_cluster(uint8_t *de, uint32_t c)
{
	fat_put16(de + 26, (uint16_t)c);
	fat_put16(de + 20, (uint16_t)(c >> 16));
}
