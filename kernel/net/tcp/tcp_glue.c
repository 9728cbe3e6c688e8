/*
 * TCP between the engine and the rest of the kernel: the table of sockets (listeners and
 * 4-tuple lookup), segments in from IPv4 and out through ip_output, resets for closed ports,
 * listeners' children, the timer thread that runs the engine's deadlines, and /proc/net/tcp.
 */
#include "net/tcp/tcp_internal.h"

#include "arch/x86_64/percpu.h"
#include "console/console.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "time/timer.h"

#define TCP_EPHEMERAL_FIRST 32768 /* Linux's ip_local_port_range */
#define TCP_EPHEMERAL_LAST 60999
#define TCP_TIMER_MAX_SLEEP (1000 * TCP_MS)
#define TCP_SYN_BACKLOG 256 /* handshakes in progress per listener */

struct mutex tcp_lock = MUTEX_INIT;
struct tcp_sock *tcp_table;
static uint16_t next_ephemeral = TCP_EPHEMERAL_FIRST;
static struct waitqueue timer_wq;
static bool timer_kicked;
static uint64_t timer_wake_at = UINT64_MAX;

static struct {
	uint64_t in, bad, resets_sent, active_opens, passive_opens, listen_drops;
} tcp_stats;

struct tcp_sock *tcp_sock_alloc(uint32_t sndbuf, uint32_t rcvbuf)
{
	struct tcp_sock *ts = kzalloc(sizeof(*ts));
	if (!ts)
		return NULL;
	/* Half of SO_SNDBUF/SO_RCVBUF holds data: Linux doubles the request for its overhead. */
	ts->sndbuf = sndbuf / 2 < 2048 ? 2048 : sndbuf / 2;
	ts->rcvbuf = rcvbuf / 2 < 2048 ? 2048 : rcvbuf / 2;
	tcp_cb_init(&ts->cb, &tcp_glue_ops, ts, ts->sndbuf, ts->rcvbuf);
	ts->cb.ts_off = tcp_new_iss(); /* TSval starts anywhere: it must not tell our uptime */
	waitqueue_init(&ts->wq);
	ts->next = tcp_table;
	tcp_table = ts;
	return ts;
}

static void unlink_child(struct tcp_sock *ts)
{
	struct tcp_sock *p = ts->parent;
	if (!p)
		return;
	if (ts->queued) {
		for (struct tcp_sock **pp = &p->acc_head; *pp; pp = &(*pp)->acc_next) {
			if (*pp == ts) {
				*pp = ts->acc_next;
				break;
			}
		}
		p->acc_tail = NULL;
		for (struct tcp_sock *c = p->acc_head; c; c = c->acc_next)
			p->acc_tail = c;
		ts->queued = false;
		p->acc_len--;
	}
	p->nchildren--;
	ts->parent = NULL;
}

void tcp_sock_reap(struct tcp_sock *ts)
{
	if (ts->sock || ts->cb.state != TCP_CLOSE)
		return;
	unlink_child(ts);
	for (struct tcp_sock **pp = &tcp_table; *pp; pp = &(*pp)->next) {
		if (*pp == ts) {
			*pp = ts->next;
			break;
		}
	}
	tcp_cb_destroy(&ts->cb);
	kfree(ts);
}

void tcp_timer_kick(struct tcp_sock *ts)
{
	if (tcp_cb_next_deadline(&ts->cb) < __atomic_load_n(&timer_wake_at, __ATOMIC_RELAXED)) {
		__atomic_store_n(&timer_kicked, true, __ATOMIC_RELEASE);
		wake_up_all(&timer_wq);
	}
}

uint16_t tcp_mss_for(in_addr_t daddr)
{
	/* The loopback's MTU is 64 KiB, but an IPv4 datagram stops at 65535 bytes. */
	if (ip_is_local(daddr))
		return IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct tcp_hdr);
	/* FIXME: the route's device MTU; every device here is Ethernet. */
	return ETH_DATA_LEN - sizeof(struct ip_hdr) - sizeof(struct tcp_hdr);
}

uint32_t tcp_tso_for(in_addr_t daddr)
{
	/* Whole IPv4 datagrams (room left for the largest options), cut by the device. */
	if (!(ip_route_features(daddr) & NETIF_F_TSO))
		return 0;
	return IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct tcp_hdr) - TCP_OPT_MAX;
}

uint32_t tcp_new_iss(void)
{
	uint32_t r;
	get_random_bytes(&r, sizeof(r));
	return r;
}

bool tcp_port_conflict(const struct tcp_sock *self, in_addr_t addr, uint16_t port, bool reuse)
{
	for (struct tcp_sock *t = tcp_table; t; t = t->next) {
		if (t == self || t->lport != port || (t->cb.state == TCP_CLOSE && !t->sock))
			continue;
		if (t->laddr && addr && t->laddr != addr)
			continue;
		/* SO_REUSEADDR on both shares a port with connections and TIME-WAIT, never with a
		 * listener (Linux's inet_csk_bind_conflict). */
		bool other = t->sock && t->cb.state == TCP_CLOSE ? t->sock->reuseaddr : t->reuse;
		if (reuse && other && t->cb.state != TCP_LISTEN)
			continue;
		return true;
	}
	return false;
}

uint16_t tcp_pick_port(void)
{
	for (unsigned tries = 0; tries <= TCP_EPHEMERAL_LAST - TCP_EPHEMERAL_FIRST; tries++) {
		uint16_t p = next_ephemeral++;
		if (next_ephemeral > TCP_EPHEMERAL_LAST)
			next_ephemeral = TCP_EPHEMERAL_FIRST;
		bool used = false;
		for (struct tcp_sock *t = tcp_table; t && !used; t = t->next)
			used = t->lport == p;
		if (!used)
			return p;
	}
	return 0;
}

/* ---- output ---- */

/* mss: the connection's (0 for a reset to a closed port); a segment with more data than one
 * MSS is marked for segmentation (TSO or netdev_xmit's). */
static void send_segment(in_addr_t saddr, in_addr_t daddr, uint16_t sport, uint16_t dport, const struct tcp_out *o,
			 const struct tcp_ring *src, uint32_t off, uint32_t len, uint16_t mss)
{
	uint8_t opts[TCP_OPT_MAX];
	size_t optlen = tcp_opt_build(opts, o);
	struct sk_buff *skb = skb_alloc(sizeof(struct tcp_hdr) + optlen + len);
	if (!skb)
		return;
	struct tcp_hdr *h = (struct tcp_hdr *)skb_put(skb, sizeof(*h));
	h->source = htons(sport);
	h->dest = htons(dport);
	h->seq = htonl(o->seq);
	h->ack = htonl(o->flags & TCPF_ACK ? o->ack : 0);
	h->doff = (uint8_t)(((sizeof(*h) + optlen) / 4) << 4);
	h->flags = o->flags;
	h->window = htons(o->wnd);
	h->check = 0;
	h->urg = 0;
	memcpy(skb_put(skb, optlen), opts, optlen);
	if (len)
		tcp_ring_peek(src, off, skb_put(skb, len), len);
	/* Partial: the device sums the segment if it can, else netdev_xmit does. */
	h->check = inet_pseudo_partial(saddr, daddr, IPPROTO_TCP, skb->len);
	skb_set_csum_partial(skb, (uint8_t *)h, __builtin_offsetof(struct tcp_hdr, check));
	/* The connection's MSS already leaves room for the options every segment carries
	 * (timestamps), and a segment longer than one MSS carries no SACK blocks: each piece
	 * is one MSS of data under the same header. */
	if (mss && len > mss)
		skb->gso_size = mss;
	if (o->flags & TCPF_RST)
		tcp_stats.resets_sent++;
	ip_output(skb, saddr, daddr, IPPROTO_TCP);
}

static void glue_emit(struct tcp_cb *cb, const struct tcp_out *o, const struct tcp_ring *src, uint32_t off,
		      uint32_t len)
{
	struct tcp_sock *ts = cb->ctx;
	send_segment(ts->laddr, ts->raddr, ts->lport, ts->rport, o, src, off, len, cb->mss);
}

static void glue_notify(struct tcp_cb *cb, unsigned ev)
{
	struct tcp_sock *ts = cb->ctx;
	if ((ev & TCP_EV_ERROR) && cb->err && ts->sock) {
		__atomic_store_n(&ts->sock->error, -cb->err, __ATOMIC_RELEASE);
		cb->err = 0;
	}
	struct tcp_sock *p = ts->parent;
	if ((ev & TCP_EV_STATE) && p && !ts->queued &&
	    (cb->state == TCP_ESTABLISHED || cb->state == TCP_CLOSE_WAIT)) {
		/* The handshake is done: the child waits in its listener's accept queue. */
		ts->queued = true;
		ts->acc_next = NULL;
		if (p->acc_tail)
			p->acc_tail->acc_next = ts;
		else
			p->acc_head = ts;
		p->acc_tail = ts;
		p->acc_len++;
		wake_up_all(&p->wq);
	}
	if ((ev & TCP_EV_STATE) && p && cb->state == TCP_CLOSE)
		unlink_child(ts);
	wake_up_all(&ts->wq);
}

const struct tcp_cb_ops tcp_glue_ops = { .emit = glue_emit, .notify = glue_notify };

/* ---- input ---- */

static struct tcp_sock *lookup(in_addr_t saddr, uint16_t sport, in_addr_t daddr, uint16_t dport)
{
	struct tcp_sock *listener = NULL;
	for (struct tcp_sock *t = tcp_table; t; t = t->next) {
		if (t->lport != dport)
			continue;
		if (t->cb.state == TCP_LISTEN) {
			if ((!t->laddr || t->laddr == daddr) && (!listener || t->laddr))
				listener = t;
		} else if (t->cb.state != TCP_CLOSE && t->rport == sport && t->raddr == saddr && t->laddr == daddr) {
			return t;
		}
	}
	return listener;
}

static void reply_reset(const struct ipv4_info *ip, uint16_t sport, uint16_t dport, const struct tcp_seg *seg)
{
	struct tcp_out o;
	if (tcp_reset_reply(seg, &o))
		send_segment(ip->daddr, ip->saddr, dport, sport, &o, NULL, 0, 0, 0);
}

/* A SYN for a listener: a child connection in SYN-RECEIVED, unless the backlog is full. */
static void listen_syn(struct tcp_sock *l, const struct ipv4_info *ip, uint16_t sport, const struct tcp_seg *seg,
		       uint64_t now)
{
	/*
	 * A SYN is dropped while the accept queue is full or too many handshakes are under way;
	 * the peer's retransmission tries again. Unlike Linux, a handshake that completes is
	 * always queued: its last ACK often carries the first data, and a peer whose data is
	 * dropped backs off for much longer than one whose SYN is (QEMU's slirp: tens of s).
	 */
	if ((int)l->acc_len > l->backlog || l->nchildren - l->acc_len >= TCP_SYN_BACKLOG) {
		tcp_stats.listen_drops++;
		return;
	}
	struct tcp_sock *c = tcp_sock_alloc(l->sock ? l->sock->sndbuf : SOCK_DEFAULT_BUF,
					    l->sock ? l->sock->rcvbuf : SOCK_DEFAULT_BUF);
	if (!c)
		return;
	c->laddr = ip->daddr;
	c->raddr = ip->saddr;
	c->lport = l->lport;
	c->rport = sport;
	c->parent = l;
	c->conn = TS_CONNECTED;
	c->reuse = l->reuse;
	c->cb.nodelay = l->cb.nodelay;
	c->cb.keepalive = l->sock && l->sock->keepalive;
	c->cb.ka_idle = l->cb.ka_idle;
	c->cb.ka_intvl = l->cb.ka_intvl;
	c->cb.ka_cnt = l->cb.ka_cnt;
	c->uid = l->uid;
	l->nchildren++;
	tcp_stats.passive_opens++;
	tcp_cb_listen(&c->cb, tcp_new_iss(), tcp_mss_for(ip->saddr));
	c->cb.tso_max = tcp_tso_for(ip->saddr);
	tcp_cb_input(&c->cb, seg, now);
	if (c->cb.state == TCP_LISTEN)
		tcp_set_state(&c->cb, TCP_CLOSE);
	tcp_timer_kick(c);
	tcp_sock_reap(c);
}

void tcp_input(struct sk_buff *skb, const struct ipv4_info *ip)
{
	struct tcp_seg seg;
	uint16_t sport, dport;
	tcp_stats.in++;
	if (ip_is_broadcast(skb->dev, ip->daddr) || ntohl(ip->daddr) >= 0xe0000000u ||
	    (!skb_csum_valid(skb) && inet_pseudo_checksum(ip->saddr, ip->daddr, IPPROTO_TCP, skb->data, skb->len) != 0) ||
	    tcp_seg_parse(skb->data, skb->len, &seg, &sport, &dport) < 0) {
		tcp_stats.bad++;
		skb_free(skb);
		return;
	}
	sport = ntohs(sport);
	dport = ntohs(dport);
	uint64_t now = clock_monotonic_ns();
	mutex_lock(&tcp_lock);
	struct tcp_sock *ts = lookup(ip->saddr, sport, ip->daddr, dport);
	if (!ts) {
		reply_reset(ip, sport, dport, &seg);
	} else if (ts->cb.state == TCP_LISTEN) {
		if (seg.flags & TCPF_RST)
			; /* nothing to reset */
		else if (seg.flags & TCPF_ACK)
			reply_reset(ip, sport, dport, &seg);
		else if (seg.flags & TCPF_SYN)
			listen_syn(ts, ip, sport, &seg, now);
	} else {
		tcp_cb_input(&ts->cb, &seg, now);
		tcp_timer_kick(ts);
		tcp_sock_reap(ts);
	}
	mutex_unlock(&tcp_lock);
	skb_free(skb);
}

/* ---- timers ---- */

static void timer_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t now = clock_monotonic_ns();
		uint64_t next = now + TCP_TIMER_MAX_SLEEP;
		mutex_lock(&tcp_lock);
		for (struct tcp_sock *t = tcp_table, *n; t; t = n) {
			n = t->next;
			if (t->sock)
				t->cb.keepalive = t->sock->keepalive;
			if (tcp_cb_next_deadline(&t->cb) <= now || (t->cb.keepalive && !t->cb.t_keep)) {
				tcp_cb_tick(&t->cb, now);
				/* The tick may free a listener's child, never a socket further on. */
				n = t->next;
				tcp_sock_reap(t);
			}
		}
		for (struct tcp_sock *t = tcp_table; t; t = t->next) {
			uint64_t d = tcp_cb_next_deadline(&t->cb);
			if (d < next)
				next = d;
		}
		__atomic_store_n(&timer_wake_at, next, __ATOMIC_RELAXED);
		__atomic_store_n(&timer_kicked, false, __ATOMIC_RELAXED);
		mutex_unlock(&tcp_lock);
		now = clock_monotonic_ns();
		if (next > now)
			wait_event_timeout(&timer_wq, __atomic_load_n(&timer_kicked, __ATOMIC_ACQUIRE), next - now);
	}
}

/* ---- /proc/net/tcp ---- */

static void ip_hex(char *s, in_addr_t a)
{
	snprintf(s, 9, "%08X", a); /* as the raw word, the way Linux prints it */
}

size_t net_format_proc_tcp(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	/* Linux pads every line to 149 characters plus the newline. */
	sb_printf_line(&s, 149, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	uint64_t now = clock_monotonic_ns();
	mutex_lock(&tcp_lock);
	unsigned sl = 0;
	for (struct tcp_sock *t = tcp_table; t; t = t->next) {
		if (t->cb.state == TCP_CLOSE)
			continue;
		char la[9], ra[9];
		ip_hex(la, t->laddr);
		ip_hex(ra, t->raddr);
		/* tr: 1 retransmit timer, 2 keep-alive, 3 TIME-WAIT, 0 none; when in jiffies (1/100 s here). */
		unsigned tr = 0;
		uint64_t when = 0;
		if (t->cb.t_rto)
			tr = 1, when = t->cb.t_rto;
		else if (t->cb.t_wait)
			tr = 3, when = t->cb.t_wait;
		else if (t->cb.t_keep)
			tr = 2, when = t->cb.t_keep;
		unsigned long jiffies = when > now ? (unsigned long)((when - now) / 10000000) : 0;
		uint32_t txq = t->cb.state == TCP_LISTEN ? 0 : t->cb.snd_nxt - t->cb.snd_una;
		uint32_t rxq = t->cb.state == TCP_LISTEN ? t->nchildren : t->cb.rcvq.len;
		sb_printf_line(&s, 149, "%4u: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %016llx %lu %lu %u %u %d",
		    sl++, la, t->lport, ra, t->rport, (unsigned)t->cb.state, txq, rxq, tr, jiffies,
		    t->cb.retries, t->uid, 0, (unsigned long)(t->sock && t->sock->file ? t->sock->file->inode->ino : 0), t->sock ? 2 : 1, 0ull,
		    (unsigned long)(t->cb.rtt.rto / 10000000), 4ul, 0u, t->cb.cwnd / (t->cb.mss ? t->cb.mss : 1),
		    t->cb.ssthresh >= 0x7fffffff ? -1 : (int)(t->cb.ssthresh / (t->cb.mss ? t->cb.mss : 1)));
	}
	mutex_unlock(&tcp_lock);
	return sb_done(&s);
}

void tcp_sock_register(void);

void tcp_init(void)
{
	waitqueue_init(&timer_wq);
	tcp_sock_register();
	struct thread *t = thread_create("tcptimer", timer_thread, NULL, NULL);
	if (!t) {
		pr_err("tcp: no timer thread\n");
		return;
	}
	thread_detach(t);
	pr_info("tcp: SOCK_STREAM registered, mss %u on lo, ports %u-%u\n", tcp_mss_for(IPV4(127, 0, 0, 1)),
		TCP_EPHEMERAL_FIRST, TCP_EPHEMERAL_LAST);
}

unsigned tcp_sock_count(void)
{
	unsigned n = 0;
	mutex_lock(&tcp_lock);
	for (struct tcp_sock *t = tcp_table; t; t = t->next)
		n++;
	mutex_unlock(&tcp_lock);
	return n;
}
