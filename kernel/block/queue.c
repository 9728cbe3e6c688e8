/*
 * The request queue: bios become requests, adjacent ones merge, and the elevator picks what the
 * driver gets next. The scheduler is C-LOOK with a deadline: pending requests are kept sorted by
 * sector; dispatch takes the first one at or after the head position and wraps to the lowest
 * when none is left above, so the head sweeps one way; but a request pending longer than
 * BLK_DEADLINE_NS goes first, so a stream of nearby I/O cannot starve a far one.
 */
#include "block/block.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "time/clock.h"

#define BLK_DEADLINE_NS (500ull * 1000 * 1000)

static uint64_t ms_between(uint64_t from_ns, uint64_t to_ns)
{
	return to_ns > from_ns ? (to_ns - from_ns) / 1000000 : 0;
}

static void account_busy(struct blk_stats *st, uint64_t now, int delta)
{
	if (st->in_flight)
		st->io_ticks_ms += ms_between(st->busy_since_ns, now);
	st->time_in_queue_ms += (uint64_t)st->in_flight * ms_between(st->busy_since_ns, now);
	st->busy_since_ns = now;
	st->in_flight = (uint32_t)((int)st->in_flight + delta);
}

static void end_bio(struct bio *bio, int status, uint64_t queued_ns, uint64_t now)
{
	bio->status = status;
	struct block_device *bd = bio->bdev;
	struct block_device *targets[2] = { bd, bd->whole != bd ? bd->whole : NULL };
	for (int i = 0; i < 2 && targets[i]; i++) {
		struct blk_stats *st = &targets[i]->stats;
		if (bio->op == BLK_FLUSH) {
			st->flushes++;
		} else {
			int dir = bio->op == BLK_WRITE;
			st->ios[dir]++;
			st->sectors[dir] += bio->nr_sectors;
			st->ticks_ms[dir] += ms_between(queued_ns, now);
		}
		account_busy(st, now, -1);
	}
	bio->end_io(bio);
}

/* Back or front merge into a pending request; true when bio was absorbed. */
static bool try_merge(struct blk_queue *q, struct bio *bio)
{
	return elv_merge(q->pending, bio, q->max_sectors, q->max_segments) != NULL;
}

static void insert_sorted(struct blk_queue *q, struct request *rq)
{
	elv_insert(&q->pending, rq);
	q->nr_pending++;
}

/* The elevator's choice (see the top of the file), unlinked from the pending list. */
static struct request *pick_next(struct blk_queue *q, uint64_t now)
{
	struct request *rq = elv_pick(&q->pending, q->head_pos, now, BLK_DEADLINE_NS);
	if (rq)
		q->nr_pending--;
	return rq;
}

/* Hands pending requests to the driver until it says it is full. Queue lock held. */
static void run_queue(struct block_device *disk, uint64_t now)
{
	struct blk_queue *q = &disk->queue;
	while (q->pending && (!q->plugged || disk->dead)) {
		struct request *rq = pick_next(q, now);
		int err = disk->dead ? -EIO : disk->ops->queue_rq(disk, rq);
		if (err == -EBUSY) {
			insert_sorted(q, rq);
			return;
		}
		if (err) {
			/* The driver refused it for good: fail every bio. */
			for (struct bio *b = rq->bios, *nx; b; b = nx) {
				nx = b->next;
				end_bio(b, err, rq->queued_ns, now);
			}
			kfree(rq);
			continue;
		}
		q->in_flight++;
		q->head_pos = rq->sector + rq->nr_sectors;
		rq->started_ns = now;
		rq->inflight_next = q->inflight;
		q->inflight = rq;
	}
}

void blk_submit_bio(struct bio *bio)
{
	struct block_device *bd = bio->bdev, *disk = bd->whole;
	bio->next = NULL;
	bio->status = 0;
	uint64_t now = clock_monotonic_ns();
	if (__atomic_load_n(&disk->dead, __ATOMIC_ACQUIRE)) {
		bio->status = -EIO; /* unplugged */
		bio->end_io(bio);
		return;
	}
	if (bio->op != BLK_FLUSH) {
		if (!bio->nr_sectors || bio->sector >= bd->nr_sectors ||
		    bio->nr_sectors > bd->nr_sectors - bio->sector ||
		    (bio->op == BLK_WRITE && bd->read_only)) {
			bio->status = bio->op == BLK_WRITE && bd->read_only ? -EROFS : -EIO;
			bio->end_io(bio);
			return;
		}
		bio->sector += bd->start;
	}
	/* Allocated before the lock: kmalloc may sleep. */
	struct request *rq = kzalloc(sizeof(*rq));
	struct blk_queue *q = &disk->queue;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	account_busy(&bd->stats, now, +1);
	if (bd != disk)
		account_busy(&disk->stats, now, +1);
	if (bio->op != BLK_FLUSH && try_merge(q, bio)) {
		bd->stats.merges[bio->op == BLK_WRITE]++;
		if (bd != disk)
			disk->stats.merges[bio->op == BLK_WRITE]++;
		spin_unlock_irqrestore(&q->lock, irq);
		kfree(rq);
		return;
	}
	if (!rq) {
		end_bio(bio, -ENOMEM, now, now);
		spin_unlock_irqrestore(&q->lock, irq);
		return;
	}
	rq->op = bio->op;
	rq->sector = bio->sector;
	rq->nr_sectors = bio->nr_sectors;
	rq->bios = rq->tail = bio;
	rq->nr_bios = 1;
	rq->queued_ns = now;
	insert_sorted(q, rq);
	run_queue(disk, now);
	spin_unlock_irqrestore(&q->lock, irq);
}

void blk_end_request(struct block_device *disk, struct request *rq, int status)
{
	struct blk_queue *q = &disk->queue;
	uint64_t now = clock_monotonic_ns();
	uint64_t irq = spin_lock_irqsave(&q->lock);
	q->in_flight--;
	struct request **pp = &q->inflight;
	while (*pp && *pp != rq)
		pp = &(*pp)->inflight_next;
	if (*pp)
		*pp = rq->inflight_next;
	for (struct bio *b = rq->bios, *nx; b; b = nx) {
		nx = b->next;
		end_bio(b, status, rq->queued_ns, now);
	}
	run_queue(disk, now);
	spin_unlock_irqrestore(&q->lock, irq);
	kfree(rq);
}

bool blk_timed_out(struct block_device *disk, uint64_t now, uint64_t limit_ns)
{
	struct blk_queue *q = &disk->queue;
	bool late = false;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	for (struct request *rq = q->inflight; rq && !late; rq = rq->inflight_next)
		late = now > rq->started_ns && now - rq->started_ns > limit_ns;
	spin_unlock_irqrestore(&q->lock, irq);
	return late;
}

void blk_kill_queue(struct block_device *disk)
{
	struct blk_queue *q = &disk->queue;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	__atomic_store_n(&disk->dead, true, __ATOMIC_RELEASE);
	run_queue(disk, clock_monotonic_ns()); /* fails everything pending */
	spin_unlock_irqrestore(&q->lock, irq);
}

void blk_plug(struct block_device *bdev)
{
	struct blk_queue *q = &bdev->whole->queue;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	q->plugged++;
	spin_unlock_irqrestore(&q->lock, irq);
}

void blk_unplug(struct block_device *bdev)
{
	struct block_device *disk = bdev->whole;
	struct blk_queue *q = &disk->queue;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	if (q->plugged)
		q->plugged--;
	run_queue(disk, clock_monotonic_ns());
	spin_unlock_irqrestore(&q->lock, irq);
}

/* ---- synchronous helpers ---- */

static void sync_end(struct bio *bio)
{
	complete(bio->private);
}

int blk_rw(struct block_device *bdev, enum blk_op op, uint64_t sector, uint32_t nr_sectors, void *buf)
{
	struct completion done;
	completion_init(&done);
	struct bio bio = {
		.bdev = bdev, .op = op, .sector = sector, .nr_sectors = nr_sectors, .buf = buf,
		.end_io = sync_end, .private = &done,
	};
	blk_submit_bio(&bio);
	wait_for_completion(&done);
	return bio.status;
}

int blk_flush(struct block_device *bdev)
{
	return blk_rw(bdev, BLK_FLUSH, 0, 0, NULL);
}
