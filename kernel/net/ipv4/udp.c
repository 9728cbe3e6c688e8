/*
 * UDP (RFC 768): checksummed datagrams to kernel endpoints bound to ports, port unreachable
 * for the rest, broadcast delivery. The endpoints are what the AF_INET datagram sockets will
 * sit on.
 *
 * udp_lock guards the endpoint list; each endpoint's queue has its own lock.
 */
#include "net/ipv4/inet.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

#define UDP_QUEUE_MAX 64
#define UDP_EPHEMERAL_FIRST 32768 /* Linux's ip_local_port_range */
#define UDP_EPHEMERAL_LAST 60999

struct udp_endpoint {
	uint16_t port;
	struct skb_queue queue;
	struct waitqueue wq;
	uint64_t drops;
	struct udp_endpoint *next;
};

static spinlock_t udp_lock = SPINLOCK_INIT;
static struct udp_endpoint *udp_endpoints;
static uint16_t udp_next_ephemeral = UDP_EPHEMERAL_FIRST;

static struct udp_endpoint *udp_find(uint16_t port)
{
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next)
		if (e->port == port)
			return e;
	return NULL;
}

void udp_input(struct sk_buff *skb, const struct ipv4_info *ip)
{
	size_t ulen;
	inet_count(&inet_stats.udp_in);
	int r = udp_parse(skb->data, skb->len, ip->saddr, ip->daddr, &ulen);
	if (r < 0) {
		inet_count(&inet_stats.udp_bad_checksum);
		netdev_stat_add(&skb->dev->stats.rx_errors, 1);
		skb_free(skb);
		return;
	}
	skb_trim(skb, ulen);
	uint16_t dport = ntohs(((const struct udp_hdr *)skb->data)->dest);
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	struct udp_endpoint *ep = udp_find(dport);
	if (ep && ep->queue.len < UDP_QUEUE_MAX) {
		skb_queue_tail(&ep->queue, skb);
		skb = NULL;
		wake_up_all(&ep->wq);
	} else if (ep) {
		ep->drops++;
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	if (!skb)
		return;
	if (!ep) {
		inet_count(&inet_stats.udp_no_port);
		if (!ip_is_broadcast(skb->dev, ip->daddr))
			icmp_send_error(skb, ip, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	}
	skb_free(skb);
}

struct udp_endpoint *udp_open(uint16_t port, int *err)
{
	struct udp_endpoint *ep = kzalloc(sizeof(*ep));
	if (!ep) {
		*err = -ENOMEM;
		return NULL;
	}
	skb_queue_init(&ep->queue);
	waitqueue_init(&ep->wq);
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	if (port == 0) {
		for (unsigned tries = 0; tries <= UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST; tries++) {
			uint16_t p = udp_next_ephemeral++;
			if (udp_next_ephemeral > UDP_EPHEMERAL_LAST)
				udp_next_ephemeral = UDP_EPHEMERAL_FIRST;
			if (!udp_find(p)) {
				port = p;
				break;
			}
		}
	}
	*err = port == 0 ? -EAGAIN : udp_find(port) ? -EADDRINUSE : 0;
	if (!*err) {
		ep->port = port;
		ep->next = udp_endpoints;
		udp_endpoints = ep;
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	if (*err) {
		kfree(ep);
		return NULL;
	}
	return ep;
}

void udp_close(struct udp_endpoint *ep)
{
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	for (struct udp_endpoint **pp = &udp_endpoints; *pp; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	}
	spin_unlock_irqrestore(&udp_lock, fl);
	skb_queue_purge(&ep->queue);
	kfree(ep);
}

uint16_t udp_local_port(const struct udp_endpoint *ep)
{
	return ep->port;
}

/* The datagram from src, ready for IP (checksummed); NULL if out of memory. */
static struct sk_buff *udp_build(struct udp_endpoint *ep, in_addr_t src, in_addr_t dst, uint16_t dport,
				 const void *data, size_t len)
{
	struct sk_buff *skb = skb_alloc(sizeof(struct udp_hdr) + len);
	if (!skb)
		return NULL;
	struct udp_hdr *h = (struct udp_hdr *)skb_put(skb, sizeof(*h));
	h->source = htons(ep->port);
	h->dest = htons(dport);
	h->len = htons((uint16_t)(sizeof(*h) + len));
	h->check = 0;
	memcpy(skb_put(skb, len), data, len);
	uint16_t c = inet_pseudo_checksum(src, dst, IPPROTO_UDP, skb->data, skb->len);
	h->check = c ? c : 0xffff; /* 0 on the wire means "no checksum" (RFC 768) */
	return skb;
}

int udp_sendto(struct udp_endpoint *ep, in_addr_t dst, uint16_t dport, const void *data, size_t len)
{
	if (len > IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct udp_hdr))
		return -EMSGSIZE;
	if (dport == 0)
		return -EINVAL;
	in_addr_t src = ip_source_for(dst);
	if (!src)
		return -ENETUNREACH;
	struct sk_buff *skb = udp_build(ep, src, dst, dport, data, len);
	if (!skb)
		return -ENOBUFS;
	return ip_output(skb, src, dst, IPPROTO_UDP);
}

int udp_sendto_dev(struct udp_endpoint *ep, struct net_device *dev, in_addr_t dst, uint16_t dport,
		   const void *data, size_t len)
{
	if (len > IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct udp_hdr))
		return -EMSGSIZE;
	if (dport == 0)
		return -EINVAL;
	struct sk_buff *skb = udp_build(ep, dev->ipv4_addr, dst, dport, data, len);
	if (!skb)
		return -ENOBUFS;
	return ip_output_dev(skb, dev, dst, dev->ipv4_addr, dst, IPPROTO_UDP);
}

ssize_t udp_recvfrom(struct udp_endpoint *ep, void *buf, size_t size, in_addr_t *src,
		     uint16_t *sport, uint64_t timeout_ns)
{
	struct sk_buff *skb = skb_dequeue(&ep->queue);
	if (!skb) {
		wait_event_timeout(&ep->wq, __atomic_load_n(&ep->queue.head, __ATOMIC_ACQUIRE) != NULL, timeout_ns);
		skb = skb_dequeue(&ep->queue);
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
	size_t len = 0;
	/* Linux pads every line to 127 characters plus the newline. */
#define OUT(...)                                                                        \
	do {                                                                            \
		char line_[160];                                                        \
		snprintf(line_, sizeof(line_), __VA_ARGS__);                            \
		int n_ = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, "%-127s\n", line_); \
		if (n_ > 0)                                                             \
			len += (size_t)n_;                                              \
	} while (0)
	OUT("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops");
	uint64_t fl = spin_lock_irqsave(&udp_lock);
	/*
	 * Endpoints are bound to every address (0.0.0.0), unconnected (state 07, TCP_CLOSE as
	 * Linux shows UDP), owned by root, without an inode until sockets exist; "sl" is the
	 * port's slot in a 128-bucket table, the pointer hidden as under kptr_restrict.
	 */
	for (struct udp_endpoint *e = udp_endpoints; e; e = e->next) {
		size_t queued = 0;
		uint64_t qf = spin_lock_irqsave(&e->queue.lock);
		for (struct sk_buff *b = e->queue.head; b; b = b->next)
			queued += b->len;
		spin_unlock_irqrestore(&e->queue.lock, qf);
		OUT("%5u: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %016llx %llu",
		    e->port & 127u, 0u, e->port, 0u, 0u, 7u, 0u, (unsigned)queued, 0u, 0ul, 0u, 0u, 0, 0ul, 2,
		    0ull, (unsigned long long)e->drops);
	}
	spin_unlock_irqrestore(&udp_lock, fl);
#undef OUT
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len;
}
