/*
 * The early physical memory map: usable RAM cleaned from the loader's or the firmware's map, and
 * the carving of early allocations from it. No allocation, no logging; every loop is bounded.
 */
#include "mm/memmap.h"

#include "lib/compiler.h"
#include "lib/string.h"

#define MM_PAGE 4096ull
/* The highest page-aligned address: the page above it cannot be written as [start, end). */
#define MM_TOP  ALIGN_DOWN(UINT64_MAX, MM_PAGE)

/* ---- input entries, whatever their source ---- */

/* One input entry after rounding: usable spans shrink to whole pages, reserved spans grow. */
struct span {
	uint64_t start, end;
	bool usable;
};

/*
 * A list of n input entries. get() returns false for an entry that is ignored (empty after
 * rounding, zero-length or wrapping). The map is built by sweeping the list, which needs no
 * scratch memory and so never loses anything to a full intermediate table.
 */
struct span_src {
	bool (*get)(const struct span_src *src, size_t i, struct span *out);
	const void *data;
	size_t n;
	size_t stride;
};

/*
 * Rounds [base, base + len) to pages: inward when usable, outward when reserved. An entry that
 * ends exactly at 2^64 is accepted; one that wraps past it is ignored.
 */
static bool make_span(uint64_t base, uint64_t len, bool usable, struct span *out)
{
	uint64_t end;
	bool to_top = false;

	if (len == 0)
		return false;
	if (__builtin_add_overflow(base, len, &end)) {
		if (end != 0)
			return false;
		to_top = true;
	}
	if (usable) {
		if (base > MM_TOP)
			return false;
		out->start = ALIGN_UP(base, MM_PAGE);
		out->end = to_top ? MM_TOP : ALIGN_DOWN(end, MM_PAGE);
	} else {
		out->start = ALIGN_DOWN(base, MM_PAGE);
		out->end = (to_top || end > MM_TOP) ? MM_TOP : ALIGN_UP(end, MM_PAGE);
	}
	out->usable = usable;
	return out->start < out->end;
}

static bool boot_get(const struct span_src *src, size_t i, struct span *out)
{
	const struct boot_mmap_entry *e = (const struct boot_mmap_entry *)src->data + i;
	return make_span(e->base, e->length, e->type == BOOT_MEM_USABLE, out);
}

/* EFI_MEMORY_DESCRIPTOR (UEFI spec, EFI_BOOT_SERVICES.GetMemoryMap()); pages are always 4 KiB. */
struct efi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attribute;
} __packed;
_Static_assert(sizeof(struct efi_memory_descriptor) == 40, "EFI_MEMORY_DESCRIPTOR is 40 bytes");
_Static_assert(__builtin_offsetof(struct efi_memory_descriptor, type) == 0, "Type");
_Static_assert(__builtin_offsetof(struct efi_memory_descriptor, phys_start) == 8, "PhysicalStart");
_Static_assert(__builtin_offsetof(struct efi_memory_descriptor, virt_start) == 16, "VirtualStart");
_Static_assert(__builtin_offsetof(struct efi_memory_descriptor, num_pages) == 24, "NumberOfPages");
_Static_assert(__builtin_offsetof(struct efi_memory_descriptor, attribute) == 32, "Attribute");

enum efi_memory_type {
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_CONVENTIONAL_MEMORY = 7,
};

/* What the kernel may use once boot services have exited; everything else stays reserved. */
static bool efi_usable(uint32_t type)
{
	switch (type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return true;
	default:
		return false;
	}
}

static bool efi_get(const struct span_src *src, size_t i, struct span *out)
{
	struct efi_memory_descriptor d;

	/* The map is a byte array of desc_size strides with no alignment promise. */
	memcpy(&d, (const uint8_t *)src->data + i * src->stride, sizeof(d));
	if (d.num_pages > UINT64_MAX / MM_PAGE)
		return false; /* more bytes than the address space: a wrapping entry */
	return make_span(d.phys_start, d.num_pages * MM_PAGE, efi_usable(d.type), out);
}

/* ---- building the map by sweeping the input upwards ---- */

/*
 * Moves *x to the lowest address at or above it that lies in a usable span and in no reserved
 * span; false when there is none. Each retry passes the end of a reserved span for good, so
 * n + 1 tries are enough.
 */
static bool next_start(const struct span_src *src, uint64_t *x)
{
	for (size_t step = 0; step <= src->n; step++) {
		uint64_t y = 0, skip;
		bool found = false;
		struct span sp;

		for (size_t i = 0; i < src->n; i++) {
			if (!src->get(src, i, &sp) || !sp.usable || sp.end <= *x)
				continue;
			uint64_t c = MAX(sp.start, *x);
			if (!found || c < y)
				y = c;
			found = true;
		}
		if (!found)
			return false;

		skip = y;
		for (size_t i = 0; i < src->n; i++) {
			if (src->get(src, i, &sp) && !sp.usable && sp.start <= y && y < sp.end)
				skip = MAX(skip, sp.end);
		}
		*x = skip;
		if (skip == y)
			return true;
	}
	return false;
}

/*
 * The end of the usable, unreserved piece that starts at x: the end of the chain of usable
 * spans through x, cut at the first reserved span above x. Each pass that grows the chain
 * moves it to another span's end, so n + 1 passes are enough.
 */
static uint64_t piece_end(const struct span_src *src, uint64_t x)
{
	uint64_t cut = MM_TOP, e = x;
	struct span sp;

	for (size_t i = 0; i < src->n; i++) {
		if (src->get(src, i, &sp) && !sp.usable && sp.start > x && sp.start < cut)
			cut = sp.start;
	}
	for (size_t pass = 0; pass <= src->n && e < cut; pass++) {
		bool grew = false;
		for (size_t i = 0; i < src->n; i++) {
			if (src->get(src, i, &sp) && sp.usable && sp.start <= e && e < sp.end) {
				e = sp.end;
				grew = true;
			}
		}
		if (!grew)
			break;
	}
	return MIN(e, cut);
}

static uint64_t range_size(const struct mem_range *r)
{
	return r->end - r->start;
}

/*
 * Appends a piece above every range in the map. When the table is full the map keeps the
 * largest ranges (the lower of equal ones): the smallest range goes, and its bytes are counted.
 */
static void keep_piece(struct memmap *m, uint64_t start, uint64_t end)
{
	struct mem_range p = { start, end };
	size_t victim = 0;

	if (m->count < MEMMAP_MAX) {
		m->r[m->count++] = p;
		return;
	}
	for (size_t i = 1; i < m->count; i++) {
		if (range_size(&m->r[i]) <= range_size(&m->r[victim]))
			victim = i;
	}
	if (range_size(&p) <= range_size(&m->r[victim])) {
		m->dropped += range_size(&p);
		return;
	}
	m->dropped += range_size(&m->r[victim]);
	memmove(&m->r[victim], &m->r[victim + 1], (m->count - victim - 1) * sizeof(m->r[0]));
	m->r[m->count - 1] = p;
}

/*
 * Pieces come out sorted and maximal, so never adjacent. Each piece ends at a distinct
 * boundary (a reserved span's start or a usable span's end), so there are at most n of them.
 */
static void build(struct memmap *m, const struct span_src *src)
{
	uint64_t x = 0;

	m->count = 0;
	m->dropped = 0;
	for (size_t i = 0; i < src->n && next_start(src, &x); i++) {
		uint64_t e = piece_end(src, x);
		keep_piece(m, x, e);
		x = e;
	}
}

void memmap_from_boot(struct memmap *m, const struct boot_mmap_entry *e, size_t n)
{
	struct span_src src = { boot_get, e, e ? n : 0, sizeof(*e) };
	build(m, &src);
}

void memmap_from_efi(struct memmap *m, const void *descs, size_t size, size_t desc_size)
{
	struct span_src src = { efi_get, descs, 0, desc_size };

	if (descs && desc_size >= sizeof(struct efi_memory_descriptor))
		src.n = size / desc_size;
	build(m, &src);
}

/* ---- changing the map ---- */

/* Removes the page-aligned [s, e), s < e. */
static void remove_range(struct memmap *m, uint64_t s, uint64_t e)
{
	size_t out = 0;

	/* Strictly inside one range: split it, which needs one more slot. */
	for (size_t i = 0; i < m->count; i++) {
		struct mem_range *r = &m->r[i];
		if (!(r->start < s && e < r->end))
			continue;
		struct mem_range lo = { r->start, s }, hi = { e, r->end };
		if (m->count < MEMMAP_MAX) {
			memmove(&m->r[i + 2], &m->r[i + 1], (m->count - i - 1) * sizeof(m->r[0]));
			m->r[i] = lo;
			m->r[i + 1] = hi;
			m->count++;
		} else if (range_size(&lo) >= range_size(&hi)) {
			m->dropped += range_size(&hi);
			*r = lo;
		} else {
			m->dropped += range_size(&lo);
			*r = hi;
		}
		return;
	}

	/* Otherwise ranges are only trimmed at one side or removed whole. */
	for (size_t i = 0; i < m->count; i++) {
		struct mem_range r = m->r[i];
		if (r.start < e && s < r.end) {
			if (r.start < s)
				r.end = s;
			else if (e < r.end)
				r.start = e;
			else
				continue;
		}
		m->r[out++] = r;
	}
	m->count = out;
}

void memmap_reserve(struct memmap *m, uint64_t start, uint64_t end)
{
	if (end <= start)
		return;
	uint64_t s = ALIGN_DOWN(start, MM_PAGE);
	uint64_t e = end > MM_TOP ? MM_TOP : ALIGN_UP(end, MM_PAGE);
	if (s < e)
		remove_range(m, s, e);
}

uint64_t memmap_alloc(struct memmap *m, uint64_t size, uint64_t align, uint64_t limit)
{
	if (align < MM_PAGE || (align & (align - 1)) != 0)
		return 0;
	if (size == 0 || size > MM_TOP)
		return 0;
	size = ALIGN_UP(size, MM_PAGE);

	/* Top-down: the highest range that can hold it, at its highest aligned place. */
	for (size_t i = m->count; i-- > 0;) {
		const struct mem_range *r = &m->r[i];
		uint64_t top = MIN(r->end, limit);
		if (top <= r->start || top - r->start < size)
			continue;
		uint64_t a = ALIGN_DOWN(top - size, align);
		if (a < r->start)
			continue;
		if (a == 0)
			return 0; /* only the first range can start at 0, and nothing lies below it */
		remove_range(m, a, a + size);
		return a;
	}
	return 0;
}

uint64_t memmap_total(const struct memmap *m)
{
	uint64_t total = 0;
	for (size_t i = 0; i < m->count; i++)
		total += range_size(&m->r[i]);
	return total;
}

uint64_t memmap_end(const struct memmap *m)
{
	return m->count ? m->r[m->count - 1].end : 0;
}
