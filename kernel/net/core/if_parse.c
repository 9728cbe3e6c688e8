/*
 * Pure helpers for the interface and routing ioctls: sockaddr conversion, Linux's classful
 * default netmask and the validation of a route request.
 */
#include "net/core/if_ioctl.h"
#include "lib/errno.h"
#include "lib/string.h"

#define AF_INET_K 2

int if_sockaddr_ipv4(const struct sockaddr_k *sa, in_addr_t *out)
{
	if (sa->family != AF_INET_K)
		return -EINVAL;
	memcpy(out, sa->data + 2, sizeof(*out)); /* sin_port first, then sin_addr */
	return 0;
}

void if_sockaddr_fill(struct sockaddr_k *sa, in_addr_t addr)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = AF_INET_K;
	memcpy(sa->data + 2, &addr, sizeof(addr));
}

in_addr_t if_classful_mask(in_addr_t addr)
{
	uint32_t a = ntohl(addr);
	if (a == 0)
		return 0;
	if ((a >> 31) == 0)
		return htonl(0xff000000u);
	if ((a >> 30) == 2)
		return htonl(0xffff0000u);
	if ((a >> 29) == 6)
		return htonl(0xffffff00u);
	return htonl(0xffffffffu); /* classes D and E: no network part */
}

int if_route_target(const struct rtentry_k *rt, in_addr_t *dst, in_addr_t *mask)
{
	if (if_sockaddr_ipv4(&rt->dst, dst) < 0)
		return -EAFNOSUPPORT;
	if (rt->flags & RTF_HOST) {
		*mask = 0xffffffffu;
	} else if (rt->genmask.family == 0 && *dst == 0) {
		*mask = 0; /* "default": route(8) may leave the mask unset */
	} else {
		memcpy(mask, rt->genmask.data + 2, sizeof(*mask));
	}
	uint32_t host = ~ntohl(*mask);
	if (host & (host + 1)) /* the host part must be all the low bits: a prefix */
		return -EINVAL;
	if (*dst & ~*mask)
		return -EINVAL;
	return 0;
}
