/*
 * Inside Ferrite for tests/system/net/virtio_net_offload.sh: an ETH_P_ALL packet socket on an
 * interface that checks every IPv4 TCP/UDP frame it is given, both directions, for a correct
 * IP header checksum and transport checksum (the kernel must hand packet sockets finished
 * checksums even when the device computes them). Runs until SIGTERM or the time limit, then
 * prints "pktcheck: out N in N big N bad N short N" (big: TCP frames longer than 1514 bytes,
 * i.e. TSO frames before the device cut them; short: frames cut by the buffer, not checked).
 * Usage: pkt_csum_check IFNAME SECONDS
 */
#include <arpa/inet.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	unsigned idx = if_nametoindex(argv[1]);
	if (fd < 0 || !idx) {
		perror("pktcheck: socket");
		return 1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx };
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("pktcheck: bind");
		return 1;
	}
	signal(SIGTERM, on_term);
	time_t end = time(NULL) + atoi(argv[2]);
	static uint8_t f[70000];
	unsigned long out = 0, in = 0, big = 0, bad = 0, shortf = 0;
	printf("pktcheck: listening on %s\n", argv[1]);
	fflush(stdout);
	while (!stop && time(NULL) < end) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, f, sizeof(f), MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4)
			continue;
		size_t ihl = (f[14] & 15) * 4u, tot = (size_t)(f[16] << 8 | f[17]);
		uint8_t proto = f[14 + 9];
		if ((proto != 6 && proto != 17) || (f[20] & 0x3f) || f[21])
			continue; /* not TCP/UDP, or a fragment */
		if ((size_t)n > sizeof(f) || 14 + tot > (size_t)n || ihl < 20 || tot < ihl + 8) {
			shortf++;
			continue;
		}
		const uint8_t *l4 = f + 14 + ihl;
		size_t l4len = tot - ihl;
		uint32_t ps = sum16(f + 14 + 12, 8, 0) + proto + (uint32_t)l4len;
		bool ok = fold(sum16(f + 14, ihl, 0)) == 0;
		if (proto == 6 || l4[6] || l4[7]) /* UDP checksum 0: none */
			ok = ok && fold(sum16(l4, l4len, ps)) == 0;
		if (from.sll_pkttype == PACKET_OUTGOING)
			out++;
		else
			in++;
		if (proto == 6 && 14 + tot > 1514)
			big++;
		if (!ok && bad++ < 5)
			printf("pktcheck: bad %s frame, %s, %zu bytes\n", from.sll_pkttype == PACKET_OUTGOING ? "outgoing" : "incoming",
			       proto == 6 ? "TCP" : "UDP", 14 + tot);
	}
	printf("pktcheck: out %lu in %lu big %lu bad %lu short %lu\n", out, in, big, bad, shortf);
	return 0;
}
