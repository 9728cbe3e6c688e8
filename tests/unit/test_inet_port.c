// unit-deps: kernel/net/ipv4/inet_port.c kernel/net/ipv4/inet_opts.c kernel/lib/string.c
/*
 * Host tests for the AF_INET port bookkeeping (kernel/net/ipv4/inet_port.c): the ephemeral
 * search stays in Linux's 32768-60999, goes round-robin, skips taken ports, wraps, and says 0
 * when every port is taken; the SO_REUSEADDR bind-conflict rule; the IPPROTO_IP options
 * (inet_opts.c): IP_TTL's range and reset, byte-sized values, IP_TOS, IP_RECVERR.
 */
#include "unit.h"

#include <stdlib.h>

#include "lib/errno.h"
#include "net/ipv4/inet.h"

static unsigned char taken[65536];

static bool in_use(uint16_t port, void *ctx)
{
	(void)ctx;
	return taken[port] != 0;
}

TEST(ephemeral_in_range_round_robin)
{
	memset(taken, 0, sizeof(taken));
	uint16_t next = 0; /* out of range: starts at the first */
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 32768);
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 32769);
	taken[32770] = taken[32771] = 1;
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 32772);
}

TEST(ephemeral_wraps_and_exhausts)
{
	memset(taken, 0, sizeof(taken));
	uint16_t next = 60999;
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 60999);
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 32768);
	for (unsigned p = 32768; p <= 60999; p++)
		taken[p] = 1;
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 0);
	taken[45000] = 0;
	CHECK_INT(inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL), 45000);
	taken[45000] = 1;
	/* Every result, over many calls with random holes, is free and in range. */
	srand(7);
	for (int i = 0; i < 10000; i++) {
		uint16_t p = (uint16_t)(32768 + rand() % (60999 - 32768 + 1));
		taken[p] = 0;
		uint16_t got = inet_port_pick(&next, INET_EPHEMERAL_FIRST, INET_EPHEMERAL_LAST, in_use, NULL);
		CHECK(got >= 32768 && got <= 60999 && got == p);
		taken[got] = 1;
	}
}

TEST(bad_ranges)
{
	uint16_t next = 5;
	CHECK_INT(inet_port_pick(&next, 0, 10, in_use, NULL), 0);
	CHECK_INT(inet_port_pick(&next, 20, 10, in_use, NULL), 0);
}

TEST(bind_conflicts)
{
	in_addr_t lo = IPV4(127, 0, 0, 1), other = IPV4(10, 0, 2, 15);
	CHECK(inet_bind_conflict(0, false, 0, false));
	CHECK(inet_bind_conflict(0, false, lo, false));
	CHECK(inet_bind_conflict(lo, false, 0, false));
	CHECK(inet_bind_conflict(lo, false, lo, false));
	CHECK(!inet_bind_conflict(lo, false, other, false));
	CHECK(inet_bind_conflict(lo, true, lo, false)); /* both must ask */
	CHECK(!inet_bind_conflict(lo, true, lo, true));
	CHECK(!inet_bind_conflict(0, true, 0, true));
}

TEST(ip_options)
{
	struct inet_ip_opts o = { 0 };
	int v, len;
	CHECK_INT(inet_ip_getsockopt(&o, IP_TTL, &v, &len), 0);
	CHECK_INT(v, 64);
	CHECK_INT(len, 4);
	v = 7;
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &v, 4), 0);
	CHECK_INT(o.ttl, 7);
	v = 0;
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &v, 4), -EINVAL);
	v = 256;
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &v, 4), -EINVAL);
	v = -1;
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &v, 4), 0);
	inet_ip_getsockopt(&o, IP_TTL, &v, &len);
	CHECK_INT(v, 64);
	uint8_t b = 200; /* one byte is enough */
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &b, 1), 0);
	CHECK_INT(o.ttl, 200);
	CHECK_INT(inet_ip_setsockopt(&o, IP_TTL, &b, 0), -EINVAL); /* no value: 0 */
	v = 0x10;
	CHECK_INT(inet_ip_setsockopt(&o, IP_TOS, &v, 4), 0);
	inet_ip_getsockopt(&o, IP_TOS, &v, &len);
	CHECK_INT(v, 0x10);
	v = 1;
	CHECK_INT(inet_ip_setsockopt(&o, IP_RECVERR, &v, 4), 0);
	CHECK(o.recverr);
	CHECK_INT(inet_ip_setsockopt(&o, 99, &v, 4), -ENOPROTOOPT);
	CHECK_INT(inet_ip_getsockopt(&o, 99, &v, &len), -ENOPROTOOPT);
}
