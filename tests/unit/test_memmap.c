// unit-deps: kernel/mm/memmap.c kernel/lib/string.c
/*
 * Host tests for kernel/mm/memmap.c: the maps QEMU really hands over (SeaBIOS q35 at 512 MiB and
 * 8 GiB), hostile loader maps, hand-made UEFI maps in 40- and 48-byte strides, reserve and alloc,
 * a table too small for the map, and seeded-random runs checked against a bitmap of pages.
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

/* The host's formatter for failure messages: defined before host_prefix.h renames it. */
__attribute__((format(printf, 3, 4))) static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

#include "host_prefix.h"

#include "lib/compiler.h"
#include "lib/string.h"
#include "mm/memmap.h"

#define PG 4096ull
#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static struct memmap m;

/* ---- checking a map ---- */

static char why[4096];

/* Sorted, non-overlapping, non-adjacent, page-aligned, non-empty, within the table. */
static bool map_valid(const struct memmap *mm)
{
	if (mm->count > MEMMAP_MAX) {
		fmt(why, sizeof(why), "count %zu > MEMMAP_MAX", mm->count);
		return false;
	}
	for (size_t i = 0; i < mm->count; i++) {
		const struct mem_range *r = &mm->r[i];
		if (r->start % PG || r->end % PG || r->start >= r->end) {
			fmt(why, sizeof(why), "range %zu [%#llx, %#llx) malformed", i,
				 (unsigned long long)r->start, (unsigned long long)r->end);
			return false;
		}
		if (i > 0 && mm->r[i - 1].end >= r->start) {
			fmt(why, sizeof(why), "ranges %zu and %zu overlap or touch", i - 1, i);
			return false;
		}
	}
	return true;
}

static void dump(char *buf, size_t size, const struct memmap *mm)
{
	size_t n = strlen(buf);
	for (size_t i = 0; i < mm->count && i < 12 && n < size; i++)
		n += (size_t)fmt(buf + n, size - n, " [%#llx,%#llx)",
				      (unsigned long long)mm->r[i].start, (unsigned long long)mm->r[i].end);
}

/* The map is exactly the n ranges {start, end} in exp. */
static bool map_equals(const struct memmap *mm, const uint64_t (*exp)[2], size_t n)
{
	bool same = map_valid(mm) && mm->count == n;
	for (size_t i = 0; same && i < n; i++)
		same = mm->r[i].start == exp[i][0] && mm->r[i].end == exp[i][1];
	if (!same) {
		fmt(why, sizeof(why), "map has %zu ranges, expected %zu:", mm->count, n);
		dump(why, sizeof(why), mm);
	}
	return same;
}

#define CHECK_VALID(mm)                                                \
	do {                                                           \
		if (!map_valid(mm)) {                                  \
			unit_fail(__FILE__, __LINE__, "%s", why);      \
			return;                                        \
		}                                                      \
	} while (0)

#define CHECK_MAP(mm, ...)                                                                    \
	do {                                                                                  \
		static const uint64_t exp_[][2] = { __VA_ARGS__ };                            \
		if (!map_equals(mm, exp_, sizeof(exp_) / sizeof(exp_[0]))) {                  \
			unit_fail(__FILE__, __LINE__, "%s", why);                             \
			return;                                                               \
		}                                                                             \
	} while (0)

#define CHECK_EMPTY(mm)                                                               \
	do {                                                                          \
		if ((mm)->count != 0) {                                               \
			why[0] = 0;                                                   \
			dump(why, sizeof(why), mm);                                   \
			unit_fail(__FILE__, __LINE__, "map not empty:%s", why);       \
			return;                                                       \
		}                                                                     \
	} while (0)

#define U BOOT_MEM_USABLE
#define R BOOT_MEM_RESERVED

static void from_boot(const struct boot_mmap_entry *e, size_t n)
{
	memset(&m, 0x5a, sizeof(m)); /* the builder must not depend on what was there */
	memmap_from_boot(&m, e, n);
}

/* ---- the maps QEMU gives ---- */

/* SeaBIOS, -machine q35 -m 512M. */
static const struct boot_mmap_entry q35_512m[] = {
	{ 0x0, 0x9fc00, U },
	{ 0x9fc00, 0x400, R },
	{ 0xf0000, 0x10000, R },
	{ 0x100000, 0x1fedf000, U },
	{ 0x1ffdf000, 0x21000, R },
	{ 0xb0000000, 0x10000000, R },
	{ 0xfed1c000, 0x4000, R },
	{ 0xfffc0000, 0x40000, R },
	{ 0xfd00000000, 0x300000000, R },
};

/* SeaBIOS, -machine q35 -m 8G: 2 GiB below the PCI hole, the other 6 GiB above 4 GiB. */
static const struct boot_mmap_entry q35_8g[] = {
	{ 0x0, 0x9fc00, U },
	{ 0x9fc00, 0x400, R },
	{ 0xf0000, 0x10000, R },
	{ 0x100000, 0x7fedf000, U },
	{ 0x7ffdf000, 0x21000, R },
	{ 0xb0000000, 0x10000000, R },
	{ 0xfed1c000, 0x4000, R },
	{ 0xfffc0000, 0x40000, R },
	{ 0x100000000, 0x180000000, U },
	{ 0xfd00000000, 0x300000000, R },
};

TEST(qemu_q35_512m)
{
	from_boot(q35_512m, sizeof(q35_512m) / sizeof(q35_512m[0]));
	/* The EBDA at 0x9fc00 shares its page with RAM: the whole page goes. */
	CHECK_MAP(&m, { 0x0, 0x9f000 }, { 0x100000, 0x1ffdf000 });
	CHECK_INT(m.dropped, 0);
	CHECK_INT(memmap_total(&m), 0x9f000 + 0x1fedf000);
	CHECK_INT(memmap_end(&m), 0x1ffdf000);
}

TEST(qemu_q35_8g)
{
	from_boot(q35_8g, sizeof(q35_8g) / sizeof(q35_8g[0]));
	CHECK_MAP(&m, { 0x0, 0x9f000 }, { 0x100000, 0x7ffdf000 }, { 0x100000000, 0x280000000 });
	CHECK_INT(m.dropped, 0);
	CHECK_INT(memmap_total(&m), 0x9f000 + 0x7fedf000 + 0x180000000);
	CHECK_INT(memmap_end(&m), 0x280000000);
}

TEST(qemu_map_in_any_order)
{
	/* The same map reversed, and rotated, gives the same result. */
	size_t n = sizeof(q35_8g) / sizeof(q35_8g[0]);
	struct boot_mmap_entry e[sizeof(q35_8g) / sizeof(q35_8g[0])];
	for (size_t i = 0; i < n; i++)
		e[i] = q35_8g[n - 1 - i];
	from_boot(e, n);
	CHECK_MAP(&m, { 0x0, 0x9f000 }, { 0x100000, 0x7ffdf000 }, { 0x100000000, 0x280000000 });
	for (size_t i = 0; i < n; i++)
		e[i] = q35_8g[(i + 5) % n];
	from_boot(e, n);
	CHECK_MAP(&m, { 0x0, 0x9f000 }, { 0x100000, 0x7ffdf000 }, { 0x100000000, 0x280000000 });
}

/* ---- hostile loader maps ---- */

TEST(empty_input)
{
	from_boot(NULL, 0);
	CHECK_EMPTY(&m);
	CHECK_INT(m.dropped, 0);
	CHECK_INT(memmap_total(&m), 0);
	CHECK_INT(memmap_end(&m), 0);
	from_boot(q35_512m, 0);
	CHECK_EMPTY(&m);
	/* Only reserved entries. */
	from_boot(q35_512m + 1, 2);
	CHECK_EMPTY(&m);
}

TEST(overlapping_unsorted_adjacent_merge)
{
	static const struct boot_mmap_entry e[] = {
		{ 0x9000, 0x1000, U },  /* adjacent to the next one up */
		{ 0x5000, 0x4000, U },
		{ 0x1000, 0x5000, U },  /* overlaps the one above */
		{ 0x2000, 0x1000, U },  /* inside another */
		{ 0x1000, 0x5000, U },  /* duplicate */
		{ 0x20000, 0x1000, U }, /* separate */
		{ 0x1f000, 0x1000, U }, /* adjacent below it, listed after */
	};
	from_boot(e, sizeof(e) / sizeof(e[0]));
	CHECK_MAP(&m, { 0x1000, 0xa000 }, { 0x1f000, 0x21000 });
}

TEST(unaligned_entries_round_inward_and_outward)
{
	static const struct boot_mmap_entry e[] = {
		{ 0x1001, 0x2ffe, U },     /* [0x1001, 0x3fff) -> [0x2000, 0x3000) */
		{ 0x10001, 0xffe, U },     /* no whole page inside: nothing */
		{ 0x20000, 0x10000, U },   /* [0x20000, 0x30000) */
		{ 0x24fff, 0x2, R },       /* touches two pages: both go */
		{ 0x2ffff, 0x1, R },       /* last byte: last page goes */
		{ 0x40800, 0x3000, U },    /* [0x40800, 0x43800) -> [0x41000, 0x43000) */
		{ 0x43800, 0x3000, U },    /* adjacent unaligned pieces merge only on whole pages: */
	};                                 /* [0x44000, 0x46000); the page 0x43000 is shared, so lost */
	from_boot(e, sizeof(e) / sizeof(e[0]));
	CHECK_MAP(&m, { 0x2000, 0x3000 }, { 0x20000, 0x24000 }, { 0x26000, 0x2f000 },
		  { 0x41000, 0x43000 }, { 0x44000, 0x46000 });
}

TEST(zero_length_and_wrapping_entries_ignored)
{
	static const struct boot_mmap_entry e[] = {
		{ 0x1000, 0x4000, U },
		{ 0x8000, 0, U },                          /* zero length */
		{ 0x2000, 0, R },                          /* zero-length reserved removes nothing */
		{ 0x3000, UINT64_MAX, R },                 /* wraps: ignored */
		{ 0xfffffffffffff000, 0x2000, U },         /* wraps */
		{ UINT64_MAX, UINT64_MAX, U },             /* wraps */
		{ 0xfffffffffffff001, 0x10, U },           /* no whole page below 2^64 */
		{ 0x100000, 0x10000, U },
	};
	from_boot(e, sizeof(e) / sizeof(e[0]));
	CHECK_MAP(&m, { 0x1000, 0x5000 }, { 0x100000, 0x110000 });
	CHECK_INT(m.dropped, 0);
}

TEST(entries_ending_exactly_at_2_pow_64)
{
	/* Not wrapping: a usable one loses only the last page, which [start, end) cannot hold. */
	static const struct boot_mmap_entry e[] = {
		{ 0xfffffffffff00000, 0x100000, U },
		{ 0x1000, 0x1000, U },
	};
	from_boot(e, 2);
	CHECK_MAP(&m, { 0x1000, 0x2000 }, { 0xfffffffffff00000, 0xfffffffffffff000 });
	CHECK_INT(memmap_end(&m), 0xfffffffffffff000);

	/* A reserved one reaching 2^64 is honoured. */
	static const struct boot_mmap_entry f[] = {
		{ 0xfffffffffff00000, 0x100000, U },
		{ 0xfffffffffff80800, 0x7f800, R },
	};
	from_boot(f, 2);
	CHECK_MAP(&m, { 0xfffffffffff00000, 0xfffffffffff80000 });
}

TEST(unknown_types_are_reserved)
{
	static const struct boot_mmap_entry e[] = {
		{ 0x0, 0x100000, U },
		{ 0x10000, 0x1000, 0 },
		{ 0x20000, 0x1000, BOOT_MEM_ACPI_RECLAIMABLE },
		{ 0x30000, 0x1000, BOOT_MEM_ACPI_NVS },
		{ 0x40000, 0x1000, BOOT_MEM_BAD },
		{ 0x50000, 0x1000, 7 },          /* persistent memory in E820 */
		{ 0x60000, 0x1000, 0xffffffff },
	};
	from_boot(e, sizeof(e) / sizeof(e[0]));
	CHECK_MAP(&m, { 0x0, 0x10000 }, { 0x11000, 0x20000 }, { 0x21000, 0x30000 },
		  { 0x31000, 0x40000 }, { 0x41000, 0x50000 }, { 0x51000, 0x60000 },
		  { 0x61000, 0x100000 });
}

TEST(reserved_wins_whatever_the_order)
{
	static const struct boot_mmap_entry e[] = {
		{ 1 * MiB, 1 * MiB, R },         /* listed before the RAM it carves */
		{ 0, 16 * MiB, U },
		{ 4 * MiB, 1, R },
		{ 8 * MiB, 8 * MiB, R },         /* eats the top */
		{ 10 * MiB, 1 * MiB, U },        /* usable again inside reserved: still reserved */
		{ 32 * MiB, 1 * MiB, U },
		{ 31 * MiB, 3 * MiB, R },        /* covers all of it */
		{ 2 * MiB - 1, 2, R },           /* straddles the hole's end */
	};
	from_boot(e, sizeof(e) / sizeof(e[0]));
	CHECK_MAP(&m, { 0, 1 * MiB }, { 2 * MiB + PG, 4 * MiB }, { 4 * MiB + PG, 8 * MiB });
}

TEST(too_many_fragments_keeps_the_largest)
{
	/* 1000 single pages between reserved pages, and 4 GiB at the top: the table keeps the
	 * big range and the lowest 255 pages; the rest is counted, nothing is overrun. */
	static struct boot_mmap_entry e[1002];
	size_t n = 0;
	e[n++] = (struct boot_mmap_entry){ 0, 2000 * PG, U };
	for (uint64_t p = 1; p < 2000; p += 2)
		e[n++] = (struct boot_mmap_entry){ p * PG, PG, R };
	e[n++] = (struct boot_mmap_entry){ 4 * GiB, 4 * GiB, U };
	from_boot(e, n);
	CHECK_VALID(&m);
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(m.dropped, (1000 - 255) * PG);
	CHECK_INT(memmap_total(&m) + m.dropped, 1000 * PG + 4 * GiB);
	CHECK_INT(m.r[0].start, 0);
	CHECK_INT(m.r[254].start, 508 * PG);
	CHECK_INT(m.r[255].start, 4 * GiB);
	CHECK_INT(memmap_end(&m), 8 * GiB);

	/* 600 separate entries of growing size: the 256 largest stay. */
	static struct boot_mmap_entry f[600];
	uint64_t at = 0, all = 0;
	for (size_t i = 0; i < 600; i++) {
		uint64_t size = (1 + i % 300) * PG;
		f[i] = (struct boot_mmap_entry){ at, size, U };
		at += size + PG;
		all += size;
	}
	from_boot(f, 600);
	CHECK_VALID(&m);
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(memmap_total(&m) + m.dropped, all);
	for (size_t i = 0; i < m.count; i++)
		CHECK(m.r[i].end - m.r[i].start >= 173 * PG); /* sizes 173..300 pages, twice each */
}

/* ---- UEFI memory maps ---- */

enum {
	EFI_RESERVED = 0, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE, EFI_BS_DATA,
	EFI_RT_CODE, EFI_RT_DATA, EFI_CONVENTIONAL, EFI_UNUSABLE, EFI_ACPI_RECLAIM, EFI_ACPI_NVS,
	EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE, EFI_PERSISTENT, EFI_UNACCEPTED,
};

struct efi_d {
	uint32_t type;
	uint64_t start, pages;
};

/* A firmware-style map: the blob ends exactly where the malloc'd buffer does, at an odd
 * address, with stride bytes per descriptor and the padding filled with junk. */
static uint8_t *efi_blob(const struct efi_d *d, size_t n, size_t stride, size_t *size)
{
	size_t len = n * stride;
	uint8_t *buf = malloc(len + 1), *p = buf + 1;
	memset(buf, 0xaa, len + 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + i * stride;
		uint64_t virt = 0x123456789, attr = 0x800000000000000full;
		memcpy(q + 0, &d[i].type, 4);
		memcpy(q + 8, &d[i].start, 8);
		memcpy(q + 16, &virt, 8);
		memcpy(q + 24, &d[i].pages, 8);
		memcpy(q + 32, &attr, 8);
	}
	*size = len;
	return buf;
}

/* Roughly what OVMF hands over, plus trouble. */
static const struct efi_d ovmf[] = {
	{ EFI_BS_CODE, 0x0, 1 },
	{ EFI_CONVENTIONAL, 0x1000, 0x9f },
	{ EFI_CONVENTIONAL, 0x100000, 0x700 },
	{ EFI_ACPI_NVS, 0x800000, 0x8 },
	{ EFI_CONVENTIONAL, 0x808000, 0x3 },
	{ EFI_ACPI_NVS, 0x80b000, 0x1 },
	{ EFI_CONVENTIONAL, 0x80c000, 0x4 },
	{ EFI_ACPI_NVS, 0x810000, 0xf0 },
	{ EFI_LOADER_DATA, 0x900000, 0x100 },
	{ EFI_LOADER_CODE, 0xa00000, 0x80 },
	{ EFI_BS_DATA, 0xa80000, 0x1580 },
	{ EFI_CONVENTIONAL, 0x2000000, 0x1d000 },
	{ EFI_RT_DATA, 0x1f000000, 0x100 },
	{ EFI_RT_CODE, 0x1f100000, 0x100 },
	{ EFI_BS_DATA, 0x1f200000, 0xa00 },
	{ EFI_ACPI_RECLAIM, 0x1fc00000, 0x10 },
	{ EFI_RESERVED, 0x1fc10000, 0x3f0 },
	{ EFI_MMIO, 0xffc00000, 0x400 },
	{ EFI_RESERVED, 0x10000000, 0x10 },          /* overlaps conventional: reserved wins */
	{ EFI_UNUSABLE, 0x1e000000, 0x1 },
	{ EFI_PERSISTENT, 0x1e100000, 0x1 },
	{ EFI_UNACCEPTED, 0x1e200000, 0x1 },
	{ 0x70000000, 0x1e300000, 0x1 },              /* OEM type: reserved */
	{ EFI_CONVENTIONAL, 0x1000000000, UINT64_MAX },  /* pages overflow: ignored */
	{ EFI_CONVENTIONAL, 0x2000000000, 1ull << 52 },  /* bytes exactly 2^64: wraps, ignored */
	{ EFI_RESERVED, 0x3000, UINT64_MAX / 4096 },      /* wraps: ignored, removes nothing */
	{ EFI_CONVENTIONAL, 0x4000000000, 0 },           /* empty */
	{ EFI_CONVENTIONAL, 0x100000000, 0x40000 },     /* 1 GiB above 4 GiB */
};

static bool efi_map_ok(void)
{
	static const uint64_t exp[][2] = {
		{ 0x0, 0xa0000 },
		{ 0x100000, 0x800000 },
		{ 0x808000, 0x80b000 },
		{ 0x80c000, 0x810000 },
		{ 0x900000, 0x10000000 },
		{ 0x10010000, 0x1e000000 },
		{ 0x1e001000, 0x1e100000 },
		{ 0x1e101000, 0x1e200000 },
		{ 0x1e201000, 0x1e300000 },
		{ 0x1e301000, 0x1f000000 },
		{ 0x1f200000, 0x1fc00000 },
		{ 0x100000000, 0x140000000 },
	};
	return map_equals(&m, exp, sizeof(exp) / sizeof(exp[0]));
}

TEST(efi_map_stride_40)
{
	size_t size, n = sizeof(ovmf) / sizeof(ovmf[0]);
	uint8_t *buf = efi_blob(ovmf, n, 40, &size);
	memset(&m, 0x5a, sizeof(m));
	memmap_from_efi(&m, buf + 1, size, 40);
	bool ok = efi_map_ok();
	free(buf);
	if (!ok) {
		unit_fail(__FILE__, __LINE__, "%s", why);
		return;
	}
	CHECK_INT(m.dropped, 0);
	CHECK_INT(memmap_end(&m), 0x140000000);
}

TEST(efi_map_stride_48_and_trailing_bytes)
{
	size_t size, n = sizeof(ovmf) / sizeof(ovmf[0]);
	uint8_t *buf = efi_blob(ovmf, n, 48, &size);
	memmap_from_efi(&m, buf + 1, size, 48);
	bool ok = efi_map_ok();
	/* A size that is no multiple of the stride: the partial descriptor is not read (the
	 * buffer ends right after it, so ASan would see a read). The last one here is the 1 GiB. */
	if (ok) {
		memmap_from_efi(&m, buf + 1, size - 1, 48);
		ok = m.count == 11 && memmap_end(&m) == 0x1fc00000;
		if (!ok)
			fmt(why, sizeof(why), "trailing bytes: count %zu", m.count);
	}
	free(buf);
	if (!ok)
		unit_fail(__FILE__, __LINE__, "%s", why);
}

TEST(efi_bad_desc_size_gives_empty_map)
{
	size_t size;
	uint8_t *buf = efi_blob(ovmf, 4, 40, &size);
	memmap_from_efi(&m, buf + 1, size, 39);
	size_t c39 = m.count;
	memmap_from_efi(&m, buf + 1, size, 0);
	size_t c0 = m.count;
	memmap_from_efi(&m, NULL, size, 40);
	size_t cnull = m.count;
	memmap_from_efi(&m, buf + 1, 39, 40);
	size_t cshort = m.count;
	memmap_from_efi(&m, buf + 1, size, 40);
	size_t cgood = m.count;
	free(buf);
	CHECK_INT(c39, 0);
	CHECK_INT(c0, 0);
	CHECK_INT(cnull, 0);
	CHECK_INT(cshort, 0);
	CHECK_INT(cgood, 2); /* [0, 0xa0000) and [0x100000, 0x800000) */
	CHECK_INT(m.dropped, 0);
}

/* ---- reserve ---- */

TEST(reserve_trims_splits_and_removes)
{
	static const struct boot_mmap_entry e[] = { { 0, 1 * MiB, U }, { 2 * MiB, 2 * MiB, U } };
	from_boot(e, 2);
	memmap_reserve(&m, 0x3000, 0x5000);
	CHECK_MAP(&m, { 0, 0x3000 }, { 0x5000, 1 * MiB }, { 2 * MiB, 4 * MiB });
	memmap_reserve(&m, 0x7001, 0x7002); /* one byte: its page */
	CHECK_MAP(&m, { 0, 0x3000 }, { 0x5000, 0x7000 }, { 0x8000, 1 * MiB }, { 2 * MiB, 4 * MiB });
	memmap_reserve(&m, 0x6fff, 0x6fff); /* empty */
	memmap_reserve(&m, 0x9000, 0x8000); /* backwards */
	CHECK_INT(m.count, 4);
	memmap_reserve(&m, 0x2800, 0x5800); /* the gap and a page each side */
	CHECK_MAP(&m, { 0, 0x2000 }, { 0x6000, 0x7000 }, { 0x8000, 1 * MiB }, { 2 * MiB, 4 * MiB });
	memmap_reserve(&m, 1 * MiB - 0x1000, 3 * MiB); /* across the gap between ranges */
	CHECK_MAP(&m, { 0, 0x2000 }, { 0x6000, 0x7000 }, { 0x8000, 1 * MiB - 0x1000 }, { 3 * MiB, 4 * MiB });
	memmap_reserve(&m, 0x6000, 0x7000); /* exactly one range */
	CHECK_MAP(&m, { 0, 0x2000 }, { 0x8000, 1 * MiB - 0x1000 }, { 3 * MiB, 4 * MiB });
	memmap_reserve(&m, 8 * MiB, UINT64_MAX); /* above everything, to the top */
	CHECK_INT(m.count, 3);
	memmap_reserve(&m, 0x1000, UINT64_MAX);
	CHECK_MAP(&m, { 0, 0x1000 });
	memmap_reserve(&m, 0, 1);
	CHECK_EMPTY(&m);
	CHECK_INT(m.dropped, 0);
	memmap_reserve(&m, 0, UINT64_MAX); /* on an empty map */
	CHECK_EMPTY(&m);
}

/* A full table: 256 ranges of 4 pages each, one page apart. */
static void full_table(void)
{
	static struct boot_mmap_entry e[MEMMAP_MAX];
	for (size_t i = 0; i < MEMMAP_MAX; i++)
		e[i] = (struct boot_mmap_entry){ 0x100000 + i * 5 * PG, 4 * PG, U };
	from_boot(e, MEMMAP_MAX);
}

TEST(reserve_split_in_full_table_loses_smaller_piece)
{
	full_table();
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(m.dropped, 0);
	uint64_t total = memmap_total(&m), b = m.r[10].start;
	memmap_reserve(&m, b + PG, b + 2 * PG); /* leaves 1 page below, 2 above: keep above */
	CHECK_VALID(&m);
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(m.r[10].start, b + 2 * PG);
	CHECK_INT(m.r[10].end, b + 4 * PG);
	CHECK_INT(m.dropped, PG);
	b = m.r[20].start;
	memmap_reserve(&m, b + 2 * PG, b + 3 * PG); /* 2 below, 1 above: keep below */
	CHECK_INT(m.r[20].start, b);
	CHECK_INT(m.r[20].end, b + 2 * PG);
	CHECK_INT(m.dropped, 2 * PG);
	b = m.r[30].start;
	memmap_reserve(&m, b + PG, b + 3 * PG); /* a tie: keep the lower piece */
	CHECK_INT(m.r[30].start, b);
	CHECK_INT(m.r[30].end, b + PG);
	CHECK_INT(m.dropped, 3 * PG);
	CHECK_INT(memmap_total(&m) + m.dropped, total - 4 * PG);
	/* Once a range is gone there is room to split again. */
	b = m.r[40].start;
	memmap_reserve(&m, b, b + 4 * PG);
	CHECK_INT(m.count, MEMMAP_MAX - 1);
	b = m.r[50].start;
	memmap_reserve(&m, b + PG, b + 2 * PG);
	CHECK_VALID(&m);
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(m.dropped, 3 * PG);
}

/* ---- alloc ---- */

TEST(alloc_from_highest_range_under_limit)
{
	from_boot(q35_8g, sizeof(q35_8g) / sizeof(q35_8g[0]));
	CHECK_INT(memmap_alloc(&m, 1, PG, UINT64_MAX), 0x27ffff000);
	CHECK_INT(memmap_alloc(&m, 2 * MiB, 2 * MiB, 4 * GiB), 0x7fc00000);
	CHECK_MAP(&m, { 0x0, 0x9f000 }, { 0x100000, 0x7fc00000 }, { 0x7fe00000, 0x7ffdf000 },
		  { 0x100000000, 0x27ffff000 });
	/* The range straddling the limit is used below it. */
	CHECK_INT(memmap_alloc(&m, 3 * PG, PG, 0x100010000), 0x10000d000);
	/* An unaligned limit: the allocation still ends at or below it. */
	CHECK_INT(memmap_alloc(&m, 100, PG, 0x12345), 0x11000);
	/* Too big for the low range under 1 MiB. */
	CHECK_INT(memmap_alloc(&m, 1 * MiB, PG, 1 * MiB), 0);
	CHECK_INT(memmap_alloc(&m, 0x9e000, PG, 1 * MiB), 0);
	CHECK_INT(memmap_alloc(&m, 0x5000, PG, 1 * MiB), 0x9a000);
	/* A limit at or below the first range's start and 0. */
	CHECK_INT(memmap_alloc(&m, PG, PG, PG), 0);
	CHECK_INT(memmap_alloc(&m, PG, PG, 0), 0);
	CHECK_VALID(&m);
	CHECK_INT(m.dropped, 0);
}

TEST(alloc_rejects_bad_arguments)
{
	from_boot(q35_512m, sizeof(q35_512m) / sizeof(q35_512m[0]));
	uint64_t total = memmap_total(&m);
	CHECK_INT(memmap_alloc(&m, PG, 0, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, PG, 2048, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, PG, 4097, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, PG, 3 * PG, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, 0, PG, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, UINT64_MAX, PG, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, UINT64_MAX - PG, PG, UINT64_MAX), 0);
	CHECK_INT(memmap_alloc(&m, 1 * GiB, PG, UINT64_MAX), 0);
	CHECK_INT(memmap_total(&m), total);
	/* A huge alignment leaves nothing but 0, which is never handed out. */
	CHECK_INT(memmap_alloc(&m, PG, 1ull << 63, UINT64_MAX), 0);
	CHECK_INT(memmap_total(&m), total);
}

TEST(alloc_aligned_falls_back_to_lower_range)
{
	static const struct boot_mmap_entry e[] = {
		{ 2 * MiB, 4 * MiB, U },
		{ 16 * MiB + PG, 3 * MiB, U }, /* 3 MiB, but no aligned 2 MiB inside */
	};
	from_boot(e, 2);
	CHECK_INT(memmap_alloc(&m, 2 * MiB, 2 * MiB, UINT64_MAX), 4 * MiB);
	CHECK_MAP(&m, { 2 * MiB, 4 * MiB }, { 16 * MiB + PG, 19 * MiB + PG });
	CHECK_INT(memmap_alloc(&m, 1 * MiB, 2 * MiB, UINT64_MAX), 18 * MiB);
	CHECK_MAP(&m, { 2 * MiB, 4 * MiB }, { 16 * MiB + PG, 18 * MiB }, { 19 * MiB, 19 * MiB + PG });
	CHECK_INT(memmap_alloc(&m, 2 * MiB, 2 * MiB, UINT64_MAX), 2 * MiB);
	CHECK_INT(memmap_alloc(&m, 2 * MiB, 2 * MiB, UINT64_MAX), 0);
	CHECK_MAP(&m, { 16 * MiB + PG, 18 * MiB }, { 19 * MiB, 19 * MiB + PG });
}

TEST(alloc_until_exhausted)
{
	static const struct boot_mmap_entry e[] = { { 0x1000, 0x4000, U }, { 0x8000, 0x2000, U } };
	from_boot(e, 2);
	static const uint64_t want[] = { 0x9000, 0x8000, 0x4000, 0x3000, 0x2000, 0x1000 };
	for (size_t i = 0; i < 6; i++)
		CHECK_INT(memmap_alloc(&m, PG, PG, UINT64_MAX), want[i]);
	CHECK_INT(memmap_alloc(&m, PG, PG, UINT64_MAX), 0);
	CHECK_EMPTY(&m);
	CHECK_INT(memmap_total(&m), 0);
	CHECK_INT(memmap_end(&m), 0);
}

TEST(alloc_never_returns_zero)
{
	static const struct boot_mmap_entry e[] = { { 0, 0x3000, U } };
	from_boot(e, 1);
	CHECK_INT(memmap_alloc(&m, 0x3000, PG, UINT64_MAX), 0); /* would start at 0 */
	CHECK_INT(memmap_alloc(&m, PG, 0x4000, UINT64_MAX), 0); /* only 0 is aligned enough */
	CHECK_INT(memmap_total(&m), 0x3000);
	CHECK_INT(memmap_alloc(&m, PG, PG, UINT64_MAX), 0x2000);
	CHECK_INT(memmap_alloc(&m, PG, PG, UINT64_MAX), 0x1000);
	CHECK_INT(memmap_alloc(&m, PG, PG, UINT64_MAX), 0);
	CHECK_MAP(&m, { 0, 0x1000 }); /* page 0 stays in the map, never handed out */

	/* A limit of one page above 0: nothing fits. */
	from_boot(e, 1);
	CHECK_INT(memmap_alloc(&m, PG, PG, 0x1000), 0);
	CHECK_INT(memmap_alloc(&m, PG, PG, 0x2000), 0x1000);
}

TEST(alloc_split_in_full_table_counts_the_loss)
{
	full_table();
	/* A page aligned to 16 KiB in the top range: any pieces it leaves are accounted for. */
	uint64_t total = memmap_total(&m);
	uint64_t a = memmap_alloc(&m, PG, 4 * PG, UINT64_MAX);
	CHECK(a != 0);
	CHECK_INT(a % (4 * PG), 0);
	CHECK_VALID(&m);
	CHECK(m.count <= MEMMAP_MAX);
	CHECK_INT(memmap_total(&m) + m.dropped, total - PG);
	/* A split with pieces on both sides while full loses the smaller one. */
	full_table();
	uint64_t top = m.r[MEMMAP_MAX - 1].start;
	a = memmap_alloc(&m, PG, PG, top + 2 * PG);
	CHECK_INT(a, top + PG); /* leaves one page below, two above: the above pair stays */
	CHECK_INT(m.count, MEMMAP_MAX);
	CHECK_INT(m.r[MEMMAP_MAX - 1].start, top + 2 * PG);
	CHECK_INT(m.dropped, PG);
}

/* ---- seeded random runs against a bitmap of pages ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

#define NPAGES_MAX 4096

/* The model: one flag per page of [0, npages * PG). */
static bool model[NPAGES_MAX];
static size_t npages;

/* Marks the pages of [base, base + len) whole inside (usable) or touched (reserved). */
static void model_apply(uint64_t base, uint64_t len, bool usable)
{
	if (len == 0 || base + len < base)
		return;
	for (size_t p = 0; p < npages; p++) {
		uint64_t s = p * PG, e = s + PG;
		if (usable && base <= s && e <= base + len)
			model[p] = true;
		if (!usable && s < base + len && base < e)
			model[p] = false;
	}
}

/*
 * After an operation: every range of the map is a whole maximal run of the model's pages, and
 * what the model has beyond the map is exactly what the map reports as newly dropped. The
 * model then follows the map, so that later operations start from the same state.
 */
static bool model_check(uint64_t dropped_before, bool keeps_largest)
{
	if (!map_valid(&m))
		return false;
	uint64_t lost = 0, smallest_kept = UINT64_MAX, largest_lost = 0;
	static bool in_map[NPAGES_MAX];
	memset(in_map, 0, sizeof(in_map));
	for (size_t i = 0; i < m.count; i++) {
		uint64_t s = m.r[i].start / PG, e = m.r[i].end / PG;
		if (e > npages || (s > 0 && model[s - 1]) || (e < npages && model[e])) {
			fmt(why, sizeof(why), "range [%#llx, %#llx) is no maximal run of the model",
				 (unsigned long long)m.r[i].start, (unsigned long long)m.r[i].end);
			return false;
		}
		for (uint64_t p = s; p < e; p++) {
			if (!model[p]) {
				fmt(why, sizeof(why), "page %#llx in the map, not the model",
					 (unsigned long long)(p * PG));
				return false;
			}
			in_map[p] = true;
		}
		smallest_kept = MIN(smallest_kept, e - s);
	}
	for (size_t p = 0, run = 0; p <= npages; p++) {
		if (p < npages && model[p] && !in_map[p]) {
			run++;
			lost++;
		} else {
			largest_lost = MAX(largest_lost, run);
			run = 0;
		}
	}
	if (lost * PG != m.dropped - dropped_before) {
		fmt(why, sizeof(why), "model has %llu pages beyond the map, dropped grew by %llu",
			 (unsigned long long)lost, (unsigned long long)(m.dropped - dropped_before));
		return false;
	}
	if (keeps_largest && largest_lost > 0 &&
	    (m.count != MEMMAP_MAX || largest_lost > smallest_kept)) {
		fmt(why, sizeof(why), "dropped a run of %llu pages, kept one of %llu (count %zu)",
			 (unsigned long long)largest_lost, (unsigned long long)smallest_kept, m.count);
		return false;
	}
	for (size_t p = 0; p < npages; p++)
		model[p] = in_map[p];
	return true;
}

/* The highest nonzero aligned place of size bytes, wholly usable, ending at or below limit. */
static uint64_t model_alloc(uint64_t size, uint64_t align, uint64_t limit)
{
	if (align < PG || (align & (align - 1)) || size == 0)
		return 0;
	uint64_t n = (size + PG - 1) / PG, best = 0;
	for (uint64_t a = align; a / PG + n <= npages; a += align) {
		bool fits = a + n * PG <= limit;
		for (uint64_t p = a / PG; fits && p < a / PG + n; p++)
			fits = model[p];
		if (fits)
			best = a;
	}
	return best;
}

/* Entries stay below npages * PG (but for wrapping ones), so the model sees all of them. */
static void random_entry(struct boot_mmap_entry *e, bool many)
{
	uint64_t space = many ? (npages - 8) * PG : npages * PG / 2;
	e->base = below(space);
	if (below(2))
		e->base &= ~(PG - 1);
	e->length = many ? below(4 * PG) : below(4) == 0 ? below(space) : below(24 * PG);
	if (below(2))
		e->length &= ~(PG - 1);
	if (below(40) == 0)
		e->length = 0;
	if (below(60) == 0) { /* wrapping */
		e->base = UINT64_MAX - below(space);
		e->length = space + 2 + below(space); /* past 2^64, never exactly to it */
	}
	static const uint32_t others[] = { 2, 3, 4, 5, 0, 12, 0xdeadbeef };
	e->type = below(5) < (many ? 3u : 2u) ? U : others[below(7)];
	if (many && e->type != U)
		e->length = 1 + below(PG); /* pin-pricks: many fragments */
}

#define RFAIL(fmt, ...)                                                                       \
	do {                                                                                  \
		unit_fail(__FILE__, __LINE__, "seed %#llx: " fmt ": %s",                      \
			  (unsigned long long)seed, ##__VA_ARGS__, why);                      \
		return;                                                                       \
	} while (0)

/* One seeded run: a random loader map, then random reserves and allocations. */
static void random_run(uint64_t seed, bool many)
{
	static struct boot_mmap_entry e[1300];
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	npages = many ? NPAGES_MAX : 64 + below(448);
	size_t n = many ? 700 + below(600) : below(24);
	for (size_t i = 0; i < n; i++)
		random_entry(&e[i], many);

	memset(model, 0, sizeof(model));
	for (size_t i = 0; i < n; i++)
		if (e[i].type == U)
			model_apply(e[i].base, e[i].length, true);
	for (size_t i = 0; i < n; i++)
		if (e[i].type != U)
			model_apply(e[i].base, e[i].length, false);
	memmap_from_boot(&m, e, n);
	if (!model_check(0, true))
		RFAIL("from_boot of %zu entries", n);

	size_t ops = below(many ? 200 : 40);
	for (size_t op = 0; op < ops; op++) {
		uint64_t before = m.dropped;
		if (below(2)) {
			uint64_t s = below(npages * PG + 4 * PG), len = below(16 * PG);
			if (below(30) == 0)
				len = UINT64_MAX - s - below(3); /* to the top of memory */
			uint64_t end = below(20) == 0 ? s - below(s + 1) : s + len;
			model_apply(s, end > s ? end - s : 0, false);
			memmap_reserve(&m, s, end);
			if (!model_check(before, false))
				RFAIL("op %zu: reserve [%#llx, %#llx)", op, (unsigned long long)s,
				      (unsigned long long)end);
		} else {
			uint64_t size = 1 + below(12 * PG), align = PG << below(6);
			uint64_t limit = below(4) ? below(npages * PG + 4 * PG) : UINT64_MAX;
			if (below(20) == 0)
				align = below(3 * PG);
			uint64_t want = model_alloc(size, align, limit);
			uint64_t got = memmap_alloc(&m, size, align, limit);
			if (got != want) {
				why[0] = 0;
				dump(why, sizeof(why), &m);
				RFAIL("op %zu: alloc(%#llx, %#llx, %#llx) = %#llx, model says %#llx", op,
				      (unsigned long long)size, (unsigned long long)align,
				      (unsigned long long)limit, (unsigned long long)got,
				      (unsigned long long)want);
			}
			if (got)
				model_apply(got, size, false);
			if (!model_check(before, false))
				RFAIL("op %zu: after alloc at %#llx", op, (unsigned long long)got);
		}
	}
}

TEST(random_small_maps_match_page_model)
{
	for (uint64_t seed = 1; seed <= 3000 && !unit_failed; seed++)
		random_run(seed, false);
}

TEST(random_fragmented_maps_overflowing_the_table)
{
	for (uint64_t seed = 1; seed <= 40 && !unit_failed; seed++)
		random_run(seed, true);
}

/* Random UEFI maps (page-aligned by definition) in random strides, against the same model. */
TEST(random_efi_maps_match_page_model)
{
	for (uint64_t seed = 1; seed <= 1500; seed++) {
		rng = seed * 0x2545f4914f6cdd1dull + 7;
		npages = 64 + below(448);
		size_t n = below(24), stride = 40 + 8 * below(4), size;
		static struct efi_d d[24];
		for (size_t i = 0; i < n; i++) {
			d[i].type = (uint32_t)below(17);
			d[i].start = below(npages / 2) * PG;
			d[i].pages = below(4) == 0 ? below(npages / 2) : below(24);
			if (below(40) == 0) /* more pages than 2^64 bytes */
				d[i].pages = UINT64_MAX / PG + 1 + below(1000);
			if (below(40) == 0) { /* bytes fit, but the end wraps */
				d[i].start += 4 * PG;
				d[i].pages = UINT64_MAX / PG - below(3);
			}
		}
		memset(model, 0, sizeof(model));
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < n; i++) {
				bool usable = d[i].type == EFI_LOADER_CODE || d[i].type == EFI_LOADER_DATA ||
					      d[i].type == EFI_BS_CODE || d[i].type == EFI_BS_DATA ||
					      d[i].type == EFI_CONVENTIONAL;
				if (usable == (pass == 0) && d[i].pages <= UINT64_MAX / PG)
					model_apply(d[i].start, d[i].pages * PG, usable);
			}
		}
		uint8_t *buf = efi_blob(d, n, stride, &size);
		memmap_from_efi(&m, buf + 1, size, stride);
		free(buf);
		if (!model_check(0, true)) {
			unit_fail(__FILE__, __LINE__, "seed %llu, %zu descriptors of %zu bytes: %s",
				  (unsigned long long)seed, n, stride, why);
			return;
		}
		CHECK_INT(m.dropped, 0);
	}
}
