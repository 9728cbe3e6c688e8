/*
 * ICMP (RFC 792): answering echo requests, reporting unreachable protocols and ports, and
 * icmp_ping for kernel users, which waits for the matching echo reply.
 */
#include "net/ipv4/inet.h"
#include "net/ipv4/ping.h"
#include "net/ipv4/udp.h"

#include "arch/x86_64/percpu.h"
#include "console/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

/* Outstanding pings (few: tests and, later, the ping socket). */
#define PING_MAX 8
struct ping_wait {
	bool used, answered;
	int error;            /* with answered: a destination unreachable came instead (-errno) */
	in_addr_t dst;
	uint16_t id, seq;
	size_t len;
	uint64_t answered_ns;
};
static spinlock_t ping_lock = SPINLOCK_INIT;
static struct ping_wait pings[PING_MAX];
static struct waitqueue ping_wq = { SPINLOCK_INIT, NULL, NULL };

/* Unreachable codes as the errors Linux's ping sockets report (RFC 792 codes 0-3). */
static int unreach_errno(uint8_t code)
{
	switch (code) {
	case 0: return -ENETUNREACH;
	case 1: return -EHOSTUNREACH;
	case 2: return -ENOPROTOOPT;
	default: return -ECONNREFUSED;
	}
}

/*
 * An error quoting one of our UDP datagrams or ping-socket echo requests goes to the socket
 * that sent it, with Linux's errno and "hard" flag (icmp_err_convert): hard errors reach
 * connected sockets, all of them sockets with IP_RECVERR. FIXME: codes 7 and 8 (EHOSTDOWN,
 * ENONET) and path MTU discovery.
 */
static void icmp_error_for_sockets(const struct icmp_hdr *h, size_t len)
{
	if ((h->type != ICMP_DEST_UNREACH && h->type != ICMP_TIME_EXCEEDED) ||
	    len < sizeof(*h) + sizeof(struct ip_hdr) + 8)
		return;
	const struct ip_hdr *q = (const struct ip_hdr *)(h + 1);
	unsigned qhl = (q->ver_ihl & 0xf) * 4u;
	if (q->ver_ihl >> 4 != 4 || qhl < sizeof(*q) || len < sizeof(*h) + qhl + 8 ||
	    (q->protocol != IPPROTO_UDP && q->protocol != IPPROTO_ICMP))
		return;
	int err;
	bool hard = false;
	if (h->type == ICMP_TIME_EXCEEDED) {
		err = -EHOSTUNREACH;
	} else {
		switch (h->code) {
		case ICMP_NET_UNREACH: err = -ENETUNREACH; break;
		case ICMP_HOST_UNREACH: err = -EHOSTUNREACH; break;
		case ICMP_PROT_UNREACH: err = -ENOPROTOOPT; hard = true; break;
		case ICMP_PORT_UNREACH: err = -ECONNREFUSED; hard = true; break;
		case 5: err = -EOPNOTSUPP; break;                     /* source route failed */
		case 6: case 9: err = -ENETUNREACH; hard = true; break; /* unknown, prohibited */
		case 10: case 13: case 14: case 15: err = -EHOSTUNREACH; hard = true; break;
		case 11: err = -ENETUNREACH; break;
		case 12: err = -EHOSTUNREACH; break;
		default: return;
		}
	}
	const uint8_t *inner = (const uint8_t *)q + qhl;
	if (q->protocol == IPPROTO_UDP)
		udp_icmp_error(q, (const struct udp_hdr *)inner, err, hard);
	else if (((const struct icmp_hdr *)inner)->type == ICMP_ECHO)
		ping_icmp_error(q, (const struct icmp_hdr *)inner, err, hard);
}

/* An error quoting one of our echo requests ends that ping with the matching errno. */
static void icmp_error_for_ping(const struct icmp_hdr *h, size_t len)
{
	if (h->type != ICMP_DEST_UNREACH || len < sizeof(*h) + sizeof(struct ip_hdr) + 8)
		return;
	const struct ip_hdr *q = (const struct ip_hdr *)(h + 1);
	unsigned qhl = (q->ver_ihl & 0xf) * 4u;
	if (q->ver_ihl >> 4 != 4 || qhl < sizeof(*q) || len < sizeof(*h) + qhl + 8 || q->protocol != IPPROTO_ICMP)
		return;
	const struct icmp_hdr *echo = (const struct icmp_hdr *)((const uint8_t *)q + qhl);
	if (echo->type != ICMP_ECHO)
		return;
	uint64_t fl = spin_lock_irqsave(&ping_lock);
	for (unsigned i = 0; i < PING_MAX; i++) {
		struct ping_wait *p = &pings[i];
		if (p->used && !p->answered && p->dst == q->daddr && p->id == ntohs(echo->id) &&
		    p->seq == ntohs(echo->seq)) {
			p->error = unreach_errno(h->code);
			p->answered = true;
		}
	}
	spin_unlock_irqrestore(&ping_lock, fl);
	wake_up_all(&ping_wq);
}

static void icmp_echo_reply_in(const struct icmp_hdr *h, size_t len, in_addr_t src)
{
	uint64_t fl = spin_lock_irqsave(&ping_lock);
	for (unsigned i = 0; i < PING_MAX; i++) {
		struct ping_wait *p = &pings[i];
		if (p->used && !p->answered && p->dst == src && p->id == ntohs(h->id) &&
		    p->seq == ntohs(h->seq) && p->len == len) {
			p->answered = true;
			p->answered_ns = clock_monotonic_ns();
		}
	}
	spin_unlock_irqrestore(&ping_lock, fl);
	wake_up_all(&ping_wq);
}

void icmp_input(struct sk_buff *skb, const struct ipv4_info *ip)
{
	inet_count(&inet_stats.icmp_in);
	if (icmp_parse(skb->data, skb->len) < 0) {
		inet_count(&inet_stats.icmp_bad);
		skb_free(skb);
		return;
	}
	const struct icmp_hdr *h = (const struct icmp_hdr *)skb->data;
	switch (h->type) {
	case ICMP_ECHO: {
		/* Broadcast pings are ignored, as Linux's icmp_echo_ignore_broadcasts default. */
		if (ip_is_broadcast(skb->dev, ip->daddr) || h->code != 0)
			break;
		struct sk_buff *r = skb_alloc(skb->len);
		if (!r)
			break;
		struct icmp_hdr *rh = (struct icmp_hdr *)skb_put(r, skb->len);
		memcpy(rh, skb->data, skb->len);
		rh->type = ICMP_ECHOREPLY;
		rh->check = 0;
		rh->check = inet_checksum(rh, r->len);
		ip_output(r, ip->daddr, ip->saddr, IPPROTO_ICMP);
		break;
	}
	case ICMP_ECHOREPLY:
		if (!ping_input(skb, ip)) /* a ping socket's identifier, else maybe a kernel ping's */
			icmp_echo_reply_in(h, skb->len, ip->saddr);
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
		/* Kernel pings and connected UDP sockets hear about their own datagrams. */
		inet_count(&inet_stats.icmp_errors_in);
		icmp_error_for_ping(h, skb->len);
		icmp_error_for_sockets(h, skb->len);
		break;
	default:
		break;
	}
	skb_free(skb);
}

/*
 * Error messages are rate-limited by a token bucket (Linux's icmp_msgs_per_sec and
 * icmp_msgs_burst defaults: 1000 per second, bursts of 50), so a flood of datagrams to closed
 * ports cannot turn the stack into a reflector.
 */
static spinlock_t icmp_bucket_lock = SPINLOCK_INIT;
static struct ratelimit icmp_bucket = { .rate = 1000, .burst = 50 };
uint64_t icmp_errors_limited, icmp_errors_sent;

static bool icmp_error_allowed(void)
{
	uint64_t fl = spin_lock_irqsave(&icmp_bucket_lock);
	bool ok = ratelimit_take(&icmp_bucket, clock_monotonic_ns());
	if (ok)
		icmp_errors_sent++;
	else
		icmp_errors_limited++;
	spin_unlock_irqrestore(&icmp_bucket_lock, fl);
	return ok;
}

void icmp_send_error(struct sk_buff *orig, const struct ipv4_info *ip, uint8_t type, uint8_t code)
{
	/* Never about an ICMP error, a broadcast or a later fragment (RFC 1122 3.2.2). */
	if (ip->frag_offset || ip_is_broadcast(orig->dev, ip->daddr) || !orig->network)
		return;
	if (ip->protocol == IPPROTO_ICMP && orig->transport) {
		uint8_t t = orig->transport[0];
		if (t != ICMP_ECHO && t != ICMP_ECHOREPLY)
			return;
	}
	if (!icmp_error_allowed())
		return;
	/* The offending header and the first 8 bytes of what it carried. */
	size_t quote = ip->hdr_len + 8;
	if (quote > ip->tot_len)
		quote = ip->tot_len;
	struct sk_buff *skb = skb_alloc(sizeof(struct icmp_hdr) + quote);
	if (!skb)
		return;
	struct icmp_hdr *h = (struct icmp_hdr *)skb_put(skb, sizeof(*h));
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->code = code;
	memcpy(skb_put(skb, quote), orig->network, quote);
	h->check = inet_checksum(skb->data, skb->len);
	/* From the address the datagram was for when that is ours, else from the outgoing device's. */
	ip_output(skb, ip_is_local(ip->daddr) ? ip->daddr : 0, ip->saddr, IPPROTO_ICMP);
}

int icmp_ping(in_addr_t dst, uint16_t id, uint16_t seq, size_t payload_len, uint64_t timeout_ns,
	      uint64_t *rtt_ns)
{
	if (payload_len > IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct icmp_hdr))
		return -EMSGSIZE;
	size_t len = sizeof(struct icmp_hdr) + payload_len;
	struct ping_wait *slot = NULL;
	uint64_t fl = spin_lock_irqsave(&ping_lock);
	for (unsigned i = 0; i < PING_MAX && !slot; i++)
		if (!pings[i].used)
			slot = &pings[i];
	if (slot)
		*slot = (struct ping_wait){ .used = true, .dst = dst, .id = id, .seq = seq, .len = len };
	spin_unlock_irqrestore(&ping_lock, fl);
	if (!slot)
		return -EAGAIN;

	int err = -ENOBUFS;
	struct sk_buff *skb = skb_alloc(len);
	if (skb) {
		struct icmp_hdr *h = (struct icmp_hdr *)skb_put(skb, len);
		h->type = ICMP_ECHO;
		h->code = 0;
		h->check = 0;
		h->id = htons(id);
		h->seq = htons(seq);
		uint8_t *data = (uint8_t *)(h + 1);
		for (size_t i = 0; i < payload_len; i++)
			data[i] = (uint8_t)(i + seq);
		h->check = inet_checksum(h, len);
		uint64_t start = clock_monotonic_ns();
		err = ip_output(skb, 0, dst, IPPROTO_ICMP);
		if (!err) {
			bool ok = wait_event_timeout(&ping_wq, __atomic_load_n(&slot->answered, __ATOMIC_ACQUIRE),
						     timeout_ns);
			err = !ok ? -ETIMEDOUT : slot->error;
			if (ok && !err && rtt_ns)
				*rtt_ns = slot->answered_ns - start;
		}
	}
	fl = spin_lock_irqsave(&ping_lock);
	slot->used = false;
	spin_unlock_irqrestore(&ping_lock, fl);
	return err;
}
