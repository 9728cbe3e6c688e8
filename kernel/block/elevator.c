/*
 * The elevator's list operations (see request.h and the scheduler description in queue.c):
 * pure functions over the pending list, so that the host unit tests check merging and the
 * C-LOOK order with its deadline directly.
 */
#include "block/request.h"

static bool can_merge(const struct request *rq, const struct bio *bio, uint32_t max_sectors, unsigned max_segments)
{
	return rq->op == bio->op && bio->op != BLK_FLUSH && rq->nr_bios < max_segments &&
	       (uint64_t)rq->nr_sectors + bio->nr_sectors <= max_sectors;
}

struct request *elv_merge(struct request *pending, struct bio *bio, uint32_t max_sectors, unsigned max_segments)
{
	for (struct request *rq = pending; rq; rq = rq->next) {
		if (!can_merge(rq, bio, max_sectors, max_segments))
			continue;
		if (rq->sector + rq->nr_sectors == bio->sector) {
			bio->next = NULL;
			rq->tail->next = bio;
			rq->tail = bio;
		} else if (bio->sector + bio->nr_sectors == rq->sector) {
			bio->next = rq->bios;
			rq->bios = bio;
			rq->sector = bio->sector;
		} else {
			continue;
		}
		rq->nr_sectors += bio->nr_sectors;
		rq->nr_bios++;
		return rq;
	}
	return NULL;
}

void elv_insert(struct request **pending, struct request *rq)
{
	struct request **pp = pending;
	while (*pp && (*pp)->sector <= rq->sector)
		pp = &(*pp)->next;
	rq->next = *pp;
	*pp = rq;
}

struct request *elv_pick(struct request **pending, uint64_t head_pos, uint64_t now, uint64_t deadline_ns)
{
	struct request **pick = NULL, **oldest = NULL;
	for (struct request **pp = pending; *pp; pp = &(*pp)->next) {
		if (!pick && (*pp)->sector >= head_pos)
			pick = pp;
		if (!oldest || (*pp)->queued_ns < (*oldest)->queued_ns)
			oldest = pp;
	}
	if (oldest && now > (*oldest)->queued_ns && now - (*oldest)->queued_ns > deadline_ns)
		pick = oldest;
	if (!pick)
		pick = pending; /* wrap around to the lowest sector */
	struct request *rq = *pick;
	if (!rq)
		return NULL;
	*pick = rq->next;
	rq->next = NULL;
	return rq;
}
