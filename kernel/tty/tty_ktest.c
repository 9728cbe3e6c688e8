/*
 * In-kernel tests of the TTY core on a terminal of their own (a driver that records output),
 * reached through a real open file: output processing on write, input through the deferred
 * work into the line discipline, poll readiness, O_NONBLOCK, a read that blocks until the
 * input work runs, termios changes, and the device nodes' numbers.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "test/ktest.h"
#include "tty/tty.h"

static char kt_out[256];
static size_t kt_out_len;

static void kt_write(struct tty *t, const char *s, size_t n)
{
	(void)t;
	for (size_t i = 0; i < n && kt_out_len < sizeof(kt_out) - 1; i++)
		kt_out[kt_out_len++] = s[i];
	kt_out[kt_out_len] = 0;
}

static const struct tty_driver kt_driver = { .write = kt_write };
/* kt_tty is set up afresh by each test and only ever fed directly; kt_worker_tty gets input
 * through the deferred work, so it is set up once (the worker may still be finishing with it
 * when a test ends). */
static struct tty kt_tty, kt_worker_tty;

/* An open file of /dev/console turned to a test terminal. */
static struct file *kt_open_on(struct tty *t, unsigned flags)
{
	kt_out_len = 0;
	kt_out[0] = 0;
	struct file *f = NULL;
	if (vfs_open(NULL, "/dev/console", O_RDWR | flags, 0, &f))
		return NULL;
	f->private = t;
	return f;
}

static struct file *kt_open(unsigned flags)
{
	tty_setup(&kt_tty, "ktest-tty", 0, &kt_driver, 24, 80);
	return kt_open_on(&kt_tty, flags);
}

static void kt_close(struct file *f)
{
	f->private = tty_console(); /* its release (if any) must see a real terminal */
	file_put(f);
}

KTEST(tty_write_and_canonical_read)
{
	struct file *f = kt_open(O_NONBLOCK);
	KT_ASSERT(f);
	KT_ASSERT_EQ(vfs_write(f, "a\nb", 3), 3);
	bool onlcr = strcmp(kt_out, "a\r\nb") == 0;
	char buf[16];
	ssize_t empty = vfs_read(f, buf, sizeof(buf));
	unsigned p_empty = vfs_poll(f, NULL);
	kt_out_len = 0;
	tty_input_direct(&kt_tty, "hi", 2);
	unsigned p_half = vfs_poll(f, NULL); /* half a line is not readable in canonical mode */
	tty_input_direct(&kt_tty, "\r", 1);
	unsigned p_line = vfs_poll(f, NULL);
	bool echo = strcmp(kt_out, "hi\r\n") == 0;
	ssize_t n = vfs_read(f, buf, sizeof(buf));
	kt_close(f);
	KT_ASSERT(onlcr);
	KT_ASSERT_EQ(empty, -EAGAIN);
	KT_ASSERT_EQ(p_empty, POLLOUT | POLLWRNORM);
	KT_ASSERT_EQ(p_half, POLLOUT | POLLWRNORM);
	KT_ASSERT_EQ(p_line, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	KT_ASSERT(echo);
	KT_ASSERT_EQ(n, 3);
	KT_ASSERT(memcmp(buf, "hi\n", 3) == 0);
}

/* A blocking read sleeps until the deferred input work has run the line discipline. */
KTEST(tty_blocking_read)
{
	static bool ready;
	if (!ready) {
		tty_setup(&kt_worker_tty, "ktest-worker-tty", 0, &kt_driver, 24, 80);
		ready = true;
	}
	struct file *f = kt_open_on(&kt_worker_tty, 0);
	KT_ASSERT(f);
	tty_receive(&kt_worker_tty, "line\r", 5); /* processed by the worker thread, not here */
	char buf[16];
	ssize_t n = vfs_read(f, buf, sizeof(buf));
	kt_close(f);
	KT_ASSERT_EQ(n, 5);
	KT_ASSERT(memcmp(buf, "line\n", 5) == 0);
}

KTEST(tty_raw_mode_and_eof)
{
	struct file *f = kt_open(O_NONBLOCK);
	KT_ASSERT(f);
	char buf[16];
	tty_input_direct(&kt_tty, "\x04", 1); /* ^D alone: end of file */
	ssize_t eof = vfs_read(f, buf, sizeof(buf));
	struct termios_k t = kt_tty.ld.tio;
	t.c_lflag &= ~(ICANON | ECHO);
	ldisc_set_termios(&kt_tty.ld, &t);
	kt_out_len = 0;
	tty_input_direct(&kt_tty, "xy", 2);
	unsigned p = vfs_poll(f, NULL);
	ssize_t n = vfs_read(f, buf, 1); /* VMIN 1: a byte at a time is enough */
	ssize_t n2 = vfs_read(f, buf + 1, sizeof(buf) - 1);
	size_t echoed = kt_out_len;
	kt_close(f);
	KT_ASSERT_EQ(eof, 0);
	KT_ASSERT(p & POLLIN);
	KT_ASSERT_EQ(n, 1);
	KT_ASSERT_EQ(n2, 1);
	KT_ASSERT(buf[0] == 'x' && buf[1] == 'y');
	KT_ASSERT_EQ(echoed, 0);
}

/* The nodes' numbers are Linux's; /dev/tty without a controlling terminal is ENXIO. */
KTEST(tty_nodes)
{
	struct kstat st;
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/ttyS0", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(4, 64));
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/tty1", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(4, 1));
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/tty", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(5, 0));
	struct file *f = NULL;
	KT_ASSERT_EQ(vfs_open(NULL, "/dev/tty", O_RDWR, 0, &f), -ENXIO); /* a kernel thread has none */
	KT_ASSERT_EQ(vfs_open(NULL, "/dev/ttyS0", O_RDWR | O_NOCTTY, 0, &f), 0);
	KT_ASSERT(f->fop == &tty_fops);
	file_put(f);
}
