/* A token bucket: `rate` tokens per second up to `burst`; the caller holds its lock. */
#include "net/ipv4/inet.h"

bool ratelimit_take(struct ratelimit *r, uint64_t now)
{
	uint64_t per = 1000000000ull / r->rate;
	if (!r->started) {
		r->tokens = r->burst;
		r->last_ns = now;
		r->started = true;
	}
	uint64_t add = now > r->last_ns ? (now - r->last_ns) / per : 0;
	if (add) {
		r->tokens = r->tokens + add > r->burst ? r->burst : r->tokens + add;
		r->last_ns += add * per; /* keep the remainder: no tokens lost to rounding */
	}
	if (!r->tokens)
		return false;
	r->tokens--;
	return true;
}
