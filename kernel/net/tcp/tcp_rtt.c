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
	tcp_rtt_sample_n(r, m, 1);
}

void tcp_rtt_sample_n(struct tcp_rtt *r, uint64_t m, uint32_t n)
{
	if (!n)
		n = 1;
	if (!r->has_sample) {
		/* (2.2) the first measurement */
		r->srtt = m;
		r->rttvar = m / 2;
		r->has_sample = true;
	} else {
		/* (2.3) alpha = 1/8, beta = 1/4, each divided by n when timestamps give n samples per
		 * round trip (RFC 7323 4.2), so that RTTVAR keeps a round trip's memory; RTTVAR first,
		 * with the old SRTT. */
		uint64_t diff = r->srtt > m ? r->srtt - m : m - r->srtt;
		int64_t dv = (int64_t)diff - (int64_t)r->rttvar;
		int64_t ds = (int64_t)m - (int64_t)r->srtt;
		r->rttvar = (uint64_t)((int64_t)r->rttvar + dv / (4 * (int64_t)n));
		r->srtt = (uint64_t)((int64_t)r->srtt + ds / (8 * (int64_t)n));
	}
	uint64_t var = 4 * r->rttvar;
	r->rto = clamp_rto(r->srtt + (var > TCP_CLOCK_G ? var : TCP_CLOCK_G));
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	r->rto = clamp_rto(r->rto * 2);
}
