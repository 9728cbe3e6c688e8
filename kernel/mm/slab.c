/*
 * The kernel heap: object caches carved from slabs of 2^order pages, and kmalloc's size classes
 * on top of them. Pure logic over struct slab_backend, so the host unit tests run it unchanged.
 *
 * A slab starts with its header (struct slab); object slots follow at a fixed stride. Every page
 * of a slab has its backend page slot pointing at the header, which is how a bare pointer leads
 * back to its slab and cache. Each cache keeps its slabs on three lists (partial, full, empty)
 * under the cache's lock, and keeps at most one empty slab; further empty slabs go back to the
 * backend at once.
 *
 * Page slot values: NULL (not ours), a page-aligned pointer (the slab header), or an odd tag for
 * kmalloc blocks too big for the slabs: LARGE_TAG | order << 4 on the first page of the block,
 * with LARGE_TAIL also set on its other pages. Slab headers are page-aligned, so never odd.
 *
 * Debug caches (SLAB_DEBUG) lay each slot out as
 *     [ left red zone | object | right red zone | struct obj_meta | padding to the stride ]
 * The red zones hold RZ_BYTE, a free object holds POISON_FREE, and the free list link lives in
 * the metadata so that a write to a freed object cannot derail the allocator.
 */
#include "mm/slab.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/zone.h"

#define SLAB_MAX_ORDER    3                /* slabs of at most 8 pages */
#define KMALLOC_MAX_ORDER (MAX_ORDER - 1)  /* the largest kmalloc: 2^10 pages = 4 MiB */
#define SLAB_MIN_ALIGN    8
#define SLAB_MAGIC        0x5ab1eca7e5ab1e00ull
#define CACHE_STATIC      (1u << 31)       /* internal: a cache that is not in the kmem_cache cache */

#define LARGE_TAG  0x1ul
#define LARGE_TAIL 0x2ul

#define RZ_SIZE     16   /* at least this many red-zone bytes on each side of a debug object */
#define RZ_BYTE     0xcc
#define POISON_FREE 0x6b
#define POISON_NEW  0xa5
#define META_ALLOC  0xa110ca7eu
#define META_FREE   0xf4eef4eeu

enum slab_list_id { LIST_PARTIAL, LIST_FULL, LIST_EMPTY };

/* At the start of every slab. */
struct slab {
	uint64_t magic;
	struct kmem_cache *cache;
	struct slab *next, *prev; /* on the cache's list `list` */
	void *freelist;           /* first free slot, NULL when none */
	uint32_t inuse;           /* slots handed out */
	uint32_t list;            /* enum slab_list_id */
};

/* Per slot of a debug cache, after the right red zone. */
struct obj_meta {
	void *next;       /* free list link while the object is free */
	uint32_t state;   /* META_ALLOC or META_FREE */
	uint32_t reserved;
	const void *alloc_site, *free_site; /* callers of the last allocation and free */
};

struct kmem_cache {
	spinlock_t lock;  /* protects the lists, the slabs on them and live */
	unsigned flags;
	char name[24];
	size_t size;      /* object size as asked (usable size) */
	size_t align;
	size_t stride;    /* distance between slots */
	size_t obj_off;   /* object within the slot (the left red zone's size) */
	size_t meta_off;  /* debug: struct obj_meta within the slot, where the right red zone ends */
	size_t first_off; /* first slot within the slab, after the header */
	unsigned order;
	uint32_t nr_objs; /* slots per slab */
	struct slab *partial, *full, *empty; /* empty holds at most one slab */
	uint64_t live;    /* objects handed out and not freed */
};

/* One report per heap operation, emitted after the cache lock is dropped. */
struct report {
	char msg[256];
	size_t len;
	const void *site;
};

#ifdef MM_DEBUG
bool slab_debug_default = true;
#else
bool slab_debug_default = false;
#endif

static struct slab_backend be;
static struct kmem_cache cache_cache; /* holds every struct kmem_cache made by kmem_cache_create */

static const uint32_t kmalloc_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
					  KMALLOC_MAX_CACHE_SIZE };
static struct kmem_cache kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)];

static uint64_t stat_slab_bytes, stat_large_bytes, stat_errors;

static void stat_add(uint64_t *s, int64_t delta)
{
	__atomic_fetch_add(s, (uint64_t)delta, __ATOMIC_RELAXED);
}

static __printf(2, 3) void rep_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	if (r->len && r->len + 2 < sizeof(r->msg)) {
		memcpy(r->msg + r->len, "; ", 3);
		r->len += 2;
	}
	if (r->len + 1 >= sizeof(r->msg))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(r->msg + r->len, sizeof(r->msg) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = MIN(r->len + (size_t)n, sizeof(r->msg) - 1);
}

static void rep_emit(struct report *r)
{
	if (!r->len)
		return;
	stat_add(&stat_errors, 1);
	if (be.report)
		be.report(r->msg, r->site);
}

/* ---- slab lists ---- */

static struct slab **list_head(struct kmem_cache *c, uint32_t id)
{
	return id == LIST_PARTIAL ? &c->partial : id == LIST_FULL ? &c->full : &c->empty;
}

static void list_add(struct kmem_cache *c, struct slab *s, uint32_t id)
{
	struct slab **head = list_head(c, id);
	s->list = id;
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void list_del(struct kmem_cache *c, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*list_head(c, s->list) = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void list_move(struct kmem_cache *c, struct slab *s, uint32_t id)
{
	list_del(c, s);
	list_add(c, s, id);
}

/* ---- slot geometry ---- */

static bool is_debug(const struct kmem_cache *c)
{
	return c->flags & SLAB_DEBUG;
}

static char *slab_first(const struct kmem_cache *c, const struct slab *s)
{
	return (char *)s + c->first_off;
}

static struct obj_meta *slot_meta(const struct kmem_cache *c, char *slot)
{
	return (struct obj_meta *)(slot + c->meta_off);
}

/* Where a free slot keeps its free list link. */
static void **free_link(const struct kmem_cache *c, char *slot)
{
	return is_debug(c) ? &slot_meta(c, slot)->next : (void **)slot;
}

static bool valid_slot(const struct kmem_cache *c, const struct slab *s, const void *slot)
{
	uintptr_t first = (uintptr_t)slab_first(c, s), p = (uintptr_t)slot;
	return p >= first && (p - first) % c->stride == 0 && (p - first) / c->stride < c->nr_objs;
}

/* Index of the first byte in [p, p+n) that is not b, or n. */
static size_t first_not(const void *p, int b, size_t n)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		if (q[i] != (uint8_t)b)
			return i;
	return n;
}

/* ---- cache setup ---- */

/* Fills in c's geometry; -EINVAL when the size or alignment cannot be served. */
static int cache_setup(struct kmem_cache *c, const char *name, size_t size, size_t align, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	if (size == 0 || size > (PAGE_SIZE << SLAB_MAX_ORDER))
		return -EINVAL;
	if (align & (align - 1) || align > PAGE_SIZE)
		return -EINVAL;
	align = MAX(align, (size_t)SLAB_MIN_ALIGN);
	if (slab_debug_default)
		flags |= SLAB_DEBUG;

	c->lock = (spinlock_t)SPINLOCK_INIT;
	c->flags = flags;
	strlcpy(c->name, name ? name : "?", sizeof(c->name));
	c->size = size;
	c->align = align;
	if (flags & SLAB_DEBUG) {
		c->obj_off = ALIGN_UP((size_t)RZ_SIZE, align);
		c->meta_off = ALIGN_UP(c->obj_off + size + RZ_SIZE, 8);
		c->stride = ALIGN_UP(c->meta_off + sizeof(struct obj_meta), align);
	} else {
		c->stride = ALIGN_UP(size, align); /* >= 8: room for the free list link */
	}
	c->first_off = ALIGN_UP(sizeof(struct slab), align);

	/*
	 * The smallest order that holds at least 8 objects or wastes at most 1/8 (header included);
	 * failing that, the order that wastes the smallest fraction.
	 */
	int best = -1;
	size_t best_waste = 0, best_bytes = 1;
	for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
		size_t bytes = PAGE_SIZE << order;
		if (bytes < c->first_off + c->stride)
			continue;
		size_t n = (bytes - c->first_off) / c->stride;
		size_t waste = bytes - n * c->stride;
		if (n >= 8 || waste * 8 <= bytes) {
			best = (int)order;
			break;
		}
		if (best < 0 || waste * best_bytes < best_waste * bytes) {
			best = (int)order;
			best_waste = waste;
			best_bytes = bytes;
		}
	}
	if (best < 0)
		return -EINVAL;
	c->order = (unsigned)best;
	c->nr_objs = (uint32_t)(((PAGE_SIZE << c->order) - c->first_off) / c->stride);
	return 0;
}

/* ---- slabs ---- */

static void set_page_slots(void *base, size_t bytes, void *val)
{
	for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
		void **slot = be.page_slot((char *)base + off);
		if (slot)
			*slot = val;
	}
}

/* A new slab with every slot free, not yet on a list. Called without the cache lock. */
static struct slab *slab_grow(struct kmem_cache *c)
{
	size_t bytes = PAGE_SIZE << c->order;
	char *base = be.alloc_pages(c->order);
	if (!base)
		return NULL;
	for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
		if (!be.page_slot(base + off)) { /* the backend cannot track it: unusable */
			set_page_slots(base, off, NULL);
			be.free_pages(base, c->order);
			return NULL;
		}
		*be.page_slot(base + off) = base;
	}

	struct slab *s = (struct slab *)base;
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cache = c;
	void *head = NULL;
	for (uint32_t i = c->nr_objs; i-- > 0;) {
		char *slot = slab_first(c, s) + (size_t)i * c->stride;
		if (is_debug(c)) {
			struct obj_meta *m = slot_meta(c, slot);
			memset(slot, RZ_BYTE, c->obj_off);
			memset(slot + c->obj_off, POISON_FREE, c->size);
			memset(slot + c->obj_off + c->size, RZ_BYTE, c->meta_off - c->obj_off - c->size);
			memset(m, 0, sizeof(*m));
			m->state = META_FREE;
		}
		*free_link(c, slot) = head;
		head = slot;
	}
	s->freelist = head;
	stat_add(&stat_slab_bytes, (int64_t)bytes);
	return s;
}

/* Gives an empty slab, already off every list, back to the backend. */
static void slab_release(struct kmem_cache *c, struct slab *s)
{
	size_t bytes = PAGE_SIZE << c->order;
	s->magic = 0;
	set_page_slots(s, bytes, NULL);
	stat_add(&stat_slab_bytes, -(int64_t)bytes);
	be.free_pages(s, c->order);
}

/* Checks (and repairs) a debug slot's red zones; describes damage into r. */
static void check_redzones(struct kmem_cache *c, char *slot, struct report *r, const char *what)
{
	char *obj = slot + c->obj_off;
	const struct obj_meta *m = slot_meta(c, slot);
	size_t right = c->meta_off - c->obj_off - c->size;
	size_t bad = first_not(slot, RZ_BYTE, c->obj_off);
	if (bad < c->obj_off) {
		rep_add(r, "slab: overflow: %s %s object %p: red zone before it overwritten at -%zu "
			   "(allocated at %p)", what, c->name, obj, c->obj_off - bad, m->alloc_site);
		memset(slot, RZ_BYTE, c->obj_off);
	}
	bad = first_not(obj + c->size, RZ_BYTE, right);
	if (bad < right) {
		rep_add(r, "slab: overflow: %s %s object %p: red zone after it overwritten at +%zu "
			   "(allocated at %p)", what, c->name, obj, c->size + bad, m->alloc_site);
		memset(obj + c->size, RZ_BYTE, right);
	}
}

/* ---- allocation and free ---- */

static void *cache_alloc(struct kmem_cache *c, const void *site)
{
	struct report r = { .site = site };
	if (!be.alloc_pages)
		return NULL;

	uint64_t irq = spin_lock_irqsave(&c->lock);
	struct slab *s = c->partial;
	if (!s && c->empty) {
		s = c->empty;
		list_move(c, s, LIST_PARTIAL);
	}
	if (!s) {
		spin_unlock_irqrestore(&c->lock, irq);
		s = slab_grow(c);
		if (!s)
			return NULL;
		irq = spin_lock_irqsave(&c->lock);
		list_add(c, s, LIST_PARTIAL);
	}

	char *slot = s->freelist;
	void *next = *free_link(c, slot);
	if (next && !valid_slot(c, s, next)) {
		/* A write to a free object (or worse): drop the rest of the list, leaking its slots. */
		rep_add(&r, "slab: %s: free list corrupted in slab %p (link %p)", c->name, s, next);
		next = NULL;
		s->inuse = c->nr_objs - 1;
	}
	s->freelist = next;
	s->inuse++;
	c->live++;
	if (!next)
		list_move(c, s, LIST_FULL);

	char *obj = slot + c->obj_off;
	if (is_debug(c)) {
		struct obj_meta *m = slot_meta(c, slot);
		if (m->state != META_FREE)
			rep_add(&r, "slab: %s free object %p: metadata overwritten", c->name, obj);
		size_t bad = first_not(obj, POISON_FREE, c->size);
		if (bad < c->size)
			rep_add(&r, "slab: use after free: %s object %p modified at +%zu after it was freed at %p",
				c->name, obj, bad, m->free_site);
		check_redzones(c, slot, &r, "free");
		m->state = META_ALLOC;
		m->alloc_site = site;
		memset(obj, POISON_NEW, c->size);
	}
	spin_unlock_irqrestore(&c->lock, irq);
	rep_emit(&r);
	return obj;
}

/*
 * Frees obj, which lies in slab s. want is the cache the caller named (kmem_cache_free), or
 * NULL (kfree). Invalid frees are reported and otherwise ignored.
 */
static void cache_free(struct slab *s, struct kmem_cache *want, const void *obj, const void *site)
{
	struct report r = { .site = site };
	struct kmem_cache *c = s->cache;
	struct slab *release = NULL;

	if (want && c != want) {
		rep_add(&r, "slab: invalid free: kmem_cache_free(%s) of %p, an object of %s",
			want->name, obj, c->name);
		rep_emit(&r);
		return;
	}

	uint64_t irq = spin_lock_irqsave(&c->lock);
	uintptr_t first = (uintptr_t)slab_first(c, s), p = (uintptr_t)obj;
	uintptr_t idx = p >= first ? (p - first) / c->stride : 0;
	char *slot = slab_first(c, s) + idx * c->stride;
	if (p < first + c->obj_off || idx >= c->nr_objs || p != (uintptr_t)slot + c->obj_off) {
		if (p < first || idx >= c->nr_objs)
			rep_add(&r, "slab: invalid free of %p: in a %s slab, but not in an object", obj, c->name);
		else
			rep_add(&r, "slab: invalid free of %p: inside %s object %p, not its start", obj,
				c->name, slot + c->obj_off);
		goto out;
	}

	if (is_debug(c)) {
		struct obj_meta *m = slot_meta(c, slot);
		if (m->state == META_FREE) {
			rep_add(&r, "slab: double free of %s object %p (allocated at %p, first freed at %p)",
				c->name, obj, m->alloc_site, m->free_site);
			goto out;
		}
		if (m->state != META_ALLOC)
			rep_add(&r, "slab: %s object %p: metadata overwritten", c->name, obj);
		check_redzones(c, slot, &r, "freed");
		memset(slot + c->obj_off, POISON_FREE, c->size);
		m->state = META_FREE;
		m->free_site = site;
	} else if (s->freelist == slot || s->inuse == 0) {
		/* The cheap case of a double free: the object freed last in this slab. */
		rep_add(&r, "slab: double free of %s object %p", c->name, obj);
		goto out;
	}

	*free_link(c, slot) = s->freelist;
	s->freelist = slot;
	s->inuse--;
	c->live--;
	if (s->inuse == 0) {
		if (c->empty) {
			list_del(c, s);
			release = s;
		} else {
			list_move(c, s, LIST_EMPTY);
		}
	} else if (s->list == LIST_FULL) {
		list_move(c, s, LIST_PARTIAL);
	}
out:
	spin_unlock_irqrestore(&c->lock, irq);
	if (release)
		slab_release(c, release);
	rep_emit(&r);
}

enum owner { OWN_NONE, OWN_SLAB, OWN_LARGE, OWN_LARGE_TAIL };

/* Who owns the page holding p: a slab (*sp) or a large kmalloc block (*order). */
static enum owner lookup(const void *p, struct slab **sp, unsigned *order)
{
	if (!be.page_slot)
		return OWN_NONE;
	void **slot = be.page_slot(p);
	if (!slot || !*slot)
		return OWN_NONE;
	uintptr_t v = (uintptr_t)*slot;
	if (v & LARGE_TAG) {
		*order = (unsigned)(v >> 4);
		return v & LARGE_TAIL ? OWN_LARGE_TAIL : OWN_LARGE;
	}
	struct slab *s = *slot;
	if (v & (PAGE_SIZE - 1) || s->magic != SLAB_MAGIC)
		return OWN_NONE;
	*sp = s;
	return OWN_SLAB;
}

/* ---- kmalloc ---- */

static struct kmem_cache *kmalloc_cache(size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		if (size <= kmalloc_sizes[i])
			return &kmalloc_caches[i];
	return NULL;
}

static void *kmalloc_large(size_t size)
{
	unsigned order = 0;
	while ((PAGE_SIZE << order) < size)
		order++;
	char *p = be.alloc_pages ? be.alloc_pages(order) : NULL;
	if (!p)
		return NULL;
	size_t bytes = PAGE_SIZE << order;
	for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
		void **slot = be.page_slot(p + off);
		if (!slot) {
			set_page_slots(p, off, NULL);
			be.free_pages(p, order);
			return NULL;
		}
		*slot = (void *)(LARGE_TAG | (off ? LARGE_TAIL : 0) | (uintptr_t)order << 4);
	}
	stat_add(&stat_large_bytes, (int64_t)bytes);
	if (slab_debug_default)
		memset(p, POISON_NEW, bytes);
	return p;
}

static void *do_kmalloc(size_t size, const void *site)
{
	if (size == 0 || size > (PAGE_SIZE << KMALLOC_MAX_ORDER))
		return NULL;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return cache_alloc(kmalloc_cache(size), site);
	return kmalloc_large(size);
}

/* Usable size of p, or 0 (reported) when p is not a kmalloc block. */
static size_t do_ksize(const void *p, const void *site)
{
	struct slab *s;
	unsigned order;
	switch (lookup(p, &s, &order)) {
	case OWN_SLAB: {
		struct kmem_cache *c = s->cache;
		uintptr_t first = (uintptr_t)slab_first(c, s), q = (uintptr_t)p;
		if (q >= first + c->obj_off && valid_slot(c, s, (void *)(q - c->obj_off)))
			return c->size;
		break;
	}
	case OWN_LARGE:
		if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0)
			return PAGE_SIZE << order;
		break;
	default:
		break;
	}
	struct report r = { .site = site };
	rep_add(&r, "slab: ksize of %p: not the start of a heap block", p);
	rep_emit(&r);
	return 0;
}

/* ---- public interface ---- */

void slab_init(const struct slab_backend *backend)
{
	/* Forgets all earlier state: only the host tests call this more than once. */
	be = *backend;
	stat_slab_bytes = stat_large_bytes = stat_errors = 0;
	cache_setup(&cache_cache, "kmem_cache", sizeof(struct kmem_cache), 0, CACHE_STATIC);
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++) {
		char name[24];
		snprintf(name, sizeof(name), "kmalloc-%u", kmalloc_sizes[i]);
		/* 8-byte objects get 8-byte alignment, everything else at least 16. */
		cache_setup(&kmalloc_caches[i], name, kmalloc_sizes[i], kmalloc_sizes[i] >= 16 ? 16 : 8,
			    CACHE_STATIC);
	}
}

__attribute__((noinline)) struct kmem_cache *kmem_cache_create(const char *name, size_t size,
							      size_t align, unsigned flags)
{
	if (flags & ~SLAB_DEBUG)
		return NULL;
	struct kmem_cache *c = cache_alloc(&cache_cache, __builtin_return_address(0));
	if (!c)
		return NULL;
	if (cache_setup(c, name, size, align, flags) < 0) {
		struct slab *s;
		unsigned order;
		if (lookup(c, &s, &order) == OWN_SLAB)
			cache_free(s, &cache_cache, c, __builtin_return_address(0));
		return NULL;
	}
	return c;
}

__attribute__((noinline)) int kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c || c->flags & CACHE_STATIC)
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&c->lock);
	if (c->live || c->partial || c->full) {
		spin_unlock_irqrestore(&c->lock, irq);
		return -EBUSY;
	}
	struct slab *s = c->empty;
	c->empty = NULL;
	spin_unlock_irqrestore(&c->lock, irq);
	while (s) {
		struct slab *next = s->next;
		slab_release(c, s);
		s = next;
	}
	struct slab *cs;
	unsigned order;
	if (lookup(c, &cs, &order) == OWN_SLAB)
		cache_free(cs, &cache_cache, c, __builtin_return_address(0));
	return 0;
}

__attribute__((noinline)) void *kmem_cache_alloc(struct kmem_cache *c)
{
	return c ? cache_alloc(c, __builtin_return_address(0)) : NULL;
}

__attribute__((noinline)) void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	const void *site = __builtin_return_address(0);
	struct slab *s;
	unsigned order;
	if (!obj)
		return;
	if (lookup(obj, &s, &order) == OWN_SLAB) {
		cache_free(s, c, obj, site);
		return;
	}
	struct report r = { .site = site };
	rep_add(&r, "slab: invalid free: kmem_cache_free(%s) of %p, which is not in a slab",
		c ? c->name : "NULL", obj);
	rep_emit(&r);
}

__attribute__((noinline)) void *kmalloc(size_t size)
{
	return do_kmalloc(size, __builtin_return_address(0));
}

__attribute__((noinline)) void *kzalloc(size_t size)
{
	const void *site = __builtin_return_address(0);
	void *p = do_kmalloc(size, site);
	if (p)
		memset(p, 0, do_ksize(p, site));
	return p;
}

__attribute__((noinline)) void kfree(const void *p)
{
	const void *site = __builtin_return_address(0);
	struct slab *s;
	unsigned order;
	struct report r = { .site = site };
	if (!p)
		return;
	switch (lookup(p, &s, &order)) {
	case OWN_SLAB:
		cache_free(s, NULL, p, site);
		return;
	case OWN_LARGE:
		if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
			set_page_slots((void *)p, PAGE_SIZE << order, NULL);
			stat_add(&stat_large_bytes, -(int64_t)(PAGE_SIZE << order));
			be.free_pages((void *)p, order);
			return;
		}
		/* fallthrough */
	case OWN_LARGE_TAIL:
		rep_add(&r, "slab: invalid free of %p: inside a large kmalloc block, not its start", p);
		break;
	case OWN_NONE:
		rep_add(&r, "slab: invalid free of %p: not heap memory", p);
		break;
	}
	rep_emit(&r);
}

__attribute__((noinline)) size_t ksize(const void *p)
{
	return p ? do_ksize(p, __builtin_return_address(0)) : 0;
}

void slab_get_stats(struct slab_stats *st)
{
	st->slab_bytes = __atomic_load_n(&stat_slab_bytes, __ATOMIC_RELAXED);
	st->large_bytes = __atomic_load_n(&stat_large_bytes, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&stat_errors, __ATOMIC_RELAXED);
}
