// unit-deps: kernel/drivers/virtio/virtqueue.c
/*
 * Host tests for split virtqueues (virtio spec 2.7) with a simulated device: chains laid out
 * with the right flags and links, the free list exhausted and refilled, completions in any
 * order, the 16-bit ring indices wrapping past 65535, and a device returning heads it was never
 * given (ignored, nothing corrupted).
 */
#include "unit.h"

#include <stdlib.h>

#include "drivers/virtio/virtio.h"
#include "lib/errno.h"

#define QSIZE 8

static struct virtqueue vq;
static uint16_t notified = 0xffff;
static uint16_t dev_avail_idx; /* the device's view: next avail entry it reads */

static void vq_setup(void)
{
	free(vq.desc);
	free(vq.avail);
	free(vq.used);
	free(vq.cookies);
	memset(&vq, 0, sizeof(vq));
	vq.size = QSIZE;
	vq.desc = calloc(QSIZE, sizeof(struct virtq_desc));
	vq.avail = calloc(1, sizeof(struct virtq_avail) + 2 * QSIZE + 2);
	vq.used = calloc(1, sizeof(struct virtq_used) + 8 * QSIZE + 2);
	vq.cookies = calloc(QSIZE, sizeof(void *));
	for (uint16_t d = 0; d < QSIZE; d++)
		vq.desc[d].next = (uint16_t)(d + 1);
	vq.num_free = QSIZE;
	vq.index = 1;
	vq.notify = &notified;
	vq.lock = (spinlock_t)SPINLOCK_INIT;
	dev_avail_idx = 0;
}

/* The device takes the next available chain: its head (or -1 when none). */
static int dev_take(void)
{
	if (dev_avail_idx == vq.avail->idx)
		return -1;
	return vq.avail->ring[dev_avail_idx++ % QSIZE];
}

/* The device returns chain head with len bytes written. */
static void dev_return(uint32_t head, uint32_t len)
{
	uint16_t i = vq.used->idx;
	vq.used->ring[i % QSIZE] = (struct virtq_used_elem){ head, len };
	vq.used->idx = (uint16_t)(i + 1);
}

TEST(chain_layout)
{
	vq_setup();
	int cookie;
	struct virtq_buf bufs[3] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };
	CHECK_INT(virtq_add(&vq, bufs, 3, &cookie), 0);
	CHECK_INT(virtq_free_count(&vq), QSIZE - 3);
	int head = dev_take();
	CHECK_INT(head, 0);
	uint16_t d = (uint16_t)head;
	for (int i = 0; i < 3; i++) {
		CHECK(vq.desc[d].addr == bufs[i].addr);
		CHECK_INT(vq.desc[d].len, bufs[i].len);
		CHECK_INT(!!(vq.desc[d].flags & VIRTQ_DESC_F_WRITE), bufs[i].device_writes);
		CHECK_INT(!!(vq.desc[d].flags & VIRTQ_DESC_F_NEXT), i < 2);
		d = vq.desc[d].next;
	}
	virtq_kick(&vq);
	CHECK_INT(notified, 1);
	vq.used->flags = 1; /* VIRTQ_USED_F_NO_NOTIFY: the device asks not to be kicked */
	notified = 0xffff;
	virtq_kick(&vq);
	CHECK_INT(notified, 0xffff);
	uint32_t len = 0;
	CHECK(virtq_get_used(&vq, &len) == NULL);
	dev_return(0, 513);
	CHECK(virtq_get_used(&vq, &len) == &cookie);
	CHECK_INT(len, 513);
	CHECK_INT(virtq_free_count(&vq), QSIZE);
	CHECK(virtq_get_used(&vq, &len) == NULL);
}

TEST(full_then_out_of_order)
{
	vq_setup();
	int cookies[QSIZE];
	struct virtq_buf b = { 0x1000, 64, true };
	for (int i = 0; i < QSIZE; i++)
		CHECK_INT(virtq_add(&vq, &b, 1, &cookies[i]), 0);
	CHECK_INT(virtq_add(&vq, &b, 1, &cookies[0]), -ENOSPC);
	CHECK_INT(virtq_add(&vq, &b, 1, NULL), -EINVAL);
	int heads[QSIZE];
	for (int i = 0; i < QSIZE; i++)
		heads[i] = dev_take();
	/* Back in reverse order: each cookie comes with its own head. */
	for (int i = QSIZE - 1; i >= 0; i--)
		dev_return((uint32_t)heads[i], (uint32_t)i);
	for (int i = QSIZE - 1; i >= 0; i--) {
		uint32_t len;
		CHECK(virtq_get_used(&vq, &len) == &cookies[i]);
		CHECK_INT(len, i);
	}
	CHECK_INT(virtq_free_count(&vq), QSIZE);
	/* The free list is whole again: a chain of all QSIZE descriptors fits. */
	struct virtq_buf all[QSIZE];
	for (int i = 0; i < QSIZE; i++)
		all[i] = b;
	CHECK_INT(virtq_add(&vq, all, QSIZE, &cookies[0]), 0);
	CHECK_INT(virtq_free_count(&vq), 0);
}

TEST(indices_wrap)
{
	vq_setup();
	int cookie[2];
	struct virtq_buf b = { 0x1000, 64, true };
	/* 70000 round trips with up to two chains in flight: avail and used indices wrap. */
	for (unsigned round = 0; round < 70000; round++) {
		unsigned n = 1 + round % 2;
		for (unsigned i = 0; i < n; i++)
			CHECK_INT(virtq_add(&vq, &b, 1, &cookie[i]), 0);
		for (unsigned i = 0; i < n; i++)
			dev_return((uint32_t)dev_take(), 100 + i);
		for (unsigned i = 0; i < n; i++) {
			uint32_t len;
			CHECK(virtq_get_used(&vq, &len) == &cookie[i]);
			CHECK_INT(len, 100 + i);
		}
		CHECK(virtq_get_used(&vq, NULL) == NULL);
		CHECK_INT(virtq_free_count(&vq), QSIZE);
	}
	CHECK(vq.avail->idx == (uint16_t)(70000 + 35000));
}

TEST(hostile_used_entries)
{
	vq_setup();
	int cookie;
	struct virtq_buf b = { 0x1000, 64, true };
	CHECK_INT(virtq_add(&vq, &b, 1, &cookie), 0);
	int head = dev_take();
	dev_return(QSIZE + 5, 10);         /* out of the table */
	dev_return((uint32_t)head + 1, 10); /* in the table, never queued */
	dev_return((uint32_t)head, 10);
	dev_return((uint32_t)head, 10);     /* the same head twice */
	CHECK(virtq_get_used(&vq, NULL) == NULL);
	CHECK(virtq_get_used(&vq, NULL) == NULL);
	CHECK(virtq_get_used(&vq, NULL) == &cookie);
	CHECK(virtq_get_used(&vq, NULL) == NULL);
	CHECK_INT(virtq_free_count(&vq), QSIZE);
}

/*
 * A reset device (virtio-blk's command timeout): chains still queued, one of them completed
 * but not yet consumed, others taken by the device. virtq_reset empties the queue as at set-up:
 * nothing comes back from before, every descriptor is free, and the indices restart at 0,
 * where the re-initialised device looks for them.
 */
TEST(reset_forgets_everything)
{
	vq_setup();
	int cookies[QSIZE];
	struct virtq_buf b[2] = { { 0x1000, 16, false }, { 0x2000, 1, true } };
	for (int i = 0; i < 3; i++)
		CHECK_INT(virtq_add(&vq, b, 2, &cookies[i]), 0);
	CHECK_INT(dev_take(), 0);
	CHECK_INT(dev_take(), 2);
	dev_return(2, 1); /* completed, never consumed */
	CHECK_INT(virtq_free_count(&vq), QSIZE - 6);
	virtq_reset(&vq);
	dev_avail_idx = 0; /* so does the device */
	CHECK_INT(virtq_free_count(&vq), QSIZE);
	CHECK_INT(vq.avail->idx, 0);
	CHECK_INT(vq.used->idx, 0);
	CHECK(virtq_get_used(&vq, NULL) == NULL);
	for (int i = 0; i < QSIZE; i++)
		CHECK(vq.cookies[i] == NULL);
	/* The whole table makes one chain again, published at avail slot 0 with head 0. */
	struct virtq_buf all[QSIZE];
	for (int i = 0; i < QSIZE; i++)
		all[i] = b[1];
	CHECK_INT(virtq_add(&vq, all, QSIZE, &cookies[5]), 0);
	CHECK_INT(dev_take(), 0);
	dev_return(0, 8);
	uint32_t len = 0;
	CHECK(virtq_get_used(&vq, &len) == &cookies[5]);
	CHECK_INT(len, 8);
	CHECK_INT(virtq_free_count(&vq), QSIZE);
}
