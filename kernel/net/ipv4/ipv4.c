/*
 * IPv4 (RFC 791): validating and delivering incoming datagrams (reassembling fragments),
 * routing and sending outgoing ones (fragmenting to the device MTU), addresses of devices,
 * /proc/net/route. No forwarding: a datagram for another host is dropped.
 *
 * route_lock guards the routing table, reasm_lock the reassembly table.
 */
#include "net/ipv4/inet.h"
#include "net/tcp/tcp.h"
#include "net/ipv4/raw.h"

#include "console/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "time/clock.h"

struct inet_counters inet_stats;

static spinlock_t route_lock = SPINLOCK_INIT;
static struct route_table routes;
static spinlock_t reasm_lock = SPINLOCK_INIT;
static struct reasm_table reasm;
static uint16_t ip_next_id = 1;

bool ip_is_local(in_addr_t addr)
{
	if (netdev_has_ipv4_addr(addr))
		return true;
	/* All of 127/8 is the loopback's (RFC 1122). */
	return (ntohl(addr) >> 24) == 127;
}

bool ip_is_broadcast(struct net_device *dev, in_addr_t addr)
{
	if (addr == 0xffffffffu)
		return true;
	return dev && dev->ipv4_mask && dev->ipv4_mask != 0xffffffffu &&
	       addr == (dev->ipv4_addr | ~dev->ipv4_mask);
}

static void ip_deliver(struct sk_buff *skb, struct ipv4_info *ip)
{
	skb->network = skb->data;
	skb_pull(skb, ip->hdr_len);
	skb->transport = skb->data;
	if (ip->protocol == IPPROTO_ICMP)
		raw_input(skb, ip); /* raw ICMP sockets (ping as root) see every one, as on Linux */
	switch (ip->protocol) {
	case IPPROTO_ICMP:
		icmp_input(skb, ip);
		return;
	case IPPROTO_UDP:
		udp_input(skb, ip);
		return;
	case IPPROTO_TCP:
		tcp_input(skb, ip);
		return;
	default:
		if (!ip_is_broadcast(skb->dev, ip->daddr))
			icmp_send_error(skb, ip, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
		inet_count(&inet_stats.ip_in_dropped);
		skb_free(skb);
	}
}

/* One more fragment: the whole datagram comes back as a fresh buffer once complete. */
static void ip_reassemble(struct sk_buff *skb, struct ipv4_info *ip)
{
	uint8_t *payload = NULL;
	size_t plen = 0;
	uint64_t fl = spin_lock_irqsave(&reasm_lock);
	int r = reasm_add(&reasm, ip, skb->data, skb->data + ip->hdr_len, ip->tot_len - ip->hdr_len,
			  clock_monotonic_ns(), &payload, &plen);
	spin_unlock_irqrestore(&reasm_lock, fl);
	if (r != REASM_DONE) {
		if (r < 0)
			inet_count(&inet_stats.ip_in_dropped);
		skb_free(skb);
		return;
	}
	inet_count(&inet_stats.ip_reasm_ok);
	struct sk_buff *whole = skb_alloc(sizeof(struct ip_hdr) + plen);
	if (!whole) {
		kfree(payload);
		skb_free(skb);
		return;
	}
	whole->dev = skb->dev;
	whole->protocol = skb->protocol;
	/* The first header without options, describing the whole datagram now. */
	struct ip_hdr *h = (struct ip_hdr *)skb_put(whole, sizeof(*h));
	memcpy(h, skb->data, sizeof(*h));
	h->ver_ihl = 0x45;
	h->tot_len = htons((uint16_t)(sizeof(*h) + plen));
	h->frag_off = 0;
	memcpy(skb_put(whole, plen), payload, plen);
	kfree(payload);
	skb_free(skb);
	ip->hdr_len = sizeof(*h);
	ip->tot_len = (unsigned)(sizeof(*h) + plen);
	ip->frag_offset = 0;
	ip->more_fragments = false;
	ip_deliver(whole, ip);
}

void ip_input(struct sk_buff *skb)
{
	struct ipv4_info ip;
	inet_count(&inet_stats.ip_in);
	int r = ipv4_parse(skb->data, skb->len, &ip);
	if (r < 0) {
		inet_count(r == -DROP_CHECKSUM ? &inet_stats.ip_bad_checksum : &inet_stats.ip_bad_header);
		netdev_stat_add(&skb->dev->stats.rx_errors, 1);
		skb_free(skb);
		return;
	}
	skb_trim(skb, ip.tot_len); /* Ethernet pads short frames */
	bool bcast = ip_is_broadcast(skb->dev, ip.daddr);
	/* Martians: loopback addresses off the loopback device, a multicast or broadcast source. */
	bool martian = ntohl(ip.saddr) >= 0xe0000000u ||
		       (!(skb->dev->flags & IFF_LOOPBACK) &&
			((ntohl(ip.saddr) >> 24) == 127 || (ntohl(ip.daddr) >> 24) == 127));
	if ((!ip_is_local(ip.daddr) && !bcast) || martian) {
		inet_count(&inet_stats.ip_in_dropped);
		skb_free(skb);
		return;
	}
	if (ip.more_fragments || ip.frag_offset) {
		ip_reassemble(skb, &ip);
		return;
	}
	ip_deliver(skb, &ip);
}

static void ip_fill_header(struct ip_hdr *h, const struct sk_buff *skb, size_t tot, uint16_t id,
			   uint16_t frag, uint8_t proto, in_addr_t saddr, in_addr_t daddr)
{
	h->ver_ihl = 0x45;
	h->tos = skb->ip_tos;
	h->tot_len = htons((uint16_t)tot);
	h->id = htons(id);
	h->frag_off = htons(frag);
	h->ttl = skb->ip_ttl ? skb->ip_ttl : IP_DEFAULT_TTL;
	h->protocol = proto;
	h->check = 0;
	h->saddr = saddr;
	h->daddr = daddr;
	h->check = inet_checksum(h, sizeof(*h));
}

/* The device (counted: the caller puts it) and next hop for daddr: 0, or -ENETUNREACH. */
static int ip_route(in_addr_t daddr, struct net_device **dev, in_addr_t *nexthop)
{
	if (ip_is_local(daddr) && (*dev = netdev_loopback)) {
		netdev_hold(*dev);
		*nexthop = daddr;
		return 0;
	}
	uint64_t fl = spin_lock_irqsave(&route_lock);
	const struct route *r = route_table_lookup(&routes, daddr);
	if (r) {
		*dev = r->dev;
		netdev_hold(*dev); /* routed, so not yet flushed by unregister: alive */
		*nexthop = r->gateway ? r->gateway : daddr;
	}
	spin_unlock_irqrestore(&route_lock, fl);
	/* The limited broadcast leaves by the route's device but to every station on its link. */
	if (r && daddr == 0xffffffffu)
		*nexthop = daddr;
	return r ? 0 : -ENETUNREACH;
}

unsigned ip_route_features(in_addr_t daddr)
{
	struct net_device *dev;
	in_addr_t nh;
	if (ip_route(daddr, &dev, &nh) < 0)
		return 0;
	unsigned f = dev->features;
	netdev_put(dev);
	return f;
}

bool ip_route_is_broadcast(in_addr_t daddr)
{
	struct net_device *dev;
	in_addr_t nh;
	if (daddr == 0xffffffffu)
		return true;
	if (ip_route(daddr, &dev, &nh) < 0)
		return false;
	bool bc = ip_is_broadcast(dev, daddr);
	netdev_put(dev);
	return bc;
}

in_addr_t ip_source_for(in_addr_t daddr)
{
	struct net_device *dev;
	in_addr_t nh;
	if (ip_route(daddr, &dev, &nh) < 0)
		return 0;
	in_addr_t src = ip_is_local(daddr) && (ntohl(daddr) >> 24) != 127 ? daddr : dev->ipv4_addr;
	netdev_put(dev);
	return src;
}

int ip_output(struct sk_buff *skb, in_addr_t saddr, in_addr_t daddr, uint8_t protocol)
{
	struct net_device *dev;
	in_addr_t nexthop;
	if (ip_route(daddr, &dev, &nexthop) < 0) {
		skb_free(skb);
		return -ENETUNREACH;
	}
	/* Sent, queued for ARP (flushed at unregister) or dropped when this returns. */
	int err = ip_output_dev(skb, dev, nexthop, saddr, daddr, protocol);
	netdev_put(dev);
	return err;
}

int ip_output_dev(struct sk_buff *skb, struct net_device *dev, in_addr_t nexthop, in_addr_t saddr,
		  in_addr_t daddr, uint8_t protocol)
{
	if (!saddr)
		saddr = dev->ipv4_addr;
	size_t plen = skb->len;
	if (plen + sizeof(struct ip_hdr) > IP_MAX_PACKET) {
		skb_free(skb);
		return -EMSGSIZE;
	}
	uint16_t id = __atomic_fetch_add(&ip_next_id, 1, __ATOMIC_RELAXED);
	skb->dev = dev;
	inet_count(&inet_stats.ip_out);
	/* A TCP segment meant for segmentation (TSO, or netdev_xmit in software) leaves whole:
	 * each piece it is cut into fits the MTU. */
	if (plen + sizeof(struct ip_hdr) <= dev->mtu || skb->gso_size) {
		struct ip_hdr *h = (struct ip_hdr *)skb_push(skb, sizeof(*h));
		if (!h) {
			skb_free(skb);
			return -ENOBUFS;
		}
		ip_fill_header(h, skb, skb->len, id, 0, protocol, saddr, daddr);
		return arp_output(dev, nexthop, skb);
	}
	/* No device finishes a checksum spread over fragments: do it before cutting. */
	if (skb_csum_complete(skb) < 0) {
		skb_free(skb);
		return -EINVAL;
	}
	/* Fragments carry multiples of 8 bytes except the last (RFC 791). */
	size_t chunk = (dev->mtu - sizeof(struct ip_hdr)) & ~7ul;
	int err = 0;
	for (size_t off = 0; off < plen && !err; off += chunk) {
		size_t n = plen - off < chunk ? plen - off : chunk;
		bool more = off + n < plen;
		struct sk_buff *f = skb_alloc(sizeof(struct ip_hdr) + n);
		if (!f) {
			err = -ENOBUFS;
			break;
		}
		f->dev = dev;
		struct ip_hdr *h = (struct ip_hdr *)skb_put(f, sizeof(*h));
		memcpy(skb_put(f, n), skb->data + off, n);
		ip_fill_header(h, skb, sizeof(*h) + n, id, (uint16_t)((more ? IP_MF : 0) | (off / 8)), protocol,
			       saddr, daddr);
		inet_count(&inet_stats.ip_frag_created);
		err = arp_output(dev, nexthop, f);
	}
	skb_free(skb);
	return err;
}

int inet_route_add(in_addr_t dst, in_addr_t mask, in_addr_t gateway, struct net_device *dev)
{
	uint64_t fl = spin_lock_irqsave(&route_lock);
	/* netdev_unregister clears registered before ip_flush_dev takes this lock, so a device
	 * seen registered here has its routes flushed later; one seen gone gets none. */
	int err = __atomic_load_n(&dev->registered, __ATOMIC_SEQ_CST)
			  ? route_table_add(&routes, dst, mask, gateway, dev)
			  : -ENODEV;
	spin_unlock_irqrestore(&route_lock, fl);
	return err;
}

int inet_route_del(in_addr_t dst, in_addr_t mask)
{
	uint64_t fl = spin_lock_irqsave(&route_lock);
	int err = route_table_del(&routes, dst, mask);
	spin_unlock_irqrestore(&route_lock, fl);
	return err;
}

struct net_device *inet_onlink_dev(in_addr_t addr)
{
	struct net_device *dev = NULL;
	uint64_t fl = spin_lock_irqsave(&route_lock);
	const struct route *r = route_table_lookup(&routes, addr);
	if (r && !r->gateway) {
		dev = r->dev;
		netdev_hold(dev); /* routed, so not yet flushed by unregister: alive */
	}
	spin_unlock_irqrestore(&route_lock, fl);
	return dev;
}

unsigned inet_route_snapshot(struct inet_route_info *out, unsigned max)
{
	unsigned n = 0;
	uint64_t fl = spin_lock_irqsave(&route_lock);
	for (unsigned i = 0; i < ROUTE_MAX && n < max; i++) {
		const struct route *r = &routes.r[i];
		if (!r->used)
			continue;
		out[n++] = (struct inet_route_info){ r->dst, r->mask, r->gateway, r->dev->ifindex,
						     (r->dev->flags & IFF_LOOPBACK) != 0 };
	}
	spin_unlock_irqrestore(&route_lock, fl);
	return n;
}

void inet_clear_addr(struct net_device *dev)
{
	if (dev->ipv4_addr)
		inet_route_del(dev->ipv4_addr & dev->ipv4_mask, dev->ipv4_mask);
	dev->ipv4_addr = 0;
	dev->ipv4_mask = 0;
}

static void fmt_ip(char *s, size_t n, in_addr_t a)
{
	uint32_t v = ntohl(a);
	snprintf(s, n, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

int inet_set_addr(struct net_device *dev, in_addr_t addr, in_addr_t mask)
{
	if (mask_prefix_len(mask) > 32)
		return -EINVAL;
	dev->ipv4_addr = addr;
	dev->ipv4_mask = mask;
	int err = inet_route_add(addr & mask, mask, 0, dev);
	char a[16];
	fmt_ip(a, sizeof(a), addr);
	pr_info("net: %s: address %s/%u\n", dev->name, a, mask_prefix_len(mask));
	if (!(dev->flags & (IFF_LOOPBACK | IFF_NOARP)))
		arp_announce(dev);
	return err;
}

struct expired_list {
	uint8_t first[REASM_MAX_DATAGRAMS][28];
	unsigned n;
};

static void collect_expired(const uint8_t first[28], void *ctx)
{
	struct expired_list *l = ctx;
	memcpy(l->first[l->n++], first, 28);
}

void ip_tick(uint64_t now)
{
	struct expired_list l; /* small: on the stack, since tests tick too */
	l.n = 0;
	uint64_t fl = spin_lock_irqsave(&reasm_lock);
	reasm_expire(&reasm, now, collect_expired, &l);
	spin_unlock_irqrestore(&reasm_lock, fl);
	/* Fragment reassembly time exceeded, quoting the first fragment (RFC 792, RFC 1122 3.3.2). */
	for (unsigned i = 0; i < l.n; i++) {
		struct sk_buff *q = skb_alloc(28);
		if (!q)
			break;
		memcpy(skb_put(q, 28), l.first[i], 28);
		q->network = q->data;
		q->transport = q->data + 20;
		const struct ip_hdr *h = (const struct ip_hdr *)q->data;
		struct ipv4_info ip = { .saddr = h->saddr, .daddr = h->daddr, .protocol = h->protocol,
					.hdr_len = 20, .tot_len = 28 };
		/* Only for datagrams to one of our addresses (a broadcast gets none). */
		if (ip_is_local(ip.daddr))
			icmp_send_error(q, &ip, ICMP_TIME_EXCEEDED, 1);
		skb_free(q);
	}
}

void ip_flush_dev(struct net_device *dev)
{
	uint64_t fl = spin_lock_irqsave(&route_lock);
	route_table_flush_dev(&routes, dev);
	spin_unlock_irqrestore(&route_lock, fl);
}

size_t net_format_proc_route(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	/* Linux pads every line to 127 characters plus the newline. */
	sb_printf_line(&s, 127, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	uint64_t fl = spin_lock_irqsave(&route_lock);
	for (unsigned i = 0; i < ROUTE_MAX; i++) {
		const struct route *r = &routes.r[i];
		/* Linux keeps the loopback's routes in the local table, which this file does not show. */
		if (!r->used || (r->dev->flags & IFF_LOOPBACK))
			continue;
		unsigned flags = 0x1 | (r->gateway ? 0x2 : 0); /* RTF_UP, RTF_GATEWAY */
		sb_printf_line(&s, 127, "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", r->dev->name,
			       r->dst, r->gateway, flags, 0, 0u, 0, r->mask, 0, 0u, 0u);
	}
	spin_unlock_irqrestore(&route_lock, fl);
	return sb_done(&s);
}
