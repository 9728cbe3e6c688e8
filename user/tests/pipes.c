/*
 * pipes: read and write, end of file, EPIPE and SIGPIPE, non-blocking ends, pipe2 flags,
 * PIPE_BUF atomicity with four writers, poll readiness, the 64 KiB capacity, a bulk transfer
 * between processes, and dup2 of pipe ends.
 */
#include "t.h"

#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

static void test_basic(void)
{
	int p[2];
	char buf[64];

	if (!NEED("basic", pipe(p)))
		return;
	CHECK_EQ("write", write(p[1], "hello", 5), 5);
	CHECK_EQ("read_partial_request", read(p[0], buf, 3), 3);
	CHECK_EQ("read_returns_available", read(p[0], buf + 3, sizeof(buf) - 3), 2);
	CHECK("read_data", !memcmp(buf, "hello", 5));
	CHECK_ERR("lseek_espipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR("read_from_write_end_ebadf", read(p[1], buf, 1), EBADF);
	CHECK_ERR("write_to_read_end_ebadf", write(p[0], "x", 1), EBADF);
	struct stat st;
	CHECK("fstat_fifo", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));

	/* End of file once every write end is closed, also in another process. */
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "from child", 10) == 10 ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = 0, r;
	while ((r = read(p[0], buf + n, sizeof(buf) - n)) > 0)
		n += r;
	CHECK("eof_after_writers_close", r == 0 && n == 10 && !memcmp(buf, "from child", 10));
	CHECK_EQ("eof_again", read(p[0], buf, 1), 0);
	CHECK_CHILD("eof_writer_child", t_wait(pid));
	close(p[0]);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int sigpipe_default_child(void)
{
	int p[2];

	if (pipe(p))
		return 1;
	close(p[0]);
	signal(SIGPIPE, SIG_DFL);
	(void)!write(p[1], "x", 1);
	return 2; /* not reached: SIGPIPE kills */
}

static void test_epipe(void)
{
	int p[2];
	struct sigaction sa = { .sa_handler = on_sigpipe }, old;

	if (!NEED("epipe", pipe(p)))
		return;
	close(p[0]);
	sigaction(SIGPIPE, &sa, &old);
	sigpipes = 0;
	CHECK_ERR("epipe_when_no_reader", write(p[1], "x", 1), EPIPE);
	CHECK_EQ("sigpipe_delivered", sigpipes, 1);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR("epipe_sigpipe_ignored", write(p[1], "x", 1), EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	close(p[1]);
	int st = t_in_child(sigpipe_default_child);
	t_check("sigpipe_default_kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "child %s", t_status(st));
}

static void test_flags(void)
{
	int p[2];
	char c;

	if (!NEED("nonblock", pipe2(p, O_NONBLOCK)))
		return;
	CHECK_ERR("nonblock_read_empty_eagain", read(p[0], &c, 1), EAGAIN);
	CHECK("pipe2_nonblock_getfl", (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
	CHECK("pipe2_access_modes", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY &&
					    (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
	CHECK_EQ("pipe2_no_cloexec", fcntl(p[0], F_GETFD) & FD_CLOEXEC, 0);
	close(p[1]);
	CHECK_EQ("nonblock_eof", read(p[0], &c, 1), 0);
	close(p[0]);

	if (!NEED("cloexec", pipe2(p, O_CLOEXEC)))
		return;
	CHECK("pipe2_cloexec_getfd", (fcntl(p[0], F_GETFD) & FD_CLOEXEC) && (fcntl(p[1], F_GETFD) & FD_CLOEXEC));
	CHECK_EQ("pipe2_cloexec_blocking", fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);
	CHECK_ERR("pipe2_bad_flags_einval", pipe2(p, 0x12345678 & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)), EINVAL);

	/* O_NONBLOCK set later with F_SETFL. */
	if (!NEED("setfl_nonblock", pipe(p)))
		return;
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	CHECK_ERR("setfl_nonblock_eagain", read(p[0], &c, 1), EAGAIN);
	close(p[0]);
	close(p[1]);
}

/* The capacity on Linux is 16 pages: a non-blocking writer fills exactly 65536 bytes. */
static void test_capacity(void)
{
	int p[2];
	static char chunk[4096];
	long total = 0;
	ssize_t r;

	if (!NEED("capacity", pipe2(p, O_NONBLOCK)))
		return;
	memset(chunk, 'c', sizeof(chunk));
	while ((r = write(p[1], chunk, sizeof(chunk))) > 0)
		total += r;
	int e = errno;
	CHECK_EQ("capacity_65536", total, 65536);
	CHECK("capacity_full_eagain", r == -1 && e == EAGAIN);
	CHECK_ERR("capacity_one_more_byte_eagain", write(p[1], "x", 1), EAGAIN);
	struct pollfd pf = { .fd = p[1], .events = POLLOUT };
	CHECK_EQ("capacity_full_not_writable", poll(&pf, 1, 0), 0);
	CHECK_EQ("capacity_drain_one", read(p[0], chunk, sizeof(chunk)), 4096);
	CHECK_EQ("capacity_room_again", write(p[1], chunk, sizeof(chunk)), 4096);
	close(p[0]);
	close(p[1]);
}

/* Four writers, each writing PIPE_BUF-sized messages of one byte value: none may interleave. */
#define WRITERS 4
#define MESSAGES 200

static void test_atomic(void)
{
	int p[2];
	pid_t pids[WRITERS];
	static char msg[PIPE_BUF];
	int counts[WRITERS] = { 0 }, torn = 0, stray = 0;

	if (!NEED("atomic", pipe(p)))
		return;
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(p[0]);
			memset(msg, 'A' + w, sizeof(msg));
			for (int i = 0; i < MESSAGES; i++)
				if (write(p[1], msg, sizeof(msg)) != sizeof(msg))
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	for (;;) {
		size_t got = 0;
		ssize_t r = 1;
		while (got < sizeof(msg) && (r = read(p[0], msg + got, sizeof(msg) - got)) > 0)
			got += r;
		if (got == 0)
			break;
		if (got < sizeof(msg)) {
			stray++;
			break;
		}
		int w = msg[0] - 'A';
		int same = 1;
		for (size_t i = 1; i < sizeof(msg); i++)
			same &= msg[i] == msg[0];
		if (!same)
			torn++;
		else if (w >= 0 && w < WRITERS)
			counts[w]++;
		else
			stray++;
	}
	close(p[0]);
	int ok_children = 1, ok_counts = 1;
	for (int w = 0; w < WRITERS; w++) {
		int st = t_wait(pids[w]);
		ok_children &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
		ok_counts &= counts[w] == MESSAGES;
	}
	CHECK("atomic_writers_done", ok_children);
	t_check("atomic_pipe_buf_writes", torn == 0 && stray == 0, "%d torn messages, %d stray", torn, stray);
	t_check("atomic_all_messages", ok_counts, "counts %d %d %d %d", counts[0], counts[1], counts[2], counts[3]);
}

static void test_poll(void)
{
	int p[2];
	char c;

	if (!NEED("poll", pipe(p)))
		return;
	struct pollfd pf[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = POLLOUT } };
	CHECK_EQ("poll_empty_only_writable", poll(pf, 2, 0), 1);
	CHECK("poll_empty_revents", pf[0].revents == 0 && pf[1].revents == POLLOUT);
	if (write(p[1], "x", 1) != 1)
		t_check("poll_write", 0, "write failed");
	CHECK_EQ("poll_data_both", poll(pf, 2, 0), 2);
	CHECK("poll_data_pollin", pf[0].revents == POLLIN);
	CHECK_EQ("poll_read", read(p[0], &c, 1), 1);

	/* A blocked poll is woken by a writer in another process. */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(write(p[1], "y", 1) == 1 ? 0 : 1);
	}
	struct pollfd in = { .fd = p[0], .events = POLLIN };
	int r = poll(&in, 1, 10000);
	CHECK("poll_woken_by_writer", r == 1 && (in.revents & POLLIN));
	CHECK_CHILD("poll_writer_child", t_wait(pid));
	CHECK_EQ("poll_read2", read(p[0], &c, 1), 1);

	close(p[1]);
	CHECK("poll_pollhup_no_writers", poll(&in, 1, 0) == 1 && (in.revents & POLLHUP));
	close(p[0]);

	if (!NEED("poll_pollerr", pipe(p)))
		return;
	close(p[0]);
	struct pollfd out = { .fd = p[1], .events = POLLOUT };
	CHECK("poll_pollerr_no_readers", poll(&out, 1, 0) == 1 && (out.revents & POLLERR));
	close(p[1]);
	struct pollfd bad = { .fd = p[1], .events = POLLIN };
	CHECK("poll_pollnval_closed_fd", poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL);
}

/* 4 MiB through a pipe between processes in odd-sized pieces, checked byte for byte. */
static void test_bulk(void)
{
	int p[2];
	const long total = 4l << 20;
	static unsigned char buf[7919];

	if (!NEED("bulk", pipe(p)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (long off = 0; off < total;) {
			long n = total - off < (long)sizeof(buf) ? total - off : (long)sizeof(buf);
			for (long i = 0; i < n; i++)
				buf[i] = (unsigned char)((off + i) * 13 + ((off + i) >> 16));
			ssize_t w = write(p[1], buf, n);
			if (w <= 0)
				_exit(1);
			off += w;
		}
		_exit(0);
	}
	close(p[1]);
	long off = 0, bad = -1;
	ssize_t r;
	while ((r = read(p[0], buf, 4099)) > 0) {
		for (ssize_t i = 0; i < r && bad < 0; i++)
			if (buf[i] != (unsigned char)((off + i) * 13 + ((off + i) >> 16)))
				bad = off + i;
		off += r;
	}
	close(p[0]);
	CHECK_CHILD("bulk_writer", t_wait(pid));
	t_check("bulk_4mib", off == total && bad < 0, "%ld bytes, first bad at %ld", off, bad);
}

static void test_dup2(void)
{
	int p[2];
	char buf[8];

	if (!NEED("dup2", pipe(p)))
		return;
	CHECK_EQ("dup2_write_end", dup2(p[1], 40), 40);
	close(p[1]);
	CHECK_EQ("dup2_write_through_copy", write(40, "dup", 3), 3);
	CHECK("dup2_read_original", read(p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "dup", 3));
	CHECK_EQ("dup2_read_end", dup2(p[0], 41), 41);
	close(40);
	CHECK_EQ("dup2_eof_when_copy_closed", read(41, buf, 1), 0);
	close(41);
	close(p[0]);
}

/* pipe2(O_DIRECT): every write is a packet, a read takes one and drops what did not fit. */
static void test_packet_mode(void)
{
	int p[2];
	if (!NEED("packet", pipe2(p, O_DIRECT | O_NONBLOCK)))
		return;
	CHECK("packet_getfl_direct", fcntl(p[1], F_GETFL) & O_DIRECT);
	CHECK_EQ("packet_write1", write(p[1], "abc", 3), 3);
	CHECK_EQ("packet_write2", write(p[1], "defgh", 5), 5);
	char buf[8192];
	CHECK_EQ("packet_read_one", read(p[0], buf, sizeof(buf)), 3);
	CHECK("packet_short_read", read(p[0], buf, 2) == 2 && !memcmp(buf, "de", 2));
	CHECK_ERR("packet_rest_dropped", read(p[0], buf, sizeof(buf)), EAGAIN);
	static char big[5000];
	memset(big, 'b', sizeof(big));
	CHECK_EQ("packet_big_write", write(p[1], big, sizeof(big)), 5000);
	CHECK_EQ("packet_big_first", read(p[0], buf, sizeof(buf)), 4096);
	CHECK_EQ("packet_big_second", read(p[0], buf, sizeof(buf)), 904);
	/* Sixteen packets fill a 64 KiB pipe, however small they are. */
	int n = 0;
	while (n < 100 && write(p[1], "s", 1) == 1)
		n++;
	CHECK_EQ("packet_sixteen_slots", n, 16);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("pipes", argv);
	test_basic();
	test_epipe();
	test_packet_mode();
	test_flags();
	test_capacity();
	test_atomic();
	test_poll();
	test_bulk();
	test_dup2();
	return t_done();
}
