/*
 * inet_tcp: AF_INET stream sockets over 127.0.0.1: connect/accept/echo with the names on both
 * ends, a 1 MiB transfer with a checksum and half-close, ECONNREFUSED from a closed port
 * (blocking and non-blocking with SO_ERROR), shutdown semantics and EPIPE, MSG_PEEK,
 * MSG_DONTWAIT and MSG_WAITALL, poll and epoll readiness, SO_LINGER 0 resets, SO_REUSEADDR
 * and EADDRINUSE, options, receive timeouts, accept4 flags, /proc/net/tcp and 100 concurrent
 * connections.
 */
#include "t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listener on 127.0.0.1 at an ephemeral port; *port gets it. */
static int listener(uint16_t *port, int backlog)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, backlog) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

static int connect_to(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static size_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void test_echo(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	if (!NEED("echo_listen", l))
		return;
	int c = connect_to(port);
	if (!NEED("echo_connect", c))
		return;
	struct sockaddr_in peer, local, cl;
	socklen_t plen = sizeof(peer), llen = sizeof(local), clen = sizeof(cl);
	int a = accept(l, (struct sockaddr *)&peer, &plen);
	if (!NEED("echo_accept", a))
		return;
	CHECK_OK("getsockname_client", getsockname(c, (struct sockaddr *)&cl, &clen));
	CHECK("accept_peer_is_client", plen == sizeof(peer) && peer.sin_family == AF_INET &&
					       peer.sin_port == cl.sin_port && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK_OK("getpeername_client", getpeername(c, (struct sockaddr *)&local, &llen));
	CHECK("client_peer_is_server", ntohs(local.sin_port) == port);
	CHECK("ephemeral_port_range", ntohs(cl.sin_port) >= 32768 && ntohs(cl.sin_port) <= 60999);
	CHECK_EQ("write_hello", write(c, "hello", 5), 5);
	char buf[16] = { 0 };
	CHECK("server_reads_hello", read_full(a, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK_EQ("server_echo", write(a, buf, 5), 5);
	memset(buf, 0, sizeof(buf));
	CHECK("client_reads_echo", read_full(c, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
	int type = 0;
	socklen_t tl = sizeof(type);
	CHECK("so_type", getsockopt(a, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM);
	int acc = 0;
	tl = sizeof(acc);
	CHECK("so_acceptconn", getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &tl) == 0 && acc == 1);
	close(c);
	CHECK_EQ("eof_after_close", read(a, buf, sizeof(buf)), 0);
	close(a);
	close(l);
}

static uint32_t checksum(uint32_t sum, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum = (sum << 5) + sum + p[i]; /* djb2: order matters, so a reordering shows */
	return sum;
}

static void test_bulk(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	if (!NEED("bulk_listen", l))
		return;
	const size_t total = 1 << 20;
	pid_t pid = fork();
	if (pid == 0) {
		close(l);
		int c = connect_to(port);
		if (c < 0)
			_exit(1);
		unsigned char *buf = malloc(total);
		uint32_t x = 12345;
		for (size_t i = 0; i < total; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (unsigned char)(x >> 16);
		}
		uint32_t sum = checksum(5381, buf, total);
		/* odd-sized writes so segment boundaries fall everywhere */
		for (size_t off = 0; off < total;) {
			size_t n = total - off < 7919 ? total - off : 7919;
			ssize_t w = write(c, buf + off, n);
			if (w <= 0)
				_exit(2);
			off += (size_t)w;
		}
		if (shutdown(c, SHUT_WR) < 0)
			_exit(3);
		uint32_t theirs = 0;
		if (read_full(c, &theirs, 4) != 4)
			_exit(4);
		_exit(theirs == sum ? 0 : 5);
	}
	int a = accept(l, NULL, NULL);
	if (!NEED("bulk_accept", a))
		return;
	unsigned char buf[65536];
	size_t got = 0;
	uint32_t sum = 5381;
	ssize_t r;
	while ((r = read(a, buf, sizeof(buf))) > 0) {
		sum = checksum(sum, buf, (size_t)r);
		got += (size_t)r;
	}
	CHECK_EQ("bulk_bytes", got, total);
	CHECK_EQ("bulk_write_checksum", write(a, &sum, 4), 4);
	CHECK_CHILD("bulk_checksum_matches", t_wait(pid));
	close(a);
	close(l);
}

static uint16_t closed_port(void)
{
	uint16_t port = 0;
	int l = listener(&port, 1);
	close(l);
	return port;
}

static void test_refused(void)
{
	uint16_t port = closed_port();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	CHECK_ERR("connect_refused", connect(s, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	close(s);

	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	CHECK("nonblock_refused_inprogress", (r == -1 && errno == EINPROGRESS) || (r == -1 && errno == ECONNREFUSED));
	struct pollfd p = { .fd = s, .events = POLLOUT | POLLIN };
	CHECK_EQ("nonblock_refused_poll", poll(&p, 1, 5000), 1);
	CHECK("nonblock_refused_pollerr", (p.revents & POLLERR) && (p.revents & POLLHUP));
	int err = 0;
	socklen_t len = sizeof(err);
	if (r == -1 && errno == EINPROGRESS) {
		CHECK("so_error_refused", getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED);
		len = sizeof(err);
		CHECK("so_error_cleared", getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
	}
	close(s);
}

static void test_nonblocking_connect(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	if (!NEED("nb_listen", l))
		return;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = loopback(port);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	CHECK("nb_connect_einprogress", r == 0 || errno == EINPROGRESS);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	CHECK_EQ("nb_connect_poll", poll(&p, 1, 5000), 1);
	CHECK("nb_connect_pollout", p.revents == POLLOUT);
	int err = -1;
	socklen_t len = sizeof(err);
	CHECK("nb_connect_so_error_0", getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
	CHECK_ERR("nb_connect_again_eisconn_or_ok",
		  connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 ? connect(s, (struct sockaddr *)&a, sizeof(a)) : -1,
		  EISCONN);
	/* accept4 with flags; an empty queue says EAGAIN for a non-blocking accept */
	int c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (NEED("accept4", c)) {
		CHECK("accept4_nonblock", fcntl(c, F_GETFL) & O_NONBLOCK);
		CHECK("accept4_cloexec", fcntl(c, F_GETFD) & FD_CLOEXEC);
		char b;
		CHECK_ERR("recv_dontwait_empty", recv(c, &b, 1, 0), EAGAIN);
		close(c);
	}
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK_ERR("accept_nonblock_empty", accept(l, NULL, NULL), EAGAIN);
	close(s);
	close(l);
}

static void test_shutdown(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	int c = connect_to(port);
	int a = accept(l, NULL, NULL);
	if (!NEED("shut_setup", a) || !NEED("shut_setup_c", c))
		return;
	CHECK_OK("shutdown_wr", shutdown(c, SHUT_WR));
	char buf[8];
	CHECK_EQ("peer_reads_eof", read(a, buf, sizeof(buf)), 0);
	CHECK_ERR("write_after_shut_wr_epipe", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ("peer_still_writes", write(a, "back", 4), 4);
	CHECK("half_closed_reads", read_full(c, buf, 4) == 4 && memcmp(buf, "back", 4) == 0);
	struct pollfd p = { .fd = a, .events = POLLIN | POLLRDHUP };
	CHECK("pollrdhup_after_fin", poll(&p, 1, 1000) == 1 && (p.revents & POLLRDHUP) && (p.revents & POLLIN));
	close(a);
	CHECK_EQ("eof_after_both", read(c, buf, sizeof(buf)), 0);
	struct pollfd q = { .fd = c, .events = POLLIN | POLLOUT };
	CHECK("pollhup_closed_both_ways", poll(&q, 1, 1000) == 1 && (q.revents & POLLHUP));
	close(c);

	int u = socket(AF_INET, SOCK_STREAM, 0);
	char b;
	CHECK_ERR("recv_unconnected", recv(u, &b, 1, 0), ENOTCONN);
	CHECK_ERR("shutdown_unconnected", shutdown(u, SHUT_RDWR), ENOTCONN);
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	CHECK_ERR("getpeername_unconnected", getpeername(u, (struct sockaddr *)&pa, &pl), ENOTCONN);
	close(u);
	close(l);
}

static void test_flags(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	int c = connect_to(port);
	int a = accept(l, NULL, NULL);
	if (!NEED("flags_setup", a) || !NEED("flags_setup_c", c))
		return;
	char buf[32] = { 0 };
	CHECK_ERR("dontwait_empty", recv(a, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ("send_abc", send(c, "abcdef", 6, 0), 6);
	struct pollfd p = { .fd = a, .events = POLLIN };
	CHECK("poll_in_after_data", poll(&p, 1, 2000) == 1 && p.revents == POLLIN);
	int avail = 0;
	CHECK("fionread", ioctl(a, FIONREAD, &avail) == 0 && avail == 6);
	CHECK("peek", recv(a, buf, 3, MSG_PEEK) == 3 && memcmp(buf, "abc", 3) == 0);
	CHECK("peek_again_same", recv(a, buf, 6, MSG_PEEK) == 6 && memcmp(buf, "abcdef", 6) == 0);
	CHECK("read_after_peek", recv(a, buf, 2, 0) == 2 && memcmp(buf, "ab", 2) == 0);
	/* MSG_WAITALL waits for the rest of the request to arrive */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(send(c, "ghij", 4, 0) == 4 ? 0 : 1);
	}
	CHECK("waitall", recv(a, buf, 8, MSG_WAITALL) == 8 && memcmp(buf, "cdefghij", 8) == 0);
	CHECK_CHILD("waitall_writer", t_wait(pid));
	/* options */
	int one = 1, v = 0;
	socklen_t len = sizeof(v);
	CHECK("nodelay_set_get", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
				 getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
	len = sizeof(v);
	CHECK("keepalive_set_get", setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0 &&
				   getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v == 1);
	int idle = 30;
	len = sizeof(v);
	CHECK("keepidle_set_get", setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == 0 &&
				  getsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) == 0 && v == 30);
	int sz = 65536;
	len = sizeof(v);
	CHECK("rcvbuf_doubled", setsockopt(a, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == 0 &&
				getsockopt(a, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 2 * sz);
	struct timeval tv = { 0, 200 * 1000 };
	CHECK_OK("rcvtimeo_set", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_ERR("rcvtimeo_expires", recv(a, buf, 1, 0), EAGAIN);
	/* epoll: writable at once, readable once data comes */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = a }, out[2];
	CHECK_OK("epoll_add", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	CHECK("epoll_out_only", epoll_wait(ep, out, 2, 1000) == 1 && out[0].events == EPOLLOUT);
	ev.events = EPOLLIN;
	CHECK_OK("epoll_mod_in", epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev));
	CHECK_EQ("epoll_nothing_to_read", epoll_wait(ep, out, 2, 0), 0);
	send(c, "z", 1, 0);
	int n = epoll_wait(ep, out, 2, 5000);
	CHECK("epoll_in_after_data", n == 1 && out[0].events == EPOLLIN);
	close(ep);
	close(a);
	close(c);
	close(l);
}

static void test_linger_reset(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	int c = connect_to(port);
	int a = accept(l, NULL, NULL);
	if (!NEED("linger_setup", a) || !NEED("linger_setup_c", c))
		return;
	struct linger lg = { 1, 0 };
	CHECK_OK("so_linger_0", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	char b;
	struct pollfd p = { .fd = a, .events = POLLIN };
	poll(&p, 1, 2000);
	CHECK_ERR("read_after_rst_econnreset", read(a, &b, 1), ECONNRESET);
	CHECK_EQ("read_after_reset_eof", read(a, &b, 1), 0);
	CHECK_ERR("write_after_reset_epipe", send(a, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(a);

	/* unread data at close also resets (RFC 2525 2.17) */
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	send(c, "unread", 6, 0);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	close(a);
	p.fd = c;
	poll(&p, 1, 2000);
	CHECK_ERR("close_with_unread_resets", read(c, &b, 1), ECONNRESET);
	close(c);
	close(l);
}

static void test_addresses(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	if (!NEED("addr_listen", l))
		return;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	CHECK_ERR("bind_in_use", bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK_ERR("bind_listener_port_even_with_reuse", bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(s);
	close(l);
	/* The server closes first and keeps TIME-WAIT; SO_REUSEADDR on both lets a new listener bind. */
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!NEED("reuse_listener", bind(l, (struct sockaddr *)&a, sizeof(a))) || !NEED("reuse_listen", listen(l, 4)))
		return;
	int c = connect_to(port);
	int acc = accept(l, NULL, NULL);
	close(acc);
	char b;
	read(c, &b, 1);
	close(c);
	close(l);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK_OK("reuseaddr_over_time_wait", bind(s, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK("listen_again", listen(s, 4));
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in bad = loopback(1);
	bad.sin_addr.s_addr = inet_addr("203.0.113.9");
	CHECK_ERR("bind_foreign_addr", bind(s, (struct sockaddr *)&bad, sizeof(bad)), EADDRNOTAVAIL);
	CHECK_ERR("bind_short", bind(s, (struct sockaddr *)&a, 8), EINVAL);
	CHECK_ERR("connect_bad_ptr", connect(s, (struct sockaddr *)8, sizeof(a)), EFAULT);
	close(s);
}

static void test_proc_net_tcp(void)
{
	uint16_t port;
	int l = listener(&port, 8);
	FILE *f = fopen("/proc/net/tcp", "r");
	if (!NEED("proc_net_tcp_open", f ? 0 : -1))
		return;
	char line[256], want[32];
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	int found = 0, header = 0;
	if (fgets(line, sizeof(line), f))
		header = strstr(line, "local_address rem_address   st") != NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && strstr(line, " 0A "))
			found = 1;
	fclose(f);
	CHECK("proc_net_tcp_header", header);
	CHECK("proc_net_tcp_listener", found);
	close(l);
}

#define NCONN 100

static void test_many(void)
{
	uint16_t port;
	int l = listener(&port, 128);
	if (!NEED("many_listen", l))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(l);
		int fds[NCONN];
		for (int i = 0; i < NCONN; i++)
			if ((fds[i] = connect_to(port)) < 0)
				_exit(1);
		for (int i = 0; i < NCONN; i++)
			if (write(fds[i], &i, sizeof(i)) != sizeof(i))
				_exit(2);
		for (int i = 0; i < NCONN; i++) {
			int v = -1;
			if (read_full(fds[i], &v, sizeof(v)) != sizeof(v) || v != i * 3)
				_exit(3);
			close(fds[i]);
		}
		_exit(0);
	}
	int done = 0;
	for (int i = 0; i < NCONN; i++) {
		int a = accept(l, NULL, NULL);
		if (a < 0)
			break;
		int v;
		if (read_full(a, &v, sizeof(v)) == sizeof(v)) {
			v *= 3;
			if (write(a, &v, sizeof(v)) == sizeof(v))
				done++;
		}
		close(a);
	}
	CHECK_EQ("hundred_connections_served", done, NCONN);
	CHECK_CHILD("hundred_connections_client", t_wait(pid));
	close(l);
}

int main(int argc, char **argv)
{
	(void)argc;
	signal(SIGPIPE, SIG_IGN);
	t_init("inet_tcp", argv);
	test_echo();
	test_bulk();
	test_refused();
	test_nonblocking_connect();
	test_shutdown();
	test_flags();
	test_linger_reset();
	test_addresses();
	test_proc_net_tcp();
	test_many();
	return t_done();
}
