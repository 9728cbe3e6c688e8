/*
 * UDP (RFC 768): checksummed datagrams to bound endpoints, port unreachable for the rest,
 * broadcast delivery to every matching endpoint, ICMP errors handed to connected sockets. The
 * endpoints serve both kernel users (DHCP, tests: the udp_open family of calls below) and
 * AF_INET datagram sockets (udp_sock.c).
 *
 * udp_lock guards the endpoint table and the endpoints' addresses while they are in it; each
 * endpoint's queue has its own lock, taken inside udp_lock.
 */
#include "net/ipv4/udp.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

static spinlock_t udp_lock = SPINLOCK_INIT;
static struct udp_endpoint *udp_endpoints; /* newest first: the last to bind wins a tie */
static uint16_t udp_next_ephemeral = INET_EPHEMERAL_FIRST;

/* The device a socket is tied to by SO_BINDTODEVICE (0: none; kernel endpoints never are). */
static int udp_bound_dev(const struct udp_endpoint *ep)
{
	return ep->sock ? __atomic_load_n(&ep->sock->bound_ifindex, __ATOMIC_RELAXED) : 0;
}

/* How well ep matches a datagram saddr:sport -> daddr:dport that came in on ifindex; -1 when
 * not at all. A connected, specifically bound or device-bound endpoint beats a wildcard one,
 * as in Linux's compute_score. */
static int udp_score(const struct udp_endpoint *ep, in_addr_t saddr, uint16_t sport, in_addr_t daddr,
		     uint16_t dport, int ifindex)
{
	if (ep->port != dport)
		return -1;
	int score = 0;
	int bound = udp_bound_dev(ep);
	if (bound) {
		if (bound != ifindex)
			return -1;
		score += 1;
	}
	if (ep->laddr) {
		if (ep->laddr != daddr)
			return -1;
		score += 2;
	}
	if (ep->raddr) {
		if (ep->raddr != saddr || ep->rport != sport)
			return -1;
		score += 4;
	}
	return score;
}

/* Queues skb on ep (under udp_lock) or says it is full; true when taken. */
static bool udp_enqueue(struct udp_endpoint *ep, struct sk_buff *skb)
{
	return dgram_enqueue(&ep->rx, skb, ep->sock ? ep->sock->rcvbuf : SOCK_DEFAULT_BUF);
}

/* A broadcast is for unconnected endpoints bound to the wildcard or to it exactly (and to the
 * device it came in on, or to none). */
static bool udp_bcast_match(const struct udp_endpoint *e, in_addr_t daddr, uint16_t dport, int ifindex)
{
	int bound = udp_bound_dev(e);
	return e->port == dport && !e->raddr && (!e->laddr || e->laddr == daddr) &&
	       (!bound || bound == ifindex);
}

/* A broadcast goes to every endpoint that matches; copies are made before taking the lock. */
static void udp_deliver_broadcast(struct sk_buff *skb, const struct ipv4_info *ip, uint16_t dport)
{
	unsigned n = 0;
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next)
		if (udp_bcast_match(e, ip->daddr, dport, skb->dev->ifindex))
			n++;
	spin_unlock_irqrestore(&udp_lock, fl);
	if (n > 16)
		n = 16; /* FIXME: more listeners than this on one broadcast port miss it */
	struct sk_buff *copies[16];
	unsigned have = 0;
	for (; have + 1 < n; have++)
		if (!(copies[have] = skb_copy(skb)))
			break;
	if (n)
		copies[have++] = skb;
	unsigned used = 0;
	fl = spin_lock_irqsave(&udp_lock);
	for (struct udp_endpoint *e = udp_endpoints; e && used < have; e = e->next) {
		if (!udp_bcast_match(e, ip->daddr, dport, skb->dev->ifindex))
			continue;
		if (udp_enqueue(e, copies[used]))
			used++;
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	for (unsigned i = used; i < have; i++)
		skb_free(copies[i]);
	if (!n)
		skb_free(skb);
}

void udp_input(struct sk_buff *skb, const struct ipv4_info *ip)
{
	size_t ulen;
	inet_count(&inet_stats.udp_in);
	int r = udp_parse(skb->data, skb->len, ip->saddr, ip->daddr, skb_csum_valid(skb), &ulen);
	if (r < 0) {
		inet_count(&inet_stats.udp_bad_checksum);
		netdev_stat_add(&skb->dev->stats.rx_errors, 1);
		skb_free(skb);
		return;
	}
	skb_trim(skb, ulen);
	const struct udp_hdr *h = (const struct udp_hdr *)skb->data;
	uint16_t dport = ntohs(h->dest), sport = ntohs(h->source);
	if (ip_is_broadcast(skb->dev, ip->daddr)) {
		udp_deliver_broadcast(skb, ip, dport);
		return;
	}
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	struct udp_endpoint *best = NULL;
	int best_score = -1;
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next) {
		int s = udp_score(e, ip->saddr, sport, ip->daddr, dport, skb->dev->ifindex);
		if (s > best_score) {
			best = e;
			best_score = s;
		}
	}
	bool taken = best && udp_enqueue(best, skb);
	spin_unlock_irqrestore(&udp_lock, fl);
	if (taken)
		return;
	if (!best) {
		inet_count(&inet_stats.udp_no_port);
		icmp_send_error(skb, ip, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	}
	skb_free(skb);
}

void udp_icmp_error(const struct ip_hdr *q, const struct udp_hdr *uh, int err, bool hard)
{
	uint16_t sport = ntohs(uh->source), dport = ntohs(uh->dest);
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next) {
		if (e->port != sport || !e->sock || (e->laddr && e->laddr != q->saddr) ||
		    (e->raddr && (e->raddr != q->daddr || e->rport != dport)))
			continue;
		/* Without IP_RECVERR only a connected socket hears, and only of hard errors: an
		 * unconnected one cannot tell which of its sends failed. */
		if (!e->opts.recverr && (!hard || !e->raddr))
			continue;
		__atomic_store_n(&e->sock->error, err, __ATOMIC_RELEASE);
		wake_up_all(&e->rx.wq);
		break;
	}
	spin_unlock_irqrestore(&udp_lock, fl);
}

struct udp_endpoint *udp_ep_alloc(struct socket *sock)
{
	struct udp_endpoint *ep = kzalloc(sizeof(*ep));
	if (!ep)
		return NULL;
	dgram_init(&ep->rx);
	ep->rx.filter_min = sizeof(struct udp_hdr); /* as Linux: a filter cannot cut the header */
	ep->sock = sock;
	return ep;
}

struct port_probe {
	in_addr_t laddr;
	bool reuse;
};

/* Under udp_lock: whether binding port (with probe's address and reuse) would clash. */
static bool udp_port_taken(uint16_t port, void *ctx)
{
	const struct port_probe *pr = ctx;
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next)
		if (e->port == port && inet_bind_conflict(e->laddr, e->reuse, pr->laddr, pr->reuse))
			return true;
	return false;
}

/* An ephemeral port is never shared, even under SO_REUSEADDR (Linux picks a free one). */
static bool udp_port_used(uint16_t port, void *ctx)
{
	(void)ctx;
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next)
		if (e->port == port)
			return true;
	return false;
}

int udp_ep_bind(struct udp_endpoint *ep, in_addr_t laddr, uint16_t port, bool reuse)
{
	struct port_probe pr = { laddr, reuse };
	int err = 0;
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	if (ep->hashed)
		err = -EINVAL;
	else if (port == 0) {
		port = inet_port_pick(&udp_next_ephemeral, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST,
				      udp_port_used, NULL);
		if (!port)
			err = -EAGAIN;
	} else if (udp_port_taken(port, &pr)) {
		err = -EADDRINUSE;
	}
	if (!err) {
		ep->laddr = laddr;
		ep->port = port;
		ep->reuse = reuse;
		ep->hashed = true;
		ep->next = udp_endpoints;
		udp_endpoints = ep;
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	return err;
}

void udp_ep_set_peer(struct udp_endpoint *ep, in_addr_t laddr, in_addr_t raddr, uint16_t rport)
{
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	ep->laddr = laddr;
	ep->raddr = raddr;
	ep->rport = rport;
	spin_unlock_irqrestore(&udp_lock, fl);
}

void udp_ep_unhash(struct udp_endpoint *ep)
{
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	for (struct udp_endpoint **pp = &udp_endpoints; *pp; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	}
	ep->hashed = false;
	ep->port = 0;
	spin_unlock_irqrestore(&udp_lock, fl);
}

void udp_ep_free(struct udp_endpoint *ep)
{
	udp_ep_unhash(ep);
	dgram_purge(&ep->rx);
	kfree(ep);
}

/* The datagram from src, ready for IP (checksummed); NULL if out of memory. */
static struct sk_buff *udp_build(uint16_t sport, in_addr_t src, in_addr_t dst, uint16_t dport,
				 const void *data, size_t len)
{
	struct sk_buff *skb = skb_alloc(sizeof(struct udp_hdr) + len);
	if (!skb)
		return NULL;
	struct udp_hdr *h = (struct udp_hdr *)skb_put(skb, sizeof(*h));
	h->source = htons(sport);
	h->dest = htons(dport);
	h->len = htons((uint16_t)(sizeof(*h) + len));
	h->check = 0;
	memcpy(skb_put(skb, len), data, len);
	/* Partial: the device sums the datagram if it can, else netdev_xmit (or fragmentation)
	 * does; either way 0 goes out as 0xffff, since 0 means "no checksum" (RFC 768). */
	h->check = inet_pseudo_partial(src, dst, IPPROTO_UDP, skb->len);
	skb_set_csum_partial(skb, (uint8_t *)h, __builtin_offsetof(struct udp_hdr, check));
	return skb;
}

int udp_ep_send(struct udp_endpoint *ep, in_addr_t src, in_addr_t dst, uint16_t dport, const void *data,
		size_t len)
{
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dport == 0)
		return -EINVAL;
	/* The limited broadcast from a device-bound socket leaves through that device, whether
	 * or not it has an address yet (a DHCP client's case), as on Linux. */
	struct net_device *dev = NULL;
	if (dst == INADDR_BROADCAST && udp_bound_dev(ep)) {
		dev = netdev_get_by_index(udp_bound_dev(ep));
		if (!dev)
			return -ENODEV;
		if (!src)
			src = dev->ipv4_addr;
	}
	if (!src && !dev)
		src = ip_source_for(dst);
	if (!src && !dev)
		return -ENETUNREACH;
	struct sk_buff *skb = udp_build(ep->port, src, dst, dport, data, len);
	if (!skb) {
		if (dev)
			netdev_put(dev);
		return -ENOBUFS;
	}
	skb->ip_ttl = ep->opts.ttl;
	skb->ip_tos = ep->opts.tos;
	if (dev) {
		/* A broadcast: sent (or dropped) before this returns, so the reference can go. */
		int err = ip_output_dev(skb, dev, dst, src, dst, IPPROTO_UDP);
		netdev_put(dev);
		return err;
	}
	return ip_output(skb, src, dst, IPPROTO_UDP);
}

/* ---- kernel endpoints ---- */

struct udp_endpoint *udp_open(uint16_t port, int *err)
{
	struct udp_endpoint *ep = udp_ep_alloc(NULL);
	if (!ep) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = udp_ep_bind(ep, INADDR_ANY_NET, port, false);
	if (*err) {
		kfree(ep);
		return NULL;
	}
	return ep;
}

void udp_close(struct udp_endpoint *ep)
{
	udp_ep_free(ep);
}

uint16_t udp_local_port(const struct udp_endpoint *ep)
{
	return ep->port;
}

int udp_sendto(struct udp_endpoint *ep, in_addr_t dst, uint16_t dport, const void *data, size_t len)
{
	return udp_ep_send(ep, 0, dst, dport, data, len);
}

int udp_sendto_dev(struct udp_endpoint *ep, struct net_device *dev, in_addr_t dst, uint16_t dport,
		   const void *data, size_t len)
{
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dport == 0)
		return -EINVAL;
	struct sk_buff *skb = udp_build(ep->port, dev->ipv4_addr, dst, dport, data, len);
	if (!skb)
		return -ENOBUFS;
	return ip_output_dev(skb, dev, dst, dev->ipv4_addr, dst, IPPROTO_UDP);
}

ssize_t udp_recvfrom(struct udp_endpoint *ep, void *buf, size_t size, in_addr_t *src,
		     uint16_t *sport, uint64_t timeout_ns)
{
	struct sk_buff *skb = dgram_dequeue(&ep->rx);
	if (!skb) {
		wait_event_timeout(&ep->rx.wq, __atomic_load_n(&ep->rx.q.head, __ATOMIC_ACQUIRE) != NULL,
				   timeout_ns);
		skb = dgram_dequeue(&ep->rx);
		if (!skb)
			return -ETIMEDOUT;
	}
	const struct udp_hdr *h = (const struct udp_hdr *)skb->data;
	size_t n = skb->len - sizeof(*h);
	memcpy(buf, h + 1, n < size ? n : size);
	if (src)
		*src = ((const struct ip_hdr *)skb->network)->saddr;
	if (sport)
		*sport = ntohs(h->source);
	skb_free(skb);
	return (ssize_t)n;
}

size_t net_format_proc_udp(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	/* Linux pads every line to 127 characters plus the newline. */
	sb_printf_line(&s, 127, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops");
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	/*
	 * Addresses print as the raw network-order word, as Linux's %08X does on x86; state 01
	 * (TCP_ESTABLISHED) for a connected endpoint, 07 (TCP_CLOSE) otherwise; kernel endpoints
	 * belong to root and have no inode. "sl" is the port's slot in a 128-bucket table, the
	 * pointer hidden as under kptr_restrict.
	 */
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next) {
		uint64_t qf = spin_lock_irqsave(&e->rx.q.lock);
		size_t queued = e->rx.queued;
		spin_unlock_irqrestore(&e->rx.q.lock, qf);
		struct inode *ino = e->sock && e->sock->file ? e->sock->file->inode : NULL;
		sb_printf_line(&s, 127, "%5u: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %016llx %llu",
		    e->port & 127u, e->laddr, e->port, e->raddr, e->rport, e->raddr ? 1u : 7u, 0u,
		    (unsigned)queued, 0u, 0ul, 0u, ino ? (unsigned)ino->uid : 0u, 0,
		    ino ? (unsigned long)ino->ino : 0ul, 2, 0ull, (unsigned long long)e->rx.drops);
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	return sb_done(&s);
}
