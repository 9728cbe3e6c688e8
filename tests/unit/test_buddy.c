// unit-deps: kernel/mm/buddy.c kernel/lib/string.c
/*
 * Host tests for the buddy allocator (kernel/mm/buddy.c) against a reference model: a byte per
 * frame saying whether the zone manages it and whether a live allocation covers it. A checker
 * walks every free list after each operation; the fully merged layout a set of ranges must
 * end in is computed here independently (largest aligned blocks of each contiguous run).
 */
#include "unit.h"

#include <limits.h>
#include <stdlib.h>

#include "host_prefix.h"

#include "lib/string.h"
#include "mm/zone.h"

struct page *mem_map;
pfn_t max_pfn;

/* The helpers report details through unit_fail themselves; a case then just stops. */
#define REQUIRE(x)                  \
	do {                        \
		if (!(x))           \
			return;     \
	} while (0)

#define NPAGES(o) ((pfn_t)1 << (o))

struct live {
	pfn_t pfn;
	unsigned order;
};

static struct model {
	uint8_t *managed; /* frame handed to the zone under test */
	uint8_t *used;    /* frame inside a live allocation */
	uint8_t *lhead;   /* frame is the head of a live allocation */
	uint8_t *seen;    /* checker scratch: frame covered by a listed free block */
	uint8_t *fhead;   /* checker scratch: order + 1 of the listed free block starting here */
	uint64_t nr_managed;
	struct live *live;
	size_t nr_live, cap_live;
} m;

/* A fresh world of nr frames: zeroed mem_map (every page in zone 0) and an empty model. */
static void world(pfn_t nr)
{
	free(mem_map);
	free(m.managed);
	free(m.used);
	free(m.lhead);
	free(m.seen);
	free(m.fhead);
	free(m.live);
	mem_map = calloc(nr, sizeof(struct page));
	max_pfn = nr;
	m = (struct model){ 0 };
	m.managed = calloc(nr, 1);
	m.used = calloc(nr, 1);
	m.lhead = calloc(nr, 1);
	m.seen = calloc(nr, 1);
	m.fhead = calloc(nr, 1);
	m.cap_live = 64;
	m.live = malloc(m.cap_live * sizeof(*m.live));
}

static void set_zone_ids(pfn_t start, pfn_t end, enum zone_id id)
{
	for (pfn_t p = start; p < end; p++)
		mem_map[p].zone = (uint8_t)id;
}

/* What the kernel does with frames that are not RAM it hands out. */
static void reserve(pfn_t start, pfn_t end)
{
	for (pfn_t p = start; p < end; p++)
		mem_map[p].flags = PG_RESERVED;
}

static pfn_t zone_limit(const struct zone *z)
{
	return z->end_pfn < max_pfn ? z->end_pfn : max_pfn;
}

/* zone_add_free_range plus the model: the part inside the zone and mem_map becomes managed. */
static void add_range(struct zone *z, pfn_t start, pfn_t end)
{
	zone_add_free_range(z, start, end);
	for (pfn_t p = start < z->start_pfn ? z->start_pfn : start; p < end && p < zone_limit(z); p++) {
		if (!m.managed[p])
			m.nr_managed++;
		m.managed[p] = 1;
	}
}

/* Checks every structural invariant of the zone against the model. */
static bool check_zone(const struct zone *z)
{
	pfn_t lim = zone_limit(z);
	uint64_t total = 0, nused = 0, nfree = 0;

	memset(m.seen, 0, max_pfn);
	memset(m.fhead, 0, max_pfn);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		uint64_t n = 0;
		const struct page *prev = NULL;

		for (const struct page *p = z->free_area[o].head; p; prev = p, p = p->next) {
			pfn_t pfn;

			if (p < mem_map || p >= mem_map + max_pfn) {
				unit_fail(__FILE__, __LINE__, "order %u: list entry outside mem_map", o);
				return false;
			}
			pfn = page_to_pfn(p);
			if (++n > z->free_area[o].count || p->prev != prev) {
				unit_fail(__FILE__, __LINE__, "order %u: list broken at pfn %llu (entry %llu)",
					  o, (unsigned long long)pfn, (unsigned long long)n);
				return false;
			}
			if (p->flags != PG_BUDDY || p->order != o || p->zone != z->id) {
				unit_fail(__FILE__, __LINE__, "pfn %llu on order-%u list: flags %#x order %u zone %u",
					  (unsigned long long)pfn, o, p->flags, p->order, p->zone);
				return false;
			}
			if ((pfn & (NPAGES(o) - 1)) || pfn < z->start_pfn || pfn + NPAGES(o) > lim) {
				unit_fail(__FILE__, __LINE__, "free block %llu order %u misaligned or outside zone",
					  (unsigned long long)pfn, o);
				return false;
			}
			for (pfn_t q = pfn; q < pfn + NPAGES(o); q++) {
				if (!m.managed[q] || m.used[q] || m.seen[q]) {
					unit_fail(__FILE__, __LINE__,
						  "free block %llu order %u: frame %llu %s", (unsigned long long)pfn, o,
						  (unsigned long long)q,
						  !m.managed[q] ? "was never given" : m.used[q] ? "is allocated" : "is free twice");
					return false;
				}
				m.seen[q] = 1;
			}
			m.fhead[pfn] = (uint8_t)(o + 1);
		}
		if (n != z->free_area[o].count) {
			unit_fail(__FILE__, __LINE__, "order %u: %llu blocks listed, count says %llu", o,
				  (unsigned long long)n, (unsigned long long)z->free_area[o].count);
			return false;
		}
		total += n << o;
	}
	if (total != z->free_pages) {
		unit_fail(__FILE__, __LINE__, "free lists hold %llu pages, free_pages %llu",
			  (unsigned long long)total, (unsigned long long)z->free_pages);
		return false;
	}
	for (pfn_t p = z->start_pfn; p < lim; p++) {
		unsigned o = m.fhead[p] ? m.fhead[p] - 1u : 0;

		nused += m.used[p];
		nfree += m.seen[p];
		if (m.managed[p] && !m.used[p] && !m.seen[p]) {
			unit_fail(__FILE__, __LINE__, "frame %llu lost: neither free nor allocated",
				  (unsigned long long)p);
			return false;
		}
		/* Allocator flags only on heads; PG_HEAD exactly on live allocations. */
		if (mem_map[p].zone == z->id &&
		    (((mem_map[p].flags & PG_BUDDY) != 0) != (m.fhead[p] != 0) ||
		     ((mem_map[p].flags & PG_HEAD) != 0) != (m.lhead[p] != 0))) {
			unit_fail(__FILE__, __LINE__, "frame %llu: flags %#x, free head %d, live head %d",
				  (unsigned long long)p, mem_map[p].flags, m.fhead[p] != 0, m.lhead[p] != 0);
			return false;
		}
		/* Fully merged: never two free buddies that could have become one block. */
		if (m.fhead[p] && o < MAX_ORDER - 1) {
			pfn_t b = p ^ NPAGES(o);
			if (b >= z->start_pfn && b < lim && m.fhead[b] == o + 1 && mem_map[b].zone == z->id) {
				unit_fail(__FILE__, __LINE__, "free buddies %llu and %llu of order %u not merged",
					  (unsigned long long)p, (unsigned long long)b, o);
				return false;
			}
		}
	}
	if (nfree != z->free_pages || nused + nfree != m.nr_managed || z->managed_pages != m.nr_managed) {
		unit_fail(__FILE__, __LINE__, "counts: free %llu/%llu, used %llu, managed %llu/%llu",
			  (unsigned long long)nfree, (unsigned long long)z->free_pages,
			  (unsigned long long)nused, (unsigned long long)z->managed_pages,
			  (unsigned long long)m.nr_managed);
		return false;
	}
	for (size_t i = 0; i < m.nr_live; i++) {
		const struct page *h = pfn_to_page(m.live[i].pfn);
		if (h->flags != PG_HEAD || h->order != m.live[i].order || h->zone != z->id) {
			unit_fail(__FILE__, __LINE__, "live block %llu: flags %#x order %u",
				  (unsigned long long)m.live[i].pfn, h->flags, h->order);
			return false;
		}
	}
	return true;
}

/* Whether the model has an aligned block of 2^order managed, unallocated frames. */
static bool model_has_free_block(const struct zone *z, unsigned order)
{
	pfn_t lim = zone_limit(z);
	pfn_t a = (z->start_pfn + NPAGES(order) - 1) & ~(NPAGES(order) - 1);

	for (; a + NPAGES(order) <= lim; a += NPAGES(order)) {
		pfn_t q = a;
		while (q < a + NPAGES(order) && m.managed[q] && !m.used[q])
			q++;
		if (q == a + NPAGES(order))
			return true;
	}
	return false;
}

/* zone_alloc, checked against the model; *out gets the page or NULL. */
static bool do_alloc(struct zone *z, unsigned order, struct page **out)
{
	struct page *p = zone_alloc(z, order);
	pfn_t pfn;

	*out = p;
	if (!p) {
		if (order < MAX_ORDER && model_has_free_block(z, order)) {
			unit_fail(__FILE__, __LINE__, "order %u: NULL although a free block exists", order);
			return false;
		}
		return true;
	}
	if (order >= MAX_ORDER || p < mem_map || p >= mem_map + max_pfn) {
		unit_fail(__FILE__, __LINE__, "order %u: bogus page returned", order);
		return false;
	}
	pfn = page_to_pfn(p);
	if ((pfn & (NPAGES(order) - 1)) || pfn < z->start_pfn || pfn + NPAGES(order) > zone_limit(z)) {
		unit_fail(__FILE__, __LINE__, "order %u: block %llu misaligned or outside zone", order,
			  (unsigned long long)pfn);
		return false;
	}
	for (pfn_t q = pfn; q < pfn + NPAGES(order); q++) {
		if (!m.managed[q] || m.used[q]) {
			unit_fail(__FILE__, __LINE__, "order %u: block %llu covers frame %llu, which is %s",
				  order, (unsigned long long)pfn, (unsigned long long)q,
				  m.used[q] ? "already allocated" : "not managed");
			return false;
		}
		m.used[q] = 1;
	}
	m.lhead[pfn] = 1;
	if (m.nr_live == m.cap_live) {
		m.cap_live *= 2;
		m.live = realloc(m.live, m.cap_live * sizeof(*m.live));
	}
	m.live[m.nr_live++] = (struct live){ pfn, order };
	return true;
}

/* Frees live block i through zone_free and drops it from the model. */
static bool do_free(struct zone *z, size_t i)
{
	struct live l = m.live[i];
	uint64_t bad = z->bad_frees;

	m.live[i] = m.live[--m.nr_live];
	for (pfn_t q = l.pfn; q < l.pfn + NPAGES(l.order); q++)
		m.used[q] = 0;
	m.lhead[l.pfn] = 0;
	zone_free(z, pfn_to_page(l.pfn), l.order);
	if (z->bad_frees != bad) {
		unit_fail(__FILE__, __LINE__, "valid free of %llu order %u refused",
			  (unsigned long long)l.pfn, l.order);
		return false;
	}
	return true;
}

static bool free_all(struct zone *z)
{
	while (m.nr_live)
		if (!do_free(z, m.nr_live - 1))
			return false;
	return true;
}

/*
 * The free lists hold exactly the fully merged layout of the managed frames: each contiguous
 * run split into the largest aligned blocks (what zone_add_free_range gives a fresh zone).
 * Uses fhead from the check_zone call this runs after.
 */
static bool check_merged(const struct zone *z)
{
	uint64_t want[MAX_ORDER] = { 0 };
	pfn_t lim = zone_limit(z), p = z->start_pfn;

	if (!check_zone(z))
		return false;
	while (p < lim) {
		pfn_t end = p;
		if (!m.managed[p]) {
			p++;
			continue;
		}
		while (end < lim && m.managed[end])
			end++;
		while (p < end) {
			unsigned o = MAX_ORDER - 1;
			while ((p & (NPAGES(o) - 1)) || p + NPAGES(o) > end)
				o--;
			if (m.fhead[p] != o + 1) {
				unit_fail(__FILE__, __LINE__, "expected free block %llu of order %u, found order %d",
					  (unsigned long long)p, o, m.fhead[p] - 1);
				return false;
			}
			want[o]++;
			p += NPAGES(o);
		}
	}
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		if (z->free_area[o].count != want[o]) {
			unit_fail(__FILE__, __LINE__, "order %u: %llu free blocks, expected %llu", o,
				  (unsigned long long)z->free_area[o].count, (unsigned long long)want[o]);
			return false;
		}
	}
	return true;
}

/* Checks the free lists hold exactly these (pfn, order) blocks, nothing else. */
static bool check_blocks(const struct zone *z, const pfn_t (*b)[2], size_t n)
{
	uint64_t listed = 0;

	if (!check_zone(z))
		return false;
	for (unsigned o = 0; o < MAX_ORDER; o++)
		listed += z->free_area[o].count;
	for (size_t i = 0; i < n; i++) {
		if (m.fhead[b[i][0]] != b[i][1] + 1) {
			unit_fail(__FILE__, __LINE__, "expected free block %llu of order %llu, found order %d",
				  (unsigned long long)b[i][0], (unsigned long long)b[i][1], m.fhead[b[i][0]] - 1);
			return false;
		}
	}
	if (listed != n) {
		unit_fail(__FILE__, __LINE__, "%llu free blocks listed, expected %zu", (unsigned long long)listed, n);
		return false;
	}
	return true;
}

/* ---- snapshots: a refused call must leave every byte of state as it was ---- */

static struct snap {
	struct zone z;
	struct page *map;
} snap;

static void snap_take(const struct zone *z)
{
	free(snap.map);
	snap.z = *z;
	snap.map = malloc(max_pfn * sizeof(struct page));
	memcpy(snap.map, mem_map, max_pfn * sizeof(struct page));
}

static bool snap_same(const struct zone *z, uint64_t more_bad)
{
	bool same = z->name == snap.z.name && z->id == snap.z.id && z->start_pfn == snap.z.start_pfn &&
		    z->end_pfn == snap.z.end_pfn && z->managed_pages == snap.z.managed_pages &&
		    z->free_pages == snap.z.free_pages;

	for (unsigned o = 0; o < MAX_ORDER; o++)
		same = same && z->free_area[o].head == snap.z.free_area[o].head &&
		       z->free_area[o].count == snap.z.free_area[o].count;
	if (!same) {
		unit_fail(__FILE__, __LINE__, "zone changed");
		return false;
	}
	if (z->bad_frees != snap.z.bad_frees + more_bad) {
		unit_fail(__FILE__, __LINE__, "bad_frees %llu, expected %llu", (unsigned long long)z->bad_frees,
			  (unsigned long long)(snap.z.bad_frees + more_bad));
		return false;
	}
	if (memcmp(snap.map, mem_map, max_pfn * sizeof(struct page)) != 0) {
		unit_fail(__FILE__, __LINE__, "mem_map changed");
		return false;
	}
	return true;
}

/* A refused zone_free: bad_frees goes up by one and nothing else moves. */
static bool refused(struct zone *z, struct page *p, unsigned order)
{
	snap_take(z);
	zone_free(z, p, order);
	return snap_same(z, 1);
}

/* ---- the random test ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t x = (rng += 0x9e3779b97f4a7c15ull);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct layout {
	pfn_t nr, zstart, zend;
	size_t nranges;
	pfn_t ranges[3][2];
};

/* Thousands of random allocations and frees, every one checked, then everything freed. */
static bool random_run(const struct layout *l, uint64_t seed, int ops)
{
	struct zone z;
	pfn_t prev_end = l->zstart;

	rng = seed;
	world(l->nr);
	zone_init(&z, ZONE_DMA, "test", l->zstart, l->zend);
	for (size_t i = 0; i < l->nranges; i++) {
		reserve(prev_end, l->ranges[i][0]); /* holes, as the kernel marks them */
		add_range(&z, l->ranges[i][0], l->ranges[i][1]);
		prev_end = l->ranges[i][1];
		if (!check_merged(&z))
			return false;
	}
	for (int i = 0; i < ops; i++) {
		uint64_t r = rnd();
		struct page *p;

		if (m.nr_live == 0 || r % 100 < 55) {
			if (!do_alloc(&z, (unsigned)(r >> 8) % 11, &p))
				return false;
		} else {
			size_t k = (size_t)((r >> 8) % m.nr_live);
			struct live victim = m.live[k];

			if (!do_free(&z, k))
				return false;
			/* Now and then free it again: refused, nothing moves. */
			if ((r >> 40) % 16 == 0 && !refused(&z, pfn_to_page(victim.pfn), victim.order))
				return false;
		}
		if (!check_zone(&z))
			return false;
	}
	if (!free_all(&z) || !check_merged(&z))
		return false;
	if (z.free_pages != z.managed_pages || z.managed_pages != m.nr_managed) {
		unit_fail(__FILE__, __LINE__, "after freeing all: free %llu, managed %llu",
			  (unsigned long long)z.free_pages, (unsigned long long)z.managed_pages);
		return false;
	}
	return true;
}

static const uint64_t seeds[] = { 1, 0xfe771e, 0xdeadbeefcafeull, 42424242 };

TEST(random_aligned_zone)
{
	static const struct layout l = { 4096, 0, 4096, 1, { { 0, 4096 } } };
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		REQUIRE(random_run(&l, seeds[i], 3000));
}

TEST(random_odd_zone)
{
	static const struct layout l = { 5000, 5, 4999, 1, { { 7, 4990 } } };
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		REQUIRE(random_run(&l, seeds[i], 3000));
}

TEST(random_zone_with_holes)
{
	static const struct layout l = { 6000, 1000, 6000, 3,
					 { { 1003, 2500 }, { 2600, 4097 }, { 4098, 5997 } } };
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		REQUIRE(random_run(&l, seeds[i], 3000));
}

/* ---- fixed cases ---- */

TEST(init_empty)
{
	struct zone z;
	struct page *p;

	world(64);
	zone_init(&z, ZONE_DMA32, "DMA32", 16, 48);
	CHECK_STR(z.name, "DMA32");
	CHECK_INT(z.id, ZONE_DMA32);
	CHECK_INT(z.start_pfn, 16);
	CHECK_INT(z.end_pfn, 48);
	CHECK_INT(z.managed_pages, 0);
	CHECK_INT(z.free_pages, 0);
	CHECK_INT(z.bad_frees, 0);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		CHECK(z.free_area[o].head == NULL);
		CHECK_INT(z.free_area[o].count, 0);
	}
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		REQUIRE(do_alloc(&z, o, &p));
		CHECK(p == NULL);
	}
	REQUIRE(check_zone(&z));
}

TEST(split_puts_upper_halves_on_lower_lists)
{
	struct zone z;
	struct page *p;
	const pfn_t halves[][2] = { { 1, 0 }, { 2, 1 }, { 4, 2 }, { 8, 3 }, { 16, 4 }, { 32, 5 },
				    { 64, 6 }, { 128, 7 }, { 256, 8 }, { 512, 9 } };
	const pfn_t whole[][2] = { { 0, 10 } };

	world(1024);
	zone_init(&z, ZONE_DMA, "DMA", 0, 1024);
	add_range(&z, 0, 1024);
	REQUIRE(check_blocks(&z, whole, 1));
	REQUIRE(do_alloc(&z, 0, &p));
	CHECK(p == &mem_map[0]);
	CHECK_INT(p->flags, PG_HEAD);
	CHECK_INT(p->order, 0);
	CHECK_INT(z.free_pages, 1023);
	REQUIRE(check_blocks(&z, halves, 10));
	REQUIRE(free_all(&z));
	REQUIRE(check_blocks(&z, whole, 1));
	CHECK_INT(z.free_pages, 1024);
}

TEST(largest_blocks_stop_at_max_order)
{
	struct zone z;
	const pfn_t b[][2] = { { 0, 10 }, { 1024, 10 }, { 2048, 10 }, { 3072, 10 } };

	world(4096);
	zone_init(&z, ZONE_DMA, "DMA", 0, 4096);
	add_range(&z, 0, 4096);
	REQUIRE(check_blocks(&z, b, 4));
	CHECK_INT(z.managed_pages, 4096);
	CHECK_INT(z.free_pages, 4096);
}

/* Every order: allocate until NULL, check the count, drain the rest, free it all. */
TEST(exhaustion_each_order)
{
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		struct zone z;
		struct page *p;
		uint64_t n = 0, want = 0;

		world(3000);
		zone_init(&z, ZONE_DMA, "DMA", 1, 2999);
		add_range(&z, 1, 2999);
		for (pfn_t a = NPAGES(o); a + NPAGES(o) <= 2999; a += NPAGES(o))
			want++;
		for (;;) {
			REQUIRE(do_alloc(&z, o, &p));
			if (!p)
				break;
			n++;
		}
		CHECK_INT(n, want);
		CHECK_INT(z.free_pages, 2998 - want * NPAGES(o));
		REQUIRE(check_zone(&z));
		REQUIRE(do_alloc(&z, o, &p)); /* again: still NULL, nothing changed */
		CHECK(p == NULL);
		for (unsigned k = o; k < MAX_ORDER; k++) {
			REQUIRE(do_alloc(&z, k, &p));
			CHECK(p == NULL);
		}
		REQUIRE(check_zone(&z));
		/* What is left is smaller pieces; take them all. */
		for (unsigned k = o; k-- > 0;) {
			do
				REQUIRE(do_alloc(&z, k, &p));
			while (p);
		}
		CHECK_INT(z.free_pages, 0);
		REQUIRE(check_zone(&z));
		REQUIRE(free_all(&z));
		REQUIRE(check_merged(&z));
		CHECK_INT(z.free_pages, 2998);
		CHECK_INT(z.bad_frees, 0);
	}
}

TEST(unaligned_range_ends)
{
	struct zone z;
	const pfn_t b[][2] = { { 3, 0 }, { 4, 2 }, { 8, 3 }, { 16, 2 }, { 20, 0 } };

	world(64);
	zone_init(&z, ZONE_DMA, "DMA", 0, 64);
	add_range(&z, 3, 21);
	REQUIRE(check_blocks(&z, b, 5));
	CHECK_INT(z.managed_pages, 18);
	CHECK_INT(z.free_pages, 18);
}

TEST(adjacent_ranges_merge)
{
	struct zone z;
	const pfn_t one[][2] = { { 0, 3 } };

	world(16);
	zone_init(&z, ZONE_DMA, "DMA", 0, 16);
	add_range(&z, 0, 3);
	add_range(&z, 3, 8);
	REQUIRE(check_blocks(&z, one, 1));

	world(16);
	zone_init(&z, ZONE_DMA, "DMA", 0, 16);
	add_range(&z, 5, 8);
	add_range(&z, 1, 5);
	add_range(&z, 0, 1);
	REQUIRE(check_blocks(&z, one, 1));
	CHECK_INT(z.managed_pages, 8);
}

/* Two ranges with a hole between: the hole is never handed out and nothing merges over it. */
TEST(hole_between_ranges)
{
	struct zone z;
	struct page *p;
	const pfn_t b[][2] = { { 0, 4 }, { 16, 3 }, { 24, 2 }, { 28, 1 },
			       { 34, 1 }, { 36, 2 }, { 40, 3 }, { 48, 4 } };

	world(64);
	reserve(30, 34);
	zone_init(&z, ZONE_DMA, "DMA", 0, 64);
	add_range(&z, 0, 30);
	add_range(&z, 34, 64);
	REQUIRE(check_blocks(&z, b, 8));
	for (int i = 0; i < 60; i++) {
		REQUIRE(do_alloc(&z, 0, &p));
		CHECK(p != NULL);
		CHECK(page_to_pfn(p) < 30 || page_to_pfn(p) >= 34);
	}
	REQUIRE(do_alloc(&z, 0, &p));
	CHECK(p == NULL);
	for (pfn_t q = 30; q < 34; q++)
		CHECK_INT(mem_map[q].flags, PG_RESERVED);
	REQUIRE(refused(&z, &mem_map[31], 0)); /* a hole page was never allocated */
	REQUIRE(free_all(&z));
	REQUIRE(check_blocks(&z, b, 8));

	/* Two free order-2 blocks whose order-3 parent is half hole: no order-3 block. */
	world(16);
	zone_init(&z, ZONE_DMA, "DMA", 0, 16);
	add_range(&z, 0, 4);
	add_range(&z, 8, 12);
	REQUIRE(do_alloc(&z, 3, &p));
	CHECK(p == NULL);
	REQUIRE(do_alloc(&z, 2, &p));
	REQUIRE(do_alloc(&z, 2, &p));
	REQUIRE(do_alloc(&z, 2, &p));
	CHECK(p == NULL);
	REQUIRE(free_all(&z));
	REQUIRE(check_merged(&z));
	CHECK_INT(z.free_area[2].count, 2);
}

TEST(zone_at_nonzero_pfn)
{
	struct zone z;
	struct page *p;
	const pfn_t b[][2] = { { 1000, 3 }, { 1008, 4 }, { 1024, 10 }, { 2048, 9 }, { 2560, 8 },
			       { 2816, 7 }, { 2944, 5 }, { 2976, 4 }, { 2992, 3 } };

	world(3000);
	reserve(0, 1000);
	zone_init(&z, ZONE_DMA, "DMA", 1000, 3000);
	add_range(&z, 1000, 3000);
	REQUIRE(check_blocks(&z, b, 9));
	REQUIRE(do_alloc(&z, 10, &p));
	CHECK(p == &mem_map[1024]);
	REQUIRE(do_alloc(&z, 10, &p));
	CHECK(p == NULL);
	/* Frames below the zone keep their state, whatever is allocated. */
	for (;;) {
		REQUIRE(do_alloc(&z, 0, &p));
		if (!p)
			break;
		CHECK(page_to_pfn(p) >= 1000);
	}
	CHECK_INT(z.free_pages, 0);
	for (pfn_t q = 0; q < 1000; q++)
		CHECK_INT(mem_map[q].flags, PG_RESERVED);
	REQUIRE(free_all(&z));
	REQUIRE(check_blocks(&z, b, 9));
}

TEST(single_page_range)
{
	struct zone z;
	struct page *p;
	const pfn_t b[][2] = { { 37, 0 } };
	const pfn_t b0[][2] = { { 0, 0 } };

	world(100);
	zone_init(&z, ZONE_DMA, "DMA", 0, 100);
	add_range(&z, 37, 38);
	REQUIRE(check_blocks(&z, b, 1));
	REQUIRE(do_alloc(&z, 1, &p));
	CHECK(p == NULL);
	REQUIRE(do_alloc(&z, 0, &p));
	CHECK(p == &mem_map[37]);
	REQUIRE(do_alloc(&z, 0, &p));
	CHECK(p == NULL);
	REQUIRE(check_zone(&z));
	REQUIRE(free_all(&z));
	REQUIRE(check_blocks(&z, b, 1));

	world(100);
	zone_init(&z, ZONE_DMA, "DMA", 0, 100);
	add_range(&z, 0, 1);
	REQUIRE(check_blocks(&z, b0, 1));
	REQUIRE(do_alloc(&z, 0, &p));
	CHECK(p == &mem_map[0]);
	REQUIRE(free_all(&z));
	REQUIRE(check_blocks(&z, b0, 1));

	/* An empty range adds nothing. */
	add_range(&z, 50, 50);
	add_range(&z, 60, 55);
	REQUIRE(check_blocks(&z, b0, 1));
	CHECK_INT(z.managed_pages, 1);
}

/* Ranges are clipped to the zone and to mem_map. */
TEST(range_clipped_to_zone_and_mem_map)
{
	struct zone z;
	const pfn_t b[][2] = { { 8, 3 }, { 16, 2 } };
	const pfn_t c[][2] = { { 0, 4 }, { 16, 3 }, { 24, 1 } };

	world(64);
	zone_init(&z, ZONE_DMA, "DMA", 8, 20);
	add_range(&z, 0, 64);
	REQUIRE(check_blocks(&z, b, 2));
	CHECK_INT(z.managed_pages, 12);
	for (pfn_t q = 0; q < 64; q++)
		if (q < 8 || q >= 20)
			CHECK_INT(mem_map[q].flags, 0);

	world(26);
	zone_init(&z, ZONE_DMA, "DMA", 0, 1024); /* the zone reaches past mem_map */
	add_range(&z, 0, 1024);
	REQUIRE(check_blocks(&z, c, 3));
	CHECK_INT(z.managed_pages, 26);
	/* The first frame past mem_map is refused, never touched. */
	REQUIRE(refused(&z, &mem_map[26], 0));
}

/* Blocks never merge with a buddy in another zone, neighbouring or overlapping. */
TEST(zones_never_merge)
{
	struct zone a, b;
	const pfn_t ba[][2] = { { 0, 2 }, { 4, 1 } };
	const pfn_t bb[][2] = { { 6, 1 }, { 8, 3 } };
	const pfn_t oa[][2] = { { 0, 3 } };
	const pfn_t ob[][2] = { { 8, 3 } };

	world(16);
	set_zone_ids(6, 16, ZONE_DMA32);
	zone_init(&a, ZONE_DMA, "DMA", 0, 6);
	zone_init(&b, ZONE_DMA32, "DMA32", 6, 16);
	zone_add_free_range(&a, 0, 6);
	zone_add_free_range(&b, 6, 16);
	for (pfn_t q = 0; q < 6; q++)
		m.managed[q] = 1;
	m.nr_managed = 6;
	REQUIRE(check_blocks(&a, ba, 2));
	for (pfn_t q = 6; q < 16; q++)
		m.managed[q] = 1;
	m.nr_managed = 10;
	REQUIRE(check_blocks(&b, bb, 2));
	/* Freeing into a, next to b's free order-1 block at 6. */
	{
		struct page *p = zone_alloc(&a, 1);
		CHECK(p == &mem_map[4]);
		zone_free(&a, p, 1);
		CHECK_INT(a.bad_frees, 0);
		CHECK(a.free_area[1].head == &mem_map[4]);
		CHECK(b.free_area[1].head == &mem_map[6]);
		/* And a page of one zone given to the other is refused. */
		p = zone_alloc(&b, 1);
		CHECK(p == &mem_map[6]);
		REQUIRE(refused(&a, p, 1));
		zone_free(&b, p, 1);
		CHECK_INT(b.bad_frees, 0);
	}

	/* Overlapping spans: both zones cover [0,16); the zone id alone keeps them apart. */
	world(16);
	set_zone_ids(8, 16, ZONE_DMA32);
	zone_init(&a, ZONE_DMA, "DMA", 0, 16);
	zone_init(&b, ZONE_DMA32, "DMA32", 0, 16);
	zone_add_free_range(&b, 8, 16);
	add_range(&a, 0, 8);
	REQUIRE(check_blocks(&a, oa, 1));
	{
		struct page *p;
		REQUIRE(do_alloc(&a, 0, &p));
		REQUIRE(free_all(&a));
		REQUIRE(check_blocks(&a, oa, 1));
		/* b's block at 8 is a free order-3 buddy of a's block at 0, but not a's. */
		CHECK_INT(a.free_area[4].count, 0);
		CHECK(b.free_area[3].head == &mem_map[8]);
		CHECK_INT(b.free_pages, 8);
	}
	for (pfn_t q = 0; q < 8; q++)
		m.managed[q] = 0;
	for (pfn_t q = 8; q < 16; q++)
		m.managed[q] = 1;
	m.nr_managed = 8;
	REQUIRE(check_blocks(&b, ob, 1));
}

TEST(order_too_large)
{
	struct zone z;
	const unsigned orders[] = { MAX_ORDER, MAX_ORDER + 1, 64, 255, 256, UINT_MAX };

	world(4096);
	zone_init(&z, ZONE_DMA, "DMA", 0, 4096);
	add_range(&z, 0, 4096);
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snap_take(&z);
		CHECK(zone_alloc(&z, orders[i]) == NULL);
		REQUIRE(snap_same(&z, 0));
	}
	CHECK(zone_alloc(&z, MAX_ORDER - 1) != NULL); /* the largest order still works */
}

/* Misuse of zone_free: refused, counted, every byte of state unchanged. */
TEST(bad_frees_refused)
{
	struct zone z;
	struct page *a, *b, *c, *d, *e, *f, *p;
	struct page fake = { .flags = PG_HEAD, .order = 0, .zone = ZONE_DMA };
	uint64_t nbad = 0;

	world(128);
	zone_init(&z, ZONE_DMA, "DMA", 0, 60);
	add_range(&z, 0, 60);
	REQUIRE(do_alloc(&z, 0, &a));
	REQUIRE(do_alloc(&z, 0, &b));
	REQUIRE(do_alloc(&z, 2, &c));
	REQUIRE(do_alloc(&z, 3, &d));
	CHECK(a && b && c && d);
	CHECK_INT(page_to_pfn(a) ^ 1, page_to_pfn(b)); /* buddies: freeing both merges them */
	REQUIRE(check_zone(&z));

	/* NULL, pointers outside mem_map or not at a struct page. */
	REQUIRE(refused(&z, NULL, 0));
	REQUIRE(refused(&z, &fake, 0));
	REQUIRE(refused(&z, (struct page *)((char *)c + 8), 0));
	REQUIRE(refused(&z, (struct page *)((uintptr_t)mem_map - sizeof(struct page)), 0));
	nbad += 4;

	/* Orders too large or not the allocated one; tail pages. */
	REQUIRE(refused(&z, c, MAX_ORDER));
	REQUIRE(refused(&z, c, 200));
	REQUIRE(refused(&z, c, UINT_MAX));
	REQUIRE(refused(&z, c, 1));
	REQUIRE(refused(&z, c, 3));
	REQUIRE(refused(&z, d + 1, 0));
	REQUIRE(refused(&z, d + 4, 2));
	nbad += 7;

	/* Double frees: while the block is a free head, and after it merged into a bigger one. */
	for (size_t i = 0; i < m.nr_live; i++)
		if (m.live[i].pfn == page_to_pfn(a))
			REQUIRE(do_free(&z, i));
	REQUIRE(check_zone(&z));
	CHECK(a->flags & PG_BUDDY);
	REQUIRE(refused(&z, a, 0));
	for (size_t i = 0; i < m.nr_live; i++)
		if (m.live[i].pfn == page_to_pfn(b))
			REQUIRE(do_free(&z, i));
	REQUIRE(check_zone(&z));
	CHECK(!(a->flags & PG_BUDDY) || !(b->flags & PG_BUDDY)); /* one is now a tail */
	REQUIRE(refused(&z, a, 0));
	REQUIRE(refused(&z, b, 0));
	nbad += 3;

	/* Pages outside the zone, even dressed up as allocated heads. */
	mem_map[100] = (struct page){ .flags = PG_HEAD, .order = 0, .zone = ZONE_DMA };
	REQUIRE(refused(&z, &mem_map[100], 0));
	REQUIRE(refused(&z, &mem_map[127], 0));
	REQUIRE(refused(&z, &mem_map[128], 0)); /* one past mem_map */
	nbad += 3;

	/* A forged order on an allocated head at an odd frame: misaligned. */
	do
		REQUIRE(do_alloc(&z, 0, &e));
	while (e && !(page_to_pfn(e) & 1));
	CHECK(e != NULL);
	e->order = 1;
	REQUIRE(refused(&z, e, 1));
	e->order = 0;
	nbad++;

	CHECK_INT(z.bad_frees, nbad);
	REQUIRE(check_zone(&z));
	REQUIRE(free_all(&z));
	REQUIRE(check_merged(&z));
	CHECK_INT(z.free_pages, 60);
	CHECK_INT(z.bad_frees, nbad);

	/* A forged order whose block would run past the zone's end. */
	world(16);
	zone_init(&z, ZONE_DMA, "DMA", 0, 12);
	add_range(&z, 0, 12);
	REQUIRE(do_alloc(&z, 3, &f));
	REQUIRE(do_alloc(&z, 2, &p));
	CHECK(f == &mem_map[0] && p == &mem_map[8]);
	p->order = 3;
	REQUIRE(refused(&z, p, 3));
	p->order = 2;
	/* A page of the hole-free zone that was never handed out (past the zone). */
	mem_map[13].flags = PG_RESERVED;
	REQUIRE(refused(&z, &mem_map[13], 0));
	REQUIRE(free_all(&z));
	REQUIRE(check_merged(&z));
	CHECK_INT(z.bad_frees, 2);
}

TEST(zone_of_pfn_boundaries)
{
	CHECK_INT(ZONE_DMA_END_PFN, 4096);
	CHECK_INT(ZONE_DMA32_END_PFN, 1 << 20);
	CHECK_INT(zone_of_pfn(0), ZONE_DMA);
	CHECK_INT(zone_of_pfn(4095), ZONE_DMA);
	CHECK_INT(zone_of_pfn(4096), ZONE_DMA32);
	CHECK_INT(zone_of_pfn((1 << 20) - 1), ZONE_DMA32);
	CHECK_INT(zone_of_pfn(1 << 20), ZONE_NORMAL);
	CHECK_INT(zone_of_pfn(1ull << 40), ZONE_NORMAL);
	CHECK_INT(zone_of_pfn(~0ull), ZONE_NORMAL);
}
