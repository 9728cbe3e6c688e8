/*
 * ktests for TCP through the kernel's socket interfaces over 127.0.0.1: a connection carrying
 * 200 KiB both ways, a refused connect, hostile segments (random headers and flags, valid
 * checksums) thrown at a listener and a live connection, which must keep working, a leak
 * check (connections closed with a reset give back every tcp_sock), and the options both ends
 * of a connection negotiate.
 */
#include "console/console.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/ipv4/inet.h"
#include "net/tcp/tcp_internal.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"

static struct socket *S(struct file *f) { return sock_from_file(f); }

static int kbind_listen(struct file **lf, uint16_t *port)
{
	int err = sock_create(AF_INET, SOCK_STREAM, 0, 0, lf);
	if (err)
		return err;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = IPV4(127, 0, 0, 1) };
	if ((err = S(*lf)->ops->bind(S(*lf), &a, sizeof(a))) || (err = S(*lf)->ops->listen(S(*lf), 4)))
		return err;
	int len = sizeof(a);
	S(*lf)->ops->getname(S(*lf), &a, &len, false);
	*port = ntohs(a.sin_port);
	return 0;
}

static int kconnect(uint16_t port, struct file **cf)
{
	int err = sock_create(AF_INET, SOCK_STREAM, 0, 0, cf);
	if (err)
		return err;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = IPV4(127, 0, 0, 1) };
	return S(*cf)->ops->connect(S(*cf), &a, sizeof(a), 0);
}

static int kaccept(struct file *lf, struct file **af)
{
	int err = sock_create_child(S(lf), 0, af);
	if (err)
		return err;
	return S(lf)->ops->accept(S(lf), S(*af), 0);
}

static ssize_t kio(struct file *f, void *buf, size_t n, bool send)
{
	struct msg_k m = { .buf = buf, .len = n };
	return send ? S(f)->ops->sendmsg(S(f), &m, 0) : S(f)->ops->recvmsg(S(f), &m, MSG_WAITALL);
}

/* A connected pair: *c the client, *a the accepted end. */
static int kpair(struct file **lf, struct file **c, struct file **a, uint16_t *port)
{
	int err = kbind_listen(lf, port);
	if (!err)
		err = kconnect(*port, c);
	if (!err)
		err = kaccept(*lf, a);
	return err;
}

/* For the ktest watchdog: every connection's sequence state, read without the lock. */
static void tcp_hang_dump(void)
{
	uint64_t now = clock_monotonic_ns();
	for (struct tcp_sock *t = tcp_table; t; t = t->next) {
		const struct tcp_cb *cb = &t->cb;
		kprintf("tcp: %u->%u state %d una %u nxt %u max %u wnd %u cwnd %u sndq %u | rcv_nxt %u adv %u "
			"rcvq %u ooo %u unacked %u ack_now %d | rto %lld delack %lld ms\n",
			t->lport, t->rport, cb->state, cb->snd_una - cb->iss, cb->snd_nxt - cb->iss,
			cb->snd_max - cb->iss, cb->snd_wnd, cb->cwnd, cb->sndq.len, cb->rcv_nxt - cb->irs,
			cb->rcv_adv - cb->irs, cb->rcvq.len, cb->ooo_count, cb->unacked_bytes, cb->ack_now,
			cb->t_rto ? (long long)(cb->t_rto - now) / 1000000 : -1,
			cb->t_delack ? (long long)(cb->t_delack - now) / 1000000 : -1);
	}
}

KTEST(tcp_loopback_transfer)
{
	ktest_hang_dump = tcp_hang_dump;
	struct file *lf = NULL, *c = NULL, *a = NULL;
	uint16_t port;
	KT_ASSERT_EQ(kpair(&lf, &c, &a, &port), 0);
	enum { N = 200 * 1024 };
	uint8_t *src = kmalloc(N), *dst = kmalloc(N);
	KT_ASSERT(src && dst);
	for (unsigned i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 13 + (i >> 10));
	/* One thread does both ends, so it moves 16 KiB at a time: a single 200 KiB send would
	 * wait for a reader once both queues were full (as it would on Linux). */
	enum { STEP = 16 * 1024 };
	for (unsigned off = 0; off < N; off += STEP) {
		KT_ASSERT_EQ(kio(c, src + off, STEP, true), STEP);
		KT_ASSERT_EQ(kio(a, dst + off, STEP, false), STEP);
	}
	KT_ASSERT(memcmp(src, dst, N) == 0);
	memset(dst, 0, N);
	for (unsigned off = 0; off < N; off += STEP) { /* and back */
		KT_ASSERT_EQ(kio(a, src + off, STEP, true), STEP);
		KT_ASSERT_EQ(kio(c, dst + off, STEP, false), STEP);
	}
	KT_ASSERT(memcmp(src, dst, N) == 0);
	kfree(src);
	kfree(dst);
	/* the client closes: the server reads end of file; the client's side stays in TIME-WAIT */
	file_put(c);
	char b;
	KT_ASSERT_EQ(kio(a, &b, 1, false), 0);
	file_put(a);
	file_put(lf);
	bool time_wait = false;
	for (int i = 0; i < 100 && !time_wait; i++) {
		thread_sleep_ns(10000000); /* the server's FIN goes through the net thread */
		mutex_lock(&tcp_lock);
		for (struct tcp_sock *t = tcp_table; t; t = t->next)
			time_wait |= t->rport == port && t->cb.state == TCP_TIME_WAIT && !t->sock;
		mutex_unlock(&tcp_lock);
	}
	KT_ASSERT(time_wait);
}

KTEST(tcp_refused)
{
	struct file *lf, *c;
	uint16_t port;
	KT_ASSERT_EQ(kbind_listen(&lf, &port), 0);
	file_put(lf); /* the port is closed again */
	KT_ASSERT_EQ(kconnect(port, &c), -ECONNREFUSED);
	file_put(c);
}

/* A TCP segment with random contents from 127.0.0.1:sport to :dport, checksummed, into lo. */
static void inject_random(uint16_t sport, uint16_t dport, uint32_t seed)
{
	uint8_t rnd[64];
	get_random_bytes(rnd, sizeof(rnd));
	size_t len = 20 + rnd[0] % 40;
	struct sk_buff *skb = skb_alloc(sizeof(struct ip_hdr) + len);
	if (!skb)
		return;
	struct ip_hdr *ip = (struct ip_hdr *)skb_put(skb, sizeof(*ip));
	uint8_t *t = skb_put(skb, len);
	memcpy(t, rnd + 1, len < 63 ? len : 63);
	struct tcp_hdr *h = (struct tcp_hdr *)t;
	h->source = htons(sport);
	h->dest = htons(dport);
	if (seed & 1)
		h->doff = (uint8_t)((5 + rnd[2] % 11) << 4); /* sometimes a plausible header length */
	h->check = 0;
	in_addr_t lo = IPV4(127, 0, 0, 1);
	h->check = inet_pseudo_checksum(lo, lo, IPPROTO_TCP, t, len);
	*ip = (struct ip_hdr){ .ver_ihl = 0x45, .tot_len = htons((uint16_t)(sizeof(*ip) + len)), .ttl = 64,
			       .protocol = IPPROTO_TCP, .saddr = lo, .daddr = lo };
	ip->check = inet_checksum(ip, sizeof(*ip));
	skb->dev = netdev_loopback;
	netif_rx(skb);
}

KTEST(tcp_hostile_segments)
{
	struct file *lf = NULL, *c = NULL, *a = NULL;
	uint16_t port;
	KT_ASSERT_EQ(kpair(&lf, &c, &a, &port), 0);
	struct sockaddr_in ca;
	int len = sizeof(ca);
	S(c)->ops->getname(S(c), &ca, &len, false);
	for (uint32_t i = 0; i < 3000; i++) {
		/* at the listener from unknown ports, at the live connection's own 4-tuple */
		if (i % 2)
			inject_random((uint16_t)(40000 + i % 100), port, i);
		else
			inject_random(ntohs(ca.sin_port), port, i);
		if (i % 200 == 0)
			thread_sleep_ns(1000000);
	}
	thread_sleep_ns(100000000);
	/* The connection survived (a random reset matches RCV.NXT once in 2^32) and still works. */
	char msg[] = "still alive", buf[sizeof(msg)] = { 0 };
	KT_ASSERT_EQ(kio(c, msg, sizeof(msg), true), sizeof(msg));
	KT_ASSERT_EQ(kio(a, buf, sizeof(msg), false), sizeof(msg));
	KT_ASSERT(memcmp(buf, msg, sizeof(msg)) == 0);
	file_put(c);
	file_put(a);
	file_put(lf);
}

KTEST(tcp_no_leak)
{
	unsigned before = tcp_sock_count();
	for (int i = 0; i < 100; i++) {
		struct file *lf = NULL, *c = NULL, *a = NULL;
		uint16_t port;
		KT_ASSERT_EQ(kpair(&lf, &c, &a, &port), 0);
		KT_ASSERT_EQ(kio(c, "x", 1, true), 1);
		S(c)->linger[0] = 1; /* SO_LINGER 0: both ends are gone at once */
		S(c)->linger[1] = 0;
		file_put(c);
		char b;
		kio(a, &b, 1, false);
		file_put(a);
		file_put(lf);
	}
	unsigned after = 0;
	for (int i = 0; i < 100 && (after = tcp_sock_count()) != before; i++)
		thread_sleep_ns(10000000);
	KT_ASSERT_EQ(after, before);
}

/* Both ends of a loopback connection negotiate SACK, timestamps and window scaling, the
 * timestamps take their 12 bytes out of the MSS, and data still flows with them. */
KTEST(tcp_options_negotiated)
{
	struct file *lf = NULL, *c = NULL, *a = NULL;
	uint16_t port;
	KT_ASSERT_EQ(kpair(&lf, &c, &a, &port), 0);
	KT_ASSERT_EQ(kio(c, "opts", 4, true), 4);
	char buf[4];
	KT_ASSERT_EQ(kio(a, buf, 4, false), 4);
	unsigned ends = 0;
	mutex_lock(&tcp_lock);
	for (struct tcp_sock *t = tcp_table; t; t = t->next) {
		if ((t->lport != port && t->rport != port) || t->cb.state != TCP_ESTABLISHED)
			continue;
		ends++;
		bool ok = t->cb.sack_ok && t->cb.ts_ok && t->cb.ws_ok &&
			  t->cb.mss == tcp_mss_for(IPV4(127, 0, 0, 1)) - TCP_TS_LEN;
		if (!ok)
			kprintf("tcp: %u->%u sack %d ts %d ws %d mss %u\n", t->lport, t->rport, t->cb.sack_ok,
				t->cb.ts_ok, t->cb.ws_ok, t->cb.mss);
		ends += ok ? 10 : 0;
	}
	mutex_unlock(&tcp_lock);
	KT_ASSERT_EQ(ends, 22);
	file_put(c);
	file_put(a);
	file_put(lf);
}
