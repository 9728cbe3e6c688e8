/*
 * The receiving half of the engine: RFC 9293 3.10.7's event processing for an arriving
 * segment, state by state. Acceptability and trimming to the window, resets checked as RFC
 * 5961 3.2 asks (exact sequence, else a challenge ACK), timestamps (RFC 7323: PAWS, the
 * TS.Recent we echo, RTT samples from TSecr), acknowledgement processing with RTT samples,
 * congestion control (RFC 5681) with NewReno (RFC 6582) or, when SACK was negotiated, the
 * scoreboard and recovery of RFC 6675 (tcp_sack.c), in-order data into the receive queue and
 * the rest into the out-of-order queue, and the FIN.
 */
#include "net/tcp/tcp_core.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

int tcp_cb_alloc_queues(struct tcp_cb *cb);

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static void take_options(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now)
{
	uint16_t peer_mss = seg->has_mss ? seg->mss : TCP_DEFAULT_MSS;
	cb->mss = min32(peer_mss, cb->rcv_mss);
	/* Timestamps when we offered them (or answer an offer we accept) and the peer's SYN has
	 * them; their 12 bytes come out of every segment's data, as Linux's mss_cache. */
	cb->ts_ok = cb->offer_ts && seg->has_ts;
	if (cb->ts_ok) {
		cb->ts_recent = seg->tsval;
		cb->ts_recent_at = now;
		cb->mss = cb->mss > TCP_TS_LEN ? cb->mss - TCP_TS_LEN : 0;
	}
	if (cb->mss < 64)
		cb->mss = 64; /* a hostile tiny MSS would make us send byte by byte */
	if (seg->has_ws) {
		cb->ws_ok = true;
		cb->snd_ws = seg->ws;
	} else {
		cb->ws_ok = false;
		cb->snd_ws = cb->rcv_ws = 0;
	}
	/* We offer SACK on our SYN and answer a SYN that offers it: both did when it is here. */
	cb->sack_ok = cb->offer_sack && seg->sack_ok;
	cb->cwnd = TCP_INIT_CWND_SEGS * cb->mss;
}

/* ---- the out-of-order queue ---- */

static void ooo_insert(struct tcp_cb *cb, const struct tcp_seg *s)
{
	if (cb->ooo_count >= TCP_OOO_MAX)
		return;
	struct tcp_ooo **pp = &cb->ooo;
	while (*pp && SEQ_LT((*pp)->seq, s->seq))
		pp = &(*pp)->next;
	/* An exact duplicate of a queued segment adds nothing. */
	if (*pp && (*pp)->seq == s->seq && (*pp)->len >= s->len && ((*pp)->fin || !(s->flags & TCPF_FIN)))
		return;
	struct tcp_ooo *o = kmalloc(sizeof(*o) + (s->len ? s->len : 1));
	if (!o)
		return;
	o->seq = s->seq;
	o->len = s->len;
	o->fin = s->flags & TCPF_FIN;
	memcpy(o->data, s->data, s->len);
	o->next = *pp;
	*pp = o;
	cb->ooo_count++;
}

/* Moves what now follows RCV.NXT from the out-of-order queue; true when a FIN came in sequence. */
static bool ooo_drain(struct tcp_cb *cb)
{
	bool fin = false;
	while (cb->ooo && SEQ_LEQ(cb->ooo->seq, cb->rcv_nxt) && !fin) {
		struct tcp_ooo *o = cb->ooo;
		cb->ooo = o->next;
		cb->ooo_count--;
		uint32_t end = o->seq + o->len;
		if (SEQ_GT(end, cb->rcv_nxt)) {
			uint32_t off = cb->rcv_nxt - o->seq;
			uint32_t n = tcp_ring_write(&cb->rcvq, o->data + off, o->len - off);
			cb->rcv_nxt += n;
			cb->bytes_in += n;
		}
		if (o->fin && o->seq + o->len == cb->rcv_nxt)
			fin = true;
		kfree(o);
	}
	return fin;
}

/* ---- pieces of the event processing ---- */

static void fin_received(struct tcp_cb *cb, uint64_t now)
{
	cb->rcv_nxt++;
	cb->fin_rcvd = true;
	cb->ack_now = true;
	switch (cb->state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(cb, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* Our FIN acknowledged too: TIME-WAIT, else a simultaneous close. */
		if (cb->fin_queued && cb->snd_una == cb->snd_max && cb->sndq.len == 0) {
			tcp_set_state(cb, TCP_TIME_WAIT);
			cb->t_wait = now + TCP_TIMEWAIT;
		} else {
			tcp_set_state(cb, TCP_CLOSING);
		}
		break;
	case TCP_FIN_WAIT2:
		tcp_set_state(cb, TCP_TIME_WAIT);
		cb->t_wait = now + TCP_TIMEWAIT;
		break;
	default:
		break;
	}
	cb->ops->notify(cb, TCP_EV_READ);
}

/* Congestion control on an ACK of new data (RFC 5681 3.1, RFC 6582 3.2 step 3). */
static void cc_new_ack(struct tcp_cb *cb, uint32_t ack, uint32_t acked, uint64_t now)
{
	if (cb->in_recovery) {
		if (SEQ_GEQ(ack, cb->recover)) {
			uint32_t flight = cb->snd_max - ack;
			cb->cwnd = min32(cb->ssthresh, (flight > cb->mss ? flight : cb->mss) + cb->mss);
			cb->in_recovery = false;
		} else if (cb->sack_ok) {
			/* A partial ACK in SACK recovery (RFC 6675 B): the scoreboard says what goes
			 * next, tcp_cb_output sends it; cwnd stays. */
		} else {
			/* A partial ACK: the next hole is lost too; deflate by what was acknowledged. */
			tcp_retransmit_first(cb, now);
			cb->cwnd = cb->cwnd > acked ? cb->cwnd - acked : cb->mss;
			if (acked >= cb->mss)
				cb->cwnd += cb->mss;
			tcp_arm_rto(cb, now);
		}
	} else if (cb->cwnd < cb->ssthresh) {
		cb->cwnd += min32(acked, cb->mss); /* slow start */
	} else {
		uint32_t inc = (uint32_t)((uint64_t)cb->mss * cb->mss / (cb->cwnd ? cb->cwnd : 1));
		cb->cwnd += inc ? inc : 1; /* congestion avoidance */
	}
	cb->dupacks = 0;
}

static void dup_ack(struct tcp_cb *cb, uint64_t now)
{
	cb->dupacks++;
	if (cb->in_recovery) {
		if (!cb->sack_ok)
			cb->cwnd += cb->mss; /* NewReno: each dup ACK says a segment left the network */
		return;
	}
	/* RFC 6675 5 steps 1-2: DupThresh duplicates, or the scoreboard says the first hole is
	 * lost already (ACKs lost or stretched, or a small flight: RFC 5827); NewReno at exactly
	 * the third. */
	if (cb->sack_ok ? cb->dupacks < TCP_DUPTHRESH && !tcp_sack_first_lost(cb) && !tcp_sack_early_lost(cb)
			: cb->dupacks != TCP_DUPTHRESH)
		return;
	/* RFC 6582 3.2 step 2 (and RFC 6675 5.1 after a timeout): not again for losses of the
	 * window we already recovered. */
	if (SEQ_LEQ(cb->snd_una, cb->recover) && cb->recover != cb->snd_una && cb->retransmits)
		return;
	if (cb->sack_ok) {
		tcp_sack_enter_recovery(cb, now);
		return;
	}
	uint32_t flight = cb->snd_max - cb->snd_una;
	cb->ssthresh = flight / 2 > 2u * cb->mss ? flight / 2 : 2u * cb->mss;
	cb->recover = cb->snd_max;
	cb->in_recovery = true;
	tcp_retransmit_first(cb, now);
	cb->cwnd = cb->ssthresh + 3u * cb->mss;
}

/*
 * An RTT sample from the echoed timestamp of an ACK of new data (RFC 7323 4): after fast
 * retransmissions too, since the peer echoes the copy that filled its hole; one of
 * flight / 2 MSS samples per round trip. Not an echo from the future (not ours), nor one
 * older than our last timeout: a peer that got the original but whose ACKs were lost echoes
 * the original's TSval to our go-back retransmission (a duplicate does not update its
 * TS.Recent), and that "RTT" holds our backed-off timeout; taking it would make the next
 * timeout longer still, a loop Karn's rule (RFC 6298 3) exists to prevent.
 */
static bool ts_rtt_sample(struct tcp_cb *cb, const struct tcp_seg *seg)
{
	if (!cb->ts_ok || !seg->has_ts || !seg->tsecr)
		return false;
	uint32_t ms = tcp_ts_now(cb) - seg->tsecr;
	if ((int32_t)ms < 0 || ms > TCP_RTO_MAX / TCP_MS)
		return false;
	if (cb->ts_rto_marked && SEQ_LT(seg->tsecr, cb->ts_rto_mark))
		return false;
	cb->ts_rto_marked = false; /* TS.Recent only grows: later echoes are newer still */
	uint32_t flight = cb->snd_max - cb->snd_una;
	uint32_t per2 = 2u * cb->mss;
	tcp_rtt_sample_n(&cb->rtt, (uint64_t)ms * TCP_MS, (flight + per2 - 1) / per2);
	return true;
}

static void new_ack(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now)
{
	uint32_t ack = seg->ack;
	bool ts_sampled = ts_rtt_sample(cb, seg);
	uint32_t acked = ack - cb->snd_una;
	uint32_t data = acked;
	if (cb->snd_una == cb->iss && data)
		data--; /* our SYN */
	uint32_t fin_seq = cb->snd_una + cb->sndq.len;
	if (cb->fin_queued && SEQ_GT(ack, fin_seq))
		data--; /* our FIN */
	tcp_ring_consume(&cb->sndq, min32(data, cb->sndq.len));
	cb->snd_una = ack;
	if (SEQ_LT(cb->snd_nxt, cb->snd_una))
		cb->snd_nxt = cb->snd_una;
	tcp_sack_cumack(cb);
	if (cb->rtt_timing && SEQ_GEQ(ack, cb->rtt_seq)) {
		if (!ts_sampled)
			tcp_rtt_sample(&cb->rtt, now - cb->rtt_start);
		cb->rtt_timing = false;
	}
	cb->retries = 0;
	cc_new_ack(cb, ack, acked, now);
	/* RFC 6298 5.2-5.3: stop the timer when all is acknowledged, else restart it; the same
	 * for the tail loss probe, whose episode ends once its segment is acknowledged. */
	if (cb->tlp_out && SEQ_GEQ(ack, cb->tlp_high))
		cb->tlp_out = false;
	if (cb->snd_una == cb->snd_max)
		cb->t_rto = 0;
	else
		tcp_arm_rto(cb, now);
	tcp_tlp_arm(cb, now);
	cb->ops->notify(cb, TCP_EV_WRITE);
}

static bool our_fin_acked(const struct tcp_cb *cb)
{
	return cb->fin_queued && cb->sndq.len == 0 && cb->snd_una == cb->snd_max &&
	       SEQ_GT(cb->snd_max, cb->iss + 1);
}

/* RFC 9293 3.10.7.3 for LISTEN: only a SYN opens anything. */
static void input_listen(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now)
{
	if (seg->flags & TCPF_RST)
		return;
	if (seg->flags & TCPF_ACK) {
		tcp_send_ctl(cb, seg->ack, TCPF_RST);
		return;
	}
	if (!(seg->flags & TCPF_SYN))
		return;
	cb->irs = seg->seq;
	cb->rcv_nxt = cb->rcv_adv = seg->seq + 1;
	take_options(cb, seg, now);
	cb->snd_wnd = seg->wnd;
	cb->snd_wl1 = seg->seq;
	cb->snd_wl2 = cb->iss;
	cb->last_rx = now;
	cb->state = TCP_SYN_RECV;
	tcp_send_syn(cb, true);
	cb->snd_nxt = cb->snd_max = cb->iss + 1;
	tcp_arm_rto(cb, now);
}

/* RFC 9293 3.10.7.3 for SYN-SENT. */
static void input_syn_sent(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now)
{
	bool ack = seg->flags & TCPF_ACK;
	if (ack && (SEQ_LEQ(seg->ack, cb->iss) || SEQ_GT(seg->ack, cb->snd_max))) {
		if (!(seg->flags & TCPF_RST))
			tcp_send_ctl(cb, seg->ack, TCPF_RST);
		return;
	}
	if (seg->flags & TCPF_RST) {
		if (ack)
			tcp_cb_abort(cb, ECONNREFUSED);
		return;
	}
	if (!(seg->flags & TCPF_SYN))
		return;
	cb->irs = seg->seq;
	cb->rcv_nxt = cb->rcv_adv = seg->seq + 1;
	take_options(cb, seg, now);
	cb->snd_wnd = seg->wnd;
	cb->snd_wl1 = seg->seq;
	cb->snd_wl2 = seg->ack;
	cb->last_rx = now;
	if (ack) {
		cb->snd_una = seg->ack;
		if (!cb->retransmits)
			tcp_rtt_sample(&cb->rtt, now - (cb->t_rto - cb->rtt.rto));
		cb->rtt_timing = false;
		cb->t_rto = 0;
		cb->retries = 0;
		cb->ack_now = true;
		tcp_set_state(cb, TCP_ESTABLISHED);
		tcp_cb_output(cb, now);
	} else {
		/* Simultaneous open: our SYN again, now acknowledging theirs. */
		cb->state = TCP_SYN_RECV;
		tcp_send_syn(cb, true);
		tcp_arm_rto(cb, now);
	}
}

static bool acceptable(const struct tcp_cb *cb, const struct tcp_seg *seg, uint32_t wnd)
{
	uint32_t len = tcp_seg_seqlen(seg);
	uint32_t rel = seg->seq - cb->rcv_nxt;
	if (!len)
		return wnd ? rel < wnd : seg->seq == cb->rcv_nxt;
	if (!wnd)
		return false;
	uint32_t rel_end = seg->seq + len - 1 - cb->rcv_nxt;
	return rel < wnd || rel_end < wnd;
}

void tcp_cb_input(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now)
{
	tcp_clock(cb, now);
	switch (cb->state) {
	case TCP_CLOSE:
		return;
	case TCP_LISTEN:
		input_listen(cb, seg, now);
		return;
	case TCP_SYN_SENT:
		input_syn_sent(cb, seg, now);
		return;
	default:
		break;
	}
	struct tcp_seg s = *seg;
	uint32_t wnd = cb->rcvq_cap - cb->rcvq.len;
	/* A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost. */
	if (cb->state == TCP_SYN_RECV && (s.flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == TCPF_SYN &&
	    s.seq == cb->irs) {
		tcp_send_syn(cb, true);
		return;
	}
	/* PAWS (RFC 7323 5.3 R1): a timestamp older than TS.Recent is an old duplicate, unless
	 * TS.Recent itself is stale (idle for 24 days); it gets an ACK, resets excepted. One tick
	 * of slack as Linux's TCP_PAWS_WINDOW: a segment overtaken by less than a millisecond
	 * (a retransmission passing the originals) is new data, not a duplicate. */
	if (cb->ts_ok && s.has_ts && !(s.flags & TCPF_RST) && (int32_t)(cb->ts_recent - s.tsval) > TCP_PAWS_WINDOW &&
	    now - cb->ts_recent_at <= TCP_PAWS_IDLE) {
		tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK);
		return;
	}
	/* First: the sequence number (RFC 9293 3.10.7.4). */
	if (!acceptable(cb, &s, wnd)) {
		if (!wnd && s.seq == cb->rcv_nxt && !(s.flags & TCPF_SYN)) {
			/* A zero window still takes ACKs and resets: the data goes, the rest stays. */
			s.len = 0;
			s.flags &= (uint8_t)~TCPF_FIN;
			cb->ack_now = true;
		} else {
			if (!(s.flags & TCPF_RST))
				tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK);
			/* A retransmitted FIN: our last ACK was lost, so 2 MSL start again. */
			if (cb->state == TCP_TIME_WAIT && (s.flags & TCPF_FIN))
				cb->t_wait = now + TCP_TIMEWAIT;
			return;
		}
	}
	cb->last_rx = now;
	cb->ka_probes = 0;
	if (cb->keepalive)
		cb->t_keep = now + cb->ka_idle;
	/* R3: the timestamp to echo is the one of the segment that our last ACK asked for next
	 * (so delayed ACKs and holes measure the whole wait, RFC 7323 4.3). */
	if (cb->ts_ok && s.has_ts && SEQ_GEQ(s.tsval, cb->ts_recent) && SEQ_LEQ(s.seq, cb->last_ack_sent)) {
		cb->ts_recent = s.tsval;
		cb->ts_recent_at = now;
	}
	/* Trim what came before RCV.NXT and what lies past the window. */
	if (SEQ_LT(s.seq, cb->rcv_nxt)) {
		uint32_t d = cb->rcv_nxt - s.seq;
		if (s.flags & TCPF_SYN) {
			s.flags &= (uint8_t)~TCPF_SYN;
			s.seq++;
			d--;
		}
		if (d > s.len) {
			s.seq += s.len;
			s.data += s.len;
			s.len = 0;
			s.flags &= (uint8_t)~TCPF_FIN;
		} else {
			s.seq += d;
			s.data += d;
			s.len -= d;
		}
		if (!s.len)
			cb->ack_now = true; /* a whole duplicate: our ACK was lost */
	}
	uint32_t room = wnd - (s.seq - cb->rcv_nxt);
	if (s.len > room) {
		s.len = room;
		s.flags &= (uint8_t)~TCPF_FIN;
	}
	/* Second: RST, taken only at exactly RCV.NXT (RFC 5961 3.2). */
	if (s.flags & TCPF_RST) {
		if (seg->seq != cb->rcv_nxt) {
			tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK); /* a challenge ACK */
			return;
		}
		switch (cb->state) {
		case TCP_SYN_RECV:
			tcp_cb_abort(cb, cb->passive ? 0 : ECONNREFUSED);
			return;
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT1:
		case TCP_FIN_WAIT2:
		case TCP_CLOSE_WAIT:
			cb->err = ECONNRESET;
			tcp_ring_consume(&cb->sndq, cb->sndq.len);
			tcp_set_state(cb, TCP_CLOSE);
			cb->ops->notify(cb, TCP_EV_ERROR);
			return;
		default:
			tcp_set_state(cb, TCP_CLOSE);
			return;
		}
	}
	/* Fourth: a SYN in the window of a synchronized connection (RFC 5961 4.2). */
	if (s.flags & TCPF_SYN) {
		tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK);
		return;
	}
	/* Fifth: the ACK. */
	if (!(s.flags & TCPF_ACK))
		return;
	if (cb->state == TCP_SYN_RECV) {
		if (!(SEQ_LT(cb->snd_una, s.ack) && SEQ_LEQ(s.ack, cb->snd_max))) {
			tcp_send_ctl(cb, s.ack, TCPF_RST);
			return;
		}
		/* The queues exist from here on: a handshake that never completes (a SYN flood)
		 * costs no buffers. */
		if (tcp_cb_alloc_queues(cb)) {
			tcp_cb_abort(cb, 0);
			return;
		}
		cb->snd_wnd = (uint32_t)s.wnd << cb->snd_ws;
		cb->snd_wl1 = s.seq;
		cb->snd_wl2 = s.ack;
		cb->retries = 0;
		if (!cb->retransmits)
			tcp_rtt_sample(&cb->rtt, now - (cb->t_rto - cb->rtt.rto));
		tcp_set_state(cb, cb->fin_queued ? TCP_FIN_WAIT1 : TCP_ESTABLISHED);
	}
	if (SEQ_GT(s.ack, cb->snd_max)) {
		tcp_send_ctl(cb, cb->snd_nxt, TCPF_ACK); /* acknowledges what we never sent */
		return;
	}
	if (SEQ_GEQ(s.ack, cb->snd_una)) {
		bool wnd_changed = false;
		if (SEQ_LT(cb->snd_wl1, s.seq) || (cb->snd_wl1 == s.seq && SEQ_LEQ(cb->snd_wl2, s.ack))) {
			uint32_t nw = (uint32_t)s.wnd << cb->snd_ws;
			wnd_changed = nw != cb->snd_wnd;
			cb->snd_wnd = nw;
			cb->snd_wl1 = s.seq;
			cb->snd_wl2 = s.ack;
			if (wnd_changed)
				cb->ops->notify(cb, TCP_EV_WRITE);
		}
		bool advanced = s.ack != cb->snd_una;
		if (advanced)
			new_ack(cb, &s, now);
		/* RFC 6675: an ACK that SACKs new data is a duplicate, cumulative or not; a SACK
		 * peer's ACK without blocks counts as RFC 5681 says. */
		bool sacked = tcp_sack_update(cb, &s) != 0 && cb->snd_max != cb->snd_una;
		if (!advanced && cb->snd_wnd == 0 && !sacked)
			cb->retries = 0; /* the peer answers our zero-window probes */
		else if (sacked || (!advanced && !(cb->sack_ok && s.nsack) && !s.len && !(s.flags & TCPF_FIN) && !wnd_changed &&
				    cb->snd_max != cb->snd_una))
			dup_ack(cb, now);
	}
	if (our_fin_acked(cb)) {
		switch (cb->state) {
		case TCP_FIN_WAIT1:
			tcp_set_state(cb, TCP_FIN_WAIT2);
			if (cb->orphan)
				cb->t_wait = now + TCP_FIN_TIMEOUT;
			break;
		case TCP_CLOSING:
			tcp_set_state(cb, TCP_TIME_WAIT);
			cb->t_wait = now + TCP_TIMEWAIT;
			break;
		case TCP_LAST_ACK:
			tcp_set_state(cb, TCP_CLOSE);
			return;
		default:
			break;
		}
	}
	/* Seventh: the data, in the states that still receive. */
	bool receiving = cb->state == TCP_ESTABLISHED || cb->state == TCP_FIN_WAIT1 || cb->state == TCP_FIN_WAIT2;
	if (s.len && receiving) {
		if (cb->orphan) {
			/* Nobody will read it: Linux answers data after close with a reset. */
			tcp_cb_abort(cb, 0);
			return;
		}
		if (s.seq == cb->rcv_nxt) {
			bool had_ooo = cb->ooo != NULL;
			uint32_t n = tcp_ring_write(&cb->rcvq, s.data, s.len);
			cb->rcv_nxt += n;
			cb->bytes_in += n;
			cb->unacked_bytes += n;
			if (had_ooo && ooo_drain(cb)) {
				fin_received(cb, now);
				s.flags &= (uint8_t)~TCPF_FIN;
			}
			/* Every second full segment at once; a full one carries TSopt beside its data. */
			uint32_t full = cb->rcv_mss - (cb->ts_ok ? TCP_TS_LEN : 0);
			if (had_ooo || cb->unacked_bytes >= 2u * full || cb->unacked_bytes >= wnd / 2)
				cb->ack_now = true;
			else if (!cb->t_delack)
				cb->t_delack = now + TCP_DELACK;
			cb->ops->notify(cb, TCP_EV_READ);
		} else {
			ooo_insert(cb, &s);
			cb->ooo_last = s.seq;
			cb->ack_now = true; /* a duplicate ACK tells the sender about the hole */
			s.flags &= (uint8_t)~TCPF_FIN;
		}
	} else if ((s.flags & TCPF_FIN) && receiving && s.seq != cb->rcv_nxt) {
		ooo_insert(cb, &s);
		cb->ack_now = true;
		s.flags &= (uint8_t)~TCPF_FIN;
	}
	/* Eighth: the FIN, once everything before it has arrived. */
	if ((s.flags & TCPF_FIN) && s.seq + s.len == cb->rcv_nxt) {
		if (cb->state == TCP_TIME_WAIT) {
			cb->ack_now = true;
			cb->t_wait = now + TCP_TIMEWAIT;
		} else if (!cb->fin_rcvd) {
			fin_received(cb, now);
		}
	}
	tcp_cb_output(cb, now);
}
