// unit-deps: kernel/net/tcp/tcp_cb.c kernel/net/tcp/tcp_in.c kernel/net/tcp/tcp_out.c kernel/net/tcp/tcp_opt.c kernel/net/tcp/tcp_ring.c kernel/net/tcp/tcp_rtt.c kernel/lib/string.c
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
			     .sack_ok = r->o.opt_sack_ok,
			     .data = r->data, .len = r->len };
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
	size_t sent = 0, got = 0;
	uint64_t now = 1;
	for (int iter = 0; iter < 100000 && got < N; iter++) {
		if (sent < N) {
			ssize_t n = tcp_cb_send(&a->cb, src + sent, N - sent, now);
			CHECK(n >= 0);
			sent += (size_t)n;
		}
		pump(a, b, now);
		got += tcp_cb_recv(&b->cb, dst + got, N - got, false, now);
		pump(a, b, now);
		now += MS;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
	}
	CHECK_INT(got, N);
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

TEST(fast_retransmit_and_newreno)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 65536, 65536, 1000);
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
	CHECK_INT(a->cb.cwnd, 10000);
	static uint8_t data[200000];
	tcp_cb_send(&a->cb, data, 20000, 1);
	pump(a, b, 1);
	CHECK(a->cb.cwnd > 10000 && a->cb.cwnd <= 30000); /* grew by at most one MSS per ACK */
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

/* ---- segmentation offload: segments of many MSS, limited as their pieces would be ---- */

TEST(tso_segments_follow_cwnd_and_window)
{
	struct ep *a, *b;
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	static uint8_t data[100000];
	CHECK_INT(tcp_cb_send(&a->cb, data, sizeof(data), 1), (ssize_t)sizeof(data));
	/* The initial window (10 MSS) leaves as one segment the device cuts in ten. */
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 10000);
	CHECK_INT(a->q[0].o.seq, 1001);
	/* One ACK for it: slow start grows cwnd by one MSS, so the next is 11 MSS. */
	deliver(a, b, 2, NULL, NULL);
	CHECK_INT(b->n, 1);
	deliver(b, a, 3, NULL, NULL);
	CHECK_INT(a->cb.cwnd, 11000);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 11000);
	CHECK_INT(a->q[0].o.seq, 11001);
	ep_free(a);
	ep_free(b);

	/* A peer window that is not a whole number of MSS: whole MSS only, like the pieces. */
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	a->cb.snd_wnd = 4500;
	tcp_cb_send(&a->cb, data, sizeof(data), 1);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 4000);
	ep_free(a);
	ep_free(b);

	/* The tail of the data goes even when it is not a whole MSS. */
	connect_pair(&a, &b, 1 << 20, 1 << 20, 1000);
	a->cb.tso_max = 64000;
	tcp_cb_send(&a->cb, data, 2500, 1);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 2500);
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
	size_t sent = 0, got = 0;
	uint64_t now = 1, segs_before = a->sent_segs;
	for (int iter = 0; iter < 100000 && got < N; iter++) {
		if (sent < N) {
			ssize_t n = tcp_cb_send(&a->cb, src + sent, N - sent, now);
			CHECK(n >= 0);
			sent += (size_t)n;
		}
		pump(a, b, now);
		got += tcp_cb_recv(&b->cb, dst + got, N - got, false, now);
		pump(a, b, now);
		now += MS;
		tcp_cb_tick(&a->cb, now);
		tcp_cb_tick(&b->cb, now);
	}
	CHECK_INT(got, N);
	CHECK(memcmp(src, dst, N) == 0);
	/* Far fewer segments than MSS-sized ones would take (400 and more). */
	CHECK(a->sent_segs - segs_before < N / 1000 / 4);
	CHECK_INT(a->cb.retransmits, 0);
	/* A lost large segment comes back one MSS at a time (the RTO leaves cwnd at one MSS). */
	tcp_cb_send(&a->cb, src, 30000, now);
	CHECK_INT(a->n, 1);
	CHECK(a->q[0].len > 1000);
	ep_clear(a);
	now += a->cb.rtt.rto + MS;
	tcp_cb_tick(&a->cb, now);
	CHECK_INT(a->n, 1);
	CHECK_INT(a->q[0].len, 1000);
	CHECK_INT(a->cb.retransmits, 1);
	free(src);
	free(dst);
	ep_free(a);
	ep_free(b);
}
