/*
 * Page-cache ktests on a file backed by a RAM array (fake pcache_ops that count their calls):
 * fill on first read only, write then write-back, dirty accounting, truncation, shrinking of
 * clean unmapped pages only, pages mapped writable written back while mapped, write-back
 * errors reported once, and ENOSPC from prepare_write.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page_cache.h"
#include "mm/pmm.h"
#include "test/ktest.h"

#define STORE_PAGES 16
static uint8_t store[STORE_PAGES * PAGE_SIZE];
static unsigned reads, writes;
static int fail_next_write, fail_prepare;

static int fake_readpage(struct inode *inode, uint64_t index, void *buf)
{
	(void)inode;
	reads++;
	if (index >= STORE_PAGES)
		return -EIO;
	memcpy(buf, store + index * PAGE_SIZE, PAGE_SIZE);
	return 0;
}

static int fake_writepage(struct inode *inode, uint64_t index, const void *buf, size_t len)
{
	(void)inode;
	writes++;
	if (fail_next_write) {
		int e = fail_next_write;
		fail_next_write = 0;
		return e;
	}
	if (index >= STORE_PAGES || len > PAGE_SIZE)
		return -EIO;
	memcpy(store + index * PAGE_SIZE, buf, len);
	return 0;
}

static int fake_prepare(struct inode *inode, uint64_t pos, size_t len)
{
	(void)inode;
	return pos + len > sizeof(store) || fail_prepare ? -ENOSPC : 0;
}

static const struct pcache_ops fake_ops = {
	.readpage = fake_readpage,
	.writepage = fake_writepage,
	.prepare_write = fake_prepare,
};

/* A fresh file of size bytes whose store holds (i * 7 + seed) & 0xff. */
static struct pcache *fake_file(uint64_t size, unsigned seed)
{
	for (size_t i = 0; i < sizeof(store); i++)
		store[i] = (uint8_t)((i * 7 + seed) & 0xff);
	reads = writes = 0;
	fail_next_write = fail_prepare = 0;
	struct inode *inode = inode_alloc(NULL);
	if (!inode)
		return NULL;
	inode->size = size;
	inode->mode = S_IFREG | 0644;
	struct pcache *pc = pcache_create(inode, &fake_ops);
	if (!pc)
		inode_put(inode);
	return pc;
}

static void fake_done(struct pcache *pc)
{
	struct inode *inode = pc->inode;
	pcache_destroy(pc, false);
	inode_put(inode);
}

KTEST(pcache_read_fills_once)
{
	struct pcache *pc = fake_file(3 * PAGE_SIZE, 1);
	KT_ASSERT(pc);
	static uint8_t buf[3 * PAGE_SIZE];
	KT_ASSERT_EQ(pcache_read(pc, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	bool same = memcmp(buf, store, sizeof(buf)) == 0;
	unsigned first = reads;
	KT_ASSERT_EQ(pcache_read(pc, buf, 100, PAGE_SIZE + 5), 100);
	unsigned again = reads;
	uint64_t pages = pc->nr_pages, dirty = pc->nr_dirty;
	fake_done(pc);
	KT_ASSERT(same);
	KT_ASSERT_EQ(first, 3u);
	KT_ASSERT_EQ(again, 3u);
	KT_ASSERT_EQ(pages, 3u);
	KT_ASSERT_EQ(dirty, 0u);
}

KTEST(pcache_write_then_writeback)
{
	struct pcache *pc = fake_file(PAGE_SIZE, 2);
	KT_ASSERT(pc);
	static uint8_t data[10000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	ssize_t n = pcache_write(pc, data, sizeof(data), 100);
	/* Only page 0 existed: it is read (a partial write), the others are new. */
	unsigned filled = reads;
	uint64_t size = pc->inode->size, dirty = pc->nr_dirty;
	bool store_untouched = store[100] == (uint8_t)((100 * 7 + 2) & 0xff);
	int err = pcache_writeback(pc);
	bool written = memcmp(store + 100, data, sizeof(data)) == 0 && store[99] == (uint8_t)((99 * 7 + 2) & 0xff);
	unsigned wb = writes;
	int err2 = pcache_writeback(pc);
	unsigned wb2 = writes;
	uint64_t dirty_after = pc->nr_dirty;
	fake_done(pc);
	KT_ASSERT_EQ(n, (ssize_t)sizeof(data));
	KT_ASSERT_EQ(filled, 1u);
	KT_ASSERT_EQ(size, 10100u);
	KT_ASSERT_EQ(dirty, 3u);
	KT_ASSERT(store_untouched);
	KT_ASSERT_EQ(err, 0);
	KT_ASSERT(written);
	KT_ASSERT_EQ(wb, 3u);
	KT_ASSERT_EQ(err2, 0);
	KT_ASSERT_EQ(wb2, 3u); /* nothing was dirty any more */
	KT_ASSERT_EQ(dirty_after, 0u);
}

KTEST(pcache_truncate_drops_and_zeroes)
{
	struct pcache *pc = fake_file(4 * PAGE_SIZE, 3);
	KT_ASSERT(pc);
	static uint8_t buf[4 * PAGE_SIZE];
	KT_ASSERT_EQ(pcache_read(pc, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	pc->inode->size = PAGE_SIZE + 10;
	pcache_truncate(pc, PAGE_SIZE + 10);
	uint64_t pages = pc->nr_pages;
	pc->inode->size = 4 * PAGE_SIZE;
	/* Page 1 stays cached with zeros past byte 10; pages 2 and 3 come from the store again. */
	KT_ASSERT_EQ(pcache_read(pc, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	bool head = memcmp(buf, store, PAGE_SIZE + 10) == 0;
	bool zero = buf[PAGE_SIZE + 10] == 0 && buf[2 * PAGE_SIZE - 1] == 0;
	unsigned refills = reads;
	fake_done(pc);
	KT_ASSERT_EQ(pages, 2u);
	KT_ASSERT(head);
	KT_ASSERT(zero);
	KT_ASSERT_EQ(refills, 6u);
}

KTEST(pcache_shrink_only_clean_unmapped)
{
	struct pcache *pc = fake_file(3 * PAGE_SIZE, 4);
	KT_ASSERT(pc);
	uint8_t b[8];
	KT_ASSERT_EQ(pcache_read(pc, b, 1, 0), 1);               /* page 0: clean */
	KT_ASSERT_EQ(pcache_write(pc, "x", 1, PAGE_SIZE), 1);    /* page 1: dirty */
	paddr_t pa;
	KT_ASSERT_EQ(pcache_get_page(pc, 2, &pa), 0);            /* page 2: mapped */
	/* Other caches may give up pages too; ours must lose exactly page 0. */
	for (int i = 0; i < 8 && pc->nr_pages == 3; i++)
		pcache_shrink(1ull << 40);
	uint64_t pages = pc->nr_pages;
	unsigned before = reads;
	KT_ASSERT_EQ(pcache_read(pc, b, 1, 0), 1);
	unsigned reread = reads - before;
	page_ref_put(phys_to_page(pa));
	fake_done(pc);
	KT_ASSERT_EQ(pages, 2u);
	KT_ASSERT_EQ(reread, 1u);
}

KTEST(pcache_mapped_write_back)
{
	struct pcache *pc = fake_file(2 * PAGE_SIZE, 5);
	KT_ASSERT(pc);
	paddr_t pa;
	KT_ASSERT_EQ(pcache_get_page(pc, 1, &pa), 0);
	KT_ASSERT(pcache_get_page(pc, 2, &pa) == -ENXIO); /* past the end */
	KT_ASSERT_EQ(pcache_get_page(pc, 1, &pa), 0); /* the same page again: two references */
	pcache_mapped_write(pc, 1);
	memcpy(phys_to_virt(pa), "via-map", 7);  /* a store through a mapping: no dirty flag */
	int err = pcache_writeback(pc);
	bool reached = memcmp(store + PAGE_SIZE, "via-map", 7) == 0;
	unsigned w1 = writes;
	memcpy(phys_to_virt(pa), "second!", 7);
	page_ref_put(phys_to_page(pa));
	page_ref_put(phys_to_page(pa));         /* unmapped: one last write-back, then none */
	pcache_writeback(pc);
	bool second = memcmp(store + PAGE_SIZE, "second!", 7) == 0;
	unsigned w2 = writes;
	pcache_writeback(pc);
	unsigned w3 = writes;
	fake_done(pc);
	KT_ASSERT_EQ(err, 0);
	KT_ASSERT(reached);
	KT_ASSERT_EQ(w1, 1u);
	KT_ASSERT(second);
	KT_ASSERT_EQ(w2, 2u);
	KT_ASSERT_EQ(w3, 2u);
}

KTEST(pcache_errors)
{
	struct pcache *pc = fake_file(0, 6);
	KT_ASSERT(pc);
	fail_prepare = 1;
	ssize_t enospc = pcache_write(pc, "abc", 3, 0);
	uint64_t dirty0 = pc->nr_dirty, size0 = pc->inode->size;
	fail_prepare = 0;
	KT_ASSERT_EQ(pcache_write(pc, "abc", 3, 0), 3);
	fail_next_write = -EIO;
	int e1 = pcache_writeback(pc);           /* fails: reported, page stays dirty */
	uint64_t dirty1 = pc->nr_dirty;
	int e2 = pcache_writeback(pc);           /* retried and succeeds */
	bool stored = memcmp(store, "abc", 3) == 0;
	fake_done(pc);
	KT_ASSERT_EQ(enospc, -ENOSPC);
	KT_ASSERT_EQ(dirty0, 0u);
	KT_ASSERT_EQ(size0, 0u);
	KT_ASSERT_EQ(e1, -EIO);
	KT_ASSERT_EQ(dirty1, 1u);
	KT_ASSERT_EQ(e2, 0);
	KT_ASSERT(stored);
}
