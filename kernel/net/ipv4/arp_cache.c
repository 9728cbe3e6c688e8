/*
 * The ARP cache proper: a fixed table of neighbours with their state, timeouts and the frames
 * waiting for an answer. No locking and no sending here (arp.c does both), so the host unit
 * tests drive it with their own clock.
 */
#include "net/ipv4/inet.h"

#include "lib/errno.h"
#include "lib/string.h"

struct arp_entry *arp_cache_find(struct arp_cache *c, struct net_device *dev, in_addr_t ip)
{
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state != ARP_FREE && e->dev == dev && e->ip == ip)
			return e;
	}
	return NULL;
}

static void entry_free(struct arp_entry *e, struct sk_buff **dropped)
{
	if (e->pending) {
		struct sk_buff *last = e->pending;
		while (last->next)
			last = last->next;
		last->next = *dropped;
		*dropped = e->pending;
	}
	memset(e, 0, sizeof(*e));
}

/* A free slot, else the REACHABLE entry closest to expiry (unresolved ones are never evicted). */
static struct arp_entry *entry_alloc(struct arp_cache *c)
{
	struct arp_entry *victim = NULL;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state == ARP_FREE)
			return e;
		if (e->state == ARP_REACHABLE && (!victim || e->deadline_ns < victim->deadline_ns))
			victim = e;
	}
	if (victim) {
		struct sk_buff *none = NULL;
		entry_free(victim, &none);
	}
	return victim;
}

struct arp_entry *arp_cache_update(struct arp_cache *c, struct net_device *dev, in_addr_t ip,
				   const uint8_t mac[ETH_ALEN], bool create, uint64_t now,
				   struct sk_buff **pending)
{
	*pending = NULL;
	struct arp_entry *e = arp_cache_find(c, dev, ip);
	if (!e) {
		if (!create || !(e = entry_alloc(c)))
			return NULL;
		e->dev = dev;
		e->ip = ip;
	}
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_REACHABLE;
	e->deadline_ns = now + ARP_REACHABLE_NS;
	e->tries = 0;
	*pending = e->pending;
	e->pending = NULL;
	e->npending = 0;
	return e;
}

int arp_cache_queue(struct arp_cache *c, struct net_device *dev, in_addr_t ip, struct sk_buff *skb, uint64_t now)
{
	struct arp_entry *e = arp_cache_find(c, dev, ip);
	int ret = 0;
	if (!e) {
		if (!(e = entry_alloc(c)))
			return -ENOBUFS;
		e->dev = dev;
		e->ip = ip;
		e->state = ARP_INCOMPLETE;
		e->deadline_ns = now + ARP_RETRY_NS;
		e->tries = 1;
		ret = 1;
	}
	if (e->state != ARP_INCOMPLETE || e->npending >= ARP_PENDING_MAX)
		return e->state == ARP_INCOMPLETE ? -ENOBUFS : -EEXIST;
	skb->next = NULL;
	struct sk_buff **tail = &e->pending;
	while (*tail)
		tail = &(*tail)->next;
	*tail = skb;
	e->npending++;
	return ret;
}

unsigned arp_cache_tick(struct arp_cache *c, uint64_t now, void (*resend)(struct arp_entry *e, void *ctx),
			void *ctx, struct sk_buff **dropped)
{
	unsigned freed = 0;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state == ARP_FREE || now < e->deadline_ns)
			continue;
		if (e->state == ARP_INCOMPLETE && e->tries < ARP_MAX_TRIES) {
			e->tries++;
			e->deadline_ns = now + ARP_RETRY_NS;
			if (resend)
				resend(e, ctx);
			continue;
		}
		entry_free(e, dropped);
		freed++;
	}
	return freed;
}

void arp_cache_flush_dev(struct arp_cache *c, struct net_device *dev, struct sk_buff **dropped)
{
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (c->e[i].state != ARP_FREE && c->e[i].dev == dev)
			entry_free(&c->e[i], dropped);
}
