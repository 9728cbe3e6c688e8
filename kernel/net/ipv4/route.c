/*
 * The IPv4 routing table: a small array searched for the longest prefix covering the
 * destination (a default route is the /0 entry). The caller holds the table's lock.
 */
#include "net/ipv4/inet.h"

#include "lib/errno.h"

unsigned mask_prefix_len(in_addr_t mask)
{
	uint32_t m = ntohl(mask);
	unsigned n = 0;
	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	/* A prefix: n ones followed by zeros only. */
	uint32_t want = n ? ~0u << (32 - n) : 0;
	return m == want ? n : 33;
}

int route_table_add(struct route_table *t, in_addr_t dst, in_addr_t mask, in_addr_t gw, struct net_device *dev)
{
	if (mask_prefix_len(mask) > 32 || !dev)
		return -EINVAL;
	dst &= mask;
	struct route *free_slot = NULL;
	for (unsigned i = 0; i < ROUTE_MAX; i++) {
		struct route *r = &t->r[i];
		if (r->used && r->dst == dst && r->mask == mask) {
			r->gateway = gw;
			r->dev = dev;
			return 0;
		}
		if (!r->used && !free_slot)
			free_slot = r;
	}
	if (!free_slot)
		return -ENOSPC;
	*free_slot = (struct route){ .dst = dst, .mask = mask, .gateway = gw, .dev = dev, .used = true };
	return 0;
}

int route_table_del(struct route_table *t, in_addr_t dst, in_addr_t mask)
{
	for (unsigned i = 0; i < ROUTE_MAX; i++) {
		struct route *r = &t->r[i];
		if (r->used && r->dst == (dst & mask) && r->mask == mask) {
			r->used = false;
			return 0;
		}
	}
	return -ESRCH;
}

void route_table_flush_dev(struct route_table *t, struct net_device *dev)
{
	for (unsigned i = 0; i < ROUTE_MAX; i++)
		if (t->r[i].used && t->r[i].dev == dev)
			t->r[i].used = false;
}

const struct route *route_table_lookup(const struct route_table *t, in_addr_t dst)
{
	const struct route *best = NULL;
	unsigned best_len = 0;
	for (unsigned i = 0; i < ROUTE_MAX; i++) {
		const struct route *r = &t->r[i];
		if (!r->used || (dst & r->mask) != r->dst)
			continue;
		unsigned len = mask_prefix_len(r->mask);
		if (!best || len > best_len) {
			best = r;
			best_len = len;
		}
	}
	return best;
}
