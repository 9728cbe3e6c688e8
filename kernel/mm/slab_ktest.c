/* ktests and micro-benchmarks for the kernel heap. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "console/console.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "test/ktest.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define SLOTS 512

KTEST(slab_stress)
{
	static void *ptr[SLOTS];
	static size_t len[SLOTS];
	struct pmm_stats before, after;
	pmm_get_stats(&before);

	for (int round = 0; round < 20000; round++) {
		int i = (int)(rng() % SLOTS);
		if (ptr[i]) {
			const uint8_t *p = ptr[i];
			for (size_t k = 0; k < len[i]; k++)
				KT_ASSERT_EQ(p[k], (uint8_t)(i + k));
			kfree(ptr[i]);
			ptr[i] = NULL;
		} else {
			/* Mostly small, sometimes page-sized and larger than the biggest class. */
			size_t n = (rng() % 8 == 0) ? 1 + rng() % 20000 : 1 + rng() % 300;
			uint8_t *p = kmalloc(n);
			KT_ASSERT(p);
			KT_ASSERT(ksize(p) >= n);
			KT_ASSERT_EQ((uintptr_t)p & 7, 0);
			for (size_t k = 0; k < n; k++)
				p[k] = (uint8_t)(i + k);
			ptr[i] = p;
			len[i] = n;
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		kfree(ptr[i]);
		ptr[i] = NULL;
	}
	struct slab_stats ss;
	slab_get_stats(&ss);
	KT_ASSERT_EQ(ss.large_bytes, 0);
	pmm_get_stats(&after);
	/* Each size class may keep one empty slab (at most 8 pages each) for reuse. */
	KT_ASSERT(before.free_pages - after.free_pages <= 13 * 8);
}

KTEST(kmalloc_bad_sizes)
{
	KT_ASSERT(kmalloc(0) == NULL);
	KT_ASSERT(kmalloc(1ull << 40) == NULL);
	KT_ASSERT(kmalloc((size_t)-1) == NULL);
	void *z = kzalloc(100);
	KT_ASSERT(z);
	for (int i = 0; i < 100; i++)
		KT_ASSERT_EQ(((uint8_t *)z)[i], 0);
	kfree(z);
	kfree(NULL);
}

KTEST(slab_debug_catches_errors)
{
	struct kmem_cache *c = kmem_cache_create("ktest-debug", 48, 8, SLAB_DEBUG);
	KT_ASSERT(c);
	struct slab_stats st0, st1;
	slab_get_stats(&st0);

	uint8_t *a = kmem_cache_alloc(c);
	KT_ASSERT(a);
	kmem_cache_free(c, a);
	kmem_cache_free(c, a); /* double free: reported, ignored */
	slab_get_stats(&st1);
	KT_ASSERT_EQ(st1.errors, st0.errors + 1);

	uint8_t *b = kmem_cache_alloc(c);
	uint8_t *d = kmem_cache_alloc(c);
	KT_ASSERT(b != d); /* the double free did not put the object on the free list twice */
	b[48] = 0xff;      /* one byte past the end: the red zone */
	kmem_cache_free(c, b);
	slab_get_stats(&st1);
	KT_ASSERT_EQ(st1.errors, st0.errors + 2);

	kmem_cache_free(c, d);
	d[3] = 0x11; /* use after free: found when the object is handed out again */
	for (int i = 0; i < 64; i++) {
		void *e = kmem_cache_alloc(c);
		if (e == d)
			break;
	}
	slab_get_stats(&st1);
	KT_ASSERT_EQ(st1.errors, st0.errors + 3);
}

KTEST(bench_mm)
{
	if (!tsc_hz) {
		kprintf("bench: no calibrated TSC; skipped\n");
		return;
	}
	enum { N = 20000 };
	uint64_t t0 = rdtsc();
	for (int i = 0; i < N; i++)
		kfree(kmalloc(64));
	uint64_t t1 = rdtsc();
	for (int i = 0; i < N; i++)
		pmm_free_pages(pmm_alloc_pages(0, 0), 0);
	uint64_t t2 = rdtsc();
	for (int i = 0; i < N / 10; i++)
		vfree(vmalloc(4 * 4096));
	uint64_t t3 = rdtsc();
	kprintf("bench: kmalloc(64)+kfree: %llu ns\n", (unsigned long long)tsc_to_ns((t1 - t0) / N));
	kprintf("bench: page alloc+free (order 0): %llu ns\n", (unsigned long long)tsc_to_ns((t2 - t1) / N));
	kprintf("bench: vmalloc(16 KiB)+vfree: %llu ns\n", (unsigned long long)tsc_to_ns((t3 - t2) / (N / 10)));
}
