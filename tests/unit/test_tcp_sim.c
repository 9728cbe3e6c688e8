// unit-deps: kernel/net/tcp/tcp_cb.c kernel/net/tcp/tcp_in.c kernel/net/tcp/tcp_out.c kernel/net/tcp/tcp_opt.c kernel/net/tcp/tcp_ring.c kernel/net/tcp/tcp_rtt.c kernel/net/tcp/tcp_sack.c kernel/lib/string.c
/*
 * The TCP engine in a randomised simulation of the loopback ktest (tcp_loopback_transfer):
 * two engines joined by a loss-free FIFO wire whose segments take random times to arrive, a
 * timer thread that runs late by random amounts, and one application thread that alternately
 * sends 16 KiB on one end and reads it on the other. Without loss a step must never wait for a
 * retransmission timeout, however the events interleave; the scheduling delays of a loaded
 * host (the vCPU descheduled for a while) are in the random times too.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "lib/string.h"
#include "net/tcp/tcp_core.h"

void *kmalloc(size_t size) { return malloc(size ? size : 1); }
void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(const void *p) { free((void *)p); }

#define MS TCP_MS
#define LO_MSS 65495            /* tcp_mss_for(127.0.0.1) */
#define BUF (212992 / 2)        /* SOCK_DEFAULT_BUF halved, as tcp_sock_alloc does */
#define STEP (16 * 1024)
#define TOTAL (200 * 1024)

struct wseg {
	struct tcp_out o;
	uint8_t *data;
	uint32_t len;
	uint64_t at; /* when it reaches the peer */
	struct wseg *next;
};

struct node {
	struct tcp_cb cb;
	struct wseg *head, *tail; /* segments on their way to the peer, in order */
	uint64_t last_at;
	bool readable;
};

static uint64_t sim_now;
static uint64_t rng = 88172645463325252ull;
static unsigned max_delay_ms; /* the wire's and the threads' scheduling delays */
static uint64_t sim_retransmits_seen;

static uint64_t xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A scheduling delay: mostly short, now and then the whole vCPU is away for a while. */
static uint64_t sched_delay(void)
{
	uint64_t r = xr() % 1000;
	if (r < 5)
		return (xr() % (max_delay_ms * MS + 1));
	if (r < 100)
		return xr() % (5 * MS);
	return xr() % (50 * 1000); /* tens of microseconds */
}

static void sim_emit(struct tcp_cb *cb, const struct tcp_out *o, const struct tcp_ring *src, uint32_t off,
		     uint32_t len)
{
	struct node *n = cb->ctx;
	struct wseg *w = calloc(1, sizeof(*w));
	w->o = *o;
	w->len = len;
	w->data = malloc(len ? len : 1);
	if (len)
		tcp_ring_peek(src, off, w->data, len);
	uint64_t at = sim_now + sched_delay();
	w->at = at > n->last_at ? at : n->last_at; /* the backlog is FIFO */
	n->last_at = w->at;
	if (n->tail)
		n->tail->next = w;
	else
		n->head = w;
	n->tail = w;
}

static void sim_notify(struct tcp_cb *cb, unsigned ev)
{
	struct node *n = cb->ctx;
	if (ev & (TCP_EV_READ | TCP_EV_STATE))
		n->readable = true;
}

static const struct tcp_cb_ops sim_ops = { sim_emit, sim_notify };

static void deliver_one(struct node *from, struct node *to)
{
	struct wseg *w = from->head;
	from->head = w->next;
	if (!from->head)
		from->tail = NULL;
	struct tcp_seg s = { .seq = w->o.seq, .ack = w->o.ack, .flags = w->o.flags, .wnd = w->o.wnd,
			     .has_mss = w->o.opt_mss, .mss = w->o.mss, .has_ws = w->o.opt_ws, .ws = w->o.ws,
			     .sack_ok = w->o.opt_sack_ok, .has_ts = w->o.opt_ts, .tsval = w->o.tsval,
			     .tsecr = w->o.tsecr, .nsack = w->o.nsack, .data = w->data, .len = w->len };
	memcpy(s.sack, w->o.sack, sizeof(s.sack));
	tcp_cb_input(&to->cb, &s, sim_now);
	free(w->data);
	free(w);
}

/*
 * Runs the world until the application's condition holds or `limit` ns pass: deliveries in
 * order of arrival, timers when due (late by a scheduling delay). Returns false on the limit.
 */
static bool run_until(struct node *a, struct node *b, bool (*cond)(void *), void *arg, uint64_t limit)
{
	uint64_t end = sim_now + limit;
	uint64_t timer_late[2] = { sched_delay(), sched_delay() };
	while (!cond(arg)) {
		struct node *nodes[2] = { a, b };
		uint64_t next = UINT64_MAX;
		int what = -1;
		for (int i = 0; i < 2; i++) {
			if (nodes[i]->head && nodes[i]->head->at < next) {
				next = nodes[i]->head->at;
				what = i;
			}
			uint64_t d = tcp_cb_next_deadline(&nodes[i]->cb);
			if (d != UINT64_MAX && d + timer_late[i] < next) {
				next = d + timer_late[i];
				what = 2 + i;
			}
		}
		if (what < 0 || next > end) {
			if (getenv("SIM_DEBUG"))
				for (int i = 0; i < 2; i++) {
					const struct tcp_cb *c = &nodes[i]->cb;
					fprintf(stderr, "stuck(%d) node %d: state %d una %u nxt %u max %u wnd %u cwnd %u sndq %u rcv_nxt %u adv %u rcvq %u rto %lld delack %lld now %llu rto_val %llu\n",
						what, i, c->state, c->snd_una - c->iss, c->snd_nxt - c->iss, c->snd_max - c->iss, c->snd_wnd, c->cwnd,
						c->sndq.len, c->rcv_nxt - c->irs, c->rcv_adv - c->irs, c->rcvq.len,
						c->t_rto ? (long long)(c->t_rto - sim_now) / 1000000 : -1,
						c->t_delack ? (long long)(c->t_delack - sim_now) / 1000000 : -1, (unsigned long long)sim_now / 1000000, (unsigned long long)c->rtt.rto / 1000000);
				}
			return false;
		}
		if (next > sim_now)
			sim_now = next;
		if (what < 2) {
			deliver_one(nodes[what], nodes[1 - what]);
		} else {
			uint64_t before = nodes[what - 2]->cb.retransmits;
			tcp_cb_tick(&nodes[what - 2]->cb, sim_now);
			sim_retransmits_seen += nodes[what - 2]->cb.retransmits - before;
			timer_late[what - 2] = sched_delay();
		}
		/* SND.NXT past SND.MAX: the peer's ACK of those bytes would be dropped as unsent. */
		for (int i = 0; i < 2; i++)
			if (SEQ_GT(nodes[i]->cb.snd_nxt, nodes[i]->cb.snd_max))
				return false;
	}
	return true;
}

struct want {
	struct node *n;
	uint32_t len;
};

static bool have_bytes(void *arg)
{
	struct want *w = arg;
	return w->n->cb.rcvq.len >= w->len;
}

static bool is_established(void *arg)
{
	struct node **p = arg;
	return p[0]->cb.state == TCP_ESTABLISHED && p[1]->cb.state == TCP_ESTABLISHED;
}

static void node_free(struct node *n)
{
	while (n->head) {
		struct wseg *w = n->head;
		n->head = w->next;
		free(w->data);
		free(w);
	}
	tcp_cb_destroy(&n->cb);
	free(n);
}

/*
 * One run of the ktest's pattern; the longest wait of any step in *worst. Returns false if a
 * step did not finish within `limit`.
 */
static bool one_run(uint64_t seed, uint64_t limit, uint64_t *worst, uint64_t *rexmits)
{
	rng = seed * 2654435761u + 1;
	sim_now = 1000 * MS;
	sim_retransmits_seen = 0;
	struct node *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	tcp_cb_init(&a->cb, &sim_ops, a, BUF, BUF);
	tcp_cb_init(&b->cb, &sim_ops, b, BUF, BUF);
	tcp_cb_listen(&b->cb, 5000, LO_MSS);
	tcp_cb_connect(&a->cb, 1000, LO_MSS, sim_now);
	struct node *pair[2] = { a, b };
	bool ok = run_until(a, b, is_established, pair, limit);
	static uint8_t src[STEP], dst[STEP];
	*worst = 0;
	for (int dir = 0; dir < 2 && ok; dir++) {
		struct node *s = dir ? b : a, *r = dir ? a : b;
		for (uint32_t off = 0; off < TOTAL && ok; off += STEP) {
			sim_now += sched_delay(); /* the application thread runs when it runs */
			for (uint32_t i = 0; i < STEP; i++)
				src[i] = (uint8_t)(off + i * 7 + dir);
			if (tcp_cb_send(&s->cb, src, STEP, sim_now) != STEP) {
				ok = false;
				break;
			}
			uint64_t t0 = sim_now;
			uint32_t got = 0;
			while (got < STEP && ok) {
				struct want w = { r, 1 };
				ok = run_until(a, b, have_bytes, &w, limit - (sim_now - t0));
				sim_now += sched_delay(); /* woken: runs a little later */
				got += (uint32_t)tcp_cb_recv(&r->cb, dst + got, STEP - got, false, sim_now);
			}
			if (ok && memcmp(src, dst, STEP) != 0)
				ok = false;
			if (sim_now - t0 > *worst)
				*worst = sim_now - t0;
		}
	}
	*rexmits = sim_retransmits_seen;
	node_free(a);
	node_free(b);
	return ok;
}

/*
 * Short scheduling delays: no step may take longer than a delayed ACK and the delays, and
 * nothing is retransmitted since nothing is lost.
 */
TEST(loopback_pattern_no_loss_no_timeouts)
{
	max_delay_ms = 20;
	for (uint64_t seed = 1; seed <= 1000; seed++) {
		uint64_t worst, rex;
		bool ok = one_run(seed, 30000 * MS, &worst, &rex);
		if (!ok || rex || worst > 500 * MS) {
			unit_fail(__FILE__, __LINE__, "seed %llu: ok %d, worst step %llu ms, %llu retransmissions",
				  (unsigned long long)seed, ok, (unsigned long long)(worst / MS), (unsigned long long)rex);
			return;
		}
	}
}

/*
 * A loaded host: now and then a thread (or the whole vCPU) is away for up to 2 s. Spurious
 * timeouts may happen then, but a step must still end within a few seconds, never wait for
 * an RTO inflated far beyond what the path needs.
 */
TEST(loopback_pattern_descheduled_vcpu)
{
	max_delay_ms = 2000;
	for (uint64_t seed = 1; seed <= 1000; seed++) {
		uint64_t worst, rex;
		bool ok = one_run(seed, 150000 * MS, &worst, &rex);
		if (!ok || worst > 10000 * MS) {
			unit_fail(__FILE__, __LINE__, "seed %llu: ok %d, worst step %llu ms, %llu retransmissions",
				  (unsigned long long)seed, ok, (unsigned long long)(worst / MS), (unsigned long long)rex);
			return;
		}
	}
}
