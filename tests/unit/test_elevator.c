// unit-deps: kernel/block/elevator.c
/*
 * The block layer's elevator: back and front merges (same direction, within the segment and
 * sector limits, never a flush), the sorted pending list, C-LOOK order from the head position
 * with its wrap-around, and the deadline that lets an old request jump the sweep.
 */
#include "unit.h"

#include "block/request.h"

#define MAXS 256
#define MAXSEG 4

static struct request rqs[16];
static struct bio bios[32];

static struct request *mk_rq(int i, enum blk_op op, uint64_t sector, uint32_t n, uint64_t queued)
{
	struct request *rq = &rqs[i];
	struct bio *b = &bios[i];
	*b = (struct bio){ .op = op, .sector = sector, .nr_sectors = n };
	*rq = (struct request){ .op = op, .sector = sector, .nr_sectors = n, .bios = b, .tail = b,
				.nr_bios = 1, .queued_ns = queued };
	return rq;
}

TEST(merges)
{
	struct request *list = NULL;
	elv_insert(&list, mk_rq(0, BLK_WRITE, 100, 8, 0));
	/* Back merge: 108.. continues 100..107. */
	struct bio b1 = { .op = BLK_WRITE, .sector = 108, .nr_sectors = 8 };
	CHECK(elv_merge(list, &b1, MAXS, MAXSEG) == &rqs[0]);
	CHECK_INT(rqs[0].sector, 100);
	CHECK_INT(rqs[0].nr_sectors, 16);
	CHECK(rqs[0].tail == &b1);
	/* Front merge: 92..99 precedes it. */
	struct bio b2 = { .op = BLK_WRITE, .sector = 92, .nr_sectors = 8 };
	CHECK(elv_merge(list, &b2, MAXS, MAXSEG) == &rqs[0]);
	CHECK_INT(rqs[0].sector, 92);
	CHECK(rqs[0].bios == &b2 && b2.next == &bios[0] && bios[0].next == &b1);
	/* Other direction, a gap, a flush: no merge. */
	struct bio r = { .op = BLK_READ, .sector = 116, .nr_sectors = 8 };
	CHECK(elv_merge(list, &r, MAXS, MAXSEG) == NULL);
	struct bio gap = { .op = BLK_WRITE, .sector = 117, .nr_sectors = 8 };
	CHECK(elv_merge(list, &gap, MAXS, MAXSEG) == NULL);
	struct bio fl = { .op = BLK_FLUSH };
	CHECK(elv_merge(list, &fl, MAXS, MAXSEG) == NULL);
	/* Limits: a fourth segment fits, a fifth does not; nor does one past max_sectors. */
	struct bio b3 = { .op = BLK_WRITE, .sector = 116, .nr_sectors = 8 };
	CHECK(elv_merge(list, &b3, MAXS, MAXSEG) == &rqs[0]);
	struct bio b4 = { .op = BLK_WRITE, .sector = 124, .nr_sectors = 8 };
	CHECK(elv_merge(list, &b4, MAXS, MAXSEG) == NULL);
	struct bio big = { .op = BLK_WRITE, .sector = 124, .nr_sectors = 250 };
	CHECK(elv_merge(list, &big, MAXS, 100) == NULL);
	CHECK_INT(rqs[0].nr_sectors, 32);
	CHECK_INT(rqs[0].nr_bios, 4);
}

static int pick_order(struct request **list, uint64_t head, uint64_t now, uint64_t *out, int max)
{
	int n = 0;
	struct request *rq;
	while (n < max && (rq = elv_pick(list, head, now, 1000))) {
		out[n++] = rq->sector;
		head = rq->sector + rq->nr_sectors;
	}
	return n;
}

TEST(clook_order)
{
	struct request *list = NULL;
	uint64_t sectors[] = { 500, 100, 900, 300, 700, 50 };
	for (int i = 0; i < 6; i++)
		elv_insert(&list, mk_rq(i, BLK_READ, sectors[i], 8, 10));
	/* Sorted. */
	uint64_t prev = 0;
	for (struct request *rq = list; rq; rq = rq->next) {
		CHECK(rq->sector >= prev);
		prev = rq->sector;
	}
	/* From head 400: upwards to the end, then wrap to the lowest and up again. */
	uint64_t got[8];
	CHECK_INT(pick_order(&list, 400, 20, got, 8), 6);
	uint64_t want[] = { 500, 700, 900, 50, 100, 300 };
	for (int i = 0; i < 6; i++)
		CHECK_INT(got[i], want[i]);
	CHECK(list == NULL);
	CHECK(elv_pick(&list, 0, 0, 1000) == NULL);
}

TEST(deadline)
{
	struct request *list = NULL;
	elv_insert(&list, mk_rq(0, BLK_READ, 10, 8, 0));      /* old and far behind the head */
	elv_insert(&list, mk_rq(1, BLK_READ, 5000, 8, 1500));
	elv_insert(&list, mk_rq(2, BLK_READ, 6000, 8, 1500));
	/* At t=900 nothing is late: the sweep goes on from 4000. */
	struct request *rq = elv_pick(&list, 4000, 900, 1000);
	CHECK(rq && rq->sector == 5000);
	/* At t=2000 the request queued at 0 has waited 2000 > 1000: it goes first. */
	rq = elv_pick(&list, 5008, 2000, 1000);
	CHECK(rq && rq->sector == 10);
	rq = elv_pick(&list, 18, 2000, 1000);
	CHECK(rq && rq->sector == 6000);
	CHECK(list == NULL);
}
