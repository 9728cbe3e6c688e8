/*
 * fifo: named pipes made by mkfifo and mknod: Linux's open rules (a blocking O_RDONLY open
 * waits for a writer and pairs up with one across fork; O_WRONLY|O_NONBLOCK without a
 * reader is ENXIO; O_RDONLY|O_NONBLOCK and O_RDWR never wait), data through the FIFO,
 * FIONREAD, F_GETPIPE_SZ, poll, EOF and EPIPE when the other side goes.
 */
#include "t.h"
#include <poll.h>
#include <sys/ioctl.h>

static void test_make(void)
{
	struct stat st;
	CHECK_OK("mkfifo", mkfifo("f1", 0600));
	CHECK("mkfifo_is_fifo", stat("f1", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600);
	CHECK_ERR("mkfifo_eexist", mkfifo("f1", 0600), EEXIST);
	CHECK_OK("mknod_fifo", mknod("f2", S_IFIFO | 0644, 0));
	CHECK("mknod_is_fifo", stat("f2", &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_OK("mknodat_fifo", mknodat(AT_FDCWD, "f3", S_IFIFO | 0600, 0));
	unlink("f2");
	unlink("f3");
}

static void test_nonblocking_rules(void)
{
	CHECK_ERR("wronly_nonblock_enxio", open("f1", O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open("f1", O_RDONLY | O_NONBLOCK);
	if (!CHECK_OK("rdonly_nonblock_opens", r))
		return;
	char b;
	CHECK_EQ("read_no_writer_eof", read(r, &b, 1), 0);
	/* No writer has come yet: no POLLHUP, so a reader can poll for the first one. */
	struct pollfd p0 = { r, POLLIN, 0 };
	CHECK_EQ("poll_before_first_writer", poll(&p0, 1, 0), 0);
	int w = open("f1", O_WRONLY | O_NONBLOCK);
	CHECK_OK("wronly_nonblock_with_reader", w);
	CHECK_ERR("read_empty_with_writer_eagain", read(r, &b, 1), EAGAIN);
	CHECK_EQ("fifo_write", write(w, "abc", 3), 3);
	int n = -1;
	CHECK("fifo_fionread", ioctl(r, FIONREAD, &n) == 0 && n == 3);
	CHECK_EQ("fifo_pipe_size", fcntl(w, F_GETPIPE_SZ), 65536);
	struct pollfd p = { r, POLLIN, 0 };
	CHECK("fifo_poll_in", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
	char buf[4] = { 0 };
	CHECK("fifo_read", read(r, buf, 3) == 3 && !memcmp(buf, "abc", 3));
	close(w);
	CHECK_EQ("fifo_eof_after_writer_closes", read(r, &b, 1), 0);
	p.revents = 0;
	CHECK("fifo_pollhup_after_writer_left", poll(&p, 1, 0) == 1 && (p.revents & POLLHUP));
	close(r);
	int rw = open("f1", O_RDWR);
	if (CHECK_OK("rdwr_never_blocks", rw)) {
		CHECK("rdwr_loopback", write(rw, "z", 1) == 1 && read(rw, &b, 1) == 1 && b == 'z');
		close(rw);
	}
}

static void test_blocking_pairs(void)
{
	/* The reader's open blocks until the child opens for writing. */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		int w = open("f1", O_WRONLY);
		if (w < 0)
			_exit(1);
		if (write(w, "hello", 5) != 5)
			_exit(2);
		_exit(0);
	}
	int r = open("f1", O_RDONLY);
	char buf[8] = { 0 };
	CHECK("blocking_reader_paired", r >= 0 && read(r, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	CHECK_CHILD("blocking_writer_child", t_wait(pid));
	char b;
	CHECK_EQ("blocking_pair_eof", read(r, &b, 1), 0);
	close(r);
	/* And a writer's open blocks until a reader comes. */
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		int rr = open("f1", O_RDONLY);
		char c[3];
		_exit(rr >= 0 && read(rr, c, 3) == 3 && !memcmp(c, "xyz", 3) ? 0 : 1);
	}
	int w = open("f1", O_WRONLY);
	CHECK("blocking_writer_paired", w >= 0 && write(w, "xyz", 3) == 3);
	CHECK_CHILD("blocking_reader_child", t_wait(pid));
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR("fifo_epipe_after_reader", write(w, "q", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(w);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_interrupted_open(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigaction(SIGALRM, &sa, &old);
	ualarm(100000, 0);
	CHECK_ERR("blocked_open_eintr", open("f1", O_RDONLY), EINTR);
	sigaction(SIGALRM, &old, NULL);
	/* Nobody is left counted as a reader: a non-blocking writer still finds none. */
	CHECK_ERR("interrupted_open_undone", open("f1", O_WRONLY | O_NONBLOCK), ENXIO);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("fifo", argv);
	test_make();
	test_nonblocking_rules();
	test_blocking_pairs();
	test_interrupted_open();
	unlink("f1");
	return t_done();
}
