// unit-deps: kernel/mm/slab.c kernel/lib/string.c kernel/lib/printf.c
/*
 * Host tests for kernel/mm/slab.c over a fake page backend: aligned_alloc'd blocks, a side
 * table of page slots per block, a count of pages outstanding and a log of heap reports.
 *
 * Memory accounting: a cache keeps exactly one empty slab once all its objects are freed (if it
 * ever had a slab), and kmem_cache_destroy gives that one back too. So after a warm-up that
 * touches every kmalloc class and creates and destroys one custom cache (leaving one empty slab
 * in each kmalloc cache and in the kmem_cache cache), any workload that frees everything and
 * destroys its caches must end with exactly the warm-up's pages outstanding.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"

#define PAGE 4096ul

/* ---- fake backend ---- */

struct fblock {
	char *base;
	unsigned order;
	void **slots;
};

#define MAX_BLOCKS 16384
static struct fblock blocks[MAX_BLOCKS];
static int nblocks;
static long pages_out;
static bool fail_alloc;
static int backend_errors; /* free_pages of something not handed out, or with the wrong order */

struct rep {
	char msg[256];
	const void *caller;
};
#define MAX_REPS 64
static struct rep reps[MAX_REPS];
static int nreps;

static void *fake_alloc_pages(unsigned order)
{
	size_t size = PAGE << order;
	if (fail_alloc || nblocks == MAX_BLOCKS)
		return NULL;
	char *base = aligned_alloc(size, size);
	if (!base)
		return NULL;
	for (size_t i = 0; i < size; i++) /* garbage: the slab layer must not expect zeroes */
		base[i] = (char)0x5a;
	blocks[nblocks++] = (struct fblock){ base, order, calloc((size_t)1 << order, sizeof(void *)) };
	pages_out += 1l << order;
	return base;
}

static void fake_free_pages(void *addr, unsigned order)
{
	for (int i = 0; i < nblocks; i++) {
		if (blocks[i].base != addr)
			continue;
		if (blocks[i].order != order) {
			backend_errors++;
			return;
		}
		free(blocks[i].base);
		free(blocks[i].slots);
		pages_out -= 1l << order;
		blocks[i] = blocks[--nblocks];
		return;
	}
	backend_errors++;
}

static void **fake_page_slot(const void *addr)
{
	const char *a = addr;
	for (int i = 0; i < nblocks; i++)
		if (a >= blocks[i].base && a < blocks[i].base + (PAGE << blocks[i].order))
			return &blocks[i].slots[(size_t)(a - blocks[i].base) / PAGE];
	return NULL;
}

static void fake_report(const char *msg, const void *caller)
{
	if (nreps < MAX_REPS) {
		snprintf(reps[nreps].msg, sizeof(reps[nreps].msg), "%s", msg);
		reps[nreps].caller = caller;
	}
	nreps++;
}

static const struct slab_backend fake = {
	.alloc_pages = fake_alloc_pages,
	.free_pages = fake_free_pages,
	.page_slot = fake_page_slot,
	.report = fake_report,
};

/* A fresh heap over an empty fake backend. */
static void setup(bool debug)
{
	while (nblocks) {
		nblocks--;
		free(blocks[nblocks].base);
		free(blocks[nblocks].slots);
	}
	pages_out = 0;
	fail_alloc = false;
	backend_errors = 0;
	nreps = 0;
	slab_debug_default = debug; /* left set: custom caches made later follow it too */
	slab_init(&fake);
}

static uint64_t errors(void)
{
	struct slab_stats st;
	slab_get_stats(&st);
	return st.errors;
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* The address after "<key> 0x" in a report, or 0. */
static uintptr_t addr_after(const char *msg, const char *key)
{
	const char *p = strstr(msg, key);
	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ')
		p++;
	return (uintptr_t)strtoull(p, NULL, 16);
}

/* Call sites with known addresses: a report's caller must lie inside one of these. */
#define SITE_SPAN 512
static __attribute__((noinline)) void site_free_a(void *p)
{
	kfree(p);
	__asm__ volatile("" ::: "memory"); /* no tail call: the return address stays in here */
}
static __attribute__((noinline)) void site_free_b(void *p)
{
	kfree(p);
	__asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void *site_alloc(size_t n)
{
	void *p = kmalloc(n);
	__asm__ volatile("" ::: "memory");
	return p;
}
static __attribute__((noinline)) void site_cache_free(struct kmem_cache *c, void *p)
{
	kmem_cache_free(c, p);
	__asm__ volatile("" ::: "memory");
}

static bool in_site(uintptr_t a, void *fn)
{
	uintptr_t f = (uintptr_t)fn;
	return a > f && a < f + SITE_SPAN;
}

#define CHECK_SITE(addr, fn) CHECK(in_site((uintptr_t)(addr), (void *)(fn)))

static void warm_up(void)
{
	static const size_t sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		kfree(kmalloc(sizes[i]));
	kmem_cache_destroy(kmem_cache_create("warm", 32, 0, 0));
}

/* ---- basic behaviour ---- */

TEST(size_limits)
{
	setup(false);
	CHECK(kmalloc(0) == NULL);
	CHECK(kzalloc(0) == NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	CHECK(kmalloc(SIZE_MAX - 4095) == NULL);
	CHECK(kmalloc((4ul << 20) + 1) == NULL);
	CHECK(kmalloc(1ul << 40) == NULL);
	void *p = kmalloc(4ul << 20); /* the largest: 2^10 pages */
	CHECK(p != NULL);
	CHECK_INT(ksize(p), 4ul << 20);
	kfree(p);
	CHECK_INT(pages_out, 0);
	CHECK_INT(nreps, 0);
}

TEST(size_classes)
{
	static const struct { size_t ask, got; } t[] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 17, 32 }, { 64, 64 }, { 65, 96 }, { 96, 96 },
		{ 97, 128 }, { 129, 192 }, { 193, 256 }, { 300, 512 }, { 513, 1024 }, { 1500, 2048 },
		{ 4000, 4096 }, { 4097, 8192 }, { 8192, 8192 }, { 8193, 12288 + 4096 },
	};
	setup(false);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		void *p = kmalloc(t[i].ask);
		CHECK(p != NULL);
		CHECK_INT(ksize(p), t[i].got);
		CHECK_INT((uintptr_t)p % (t[i].got >= 16 ? 16 : 8), 0);
		kfree(p);
	}
	CHECK_INT(nreps, 0);
	CHECK_INT(errors(), 0);
}

TEST(large_roundtrip)
{
	setup(false);
	struct slab_stats st;
	unsigned char *p = kmalloc(20000);
	CHECK(p != NULL);
	CHECK_INT((uintptr_t)p % PAGE, 0);
	CHECK_INT(ksize(p), 32768); /* rounded up to 2^3 pages */
	CHECK_INT(pages_out, 8);
	slab_get_stats(&st);
	CHECK_INT(st.large_bytes, 32768);
	CHECK_INT(st.slab_bytes, 0);
	for (size_t i = 0; i < 32768; i++)
		p[i] = (unsigned char)(i * 7);
	for (size_t i = 0; i < 32768; i++)
		CHECK_INT(p[i], (unsigned char)(i * 7));

	/* A pointer into the block, even on a later page, is not a block. */
	site_free_a(p + 100);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "inside a large kmalloc block"));
	CHECK_SITE(reps[0].caller, site_free_a);
	site_free_a(p + 3 * PAGE);
	CHECK_INT(nreps, 2);
	CHECK_INT(ksize(p + 5 * PAGE), 0);
	CHECK_INT(nreps, 3);
	CHECK_INT(pages_out, 8);

	kfree(p);
	CHECK_INT(pages_out, 0);
	slab_get_stats(&st);
	CHECK_INT(st.large_bytes, 0);
	CHECK_INT(st.errors, 3);
	CHECK_INT(backend_errors, 0);
}

static void kzalloc_case(bool debug)
{
	static const size_t sizes[] = { 1, 8, 50, 96, 1000, 4096, 8000, 8192, 9000, 20000, 100000 };
	setup(debug);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			/* Dirty the memory first so zeroes are not an accident of fresh pages. */
			unsigned char *d = kmalloc(sizes[i]);
			CHECK(d != NULL);
			for (size_t k = 0; k < ksize(d); k++)
				d[k] = 0xff;
			kfree(d);
			unsigned char *z = kzalloc(sizes[i]);
			CHECK(z != NULL);
			size_t n = ksize(z);
			CHECK(n >= sizes[i]);
			for (size_t k = 0; k < n; k++)
				CHECK_INT(z[k], 0);
			kfree(z);
		}
	}
	CHECK_INT(nreps, 0);
}

TEST(kzalloc_zeroes) { kzalloc_case(false); }
TEST(kzalloc_zeroes_debug) { kzalloc_case(true); }

TEST(custom_cache_geometry)
{
	static const struct { size_t size, align; } t[] = {
		{ 1, 0 }, { 13, 0 }, { 24, 8 }, { 100, 64 }, { 200, 128 }, { 3000, 0 },
		{ 700, 4096 }, { 30000, 0 }, { 32768 - 128, 0 }, /* the largest that fits a debug slot */
	};
	for (int debug = 0; debug < 2; debug++) {
		setup(false);
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			struct kmem_cache *c = kmem_cache_create("geo", t[i].size, t[i].align, debug ? SLAB_DEBUG : 0);
			CHECK(c != NULL);
			size_t align = t[i].align < 8 ? 8 : t[i].align;
			unsigned char *o[20];
			for (int k = 0; k < 20; k++) {
				o[k] = kmem_cache_alloc(c);
				CHECK(o[k] != NULL);
				CHECK_INT((uintptr_t)o[k] % align, 0);
				for (size_t b = 0; b < t[i].size; b++)
					o[k][b] = (unsigned char)k;
			}
			for (int k = 0; k < 20; k++) {
				for (size_t b = 0; b < t[i].size; b++)
					CHECK_INT(o[k][b], k);
				kmem_cache_free(c, o[k]);
			}
			CHECK_INT(kmem_cache_destroy(c), 0);
		}
		CHECK_INT(nreps, 0);
	}
	setup(false);
	CHECK(kmem_cache_create("zero", 0, 0, 0) == NULL);
	CHECK(kmem_cache_create("odd-align", 64, 24, 0) == NULL);
	CHECK(kmem_cache_create("huge-align", 64, 8192, 0) == NULL);
	CHECK(kmem_cache_create("too-big", 40000, 0, 0) == NULL);
	/* An 8-page slab minus its header fits one plain object but not one with red zones. */
	struct kmem_cache *c = kmem_cache_create("max", 32768 - 48, 0, 0);
	CHECK(c != NULL);
	CHECK_INT(kmem_cache_destroy(c), 0);
	CHECK(kmem_cache_create("max-debug", 32768 - 48, 0, SLAB_DEBUG) == NULL);
	CHECK(kmem_cache_create("bad-flags", 64, 0, 0x80) == NULL);
	CHECK_INT(nreps, 0);
}

TEST(destroy_busy)
{
	setup(false);
	warm_up();
	long base = pages_out;
	struct kmem_cache *c = kmem_cache_create("busy", 48, 0, 0);
	CHECK(c != NULL);
	void *a = kmem_cache_alloc(c), *b = kmem_cache_alloc(c);
	CHECK(a && b && a != b);
	CHECK_INT(kmem_cache_destroy(c), -EBUSY);
	kmem_cache_free(c, a);
	CHECK_INT(kmem_cache_destroy(c), -EBUSY);
	kmem_cache_free(c, b); /* the cache is intact after refusing */
	CHECK_INT(kmem_cache_destroy(c), 0);
	CHECK_INT(pages_out, base);
	CHECK_INT(kmem_cache_destroy(NULL), -EINVAL);
	CHECK_INT(nreps, 0);
}

TEST(empty_slabs_returned)
{
	setup(false);
	void *first = kmalloc(64);
	long one_slab = pages_out; /* the pages of one kmalloc-64 slab */
	CHECK(one_slab >= 1);
	static void *p[5000];
	for (int i = 0; i < 5000; i++)
		CHECK((p[i] = kmalloc(64)) != NULL);
	CHECK(pages_out > 10 * one_slab);
	struct slab_stats st;
	slab_get_stats(&st);
	CHECK_INT(st.slab_bytes, pages_out * PAGE);
	for (int i = 0; i < 5000; i++)
		kfree(p[i]);
	kfree(first);
	CHECK_INT(pages_out, one_slab); /* one empty slab is kept */
	slab_get_stats(&st);
	CHECK_INT(st.slab_bytes, one_slab * PAGE);
	CHECK_INT(nreps, 0);
	CHECK_INT(backend_errors, 0);
}

TEST(out_of_memory)
{
	setup(false);
	fail_alloc = true;
	CHECK(kmalloc(64) == NULL);
	CHECK(kmalloc(20000) == NULL);
	CHECK(kmem_cache_create("oom", 64, 0, 0) == NULL);
	fail_alloc = false;
	void *p = kmalloc(64);
	CHECK(p != NULL);
	kfree(p);
	CHECK_INT(nreps, 0);
}

/* ---- randomized stress against a model ---- */

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct live {
	unsigned char *p;
	size_t size;   /* usable bytes, all stamped */
	int cache;     /* index into the custom caches, or -1 for kmalloc */
	unsigned char seed;
};

#define NCACHES 5
static const struct { const char *name; size_t size, align; unsigned flags; } cdefs[NCACHES] = {
	{ "t5", 5, 0, 0 }, { "t24", 24, 0, 0 }, { "t200a64", 200, 64, 0 },
	{ "t1000a256", 1000, 256, SLAB_DEBUG }, { "t3000", 3000, 8, 0 },
};

static unsigned char stamp(const struct live *l, size_t i)
{
	return (unsigned char)(l->seed + i * 13 + (i >> 8));
}

static void stress_case(bool debug, uint64_t seed)
{
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };
	static struct live live[1500];
	int nlive = 0;
	struct kmem_cache *cc[NCACHES];

	setup(debug);
	warm_up();
	long base = pages_out;
	rng = seed;
	for (int i = 0; i < NCACHES; i++)
		CHECK((cc[i] = kmem_cache_create(cdefs[i].name, cdefs[i].size, cdefs[i].align, cdefs[i].flags)) != NULL);

	for (int op = 0; op < 40000; op++) {
		bool alloc = nlive == 0 || (nlive < 1500 && rnd() % 100 < 55);
		if (alloc) {
			struct live l = { .seed = (unsigned char)rnd(), .cache = -1 };
			uint64_t kind = rnd() % 100;
			size_t align;
			if (kind < 20) {
				l.cache = (int)(rnd() % NCACHES);
				l.p = kmem_cache_alloc(cc[l.cache]);
				l.size = cdefs[l.cache].size;
				align = cdefs[l.cache].align < 8 ? 8 : cdefs[l.cache].align;
			} else {
				size_t want;
				if (kind < 22) {
					want = 8193 + rnd() % 60000;
				} else {
					size_t k = rnd() % 13, lo = k ? classes[k - 1] : 0;
					want = lo + 1 + rnd() % (classes[k] - lo);
				}
				l.p = kmalloc(want);
				CHECK(l.p != NULL);
				l.size = ksize(l.p);
				CHECK(l.size >= want);
				align = want > 8192 ? PAGE : l.size >= 16 ? 16 : 8;
			}
			CHECK(l.p != NULL);
			CHECK_INT((uintptr_t)l.p % align, 0);
			for (int j = 0; j < nlive; j++)
				CHECK(l.p + l.size <= live[j].p || live[j].p + live[j].size <= l.p);
			for (size_t i = 0; i < l.size; i++)
				l.p[i] = stamp(&l, i);
			live[nlive++] = l;
		} else {
			int j = (int)(rnd() % (uint64_t)nlive);
			struct live *l = &live[j];
			for (size_t i = 0; i < l->size; i++)
				CHECK_INT(l->p[i], stamp(l, i));
			if (l->cache >= 0)
				kmem_cache_free(cc[l->cache], l->p);
			else
				kfree(l->p);
			live[j] = live[--nlive];
		}
	}
	CHECK_INT(nreps, 0);

	/* Custom caches are busy until their last object goes. */
	for (int i = 0; i < NCACHES; i++) {
		bool busy = false;
		for (int j = 0; j < nlive; j++)
			busy |= live[j].cache == i;
		if (busy)
			CHECK_INT(kmem_cache_destroy(cc[i]), -EBUSY);
	}
	while (nlive) {
		struct live *l = &live[rnd() % (uint64_t)nlive];
		for (size_t i = 0; i < l->size; i++)
			CHECK_INT(l->p[i], stamp(l, i));
		if (l->cache >= 0)
			kmem_cache_free(cc[l->cache], l->p);
		else
			kfree(l->p);
		*l = live[--nlive];
	}
	for (int i = 0; i < NCACHES; i++)
		CHECK_INT(kmem_cache_destroy(cc[i]), 0);

	struct slab_stats st;
	slab_get_stats(&st);
	CHECK_INT(pages_out, base);
	CHECK_INT(st.slab_bytes, pages_out * PAGE);
	CHECK_INT(st.large_bytes, 0);
	CHECK_INT(st.errors, 0);
	CHECK_INT(nreps, 0);
	CHECK_INT(backend_errors, 0);
}

TEST(stress) { stress_case(false, 0x9e3779b97f4a7c15ull); }
TEST(stress_other_seed) { stress_case(false, 12345); }
TEST(stress_debug) { stress_case(true, 0xdeadbeefcafef00dull); }

/* ---- debug mode ---- */

TEST(debug_fill_patterns)
{
	setup(true);
	unsigned char *p = kmalloc(64);
	CHECK(p != NULL);
	for (int i = 0; i < 64; i++)
		CHECK_INT(p[i], 0xa5);
	kfree(p);
	for (int i = 0; i < 64; i++) /* the slab still holds it: reading is safe here */
		CHECK_INT(p[i], 0x6b);
	CHECK_INT(nreps, 0);
}

TEST(debug_double_free)
{
	setup(true);
	void *p = site_alloc(100);
	CHECK(p != NULL);
	site_free_a(p);
	CHECK_INT(nreps, 0);
	site_free_b(p);
	CHECK_INT(nreps, 1);
	CHECK_INT(errors(), 1);
	CHECK(has(reps[0].msg, "double free"));
	CHECK(has(reps[0].msg, "kmalloc-128"));
	CHECK_SITE(reps[0].caller, site_free_b);                      /* the second free */
	CHECK_SITE(addr_after(reps[0].msg, "first freed at"), site_free_a); /* the first */
	CHECK_SITE(addr_after(reps[0].msg, "allocated at"), site_alloc);

	/* The second free was ignored: the object is on the free list once. */
	void *a = kmalloc(100), *b = kmalloc(100);
	CHECK(a && b && a != b);
	CHECK_INT(nreps, 1);
	kfree(a);
	kfree(b);
	CHECK_INT(nreps, 1);
}

TEST(debug_use_after_free)
{
	setup(true);
	unsigned char *p = kmalloc(64);
	CHECK(p != NULL);
	site_free_a(p);
	p[10] = 0x42; /* the write after free */
	void *q = site_alloc(64);
	CHECK(q == p); /* last freed, first reused */
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "use after free"));
	CHECK(has(reps[0].msg, "+10"));
	CHECK_SITE(reps[0].caller, site_alloc);
	CHECK_SITE(addr_after(reps[0].msg, "freed at"), site_free_a);
	kfree(q);
	CHECK_INT(nreps, 1);
	CHECK_INT(kmalloc(64) == p, 1); /* the poison was restored: no second report */
	CHECK_INT(nreps, 1);
}

TEST(debug_use_after_free_custom_cache)
{
	setup(false);
	struct kmem_cache *c = kmem_cache_create("uaf", 40, 0, SLAB_DEBUG);
	CHECK(c != NULL);
	unsigned char *p = kmem_cache_alloc(c);
	kmem_cache_free(c, p);
	p[39] = 0; /* the last byte */
	unsigned char *q = kmem_cache_alloc(c);
	CHECK(q == p);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "use after free"));
	CHECK(has(reps[0].msg, "+39"));
	kmem_cache_free(c, q);
	CHECK_INT(kmem_cache_destroy(c), 0);
}

TEST(debug_overflow)
{
	setup(true);
	unsigned char *p = site_alloc(64);
	CHECK(p != NULL);
	p[64] = 0; /* one past the end */
	site_free_a(p);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "overflow"));
	CHECK(has(reps[0].msg, "after it"));
	CHECK(has(reps[0].msg, "+64"));
	CHECK_SITE(reps[0].caller, site_free_a);
	CHECK_SITE(addr_after(reps[0].msg, "allocated at"), site_alloc);

	/* The free went ahead and the red zone was repaired: reuse is quiet. */
	p = kmalloc(64);
	kfree(p);
	CHECK_INT(nreps, 1);

	p = kmalloc(64);
	p[-1] = 0; /* underflow */
	site_free_b(p);
	CHECK_INT(nreps, 2);
	CHECK(has(reps[1].msg, "overflow"));
	CHECK(has(reps[1].msg, "before it"));
	CHECK_SITE(reps[1].caller, site_free_b);
	CHECK_INT(errors(), 2);
}

TEST(debug_overflow_odd_size)
{
	setup(false);
	struct kmem_cache *c = kmem_cache_create("odd", 13, 0, SLAB_DEBUG);
	CHECK(c != NULL);
	unsigned char *p = kmem_cache_alloc(c);
	p[13] = 1; /* inside the alignment padding, which is red zone too */
	site_cache_free(c, p);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "overflow"));
	CHECK(has(reps[0].msg, "+13"));
	CHECK_SITE(reps[0].caller, site_cache_free);
	CHECK_INT(kmem_cache_destroy(c), 0);
}

TEST(debug_invalid_frees)
{
	setup(true);
	unsigned char *p = kmalloc(64);
	CHECK(p != NULL);
	site_free_a(p + 8);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "not its start"));
	CHECK_SITE(reps[0].caller, site_free_a);

	int on_stack = 0;
	site_free_b(&on_stack);
	CHECK_INT(nreps, 2);
	CHECK(has(reps[1].msg, "not heap memory"));
	CHECK_SITE(reps[1].caller, site_free_b);

	struct kmem_cache *c = kmem_cache_create("other", 64, 0, 0);
	CHECK(c != NULL);
	site_cache_free(c, p); /* p is a kmalloc-64 object */
	CHECK_INT(nreps, 3);
	CHECK(has(reps[2].msg, "kmalloc-64"));
	CHECK_SITE(reps[2].caller, site_cache_free);
	CHECK_INT(kmem_cache_destroy(c), 0);

	/* None of them freed p: it is still allocated, unpoisoned, and frees quietly. */
	for (int i = 0; i < 64; i++)
		CHECK_INT(p[i], 0xa5);
	kfree(p);
	CHECK_INT(nreps, 3);
	CHECK_INT(errors(), 3);
}

/* ---- non-debug hardening ---- */

TEST(nodebug_invalid_frees)
{
	setup(false);
	unsigned char *p = kmalloc(64);
	int on_stack;
	site_free_a(&on_stack);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "not heap memory"));
	CHECK_SITE(reps[0].caller, site_free_a);
	site_free_a(p + 1);
	CHECK_INT(nreps, 2);
	CHECK(has(reps[1].msg, "not its start"));
	kfree(p);
	CHECK_INT(nreps, 2);
	site_free_b(p); /* freed just before: caught cheaply */
	CHECK_INT(nreps, 3);
	CHECK(has(reps[2].msg, "double free"));
	CHECK_SITE(reps[2].caller, site_free_b);
	void *a = kmalloc(64), *b = kmalloc(64);
	CHECK(a != b);
	kfree(a);
	kfree(b);
	CHECK_INT(ksize(&on_stack), 0);
	CHECK_INT(nreps, 4);
	CHECK_INT(errors(), 4);
	CHECK_INT(backend_errors, 0);
}

TEST(nodebug_freelist_corruption)
{
	setup(false);
	void **p = kmalloc(64);
	CHECK(p != NULL);
	kfree(p);
	*p = (void *)0xdeadbeef00ull; /* a write after free over the free list link */
	void *q = kmalloc(64);
	CHECK(q == (void *)p);
	CHECK_INT(nreps, 1);
	CHECK(has(reps[0].msg, "free list corrupted"));
	/* The allocator carries on with a fresh slab rather than following the wild pointer. */
	void *r = kmalloc(64);
	CHECK(r != NULL && r != q);
	kfree(q);
	kfree(r);
	CHECK_INT(nreps, 1);
}
