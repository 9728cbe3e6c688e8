/*
 * Bios and requests, and the elevator's pure list operations on them (elevator.c, shared with
 * the host unit tests): merging a bio into a pending request, keeping the pending list sorted,
 * and choosing what the driver gets next.
 */
#pragma once

#include "lib/types.h"

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };

struct block_device;
struct bio;
typedef void (*bio_end_t)(struct bio *bio);

/* One contiguous transfer between a physically contiguous buffer and consecutive sectors. */
struct bio {
	struct block_device *bdev;  /* as submitted (a partition or the disk) */
	enum blk_op op;
	uint64_t sector;            /* relative to bdev when submitted; the disk's after remapping */
	uint32_t nr_sectors;
	void *buf;                  /* direct-map address, physically contiguous */
	int status;                 /* 0 or -errno, set before end_io */
	bio_end_t end_io;           /* called once, maybe in interrupt context */
	void *private;
	struct bio *next;           /* within a request */
};

/* What the driver sees: one or more bios merged into one contiguous transfer. */
struct request {
	enum blk_op op;
	uint64_t sector;
	uint32_t nr_sectors;
	struct bio *bios, *tail;
	unsigned nr_bios;
	uint64_t queued_ns;
	uint64_t started_ns;        /* handed to the driver (the command timeout counts from here) */
	struct request *inflight_next; /* the queue's list of requests the driver holds */
	struct request *next;
	void *driver_data;
};

/*
 * Merges bio into a request of the sorted list that it continues (back merge) or precedes
 * (front merge) in the same direction, within the limits; flushes never merge. The request
 * it joined, or NULL.
 */
struct request *elv_merge(struct request *pending, struct bio *bio, uint32_t max_sectors, unsigned max_segments);
/* Inserts rq into the list, kept sorted by sector (stable: after equal sectors). */
void elv_insert(struct request **pending, struct request *rq);
/*
 * C-LOOK with a deadline: the first request at or after head_pos, else the lowest (the sweep
 * wraps); but the oldest request when it has waited longer than deadline_ns. Unlinked from the
 * list and returned; NULL when the list is empty.
 */
struct request *elv_pick(struct request **pending, uint64_t head_pos, uint64_t now, uint64_t deadline_ns);
