/*
 * ARP (RFC 826) for IPv4 over Ethernet: answering requests for our addresses, resolving next
 * hops with a queue of frames waiting for the answer, retries and expiry (arp_cache.c), the
 * gratuitous announcement of a new address (RFC 5227), /proc/net/arp.
 *
 * arp_lock guards the cache; frames are sent with it held only for requests (the drivers'
 * xmit never takes it), queued frames go out after it is dropped.
 */
#include "net/ipv4/inet.h"

#include "console/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "time/clock.h"

static spinlock_t arp_lock = SPINLOCK_INIT;
static struct arp_cache arp_cache;
static const uint8_t zero_mac[ETH_ALEN];

static void arp_send(struct net_device *dev, uint16_t oper, const uint8_t *dst_mac, const uint8_t *tha,
		     in_addr_t tpa, in_addr_t spa)
{
	struct sk_buff *skb = skb_alloc(sizeof(struct arp_hdr));
	if (!skb)
		return;
	struct arp_hdr *a = (struct arp_hdr *)skb_put(skb, sizeof(*a));
	a->htype = htons(1);
	a->ptype = htons(ETH_P_IP);
	a->hlen = ETH_ALEN;
	a->plen = 4;
	a->oper = htons(oper);
	memcpy(a->sha, dev->mac, ETH_ALEN);
	memcpy(a->spa, &spa, 4);
	memcpy(a->tha, tha, ETH_ALEN);
	memcpy(a->tpa, &tpa, 4);
	eth_output(dev, skb, dst_mac, ETH_P_ARP);
}

static void send_all(struct net_device *dev, struct sk_buff *list, const uint8_t *mac)
{
	while (list) {
		struct sk_buff *n = list->next;
		list->next = NULL;
		eth_output(dev, list, mac, ETH_P_IP);
		list = n;
	}
}

static void drop_all(struct sk_buff *list)
{
	while (list) {
		struct sk_buff *n = list->next;
		if (list->dev)
			netdev_stat_add(&list->dev->stats.tx_dropped, 1);
		skb_free(list);
		list = n;
	}
}

void arp_input(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	inet_count(&inet_stats.arp_in);
	if (arp_parse(skb->data, skb->len) < 0) {
		inet_count(&inet_stats.arp_bad);
		skb_free(skb);
		return;
	}
	const struct arp_hdr *a = (const struct arp_hdr *)skb->data;
	in_addr_t spa, tpa;
	memcpy(&spa, a->spa, 4);
	memcpy(&tpa, a->tpa, 4);
	uint8_t sha[ETH_ALEN];
	memcpy(sha, a->sha, ETH_ALEN);
	uint16_t oper = ntohs(a->oper);
	bool for_us = dev->ipv4_addr && tpa == dev->ipv4_addr;
	/* A sender claiming a broadcast or multicast MAC or no address at all teaches us nothing. */
	if (spa && !(sha[0] & 1)) {
		struct sk_buff *pending;
		uint64_t fl = spin_lock_irqsave(&arp_lock);
		arp_cache_update(&arp_cache, dev, spa, sha, for_us, clock_monotonic_ns(), &pending);
		spin_unlock_irqrestore(&arp_lock, fl);
		send_all(dev, pending, sha);
	}
	if (oper == 1 && for_us)
		arp_send(dev, 2, sha, sha, spa, dev->ipv4_addr);
	skb_free(skb);
}

int arp_output(struct net_device *dev, in_addr_t nexthop, struct sk_buff *skb)
{
	if (dev->flags & (IFF_LOOPBACK | IFF_NOARP))
		return eth_output(dev, skb, zero_mac, ETH_P_IP);
	if (ip_is_broadcast(dev, nexthop))
		return eth_output(dev, skb, dev->broadcast, ETH_P_IP);
	uint64_t fl = spin_lock_irqsave(&arp_lock);
	struct arp_entry *e = arp_cache_find(&arp_cache, dev, nexthop);
	if (e && e->state == ARP_REACHABLE) {
		uint8_t mac[ETH_ALEN];
		memcpy(mac, e->mac, ETH_ALEN);
		spin_unlock_irqrestore(&arp_lock, fl);
		return eth_output(dev, skb, mac, ETH_P_IP);
	}
	/* netdev_unregister clears registered before arp_flush_dev takes this lock: a frame
	 * queued here is flushed with the device, and none is queued for a device already gone. */
	int r = __atomic_load_n(&dev->registered, __ATOMIC_SEQ_CST)
			? arp_cache_queue(&arp_cache, dev, nexthop, skb, clock_monotonic_ns())
			: -ENETDOWN;
	spin_unlock_irqrestore(&arp_lock, fl);
	if (r < 0) {
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return r == -ENETDOWN ? r : -ENOBUFS;
	}
	if (r == 1)
		arp_send(dev, 1, dev->broadcast, zero_mac, nexthop, dev->ipv4_addr);
	return 0;
}

void arp_announce(struct net_device *dev)
{
	/* A request for our own address (sender = target) updates every neighbour's cache. */
	arp_send(dev, 1, dev->broadcast, zero_mac, dev->ipv4_addr, dev->ipv4_addr);
}

struct resend_list {
	struct net_device *dev[ARP_CACHE_SIZE];
	in_addr_t ip[ARP_CACHE_SIZE];
	unsigned n;
};

static void collect_resend(struct arp_entry *e, void *ctx)
{
	struct resend_list *l = ctx;
	netdev_hold(e->dev); /* still cached, so not yet flushed by unregister: alive */
	l->dev[l->n] = e->dev;
	l->ip[l->n++] = e->ip;
}

void arp_tick(uint64_t now)
{
	struct resend_list l; /* under a kilobyte: on the stack, so any thread may tick */
	struct sk_buff *dropped = NULL;
	l.n = 0;
	uint64_t fl = spin_lock_irqsave(&arp_lock);
	arp_cache_tick(&arp_cache, now, collect_resend, &l, &dropped);
	spin_unlock_irqrestore(&arp_lock, fl);
	for (unsigned i = 0; i < l.n; i++) {
		arp_send(l.dev[i], 1, l.dev[i]->broadcast, zero_mac, l.ip[i], l.dev[i]->ipv4_addr);
		netdev_put(l.dev[i]);
	}
	/* Frames nobody answered for: their local senders learn the host is unreachable, as on Linux. */
	for (struct sk_buff *s = dropped; s; s = s->next) {
		struct ipv4_info ip;
		if (ipv4_parse(s->data, s->len, &ip) < 0 || !ip_is_local(ip.saddr))
			continue;
		s->network = s->data;
		s->transport = s->data + ip.hdr_len;
		icmp_send_error(s, &ip, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
	}
	drop_all(dropped);
}

void arp_flush_dev(struct net_device *dev)
{
	struct sk_buff *dropped = NULL;
	uint64_t fl = spin_lock_irqsave(&arp_lock);
	arp_cache_flush_dev(&arp_cache, dev, &dropped);
	spin_unlock_irqrestore(&arp_lock, fl);
	drop_all(dropped);
}

size_t net_format_proc_arp(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	sb_printf(&s, "IP address       HW type     Flags       HW address            Mask     Device\n");
	uint64_t fl = spin_lock_irqsave(&arp_lock);
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		const struct arp_entry *e = &arp_cache.e[i];
		if (e->state == ARP_FREE)
			continue;
		uint32_t ip = ntohl(e->ip);
		char ipstr[16], mac[18];
		snprintf(ipstr, sizeof(ipstr), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0], e->mac[1], e->mac[2],
			 e->mac[3], e->mac[4], e->mac[5]);
		/* Flags: ATF_COM (0x2) once resolved, as Linux. */
		sb_printf(&s, "%-16s 0x%-10x0x%-10x%-17s     *        %s\n", ipstr, 1, e->state == ARP_REACHABLE ? 2 : 0,
		    mac, e->dev->name);
	}
	spin_unlock_irqrestore(&arp_lock, fl);
	return sb_done(&s);
}
