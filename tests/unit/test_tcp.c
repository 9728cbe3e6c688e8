// unit-deps: kernel/net/tcp/tcp_cb.c kernel/net/tcp/tcp_in.c kernel/net/tcp/tcp_out.c kernel/net/tcp/tcp_opt.c kernel/net/tcp/tcp_ring.c kernel/net/tcp/tcp_rtt.c kernel/net/tcp/tcp_sack.c kernel/lib/string.c
/*
 * Host tests for the TCP engine, driven by scripted segments: handshakes (active, passive,
 * simultaneous), data in order, out of order, duplicated and overlapping, zero windows and
 * their probes, resets in every state, orderly and simultaneous close with TIME-WAIT,
 * retransmission with back-off and giving up, fast retransmit and NewReno recovery, delayed
 * ACKs, Nagle, keep-alive, options and the RTO arithmetic of RFC 6298. Two engines talk
 * through a "wire" that can drop segments; time is a variable the tests move.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "net/tcp/tcp_core.h"

void *kmalloc(size_t size) { return malloc(size ? size : 1); }
void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(const void *p) { free((void *)p); }

#define MS TCP_MS
#define MAXQ 512

struct rec {
	struct tcp_out o;
	uint8_t *data;
	uint32_t len;
};

struct ep {
	struct tcp_cb cb;
	struct rec q[MAXQ];
	int n;
	unsigned events;
	uint64_t sent_segs;
};

static void rec_emit(struct tcp_cb *cb, const struct tcp_out *o, const struct tcp_ring *src, uint32_t off, uint32_t len)
{
	struct ep *e = cb->ctx;
	if (e->n == MAXQ)
		abort();
	struct rec *r = &e->q[e->n++];
	r->o = *o;
	r->len = len;
	r->data = malloc(len ? len : 1);
	if (len)
		tcp_ring_peek(src, off, r->data, len);
	e->sent_segs++;
}

static void rec_notify(struct tcp_cb *cb, unsigned ev)
{
	((struct ep *)cb->ctx)->events |= ev;
}

static const struct tcp_cb_ops ops = { rec_emit, rec_notify };

static struct ep *ep_new(uint32_t sndbuf, uint32_t rcvbuf)
{
	struct ep *e = calloc(1, sizeof(*e));
	tcp_cb_init(&e->cb, &ops, e, sndbuf, rcvbuf);
	return e;
}

static void ep_clear(struct ep *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->q[i].data);
	e->n = 0;
}

static void ep_free(struct ep *e)
{
	ep_clear(e);
	tcp_cb_destroy(&e->cb);
	free(e);
}

static struct tcp_seg seg_of(const struct rec *r)
{
	struct tcp_seg s = { .seq = r->o.seq, .ack = r->o.ack, .flags = r->o.flags, .wnd = r->o.wnd,
			     .has_mss = r->o.opt_mss, .mss = r->o.mss, .has_ws = r->o.opt_ws, .ws = r->o.ws,
			     .sack_ok = r->o.opt_sack_ok, .has_ts = r->o.opt_ts, .tsval = r->o.tsval,
			     .tsecr = r->o.tsecr, .nsack = r->o.nsack,
			     .data = r->data, .len = r->len };
	memcpy(s.sack, r->o.sack, sizeof(s.sack));
	return s;
}

/* Delivers what from sent, in order, to to (dropping the segments drop says); returns how many. */
static int deliver(struct ep *from, struct ep *to, uint64_t now, bool (*drop)(const struct rec *r, void *arg), void *arg)
{
	int n = from->n;
	struct rec q[MAXQ];
	memcpy(q, from->q, sizeof(struct rec) * (size_t)n);
	from->n = 0;
	for (int i = 0; i < n; i++) {
		if (!drop || !drop(&q[i], arg)) {
			struct tcp_seg s = seg_of(&q[i]);
			tcp_cb_input(&to->cb, &s, now);
		}
		free(q[i].data);
	}
	return n;
}

/* Exchanges segments until both sides are quiet. */
static void pump(struct ep *a, struct ep *b, uint64_t now)
{
	for (int rounds = 0; rounds < 10000 && (a->n || b->n); rounds++) {
		deliver(a, b, now, NULL, NULL);
		deliver(b, a, now, NULL, NULL);
	}
}

static void feed(struct ep *e, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const void *data,
		 uint32_t len, uint64_t now)
{
	struct tcp_seg s = { .seq = seq, .ack = ack, .flags = flags, .wnd = wnd, .data = data, .len = len };
	tcp_cb_input(&e->cb, &s, now);
}

/* A connected pair through the real handshake: a connects (ISS 1000), b listens (ISS 5000). */
static void connect_pair(struct ep **pa, struct ep **pb, uint32_t abuf, uint32_t bbuf, uint16_t mss)
{
	struct ep *a = ep_new(abuf, abuf), *b = ep_new(bbuf, bbuf);
	tcp_cb_listen(&b->cb, 5000, mss);
	tcp_cb_connect(&a->cb, 1000, mss, 0);
	pump(a, b, 0);
	*pa = a;
	*pb = b;
}

/* ---- RTO arithmetic (RFC 6298) ---- */

TEST(rtt_first_and_second_sample)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	CHECK_INT(r.rto, 1000 * MS); /* 2.1: 1 s before any sample */
	tcp_rtt_sample(&r, 100 * MS);
	CHECK_INT(r.srtt, 100 * MS);
	CHECK_INT(r.rttvar, 50 * MS);
	CHECK_INT(r.rto, 300 * MS); /* SRTT + 4 RTTVAR */
	tcp_rtt_sample(&r, 200 * MS);
	CHECK_INT(r.rttvar, 62500000);  /* 3/4 * 50 + 1/4 * |100 - 200| */
	CHECK_INT(r.srtt, 112500000);   /* 7/8 * 100 + 1/8 * 200 */
	CHECK_INT(r.rto, 362500000);
}

TEST(rtt_clamps_and_backoff)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 1 * MS);
	CHECK_INT(r.rto, TCP_RTO_MIN);
	for (int i = 0; i < 20; i++)
		tcp_rtt_backoff(&r);
	CHECK_INT(r.rto, TCP_RTO_MAX);
	tcp_rtt_init(&r);
	tcp_rtt_backoff(&r);
	CHECK_INT(r.rto, 2000 * MS);
	/* a steady RTT converges: RTTVAR shrinks, the floor G keeps RTO above SRTT */
	for (int i = 0; i < 200; i++)
		tcp_rtt_sample(&r, 500 * MS);
	CHECK(r.srtt > 499 * MS && r.srtt <= 500 * MS);
	CHECK(r.rto >= 501 * MS && r.rto < 520 * MS);
}

/* ---- options and resets ---- */

TEST(parse_options_and_malformed)
{
	uint8_t p[40] = { 0 };
	p[12] = 10 << 4; /* 40-byte header */
	p[13] = TCPF_SYN;
	uint8_t opts[] = { 1, 2, 4, 0x05, 0xb4, 3, 3, 20, 4, 2, 1, 0 };
	memcpy(p + 20, opts, sizeof(opts));
	struct tcp_seg s;
	uint16_t sp, dp;
	CHECK_INT(tcp_seg_parse(p, 40, &s, &sp, &dp), 0);
	CHECK(s.has_mss && s.mss == 1460);
	CHECK(s.has_ws && s.ws == 14); /* 20 means 14 (RFC 7323 2.3) */
	CHECK(s.sack_ok);
	CHECK_INT(s.len, 0);
	/* an option running past the header, a zero length, a header longer than the packet */
	uint8_t bad[24] = { 0 };
	bad[12] = 6 << 4;
	bad[13] = TCPF_SYN;
	bad[20] = 2;
	bad[21] = 40;
	CHECK_INT(tcp_seg_parse(bad, 24, &s, &sp, &dp), 0);
	CHECK(!s.has_mss);
	bad[21] = 0;
	CHECK_INT(tcp_seg_parse(bad, 24, &s, &sp, &dp), 0);
	bad[12] = 15 << 4;
	CHECK_INT(tcp_seg_parse(bad, 24, &s, &sp, &dp), -EINVAL);
	bad[12] = 4 << 4;
	CHECK_INT(tcp_seg_parse(bad, 24, &s, &sp, &dp), -EINVAL);
	CHECK_INT(tcp_seg_parse(bad, 10, &s, &sp, &dp), -EINVAL);
	/* options outside a SYN are ignored */
	p[13] = TCPF_ACK;
	CHECK_INT(tcp_seg_parse(p, 40, &s, &sp, &dp), 0);
	CHECK(!s.has_mss && !s.has_ws);
}

TEST(reset_reply_closed_port)
{
	struct tcp_seg syn = { .seq = 77, .flags = TCPF_SYN, .len = 0 };
	struct tcp_out o;
	CHECK(tcp_reset_reply(&syn, &o));
	CHECK_INT(o.flags, TCPF_RST | TCPF_ACK);
	CHECK_INT(o.seq, 0);
	CHECK_INT(o.ack, 78);
	struct tcp_seg ack = { .seq = 5, .ack = 999, .flags = TCPF_ACK, .len = 10 };
	CHECK(tcp_reset_reply(&ack, &o));
	CHECK_INT(o.flags, TCPF_RST);
	CHECK_INT(o.seq, 999);
	struct tcp_seg rst = { .flags = TCPF_RST };
	CHECK(!tcp_reset_reply(&rst, &o)); /* never a reset for a reset */
}

/* ---- handshakes ---- */

TEST(active_open)
{
	struct ep *a = ep_new(65536, 65536);
	CHECK_INT(tcp_cb_connect(&a->cb, 1000, 1460, 0), 0);
	CHECK_INT(a->cb.state, TCP_SYN_SENT);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].o.flags, TCPF_SYN);
	CHECK_INT(a->q[0].o.seq, 1000);
	CHECK(a->q[0].o.opt_mss && a->q[0].o.mss == 1460 && a->q[0].o.opt_ws);
	ep_clear(a);
	/* an ACK for something we never sent: a reset, state unchanged */
	feed(a, 1, 5000, TCPF_ACK | TCPF_SYN, 1000, NULL, 0, 1);
	CHECK_INT(a->cb.state, TCP_SYN_SENT);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].o.flags, TCPF_RST);
	CHECK_INT(a->q[0].o.seq, 5000);
	ep_clear(a);
	struct tcp_seg sa = { .seq = 9000, .ack = 1001, .flags = TCPF_SYN | TCPF_ACK, .wnd = 30000,
			      .has_mss = true, .mss = 1000, .has_ws = true, .ws = 2 };
	tcp_cb_input(&a->cb, &sa, 50 * MS);
	CHECK_INT(a->cb.state, TCP_ESTABLISHED);
	CHECK_INT(a->cb.mss, 1000);
	CHECK_INT(a->cb.snd_ws, 2);
	CHECK_INT(a->cb.snd_wnd, 30000); /* a SYN's window is not scaled */
	CHECK_INT(a->cb.rcv_nxt, 9001);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].o.flags, TCPF_ACK);
	CHECK_INT(a->q[0].o.ack, 9001);
	CHECK(a->cb.rtt.has_sample && a->cb.rtt.srtt == 50 * MS);
	ep_free(a);
}

TEST(passive_open_and_lost_synack)
{
	struct ep *b = ep_new(65536, 65536);
	tcp_cb_listen(&b->cb, 5000, 1460);
	feed(b, 100, 0, TCPF_ACK, 0, NULL, 0, 0); /* an ACK to a listener: reset */
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.flags, TCPF_RST);
	ep_clear(b);
	feed(b, 100, 0, TCPF_SYN, 8192, NULL, 0, 0);
	CHECK_INT(b->cb.state, TCP_SYN_RECV);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.flags, TCPF_SYN | TCPF_ACK);
	CHECK_INT(b->q[0].o.ack, 101);
	CHECK(!b->q[0].o.opt_ws); /* the peer offered no scaling */
	ep_clear(b);
	/* the SYN again: our SYN-ACK again */
	feed(b, 100, 0, TCPF_SYN, 8192, NULL, 0, 1);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.flags, TCPF_SYN | TCPF_ACK);
	ep_clear(b);
	/* the SYN-ACK times out and is sent again with a doubled RTO */
	tcp_cb_tick(&b->cb, 1000 * MS);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.flags, TCPF_SYN | TCPF_ACK);
	CHECK_INT(b->cb.rtt.rto, 2000 * MS);
	ep_clear(b);
	/* a bad ACK: reset; the right one: ESTABLISHED */
	feed(b, 101, 7000, TCPF_ACK, 8192, NULL, 0, 1100 * MS);
	CHECK_INT(b->cb.state, TCP_SYN_RECV);
	CHECK_INT(b->q[0].o.flags, TCPF_RST);
	ep_clear(b);
	feed(b, 101, 5001, TCPF_ACK, 8192, "hi", 2, 1100 * MS);
	CHECK_INT(b->cb.state, TCP_ESTABLISHED);
	CHECK_INT(tcp_cb_readable(&b->cb), 2);
	CHECK_INT(b->cb.snd_wnd, 8192);
	ep_free(b);
}

TEST(simultaneous_open)
{
	struct ep *a = ep_new(65536, 65536), *b = ep_new(65536, 65536);
	tcp_cb_connect(&a->cb, 1000, 1460, 0);
	tcp_cb_connect(&b->cb, 7000, 1460, 0);
	/* the SYNs cross */
	deliver(a, b, 1, NULL, NULL);
	CHECK_INT(b->cb.state, TCP_SYN_RECV);
	CHECK_INT(b->n, 2); /* its SYN (on the wire already) and now SYN-ACK */
	struct rec saved = b->q[0];
	b->q[0] = b->q[1];
	b->n = 1;
	free(saved.data);
	/* a gets b's plain SYN first */
	struct tcp_seg syn = { .seq = 7000, .flags = TCPF_SYN, .wnd = 65535, .has_mss = true, .mss = 1460,
			       .has_ws = true, .ws = 1 };
	tcp_cb_input(&a->cb, &syn, 2);
	CHECK_INT(a->cb.state, TCP_SYN_RECV);
	pump(a, b, 3);
	CHECK_INT(a->cb.state, TCP_ESTABLISHED);
	CHECK_INT(b->cb.state, TCP_ESTABLISHED);
	CHECK_INT(tcp_cb_send(&a->cb, "ping", 4, 4), 4);
	pump(a, b, 5);
	char buf[8];
	CHECK_INT(tcp_cb_recv(&b->cb, buf, sizeof(buf), false, 6), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	ep_free(a);
	ep_free(b);
}

/* ---- data ---- */

/* Sends n bytes from a to b, a millisecond per round (timers ticking; *clock advances);
 * returns what b read. */
static size_t bulk_transfer(struct ep *a, struct ep *b, const uint8_t *src, uint8_t *dst, size_t n,
			    uint64_t *clock)
{
	size_t sent = 0, got = 0;
	uint64_t now = *clock;
	for (int iter = 0; iter < 100000 && got < n; iter++) {
		if (sent < n) {
			ssize_t w = tcp_cb_send(&a->cb, src + sent, n - sent, now);
			if (w < 0)
				return got; /* an error: short, so the caller's check fails */
			sent += (size_t)w;
		}
		pump(a, b, now);
		got += tcp_cb_recv(&b->cb, dst + got, n - got, false, now);
		pump(a, b, now);
		now += MS;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
	}
	*clock = now;
	return got;
}

TEST(bulk_transfer_through_small_window)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 4096, 1000);
	CHECK_INT(a->cb.state, TCP_ESTABLISHED);
	CHECK_INT(b->cb.state, TCP_ESTABLISHED);
	enum { N = 300000 };
	uint8_t *src = malloc(N), *dst = malloc(N);
	for (int i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 9));
	uint64_t now = 1;
	CHECK_INT(bulk_transfer(a, b, src, dst, N, &now), N);
	CHECK(memcmp(src, dst, N) == 0);
	CHECK_INT(a->cb.retransmits, 0);
	free(src);
	free(dst);
	ep_free(a);
	ep_free(b);
}

TEST(out_of_order_duplicate_overlap)
{
	struct ep *b = ep_new(65536, 65536);
	tcp_cb_listen(&b->cb, 5000, 1460);
	feed(b, 100, 0, TCPF_SYN, 65535, NULL, 0, 0);
	feed(b, 101, 5001, TCPF_ACK, 65535, NULL, 0, 0);
	CHECK_INT(b->cb.state, TCP_ESTABLISHED);
	ep_clear(b);
	const char *text = "0123456789abcdefghij";
	/* the second half first: queued, a duplicate ACK for 101 goes out at once */
	feed(b, 111, 5001, TCPF_ACK, 65535, text + 10, 10, 1);
	CHECK_INT(tcp_cb_readable(&b->cb), 0);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.ack, 101);
	ep_clear(b);
	/* an overlapping piece in the queue too */
	feed(b, 115, 5001, TCPF_ACK, 65535, text + 14, 6, 1);
	/* the first half fills the hole: everything moves up, ACK 121 at once */
	feed(b, 101, 5001, TCPF_ACK, 65535, text, 10, 2);
	CHECK_INT(tcp_cb_readable(&b->cb), 20);
	CHECK_INT(b->cb.rcv_nxt, 121);
	CHECK(b->n >= 1 && b->q[b->n - 1].o.ack == 121);
	ep_clear(b);
	/* a duplicate of old data and one overlapping the edge */
	feed(b, 101, 5001, TCPF_ACK, 65535, text, 10, 3);
	CHECK_INT(b->n, 1); /* an immediate ACK: ours was lost */
	CHECK_INT(b->q[0].o.ack, 121);
	ep_clear(b);
	feed(b, 116, 5001, TCPF_ACK, 65535, "56789XYZ", 8, 3);
	CHECK_INT(tcp_cb_readable(&b->cb), 23);
	char buf[32] = { 0 };
	CHECK_INT(tcp_cb_recv(&b->cb, buf, sizeof(buf), false, 4), 23);
	CHECK(memcmp(buf, "0123456789abcdefghijXYZ", 23) == 0);
	/* a segment wholly past the window: not acceptable, an ACK and nothing stored */
	ep_clear(b);
	feed(b, 124 + 200000, 5001, TCPF_ACK, 65535, "far", 3, 5);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->cb.ooo_count, 0);
	ep_free(b);
}

/* SACK (RFC 2018): negotiated only when both SYNs carry it; holes reported latest first. */
TEST(sack_negotiation_and_blocks)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	CHECK(a->cb.sack_ok && b->cb.sack_ok);
	ep_free(a);
	ep_free(b);

	/* A peer whose SYN lacks SACK-permitted: none in our SYN-ACK, no blocks later. */
	struct ep *c = ep_new(65536, 65536);
	tcp_cb_listen(&c->cb, 5000, 1000);
	feed(c, 100, 0, TCPF_SYN, 65535, NULL, 0, 0);
	CHECK(c->n == 1 && !c->q[0].o.opt_sack_ok);
	feed(c, 101, 5001, TCPF_ACK, 65535, NULL, 0, 0);
	ep_clear(c);
	feed(c, 301, 5001, TCPF_ACK, 65535, "x", 1, 1);
	CHECK(c->n == 1 && c->q[0].o.nsack == 0);
	ep_free(c);

	/* With SACK: segments [201,301) and [401,501) arrive, then [301,401) joins them. */
	struct ep *d = ep_new(65536, 65536);
	tcp_cb_listen(&d->cb, 5000, 1000);
	struct tcp_seg syn = { .seq = 100, .flags = TCPF_SYN, .wnd = 65535, .sack_ok = true };
	tcp_cb_input(&d->cb, &syn, 0);
	CHECK(d->n == 1 && d->q[0].o.opt_sack_ok);
	feed(d, 101, 5001, TCPF_ACK, 65535, NULL, 0, 0);
	CHECK(d->cb.sack_ok);
	ep_clear(d);
	static char data[400];
	feed(d, 201, 5001, TCPF_ACK, 65535, data, 100, 1);
	CHECK(d->n == 1 && d->q[0].o.ack == 101 && d->q[0].o.nsack == 1);
	CHECK(d->q[0].o.sack[0][0] == 201 && d->q[0].o.sack[0][1] == 301);
	ep_clear(d);
	feed(d, 401, 5001, TCPF_ACK, 65535, data, 100, 1);
	CHECK(d->n == 1 && d->q[0].o.nsack == 2);
	CHECK(d->q[0].o.sack[0][0] == 401 && d->q[0].o.sack[0][1] == 501); /* the latest first */
	CHECK(d->q[0].o.sack[1][0] == 201 && d->q[0].o.sack[1][1] == 301);
	ep_clear(d);
	feed(d, 301, 5001, TCPF_ACK, 65535, data, 100, 1);
	CHECK(d->n == 1 && d->q[0].o.nsack == 1);
	CHECK(d->q[0].o.sack[0][0] == 201 && d->q[0].o.sack[0][1] == 501); /* merged */
	ep_clear(d);
	/* The hole filled: everything in order, no blocks. */
	feed(d, 101, 5001, TCPF_ACK, 65535, data, 100, 2);
	CHECK(d->n == 1 && d->q[0].o.ack == 501 && d->q[0].o.nsack == 0);
	ep_free(d);

	/* On the wire: NOP NOP SACK len, edges big-endian. */
	struct tcp_out o = { .nsack = 1, .sack = { { 0x01020304, 0x05060708 } } };
	uint8_t buf[TCP_OPT_MAX];
	CHECK_INT(tcp_opt_build(buf, &o), 12);
	static const uint8_t want[] = { 1, 1, 5, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK(memcmp(buf, want, sizeof(want)) == 0);
}

TEST(zero_window_probe_and_reopen)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 4096, 1000);
	uint8_t data[8192];
	memset(data, 'x', sizeof(data));
	CHECK_INT(tcp_cb_send(&a->cb, data, sizeof(data), 1), sizeof(data));
	pump(a, b, 1);
	CHECK_INT(tcp_cb_readable(&b->cb), 4096); /* the receiver is full */
	CHECK_INT(a->cb.snd_wnd, 0);
	CHECK(a->cb.t_rto != 0); /* the persist timer */
	/* probes go out and are answered; nothing is lost or given up */
	uint64_t now = 1;
	for (int i = 0; i < 20; i++) {
		now = a->cb.t_rto;
		tcp_cb_tick(&a->cb, now);
		CHECK(a->n >= 1);
		pump(a, b, now);
		CHECK_INT(a->cb.state, TCP_ESTABLISHED);
	}
	CHECK_INT(tcp_cb_readable(&b->cb), 4096);
	/* the reader drains: a window update restarts the flow */
	uint8_t buf[8192];
	size_t got = 0;
	for (int i = 0; i < 100 && got < sizeof(data); i++) {
		got += tcp_cb_recv(&b->cb, buf + got, sizeof(buf) - got, false, now);
		pump(a, b, now);
		now += 10 * MS;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
		pump(a, b, now);
	}
	CHECK_INT(got, sizeof(data));
	CHECK(memcmp(buf, data, sizeof(data)) == 0);
	ep_free(a);
	ep_free(b);
}

/* ---- resets in every state ---- */

TEST(rst_syn_sent)
{
	struct ep *a = ep_new(4096, 4096);
	tcp_cb_connect(&a->cb, 1000, 1460, 0);
	feed(a, 0, 0, TCPF_RST, 0, NULL, 0, 1); /* no ACK: ignored */
	CHECK_INT(a->cb.state, TCP_SYN_SENT);
	feed(a, 0, 1001, TCPF_RST | TCPF_ACK, 0, NULL, 0, 1);
	CHECK_INT(a->cb.state, TCP_CLOSE);
	CHECK_INT(a->cb.err, ECONNREFUSED);
	ep_free(a);
}

TEST(rst_syn_recv_passive)
{
	struct ep *b = ep_new(4096, 4096);
	tcp_cb_listen(&b->cb, 5000, 1460);
	feed(b, 100, 0, TCPF_SYN, 8192, NULL, 0, 0);
	feed(b, 101, 0, TCPF_RST, 0, NULL, 0, 1);
	CHECK_INT(b->cb.state, TCP_CLOSE);
	CHECK_INT(b->cb.err, 0); /* a passive open just goes away */
	ep_free(b);
}

/* Brings a fresh pair to a's state s and returns it. */
static void pair_in_state(struct ep **pa, struct ep **pb, enum tcp_state s)
{
	connect_pair(pa, pb, 8192, 8192, 1000);
	struct ep *a = *pa, *b = *pb;
	switch (s) {
	case TCP_FIN_WAIT1:
		tcp_cb_shutdown(&a->cb, 1);
		ep_clear(a);
		break;
	case TCP_FIN_WAIT2:
		tcp_cb_shutdown(&a->cb, 1);
		deliver(a, b, 1, NULL, NULL);
		deliver(b, a, 1, NULL, NULL);
		break;
	case TCP_CLOSE_WAIT:
		tcp_cb_shutdown(&b->cb, 1);
		deliver(b, a, 1, NULL, NULL);
		ep_clear(a);
		break;
	case TCP_LAST_ACK:
		tcp_cb_shutdown(&b->cb, 1);
		deliver(b, a, 1, NULL, NULL);
		ep_clear(a);
		tcp_cb_shutdown(&a->cb, 1);
		ep_clear(a);
		break;
	case TCP_CLOSING:
		tcp_cb_shutdown(&a->cb, 1);
		tcp_cb_shutdown(&b->cb, 1);
		ep_clear(a);
		deliver(b, a, 1, NULL, NULL); /* b's FIN before b acknowledged a's */
		ep_clear(a);
		break;
	case TCP_TIME_WAIT:
		tcp_cb_shutdown(&a->cb, 1);
		pump(a, b, 1);
		tcp_cb_shutdown(&b->cb, 1);
		pump(a, b, 1);
		break;
	default:
		break;
	}
}

TEST(rst_every_synchronized_state)
{
	const struct { enum tcp_state s; int err; } cases[] = {
		{ TCP_ESTABLISHED, ECONNRESET }, { TCP_FIN_WAIT1, ECONNRESET }, { TCP_FIN_WAIT2, ECONNRESET },
		{ TCP_CLOSE_WAIT, ECONNRESET }, { TCP_CLOSING, 0 }, { TCP_LAST_ACK, 0 }, { TCP_TIME_WAIT, 0 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ep *a, *b;
		pair_in_state(&a, &b, cases[i].s);
		CHECK_INT(a->cb.state, cases[i].s);
		ep_clear(a);
		uint32_t nxt = a->cb.rcv_nxt;
		/* out of the window: ignored silently */
		feed(a, nxt + 1000000, 0, TCPF_RST, 0, NULL, 0, 2);
		CHECK_INT(a->cb.state, cases[i].s);
		/* in the window but not exact: a challenge ACK (RFC 5961) */
		if (cases[i].s != TCP_TIME_WAIT) {
			feed(a, nxt + 10, 0, TCPF_RST, 0, NULL, 0, 2);
			CHECK_INT(a->cb.state, cases[i].s);
			CHECK(a->n == 1 && a->q[0].o.flags == TCPF_ACK);
		}
		/* exact: the connection is gone */
		feed(a, nxt, 0, TCPF_RST, 0, NULL, 0, 2);
		CHECK_INT(a->cb.state, TCP_CLOSE);
		CHECK_INT(a->cb.err, cases[i].err);
		CHECK_INT(tcp_cb_next_deadline(&a->cb), UINT64_MAX);
		ep_free(a);
		ep_free(b);
	}
}

TEST(syn_in_window_gets_challenge_ack)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	ep_clear(a);
	feed(a, a->cb.rcv_nxt + 5, 0, TCPF_SYN, 1000, NULL, 0, 1);
	CHECK_INT(a->cb.state, TCP_ESTABLISHED);
	CHECK(a->n == 1 && a->q[0].o.flags == TCPF_ACK);
	ep_free(a);
	ep_free(b);
}

TEST(abort_sends_reset)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	tcp_cb_abort(&a->cb, 0);
	CHECK_INT(a->cb.state, TCP_CLOSE);
	CHECK(a->n == 1 && (a->q[0].o.flags & TCPF_RST) && a->q[0].o.seq == a->cb.snd_nxt);
	deliver(a, b, 1, NULL, NULL);
	CHECK_INT(b->cb.state, TCP_CLOSE);
	CHECK_INT(b->cb.err, ECONNRESET);
	ep_free(a);
	ep_free(b);
}

/* ---- close ---- */

TEST(orderly_close_and_time_wait)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	tcp_cb_send(&a->cb, "bye", 3, 1);
	tcp_cb_shutdown(&a->cb, 1);
	CHECK_INT(a->cb.state, TCP_FIN_WAIT1);
	CHECK(a->n >= 1 && (a->q[a->n - 1].o.flags & TCPF_FIN));
	pump(a, b, 1);
	CHECK_INT(a->cb.state, TCP_FIN_WAIT2);
	CHECK_INT(b->cb.state, TCP_CLOSE_WAIT);
	CHECK(b->cb.fin_rcvd);
	CHECK_INT(tcp_cb_readable(&b->cb), 3);
	CHECK_INT(tcp_cb_send(&b->cb, "ok", 2, 2), 2); /* the half-closed side still sends */
	tcp_cb_shutdown(&b->cb, 2);
	CHECK_INT(b->cb.state, TCP_LAST_ACK);
	pump(a, b, 2);
	CHECK_INT(a->cb.state, TCP_TIME_WAIT);
	CHECK_INT(b->cb.state, TCP_CLOSE);
	CHECK_INT(tcp_cb_readable(&a->cb), 2);
	/* a retransmitted FIN in TIME-WAIT is acknowledged again */
	ep_clear(a);
	feed(a, a->cb.rcv_nxt - 1, a->cb.snd_nxt, TCPF_FIN | TCPF_ACK, 1000, NULL, 0, 3);
	CHECK(a->n == 1 && a->q[0].o.flags == TCPF_ACK);
	CHECK_INT(a->cb.state, TCP_TIME_WAIT);
	tcp_cb_tick(&a->cb, 3 + TCP_TIMEWAIT - 1);
	CHECK_INT(a->cb.state, TCP_TIME_WAIT);
	tcp_cb_tick(&a->cb, 3 + TCP_TIMEWAIT + 1);
	CHECK_INT(a->cb.state, TCP_CLOSE);
	ep_free(a);
	ep_free(b);
}

TEST(simultaneous_close)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	tcp_cb_shutdown(&a->cb, 1);
	tcp_cb_shutdown(&b->cb, 1);
	deliver(a, b, 1, NULL, NULL);
	deliver(b, a, 1, NULL, NULL);
	/* each saw the other's FIN before an ACK of its own */
	CHECK(a->cb.state == TCP_CLOSING || a->cb.state == TCP_TIME_WAIT);
	pump(a, b, 1);
	CHECK_INT(a->cb.state, TCP_TIME_WAIT);
	CHECK_INT(b->cb.state, TCP_TIME_WAIT);
	ep_free(a);
	ep_free(b);
}

TEST(fin_out_of_order_waits_for_data)
{
	struct ep *b = ep_new(65536, 65536);
	tcp_cb_listen(&b->cb, 5000, 1460);
	feed(b, 100, 0, TCPF_SYN, 65535, NULL, 0, 0);
	feed(b, 101, 5001, TCPF_ACK, 65535, NULL, 0, 0);
	feed(b, 106, 5001, TCPF_ACK | TCPF_FIN, 65535, "world", 5, 1);
	CHECK_INT(b->cb.state, TCP_ESTABLISHED);
	CHECK(!b->cb.fin_rcvd);
	feed(b, 101, 5001, TCPF_ACK, 65535, "hello", 5, 2);
	CHECK_INT(b->cb.state, TCP_CLOSE_WAIT);
	CHECK_INT(tcp_cb_readable(&b->cb), 10);
	CHECK_INT(b->cb.rcv_nxt, 112);
	ep_free(b);
}

/* ---- loss ---- */

static bool drop_all(const struct rec *r, void *arg)
{
	(void)r;
	(void)arg;
	return true;
}

TEST(rto_retransmits_backs_off_and_gives_up)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	tcp_cb_send(&a->cb, "lost", 4, 10 * MS);
	uint32_t seq = a->q[0].o.seq;
	deliver(a, b, 10 * MS, drop_all, NULL);
	uint64_t rto = a->cb.rtt.rto;
	CHECK_INT(a->cb.t_rto, 10 * MS + rto);
	tcp_cb_tick(&a->cb, a->cb.t_rto);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].o.seq, seq);
	CHECK_INT(a->q[0].len, 4);
	CHECK_INT(a->cb.rtt.rto, 2 * rto);
	CHECK_INT(a->cb.cwnd, a->cb.mss);
	ep_clear(a);
	for (int i = 0; i < 40 && a->cb.state == TCP_ESTABLISHED; i++) {
		tcp_cb_tick(&a->cb, a->cb.t_rto);
		ep_clear(a);
	}
	CHECK_INT(a->cb.state, TCP_CLOSE);
	CHECK_INT(a->cb.err, ETIMEDOUT);
	CHECK_INT(a->cb.retries, TCP_RETRIES + 1);
	ep_free(a);
	ep_free(b);
}

/*
 * A timeout while the ACK is only late, with more data held back by Nagle: only what was sent
 * is resent, so SND.NXT stays within SND.MAX and the peer's ACKs are all taken. Resending the
 * held bytes too once left the peer's ACK of them "acknowledging unsent data" (dropped) and
 * the connection stalled with no timer armed.
 */
TEST(spurious_rto_resends_only_what_was_sent)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	static uint8_t data[800];
	for (int i = 0; i < 800; i++)
		data[i] = (uint8_t)(i * 3);
	CHECK_INT(tcp_cb_send(&a->cb, data, 500, 10 * MS), 500);
	CHECK_INT(a->n, 1);
	deliver(a, b, 20 * MS, NULL, NULL); /* b delays its ACK */
	CHECK_INT(b->n, 0);
	CHECK_INT(tcp_cb_send(&a->cb, data + 500, 300, 30 * MS), 300);
	CHECK_INT(a->n, 0); /* Nagle: one small segment outstanding */
	tcp_cb_tick(&a->cb, a->cb.t_rto); /* the ACK is late: a spurious timeout */
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 500);
	CHECK(SEQ_LEQ(a->cb.snd_nxt, a->cb.snd_max));
	pump(a, b, a->cb.t_rto - 1);
	tcp_cb_tick(&b->cb, b->cb.t_delack);
	pump(a, b, a->cb.t_rto - 1);
	CHECK_INT(b->cb.rcvq.len, 800);
	CHECK_INT(a->cb.sndq.len, 0);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK_INT(a->cb.t_rto, 0);
	uint8_t got[800];
	CHECK_INT(tcp_cb_recv(&b->cb, got, sizeof(got), false, a->cb.snd_max), 800);
	CHECK(memcmp(got, data, 800) == 0);
	ep_free(a);
	ep_free(b);
}

/* An ACK stamped before its data was sent (CPU clocks a little apart) gives no RTT sample. */
TEST(rtt_sample_never_negative)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	struct tcp_rtt before = a->cb.rtt;
	CHECK_INT(tcp_cb_send(&a->cb, "x", 1, 100 * MS), 1);
	deliver(a, b, 100 * MS, NULL, NULL);
	tcp_cb_tick(&b->cb, b->cb.t_delack);
	CHECK_INT(b->n, 1);
	deliver(b, a, 99 * MS, NULL, NULL);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK(!a->cb.rtt_timing);
	CHECK_INT(a->cb.rtt.rto, before.rto);
	CHECK_INT(a->cb.rtt.srtt, before.srtt);
	ep_free(a);
	ep_free(b);
}

TEST(syn_retries_give_up)
{
	struct ep *a = ep_new(4096, 4096);
	tcp_cb_connect(&a->cb, 1000, 1460, 0);
	unsigned syns = 1;
	for (int i = 0; i < 20 && a->cb.state == TCP_SYN_SENT; i++) {
		ep_clear(a);
		tcp_cb_tick(&a->cb, a->cb.t_rto);
		syns += a->n && (a->q[0].o.flags & TCPF_SYN);
	}
	CHECK_INT(a->cb.state, TCP_CLOSE);
	CHECK_INT(a->cb.err, ETIMEDOUT);
	CHECK_INT(syns, 1 + TCP_SYN_RETRIES);
	ep_free(a);
}

static bool drop_first_data(const struct rec *r, void *arg)
{
	bool *dropped = arg;
	if (!*dropped && r->len) {
		*dropped = true;
		return true;
	}
	return false;
}

/* A peer without SACK or timestamps: NewReno (RFC 6582), one hole per round trip. */
static void connect_plain_pair(struct ep **pa, struct ep **pb, uint32_t abuf, uint32_t bbuf, uint16_t mss)
{
	struct ep *a = ep_new(abuf, abuf), *b = ep_new(bbuf, bbuf);
	b->cb.offer_sack = b->cb.offer_ts = false;
	tcp_cb_listen(&b->cb, 5000, mss);
	tcp_cb_connect(&a->cb, 1000, mss, 0);
	pump(a, b, 0);
	*pa = a;
	*pb = b;
}

TEST(fast_retransmit_and_newreno)
{
	struct ep *a, *b;
	connect_plain_pair(&a, &b, 65536, 65536, 1000);
	CHECK(!a->cb.sack_ok && !a->cb.ts_ok);
	uint8_t data[8000];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	CHECK_INT(tcp_cb_send(&a->cb, data, sizeof(data), 1), sizeof(data));
	CHECK_INT(a->n, 8); /* the initial window (10 segments) lets all eight go */
	uint32_t first = a->q[0].o.seq;
	bool dropped = false;
	deliver(a, b, 1, drop_first_data, &dropped);
	CHECK_INT(b->n, 7); /* seven duplicate ACKs, at once */
	for (int i = 0; i < 7; i++)
		CHECK_INT(b->q[i].o.ack, first);
	deliver(b, a, 2, NULL, NULL);
	CHECK(a->cb.in_recovery);
	CHECK_INT(a->cb.ssthresh, 4000);
	CHECK(a->n >= 1 && a->q[0].o.seq == first && a->q[0].len == 1000); /* before any RTO */
	CHECK_INT(a->cb.retransmits, 1);
	pump(a, b, 3);
	CHECK(!a->cb.in_recovery);
	CHECK(a->cb.cwnd <= a->cb.ssthresh + a->cb.mss);
	uint8_t buf[8000];
	CHECK_INT(tcp_cb_recv(&b->cb, buf, sizeof(buf), false, 4), sizeof(buf));
	CHECK(memcmp(buf, data, sizeof(buf)) == 0);
	ep_free(a);
	ep_free(b);
}

TEST(slow_start_then_avoidance)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	CHECK_INT(a->cb.mss, 1000 - 12); /* timestamps take 12 bytes of every segment */
	uint32_t iw = 10 * a->cb.mss;
	CHECK_INT(a->cb.cwnd, iw);
	static uint8_t data[200000];
	tcp_cb_send(&a->cb, data, 20000, 1);
	pump(a, b, 1);
	CHECK(a->cb.cwnd > iw && a->cb.cwnd <= 3 * iw); /* grew by at most one MSS per ACK */
	a->cb.ssthresh = a->cb.cwnd;
	uint32_t before = a->cb.cwnd;
	tcp_cb_send(&a->cb, data, (size_t)before, 2);
	pump(a, b, 2);
	CHECK(a->cb.cwnd > before && a->cb.cwnd <= before + 2 * a->cb.mss); /* about one MSS per RTT */
	ep_free(a);
	ep_free(b);
}

/* ---- ACKs and Nagle ---- */

TEST(delayed_ack)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	tcp_cb_send(&a->cb, "x", 1, 10);
	deliver(a, b, 10, NULL, NULL);
	CHECK_INT(b->n, 0); /* held back */
	CHECK_INT(b->cb.t_delack, 10 + TCP_DELACK);
	tcp_cb_tick(&b->cb, 10 + TCP_DELACK);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->q[0].o.ack, b->cb.rcv_nxt);
	deliver(b, a, 11, NULL, NULL);
	/* two full segments: acknowledged at once */
	uint8_t data[2000] = { 0 };
	tcp_cb_send(&a->cb, data, sizeof(data), 20);
	deliver(a, b, 20, NULL, NULL);
	CHECK_INT(b->n, 1);
	CHECK_INT(b->cb.t_delack, 0);
	ep_free(a);
	ep_free(b);
}

TEST(nagle_and_nodelay)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	tcp_cb_send(&a->cb, "aaaa", 4, 1);
	CHECK_INT(a->n, 1);
	tcp_cb_send(&a->cb, "bbbb", 4, 1);
	tcp_cb_send(&a->cb, "cccc", 4, 1);
	CHECK_INT(a->n, 1); /* small data waits while a small segment is unacknowledged */
	deliver(a, b, 1, NULL, NULL);
	tcp_cb_tick(&b->cb, 1 + TCP_DELACK);
	deliver(b, a, 2, NULL, NULL);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 8); /* the held bytes leave together */
	deliver(a, b, 2, NULL, NULL);
	a->cb.nodelay = true;
	tcp_cb_send(&a->cb, "dd", 2, 3);
	tcp_cb_send(&a->cb, "ee", 2, 3);
	CHECK_INT(a->n, 2);
	ep_free(a);
	ep_free(b);
}

TEST(keepalive_probes_then_timeout)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 8192, 8192, 1000);
	a->cb.keepalive = true;
	a->cb.ka_idle = 1000 * MS;
	a->cb.ka_intvl = 100 * MS;
	a->cb.ka_cnt = 3;
	tcp_cb_tick(&a->cb, 1);
	CHECK_INT(a->cb.t_keep, a->cb.last_rx + 1000 * MS);
	/* answered probes keep the connection */
	tcp_cb_tick(&a->cb, a->cb.t_keep);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].o.seq, a->cb.snd_una - 1);
	uint64_t now = a->cb.t_keep;
	pump(a, b, now);
	CHECK_INT(a->cb.ka_probes, 0);
	/* unanswered ones end it */
	for (int i = 0; i < 10 && a->cb.state == TCP_ESTABLISHED; i++) {
		now = a->cb.t_keep;
		tcp_cb_tick(&a->cb, now);
		ep_clear(a);
	}
	CHECK_INT(a->cb.state, TCP_CLOSE);
	CHECK_INT(a->cb.err, ETIMEDOUT);
	ep_free(a);
	ep_free(b);
}

TEST(window_scaling_negotiated)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	CHECK(a->cb.ws_ok && b->cb.ws_ok);
	CHECK_INT(a->cb.rcv_ws, 5); /* 65535 << 5 covers 1 MiB */
	CHECK_INT(b->cb.snd_ws, 5);
	CHECK(b->cb.snd_wnd > 65535); /* the scaled window is really used */
	ep_free(a);
	ep_free(b);
}

/* Every window a receiver advertises fits its buffer, whatever the initial sequence numbers
 * (a stale right edge once made half of all connections advertise 65535 << scale). */
static bool window_fits(struct ep *e)
{
	for (int i = 0; i < e->n; i++)
		if (!(e->q[i].o.flags & TCPF_SYN) && ((uint32_t)e->q[i].o.wnd << e->cb.rcv_ws) > e->cb.rcvq_cap)
			return false;
	return true;
}

TEST(advertised_window_within_buffer)
{
	const uint32_t isses[] = { 0, 1000, 0x7fffff00, 0x80000010, 0xfffffff0 };
	for (unsigned i = 0; i < 5; i++) {
		for (unsigned j = 0; j < 5; j++) {
			struct ep *a = ep_new(20000, 20000), *b = ep_new(20000, 20000);
			tcp_cb_listen(&b->cb, isses[i], 1000);
			tcp_cb_connect(&a->cb, isses[j], 1000, 0);
			for (int r = 0; r < 10 && (a->n || b->n); r++) {
				CHECK(window_fits(a) && window_fits(b));
				deliver(a, b, 0, NULL, NULL);
				CHECK(window_fits(b));
				deliver(b, a, 0, NULL, NULL);
			}
			CHECK_INT(a->cb.state, TCP_ESTABLISHED);
			CHECK(a->cb.snd_wnd <= 20000 && b->cb.snd_wnd <= 20000);
			uint8_t data[50000] = { 0 };
			CHECK_INT(tcp_cb_send(&a->cb, data, sizeof(data), 1), 20000);
			CHECK(a->cb.snd_nxt - a->cb.snd_una <= 20000);
			for (int r = 0; r < 100 && (a->n || b->n); r++) {
				deliver(a, b, 1, NULL, NULL);
				CHECK(window_fits(b));
				deliver(b, a, 1, NULL, NULL);
			}
			/* everything sent was taken: nothing waits for a retransmission */
			CHECK_INT(a->cb.snd_una, a->cb.snd_max);
			CHECK_INT(tcp_cb_readable(&b->cb), a->cb.snd_max - a->cb.iss - 1);
			ep_free(a);
			ep_free(b);
		}
	}
}

/* ---- the sender's SACK scoreboard and recovery (RFC 6675) ---- */

/* Drops the data segments whose index (counting data segments from 0) has its bit in *mask. */
struct drop_idx {
	uint32_t mask;
	int seen;
};

static bool drop_by_index(const struct rec *r, void *arg)
{
	struct drop_idx *d = arg;
	if (!r->len)
		return false;
	int i = d->seen++;
	return i < 32 && (d->mask >> i & 1);
}

/* Ten segments, the 2nd, 5th and 8th lost: how many retransmissions go out, before any timer,
 * once the receiver's ACKs come back. */
static void three_holes(struct ep *a, struct ep *b, uint32_t *seqs, int *nseg)
{
	static uint8_t data[20000];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	uint32_t n = 10 * a->cb.mss;
	CHECK_INT(tcp_cb_send(&a->cb, data, n, 1 * MS), n);
	*nseg = a->n;
	for (int i = 0; i < a->n; i++)
		seqs[i] = a->q[i].o.seq;
	struct drop_idx d = { .mask = 1u << 1 | 1u << 4 | 1u << 7 };
	deliver(a, b, 2 * MS, drop_by_index, &d);
	deliver(b, a, 3 * MS, NULL, NULL);
}

TEST(sack_recovery_resends_every_hole_once)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	CHECK(a->cb.sack_ok && a->cb.ts_ok);
	uint32_t seqs[16];
	int nseg = 0;
	three_holes(a, b, seqs, &nseg);
	CHECK_INT(nseg, 10);
	/* In one round trip: each hole once, nothing else, no timer. */
	CHECK(a->cb.in_recovery);
	CHECK_INT(a->cb.retransmits, 3);
	CHECK_INT(a->n, 3);
	CHECK_INT(a->q[0].o.seq, seqs[1]);
	CHECK_INT(a->q[1].o.seq, seqs[4]);
	CHECK_INT(a->q[2].o.seq, seqs[7]);
	for (int i = 0; i < 3; i++)
		CHECK_INT(a->q[i].len, a->cb.mss);
	CHECK_INT(a->cb.ssthresh, 9 * a->cb.mss / 2); /* half the flight (the first was acknowledged) */
	pump(a, b, 4 * MS);
	CHECK(!a->cb.in_recovery);
	CHECK_INT(a->cb.retransmits, 3); /* no hole twice */
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK_INT(a->cb.sb_n, 0);
	static uint8_t got[20000];
	CHECK_INT(tcp_cb_recv(&b->cb, got, sizeof(got), false, 5 * MS), 10 * a->cb.mss);
	for (uint32_t i = 0; i < 10 * a->cb.mss; i++)
		if (got[i] != (uint8_t)(i * 13))
			CHECK(!"data intact");
	ep_free(a);
	ep_free(b);
}

/* The same losses to a peer without SACK: NewReno resends one hole per round trip. */
TEST(newreno_fallback_one_hole_per_round_trip)
{
	struct ep *a, *b;
	connect_plain_pair(&a, &b, 65536, 65536, 1000);
	CHECK(!a->cb.sack_ok);
	uint32_t seqs[16];
	int nseg = 0;
	three_holes(a, b, seqs, &nseg);
	CHECK(a->cb.in_recovery);
	CHECK_INT(a->cb.retransmits, 1);
	CHECK(a->n >= 1 && a->q[0].o.seq == seqs[1]);
	for (int i = 1; i < a->n; i++)
		CHECK(a->q[i].o.seq != seqs[4] && a->q[i].o.seq != seqs[7]);
	/* each partial ACK brings the next hole */
	deliver(a, b, 4 * MS, NULL, NULL);
	deliver(b, a, 5 * MS, NULL, NULL);
	CHECK_INT(a->cb.retransmits, 2);
	CHECK(a->n >= 1 && a->q[0].o.seq == seqs[4]);
	pump(a, b, 6 * MS);
	CHECK_INT(a->cb.retransmits, 3);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	ep_free(a);
	ep_free(b);
}

/* An ACK for a from b carrying the given SACK blocks. */
static void feed_sack(struct ep *a, uint32_t ack, const uint32_t (*blk)[2], unsigned n, uint64_t now)
{
	struct tcp_seg s = { .seq = a->cb.rcv_nxt, .ack = ack, .flags = TCPF_ACK, .wnd = 65535 >> a->cb.snd_ws,
			     .nsack = (uint8_t)n };
	memcpy(s.sack, blk, n * sizeof(blk[0]));
	tcp_cb_input(&a->cb, &s, now);
}

TEST(sack_bogus_blocks_ignored)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	static uint8_t data[5000];
	tcp_cb_send(&a->cb, data, 5 * a->cb.mss, 1 * MS);
	ep_clear(a);
	uint32_t una = a->cb.snd_una, max = a->cb.snd_max, m = a->cb.mss;
	CHECK_INT(max - una, 5 * m);
	const uint32_t bogus[][2] = {
		{ max, max + 100 },         /* never sent */
		{ una + m, max + 1 },       /* reaches past what was sent */
		{ una + 2 * m, una + m },   /* inverted */
		{ una, una + m },           /* from SND.UNA: would have been acknowledged */
	};
	for (unsigned i = 0; i < 4; i++)
		feed_sack(a, una, &bogus[i], 1, 2 * MS);
	const uint32_t far[2][2] = { { una + 0x40000000u, una + 0x40001000u }, { una - 5000, una - 1000 } };
	feed_sack(a, una, far, 2, 2 * MS);
	CHECK_INT(a->cb.sb_n, 0);
	CHECK_INT(a->cb.dupacks, 0); /* and none of it counted as a duplicate ACK */
	CHECK(!a->cb.in_recovery);
	/* D-SACK (RFC 2883): a first block below the ACK, or inside the second, is a duplicate. */
	const uint32_t dsack_low[2][2] = { { una - 1000, una }, { una + 3 * m, una + 4 * m } };
	feed_sack(a, una, dsack_low, 2, 2 * MS);
	CHECK_INT(a->cb.sb_n, 1);
	CHECK(a->cb.sb[0][0] == una + 3 * m && a->cb.sb[0][1] == una + 4 * m);
	CHECK_INT(a->cb.dupacks, 1);
	const uint32_t dsack_in[2][2] = { { una + 3 * m + 10, una + 3 * m + 20 }, { una + 3 * m, una + 4 * m } };
	feed_sack(a, una, dsack_in, 2, 2 * MS);
	CHECK_INT(a->cb.dupacks, 1); /* nothing new: not a duplicate ACK under RFC 6675 */
	/* A valid block that merges with the known one. */
	const uint32_t ok[1][2] = { { una + 2 * m, una + 3 * m } };
	feed_sack(a, una, ok, 1, 2 * MS);
	CHECK_INT(a->cb.sb_n, 1);
	CHECK(a->cb.sb[0][0] == una + 2 * m && a->cb.sb[0][1] == una + 4 * m);
	CHECK_INT(a->cb.dupacks, 2);
	/* The cumulative ACK passes it: forgotten. */
	feed_sack(a, una + 4 * m, NULL, 0, 3 * MS);
	CHECK_INT(a->cb.sb_n, 0);
	ep_free(a);
	ep_free(b);

	/* Blocks from a peer that never negotiated SACK are not even looked at. */
	connect_plain_pair(&a, &b, 65536, 65536, 1000);
	tcp_cb_send(&a->cb, data, 3000, 1 * MS);
	una = a->cb.snd_una;
	const uint32_t blk[1][2] = { { una + 1000, una + 2000 } };
	feed_sack(a, una, blk, 1, 2 * MS);
	CHECK_INT(a->cb.sb_n, 0);
	ep_free(a);
	ep_free(b);
}

/* A timeout forgets the scoreboard (RFC 6675 5.1); what the peer SACKs after it is skipped
 * when going back. */
TEST(sack_timeout_resets_scoreboard)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	static uint8_t data[8000];
	uint32_t m = a->cb.mss;
	tcp_cb_send(&a->cb, data, 6 * m, 1 * MS);
	ep_clear(a);
	uint32_t una = a->cb.snd_una;
	const uint32_t blk[1][2] = { { una + 4 * m, una + 5 * m } };
	feed_sack(a, una, blk, 1, 2 * MS);
	CHECK_INT(a->cb.sb_n, 1);
	tcp_cb_tick(&a->cb, a->cb.t_rto);
	CHECK_INT(a->cb.sb_n, 0);
	CHECK(a->n == 1 && a->q[0].o.seq == una);
	uint64_t now = a->cb.t_rto - a->cb.rtt.rto;
	ep_clear(a);
	/* The first segment acknowledged, the third SACKed: the second and fourth go, the third not. */
	const uint32_t blk2[1][2] = { { una + 2 * m, una + 3 * m } };
	feed_sack(a, una + m, blk2, 1, now + 1);
	CHECK(a->n >= 2);
	CHECK_INT(a->q[0].o.seq, una + m);
	CHECK_INT(a->q[1].o.seq, una + 3 * m);
	for (int i = 0; i < a->n; i++)
		CHECK(a->q[i].o.seq != una + 2 * m);
	ep_free(a);
	ep_free(b);
}

/* A scripted lossy wire with a delay: the same pseudo-random drops both ways for both runs.
 * SACK must take less time and fewer timeouts than NewReno (most timeouts left come from
 * windows too small for three duplicate ACKs, and lost retransmissions). */
static uint32_t lcg_state;
static bool lcg_drop(unsigned pct)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return (lcg_state >> 16) % 100 < pct;
}

#define LINE_MAX_RECS 4096
struct line {
	struct rec q[LINE_MAX_RECS];
	uint64_t due[LINE_MAX_RECS];
	int head, len;
};

/* Takes what from sent (minus the drops) onto the line, due after delay. */
static void line_put(struct line *l, struct ep *from, uint64_t now, uint64_t delay, unsigned loss)
{
	for (int i = 0; i < from->n; i++) {
		if (lcg_drop(loss) || l->len == LINE_MAX_RECS) {
			free(from->q[i].data);
			continue;
		}
		int at = (l->head + l->len++) % LINE_MAX_RECS;
		l->q[at] = from->q[i];
		l->due[at] = now + delay;
	}
	from->n = 0;
}

static void line_deliver(struct line *l, struct ep *to, uint64_t now)
{
	while (l->len && l->due[l->head] <= now) {
		struct rec *r = &l->q[l->head];
		struct tcp_seg s = seg_of(r);
		tcp_cb_input(&to->cb, &s, now);
		free(r->data);
		l->head = (l->head + 1) % LINE_MAX_RECS;
		l->len--;
	}
}

static void line_drain(struct line *l)
{
	for (; l->len; l->len--, l->head = (l->head + 1) % LINE_MAX_RECS)
		free(l->q[l->head].data);
}

/* 2 MiB through 10 ms each way with loss% dropped each way: the time it took, or UINT64_MAX. */
static uint64_t lossy_transfer(bool sack, unsigned loss, uint64_t *rtos)
{
	struct ep *a, *b;
	if (sack)
		connect_pair(&a, &b, 1 << 18, 1 << 18, 1000);
	else
		connect_plain_pair(&a, &b, 1 << 18, 1 << 18, 1000);
	enum { N = 2 << 20 };
	static uint8_t src[N], dst[N];
	static struct line ab, ba;
	for (int i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 31 + (i >> 11));
	size_t sent = 0, got = 0;
	uint64_t now = 1;
	lcg_state = 42;
	*rtos = 0;
	for (int iter = 0; iter < 2000000 && got < N; iter++) {
		if (sent < N)
			sent += (size_t)tcp_cb_send(&a->cb, src + sent, N - sent, now);
		line_put(&ab, a, now, 10 * MS, loss);
		line_deliver(&ab, b, now);
		got += tcp_cb_recv(&b->cb, dst + got, N - got, false, now);
		line_put(&ba, b, now, 10 * MS, loss);
		line_deliver(&ba, a, now);
		now += MS;
		if (a->cb.t_rto && now >= a->cb.t_rto && a->cb.snd_una != a->cb.snd_max && a->cb.snd_wnd)
			(*rtos)++;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
	}
	bool ok = got == N && memcmp(src, dst, N) == 0;
	line_drain(&ab);
	line_drain(&ba);
	ep_free(a);
	ep_free(b);
	return ok ? now : UINT64_MAX;
}

TEST(sack_lossy_transfer_beats_newreno)
{
	uint64_t rto_sack, rto_reno;
	uint64_t t_sack = lossy_transfer(true, 10, &rto_sack);
	uint64_t t_reno = lossy_transfer(false, 10, &rto_reno);
	printf("INFO 2 MiB, 20 ms RTT, 10%% loss each way: SACK %llu ms (%llu timeouts), NewReno %llu ms (%llu timeouts)\n",
	       (unsigned long long)(t_sack / MS), (unsigned long long)rto_sack, (unsigned long long)(t_reno / MS),
	       (unsigned long long)rto_reno);
	CHECK(t_sack != UINT64_MAX && t_reno != UINT64_MAX);
	CHECK(rto_sack < rto_reno);
	CHECK(t_sack < t_reno);
}

/* ---- timestamps (RFC 7323) ---- */

TEST(timestamps_negotiated_and_echoed)
{
	struct ep *a = ep_new(65536, 65536), *b = ep_new(65536, 65536);
	a->cb.ts_off = 7000;
	b->cb.ts_off = 90000;
	tcp_cb_listen(&b->cb, 5000, 1000);
	tcp_cb_connect(&a->cb, 1000, 1000, 5 * MS);
	CHECK(a->n == 1 && a->q[0].o.opt_ts && a->q[0].o.tsval == 7005 && a->q[0].o.tsecr == 0);
	deliver(a, b, 6 * MS, NULL, NULL);
	CHECK(b->n == 1 && b->q[0].o.opt_ts && b->q[0].o.tsval == 90006 && b->q[0].o.tsecr == 7005);
	CHECK(b->cb.ts_ok);
	deliver(b, a, 8 * MS, NULL, NULL);
	CHECK(a->cb.ts_ok);
	CHECK_INT(a->cb.mss, 1000 - 12);
	CHECK(a->n == 1 && a->q[0].o.opt_ts && a->q[0].o.tsval == 7008 && a->q[0].o.tsecr == 90006);
	deliver(a, b, 9 * MS, NULL, NULL);
	/* On the wire: NOP NOP kind 8 length 10, then TSval and TSecr big-endian; parsed back. */
	struct tcp_out o = { .opt_ts = true, .tsval = 0x01020304, .tsecr = 0x0a0b0c0d };
	uint8_t p[60] = { 0 };
	CHECK_INT(tcp_opt_build(p + 20, &o), 12);
	static const uint8_t want[] = { 1, 1, 8, 10, 1, 2, 3, 4, 10, 11, 12, 13 };
	CHECK(memcmp(p + 20, want, sizeof(want)) == 0);
	p[12] = 8 << 4;
	p[13] = TCPF_ACK;
	struct tcp_seg s;
	uint16_t sp, dp;
	CHECK_INT(tcp_seg_parse(p, 32, &s, &sp, &dp), 0);
	CHECK(s.has_ts && s.tsval == 0x01020304 && s.tsecr == 0x0a0b0c0d);
	/* A SYN's options with both: 20 bytes, SACK-permitted beside the timestamp as Linux's. */
	struct tcp_out syn = { .opt_mss = true, .mss = 1460, .opt_ws = true, .ws = 7, .opt_sack_ok = true,
			       .opt_ts = true };
	CHECK_INT(tcp_opt_build(p, &syn), 20);
	/* Beside a timestamp, at most three SACK blocks fit in 40 bytes. */
	struct tcp_out full = { .opt_ts = true, .nsack = 4 };
	CHECK_INT(tcp_opt_build(p, &full), 40);
	CHECK_INT(p[14], 5);
	CHECK_INT(p[15], 2 + 3 * 8);

	/* Data at 20 ms; the peer's ACK at 50 ms echoes its TSval. After a retransmission (no
	 * classic sample, Karn) the echo still measures the round trip of the copy that arrived. */
	ep_clear(b);
	tcp_cb_send(&a->cb, "x", 1, 20 * MS);
	CHECK(a->n == 1 && a->q[0].o.tsval == 7020);
	deliver(a, b, 21 * MS, drop_all, NULL);
	struct tcp_rtt before = a->cb.rtt;
	uint64_t t = a->cb.t_rto;
	tcp_cb_tick(&a->cb, t);
	CHECK(a->n == 1 && a->q[0].o.tsval == 7000 + t / MS);
	deliver(a, b, t + 10 * MS, NULL, NULL);
	tcp_cb_tick(&b->cb, t + 10 * MS + TCP_DELACK);
	CHECK(b->n == 1 && b->q[0].o.tsecr == 7000 + t / MS);
	deliver(b, a, t + 90 * MS, NULL, NULL);
	struct tcp_rtt want_rtt = before;
	tcp_rtt_sample(&want_rtt, 90 * MS);
	CHECK_INT(a->cb.rtt.srtt, want_rtt.srtt);
	CHECK_INT(a->cb.rtt.rttvar, want_rtt.rttvar);
	/* An echo from the future is no measurement: the segment's own timing (1 ms) counts. */
	want_rtt = a->cb.rtt;
	tcp_rtt_sample(&want_rtt, 1 * MS);
	tcp_cb_send(&a->cb, "y", 1, t + 100 * MS);
	deliver(a, b, t + 100 * MS, NULL, NULL);
	tcp_cb_tick(&b->cb, t + 100 * MS + TCP_DELACK);
	ep_clear(b); /* b's own ACK of it: "fut" below stands in */
	struct tcp_seg fut = { .seq = a->cb.rcv_nxt, .ack = a->cb.snd_max, .flags = TCPF_ACK, .wnd = 1000,
			       .has_ts = true, .tsval = 90000 + (uint32_t)((t + 100 * MS) / MS),
			       .tsecr = 7000 + (uint32_t)(t / MS) + 5000 };
	tcp_cb_input(&a->cb, &fut, t + 101 * MS);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK_INT(a->cb.rtt.srtt, want_rtt.srtt);
	/* The peer got "z" but its ACK was lost; our timeout resends it, and the duplicate's ACK
	 * echoes the original's TSval: that span holds our timeout, no sample is taken. */
	uint64_t t2 = t + 200 * MS;
	tcp_cb_send(&a->cb, "z", 1, t2);
	deliver(a, b, t2 + 10 * MS, NULL, NULL);
	tcp_cb_tick(&b->cb, t2 + 10 * MS + TCP_DELACK);
	ep_clear(b);
	uint64_t t3 = a->cb.t_rto;
	tcp_cb_tick(&a->cb, t3);
	CHECK_INT(a->n, 1);
	deliver(a, b, t3 + 10 * MS, NULL, NULL);
	CHECK(b->n == 1 && b->q[0].o.tsecr == 7000 + t2 / MS);
	before = a->cb.rtt;
	deliver(b, a, t3 + 20 * MS, NULL, NULL);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK_INT(a->cb.rtt.srtt, before.srtt);
	CHECK_INT(a->cb.rtt.rttvar, before.rttvar);
	ep_free(a);
	ep_free(b);
}

TEST(paws_drops_an_old_segment)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	tcp_cb_send(&a->cb, "new", 3, 100 * MS);
	CHECK(a->n == 1 && a->q[0].o.opt_ts);
	uint32_t ts_new = a->q[0].o.tsval;
	deliver(a, b, 101 * MS, NULL, NULL);
	CHECK_INT(b->cb.ts_recent, ts_new);
	CHECK_INT(tcp_cb_readable(&b->cb), 3);
	ep_clear(b);
	/* In the window, at RCV.NXT even, but its timestamp is older: an old duplicate (PAWS). */
	struct tcp_seg old = { .seq = b->cb.rcv_nxt, .ack = b->cb.snd_nxt, .flags = TCPF_ACK, .wnd = 1000,
			       .has_ts = true, .tsval = ts_new - 50, .tsecr = 0, .data = (const uint8_t *)"old", .len = 3 };
	tcp_cb_input(&b->cb, &old, 102 * MS);
	CHECK_INT(tcp_cb_readable(&b->cb), 3);
	CHECK(b->n == 1 && b->q[0].o.flags == TCPF_ACK && b->q[0].len == 0);
	CHECK_INT(b->cb.ts_recent, ts_new);
	ep_clear(b);
	/* One tick behind is reordering, not an old duplicate (Linux's TCP_PAWS_WINDOW). */
	struct tcp_seg same = old;
	same.tsval = ts_new - 1;
	tcp_cb_input(&b->cb, &same, 103 * MS);
	CHECK_INT(tcp_cb_readable(&b->cb), 6);
	/* A TS.Recent idle for more than 24 days no longer judges (RFC 7323 5.5). */
	old.seq = b->cb.rcv_nxt;
	tcp_cb_input(&b->cb, &old, 103 * MS + TCP_PAWS_IDLE + MS);
	CHECK_INT(tcp_cb_readable(&b->cb), 9);
	ep_clear(b);
	/* A reset is not subject to PAWS (RFC 7323 5.3 R1). */
	struct tcp_seg rst = { .seq = b->cb.rcv_nxt, .flags = TCPF_RST, .has_ts = true, .tsval = 1 };
	tcp_cb_input(&b->cb, &rst, 104 * MS + TCP_PAWS_IDLE);
	CHECK_INT(b->cb.state, TCP_CLOSE);
	ep_free(a);
	ep_free(b);
}

TEST(no_tsopt_when_the_peer_did_not_offer_it)
{
	/* Passive: a SYN without TSopt gets a SYN-ACK without it, and nothing later has one. */
	struct ep *b = ep_new(65536, 65536);
	tcp_cb_listen(&b->cb, 5000, 1000);
	struct tcp_seg syn = { .seq = 100, .flags = TCPF_SYN, .wnd = 65535, .sack_ok = true };
	tcp_cb_input(&b->cb, &syn, 0);
	CHECK(b->n == 1 && !b->q[0].o.opt_ts && b->q[0].o.opt_sack_ok);
	feed(b, 101, 5001, TCPF_ACK, 65535, NULL, 0, 0);
	CHECK(!b->cb.ts_ok);
	CHECK_INT(b->cb.mss, 536); /* no MSS option: the default, nothing taken for TSopt */
	ep_clear(b);
	tcp_cb_send(&b->cb, "data", 4, 1);
	feed(b, 101, 5001, TCPF_ACK, 65535, "in", 2, 2);
	tcp_cb_tick(&b->cb, 2 + TCP_DELACK);
	CHECK(b->n >= 2);
	for (int i = 0; i < b->n; i++)
		CHECK(!b->q[i].o.opt_ts);
	ep_free(b);
	/* Active: our SYN offers it; a SYN-ACK without it ends it. */
	struct ep *a = ep_new(65536, 65536);
	tcp_cb_connect(&a->cb, 1000, 1460, 0);
	CHECK(a->n == 1 && a->q[0].o.opt_ts && a->q[0].o.opt_sack_ok);
	ep_clear(a);
	struct tcp_seg sa = { .seq = 9000, .ack = 1001, .flags = TCPF_SYN | TCPF_ACK, .wnd = 30000,
			      .has_mss = true, .mss = 1460 };
	tcp_cb_input(&a->cb, &sa, MS);
	CHECK(!a->cb.ts_ok && !a->cb.sack_ok);
	CHECK_INT(a->cb.mss, 1460);
	CHECK(a->n == 1 && !a->q[0].o.opt_ts);
	ep_free(a);
}

/* ---- the scoreboard under stress ---- */

/* The scoreboard's invariant: sorted, disjoint, not touching, strictly inside SND.UNA..SND.MAX. */
static bool sb_sane(const struct tcp_cb *cb)
{
	uint32_t p = cb->snd_una;
	for (unsigned i = 0; i < cb->sb_n; i++) {
		if (!SEQ_LT(p, cb->sb[i][0]) || !SEQ_LT(cb->sb[i][0], cb->sb[i][1]) || SEQ_GT(cb->sb[i][1], cb->snd_max))
			return false;
		p = cb->sb[i][1];
	}
	return cb->sb_n <= TCP_SB_MAX;
}

/* Every other segment of 90 lost (45 holes, more ranges than the scoreboard keeps), with
 * sequence numbers wrapping past 2^32: the transfer completes intact without our timer (only
 * the receiver's delayed ACK runs) and the scoreboard stays sane after every ACK. */
TEST(sack_many_holes_and_wraparound)
{
	const uint32_t isses[] = { 1000, 0xffffff00u - 30 * 488 };
	for (unsigned k = 0; k < 2; k++) {
		struct ep *a = ep_new(1 << 20, 1 << 20), *b = ep_new(1 << 20, 1 << 20);
		tcp_cb_listen(&b->cb, 0x7ffffff0u, 500);
		tcp_cb_connect(&a->cb, isses[k], 500, 0);
		pump(a, b, 0);
		CHECK(a->cb.sack_ok && a->cb.state == TCP_ESTABLISHED);
		uint32_t m = a->cb.mss;
		CHECK_INT(m, 488);
		a->cb.cwnd = 100 * m; /* one flight of 90 segments (within the SYN's 65535 window) */
		static uint8_t data[90 * 488];
		for (unsigned i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + k);
		CHECK_INT(tcp_cb_send(&a->cb, data, 90 * m, MS), 90 * m);
		CHECK_INT(a->n, 90);
		int n = a->n;
		struct rec q[90];
		memcpy(q, a->q, sizeof(q));
		a->n = 0;
		for (int i = 0; i < n; i++) {
			if (i % 2 == 0) {
				struct tcp_seg s = seg_of(&q[i]);
				tcp_cb_input(&b->cb, &s, 2 * MS);
			}
			free(q[i].data);
		}
		/* b's ACKs one at a time */
		int acks = b->n;
		struct rec bq[MAXQ];
		memcpy(bq, b->q, sizeof(struct rec) * (size_t)acks);
		b->n = 0;
		unsigned most = 0;
		for (int i = 0; i < acks; i++) {
			struct tcp_seg s = seg_of(&bq[i]);
			tcp_cb_input(&a->cb, &s, 3 * MS);
			free(bq[i].data);
			CHECK(sb_sane(&a->cb));
			most = a->cb.sb_n > most ? a->cb.sb_n : most;
		}
		CHECK_INT(most, TCP_SB_MAX); /* it filled up: the highest ranges were forgotten */
		CHECK(a->cb.in_recovery);
		for (int r = 0; r < 1000 && (a->n || b->n); r++) {
			deliver(a, b, 4 * MS, NULL, NULL);
			deliver(b, a, 4 * MS, NULL, NULL);
			CHECK(sb_sane(&a->cb));
		}
		tcp_cb_tick(&b->cb, 4 * MS + TCP_DELACK); /* b's delayed ACK of the last one */
		pump(a, b, 4 * MS + TCP_DELACK);
		CHECK_INT(a->cb.snd_una, a->cb.snd_max);
		CHECK(!a->cb.in_recovery);
		static uint8_t got[90 * 488];
		CHECK_INT(tcp_cb_recv(&b->cb, got, sizeof(got), false, 5 * MS), 90 * m);
		CHECK(memcmp(got, data, 90 * m) == 0);
		ep_free(a);
		ep_free(b);
	}
}

/* The last segment and its FIN lost along with a middle one: the timeout brings them back,
 * and the close completes. */
TEST(sack_lost_fin_tail)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	static uint8_t data[5 * 988];
	tcp_cb_send(&a->cb, data, sizeof(data), MS);
	tcp_cb_shutdown(&a->cb, MS);
	CHECK_INT(a->n, 6);
	CHECK(a->q[5].o.flags & TCPF_FIN && a->q[5].len == 0);
	struct drop_idx d = { .mask = 1u << 1 | 1u << 4 };
	a->n = 5;
	free(a->q[5].data); /* the FIN is lost too */
	deliver(a, b, 2 * MS, drop_by_index, &d);
	deliver(b, a, 3 * MS, NULL, NULL);
	uint64_t now = 3 * MS;
	for (int i = 0; i < 20 && a->cb.state != TCP_FIN_WAIT2; i++) {
		pump(a, b, now);
		now = a->cb.t_rto ? a->cb.t_rto : now + MS;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
		CHECK(sb_sane(&a->cb));
	}
	CHECK_INT(a->cb.state, TCP_FIN_WAIT2);
	CHECK_INT(b->cb.state, TCP_CLOSE_WAIT);
	CHECK_INT(tcp_cb_readable(&b->cb), sizeof(data));
	ep_free(a);
	ep_free(b);
}

/* The last two of four segments lost: no duplicate ACK comes back. The tail loss probe resends
 * the last one after 2 SRTT (10 ms at least), long before the 200 ms timeout; its SACK makes
 * the other a loss at once (early retransmit, two segments out), and all is repaired. */
TEST(tail_loss_probe_and_early_retransmit)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
	uint32_t m = a->cb.mss;
	static uint8_t data[4 * 988];
	CHECK_INT(tcp_cb_send(&a->cb, data, 4 * m, 1 * MS), 4 * m);
	CHECK_INT(a->n, 4);
	uint32_t seq2 = a->q[2].o.seq, seq3 = a->q[3].o.seq;
	struct drop_idx d = { .mask = 1u << 2 | 1u << 3 };
	deliver(a, b, 2 * MS, drop_by_index, &d);
	deliver(b, a, 3 * MS, NULL, NULL); /* the ACK of the first two */
	CHECK_INT(a->cb.snd_una, seq2);
	CHECK(a->cb.t_tlp != 0 && a->cb.t_tlp < a->cb.t_rto);
	CHECK_INT(a->cb.t_tlp, 3 * MS + TCP_PTO_MIN); /* SRTT is ~0 here: the floor */
	tcp_cb_tick(&a->cb, a->cb.t_tlp);
	CHECK(a->n == 1 && a->q[0].o.seq == seq3 && a->q[0].len == m); /* the probe */
	CHECK(a->cb.tlp_out);
	deliver(a, b, 14 * MS, NULL, NULL);
	CHECK(b->n == 1 && b->q[0].o.nsack == 1 && b->q[0].o.ack == seq2);
	deliver(b, a, 15 * MS, NULL, NULL);
	CHECK(a->cb.in_recovery);
	CHECK(a->n == 1 && a->q[0].o.seq == seq2); /* early retransmit of the hole */
	pump(a, b, 16 * MS);
	CHECK_INT(a->cb.snd_una, a->cb.snd_max);
	CHECK(!a->cb.tlp_out && !a->cb.in_recovery);
	CHECK_INT(a->cb.t_rto, 0);
	CHECK_INT(tcp_cb_readable(&b->cb), 4 * m);
	ep_free(a);
	ep_free(b);
}

/* ---- segmentation offload: segments of many MSS, limited as their pieces would be ---- */

TEST(tso_segments_follow_cwnd_and_window)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	static uint8_t data[100000];
	uint32_t m = a->cb.mss; /* 1000 less the timestamps' 12 bytes */
	CHECK_INT(tcp_cb_send(&a->cb, data, sizeof(data), 1), (ssize_t)sizeof(data));
	/* The initial window (10 MSS) leaves as one segment the device cuts in ten. */
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 10 * m);
	CHECK_INT(a->q[0].o.seq, 1001);
	/* One ACK for it: slow start grows cwnd by one MSS, so the next is 11 MSS. */
	deliver(a, b, 2, NULL, NULL);
	CHECK_INT(b->n, 1);
	deliver(b, a, 3, NULL, NULL);
	CHECK_INT(a->cb.cwnd, 11 * m);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 11 * m);
	CHECK_INT(a->q[0].o.seq, 1001 + 10 * m);
	ep_free(a);
	ep_free(b);

	/* A peer window that is not a whole number of MSS: whole MSS only, like the pieces. */
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	m = a->cb.mss;
	a->cb.snd_wnd = 4 * m + m / 2;
	tcp_cb_send(&a->cb, data, sizeof(data), 1);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 4 * m);
	ep_free(a);
	ep_free(b);

	/* The tail of the data goes even when it is not a whole MSS. */
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	tcp_cb_send(&a->cb, data, 2 * a->cb.mss + 500, 1);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 2 * a->cb.mss + 500);
	CHECK(a->q[0].o.flags & TCPF_PSH);
	ep_free(a);
	ep_free(b);
}

TEST(tso_bulk_transfer_and_single_mss_retransmission)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 1 << 18, 1 << 16, 1000);
	a->cb.tso_max = 64000;
	enum { N = 400000 };
	uint8_t *src = malloc(N), *dst = malloc(N);
	for (int i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 13 + (i >> 10));
	uint64_t now = 1, segs_before = a->sent_segs;
	CHECK_INT(bulk_transfer(a, b, src, dst, N, &now), N);
	CHECK(memcmp(src, dst, N) == 0);
	/* Far fewer segments than MSS-sized ones would take (400 and more). */
	CHECK(a->sent_segs - segs_before < N / 1000 / 4);
	CHECK_INT(a->cb.retransmits, 0);
	/* A lost large segment comes back one MSS at a time (the RTO leaves cwnd at one MSS). */
	tcp_cb_send(&a->cb, src, 30000, now);
	CHECK_INT(a->n, 1);
	CHECK(a->q[0].len > a->cb.mss);
	ep_clear(a);
	now += a->cb.rtt.rto + MS;
	tcp_cb_tick(&a->cb, now);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, a->cb.mss);
	CHECK_INT(a->cb.retransmits, 1);
	free(src);
	free(dst);
	ep_free(a);
	ep_free(b);
}
