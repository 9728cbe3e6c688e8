/*
 * Guest side of tests/system/net/inet_peer.sh: a user-space UDP sink on an AF_INET socket.
 * Binds 0.0.0.0:PORT, then logs each datagram's length and FNV-1a hash (the lines
 * udp_client.py waits for) and its sender, until one says "quit". Built with musl-gcc -static.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7777;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("user udp sink: socket/bind");
		return 1;
	}
	printf("user udp sink: listening on port %d\n", port);
	fflush(stdout);
	static unsigned char buf[65536];
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 60000) != 1) {
			printf("user udp sink: timed out\n");
			return 1;
		}
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0) {
			perror("user udp sink: recvfrom");
			return 1;
		}
		char ip[16];
		inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
		printf("user udp sink: %zd bytes fnv1a64 %016llx from %s\n", n,
		       (unsigned long long)fnv1a64(buf, (size_t)n), ip);
		fflush(stdout);
		if (n == 4 && memcmp(buf, "quit", 4) == 0)
			break;
	}
	close(s);
	return 0;
}
