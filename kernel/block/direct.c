/*
 * O_DIRECT on block devices: reads and writes go between the caller's buffer and the disk
 * without passing through the buffer cache, in requests as large as the queue takes, as
 * Linux's direct I/O does. The buffer is the syscall layer's kernel chunk (up to 64 KiB,
 * physically contiguous), so one call is one plugged batch of bios that the queue merges; user
 * memory is not pinned and DMA'd into directly (a copy remains, the cache does not).
 */
#include "block/block.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "sched/wait.h"

#define DIRECT_BIOS 16

struct direct_batch {
	struct completion done;
	int error;
};

static void direct_end(struct bio *bio)
{
	struct direct_batch *bt = bio->private;
	if (bio->status)
		__atomic_store_n(&bt->error, bio->status, __ATOMIC_RELAXED);
	complete(&bt->done);
}

ssize_t blk_direct_rw(struct block_device *bdev, void *kbuf, const void *wbuf, size_t len, uint64_t pos)
{
	uint64_t end = bdev->nr_sectors * SECTOR_SIZE;
	if (pos % SECTOR_SIZE || len % SECTOR_SIZE)
		return -EINVAL; /* Linux: aligned to the logical block size */
	if (pos >= end || !len)
		return 0;
	len = (size_t)MIN((uint64_t)len, end - pos);
	enum blk_op op = wbuf ? BLK_WRITE : BLK_READ;
	uint8_t *buf = wbuf ? (uint8_t *)(uintptr_t)wbuf : kbuf;
	struct block_device *disk = bdev->whole;
	int err = bcache_direct_range(disk, bdev->start + pos / SECTOR_SIZE, len / SECTOR_SIZE, wbuf != NULL);
	if (err)
		return err;
	uint32_t piece = disk->queue.max_sectors ? disk->queue.max_sectors : 8;
	size_t done = 0;
	while (done < len) {
		struct bio bios[DIRECT_BIOS];
		struct direct_batch bt = { .error = 0 };
		completion_init(&bt.done);
		unsigned n = 0;
		size_t batch_start = done;
		blk_plug(disk);
		while (n < DIRECT_BIOS && done < len) {
			uint32_t sectors = (uint32_t)MIN((uint64_t)piece, (uint64_t)(len - done) / SECTOR_SIZE);
			bios[n] = (struct bio){ .bdev = bdev, .op = op, .sector = (pos + done) / SECTOR_SIZE,
						.nr_sectors = sectors, .buf = buf + done,
						.end_io = direct_end, .private = &bt };
			blk_submit_bio(&bios[n++]);
			done += (size_t)sectors * SECTOR_SIZE;
		}
		blk_unplug(disk);
		for (unsigned i = 0; i < n; i++)
			wait_for_completion(&bt.done);
		if (bt.error) /* what came before this batch is whole; this batch is not */
			return batch_start ? (ssize_t)batch_start : bt.error;
	}
	return (ssize_t)done;
}
