/*
 * unix_sockets: AF_UNIX stream and datagram sockets: socketpair echo across fork, path and
 * abstract names, ECONNREFUSED/EADDRINUSE/ENOENT, descriptor passing (a pipe end and a file),
 * SO_PEERCRED, MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL/MSG_TRUNC, shutdown, poll readiness,
 * non-blocking accept and connect, socket options, SIGPIPE/EPIPE and MSG_NOSIGNAL.
 */
#include "t.h"
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(a->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int sv[2];

static int echo_child(void)
{
	close(sv[0]);
	char buf[256];
	ssize_t n;
	while ((n = read(sv[1], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)(buf[i] ^ 0x20);
	return 0;
}

static void test_stream_pair(void)
{
	if (!NEED("pair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
		return;
	struct stat st;
	CHECK("pair_fstat_sock", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode));
	int type = 0;
	socklen_t len = sizeof(type);
	CHECK("so_type_stream", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		char buf[256];
		ssize_t n;
		while ((n = read(sv[1], buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < n; i++)
				buf[i] = (char)(buf[i] ^ 0x20);
			if (write(sv[1], buf, (size_t)n) != n)
				_exit(1);
		}
		_exit(n == 0 ? 0 : 2);
	}
	close(sv[1]);
	char out[6] = { 0 };
	CHECK_EQ("pair_write", write(sv[0], "hello", 5), 5);
	CHECK_EQ("pair_echo_len", recv(sv[0], out, 5, MSG_WAITALL), 5);
	CHECK("pair_echo_data", memcmp(out, "HELLO", 5) == 0);
	shutdown(sv[0], SHUT_WR);
	CHECK_EQ("pair_eof_after_peer_exit", read(sv[0], out, 1), 0);
	CHECK_CHILD("pair_child", t_wait(pid));
	close(sv[0]);
	(void)echo_child;
}

static void test_dgram_pair(void)
{
	int d[2];
	if (!NEED("dgram_pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, d)))
		return;
	CHECK_EQ("dgram_send1", send(d[0], "abc", 3, 0), 3);
	CHECK_EQ("dgram_send2", send(d[0], "defgh", 5, 0), 5);
	int avail = -1;
	CHECK("dgram_fionread_next", ioctl(d[1], FIONREAD, &avail) == 0 && avail == 3);
	char buf[16];
	CHECK_EQ("dgram_boundary", recv(d[1], buf, sizeof(buf), 0), 3);
	struct iovec iov = { buf, 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ("dgram_trunc_len", recvmsg(d[1], &mh, 0), 2);
	CHECK("dgram_msg_trunc_flag", mh.msg_flags & MSG_TRUNC);
	CHECK_ERR("dgram_empty_dontwait", recv(d[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ("dgram_send3", send(d[0], "xyz", 3, 0), 3);
	CHECK_EQ("dgram_real_len_with_trunc", recv(d[1], buf, 1, MSG_TRUNC), 3);
	CHECK_EQ("dgram_zero_len", send(d[0], "", 0, 0), 0);
	CHECK_EQ("dgram_zero_len_recv", recv(d[1], buf, sizeof(buf), 0), 0);
	close(d[0]);
	close(d[1]);
}

static void test_path_names(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = path_addr(&a, "srv.sock");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!NEED("path_socket", l))
		return;
	CHECK_OK("path_bind", bind(l, (struct sockaddr *)&a, alen));
	struct stat st;
	CHECK("path_node_is_socket", stat("srv.sock", &st) == 0 && S_ISSOCK(st.st_mode));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("path_refused_before_listen", connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
	close(c);
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("path_eaddrinuse", bind(l2, (struct sockaddr *)&a, alen), EADDRINUSE);
	close(l2);
	CHECK_ERR("path_open_enxio", open("srv.sock", O_RDWR), ENXIO);
	CHECK_OK("path_listen", listen(l, 4));
	int acc = 0;
	socklen_t ol = sizeof(acc);
	CHECK("so_acceptconn", getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ol) == 0 && acc == 1);
	pid_t pid = fork();
	if (pid == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un b;
		socklen_t bl = path_addr(&b, "srv.sock");
		if (connect(s, (struct sockaddr *)&b, bl))
			_exit(1);
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || cr.pid != getppid())
			_exit(2);
		if (write(s, "ping", 4) != 4)
			_exit(3);
		char r[4];
		if (recv(s, r, 4, MSG_WAITALL) != 4 || memcmp(r, "pong", 4))
			_exit(4);
		_exit(0);
	}
	socklen_t gl = sizeof(got);
	int s = accept(l, (struct sockaddr *)&got, &gl);
	if (CHECK_OK("path_accept", s)) {
		CHECK_EQ("accept_peer_unbound_len", gl, offsetof(struct sockaddr_un, sun_path));
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		CHECK("peercred_pid", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 && cr.pid == pid &&
					      cr.uid == getuid() && cr.gid == getgid());
		gl = sizeof(got);
		CHECK("accepted_sockname_is_listener",
		      getsockname(s, (struct sockaddr *)&got, &gl) == 0 && gl == alen && !strcmp(got.sun_path, "srv.sock"));
		char r[4];
		CHECK("path_data", recv(s, r, 4, MSG_WAITALL) == 4 && !memcmp(r, "ping", 4));
		CHECK_EQ("path_reply", write(s, "pong", 4), 4);
		close(s);
	}
	CHECK_CHILD("path_child", t_wait(pid));
	gl = sizeof(got);
	CHECK("getsockname_path", getsockname(l, (struct sockaddr *)&got, &gl) == 0 && gl == alen &&
					  !strcmp(got.sun_path, "srv.sock"));
	close(l);
	CHECK_ERR("path_refused_after_close", connect(c = socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, alen),
		  ECONNREFUSED);
	close(c);
	socklen_t nl = path_addr(&a, "nonexistent.sock");
	CHECK_ERR("path_enoent", connect(c = socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, nl), ENOENT);
	close(c);
	unlink("srv.sock");
}

static void test_abstract(void)
{
	char name[64];
	snprintf(name, sizeof(name), "ferrite-unix-test-%d", getpid());
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, name);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (!NEED("abstract_bind", bind(l, (struct sockaddr *)&a, alen)))
		return;
	CHECK_OK("abstract_listen", listen(l, 1));
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("abstract_eaddrinuse", bind(x, (struct sockaddr *)&a, alen), EADDRINUSE);
	close(x);
	CHECK_ERR("accept_nonblock_eagain", accept(l, NULL, NULL), EAGAIN);
	/* Backlog 1: Linux queues backlog+1 connections, then a non-blocking connect fails. */
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_OK("abstract_connect1", connect(c[0], (struct sockaddr *)&a, alen));
	CHECK_OK("abstract_connect2", connect(c[1], (struct sockaddr *)&a, alen));
	CHECK_ERR("backlog_full_eagain", connect(c[2], (struct sockaddr *)&a, alen), EAGAIN);
	struct pollfd p = { l, POLLIN, 0 };
	CHECK("listener_pollin", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
	struct sockaddr_un got;
	socklen_t gl = sizeof(got);
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK("accept4_cloexec", s >= 0 && (fcntl(s, F_GETFD) & FD_CLOEXEC));
	CHECK("getpeername_abstract", getpeername(c[0], (struct sockaddr *)&got, &gl) == 0 && gl == alen &&
					      !memcmp(&got, &a, alen));
	CHECK_EQ("send_before_accept", send(c[1], "q", 1, 0), 1);
	close(s);
	s = accept(l, NULL, NULL);
	char ch = 0;
	CHECK("data_sent_before_accept", s >= 0 && recv(s, &ch, 1, 0) == 1 && ch == 'q');
	close(s);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(l);
	/* The name is free again once its socket is closed. */
	l = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_OK("abstract_rebind_after_close", bind(l, (struct sockaddr *)&a, alen));
	close(l);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("abstract_refused", connect(u, (struct sockaddr *)&a, alen), ECONNREFUSED);
	close(u);
}

static void test_dgram_names(void)
{
	struct sockaddr_un a, b, from;
	socklen_t al = path_addr(&a, "d1.sock"), bl = path_addr(&b, "d2.sock");
	int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!NEED("dgram_bind1", bind(s1, (struct sockaddr *)&a, al)) || !NEED("dgram_bind2", bind(s2, (struct sockaddr *)&b, bl)))
		return;
	CHECK_EQ("dgram_sendto", sendto(s2, "hi", 2, 0, (struct sockaddr *)&a, al), 2);
	char buf[8];
	socklen_t fl = sizeof(from);
	CHECK_EQ("dgram_recvfrom", recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 2);
	CHECK("dgram_source_address", fl == bl && !strcmp(from.sun_path, "d2.sock"));
	CHECK_ERR("dgram_unconnected_send", send(s1, "x", 1, 0), ENOTCONN);
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("dgram_to_stream_eprototype", connect(st, (struct sockaddr *)&a, al), EPROTOTYPE);
	close(st);
	CHECK_OK("dgram_connect", connect(s1, (struct sockaddr *)&b, bl));
	CHECK_EQ("dgram_send_connected", send(s1, "yo", 2, 0), 2);
	CHECK_EQ("dgram_recv_connected", recv(s2, buf, sizeof(buf), 0), 2);
	close(s2);
	CHECK_ERR("dgram_peer_closed_refused", send(s1, "x", 1, 0), ECONNREFUSED);
	close(s1);
	unlink("d1.sock");
	unlink("d2.sock");
}

/* Passes a pipe's read end and a regular file; the child reads what the parent wrote. */
static void test_scm_rights(void)
{
	int p[2], s[2];
	if (!NEED("scm_pipe", pipe(p)) || !NEED("scm_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	if (t_write_file("passed.txt", "file-data", 9, 0644))
		t_check("scm_file", 0, "cannot write passed.txt");
	int f = open("passed.txt", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		close(s[0]);
		close(p[0]);
		close(f);
		char data[4];
		union { char buf[CMSG_SPACE(2 * sizeof(int))]; struct cmsghdr align; } u;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		if (recvmsg(s[1], &mh, MSG_CMSG_CLOEXEC) != 4 || memcmp(data, "fds!", 4))
			_exit(1);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(2 * sizeof(int)))
			_exit(2);
		int fds[2];
		memcpy(fds, CMSG_DATA(c), sizeof(fds));
		if (!(fcntl(fds[0], F_GETFD) & FD_CLOEXEC))
			_exit(3);
		char buf[16] = { 0 };
		if (read(fds[0], buf, 9) != 9 || memcmp(buf, "pipe-data", 9))
			_exit(4);
		memset(buf, 0, sizeof(buf));
		if (read(fds[1], buf, 9) != 9 || memcmp(buf, "file-data", 9))
			_exit(5);
		_exit(0);
	}
	close(s[1]);
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "fds!", 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int fds[2] = { p[0], f };
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	CHECK_EQ("scm_sendmsg", sendmsg(s[0], &mh, 0), 4);
	close(p[0]); /* the message keeps the read end alive */
	close(f);
	CHECK_EQ("scm_pipe_write", write(p[1], "pipe-data", 9), 9);
	CHECK_CHILD("scm_child_read_both", t_wait(pid));
	/* A bad descriptor in SCM_RIGHTS fails the whole send. */
	fds[0] = 999;
	fds[1] = 998;
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	CHECK_ERR("scm_bad_fd_ebadf", sendmsg(s[0], &mh, 0), EBADF);
	close(p[1]);
	close(s[0]);
}

/* Descriptors sent but never received are released with the socket. */
static void test_scm_unreceived(void)
{
	int p[2], s[2];
	if (!NEED("scm_unrecv", pipe2(p, O_NONBLOCK)) || !NEED("scm_unrecv_pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, s)))
		return;
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	CHECK_EQ("scm_unrecv_send", sendmsg(s[0], &mh, 0), 1);
	close(p[1]);
	char b;
	CHECK_ERR("scm_inflight_keeps_writer", read(p[0], &b, 1), EAGAIN);
	close(s[0]);
	close(s[1]);
	CHECK_EQ("scm_closed_sockets_drop_writer", read(p[0], &b, 1), 0);
	close(p[0]);
}

static void test_peek_waitall(void)
{
	int s[2];
	if (!NEED("peek_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	char buf[16] = { 0 };
	CHECK_ERR("stream_dontwait_eagain", recv(s[1], buf, 4, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ("peek_send", send(s[0], "abcdef", 6, 0), 6);
	CHECK("peek_reads", recv(s[1], buf, 3, MSG_PEEK) == 3 && !memcmp(buf, "abc", 3));
	CHECK("peek_leaves_data", recv(s[1], buf, 4, 0) == 4 && !memcmp(buf, "abcd", 4));
	int n = 0;
	CHECK("fionread_stream", ioctl(s[1], FIONREAD, &n) == 0 && n == 2);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		if (send(s[0], "gh", 2, 0) != 2)
			_exit(1);
		usleep(100000);
		_exit(send(s[0], "ij", 2, 0) == 2 ? 0 : 2);
	}
	CHECK("waitall_gathers", recv(s[1], buf, 6, MSG_WAITALL) == 6 && !memcmp(buf, "efghij", 6));
	CHECK_CHILD("waitall_child", t_wait(pid));
	struct timeval tv = { 0, 100000 };
	CHECK_OK("rcvtimeo_set", setsockopt(s[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_ERR("rcvtimeo_eagain", recv(s[1], buf, 1, 0), EAGAIN);
	struct timeval back;
	socklen_t bl = sizeof(back);
	CHECK("rcvtimeo_get", getsockopt(s[1], SOL_SOCKET, SO_RCVTIMEO, &back, &bl) == 0 && back.tv_usec == 100000);
	close(s[0]);
	close(s[1]);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void test_shutdown_sigpipe(void)
{
	int s[2];
	if (!NEED("shut_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	struct sigaction sa = { .sa_handler = on_sigpipe }, old;
	sigaction(SIGPIPE, &sa, &old);
	char b;
	CHECK_EQ("shut_queued", send(s[0], "z", 1, 0), 1);
	CHECK_OK("shutdown_wr", shutdown(s[0], SHUT_WR));
	CHECK("shut_data_before_eof", recv(s[1], &b, 1, 0) == 1 && b == 'z');
	CHECK_EQ("shut_peer_eof", recv(s[1], &b, 1, 0), 0);
	struct pollfd p = { s[1], POLLIN | POLLRDHUP, 0 };
	CHECK("shut_pollrdhup", poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP) && (p.revents & POLLIN));
	sigpipes = 0;
	CHECK_ERR("shut_write_epipe", send(s[0], "y", 1, 0), EPIPE);
	CHECK_EQ("shut_sigpipe", sigpipes, 1);
	CHECK_ERR("shut_nosignal_epipe", send(s[0], "y", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ("shut_nosignal_no_signal", sigpipes, 1);
	CHECK_EQ("reverse_direction_open", send(s[1], "r", 1, 0), 1);
	close(s[1]);
	CHECK_ERR("closed_peer_write_epipe", write(s[0], "y", 1), EPIPE);
	CHECK_EQ("closed_peer_sigpipe", sigpipes, 2);
	p = (struct pollfd){ s[0], POLLIN | POLLOUT, 0 };
	CHECK("closed_peer_pollhup", poll(&p, 1, 0) == 1 && (p.revents & POLLHUP));
	CHECK_ERR("shutdown_einval", shutdown(s[0], 7), EINVAL);
	close(s[0]);
	sigaction(SIGPIPE, &old, NULL);
	CHECK_ERR("shutdown_enotsock", shutdown(0 + open("/", O_RDONLY) + 0, SHUT_RD), ENOTSOCK);
}

static void test_poll_ready(void)
{
	int s[2];
	if (!NEED("poll_pair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s)))
		return;
	struct pollfd p = { s[0], POLLIN | POLLOUT, 0 };
	CHECK("poll_writable_only", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(write(s[1], "w", 1) == 1 ? 0 : 1);
	}
	p = (struct pollfd){ s[0], POLLIN, 0 };
	CHECK("poll_wakes_on_data", poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
	CHECK_CHILD("poll_child", t_wait(pid));
	/* Fill the socket until a non-blocking send fails: then POLLOUT goes away. */
	static char big[65536];
	long total = 0;
	ssize_t n;
	while ((n = send(s[1], big, sizeof(big), 0)) > 0)
		total += n;
	CHECK("fill_eagain", n < 0 && errno == EAGAIN && total > 0);
	p = (struct pollfd){ s[1], POLLOUT, 0 };
	CHECK_EQ("full_not_writable", poll(&p, 1, 0), 0);
	close(s[0]);
	close(s[1]);
}

static void test_options(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int v = 0;
	socklen_t l = sizeof(v);
	CHECK("so_error_zero", getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l) == 0 && v == 0);
	v = 1;
	CHECK_OK("so_reuseaddr", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	CHECK_OK("so_keepalive", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	CHECK_OK("so_passcred", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)));
	v = 8192;
	CHECK_OK("so_rcvbuf_set", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	l = sizeof(v);
	CHECK("so_rcvbuf_doubled", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0 && v == 16384);
	CHECK_ERR("so_bad_option", setsockopt(s, SOL_SOCKET, 12345, &v, sizeof(v)), ENOPROTOOPT);
	CHECK_ERR("so_short_optlen", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, 2), EINVAL);
	close(s);
	CHECK_ERR("socket_bad_family", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR("socket_bad_protocol", socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
	CHECK_ERR("socket_bad_flags", socket(AF_UNIX, SOCK_STREAM | 0x4000000, 0), EINVAL);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK("sock_nonblock_cloexec", (fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFD) & FD_CLOEXEC));
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_INET;
	CHECK_ERR("bind_wrong_family", bind(s, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	CHECK_ERR("bind_short_len", bind(s, (struct sockaddr *)&a, 1), EINVAL);
	CHECK_ERR("bind_bad_pointer", bind(s, (struct sockaddr *)8, 16), EFAULT);
	/* An autobind (only the family) gets an abstract name. */
	a.sun_family = AF_UNIX;
	CHECK_OK("autobind", bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	socklen_t gl = sizeof(a);
	CHECK("autobind_abstract_name", getsockname(s, (struct sockaddr *)&a, &gl) == 0 && gl > 2 && a.sun_path[0] == 0);
	close(s);
	CHECK_ERR("getsockname_enotsock", getsockname(0 + open("/", O_RDONLY), (struct sockaddr *)&a, &gl), ENOTSOCK);
	CHECK_ERR("listen_dgram_eopnotsupp", listen(socket(AF_UNIX, SOCK_DGRAM, 0), 1), EOPNOTSUPP);
}

static void test_many_writes(void)
{
	int s[2];
	if (!NEED("bulk_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	const long total = 2 << 20;
	pid_t pid = fork();
	if (pid == 0) {
		close(s[0]);
		static char buf[7000];
		long off = 0;
		while (off < total) {
			long n = total - off < (long)sizeof(buf) ? total - off : (long)sizeof(buf);
			for (long i = 0; i < n; i++)
				buf[i] = (char)((off + i) * 7);
			if (write(s[1], buf, (size_t)n) != n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(s[1]);
	static char buf[65536];
	long off = 0, bad = -1;
	ssize_t n;
	while ((n = read(s[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && bad < 0; i++)
			if (buf[i] != (char)((off + i) * 7))
				bad = off + i;
		off += n;
	}
	t_check("stream_2mib_in_order", off == total && bad < 0, "%ld bytes, first bad at %ld", off, bad);
	CHECK_CHILD("bulk_child", t_wait(pid));
	close(s[0]);
}

static void test_seqpacket(void)
{
	int s[2];
	if (!NEED("seqpacket_pair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s)))
		return;
	CHECK_EQ("seqpacket_send1", send(s[0], "one", 3, 0), 3);
	CHECK_EQ("seqpacket_send2", send(s[0], "three", 5, 0), 5);
	char buf[16];
	CHECK_EQ("seqpacket_record_boundary", recv(s[1], buf, sizeof(buf), 0), 3);
	struct iovec iov = { buf, 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK("seqpacket_trunc", recvmsg(s[1], &mh, 0) == 2 && (mh.msg_flags & MSG_TRUNC));
	CHECK_ERR("seqpacket_rest_discarded", recv(s[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(s[0]);
	CHECK_EQ("seqpacket_eof", recv(s[1], buf, sizeof(buf), 0), 0);
	close(s[1]);
	/* Named, through listen and accept. */
	char name[64];
	snprintf(name, sizeof(name), "ferrite-seqpacket-%d", getpid());
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, name);
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0), c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (!NEED("seqpacket_bind", bind(l, (struct sockaddr *)&a, alen)) || !NEED("seqpacket_listen", listen(l, 2)))
		return;
	CHECK_OK("seqpacket_connect", connect(c, (struct sockaddr *)&a, alen));
	int acc = accept(l, NULL, NULL);
	CHECK("seqpacket_accepted_record", acc >= 0 && send(c, "rec", 3, 0) == 3 && recv(acc, buf, sizeof(buf), 0) == 3);
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("seqpacket_stream_mismatch", connect(st, (struct sockaddr *)&a, alen), ECONNREFUSED);
	close(st);
	close(acc);
	close(c);
	close(l);
}

/* SO_PASSCRED: each message carries its sender's pid, uid and gid. */
static void test_credentials(void)
{
	int s[2], one = 1;
	if (!NEED("cred_pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, s)))
		return;
	CHECK_OK("cred_passcred", setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	pid_t pid = fork();
	if (pid == 0)
		_exit(send(s[0], "c", 1, 0) == 1 ? 0 : 1);
	CHECK_CHILD("cred_child_sent", t_wait(pid));
	char c, ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	CHECK_EQ("cred_recvmsg", recvmsg(s[1], &mh, 0), 1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct ucred cr = { 0, 0, 0 };
	if (cm && cm->cmsg_type == SCM_CREDENTIALS)
		memcpy(&cr, CMSG_DATA(cm), sizeof(cr));
	t_check("cred_sender_pid", cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
					   cr.pid == pid && cr.uid == getuid() && cr.gid == getgid(),
		"cmsg %p, pid %d (child %d), uid %u, gid %u", (void *)cm, cr.pid, pid, cr.uid, cr.gid);
	/* Without room for it, the control data is cut: MSG_CTRUNC. */
	send(s[0], "d", 1, 0);
	mh.msg_controllen = 4;
	CHECK("cred_ctrunc", recvmsg(s[1], &mh, 0) == 1 && (mh.msg_flags & MSG_CTRUNC));
	close(s[0]);
	close(s[1]);
}

static void test_select(void)
{
	int s[2];
	if (!NEED("select_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	fd_set r;
	FD_ZERO(&r);
	FD_SET(s[1], &r);
	struct timeval tv = { 0, 0 };
	CHECK_EQ("select_idle", select(s[1] + 1, &r, NULL, NULL, &tv), 0);
	send(s[0], "s", 1, 0);
	FD_ZERO(&r);
	FD_SET(s[1], &r);
	tv.tv_sec = 1;
	CHECK("select_readable", select(s[1] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(s[1], &r));
	close(s[0]);
	close(s[1]);
}

static void test_mmsg(void)
{
	int s[2];
	if (!NEED("mmsg_pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, s)))
		return;
	struct iovec out[3] = { { "a", 1 }, { "bb", 2 }, { "ccc", 3 } };
	struct mmsghdr vec[3];
	memset(vec, 0, sizeof(vec));
	for (int i = 0; i < 3; i++) {
		vec[i].msg_hdr.msg_iov = &out[i];
		vec[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK("sendmmsg_three", sendmmsg(s[0], vec, 3, 0) == 3 && vec[2].msg_len == 3);
	char bufs[4][8];
	struct iovec in[4];
	struct mmsghdr rv[4];
	memset(rv, 0, sizeof(rv));
	for (int i = 0; i < 4; i++) {
		in[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		rv[i].msg_hdr.msg_iov = &in[i];
		rv[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK("recvmmsg_waitforone", recvmmsg(s[1], rv, 4, MSG_WAITFORONE, NULL) == 3 && rv[0].msg_len == 1 &&
					     rv[1].msg_len == 2 && rv[2].msg_len == 3 && !memcmp(bufs[2], "ccc", 3));
	close(s[0]);
	close(s[1]);
}

/* Closing a stream socket with unread data resets the connection; a peek passes descriptors too. */
static void test_reset_and_peek_fds(void)
{
	int s[2];
	if (!NEED("reset_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	CHECK_EQ("reset_unread", send(s[0], "x", 1, 0), 1);
	close(s[1]);
	char b;
	CHECK_ERR("reset_econnreset", recv(s[0], &b, 1, 0), ECONNRESET);
	CHECK_EQ("reset_then_eof", recv(s[0], &b, 1, 0), 0);
	close(s[0]);

	int p[2];
	if (!NEED("peekfd_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)) || !NEED("peekfd_pipe", pipe(p)))
		return;
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "p", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	CHECK_EQ("peekfd_send", sendmsg(s[0], &mh, 0), 1);
	int got[2] = { -1, -1 };
	for (int i = 0; i < 2; i++) {
		char c, rctl[CMSG_SPACE(sizeof(int))];
		struct iovec riov = { &c, 1 };
		struct msghdr rmh = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = sizeof(rctl) };
		if (recvmsg(s[1], &rmh, i == 0 ? MSG_PEEK : 0) == 1 && CMSG_FIRSTHDR(&rmh) &&
		    CMSG_FIRSTHDR(&rmh)->cmsg_type == SCM_RIGHTS)
			memcpy(&got[i], CMSG_DATA(CMSG_FIRSTHDR(&rmh)), sizeof(int));
	}
	CHECK("peekfd_both_get_descriptor", got[0] >= 0 && got[1] >= 0 && got[0] != got[1]);
	CHECK("peekfd_same_pipe", got[0] >= 0 && write(got[0], "1", 1) == 1 && write(got[1], "2", 1) == 1 &&
					  read(p[0], ctl, 2) == 2);
	close(got[0]);
	close(got[1]);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

static int send_fds(int s, const int *fds, int n)
{
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "g", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return (int)sendmsg(s, &mh, 0);
}

/* Sockets sent over themselves form a cycle only messages in flight keep alive: once every
 * descriptor is closed, the collector frees them (seen through a pipe end carried along). */
static void test_gc_cycle(void)
{
	int s[2], p[2];
	if (!NEED("gc_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, s)) || !NEED("gc_pipe", pipe(p)))
		return;
	int a[2] = { s[0], p[1] }, b[1] = { s[1] };
	CHECK_EQ("gc_send_self", send_fds(s[0], a, 2), 1);
	CHECK_EQ("gc_send_other", send_fds(s[1], b, 1), 1);
	close(s[0]);
	close(s[1]);
	close(p[1]);
	/* Another socket's close runs the collector (on Linux, a work item soon after). */
	int t[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, t) == 0) {
		close(t[0]);
		close(t[1]);
	}
	struct pollfd pf = { p[0], POLLIN, 0 };
	int n = poll(&pf, 1, 3000);
	char c;
	CHECK("gc_cycle_freed_writer", n == 1 && (pf.revents & POLLHUP) && read(p[0], &c, 1) == 0);
	close(p[0]);
}

/* Empty stream writes queue nothing; a flood of tiny datagrams is bounded by memory charged. */
static void test_small_messages(void)
{
	int s[2];
	if (!NEED("small_pair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s)))
		return;
	for (int i = 0; i < 100000; i++)
		if (send(s[0], "", 0, 0) != 0)
			break;
	char b;
	CHECK_ERR("empty_stream_writes_queue_nothing", recv(s[1], &b, 1, 0), EAGAIN);
	close(s[0]);
	close(s[1]);
	if (!NEED("tiny_pair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s)))
		return;
	long n = 0;
	while (n < 1000000 && send(s[0], "t", 1, 0) == 1)
		n++;
	t_check("tiny_writes_bounded", n < 1000000 && errno == EAGAIN, "%ld one-byte sends accepted", n);
	close(s[0]);
	close(s[1]);
}

/* A connected datagram sender is writable only while its receiver has room. */
static void test_dgram_pollout(void)
{
	int d[2];
	if (!NEED("dgram_full_pair", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, d)))
		return;
	static char msg[1024];
	long n = 0;
	while (n < 100000 && send(d[0], msg, sizeof(msg), 0) > 0)
		n++;
	CHECK("dgram_fill_eagain", n > 0 && n < 100000 && errno == EAGAIN);
	struct pollfd p = { d[0], POLLOUT, 0 };
	CHECK_EQ("dgram_full_not_writable", poll(&p, 1, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		for (long i = 0; i < n; i++) /* writable again once mostly drained (Linux: a quarter) */
			if (recv(d[1], msg, sizeof(msg), 0) != sizeof(msg))
				_exit(1);
		_exit(0);
	}
	p.revents = 0;
	CHECK("dgram_writable_after_receive", poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
	CHECK_CHILD("dgram_pollout_child", t_wait(pid));
	close(d[0]);
	close(d[1]);
}

/* Four client processes, 50 connections each, against one server that echoes on each. */
static void test_many_clients(void)
{
	char name[64];
	snprintf(name, sizeof(name), "ferrite-many-%d", getpid());
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, name);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!NEED("many_bind", bind(l, (struct sockaddr *)&a, alen)) || !NEED("many_listen", listen(l, 8)))
		return;
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			for (int i = 0; i < 50; i++) {
				int c = socket(AF_UNIX, SOCK_STREAM, 0);
				char msg[16], back[16];
				snprintf(msg, sizeof(msg), "k%d-i%03d-xxxxxx", k, i);
				if (connect(c, (struct sockaddr *)&a, alen) || write(c, msg, 16) != 16 ||
				    recv(c, back, 16, MSG_WAITALL) != 16 || memcmp(msg, back, 16))
					_exit(1 + i);
				close(c);
			}
			_exit(0);
		}
	}
	int served = 0, bad = 0;
	for (int i = 0; i < 200; i++) {
		int s = accept(l, NULL, NULL);
		char buf[16];
		if (s < 0 || recv(s, buf, 16, MSG_WAITALL) != 16 || write(s, buf, 16) != 16)
			bad++;
		else
			served++;
		if (s >= 0)
			close(s);
	}
	t_check("many_served", served == 200 && bad == 0, "%d served, %d bad", served, bad);
	int ok = 1;
	for (int k = 0; k < 4; k++) {
		int st = t_wait(kids[k]);
		ok &= st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("many_clients_done", ok);
	close(l);

	/* Datagrams: each client autobinds and gets its reply at its own address. */
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	socklen_t dl = abstract_addr(&a, "ferrite-many-dgram");
	char dname[64];
	snprintf(dname, sizeof(dname), "ferrite-many-dgram-%d", getpid());
	dl = abstract_addr(&a, dname);
	if (!NEED("many_dgram_bind", bind(srv, (struct sockaddr *)&a, dl)))
		return;
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int c = socket(AF_UNIX, SOCK_DGRAM, 0);
			struct sockaddr_un me = { .sun_family = AF_UNIX };
			if (bind(c, (struct sockaddr *)&me, sizeof(sa_family_t)))
				_exit(1);
			for (int i = 0; i < 50; i++) {
				char msg[8] = { (char)k, (char)i }, back[8];
				if (sendto(c, msg, 8, 0, (struct sockaddr *)&a, dl) != 8 || recv(c, back, 8, 0) != 8 ||
				    memcmp(msg, back, 8))
					_exit(2 + i);
			}
			_exit(0);
		}
	}
	bad = 0;
	for (int i = 0; i < 200; i++) {
		char buf[8];
		struct sockaddr_un from;
		socklen_t fl = sizeof(from);
		if (recvfrom(srv, buf, 8, 0, (struct sockaddr *)&from, &fl) != 8 ||
		    sendto(srv, buf, 8, 0, (struct sockaddr *)&from, fl) != 8)
			bad++;
	}
	CHECK_EQ("many_dgram_replies", bad, 0);
	ok = 1;
	for (int k = 0; k < 4; k++) {
		int st = t_wait(kids[k]);
		ok &= st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("many_dgram_clients_done", ok);
	close(srv);
}

/* Hostile arguments: bad pointers, lengths and control messages fail as on Linux. */
static void test_bad_arguments(void)
{
	int s[2];
	if (!NEED("bad_pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, s)))
		return;
	void *kernel = (void *)0xffffffff81000000ul;
	CHECK_ERR("sendmsg_null_msghdr", syscall(SYS_sendmsg, s[0], NULL, 0), EFAULT);
	CHECK_ERR("recvmsg_null_msghdr", syscall(SYS_recvmsg, s[0], NULL, 0), EFAULT);
	struct iovec bad = { kernel, 16 };
	struct msghdr mh = { .msg_iov = &bad, .msg_iovlen = 1 };
	CHECK_ERR("sendmsg_kernel_iov", sendmsg(s[0], &mh, 0), EFAULT);
	CHECK_ERR("send_kernel_buf", send(s[0], kernel, 8, 0), EFAULT);
	send(s[0], "12345678", 8, 0);
	CHECK_ERR("recv_kernel_buf", recv(s[1], kernel, 8, 0), EFAULT);
	CHECK_ERR("socketpair_null", socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), EFAULT);
	int v;
	CHECK_ERR("getsockopt_null_len", getsockopt(s[0], SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
	socklen_t bl = (socklen_t)-1;
	CHECK_ERR("getsockopt_negative_len", getsockopt(s[0], SOL_SOCKET, SO_TYPE, &v, &bl), EINVAL);
	CHECK_ERR("getsockname_kernel_addr", getsockname(s[0], kernel, &(socklen_t){ 16 }), EFAULT);
	CHECK_ERR("bind_long_len", bind(s[0], (struct sockaddr *)&v, 4096), EINVAL);

	/* Control messages: a header claiming more than the buffer, a foreign level, too many fds. */
	char ctl[CMSG_SPACE(256 * sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "x", 1 };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int)) };
	struct cmsghdr *cm = (struct cmsghdr *)ctl;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int)) + 64;
	CHECK_ERR("cmsg_len_past_buffer", sendmsg(s[0], &mh, 0), EINVAL);
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = 12345;
	memcpy(CMSG_DATA(cm), &s[0], sizeof(int));
	CHECK_EQ("cmsg_foreign_level_ignored", sendmsg(s[0], &mh, 0), 1); /* Linux skips other levels */
	cm->cmsg_level = SOL_SOCKET;
	int pp[2];
	if (!NEED("bad_pipe", pipe(pp)))
		return;
	int fds[6];
	for (int i = 0; i < 6; i++)
		fds[i] = pp[0];
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	mh.msg_controllen = CMSG_SPACE(sizeof(fds));
	CHECK_EQ("scm_six_fds", sendmsg(s[0], &mh, 0), 1);
	char c, rctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec riov = { &c, 1 };
	struct msghdr rmh = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = sizeof(rctl) };
	recv(s[1], &c, 1, 0); /* the "12345678" datagram */
	recv(s[1], &c, 1, 0); /* the one with the foreign control message */
	int before = open("/", O_RDONLY);
	close(before);
	CHECK("scm_six_truncated_ctrunc", recvmsg(s[1], &rmh, 0) == 1 && (rmh.msg_flags & MSG_CTRUNC));
	int got = 0;
	if (CMSG_FIRSTHDR(&rmh))
		got = (int)((CMSG_FIRSTHDR(&rmh)->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	CHECK_EQ("scm_four_of_six_installed", got, 4);
	int fds4[4];
	if (got == 4) {
		memcpy(fds4, CMSG_DATA(CMSG_FIRSTHDR(&rmh)), sizeof(fds4));
		for (int i = 0; i < 4; i++)
			close(fds4[i]);
	}
	int after = open("/", O_RDONLY);
	CHECK_EQ("scm_rest_closed_no_fd_leak", after, before);
	close(after);
	close(pp[0]);
	close(pp[1]);
	close(s[0]);
	close(s[1]);
}

/* poll's answer in each state, as Linux gives it. */
static void test_poll_states(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct pollfd p = { s, POLLIN | POLLOUT | POLLRDHUP, 0 };
	CHECK("poll_fresh_stream_out_hup", poll(&p, 1, 0) == 1 && p.revents == (POLLOUT | POLLHUP));
	char name[64];
	snprintf(name, sizeof(name), "ferrite-pollstates-%d", getpid());
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, name);
	bind(s, (struct sockaddr *)&a, alen);
	listen(s, 1);
	p.revents = 0;
	CHECK_EQ("poll_idle_listener", poll(&p, 1, 0), 0);
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	p = (struct pollfd){ s, POLLIN | POLLOUT | POLLRDHUP, 0 };
	CHECK("poll_fresh_dgram_out", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	close(s);
	int sp[2];
	if (!NEED("poll_states_pair", socketpair(AF_UNIX, SOCK_STREAM, 0, sp)))
		return;
	shutdown(sp[0], SHUT_RD);
	p = (struct pollfd){ sp[0], POLLIN | POLLOUT | POLLRDHUP, 0 };
	CHECK("poll_own_shut_rd", poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT | POLLRDHUP));
	shutdown(sp[0], SHUT_WR);
	p.revents = 0;
	CHECK("poll_own_shut_rdwr", poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT | POLLRDHUP | POLLHUP));
	p = (struct pollfd){ sp[1], POLLIN | POLLOUT | POLLRDHUP, 0 };
	CHECK("poll_peer_of_shut_rdwr", poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT | POLLRDHUP | POLLHUP));
	close(sp[0]);
	close(sp[1]);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("unix_sockets", argv);
	test_stream_pair();
	test_dgram_pair();
	test_path_names();
	test_abstract();
	test_dgram_names();
	test_scm_rights();
	test_scm_unreceived();
	test_peek_waitall();
	test_shutdown_sigpipe();
	test_poll_ready();
	test_poll_states();
	test_options();
	test_many_writes();
	test_seqpacket();
	test_credentials();
	test_select();
	test_mmsg();
	test_reset_and_peek_fds();
	test_gc_cycle();
	test_small_messages();
	test_dgram_pollout();
	test_many_clients();
	test_bad_arguments();
	return t_done();
}
