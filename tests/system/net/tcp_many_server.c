/*
 * A single-process TCP server for tests/system/net/tcp_peers.sh, built with musl-gcc -static
 * and run inside Ferrite: listens on port 84 (backlog 128), serves every connection from one
 * poll loop (a line in, "ok " and the line back, then close) and exits after argv[1] of them,
 * printing how many it served. Unlike busybox httpd (a fork per connection, backlog 9), it
 * takes a burst of 100 connections at once.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 256

int main(int argc, char **argv)
{
	int want = argc > 1 ? atoi(argv[1]) : 100, served = 0, one = 1;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(84) };
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 128) < 0) {
		perror("tcp_many_server");
		return 1;
	}
	struct pollfd p[MAXC + 1];
	char buf[MAXC][128];
	size_t len[MAXC];
	int n = 0;
	p[0] = (struct pollfd){ .fd = l, .events = POLLIN };
	while (served < want) {
		if (poll(p, (nfds_t)n + 1, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c;
			while (n < MAXC && (c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				p[n + 1] = (struct pollfd){ .fd = c, .events = POLLIN };
				len[n++] = 0;
			}
		}
		for (int i = 0; i < n; i++) {
			if (!p[i + 1].revents)
				continue;
			ssize_t r = read(p[i + 1].fd, buf[i] + len[i], sizeof(buf[i]) - 1 - len[i]);
			int done = r <= 0;
			if (r > 0) {
				len[i] += (size_t)r;
				if (memchr(buf[i], '\n', len[i]) || len[i] == sizeof(buf[i]) - 1) {
					char reply[140];
					int m = snprintf(reply, sizeof(reply), "ok %.*s", (int)len[i], buf[i]);
					served += write(p[i + 1].fd, reply, (size_t)m) == m;
					done = 1;
				}
			}
			if (done) {
				close(p[i + 1].fd);
				p[i + 1] = p[n];
				memcpy(buf[i], buf[n - 1], len[n - 1]);
				len[i] = len[n - 1];
				n--;
				i--;
			}
		}
	}
	printf("tcptest: many served %d\n", served);
	return 0;
}
