/*
 * Port bookkeeping shared by the AF_INET protocols: the ephemeral port search and the rule for
 * when two bindings of one port may coexist. Pure, so the host unit tests link it.
 */
#include "net/ipv4/inet.h"

uint16_t inet_port_pick(uint16_t *next, uint16_t first, uint16_t last,
			bool (*in_use)(uint16_t port, void *ctx), void *ctx)
{
	if (first == 0 || first > last)
		return 0;
	if (*next < first || *next > last)
		*next = first;
	/* Round-robin from where the last search stopped, so a port just freed is not reused at
	 * once (a late datagram for the old owner would reach the new one). */
	for (uint32_t tries = 0; tries <= (uint32_t)(last - first); tries++) {
		uint16_t p = *next;
		*next = p == last ? first : (uint16_t)(p + 1);
		if (!in_use(p, ctx))
			return p;
	}
	return 0;
}

bool inet_bind_conflict(in_addr_t addr1, bool reuse1, in_addr_t addr2, bool reuse2)
{
	/* Linux's UDP rule: SO_REUSEADDR on both sides lets them share; otherwise they clash when
	 * either is the wildcard or both name the same address. */
	if (reuse1 && reuse2)
		return false;
	return addr1 == INADDR_ANY_NET || addr2 == INADDR_ANY_NET || addr1 == addr2;
}
