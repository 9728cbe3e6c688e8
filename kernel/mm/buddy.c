/*
 * The buddy allocator inside one zone: free lists per order, splitting on allocation and
 * merging with the buddy on free. See mm/zone.h for the model.
 *
 * Page state kept here: the head of a free block has exactly PG_BUDDY, its order and list
 * links; the head of an allocated block has PG_HEAD and its order. Other pages of a block
 * carry no allocator flags, so a page with neither flag is never a valid argument to free.
 */
#include "mm/zone.h"

#define BLOCK_PAGES(order) ((pfn_t)1 << (order))

static void list_add(struct zone *z, struct page *p, unsigned order)
{
	struct free_area *fa = &z->free_area[order];

	p->prev = NULL;
	p->next = fa->head;
	if (fa->head)
		fa->head->prev = p;
	fa->head = p;
	fa->count++;
}

static void list_del(struct zone *z, struct page *p, unsigned order)
{
	struct free_area *fa = &z->free_area[order];

	if (p->prev)
		p->prev->next = p->next;
	else
		fa->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	fa->count--;
}

/* Whether [pfn, pfn + 2^order) lies inside both the zone and mem_map. */
static bool block_in_zone(const struct zone *z, pfn_t pfn, unsigned order)
{
	pfn_t end = z->end_pfn < max_pfn ? z->end_pfn : max_pfn;

	return pfn >= z->start_pfn && pfn < end && BLOCK_PAGES(order) <= end - pfn;
}

/* Whether the block at pfn is a free block of exactly this order on this zone's lists. */
static bool is_free_buddy(const struct zone *z, pfn_t pfn, unsigned order)
{
	const struct page *p;

	if (!block_in_zone(z, pfn, order))
		return false;
	p = pfn_to_page(pfn);
	return (p->flags & PG_BUDDY) && p->order == order && p->zone == z->id;
}

/*
 * Puts the block [pfn, pfn + 2^order) on the free lists, merging upwards while its buddy is
 * free and whole. The block's pages must carry no PG_BUDDY/PG_HEAD on entry.
 */
static void free_block(struct zone *z, pfn_t pfn, unsigned order)
{
	struct page *head;

	z->free_pages += BLOCK_PAGES(order);
	while (order < MAX_ORDER - 1) {
		pfn_t buddy = pfn ^ BLOCK_PAGES(order);
		struct page *b;

		if (!is_free_buddy(z, buddy, order))
			break;
		b = pfn_to_page(buddy);
		list_del(z, b, order);
		b->flags &= ~PG_BUDDY; /* now inside the merged block */
		b->order = 0;
		pfn &= ~BLOCK_PAGES(order);
		order++;
	}
	head = pfn_to_page(pfn);
	head->flags = PG_BUDDY;
	head->order = (uint8_t)order;
	head->zone = (uint8_t)z->id;
	list_add(z, head, order);
}

void zone_init(struct zone *z, enum zone_id id, const char *name, pfn_t start_pfn, pfn_t end_pfn)
{
	z->name = name;
	z->id = id;
	z->start_pfn = start_pfn;
	z->end_pfn = end_pfn > start_pfn ? end_pfn : start_pfn;
	z->managed_pages = 0;
	z->free_pages = 0;
	z->bad_frees = 0;
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		z->free_area[o].head = NULL;
		z->free_area[o].count = 0;
	}
}

void zone_add_free_range(struct zone *z, pfn_t start, pfn_t end)
{
	/* Frames outside the zone or beyond mem_map have no struct page of ours to touch. */
	if (start < z->start_pfn)
		start = z->start_pfn;
	if (end > z->end_pfn)
		end = z->end_pfn;
	if (end > max_pfn)
		end = max_pfn;

	while (start < end) {
		unsigned order = MAX_ORDER - 1;

		/* The largest block that starts aligned at `start` and stays below `end`. */
		if (start != 0 && (unsigned)__builtin_ctzll(start) < order)
			order = (unsigned)__builtin_ctzll(start);
		while (BLOCK_PAGES(order) > end - start)
			order--;
		z->managed_pages += BLOCK_PAGES(order);
		free_block(z, start, order);
		start += BLOCK_PAGES(order);
	}
}

struct page *zone_alloc(struct zone *z, unsigned order)
{
	unsigned o;
	struct page *p;
	pfn_t pfn;

	if (order >= MAX_ORDER)
		return NULL;
	for (o = order; o < MAX_ORDER && !z->free_area[o].head; o++)
		;
	if (o == MAX_ORDER)
		return NULL;

	p = z->free_area[o].head;
	list_del(z, p, o);
	pfn = page_to_pfn(p);
	/* Split down: the upper half of each split goes back one list lower. */
	while (o > order) {
		struct page *upper;

		o--;
		upper = pfn_to_page(pfn + BLOCK_PAGES(o));
		upper->flags = PG_BUDDY;
		upper->order = (uint8_t)o;
		upper->zone = (uint8_t)z->id;
		list_add(z, upper, o);
	}
	z->free_pages -= BLOCK_PAGES(order);
	p->flags = PG_HEAD;
	p->order = (uint8_t)order;
	p->zone = (uint8_t)z->id;
	return p;
}

void zone_free(struct zone *z, struct page *p, unsigned order)
{
	uintptr_t off;
	pfn_t pfn;

	/* Checked as integers: p may point anywhere, even outside mem_map. */
	off = (uintptr_t)p - (uintptr_t)mem_map;
	if (!p || (uintptr_t)p < (uintptr_t)mem_map || off % sizeof(struct page) != 0)
		goto bad;
	pfn = off / sizeof(struct page);
	if (order >= MAX_ORDER || (pfn & (BLOCK_PAGES(order) - 1)) || !block_in_zone(z, pfn, order))
		goto bad;
	/*
	 * Only the head of an allocated block of this order: that catches double frees (the
	 * head's PG_HEAD went on the first free, even when it merged into a bigger block), tail
	 * pages and order mismatches.
	 */
	if ((p->flags & (PG_HEAD | PG_BUDDY)) != PG_HEAD || p->order != order || p->zone != z->id)
		goto bad;

	p->flags = 0; /* the page leaves its owner: PG_HEAD and any owner flags go */
	p->order = 0;
	free_block(z, pfn, order);
	return;
bad:
	z->bad_frees++;
}

enum zone_id zone_of_pfn(pfn_t pfn)
{
	if (pfn < ZONE_DMA_END_PFN)
		return ZONE_DMA;
	if (pfn < ZONE_DMA32_END_PFN)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}
