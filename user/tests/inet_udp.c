/*
 * inet_udp: AF_INET datagram sockets over 127.0.0.1: bind (wildcard, specific, port 0 and the
 * ephemeral range), EADDRINUSE and SO_REUSEADDR, sendto/recvfrom and the sender's address,
 * connect (peer filtering, getpeername, AF_UNSPEC), MSG_PEEK/MSG_TRUNC/MSG_DONTWAIT,
 * SO_RCVTIMEO, poll/select/epoll readiness, ICMP port unreachable as ECONNREFUSED, broadcast
 * needing SO_BROADCAST, shutdown, options, FIONREAD, the largest datagram, /proc/net/udp, and
 * the interface ioctls on lo (index, name, flags, address, netmask, SIOCGIFCONF); as root, a
 * raw ICMP socket pinging 127.0.0.1 (what busybox ping does); an ICMP echo ("ping") socket
 * where net.ipv4.ping_group_range allows one.
 */
#include "t.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static struct sockaddr_in sin_of(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* A UDP socket bound to ip:0; its port in *port. */
static int udp_bound(const char *ip, int *port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	struct sockaddr_in a = sin_of(ip, 0);
	socklen_t len = sizeof(a);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

static int wait_readable(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void test_bind_names(void)
{
	int lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%d %d", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("bind.socket", s))
		return;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	CHECK_OK("bind.getsockname_unbound", getsockname(s, (struct sockaddr *)&a, &len));
	CHECK("bind.unbound_is_zero", a.sin_family == AF_INET && a.sin_port == 0 && a.sin_addr.s_addr == 0);
	a = sin_of("127.0.0.1", 0);
	CHECK_OK("bind.port0", bind(s, (struct sockaddr *)&a, sizeof(a)));
	len = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &len);
	CHECK_EQ("bind.name_len", len, sizeof(a));
	CHECK("bind.ephemeral_range", ntohs(a.sin_port) >= lo && ntohs(a.sin_port) <= hi);
	CHECK("bind.name_addr", a.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	struct sockaddr_in b = sin_of("127.0.0.1", 0);
	CHECK_ERR("bind.twice", bind(s, (struct sockaddr *)&b, sizeof(b)), EINVAL);
	CHECK_ERR("bind.short", bind(socket(AF_INET, SOCK_DGRAM, 0), (struct sockaddr *)&b, 8), EINVAL);
	int t = socket(AF_INET, SOCK_DGRAM, 0);
	b = sin_of("203.0.113.7", 0);
	CHECK_ERR("bind.not_local", bind(t, (struct sockaddr *)&b, sizeof(b)), EADDRNOTAVAIL);
	/* The same port again: on the same address, on the wildcard. */
	b = sin_of("127.0.0.1", ntohs(a.sin_port));
	CHECK_ERR("bind.in_use", bind(t, (struct sockaddr *)&b, sizeof(b)), EADDRINUSE);
	b = sin_of("0.0.0.0", ntohs(a.sin_port));
	CHECK_ERR("bind.in_use_wildcard", bind(t, (struct sockaddr *)&b, sizeof(b)), EADDRINUSE);
	close(t);
	close(s);

	/* SO_REUSEADDR on both lets two sockets share a port. */
	int one = 1, port;
	int r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a = sin_of("0.0.0.0", 0);
	bind(r1, (struct sockaddr *)&a, sizeof(a));
	len = sizeof(a);
	getsockname(r1, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	a = sin_of("0.0.0.0", port);
	CHECK_OK("bind.reuseaddr_shared", bind(r2, (struct sockaddr *)&a, sizeof(a)));
	int r3 = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_ERR("bind.reuseaddr_needs_both", bind(r3, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(r1);
	close(r2);
	CHECK_OK("bind.port_free_after_close", bind(r3, (struct sockaddr *)&a, sizeof(a)));
	close(r3);
}

static void test_sendto_recvfrom(void)
{
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("0.0.0.0", &pb);
	if (!NEED("dgram.sockets", a < 0 || b < 0 ? -1 : 0))
		return;
	struct sockaddr_in to = sin_of("127.0.0.1", pb), from;
	CHECK_EQ("dgram.sendto", sendto(a, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	char buf[64];
	socklen_t len = sizeof(from);
	memset(&from, 0, sizeof(from));
	ssize_t n = recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	CHECK("dgram.recvfrom", n == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK("dgram.sender_address", len == sizeof(from) && from.sin_family == AF_INET &&
					      ntohs(from.sin_port) == pa &&
					      from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	/* Boundaries are kept: two sends, two receives. */
	sendto(a, "one", 3, 0, (struct sockaddr *)&to, sizeof(to));
	sendto(a, "three", 5, 0, (struct sockaddr *)&to, sizeof(to));
	CHECK_EQ("dgram.boundary1", recv(b, buf, sizeof(buf), 0), 3);
	CHECK_EQ("dgram.boundary2", recv(b, buf, sizeof(buf), 0), 5);
	/* An empty datagram is a datagram. */
	CHECK_EQ("dgram.empty_send", sendto(a, "", 0, 0, (struct sockaddr *)&to, sizeof(to)), 0);
	CHECK_EQ("dgram.empty_recv", recv(b, buf, sizeof(buf), 0), 0);

	/* An unbound socket is bound to an ephemeral port by its first send. */
	int c = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_ERR("dgram.no_destination", send(c, "x", 1, 0), EDESTADDRREQ);
	CHECK_EQ("dgram.autobind_send", sendto(c, "auto", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	struct sockaddr_in me;
	len = sizeof(me);
	getsockname(c, (struct sockaddr *)&me, &len);
	len = sizeof(from);
	n = recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	CHECK("dgram.autobind_port", n == 4 && me.sin_port != 0 && from.sin_port == me.sin_port &&
					     me.sin_addr.s_addr == 0);
	struct sockaddr_in zero = sin_of("127.0.0.1", 0);
	CHECK_ERR("dgram.port0_destination", sendto(c, "x", 1, 0, (struct sockaddr *)&zero, sizeof(zero)), EINVAL);
	CHECK_ERR("dgram.short_destination", sendto(c, "x", 1, 0, (struct sockaddr *)&to, 4), EINVAL);
	/* A destination with family AF_UNSPEC is taken as AF_INET, as Linux does for UDP. */
	struct sockaddr_in unspec_to = to;
	unspec_to.sin_family = AF_UNSPEC;
	CHECK_EQ("dgram.unspec_destination", sendto(c, "u", 1, 0, (struct sockaddr *)&unspec_to, sizeof(unspec_to)), 1);
	CHECK_EQ("dgram.unspec_arrives", recv(b, buf, sizeof(buf), 0), 1);
	struct sockaddr_in bad_family = to;
	bad_family.sin_family = AF_UNIX;
	CHECK_ERR("dgram.wrong_family_destination",
		  sendto(c, "x", 1, 0, (struct sockaddr *)&bad_family, sizeof(bad_family)), EAFNOSUPPORT);

	/* A scattered receive and a gathered send. */
	struct iovec out[2] = { { "abc", 3 }, { "defgh", 5 } };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = out, .msg_iovlen = 2 };
	CHECK_EQ("dgram.sendmsg", sendmsg(a, &mh, 0), 8);
	char p1[4] = { 0 }, p2[8] = { 0 };
	struct iovec in[2] = { { p1, 3 }, { p2, 8 } };
	struct msghdr rh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = in, .msg_iovlen = 2 };
	n = recvmsg(b, &rh, 0);
	CHECK_EQ("dgram.recvmsg", n, 8);
	CHECK("dgram.recvmsg_data", memcmp(p1, "abc", 3) == 0 && memcmp(p2, "defgh", 5) == 0);
	CHECK_EQ("dgram.recvmsg_namelen", rh.msg_namelen, sizeof(from));
	CHECK_EQ("dgram.recvmsg_port", ntohs(from.sin_port), pa);
	close(a);
	close(b);
	close(c);
}

static void test_peek_trunc_dontwait(void)
{
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb);
	if (!NEED("flags.sockets", a < 0 || b < 0 ? -1 : 0))
		return;
	char buf[64];
	CHECK_ERR("flags.dontwait_empty", recv(b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	struct sockaddr_in to = sin_of("127.0.0.1", pb);
	sendto(a, "0123456789", 10, 0, (struct sockaddr *)&to, sizeof(to));
	CHECK("flags.arrives", wait_readable(b, 2000));
	int avail = -1;
	CHECK_OK("flags.fionread", ioctl(b, FIONREAD, &avail));
	CHECK_EQ("flags.fionread_len", avail, 10);
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	CHECK_EQ("flags.peek", recvfrom(b, buf, 4, MSG_PEEK, (struct sockaddr *)&from, &len), 4);
	CHECK("flags.peek_addr", ntohs(from.sin_port) == pa);
	CHECK_EQ("flags.peek_trunc_len", recv(b, buf, 4, MSG_PEEK | MSG_TRUNC), 10);
	CHECK_EQ("flags.peek_again_whole", recv(b, buf, sizeof(buf), MSG_PEEK), 10);
	/* A short read takes the whole datagram: the rest is gone. recvmsg says MSG_TRUNC. */
	struct iovec v = { buf, 3 };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	CHECK_EQ("flags.truncated_read", recvmsg(b, &mh, 0), 3);
	CHECK("flags.msg_trunc_flag", (mh.msg_flags & MSG_TRUNC) && memcmp(buf, "012", 3) == 0);
	CHECK_ERR("flags.rest_dropped", recv(b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* SO_RCVTIMEO: a blocking receive gives up with EAGAIN. */
	struct timeval tv = { 0, 150000 };
	CHECK_OK("flags.rcvtimeo_set", setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR("flags.rcvtimeo", recv(b, buf, sizeof(buf), 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK("flags.rcvtimeo_waited", ms >= 100 && ms < 2000);
	/* A non-blocking socket. */
	int fl = fcntl(b, F_GETFL);
	fcntl(b, F_SETFL, fl | O_NONBLOCK);
	CHECK_ERR("flags.nonblock", recv(b, buf, sizeof(buf), 0), EAGAIN);
	close(a);
	close(b);
}

static void test_connect(void)
{
	int pa, pb, pc;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb), c = udp_bound("127.0.0.1", &pc);
	if (!NEED("connect.sockets", a < 0 || b < 0 || c < 0 ? -1 : 0))
		return;
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	CHECK_ERR("connect.no_peer", getpeername(a, (struct sockaddr *)&peer, &len), ENOTCONN);
	struct sockaddr_in to_b = sin_of("127.0.0.1", pb), to_a = sin_of("127.0.0.1", pa);
	CHECK_OK("connect.a_to_b", connect(a, (struct sockaddr *)&to_b, sizeof(to_b)));
	len = sizeof(peer);
	CHECK_OK("connect.getpeername", getpeername(a, (struct sockaddr *)&peer, &len));
	CHECK("connect.peer_is_b", peer.sin_port == to_b.sin_port && peer.sin_addr.s_addr == to_b.sin_addr.s_addr);
	CHECK_EQ("connect.write", write(a, "via write", 9), 9);
	char buf[64];
	CHECK_EQ("connect.b_reads", recv(b, buf, sizeof(buf), 0), 9);
	/* A connected socket hears only its peer: c's datagram is dropped, b's arrives. */
	sendto(c, "stranger", 8, 0, (struct sockaddr *)&to_a, sizeof(to_a));
	sendto(b, "peer", 4, 0, (struct sockaddr *)&to_a, sizeof(to_a));
	ssize_t n = read(a, buf, sizeof(buf));
	CHECK("connect.only_peer", n == 4 && memcmp(buf, "peer", 4) == 0);
	CHECK_ERR("connect.stranger_dropped", recv(a, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* sendto still names any destination. */
	struct sockaddr_in to_c = sin_of("127.0.0.1", pc);
	CHECK_EQ("connect.sendto_other", sendto(a, "x", 1, 0, (struct sockaddr *)&to_c, sizeof(to_c)), 1);
	CHECK_EQ("connect.other_got_it", recv(c, buf, sizeof(buf), 0), 1);
	/* AF_UNSPEC dissolves the association. */
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	CHECK_OK("connect.unspec", connect(a, &unspec, sizeof(unspec)));
	len = sizeof(peer);
	CHECK_ERR("connect.unspec_no_peer", getpeername(a, (struct sockaddr *)&peer, &len), ENOTCONN);
	CHECK_ERR("connect.unspec_no_destination", send(a, "x", 1, 0), EDESTADDRREQ);
	/* connect picks the local address and port of an unbound socket. */
	int d = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_OK("connect.autobind", connect(d, (struct sockaddr *)&to_b, sizeof(to_b)));
	struct sockaddr_in me;
	len = sizeof(me);
	getsockname(d, (struct sockaddr *)&me, &len);
	CHECK("connect.autobind_name", me.sin_port != 0 && me.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	close(a);
	close(b);
	close(c);
	close(d);
}

static void test_refused(void)
{
	/* A port nobody has: bind one, note it, close it. */
	int port;
	int tmp = udp_bound("127.0.0.1", &port);
	close(tmp);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of("127.0.0.1", port);
	CHECK_OK("refused.connect", connect(s, (struct sockaddr *)&to, sizeof(to)));
	CHECK_EQ("refused.send", send(s, "ping", 4, 0), 4);
	struct pollfd p = { .fd = s, .events = POLLIN };
	CHECK("refused.pollerr", poll(&p, 1, 2000) == 1 && (p.revents & POLLERR));
	int err = -1;
	socklen_t len = sizeof(err);
	CHECK_OK("refused.so_error", getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
	CHECK_EQ("refused.so_error_value", err, ECONNREFUSED);
	len = sizeof(err);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	CHECK_EQ("refused.so_error_cleared", err, 0);
	send(s, "ping", 4, 0);
	char buf[8];
	CHECK_ERR("refused.recv", recv(s, buf, sizeof(buf), 0), ECONNREFUSED);
	close(s);
	/* An unconnected socket is not told. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(s, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to));
	p.fd = s;
	p.revents = 0;
	CHECK_EQ("refused.unconnected_silent", poll(&p, 1, 300), 0);
	close(s);
	/* Unless it asked for every error with IP_RECVERR (glibc's resolver does). */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	int on = 1, v = 0;
	CHECK_OK("refused.recverr_set", setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)));
	len = sizeof(v);
	getsockopt(s, IPPROTO_IP, IP_RECVERR, &v, &len);
	CHECK_EQ("refused.recverr_get", v, 1);
	sendto(s, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to));
	p.fd = s;
	p.revents = 0;
	CHECK("refused.recverr_pollerr", poll(&p, 1, 2000) == 1 && (p.revents & POLLERR));
	len = sizeof(err);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	CHECK_EQ("refused.recverr_so_error", err, ECONNREFUSED);
	close(s);
}

static void test_poll_select_epoll(void)
{
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb);
	if (!NEED("ready.sockets", a < 0 || b < 0 ? -1 : 0))
		return;
	struct pollfd p = { .fd = b, .events = POLLIN | POLLOUT };
	CHECK("ready.empty_writable", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = b };
	CHECK_OK("ready.epoll_add", epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	CHECK_EQ("ready.epoll_empty", epoll_wait(ep, &ev, 1, 0), 0);
	if (fork() == 0) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
		struct sockaddr_in to = sin_of("127.0.0.1", pb);
		sendto(a, "later", 5, 0, (struct sockaddr *)&to, sizeof(to));
		_exit(0);
	}
	CHECK_EQ("ready.epoll_wakes", epoll_wait(ep, &ev, 1, 3000), 1);
	CHECK("ready.epoll_in", ev.events & EPOLLIN);
	p.events = POLLIN;
	CHECK("ready.poll_in", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(b, &rd);
	struct timeval tv = { 0, 0 };
	CHECK("ready.select_in", select(b + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(b, &rd));
	char buf[16];
	recv(b, buf, sizeof(buf), 0);
	CHECK_EQ("ready.drained", poll(&p, 1, 0), 0);
	wait(NULL);
	close(ep);
	close(a);
	close(b);
}

static void test_broadcast_shutdown_options(void)
{
	/* Bound to 127.0.0.1, the limited broadcast leaves through lo even on a host with no
	 * other route (Linux picks the device of the source address). */
	int bport;
	int s = udp_bound("127.0.0.1", &bport);
	struct sockaddr_in all = sin_of("255.255.255.255", 9);
	CHECK_ERR("bcast.needs_so_broadcast", sendto(s, "x", 1, 0, (struct sockaddr *)&all, sizeof(all)), EACCES);
	CHECK_ERR("bcast.connect_needs_so_broadcast", connect(s, (struct sockaddr *)&all, sizeof(all)), EACCES);
	int v = -1;
	socklen_t len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, &len);
	CHECK_EQ("opt.broadcast_default", v, 0);
	int one = 1;
	CHECK_OK("opt.broadcast_set", setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, &len);
	CHECK_EQ("opt.broadcast_get", v, 1);
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
	CHECK_EQ("opt.type", v, SOCK_DGRAM);
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len);
	CHECK_EQ("opt.protocol", v, IPPROTO_UDP);
	int sz = 4096;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
	CHECK_EQ("opt.rcvbuf_doubled", v, 8192);
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len);
	CHECK_EQ("opt.sndbuf_doubled", v, 8192);
	CHECK_ERR("opt.unknown", setsockopt(s, SOL_SOCKET, 9999, &one, sizeof(one)), ENOPROTOOPT);
	len = sizeof(v);
	getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len);
	CHECK_EQ("opt.ttl_default", v, 64);
	int ttl = 7;
	CHECK_OK("opt.ttl_set", setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
	len = sizeof(v);
	getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len);
	CHECK_EQ("opt.ttl_get", v, 7);
	ttl = 0;
	CHECK_ERR("opt.ttl_zero", setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), EINVAL);
	ttl = 256;
	CHECK_ERR("opt.ttl_too_big", setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), EINVAL);
	ttl = -1;
	CHECK_OK("opt.ttl_reset", setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
	len = sizeof(v);
	getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len);
	CHECK_EQ("opt.ttl_default_again", v, 64);
	int tos = 0x10;
	CHECK_OK("opt.tos_set", setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	len = sizeof(v);
	getsockopt(s, IPPROTO_IP, IP_TOS, &v, &len);
	CHECK_EQ("opt.tos_get", v, 0x10);
	close(s);
	CHECK_ERR("create.bad_protocol", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	CHECK_OK("create.explicit_udp", s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
	close(s);

	/* shutdown: ENOTCONN unconnected (yet recorded); connected, SHUT_WR makes sends fail. */
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb);
	CHECK_ERR("shutdown.unconnected", shutdown(b, SHUT_RDWR), ENOTCONN);
	struct pollfd p = { .fd = b, .events = POLLIN };
	CHECK("shutdown.pollhup", poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) && (p.revents & POLLIN));
	struct sockaddr_in to = sin_of("127.0.0.1", pb);
	connect(a, (struct sockaddr *)&to, sizeof(to));
	CHECK_OK("shutdown.connected", shutdown(a, SHUT_WR));
	CHECK_ERR("shutdown.send_epipe", send(a, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(a);
	close(b);
}

static void test_big_and_proc(void)
{
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb);
	if (!NEED("big.sockets", a < 0 || b < 0 ? -1 : 0))
		return;
	size_t max = 65507;
	char *out = malloc(max + 1), *in = malloc(max + 16);
	for (size_t i = 0; i <= max; i++)
		out[i] = (char)(i * 7 + 3);
	struct sockaddr_in to = sin_of("127.0.0.1", pb);
	CHECK_EQ("big.largest", sendto(a, out, max, 0, (struct sockaddr *)&to, sizeof(to)), (long)max);
	CHECK_ERR("big.too_large", sendto(a, out, max + 1, 0, (struct sockaddr *)&to, sizeof(to)), EMSGSIZE);
	ssize_t n = recv(b, in, max + 16, 0);
	CHECK("big.intact", n == (ssize_t)max && memcmp(in, out, max) == 0);
	free(out);
	free(in);

	/* /proc/net/udp: b's line shows 127.0.0.1 and its port (hex, as Linux), state 07. */
	char want[32];
	snprintf(want, sizeof(want), "0100007F:%04X 00000000:0000 07", pb);
	FILE *f = fopen("/proc/net/udp", "r");
	int found = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, want))
			found = 1;
	if (f)
		fclose(f);
	CHECK("proc.net_udp_lists_socket", found);
	close(a);
	close(b);
}

static in_addr_t addr_of(const struct ifreq *r)
{
	return ((const struct sockaddr_in *)&r->ifr_addr)->sin_addr.s_addr;
}

static void test_interface_ioctls(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, "lo");
	CHECK_OK("ifioctl.index", ioctl(s, SIOCGIFINDEX, &r));
	int idx = r.ifr_ifindex;
	CHECK("ifioctl.index_positive", idx > 0);
	memset(&r, 0, sizeof(r));
	r.ifr_ifindex = idx;
	CHECK_OK("ifioctl.name", ioctl(s, SIOCGIFNAME, &r));
	CHECK("ifioctl.name_is_lo", strcmp(r.ifr_name, "lo") == 0);
	strcpy(r.ifr_name, "lo");
	CHECK_OK("ifioctl.flags", ioctl(s, SIOCGIFFLAGS, &r));
	CHECK("ifioctl.flags_up_loopback", (r.ifr_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK));
	strcpy(r.ifr_name, "lo");
	CHECK_OK("ifioctl.addr", ioctl(s, SIOCGIFADDR, &r));
	CHECK("ifioctl.addr_value", r.ifr_addr.sa_family == AF_INET && addr_of(&r) == htonl(INADDR_LOOPBACK));
	strcpy(r.ifr_name, "lo");
	CHECK_OK("ifioctl.netmask", ioctl(s, SIOCGIFNETMASK, &r));
	CHECK("ifioctl.netmask_value", addr_of(&r) == htonl(0xff000000u));
	strcpy(r.ifr_name, "lo");
	CHECK_OK("ifioctl.mtu", ioctl(s, SIOCGIFMTU, &r));
	CHECK("ifioctl.mtu_sane", r.ifr_mtu >= 1500);
	strcpy(r.ifr_name, "nosuch0");
	CHECK_ERR("ifioctl.no_device", ioctl(s, SIOCGIFFLAGS, &r), ENODEV);
	CHECK_ERR("ifioctl.bad_pointer", ioctl(s, SIOCGIFFLAGS, (void *)16), EFAULT);
	/* SIOCGIFCONF: the room needed, then the list, with lo at 127.0.0.1. */
	struct ifconf ifc = { .ifc_len = 0, .ifc_buf = NULL };
	CHECK_OK("ifioctl.conf_size", ioctl(s, SIOCGIFCONF, &ifc));
	CHECK("ifioctl.conf_size_multiple", ifc.ifc_len > 0 && ifc.ifc_len % (int)sizeof(struct ifreq) == 0);
	struct ifreq list[16];
	ifc.ifc_len = sizeof(list);
	ifc.ifc_req = list;
	CHECK_OK("ifioctl.conf", ioctl(s, SIOCGIFCONF, &ifc));
	int found = 0;
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		if (strcmp(list[i].ifr_name, "lo") == 0 && addr_of(&list[i]) == htonl(INADDR_LOOPBACK))
			found = 1;
	CHECK("ifioctl.conf_has_lo", found);
	close(s);
}

static uint16_t icmp_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void test_raw_icmp(void)
{
	if (geteuid() != 0) {
		t_skip("raw.echo", "raw sockets need root");
		return;
	}
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (!NEED("raw.socket", s))
		return;
	unsigned char req[64];
	memset(req, 0, sizeof(req));
	req[0] = 8; /* echo request */
	uint16_t id = (uint16_t)(getpid() ^ 0x5a5a);
	memcpy(req + 4, &id, 2);
	req[7] = 1; /* sequence 1 */
	for (int i = 8; i < 64; i++)
		req[i] = (unsigned char)i;
	uint16_t c = icmp_sum(req, sizeof(req));
	memcpy(req + 2, &c, 2);
	struct sockaddr_in to = sin_of("127.0.0.1", 0);
	int ttl = 9, tos = 0x20;
	setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	CHECK_EQ("raw.send", sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)), 64);
	/* The socket sees every ICMP message: our request on lo (with our TTL and TOS), then the
	 * reply. */
	int got_reply = 0, saw_request = 0;
	for (int tries = 0; tries < 8 && (!got_reply || !saw_request); tries++) {
		unsigned char buf[256];
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		if (!wait_readable(s, 2000))
			break;
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 28)
			continue;
		int ihl = (buf[0] & 0xf) * 4;
		if (buf[0] >> 4 == 4 && buf[9] == IPPROTO_ICMP && n == ihl + 64 && buf[ihl] == 8 &&
		    memcmp(buf + ihl + 4, &id, 2) == 0 && buf[8] == 9 && buf[1] == 0x20)
			saw_request = 1;
		if (buf[0] >> 4 == 4 && buf[9] == IPPROTO_ICMP && n == ihl + 64 && buf[ihl] == 0 &&
		    memcmp(buf + ihl + 4, &id, 2) == 0 && memcmp(buf + ihl + 8, req + 8, 56) == 0 &&
		    from.sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			got_reply = 1;
	}
	CHECK("raw.echo_reply", got_reply);
	CHECK("raw.own_request_ttl_tos", saw_request);

	/* A raw socket bound to another device (where there is one) hears nothing of lo's ICMP. */
	struct if_nameindex *ifs = if_nameindex(), *other = NULL;
	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		if (strcmp(i->if_name, "lo") != 0 && !other)
			other = i;
	int b = other ? socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) : -1;
	if (other && NEED("raw.bound_socket", b) &&
	    NEED("raw.bind_other", setsockopt(b, SOL_SOCKET, SO_BINDTODEVICE, other->if_name,
					      (socklen_t)strlen(other->if_name) + 1))) {
		req[7] = 2; /* sequence 2 */
		memset(req + 2, 0, 2);
		c = icmp_sum(req, sizeof(req));
		memcpy(req + 2, &c, 2);
		sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to));
		int heard = 0;
		while (wait_readable(b, 500)) {
			unsigned char buf[256];
			ssize_t n = recv(b, buf, sizeof(buf), 0);
			int ihl = n > 0 ? (buf[0] & 0xf) * 4 : 0;
			if (n >= ihl + 8 && memcmp(buf + ihl + 4, &id, 2) == 0)
				heard = 1;
		}
		CHECK("raw.bindtodevice_filters", !heard);
	} else if (!other) {
		t_skip("raw.bindtodevice_filters", "no device besides lo");
	}
	if (b >= 0)
		close(b);
	if (ifs)
		if_freenameindex(ifs);
	close(s);
}

/* SO_DONTROUTE: read back; this host stays reachable; an off-link address cannot even be
 * connected to (no datagram leaves). */
static void test_dontroute(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("dontroute.socket", u))
		return;
	int one = 1, v = 0;
	socklen_t vl = sizeof(v);
	CHECK_OK("dontroute.set", setsockopt(u, SOL_SOCKET, SO_DONTROUTE, &one, sizeof(one)));
	CHECK("dontroute.get", getsockopt(u, SOL_SOCKET, SO_DONTROUTE, &v, &vl) == 0 && v == 1);
	struct sockaddr_in lo = sin_of("127.0.0.1", 9);
	CHECK_OK("dontroute.local_ok", connect(u, (struct sockaddr *)&lo, sizeof(lo)));
	close(u);
	/* TEST-NET-2, off every connected subnet: reachable (connect sends nothing) through a
	 * gateway where there is a default route, never with SO_DONTROUTE. */
	struct sockaddr_in far = sin_of("198.51.100.1", 9);
	int g = socket(AF_INET, SOCK_DGRAM, 0);
	int d = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("dontroute.sockets", g) || !NEED("dontroute.sockets2", d))
		return;
	if (connect(g, (struct sockaddr *)&far, sizeof(far)) == 0)
		t_say("note: 198.51.100.1 is routed here, so dontroute.offlink_refused means something\n");
	setsockopt(d, SOL_SOCKET, SO_DONTROUTE, &one, sizeof(one));
	CHECK_ERR("dontroute.offlink_refused", connect(d, (struct sockaddr *)&far, sizeof(far)), ENETUNREACH);
	close(g);
	close(d);
}

/* SO_ATTACH_FILTER on a UDP socket: the classic BPF program sees the datagram from its UDP
 * header on; 0 drops it, a smaller number cuts it (never into the header). <linux/filter.h>
 * is not in musl, so the instructions are written out. */
struct bpf_insn_u {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};
struct bpf_fprog_u {
	unsigned short len;
	struct bpf_insn_u *filter;
};

static void test_udp_filter(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("filter.socket", u) || !NEED("filter.sender", s))
		return;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	NEED("filter.bind", bind(u, (struct sockaddr *)&a, sizeof(a)));
	NEED("filter.name", getsockname(u, (struct sockaddr *)&a, &al));
	/* ldb [8] (the first payload byte); jeq #'A' ? ret #0xffff : ret #0 */
	struct bpf_insn_u only_a[] = { { 0x30, 0, 0, 8 }, { 0x15, 0, 1, 'A' }, { 0x06, 0, 0, 0xffff }, { 0x06, 0, 0, 0 } };
	struct bpf_fprog_u fp = { 4, only_a };
	CHECK_OK("filter.attach", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)));
	sendto(s, "Bxx", 3, 0, (struct sockaddr *)&a, sizeof(a));
	sendto(s, "Ayy", 3, 0, (struct sockaddr *)&a, sizeof(a));
	char buf[16] = "";
	CHECK("filter.only_matching", wait_readable(u, 2000) && recv(u, buf, sizeof(buf), 0) == 3 && buf[0] == 'A');
	CHECK("filter.rest_dropped", !wait_readable(u, 300));
	/* ret #10: eight header bytes and two of the payload. */
	struct bpf_insn_u cut[] = { { 0x06, 0, 0, 10 } };
	struct bpf_fprog_u cfp = { 1, cut };
	CHECK_OK("filter.replace", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &cfp, sizeof(cfp)));
	sendto(s, "abcdef", 6, 0, (struct sockaddr *)&a, sizeof(a));
	CHECK("filter.cuts", wait_readable(u, 2000) && recv(u, buf, sizeof(buf), 0) == 2 && buf[0] == 'a');
	/* ret #3 would cut into the header: the header stays, the payload goes. */
	struct bpf_insn_u tiny[] = { { 0x06, 0, 0, 3 } };
	cfp.filter = tiny;
	CHECK_OK("filter.tiny", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &cfp, sizeof(cfp)));
	sendto(s, "abcdef", 6, 0, (struct sockaddr *)&a, sizeof(a));
	CHECK("filter.header_kept", wait_readable(u, 2000) && recv(u, buf, sizeof(buf), 0) == 0);
	struct bpf_insn_u bad[] = { { 0x15, 0, 7, 0 }, { 0x06, 0, 0, 0 } };
	cfp.filter = bad;
	cfp.len = 2;
	CHECK_ERR("filter.bad_jump", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &cfp, sizeof(cfp)), EINVAL);
	int zero = 0;
	CHECK_OK("filter.detach", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)));
	CHECK_ERR("filter.detach_none", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)), ENOENT);
	sendto(s, "Bzz", 3, 0, (struct sockaddr *)&a, sizeof(a));
	CHECK("filter.gone", wait_readable(u, 2000) && recv(u, buf, sizeof(buf), 0) == 3 && buf[0] == 'B');
	close(u);
	close(s);
}

/* SO_BINDTODEVICE on a UDP socket: names checked, the binding read back, datagrams on that
 * device still arrive, others do not (where a second device exists), and only root may
 * change a binding once made (Linux 5.7 on). */
static void test_bindtodevice(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("bindtodev.socket", u) || !NEED("bindtodev.sender", s))
		return;
	CHECK_ERR("bindtodev.unknown_name", setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, "nosuchdev0", 11), ENODEV);
	char name[IFNAMSIZ] = "";
	socklen_t nl = sizeof(name);
	CHECK("bindtodev.unbound_empty", getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, name, &nl) == 0 && nl == 0);
	CHECK_OK("bindtodev.lo", setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	nl = sizeof(name);
	CHECK("bindtodev.read_back", getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, name, &nl) == 0 && nl == 3 &&
					      strcmp(name, "lo") == 0);
	nl = 4;
	CHECK_ERR("bindtodev.short_buffer", getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, name, &nl), EINVAL);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	NEED("bindtodev.bind", bind(u, (struct sockaddr *)&a, sizeof(a)));
	NEED("bindtodev.name", getsockname(u, (struct sockaddr *)&a, &al));
	sendto(s, "dev", 3, 0, (struct sockaddr *)&a, sizeof(a));
	char buf[16];
	CHECK("bindtodev.lo_arrives", wait_readable(u, 2000) && recv(u, buf, sizeof(buf), 0) == 3);

	/* Bound to another device, a datagram that came in on lo is not for it. */
	struct if_nameindex *ifs = if_nameindex(), *other = NULL;
	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		if (strcmp(i->if_name, "lo") != 0 && !other)
			other = i;
	if (other) {
		CHECK_OK("bindtodev.other", setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, other->if_name,
						       (socklen_t)strlen(other->if_name) + 1));
		sendto(s, "dev", 3, 0, (struct sockaddr *)&a, sizeof(a));
		CHECK("bindtodev.other_device_filtered", !wait_readable(u, 300));
	} else {
		t_skip("bindtodev.other_device_filtered", "no device besides lo");
	}
	if (ifs)
		if_freenameindex(ifs);
	CHECK_OK("bindtodev.unbind", setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, "", 0));
	nl = sizeof(name);
	CHECK("bindtodev.unbound_again", getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, name, &nl) == 0 && nl == 0);
	close(u);
	close(s);

	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) < 0)
			_exit(2);
		int v = socket(AF_INET, SOCK_DGRAM, 0);
		if (setsockopt(v, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) != 0)
			_exit(3);
		_exit(setsockopt(v, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == -1 && errno == EPERM ? 0 : 4);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	if (geteuid() == 0)
		CHECK_EQ("bindtodev.user_binds_once", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	else
		t_skip("bindtodev.user_binds_once", "needs root to drop to another user");
}

static void test_rcvbuf_drops(void)
{
	/* A small receive buffer: a burst overflows it and the rest is dropped, not queued. */
	int pa, pb;
	int a = udp_bound("127.0.0.1", &pa), b = udp_bound("127.0.0.1", &pb);
	if (!NEED("rcvbuf.sockets", a < 0 || b < 0 ? -1 : 0))
		return;
	int sz = 4096;
	setsockopt(b, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in to = sin_of("127.0.0.1", pb);
	char data[1000];
	memset(data, 'r', sizeof(data));
	int sent = 0;
	for (int i = 0; i < 100; i++)
		if (sendto(a, data, sizeof(data), 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)sizeof(data))
			sent++;
	CHECK_EQ("rcvbuf.all_sent", sent, 100);
	int got = 0;
	char buf[1200];
	while (wait_readable(b, 500) && recv(b, buf, sizeof(buf), MSG_DONTWAIT) == (ssize_t)sizeof(data))
		got++;
	CHECK("rcvbuf.some_dropped", got >= 1 && got < 100);
	close(a);
	close(b);
}

static void test_hostile(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of("127.0.0.1", 9);
	CHECK_ERR("hostile.bind_bad_pointer", bind(s, (struct sockaddr *)16, sizeof(to)), EFAULT);
	CHECK_ERR("hostile.bind_huge_len", bind(s, (struct sockaddr *)&to, 4096), EINVAL);
	CHECK_ERR("hostile.bind_negative_len", bind(s, (struct sockaddr *)&to, -1), EINVAL);
	struct sockaddr_in6_like { unsigned short fam; char rest[26]; } six = { AF_INET6, { 0 } };
	CHECK_ERR("hostile.bind_wrong_family", bind(s, (struct sockaddr *)&six, sizeof(six)), EAFNOSUPPORT);
	CHECK_ERR("hostile.sendto_bad_buffer", sendto(s, (void *)16, 10, 0, (struct sockaddr *)&to, sizeof(to)), EFAULT);
	CHECK_ERR("hostile.sendto_bad_name", sendto(s, "x", 1, 0, (struct sockaddr *)16, sizeof(to)), EFAULT);
	struct sockaddr_in me = sin_of("127.0.0.1", 0);
	bind(s, (struct sockaddr *)&me, sizeof(me));
	socklen_t len = sizeof(me);
	getsockname(s, (struct sockaddr *)&me, &len);
	sendto(s, "abc", 3, 0, (struct sockaddr *)&me, sizeof(me));
	wait_readable(s, 2000);
	CHECK_ERR("hostile.recv_bad_buffer", recv(s, (void *)16, 10, 0), EFAULT);
	CHECK_ERR("hostile.getsockname_bad_len", getsockname(s, (struct sockaddr *)&me, (socklen_t *)16), EFAULT);
	int v = 1;
	CHECK_ERR("hostile.setsockopt_short", setsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, 2), EINVAL);
	CHECK_ERR("hostile.setsockopt_bad_pointer", setsockopt(s, SOL_SOCKET, SO_BROADCAST, (void *)16, 4), EFAULT);
	/* Interface and route ioctls with hostile structures change nothing. */
	CHECK_ERR("hostile.ifconf_bad_pointer", ioctl(s, SIOCGIFCONF, (void *)16), EFAULT);
	struct ifreq list[1];
	struct ifconf ifc = { .ifc_len = sizeof(list), .ifc_req = (struct ifreq *)16 };
	CHECK_ERR("hostile.ifconf_bad_buffer", ioctl(s, SIOCGIFCONF, &ifc), EFAULT);
	struct ifreq r;
	memset(&r, 'x', sizeof(r)); /* a name without its NUL */
	CHECK_ERR("hostile.ifreq_unterminated", ioctl(s, SIOCGIFFLAGS, &r), ENODEV);
	if (geteuid() == 0) {
		/* Only requests that fail before changing anything: this runs on the host too. */
		CHECK_ERR("hostile.route_bad_pointer", ioctl(s, SIOCADDRT, (void *)16), EFAULT);
		struct rtentry rt;
		memset(&rt, 0, sizeof(rt));
		struct sockaddr_in *d = (struct sockaddr_in *)&rt.rt_dst, *m = (struct sockaddr_in *)&rt.rt_genmask;
		d->sin_family = m->sin_family = AF_INET;
		inet_pton(AF_INET, "203.0.113.0", &d->sin_addr);
		inet_pton(AF_INET, "255.255.255.0", &m->sin_addr);
		rt.rt_flags = RTF_UP;
		rt.rt_dev = (char *)16;
		CHECK_ERR("hostile.route_bad_dev_pointer", ioctl(s, SIOCADDRT, &rt), EFAULT);
		rt.rt_dev = NULL;
		CHECK_ERR("hostile.route_del_missing", ioctl(s, SIOCDELRT, &rt), ESRCH);
	} else {
		t_skip("hostile.root_ioctls", "setting interfaces and routes needs root");
	}
	close(s);
}

static void test_ping_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (s < 0 && errno == EACCES) {
		t_skip("ping.echo", "net.ipv4.ping_group_range leaves this group out");
		return;
	}
	if (!NEED("ping.socket", s))
		return;
	unsigned char req[8 + 40], buf[128];
	memset(req, 0, sizeof(req));
	req[0] = 8;
	req[7] = 9;
	for (int i = 8; i < (int)sizeof(req); i++)
		req[i] = (unsigned char)(i * 3);
	struct sockaddr_in to = sin_of("127.0.0.1", 0);
	CHECK_EQ("ping.send", sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)), (long)sizeof(req));
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	getsockname(s, (struct sockaddr *)&me, &len);
	CHECK("ping.ident_bound", me.sin_port != 0);
	CHECK("ping.reply_arrives", wait_readable(s, 2000));
	struct sockaddr_in from;
	len = sizeof(from);
	ssize_t n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &len);
	CHECK("ping.reply", n == (ssize_t)sizeof(req) && buf[0] == 0 && memcmp(buf + 4, &me.sin_port, 2) == 0 &&
				   buf[7] == 9 && memcmp(buf + 8, req + 8, sizeof(req) - 8) == 0);
	CHECK("ping.reply_from", from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	req[0] = 13;
	CHECK_ERR("ping.only_echo", sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	close(s);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("inet_udp", argv);
	test_bind_names();
	test_sendto_recvfrom();
	test_peek_trunc_dontwait();
	test_connect();
	test_refused();
	test_poll_select_epoll();
	test_broadcast_shutdown_options();
	test_big_and_proc();
	test_interface_ioctls();
	test_raw_icmp();
	test_ping_socket();
	test_rcvbuf_drops();
	test_bindtodevice();
	test_udp_filter();
	test_dontroute();
	test_hostile();
	return t_done();
}
