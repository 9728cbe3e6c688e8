// unit-deps: kernel/net/core/if_parse.c kernel/lib/string.c
/*
 * Host tests for the interface/routing ioctl helpers (kernel/net/core/if_parse.c) and the
 * user structure layouts they read (struct ifreq, ifconf, rtentry at the offsets x86_64 glibc's
 * <net/if.h> and <net/route.h> give; those headers clash with the kernel's): sockaddr conversion, the
 * classful default mask, and route requests with bad masks or stray host bits.
 */
#include "unit.h"

#include <stddef.h>

#include "lib/errno.h"
#include "net/core/if_ioctl.h"

TEST(layouts_match_linux)
{
	CHECK_INT(sizeof(struct ifreq_k), 40);
	CHECK_INT(offsetof(struct ifreq_k, u), 16);
	CHECK_INT(sizeof(struct ifconf_k), 16);
	CHECK_INT(offsetof(struct ifconf_k, buf), 8);
	CHECK_INT(sizeof(struct rtentry_k), 120);
	CHECK_INT(offsetof(struct rtentry_k, dst), 8);
	CHECK_INT(offsetof(struct rtentry_k, gateway), 24);
	CHECK_INT(offsetof(struct rtentry_k, genmask), 40);
	CHECK_INT(offsetof(struct rtentry_k, flags), 56);
	CHECK_INT(offsetof(struct rtentry_k, metric), 80);
	CHECK_INT(offsetof(struct rtentry_k, dev), 88);
	CHECK_INT(offsetof(struct rtentry_k, irtt), 112);
}

TEST(sockaddr_roundtrip)
{
	struct sockaddr_k sa;
	if_sockaddr_fill(&sa, IPV4(10, 0, 2, 15));
	/* struct sockaddr_in: family 2, port 0, then the address in network order. */
	const uint8_t want[8] = { 2, 0, 0, 0, 10, 0, 2, 15 };
	CHECK(memcmp(&sa, want, sizeof(want)) == 0);
	in_addr_t a = 0;
	CHECK_INT(if_sockaddr_ipv4(&sa, &a), 0);
	CHECK_INT(a, IPV4(10, 0, 2, 15));
	sa.family = 10; /* AF_INET6 */
	CHECK_INT(if_sockaddr_ipv4(&sa, &a), -EINVAL);
}

TEST(classful_masks)
{
	CHECK_INT(if_classful_mask(IPV4(10, 0, 2, 15)), IPV4(255, 0, 0, 0));
	CHECK_INT(if_classful_mask(IPV4(172, 16, 1, 1)), IPV4(255, 255, 0, 0));
	CHECK_INT(if_classful_mask(IPV4(192, 168, 1, 1)), IPV4(255, 255, 255, 0));
	CHECK_INT(if_classful_mask(IPV4(224, 0, 0, 1)), IPV4(255, 255, 255, 255));
	CHECK_INT(if_classful_mask(0), 0);
}

static struct rtentry_k route(in_addr_t dst, in_addr_t mask, unsigned flags)
{
	struct rtentry_k rt;
	memset(&rt, 0, sizeof(rt));
	if_sockaddr_fill(&rt.dst, dst);
	if_sockaddr_fill(&rt.genmask, mask);
	rt.flags = (uint16_t)flags;
	return rt;
}

TEST(route_requests)
{
	in_addr_t dst, mask;
	struct rtentry_k rt = route(0, 0, RTF_UP | RTF_GATEWAY);
	CHECK_INT(if_route_target(&rt, &dst, &mask), 0);
	CHECK_INT(mask, 0);
	rt = route(IPV4(10, 1, 0, 0), IPV4(255, 255, 0, 0), RTF_UP);
	CHECK_INT(if_route_target(&rt, &dst, &mask), 0);
	CHECK_INT(dst, IPV4(10, 1, 0, 0));
	CHECK_INT(mask, IPV4(255, 255, 0, 0));
	rt = route(IPV4(10, 1, 2, 3), 0, RTF_UP | RTF_HOST);
	CHECK_INT(if_route_target(&rt, &dst, &mask), 0);
	CHECK_INT(mask, 0xffffffffu);
	rt = route(IPV4(10, 1, 2, 3), IPV4(255, 255, 0, 0), RTF_UP); /* host bits set */
	CHECK_INT(if_route_target(&rt, &dst, &mask), -EINVAL);
	rt = route(IPV4(10, 0, 0, 0), IPV4(255, 0, 255, 0), RTF_UP); /* not a prefix */
	CHECK_INT(if_route_target(&rt, &dst, &mask), -EINVAL);
	rt = route(IPV4(10, 0, 0, 0), IPV4(255, 0, 0, 0), RTF_UP);
	rt.dst.family = 10;
	CHECK_INT(if_route_target(&rt, &dst, &mask), -EAFNOSUPPORT);
	/* An unset mask (family 0) on the default route is "any". */
	rt = route(0, 0, RTF_UP);
	memset(&rt.genmask, 0, sizeof(rt.genmask));
	CHECK_INT(if_route_target(&rt, &dst, &mask), 0);
	CHECK_INT(mask, 0);
}
