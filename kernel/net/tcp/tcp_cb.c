/*
 * The engine's user side and its timers: opening, sending and receiving through the queues,
 * shutdown and abort, and what happens when a deadline passes (retransmission with back-off
 * and go-back-N, zero-window probes, delayed ACKs, keep-alive probes, TIME-WAIT's end).
 */
#include "net/tcp/tcp_core.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

static const char *const state_names[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT", [TCP_SYN_RECV] = "SYN_RECV",
	[TCP_FIN_WAIT1] = "FIN_WAIT1", [TCP_FIN_WAIT2] = "FIN_WAIT2", [TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE", [TCP_CLOSE_WAIT] = "CLOSE_WAIT", [TCP_LAST_ACK] = "LAST_ACK",
	[TCP_LISTEN] = "LISTEN", [TCP_CLOSING] = "CLOSING",
};

const char *tcp_state_name(enum tcp_state s)
{
	return s >= TCP_ESTABLISHED && s <= TCP_CLOSING ? state_names[s] : "?";
}

void tcp_cb_init(struct tcp_cb *cb, const struct tcp_cb_ops *ops, void *ctx, uint32_t sndbuf, uint32_t rcvbuf)
{
	memset(cb, 0, sizeof(*cb));
	cb->state = TCP_CLOSE;
	cb->ops = ops;
	cb->ctx = ctx;
	cb->sndq_cap = sndbuf;
	cb->rcvq_cap = rcvbuf;
	while (cb->rcv_ws < 14 && (65535u << cb->rcv_ws) < rcvbuf)
		cb->rcv_ws++;
	cb->mss = TCP_DEFAULT_MSS;
	cb->rcv_mss = TCP_DEFAULT_MSS;
	cb->offer_sack = cb->offer_ts = true;
	tcp_rtt_init(&cb->rtt);
	cb->ssthresh = 0x7fffffff;
	cb->ka_idle = 7200000 * TCP_MS; /* Linux's tcp_keepalive_time, _intvl, _probes */
	cb->ka_intvl = 75000 * TCP_MS;
	cb->ka_cnt = 9;
}

static void ooo_purge(struct tcp_cb *cb)
{
	while (cb->ooo) {
		struct tcp_ooo *o = cb->ooo;
		cb->ooo = o->next;
		kfree(o);
	}
	cb->ooo_count = 0;
}

void tcp_cb_trim(struct tcp_cb *cb)
{
	/* Nobody will read or send again: TIME-WAIT keeps only the sequence numbers. */
	if (cb->orphan && (cb->state == TCP_TIME_WAIT || cb->state == TCP_CLOSE)) {
		tcp_ring_free(&cb->sndq);
		tcp_ring_free(&cb->rcvq);
	}
}

void tcp_cb_destroy(struct tcp_cb *cb)
{
	ooo_purge(cb);
	tcp_ring_free(&cb->sndq);
	tcp_ring_free(&cb->rcvq);
}

bool tcp_cb_synchronized(const struct tcp_cb *cb)
{
	switch (cb->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
	case TCP_SYN_RECV:
		return true;
	default:
		return false;
	}
}

void tcp_set_state(struct tcp_cb *cb, enum tcp_state s)
{
	if (cb->state == s)
		return;
	cb->state = s;
	if (s == TCP_CLOSE || s == TCP_TIME_WAIT) {
		cb->t_rto = cb->t_delack = cb->t_keep = cb->t_tlp = 0;
		if (s == TCP_CLOSE)
			cb->t_wait = 0;
		ooo_purge(cb);
	}
	tcp_cb_trim(cb);
	cb->ops->notify(cb, TCP_EV_STATE | TCP_EV_READ | TCP_EV_WRITE);
}

static int alloc_queues(struct tcp_cb *cb)
{
	if (tcp_ring_alloc(&cb->sndq, cb->sndq_cap) || tcp_ring_alloc(&cb->rcvq, cb->rcvq_cap)) {
		tcp_ring_free(&cb->sndq);
		tcp_ring_free(&cb->rcvq);
		return -ENOMEM;
	}
	return 0;
}

static void init_send_space(struct tcp_cb *cb, uint32_t iss, uint16_t mss)
{
	cb->iss = iss;
	cb->snd_una = iss;
	cb->snd_nxt = cb->snd_max = iss + 1;
	cb->high_rxt = cb->rescue_rxt = iss;
	cb->rcv_mss = mss;
	cb->mss = mss < TCP_DEFAULT_MSS ? mss : TCP_DEFAULT_MSS;
}

int tcp_cb_connect(struct tcp_cb *cb, uint32_t iss, uint16_t mss, uint64_t now)
{
	tcp_clock(cb, now);
	if (alloc_queues(cb))
		return -ENOMEM;
	init_send_space(cb, iss, mss);
	cb->state = TCP_SYN_SENT;
	tcp_send_syn(cb, false);
	tcp_arm_rto(cb, now);
	return 0;
}

void tcp_cb_listen(struct tcp_cb *cb, uint32_t iss, uint16_t mss)
{
	init_send_space(cb, iss, mss);
	cb->snd_nxt = cb->snd_max = iss; /* the SYN-ACK advances them */
	cb->state = TCP_LISTEN;
	cb->passive = true;
}

/* Called by the SYN's arrival in LISTEN (tcp_in.c): the queues exist from here on. */
int tcp_cb_alloc_queues(struct tcp_cb *cb);
int tcp_cb_alloc_queues(struct tcp_cb *cb)
{
	return alloc_queues(cb);
}

ssize_t tcp_cb_send(struct tcp_cb *cb, const void *data, size_t n, uint64_t now)
{
	tcp_clock(cb, now);
	if (cb->fin_queued)
		return -EPIPE;
	if (cb->state != TCP_ESTABLISHED && cb->state != TCP_CLOSE_WAIT)
		return cb->state == TCP_CLOSE || cb->state == TCP_LISTEN ? -ENOTCONN : -EPIPE;
	uint32_t take = n > 0x7fffffff ? 0x7fffffff : (uint32_t)n;
	uint32_t done = tcp_ring_write(&cb->sndq, data, take);
	if (done)
		tcp_cb_output(cb, now);
	return done;
}

size_t tcp_cb_recv(struct tcp_cb *cb, void *buf, size_t n, bool peek, uint64_t now)
{
	tcp_clock(cb, now);
	uint32_t take = n < cb->rcvq.len ? (uint32_t)n : cb->rcvq.len;
	tcp_ring_peek(&cb->rcvq, 0, buf, take);
	if (peek || !take)
		return take;
	uint32_t adv = SEQ_GT(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
	tcp_ring_consume(&cb->rcvq, take);
	/* A window update once reading opened the window by a worthwhile step (RFC 9293 3.8.6.2.2). */
	uint32_t free = cb->rcvq_cap - cb->rcvq.len;
	uint32_t step = cb->rcvq_cap / 2 < 2u * cb->rcv_mss ? cb->rcvq_cap / 2 : 2u * cb->rcv_mss;
	if (tcp_cb_synchronized(cb) && !cb->fin_rcvd && free >= adv + step) {
		cb->ack_now = true;
		tcp_cb_output(cb, now);
	}
	return take;
}

void tcp_cb_shutdown(struct tcp_cb *cb, uint64_t now)
{
	tcp_clock(cb, now);
	if (cb->fin_queued)
		return;
	switch (cb->state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		cb->fin_queued = true;
		tcp_set_state(cb, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		cb->fin_queued = true;
		tcp_set_state(cb, TCP_LAST_ACK);
		break;
	case TCP_SYN_SENT:
	case TCP_LISTEN:
		tcp_set_state(cb, TCP_CLOSE);
		return;
	default:
		return;
	}
	tcp_cb_output(cb, now);
}

void tcp_cb_abort(struct tcp_cb *cb, int err)
{
	if (cb->state != TCP_SYN_SENT && tcp_cb_synchronized(cb) && cb->state != TCP_TIME_WAIT)
		tcp_send_ctl(cb, cb->snd_nxt, TCPF_RST | TCPF_ACK);
	if (err)
		cb->err = err;
	tcp_ring_consume(&cb->sndq, cb->sndq.len);
	tcp_ring_consume(&cb->rcvq, cb->rcvq.len);
	tcp_set_state(cb, TCP_CLOSE);
	if (err)
		cb->ops->notify(cb, TCP_EV_ERROR);
}

/* The retransmission timer ran out (RFC 6298 5.4-5.7, RFC 5681 3.1 for the windows). */
static void rto_expired(struct tcp_cb *cb, uint64_t now)
{
	if (cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECV) {
		if (++cb->retries > TCP_SYN_RETRIES) {
			tcp_cb_abort(cb, ETIMEDOUT);
			return;
		}
		tcp_rtt_backoff(&cb->rtt);
		cb->rtt_timing = false;
		cb->retransmits++;
		tcp_send_syn(cb, cb->state == TCP_SYN_RECV);
		tcp_arm_rto(cb, now);
		return;
	}
	if (cb->snd_wnd == 0 && cb->sndq.len) {
		/* A zero window: probe with one byte past it (RFC 9293 3.8.6.1), however often the
		 * peer answers; only unanswered probes count towards giving up. */
		if (++cb->retries > TCP_RETRIES) {
			tcp_cb_abort(cb, ETIMEDOUT);
			return;
		}
		cb->snd_nxt = cb->snd_una;
		cb->in_recovery = false; /* nothing to recover into a closed window: probe it */
		uint32_t save_cwnd = cb->cwnd;
		bool nd = cb->nodelay;
		cb->snd_wnd = 1;
		cb->cwnd = cb->cwnd ? cb->cwnd : 1;
		cb->nodelay = true;
		tcp_cb_output(cb, now);
		cb->nodelay = nd;
		cb->snd_wnd = 0;
		cb->cwnd = save_cwnd;
		tcp_rtt_backoff(&cb->rtt);
		tcp_arm_rto(cb, now);
		return;
	}
	if (cb->snd_max == cb->snd_una)
		return;
	if (++cb->retries > TCP_RETRIES) {
		tcp_cb_abort(cb, ETIMEDOUT);
		return;
	}
	uint32_t flight = cb->snd_max - cb->snd_una;
	cb->ssthresh = flight / 2 > 2u * cb->mss ? flight / 2 : 2u * cb->mss;
	cb->cwnd = cb->mss;
	cb->in_recovery = false;
	cb->dupacks = 0;
	cb->recover = cb->snd_max;
	cb->rtt_timing = false;
	/* RFC 6675 5.1 (RFC 2018 8): the peer may have reneged, so nothing it SACKed is trusted
	 * any more; what it SACKs from now on is, and the resending below skips that. */
	tcp_sack_reset(cb);
	cb->tlp_out = false;
	cb->t_tlp = 0;
	cb->ts_rto_mark = tcp_ts_now(cb); /* echoes from before this are no RTT samples */
	cb->ts_rto_marked = true;
	tcp_rtt_backoff(&cb->rtt);
	cb->snd_nxt = cb->snd_una; /* go back N: resend from the first unacknowledged byte */
	cb->t_rto = 0;
	cb->snd_nxt = cb->snd_una + tcp_retransmit(cb, cb->snd_una, cb->snd_una + cb->mss + 1);
	tcp_arm_rto(cb, now);
}

void tcp_cb_tick(struct tcp_cb *cb, uint64_t now)
{
	tcp_clock(cb, now);
	if (cb->t_tlp && now >= cb->t_tlp) {
		cb->t_tlp = 0;
		if (!cb->t_rto || now < cb->t_rto)
			tcp_tlp_fire(cb, now);
	}
	if (cb->t_rto && now >= cb->t_rto) {
		cb->t_rto = 0;
		rto_expired(cb, now);
	}
	if (cb->t_delack && now >= cb->t_delack) {
		cb->t_delack = 0;
		if (tcp_cb_synchronized(cb))
			tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK);
	}
	bool ka_state = cb->state == TCP_ESTABLISHED || cb->state == TCP_CLOSE_WAIT;
	if (!cb->keepalive || !ka_state) {
		cb->t_keep = 0;
	} else if (!cb->t_keep) {
		cb->t_keep = cb->last_rx + cb->ka_idle;
	} else if (now >= cb->t_keep) {
		if (cb->ka_probes >= cb->ka_cnt) {
			tcp_cb_abort(cb, ETIMEDOUT);
			return;
		}
		/* A probe the peer must answer: an old sequence number, no data (RFC 1122 4.2.3.6). */
		cb->ka_probes++;
		tcp_send_ctl(cb, cb->snd_una - 1, TCPF_ACK);
		cb->t_keep = now + cb->ka_intvl;
	}
	if (cb->t_wait && now >= cb->t_wait) {
		cb->t_wait = 0;
		tcp_set_state(cb, TCP_CLOSE);
	}
}

uint64_t tcp_cb_next_deadline(const struct tcp_cb *cb)
{
	uint64_t d = UINT64_MAX;
	const uint64_t t[] = { cb->t_rto, cb->t_delack, cb->t_keep, cb->t_wait, cb->t_tlp };
	for (unsigned i = 0; i < 5; i++)
		if (t[i] && t[i] < d)
			d = t[i];
	return d;
}
