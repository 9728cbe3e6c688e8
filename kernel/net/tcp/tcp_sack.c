/*
 * The sender's use of SACK: a scoreboard of what the peer says it holds (RFC 2018 blocks) and
 * loss recovery by it (RFC 6675): which holes count as lost, how many bytes are still in flight
 * ("pipe"), and which segment goes next, so that one recovery resends every hole instead of
 * one per round trip as NewReno does.
 *
 * The scoreboard is cb->sb: up to TCP_SB_MAX disjoint, non-adjacent ranges [l, r) strictly
 * inside SND.UNA..SND.MAX, sorted. A hole is the gap below a range (the first starts at
 * SND.UNA); every octet of a hole has the same ranges above it, so IsLost() is answered per
 * hole. HighRxt and RescueRxt are kept as exclusive ends (the octet after the last one sent).
 * Blocks are hints from the peer, never trusted further than what we sent: a block that is
 * not inside SND.UNA..SND.MAX or reports a duplicate (D-SACK, RFC 2883) is dropped, data is
 * freed only by the cumulative ACK, and a timeout forgets the scoreboard (RFC 6675 5.1), so a
 * peer that reneges costs a timeout, not the data.
 *
 * The tail loss probe (RFC 8985 7, without RACK) lives here too: when nothing has come back
 * for two round trips, one segment goes to draw an ACK, whose SACK blocks start a recovery
 * (or which acknowledges everything) instead of a timeout and a window of one segment.
 */
#include "net/tcp/tcp_core.h"

#include "lib/string.h"

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

void tcp_sack_reset(struct tcp_cb *cb)
{
	cb->sb_n = 0;
	cb->high_rxt = cb->rescue_rxt = cb->snd_una;
}

static void sb_remove(struct tcp_cb *cb, unsigned i, unsigned count)
{
	memmove(&cb->sb[i], &cb->sb[i + count], (cb->sb_n - i - count) * sizeof(cb->sb[0]));
	cb->sb_n -= count;
}

/* Adds [l, r), merging what it touches; returns how many of its bytes were not SACKed before. */
static uint32_t sb_add(struct tcp_cb *cb, uint32_t l, uint32_t r)
{
	unsigned i = 0;
	while (i < cb->sb_n && SEQ_LT(cb->sb[i][1], l))
		i++;
	uint32_t known = 0, nl = l, nr = r;
	unsigned j = i;
	for (; j < cb->sb_n && SEQ_LEQ(cb->sb[j][0], r); j++) {
		uint32_t ol = SEQ_GT(cb->sb[j][0], l) ? cb->sb[j][0] : l;
		uint32_t or = SEQ_LT(cb->sb[j][1], r) ? cb->sb[j][1] : r;
		if (SEQ_LT(ol, or))
			known += or - ol;
		if (SEQ_LT(cb->sb[j][0], nl))
			nl = cb->sb[j][0];
		if (SEQ_GT(cb->sb[j][1], nr))
			nr = cb->sb[j][1];
	}
	if (j > i) {
		cb->sb[i][0] = nl;
		cb->sb[i][1] = nr;
		sb_remove(cb, i + 1, j - i - 1);
		return (r - l) - known;
	}
	if (cb->sb_n == TCP_SB_MAX) {
		/* Full: forget the highest range. The low ones decide what is resent first, and
		 * knowing less only makes us resend more. */
		if (i == TCP_SB_MAX)
			return 0;
		cb->sb_n--;
	}
	memmove(&cb->sb[i + 1], &cb->sb[i], (cb->sb_n - i) * sizeof(cb->sb[0]));
	cb->sb[i][0] = l;
	cb->sb[i][1] = r;
	cb->sb_n++;
	return r - l;
}

uint32_t tcp_sack_update(struct tcp_cb *cb, const struct tcp_seg *seg)
{
	if (!cb->sack_ok || !seg->nsack || !(seg->flags & TCPF_ACK))
		return 0;
	uint32_t added = 0;
	for (unsigned b = 0; b < seg->nsack && b < TCP_SACK_MAX; b++) {
		uint32_t l = seg->sack[b][0], r = seg->sack[b][1];
		/* D-SACK: a first block below the ACK, or inside the second, reports a duplicate
		 * that arrived, not data held. */
		if (b == 0 && (SEQ_LEQ(r, seg->ack) || (seg->nsack > 1 && SEQ_GEQ(l, seg->sack[1][0]) &&
							 SEQ_LEQ(r, seg->sack[1][1]))))
			continue;
		/* Only what we sent and is not acknowledged: SND.MAX, the highest sequence sent, is
		 * the bound (SND.NXT goes back after a timeout). A block from SND.UNA on would have
		 * been acknowledged cumulatively. */
		if (!SEQ_LT(l, r) || !SEQ_LT(cb->snd_una, l) || SEQ_GT(r, cb->snd_max))
			continue;
		added += sb_add(cb, l, r);
	}
	return added;
}

void tcp_sack_cumack(struct tcp_cb *cb)
{
	unsigned n = 0;
	while (n < cb->sb_n && SEQ_LEQ(cb->sb[n][1], cb->snd_una))
		n++;
	sb_remove(cb, 0, n);
	/* A range the ACK reached into, or one now starting at SND.UNA, is a peer reneging or
	 * lying: drop it, so that a hole stays below every range. */
	if (cb->sb_n && SEQ_LEQ(cb->sb[0][0], cb->snd_una))
		sb_remove(cb, 0, 1);
	if (SEQ_LT(cb->high_rxt, cb->snd_una))
		cb->high_rxt = cb->snd_una;
}

static uint32_t sacked_bytes(const struct tcp_cb *cb)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < cb->sb_n; i++)
		n += cb->sb[i][1] - cb->sb[i][0];
	return n;
}

/* RFC 6675 IsLost() for the hole below range i, with above bytes SACKed from range i up. */
static bool hole_lost(const struct tcp_cb *cb, unsigned i, uint32_t above)
{
	return cb->sb_n - i >= TCP_DUPTHRESH || above > (TCP_DUPTHRESH - 1) * (uint32_t)cb->mss;
}

bool tcp_sack_first_lost(const struct tcp_cb *cb)
{
	return cb->sb_n && hole_lost(cb, 0, sacked_bytes(cb));
}

bool tcp_sack_early_lost(const struct tcp_cb *cb)
{
	/* Early retransmit (RFC 5827 3.2): with fewer than four segments out and nothing new
	 * that may go now (no data, or the windows are full), three duplicates can never come;
	 * oseg - 1 segments SACKed above the first hole say it is lost. */
	uint32_t flight = cb->snd_max - cb->snd_una;
	uint32_t oseg = (flight + cb->mss - 1) / cb->mss;
	if (!cb->sb_n || oseg < 2 || oseg >= 4)
		return false;
	uint32_t unsent = SEQ_LT(cb->snd_nxt, cb->snd_una + cb->sndq.len) ? cb->snd_una + cb->sndq.len - cb->snd_nxt : 0;
	uint32_t wnd = min32(cb->snd_wnd, cb->cwnd);
	if (unsent && wnd > flight && wnd - flight >= min32(unsent, cb->mss))
		return false;
	return sacked_bytes(cb) > (oseg - 2) * (uint32_t)cb->mss;
}

uint32_t tcp_sack_pipe(const struct tcp_cb *cb)
{
	uint32_t pipe = 0, above = sacked_bytes(cb), p = cb->snd_una;
	for (unsigned i = 0; i <= cb->sb_n; i++) {
		uint32_t end = i < cb->sb_n ? cb->sb[i][0] : cb->snd_max;
		bool lost = i < cb->sb_n && hole_lost(cb, i, above);
		if (SEQ_LT(p, end)) {
			if (!lost)
				pipe += end - p; /* not lost: presumed still in the network */
			if (SEQ_GT(cb->high_rxt, p))
				pipe += (SEQ_LT(cb->high_rxt, end) ? cb->high_rxt : end) - p; /* resent */
		}
		if (i < cb->sb_n) {
			above -= cb->sb[i][1] - cb->sb[i][0];
			p = cb->sb[i][1];
		}
	}
	return pipe;
}

bool tcp_sack_holds(const struct tcp_cb *cb, uint32_t seq, uint32_t *end)
{
	for (unsigned i = 0; i < cb->sb_n && SEQ_LEQ(cb->sb[i][0], seq); i++)
		if (SEQ_LT(seq, cb->sb[i][1])) {
			*end = cb->sb[i][1];
			return true;
		}
	return false;
}

uint32_t tcp_sack_next_start(const struct tcp_cb *cb, uint32_t seq, uint32_t limit)
{
	for (unsigned i = 0; i < cb->sb_n; i++)
		if (SEQ_GT(cb->sb[i][0], seq))
			return cb->sb[i][0] - seq < limit ? cb->sb[i][0] : seq + limit;
	return seq + limit;
}

void tcp_sack_enter_recovery(struct tcp_cb *cb, uint64_t now)
{
	(void)now;
	/* (4.1)-(4.2): FlightSize as SND.MAX - SND.UNA; no inflation, pipe limits instead. */
	uint32_t flight = cb->snd_max - cb->snd_una;
	cb->ssthresh = flight / 2 > 2u * cb->mss ? flight / 2 : 2u * cb->mss;
	cb->cwnd = cb->ssthresh;
	cb->recover = cb->snd_max;
	cb->in_recovery = true;
	/* (4.3): the first hole's first segment; HighRxt and RescueRxt past it. */
	uint32_t end = cb->sb_n ? cb->sb[0][0] : cb->snd_max;
	cb->high_rxt = cb->snd_una + tcp_retransmit(cb, cb->snd_una, end);
	cb->rescue_rxt = cb->high_rxt;
}

/* Resends from seq (not past end) as NextSeg() rules 1 and 3 do; false if nothing went. */
static bool resend_hole(struct tcp_cb *cb, uint32_t seq, uint32_t end)
{
	uint32_t n = tcp_retransmit(cb, seq, end);
	if (!n)
		return false;
	cb->high_rxt = seq + n;
	return true;
}

/* RFC 6675 NextSeg() and sending what it names (steps C.1-C.3); false when nothing goes. */
static bool next_seg(struct tcp_cb *cb, uint64_t now, uint32_t room)
{
	/* Rules 1 and 3 look at the lowest unSACKed octet above HighRxt below the highest
	 * SACKed one. Lower holes have more SACKed above them, so if that hole is not lost, no
	 * higher one is. */
	uint32_t above = sacked_bytes(cb), p = cb->snd_una;
	bool have3 = false;
	uint32_t s3 = 0, e3 = 0;
	for (unsigned i = 0; i < cb->sb_n; i++) {
		uint32_t hl = SEQ_GT(cb->high_rxt, p) ? cb->high_rxt : p, hr = cb->sb[i][0];
		if (SEQ_LT(hl, hr)) {
			if (hole_lost(cb, i, above))
				return resend_hole(cb, hl, hr); /* rule 1 */
			have3 = true;
			s3 = hl;
			e3 = hr;
			break;
		}
		above -= cb->sb[i][1] - cb->sb[i][0];
		p = cb->sb[i][1];
	}
	/* Rule 2: new data, as far as the receiver's window allows. */
	uint32_t out = cb->snd_nxt - cb->snd_una;
	uint32_t rwnd = cb->snd_wnd > out ? cb->snd_wnd - out : 0;
	if (SEQ_GEQ(cb->snd_nxt, cb->snd_max) && tcp_send_new(cb, now, min32(room, rwnd)))
		return true;
	if (have3)
		return resend_hole(cb, s3, e3); /* rule 3 */
	/* Rule 4: one rescue per recovery, the segment holding the highest unSACKed octet (a
	 * lost tail has nothing SACKed above it). Not when rules 1 or 3 resent that segment in
	 * this recovery already: the rescue is for what was never resent. */
	if (!SEQ_GT(cb->snd_una, cb->rescue_rxt))
		return false;
	uint32_t top = cb->snd_max, bottom = cb->sb_n ? cb->sb[cb->sb_n - 1][1] : cb->snd_una;
	if (!SEQ_LT(bottom, top)) { /* the tail is SACKed: the last hole's top instead */
		top = cb->sb_n ? cb->sb[cb->sb_n - 1][0] : cb->snd_una;
		bottom = cb->sb_n > 1 ? cb->sb[cb->sb_n - 2][1] : cb->snd_una;
	}
	if (!SEQ_LT(bottom, top) || SEQ_LEQ(top, cb->high_rxt))
		return false;
	uint32_t from = top - bottom > cb->mss ? top - cb->mss : bottom;
	cb->rescue_rxt = cb->recover;
	return tcp_retransmit(cb, from, top) != 0;
}

void tcp_sack_output(struct tcp_cb *cb, uint64_t now)
{
	/* (C): while cwnd - pipe holds a segment. Each segment sent raises pipe (or uses up the
	 * one rescue), so this ends. */
	for (;;) {
		uint32_t pipe = tcp_sack_pipe(cb);
		if (cb->cwnd < pipe || cb->cwnd - pipe < cb->mss)
			return;
		if (!next_seg(cb, now, cb->cwnd - pipe))
			return;
	}
}

static bool tlp_allowed(const struct tcp_cb *cb)
{
	return cb->sack_ok && !cb->in_recovery && !cb->tlp_out && cb->rtt.has_sample &&
	       cb->snd_una != cb->snd_max && (cb->state == TCP_ESTABLISHED || cb->state == TCP_CLOSE_WAIT);
}

void tcp_tlp_arm(struct tcp_cb *cb, uint64_t now)
{
	cb->t_tlp = 0;
	if (!tlp_allowed(cb) || !cb->t_rto)
		return;
	/* PTO = 2 SRTT, and time for a delayed ACK when a single segment is out (RFC 8985 7.2). */
	uint64_t pto = 2 * cb->rtt.srtt;
	if (cb->snd_max - cb->snd_una <= cb->mss)
		pto += TCP_PTO_DELACK;
	if (pto < TCP_PTO_MIN)
		pto = TCP_PTO_MIN;
	if (now + pto < cb->t_rto)
		cb->t_tlp = now + pto;
}

void tcp_tlp_fire(struct tcp_cb *cb, uint64_t now)
{
	if (!tlp_allowed(cb))
		return;
	cb->tlp_out = true;
	cb->tlp_high = cb->snd_max;
	/* New data if the receiver's window takes it (cwnd aside, RFC 8985 7.3), Nagle aside. */
	uint32_t out = cb->snd_nxt - cb->snd_una;
	uint32_t rwnd = cb->snd_wnd > out ? cb->snd_wnd - out : 0;
	bool nd = cb->nodelay, sent = false;
	cb->nodelay = true;
	if (SEQ_GEQ(cb->snd_nxt, cb->snd_max))
		sent = tcp_send_new(cb, now, min32(rwnd, cb->mss));
	cb->nodelay = nd;
	if (sent) {
		cb->tlp_high = cb->snd_max;
	} else {
		uint32_t from = cb->snd_max - cb->snd_una > cb->mss ? cb->snd_max - cb->mss : cb->snd_una;
		tcp_retransmit(cb, from, cb->snd_max);
	}
	tcp_arm_rto(cb, now);
}
