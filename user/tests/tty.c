/*
 * tty: terminals through a pseudo-terminal pair (posix_openpt), so that the same checks run on
 * the host Linux (where stdin is not a terminal) and in Ferrite: default termios, canonical
 * reads with erase and kill, echo and ONLCR as the master sees them, EOF, raw mode, poll and
 * O_NONBLOCK, window size, ^C to the foreground group of a session whose controlling terminal
 * the slave is, SIGTTOU for a background writer under TOSTOP, hang-up both ways.
 * Without /dev/ptmx (a container) every check is skipped.
 */
#include "t.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static int master = -1;
static char slave_name[64];

static int open_pair(void)
{
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		return -1;
	if (grantpt(master) || unlockpt(master) || ptsname_r(master, slave_name, sizeof(slave_name)))
		return -1;
	int s = open(slave_name, O_RDWR | O_NOCTTY);
	return s;
}

/* Reads from fd until n bytes came or 2 s passed; returns the count. */
static size_t read_some(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = 0;
	return got;
}

/* Drops whatever the master has to read (echoes of earlier checks). */
static void drain(int fd)
{
	char junk[256];
	struct pollfd p = { fd, POLLIN, 0 };
	while (poll(&p, 1, 50) > 0 && read(fd, junk, sizeof(junk)) > 0)
		;
}

static void test_defaults(int s)
{
	struct termios t;
	CHECK_OK("tcgetattr", tcgetattr(s, &t));
	CHECK("default_lflag", (t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG));
	CHECK("default_oflag", (t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR));
	CHECK("default_iflag_icrnl", t.c_iflag & ICRNL);
	CHECK("default_cc", t.c_cc[VINTR] == 3 && t.c_cc[VERASE] == 0x7f && t.c_cc[VEOF] == 4);
	CHECK("isatty", isatty(s) && isatty(master));
}

static void test_canonical(int s)
{
	char buf[128];
	drain(master);
	CHECK_EQ("master_write", write(master, "hello\r", 6), 6);
	CHECK_EQ("slave_reads_line", read(s, buf, sizeof(buf)), 6);
	CHECK("slave_line_icrnl", memcmp(buf, "hello\n", 6) == 0);
	size_t n = read_some(master, buf, 7);
	CHECK("echo_onlcr", n == 7 && memcmp(buf, "hello\r\n", 7) == 0);

	write(master, "abX\x7f" "c\x15xy\n", 9); /* erase, then kill the line */
	ssize_t r = read(s, buf, sizeof(buf));
	CHECK("erase_kill", r == 3 && memcmp(buf, "xy\n", 3) == 0);
	drain(master);

	write(master, "one\ntwo\n", 8);
	r = read(s, buf, sizeof(buf));
	CHECK("one_line_per_read", r == 4 && memcmp(buf, "one\n", 4) == 0);
	r = read(s, buf, sizeof(buf));
	CHECK("second_line", r == 4 && memcmp(buf, "two\n", 4) == 0);

	write(master, "\x04", 1);
	CHECK_EQ("eof_at_line_start", read(s, buf, sizeof(buf)), 0);
	write(master, "ab\x04", 3);
	r = read(s, buf, sizeof(buf));
	CHECK("eof_after_data", r == 2 && memcmp(buf, "ab", 2) == 0);

	drain(master); /* the echo of "ab" */
	CHECK_EQ("slave_write", write(s, "a\nb", 3), 3);
	n = read_some(master, buf, 4);
	CHECK("slave_output_onlcr", n == 4 && memcmp(buf, "a\r\nb", 4) == 0);
}

static void test_poll_nonblock(int s)
{
	char buf[16];
	drain(master);
	struct pollfd p = { s, POLLIN, 0 };
	write(master, "half", 4); /* no newline: not readable in canonical mode */
	CHECK_EQ("poll_half_line", poll(&p, 1, 100), 0);
	int fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	CHECK_ERR("nonblock_eagain", read(s, buf, sizeof(buf)), EAGAIN);
	write(master, "\n", 1);
	CHECK_EQ("poll_line", poll(&p, 1, 1000), 1);
	CHECK("poll_pollin", p.revents & POLLIN);
	int avail = -1;
	ioctl(s, FIONREAD, &avail);
	CHECK_EQ("fionread", avail, 5);
	CHECK_EQ("nonblock_read_line", read(s, buf, sizeof(buf)), 5);
	fcntl(s, F_SETFL, fl);
	drain(master);
}

static void test_raw(int s)
{
	struct termios old, t;
	tcgetattr(s, &old);
	t = old;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	CHECK_OK("tcsetattr_raw", tcsetattr(s, TCSANOW, &t));
	struct termios back;
	tcgetattr(s, &back);
	CHECK("termios_round_trip", !(back.c_lflag & (ICANON | ECHO)) && back.c_cc[VMIN] == 1);
	char buf[16];
	drain(master);
	write(master, "\x7fq\r", 3);
	ssize_t r = read_some(s, buf, 3);
	CHECK("raw_bytes_as_typed", r == 3 && memcmp(buf, "\x7fq\r", 3) == 0);
	CHECK_EQ("raw_no_echo", read_some(master, buf, 1), 0);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 1; /* 0.1 s */
	tcsetattr(s, TCSANOW, &t);
	CHECK_EQ("vtime_timeout_zero", read(s, buf, sizeof(buf)), 0);
	CHECK_OK("tcsetattr_back", tcsetattr(s, TCSAFLUSH, &old));
}

static void test_winsize(int s)
{
	struct winsize w = { 33, 101, 0, 0 }, got = { 0, 0, 0, 0 };
	CHECK_OK("tiocswinsz", ioctl(master, TIOCSWINSZ, &w));
	CHECK_OK("tiocgwinsz", ioctl(s, TIOCGWINSZ, &got));
	CHECK("winsize_round_trip", got.ws_row == 33 && got.ws_col == 101);
}

/* A child session with the slave as controlling terminal; ^C from the master kills it. */
static int child_session(void)
{
	if (setsid() < 0)
		return 1;
	int fd = open(slave_name, O_RDWR); /* a session leader acquires it */
	if (fd < 0)
		return 2;
	if (tcgetpgrp(fd) != getpid())
		return 3;
	if (tcgetsid(fd) != getpid())
		return 4;
	int tfd = open("/dev/tty", O_RDWR);
	if (tfd < 0)
		return 5;
	char c;
	write(fd, "R", 1); /* ready */
	read(fd, &c, 1);   /* blocks until the signal */
	return 6;
}

static void test_signals(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_session());
	char c = 0;
	read_some(master, &c, 1);
	CHECK("session_ready", c == 'R');
	usleep(100 * 1000);
	write(master, "\x03", 1);
	int st = t_wait(pid);
	t_check("ctrl_c_sigint", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "child %s",
		t_status(st));
	drain(master);
}

/* Background writer under TOSTOP: stopped by SIGTTOU; the leader sees it stopped. */
static int child_tostop(void)
{
	if (setsid() < 0)
		return 1;
	int fd = open(slave_name, O_RDWR);
	if (fd < 0)
		return 2;
	struct termios t;
	tcgetattr(fd, &t);
	t.c_lflag |= TOSTOP;
	tcsetattr(fd, TCSANOW, &t);
	pid_t bg = fork();
	if (bg == 0) {
		setpgid(0, 0); /* a background group of the session */
		write(fd, "x", 1);
		_exit(0);
	}
	setpgid(bg, bg);
	int st;
	if (waitpid(bg, &st, WUNTRACED) != bg)
		return 3;
	int ok = WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU;
	kill(bg, SIGKILL);
	waitpid(bg, &st, 0);
	return ok ? 0 : 4;
}

/* A background reader in an orphaned group (its only member's parent is gone): EIO, not a
 * stop nobody could end. */
static int child_orphan(void)
{
	if (setsid() < 0)
		return 1;
	int fd = open(slave_name, O_RDWR);
	if (fd < 0)
		return 2;
	int pfd[2];
	if (pipe(pfd))
		return 3;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		if (fork() == 0) {
			usleep(200 * 1000); /* until the middle process is gone */
			char ch;
			int r = (int)read(fd, &ch, 1);
			int e = r < 0 ? errno : 0;
			write(pfd[1], &e, sizeof(e));
			_exit(0);
		}
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	close(pfd[1]);
	int e = -1;
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		return 4;
	return e == EIO ? 0 : 5;
}

/* POSIX: a process group that an exit orphans and that has a stopped member gets SIGHUP and
 * SIGCONT. A new session makes sure the re-parented child lands outside it. */
static int child_orphan_stopped(void)
{
	int pfd[2];
	if (pipe(pfd))
		return 1;
	pid_t m = fork();
	if (m == 0) {
		setsid();
		pid_t s = fork();
		if (s == 0) {
			close(pfd[0]);
			setpgid(0, 0);
			raise(SIGSTOP);
			_exit(0); /* SIGHUP's default action ends it first */
		}
		setpgid(s, s);
		int st;
		waitpid(s, &st, WUNTRACED); /* stopped: now leave, orphaning its group */
		_exit(WIFSTOPPED(st) ? 0 : 1);
	}
	close(pfd[1]);
	int st;
	waitpid(m, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 2;
	struct pollfd p = { pfd[0], POLLIN, 0 };
	if (poll(&p, 1, 3000) != 1)
		return 3; /* still stopped: the write end never closed */
	char c;
	return read(pfd[0], &c, 1) == 0 ? 0 : 4;
}

static void test_hangup(int s)
{
	char buf[8];
	/* The slave closed: the master reads EIO once drained (Linux). */
	close(s);
	drain(master);
	CHECK_ERR("master_eio_after_slave_close", read(master, buf, sizeof(buf)), EIO);
	close(master);
	/* The master closed: the slave sees end of file and cannot write. */
	s = open_pair();
	if (s < 0) {
		t_check("reopen_pair", 0, "%s", strerror(errno));
		return;
	}
	close(master);
	CHECK_EQ("slave_eof_after_hangup", read(s, buf, sizeof(buf)), 0);
	CHECK_ERR("slave_write_eio_after_hangup", write(s, "x", 1), EIO);
	close(s);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("tty", argv);
	int s = open_pair();
	if (s < 0) {
		t_skip("all", "no pseudo-terminals here (posix_openpt or the slave failed)");
		return t_done();
	}
	CHECK("ptsname", strncmp(slave_name, "/dev/pts/", 9) == 0);
	test_defaults(s);
	test_canonical(s);
	test_poll_nonblock(s);
	test_raw(s);
	test_winsize(s);
	test_signals();
	CHECK_CHILD("tostop_sigttou", t_in_child(child_tostop));
	CHECK_CHILD("orphaned_read_eio", t_in_child(child_orphan));
	CHECK_CHILD("orphaned_stopped_group_hup", t_in_child(child_orphan_stopped));
	test_hangup(s);
	return t_done();
}
