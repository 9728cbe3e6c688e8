/*
 * eventfd_epoll: eventfd counter and semaphore semantics, signalfd with blocked signals, and
 * epoll over pipes, sockets and eventfds: level-triggered, EPOLLET, EPOLLONESHOT, timeouts,
 * wake-ups across fork, closing a watched descriptor, epoll_ctl's errors, epoll_pwait.
 * Ends with 1000 create/destroy cycles of every kind of IPC object, checking that
 * /proc/meminfo's MemFree comes back (when /proc is there).
 */
#include "t.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_eventfd(void)
{
	int e = eventfd(0, EFD_NONBLOCK);
	if (!NEED("eventfd", e))
		return;
	uint64_t v = 3, got = 0;
	CHECK_EQ("efd_write3", write(e, &v, 8), 8);
	v = 4;
	CHECK_EQ("efd_write4", write(e, &v, 8), 8);
	CHECK("efd_read_sum", read(e, &got, 8) == 8 && got == 7);
	CHECK_ERR("efd_empty_eagain", read(e, &got, 8), EAGAIN);
	CHECK_ERR("efd_short_read_einval", read(e, &got, 4), EINVAL);
	v = UINT64_MAX;
	CHECK_ERR("efd_write_max_einval", write(e, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	CHECK_EQ("efd_fill", write(e, &v, 8), 8);
	struct pollfd p = { e, POLLIN | POLLOUT, 0 };
	CHECK("efd_full_poll", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
	v = 1;
	CHECK_ERR("efd_overflow_eagain", write(e, &v, 8), EAGAIN);
	CHECK("efd_read_all", read(e, &got, 8) == 8 && got == UINT64_MAX - 1);
	p.revents = 0;
	CHECK("efd_empty_poll", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	close(e);

	e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK("efd_cloexec", e >= 0 && (fcntl(e, F_GETFD) & FD_CLOEXEC));
	int ones = 0;
	while (read(e, &got, 8) == 8 && got == 1)
		ones++;
	CHECK_EQ("efd_semaphore_three_ones", ones, 3);
	CHECK_EQ("efd_semaphore_then_eagain", errno, EAGAIN);
	close(e);
	CHECK_ERR("efd_bad_flags", eventfd(0, 0x10), EINVAL);

	/* A blocking read waits for a write from another process. */
	e = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		uint64_t one = 42;
		_exit(write(e, &one, 8) == 8 ? 0 : 1);
	}
	CHECK("efd_blocking_read", read(e, &got, 8) == 8 && got == 42);
	CHECK_CHILD("efd_child", t_wait(pid));
	close(e);
}

static void test_signalfd(void)
{
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, &old);
	int s = signalfd(-1, &m, SFD_NONBLOCK);
	if (!NEED("signalfd", s))
		return;
	struct signalfd_siginfo si;
	CHECK_ERR("sfd_empty_eagain", read(s, &si, sizeof(si)), EAGAIN);
	CHECK_ERR("sfd_short_einval", read(s, &si, 16), EINVAL);
	kill(getpid(), SIGUSR1);
	struct pollfd p = { s, POLLIN, 0 };
	CHECK("sfd_poll_in", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
	memset(&si, 0, sizeof(si));
	CHECK("sfd_read", read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1 &&
				  si.ssi_pid == (uint32_t)getpid() && si.ssi_code == SI_USER);
	sigset_t pend;
	sigpending(&pend);
	CHECK("sfd_consumed", !sigismember(&pend, SIGUSR1));
	/* A new mask through the same descriptor; a blocking read woken by another process. */
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	CHECK_EQ("sfd_update_mask", signalfd(s, &m, 0), s);
	int fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
	}
	CHECK("sfd_blocking_read", read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2 &&
					   si.ssi_pid == (uint32_t)pid);
	CHECK_CHILD("sfd_child", t_wait(pid));
	CHECK_ERR("sfd_not_signalfd", signalfd(0 + eventfd(0, 0), &m, 0), EINVAL);
	close(s);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int wait1(int ep, struct epoll_event *ev, int timeout)
{
	return epoll_wait(ep, ev, 1, timeout);
}

static void test_epoll_pipe(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	if (!NEED("epoll_create", ep) || !NEED("epoll_pipe", pipe(p)))
		return;
	CHECK("epoll_cloexec", fcntl(ep, F_GETFD) & FD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234567890ull }, out;
	CHECK_OK("ctl_add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	CHECK_ERR("ctl_add_twice_eexist", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	CHECK_EQ("lt_nothing_yet", wait1(ep, &out, 0), 0);
	CHECK_EQ("pipe_write", write(p[1], "ab", 2), 2);
	CHECK("lt_ready", wait1(ep, &out, 0) == 1 && out.events == EPOLLIN && out.data.u64 == 0x1234567890ull);
	CHECK_EQ("lt_still_ready", wait1(ep, &out, 0), 1);
	char b[2];
	read(p[0], b, 2);
	CHECK_EQ("lt_drained", wait1(ep, &out, 0), 0);

	ev.events = EPOLLIN | EPOLLET;
	CHECK_OK("ctl_mod_et", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	write(p[1], "c", 1);
	CHECK_EQ("et_first", wait1(ep, &out, 0), 1);
	CHECK_EQ("et_not_again", wait1(ep, &out, 0), 0);
	write(p[1], "d", 1);
	CHECK_EQ("et_new_edge", wait1(ep, &out, 0), 1);
	read(p[0], b, 2);

	ev.events = EPOLLIN | EPOLLONESHOT;
	CHECK_OK("ctl_mod_oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	write(p[1], "e", 1);
	CHECK_EQ("oneshot_once", wait1(ep, &out, 0), 1);
	write(p[1], "f", 1);
	CHECK_EQ("oneshot_disabled", wait1(ep, &out, 0), 0);
	CHECK_OK("oneshot_rearm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	CHECK_EQ("oneshot_rearmed", wait1(ep, &out, 0), 1);
	read(p[0], b, 2);

	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
	double t0 = now();
	CHECK_EQ("timeout_zero_events", wait1(ep, &out, 150), 0);
	double dt = now() - t0;
	t_check("timeout_waited", dt > 0.12 && dt < 2.0, "waited %.3f s", dt);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(write(p[1], "g", 1) == 1 ? 0 : 1);
	}
	CHECK("blocking_wait_woken", wait1(ep, &out, 5000) == 1 && (out.events & EPOLLIN));
	CHECK_CHILD("blocking_wait_child", t_wait(pid));
	read(p[0], b, 1);

	/* The write end: EPOLLOUT, then EPOLLERR once the reader goes. */
	ev.events = EPOLLOUT;
	ev.data.fd = p[1];
	CHECK_OK("ctl_add_writer", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	CHECK("writer_epollout", wait1(ep, &out, 0) == 1 && out.data.fd == p[1] && out.events == EPOLLOUT);
	CHECK_OK("ctl_del_writer", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	CHECK_ERR("ctl_del_missing_enoent", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	/* Closing the only descriptor of a watched file removes it from the set. */
	write(p[1], "h", 1);
	close(p[0]);
	CHECK_EQ("closed_fd_removed", wait1(ep, &out, 0), 0);
	close(p[1]);

	int f = open("plain", O_CREAT | O_RDWR, 0600);
	CHECK_ERR("ctl_regular_file_eperm", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	CHECK_ERR("ctl_not_epoll_einval", epoll_ctl(f, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR("ctl_self_einval", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	/* Nested: an epoll watching another is told when the inner one has events. */
	int inner = epoll_create1(0), q[2];
	if (inner >= 0 && pipe(q) == 0) {
		struct epoll_event iev = { .events = EPOLLIN, .data.fd = q[0] };
		epoll_ctl(inner, EPOLL_CTL_ADD, q[0], &iev);
		struct epoll_event oev = { .events = EPOLLIN, .data.fd = inner };
		CHECK_OK("nested_add", epoll_ctl(ep, EPOLL_CTL_ADD, inner, &oev));
		CHECK_EQ("nested_idle", wait1(ep, &out, 0), 0);
		pid_t w = fork();
		if (w == 0) {
			usleep(100000);
			_exit(write(q[1], "n", 1) == 1 ? 0 : 1);
		}
		CHECK("nested_wakes_outer", wait1(ep, &out, 5000) == 1 && out.data.fd == inner && (out.events & EPOLLIN));
		CHECK_CHILD("nested_child", t_wait(w));
		CHECK("nested_inner_event", wait1(inner, &out, 0) == 1 && out.data.fd == q[0]);
		struct epoll_event back = { .events = EPOLLIN };
		CHECK_ERR("nested_loop_eloop", epoll_ctl(inner, EPOLL_CTL_ADD, ep, &back), ELOOP);
		close(q[0]);
		close(q[1]);
		close(inner);
	}
	CHECK_ERR("wait_maxevents_einval", epoll_wait(ep, &out, 0, 0), EINVAL);
	CHECK_ERR("wait_not_epoll_einval", epoll_wait(f, &out, 1, 0), EINVAL);
	CHECK_ERR("create_size_einval", syscall(SYS_epoll_create, 0), EINVAL);
	close(f);
	close(ep);
}

static void test_epoll_socket(void)
{
	int ep = epoll_create(1), s[2];
	if (!NEED("epoll_sock", socketpair(AF_UNIX, SOCK_STREAM, 0, s)))
		return;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = s[0] }, out[4];
	CHECK_OK("sock_add", epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev));
	int e = eventfd(0, 0);
	struct epoll_event eev = { .events = EPOLLIN, .data.fd = e };
	CHECK_OK("efd_add", epoll_ctl(ep, EPOLL_CTL_ADD, e, &eev));
	CHECK_EQ("sock_idle", epoll_wait(ep, out, 4, 0), 0);
	send(s[1], "x", 1, 0);
	uint64_t one = 1;
	write(e, &one, 8);
	int n = epoll_wait(ep, out, 4, 0);
	int seen_sock = 0, seen_efd = 0;
	for (int i = 0; i < n; i++) {
		if (out[i].data.fd == s[0] && out[i].events == EPOLLIN)
			seen_sock = 1;
		if (out[i].data.fd == e && out[i].events == EPOLLIN)
			seen_efd = 1;
	}
	CHECK("sock_and_efd_ready", n == 2 && seen_sock && seen_efd);
	CHECK("maxevents_one", epoll_wait(ep, out, 1, 0) == 1);
	char c;
	recv(s[0], &c, 1, 0);
	read(e, &one, 8);
	CHECK_EQ("sock_efd_drained", epoll_wait(ep, out, 4, 0), 0);
	close(s[1]);
	n = epoll_wait(ep, out, 4, 1000);
	CHECK("peer_close_rdhup", n == 1 && (out[0].events & EPOLLRDHUP) && (out[0].events & EPOLLHUP));
	close(s[0]);
	close(e);
	close(ep);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void test_epoll_pwait(void)
{
	int ep = epoll_create1(0), p[2];
	if (!NEED("pwait_pipe", pipe(p)))
		return;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	sigset_t block, none, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	sigaction(SIGUSR1, &sa, &old);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	got_usr1 = 0;
	CHECK_ERR("pwait_eintr", epoll_pwait(ep, &out, 1, 5000, &none), EINTR);
	CHECK_EQ("pwait_handler_ran", got_usr1, 1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK("pwait_mask_restored", sigismember(&cur, SIGUSR1));
	CHECK_CHILD("pwait_child", t_wait(pid));
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	sigaction(SIGUSR1, &old, NULL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* An edge-triggered epoll echo server: three client processes, 30 connections each. */
static void test_epoll_server(void)
{
	char name[64];
	snprintf(name, sizeof(name), "ferrite-epoll-srv-%d", getpid());
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t alen = (socklen_t)(sizeof(sa_family_t) + 1 + strlen(name));
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	if (!NEED("srv_bind", bind(l, (struct sockaddr *)&a, alen)) || !NEED("srv_listen", listen(l, 16)))
		return;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = l };
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			for (int i = 0; i < 30; i++) {
				int c = socket(AF_UNIX, SOCK_STREAM, 0);
				char msg[12], back[12];
				snprintf(msg, sizeof(msg), "%d:%02d-abcdef", k, i);
				if (connect(c, (struct sockaddr *)&a, alen) || write(c, msg, 12) != 12 ||
				    recv(c, back, 12, MSG_WAITALL) != 12 || memcmp(msg, back, 12))
					_exit(1 + i);
				close(c);
			}
			_exit(0);
		}
	}
	int done = 0, errors = 0;
	double t0 = now();
	while (done < 90 && now() - t0 < 30) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 1000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == l) {
				int c;
				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			int c = evs[i].data.fd;
			char buf[64];
			ssize_t r;
			while ((r = read(c, buf, sizeof(buf))) > 0)
				if (write(c, buf, (size_t)r) != r)
					errors++;
			if (r == 0 || (evs[i].events & (EPOLLRDHUP | EPOLLHUP))) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
				close(c);
				done++;
			}
		}
	}
	t_check("epoll_server_all_connections", done == 90 && errors == 0, "%d of 90 connections, %d errors", done, errors);
	int ok = 1;
	for (int k = 0; k < 3; k++) {
		int st = t_wait(kids[k]);
		ok &= st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("epoll_server_clients_done", ok);
	close(ep);
	close(l);
}

static long memfree_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	char line[128];
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* One round of every IPC object this area makes, each used once and closed. */
static int churn_once(void)
{
	int s[2], d[2], p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) || socketpair(AF_UNIX, SOCK_DGRAM, 0, d) || pipe(p))
		return -1;
	char c = 'x';
	/* A descriptor in flight when everything closes must be freed too. */
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
	if (sendmsg(s[0], &mh, 0) != 1 || send(d[0], &c, 1, 0) != 1 || write(p[1], &c, 1) != 1)
		return -2;
	int e = eventfd(1, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	if (e < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev) || epoll_ctl(ep, EPOLL_CTL_ADD, s[1], &ev))
		return -3;
	if (mkfifo("churn.fifo", 0600))
		return -4;
	int fr = open("churn.fifo", O_RDWR);
	if (fr < 0 || write(fr, &c, 1) != 1)
		return -5;
	close(fr);
	unlink("churn.fifo");
	int fds[] = { s[0], s[1], d[0], d[1], p[0], p[1], e, ep };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	return 0;
}

static void test_leaks(void)
{
	for (int i = 0; i < 50; i++) /* warm the allocator's caches first */
		churn_once();
	long before = memfree_kb();
	int err = 0;
	for (int i = 0; i < 1000 && !err; i++)
		err = churn_once();
	CHECK_EQ("churn_1000_cycles", err, 0);
	long after = memfree_kb();
	if (before < 0 || after < 0) {
		t_skip("churn_memfree_back", "no /proc/meminfo");
		return;
	}
	/* Each cycle holds at least two 64 KiB pipe buffers plus socket buffers: leaking one
	 * cycle's objects each time would lose more than 128 MiB. 16 MiB of slack allows for
	 * allocator caches and, on a shared host, other processes' allocations. */
	t_check("churn_memfree_back", before - after < 16384, "MemFree %ld kB before, %ld kB after", before, after);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("eventfd_epoll", argv);
	test_eventfd();
	test_signalfd();
	test_epoll_pipe();
	test_epoll_socket();
	test_epoll_pwait();
	test_epoll_server();
	test_leaks();
	return t_done();
}
