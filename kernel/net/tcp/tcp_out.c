/*
 * The sending half of the engine: which segments go out now (the windows, Nagle's rule, the
 * FIN after the data; in SACK recovery tcp_sack.c chooses), the window we advertise (never
 * shrinking it, with the receiver's silly-window avoidance of RFC 9293 3.8.6.2.2), the
 * options every segment carries (timestamps, SACK blocks), SYNs, resets and bare ACKs.
 */
#include "net/tcp/tcp_core.h"

#include "lib/string.h"

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static uint32_t rcv_free(const struct tcp_cb *cb)
{
	return cb->rcvq_cap - cb->rcvq.len;
}

/* The window field for a segment sent now; records the right edge it advertises. */
static uint16_t rcv_window(struct tcp_cb *cb, bool syn)
{
	uint32_t free = rcv_free(cb);
	if (syn) { /* a SYN's window is never scaled (RFC 7323 2.2) */
		uint32_t w = min32(free, 65535);
		if (cb->state != TCP_SYN_SENT)
			cb->rcv_adv = cb->rcv_nxt + w;
		return (uint16_t)w;
	}
	uint32_t adv = SEQ_GT(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
	if (adv > free)
		adv = free; /* never more than the buffer holds (a stale edge must not count) */
	uint32_t wnd = adv;
	/* Open the window only by a worthwhile amount: half the buffer or one segment. */
	uint32_t step = min32(cb->rcvq_cap / 2, cb->rcv_mss);
	if (free >= adv + step || free == cb->rcvq_cap)
		wnd = free;
	uint32_t field = min32(wnd >> cb->rcv_ws, 65535);
	uint32_t edge = cb->rcv_nxt + (field << cb->rcv_ws);
	if (SEQ_GT(edge, cb->rcv_adv))
		cb->rcv_adv = edge;
	return (uint16_t)field;
}

uint16_t tcp_rcv_window(struct tcp_cb *cb)
{
	return rcv_window(cb, false);
}

/* The next contiguous range of the out-of-order queue from *q, [*l, *r); false at the end. */
static bool next_ooo_range(const struct tcp_ooo **q, uint32_t *l, uint32_t *r)
{
	const struct tcp_ooo *o = *q;
	if (!o)
		return false;
	*l = o->seq;
	*r = o->seq;
	for (; o && SEQ_LEQ(o->seq, *r); o = o->next) {
		uint32_t end = o->seq + o->len + (o->fin ? 1 : 0);
		if (SEQ_GT(end, *r))
			*r = end;
	}
	*q = o;
	return true;
}

static void sack_block(struct tcp_out *o, uint32_t l, uint32_t r)
{
	o->sack[o->nsack][0] = l;
	o->sack[o->nsack][1] = r;
	o->nsack++;
}

/*
 * The SACK blocks of an ACK (RFC 2018 4): the out-of-order queue as contiguous ranges, the one
 * holding the latest arrival first, then the others in sequence order; as many as fit beside
 * len bytes of data in one MSS.
 */
static void add_sack_blocks(const struct tcp_cb *cb, struct tcp_out *o, uint32_t len)
{
	unsigned room = len + 4 + 8 <= cb->mss ? (cb->mss - len - 4) / 8 : 0;
	unsigned most = o->opt_ts ? TCP_SACK_MAX_TS : TCP_SACK_MAX;
	if (room > most)
		room = most;
	if (!room)
		return;
	const struct tcp_ooo *q = cb->ooo;
	uint32_t l, r, fl = 0, fr = 0;
	bool have_first = false;
	while (!have_first && next_ooo_range(&q, &l, &r))
		if (SEQ_LEQ(l, cb->ooo_last) && SEQ_LT(cb->ooo_last, r)) {
			fl = l;
			fr = r;
			have_first = true;
		}
	if (have_first)
		sack_block(o, fl, fr);
	for (q = cb->ooo; o->nsack < room && next_ooo_range(&q, &l, &r);)
		if (!(have_first && l == fl) && SEQ_GT(r, cb->rcv_nxt))
			sack_block(o, l, r);
}

static void emit(struct tcp_cb *cb, struct tcp_out *o, uint32_t off, uint32_t len)
{
	/* RFC 7323 3.2: once negotiated, every segment but a reset carries TSopt; a SYN when we
	 * offer it (tcp_send_syn says). TSecr is meaningful only with ACK. */
	if (!(o->flags & TCPF_RST) && (o->opt_ts || (cb->ts_ok && !(o->flags & TCPF_SYN)))) {
		o->opt_ts = true;
		o->tsval = tcp_ts_now(cb);
		o->tsecr = (o->flags & TCPF_ACK) ? cb->ts_recent : 0;
	}
	if (o->flags & TCPF_ACK) {
		o->ack = cb->rcv_nxt;
		cb->last_ack_sent = cb->rcv_nxt;
		if (cb->sack_ok && cb->ooo && !(o->flags & TCPF_SYN))
			add_sack_blocks(cb, o, len);
		cb->unacked_bytes = 0;
		cb->ack_now = false;
		cb->t_delack = 0;
	}
	if (!(o->flags & TCPF_RST))
		o->wnd = rcv_window(cb, o->flags & TCPF_SYN);
	cb->bytes_out += len;
	cb->ops->emit(cb, o, &cb->sndq, off, len);
}

void tcp_send_ctl(struct tcp_cb *cb, uint32_t seq, uint8_t flags)
{
	struct tcp_out o = { .seq = seq, .flags = flags };
	emit(cb, &o, 0, 0);
}

void tcp_send_syn(struct tcp_cb *cb, bool ack)
{
	struct tcp_out o = { .seq = cb->iss, .flags = TCPF_SYN | (ack ? TCPF_ACK : 0), .opt_mss = true,
			     .mss = cb->rcv_mss };
	/* Offer window scaling on our SYN; on a SYN-ACK only when the peer offered it. */
	if (!ack || cb->ws_ok) {
		o.opt_ws = true;
		o.ws = cb->rcv_ws;
	}
	/* The same rule for SACK-permitted (RFC 2018 2) and timestamps (RFC 7323 3.2). */
	o.opt_sack_ok = ack ? cb->sack_ok : cb->offer_sack;
	o.opt_ts = ack ? cb->ts_ok : cb->offer_ts;
	emit(cb, &o, 0, 0);
}

void tcp_arm_rto(struct tcp_cb *cb, uint64_t now)
{
	cb->t_rto = now + cb->rtt.rto;
}

/* Emits the data at sequence seq (up to n bytes from the send queue) with a FIN if asked. */
static void send_data(struct tcp_cb *cb, uint32_t seq, uint32_t n, bool fin, bool push)
{
	struct tcp_out o = { .seq = seq, .flags = TCPF_ACK | (push ? TCPF_PSH : 0) | (fin ? TCPF_FIN : 0) };
	emit(cb, &o, seq - cb->snd_una, n);
}

/*
 * Resends from seq: up to one MSS, not past end and never past SND.MAX, with the FIN if that was
 * sent and fits. Bytes past SND.MAX never left (Nagle or the windows held them back): sending
 * them here without moving SND.MAX (a timeout then sets SND.NXT past it) would make the peer's
 * ACK of them look like an ACK of unsent data, which is dropped with whatever the segment
 * carries (RFC 9293 3.10.7.4). New data goes through tcp_send_new.
 */
uint32_t tcp_retransmit(struct tcp_cb *cb, uint32_t seq, uint32_t end)
{
	uint32_t off = seq - cb->snd_una;
	uint32_t avail = off < cb->sndq.len ? cb->sndq.len - off : 0;
	uint32_t sent = SEQ_LT(seq, cb->snd_max) ? cb->snd_max - seq : 0;
	uint32_t n = min32(min32(min32(avail, sent), cb->mss), end - seq);
	uint32_t fin_seq = cb->snd_una + cb->sndq.len;
	bool fin = cb->fin_queued && SEQ_GT(cb->snd_max, fin_seq) && seq + n == fin_seq && SEQ_GT(end, fin_seq);
	if (!n && !fin)
		return 0;
	cb->retransmits++;
	cb->rtt_timing = false; /* Karn: no sample from a retransmitted segment */
	send_data(cb, seq, n, fin, true);
	return n + (fin ? 1 : 0);
}

void tcp_retransmit_first(struct tcp_cb *cb, uint64_t now)
{
	(void)now;
	tcp_retransmit(cb, cb->snd_una, cb->snd_una + cb->mss + 1);
}

static bool can_send_data(const struct tcp_cb *cb)
{
	switch (cb->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

bool tcp_send_new(struct tcp_cb *cb, uint64_t now, uint32_t usable)
{
	/* Going back after a timeout: what the peer SACKed since need not go again. */
	uint32_t skip;
	while (cb->sb_n && SEQ_LT(cb->snd_nxt, cb->snd_max) && tcp_sack_holds(cb, cb->snd_nxt, &skip))
		cb->snd_nxt = skip;
	uint32_t off = cb->snd_nxt - cb->snd_una;
	uint32_t datalen = cb->sndq.len;
	uint32_t fin_seq = cb->snd_una + datalen;
	bool fin_pending = cb->fin_queued && SEQ_LEQ(cb->snd_nxt, fin_seq);
	uint32_t avail = off < datalen ? datalen - off : 0;
	uint32_t flight = cb->snd_nxt - cb->snd_una;
	/* With TSO a segment of new data carries many MSS, the device cutting it; the windows
	 * and the rules below limit it exactly as they would its pieces (whole MSS only, short of
	 * the end of the data). What goes again is sent one MSS at a time. */
	bool fresh = SEQ_GEQ(cb->snd_nxt, cb->snd_max);
	uint32_t n = min32(min32(avail, usable), fresh && cb->tso_max > cb->mss ? cb->tso_max : cb->mss);
	if (n > cb->mss && n < avail)
		n -= n % cb->mss;
	if (n && cb->sb_n && SEQ_LT(cb->snd_nxt, cb->snd_max))
		n = tcp_sack_next_start(cb, cb->snd_nxt, n) - cb->snd_nxt; /* stop short of a SACKed range */
	if (!n && !(fin_pending && !avail))
		return false;
	if (n && n < cb->mss && n < avail && flight)
		return false; /* window-limited: wait for the ACKs instead of sending a sliver */
	if (n && n == avail && n < cb->mss && !cb->nodelay && flight && !fin_pending)
		return false; /* Nagle (RFC 896): one small segment outstanding at a time */
	bool fin = fin_pending && n == avail;
	if (!fresh)
		cb->retransmits++;
	if (fresh && !cb->rtt_timing && n) {
		cb->rtt_timing = true;
		cb->rtt_seq = cb->snd_nxt + n;
		cb->rtt_start = now;
	}
	send_data(cb, cb->snd_nxt, n, fin, n == avail);
	cb->snd_nxt += n + (fin ? 1 : 0);
	if (SEQ_GT(cb->snd_nxt, cb->snd_max))
		cb->snd_max = cb->snd_nxt;
	if (!cb->t_rto)
		tcp_arm_rto(cb, now);
	if (fresh)
		tcp_tlp_arm(cb, now);
	return true;
}

void tcp_cb_output(struct tcp_cb *cb, uint64_t now)
{
	tcp_clock(cb, now);
	if (can_send_data(cb) && cb->in_recovery && cb->sack_ok) {
		tcp_sack_output(cb, now);
	} else {
		while (can_send_data(cb)) {
			uint32_t flight = cb->snd_nxt - cb->snd_una;
			uint32_t cwnd = cb->cwnd;
			/* Limited transmit (RFC 3042): a new segment on each of the first two
			 * duplicate ACKs, so that a small window still gets three of them. */
			if (!cb->in_recovery && cb->dupacks)
				cwnd += (cb->dupacks < 2 ? cb->dupacks : 2) * (uint32_t)cb->mss;
			uint32_t wnd = min32(cb->snd_wnd, cwnd);
			if (!tcp_send_new(cb, now, wnd > flight ? wnd - flight : 0))
				break;
		}
	}
	/* A zero window with data waiting: the retransmission timer doubles as the persist timer. */
	if (can_send_data(cb) && !cb->t_rto && cb->snd_nxt == cb->snd_una &&
	    cb->sndq.len > 0 && cb->snd_wnd == 0)
		tcp_arm_rto(cb, now);
	if (cb->ack_now && cb->state != TCP_CLOSE && cb->state != TCP_LISTEN && cb->state != TCP_SYN_SENT)
		tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK);
}
