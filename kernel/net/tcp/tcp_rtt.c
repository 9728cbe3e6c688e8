/*
 * The retransmission timer's arithmetic, RFC 6298: smoothed RTT and its variation from each
 * measurement, RTO = SRTT + max(G, 4 * RTTVAR) clamped to [TCP_RTO_MIN, TCP_RTO_MAX], and the
 * doubling after an expiry. G, the clock granularity, is one millisecond here.
 */
#include "net/tcp/tcp_core.h"

#define TCP_CLOCK_G TCP_MS

static uint64_t clamp_rto(uint64_t v)
{
	return v < TCP_RTO_MIN ? TCP_RTO_MIN : v > TCP_RTO_MAX ? TCP_RTO_MAX : v;
}

void tcp_rtt_init(struct tcp_rtt *r)
{
	r->srtt = r->rttvar = 0;
	r->rto = TCP_RTO_INIT;
	r->has_sample = false;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t m)
{
	if (!r->has_sample) {
		/* (2.2) the first measurement */
		r->srtt = m;
		r->rttvar = m / 2;
		r->has_sample = true;
	} else {
		/* (2.3) alpha = 1/8, beta = 1/4; RTTVAR first, with the old SRTT */
		uint64_t diff = r->srtt > m ? r->srtt - m : m - r->srtt;
		r->rttvar = (3 * r->rttvar + diff) / 4;
		r->srtt = (7 * r->srtt + m) / 8;
	}
	uint64_t var = 4 * r->rttvar;
	r->rto = clamp_rto(r->srtt + (var > TCP_CLOCK_G ? var : TCP_CLOCK_G));
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	r->rto = clamp_rto(r->rto * 2);
}
