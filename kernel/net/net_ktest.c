/*
 * ktests for the socket layer and AF_UNIX through the kernel interfaces, and a leak check:
 * a thousand rounds of socketpairs (with data and a descriptor in flight), pipes and FIFOs
 * must give back every page and every unix_sock.
 */
#include "fs/pipe.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "net/socket.h"
#include "net/unix/unix_internal.h"
#include "sched/sched.h"
#include "test/ktest.h"

/* Runs the collector and waits (up to 2 s) until the live sockets are back to live: a run in
 * the deferred-work thread may be freeing what it found while ours finds nothing. */
static long gc_settle(long live)
{
	unix_gc();
	for (int i = 0; i < 200 && unix_sock_count() != live; i++)
		thread_sleep_ns(10000000);
	return unix_sock_count();
}

static ssize_t ksend(struct file *f, const char *s, size_t n, struct scm_k *scm)
{
	struct socket *sock = sock_from_file(f);
	struct msg_k m = { .buf = (char *)s, .len = n, .scm = scm };
	return sock->ops->sendmsg(sock, &m, MSG_DONTWAIT);
}

static ssize_t krecv(struct file *f, char *buf, size_t n, unsigned flags)
{
	struct socket *sock = sock_from_file(f);
	struct msg_k m = { .buf = buf, .len = n };
	return sock->ops->recvmsg(sock, &m, flags | MSG_DONTWAIT);
}

static int kpair(int type, struct file **a, struct file **b)
{
	int err = sock_create(AF_UNIX, type, 0, 0, a);
	if (err)
		return err;
	err = sock_create(AF_UNIX, type, 0, 0, b);
	if (err) {
		file_put(*a);
		return err;
	}
	struct socket *sa = sock_from_file(*a), *sb = sock_from_file(*b);
	return sa->ops->socketpair(sa, sb);
}

KTEST(unix_pair_kernel)
{
	long live = unix_sock_count();
	struct file *a, *b;
	KT_ASSERT_EQ(kpair(SOCK_STREAM, &a, &b), 0);
	KT_ASSERT_EQ(ksend(a, "hello", 5, NULL), 5);
	char buf[8] = { 0 };
	KT_ASSERT_EQ(krecv(b, buf, 3, MSG_PEEK), 3);
	KT_ASSERT_EQ(krecv(b, buf, sizeof(buf), 0), 5);
	KT_ASSERT(memcmp(buf, "hello", 5) == 0);
	KT_ASSERT_EQ(krecv(b, buf, sizeof(buf), 0), -EAGAIN);
	KT_ASSERT(vfs_poll(a, NULL) & POLLOUT);
	file_put(a);
	KT_ASSERT_EQ(krecv(b, buf, sizeof(buf), 0), 0); /* end of file */
	KT_ASSERT(vfs_poll(b, NULL) & POLLHUP);
	file_put(b);
	KT_ASSERT_EQ(unix_sock_count(), live);
	KT_ASSERT_EQ(sock_create(AF_UNIX, SOCK_RAW, 0, 0, &a), -ESOCKTNOSUPPORT);
	KT_ASSERT_EQ(sock_create(AF_MAX + 3, SOCK_STREAM, 0, 0, &a), -EAFNOSUPPORT);
}

/* One round: every object made, used, and dropped with data still queued. */
static int churn(void)
{
	struct file *a, *b, *c, *d, *r, *w, *fifo;
	int err = kpair(SOCK_STREAM, &a, &b);
	if (err)
		return err;
	err = kpair(SOCK_DGRAM, &c, &d);
	if (err)
		return err;
	err = pipe_create(0, &r, &w);
	if (err)
		return err;
	if (vfs_write(w, "pipe", 4) != 4)
		return -EIO;
	/* The pipe's write end travels in a message nobody receives. */
	struct scm_k scm = { .nfiles = 1 };
	scm.files[0] = file_get(w);
	if (ksend(a, "data", 4, &scm) != 4 || ksend(b, "back", 4, NULL) != 4 || ksend(c, "dg", 2, NULL) != 2)
		return -EIO;
	scm_release(&scm);
	err = vfs_mknod(NULL, "/kt_churn_fifo", S_IFIFO | 0600, 0);
	if (err)
		return err;
	err = vfs_open(NULL, "/kt_churn_fifo", O_RDWR, 0, &fifo);
	if (err)
		return err;
	if (vfs_write(fifo, "fifo", 4) != 4)
		return -EIO;
	file_put(fifo);
	vfs_unlink(NULL, "/kt_churn_fifo");
	file_put(a);
	file_put(b);
	file_put(c);
	file_put(d);
	file_put(r);
	file_put(w);
	return 0;
}

KTEST(ipc_no_leak)
{
	if (vfs_init() != 0) {
		ktest_fail_at(__FILE__, __LINE__, "no root file system");
		return;
	}
	for (int i = 0; i < 20; i++) /* the slab caches grow to their working size first */
		KT_ASSERT_EQ(churn(), 0);
	long live = unix_sock_count();
	uint64_t before = pmm_free_count();
	for (int i = 0; i < 1000; i++)
		KT_ASSERT_EQ(churn(), 0);
	uint64_t after = pmm_free_count();
	KT_ASSERT_EQ(unix_sock_count(), live);
	/* A pipe buffer alone is 16 pages: one leaked object per round would cost thousands of
	 * pages. A few pages may stay in partially used slabs. */
	if (after + 32 < before)
		ktest_fail_at(__FILE__, __LINE__, "%llu pages free before, %llu after 1000 rounds",
			      (unsigned long long)before, (unsigned long long)after);
}

/* A socket pair sent over itself is freed by the collector once its files are dropped, and a
 * chain of 2000 sockets each queued in the previous one is freed without deep recursion. */
KTEST(unix_gc_and_chains)
{
	long live = unix_sock_count();
	struct file *a, *b, *c, *d;
	KT_ASSERT_EQ(kpair(SOCK_STREAM, &a, &b), 0);
	struct scm_k scm = { .nfiles = 2 };
	scm.files[0] = file_get(a);
	scm.files[1] = file_get(b);
	KT_ASSERT_EQ(ksend(a, "x", 1, &scm), 1);
	scm_release(&scm);
	file_put(a);
	file_put(b);
	KT_ASSERT_EQ(kpair(SOCK_STREAM, &c, &d), 0);
	file_put(c);
	file_put(d);
	KT_ASSERT_EQ(gc_settle(live), live); /* releases only schedule the collector */

	struct file *head, *x;
	KT_ASSERT_EQ(kpair(SOCK_STREAM, &x, &head), 0);
	for (int i = 0; i < 2000; i++) {
		struct file *nx, *ny;
		KT_ASSERT_EQ(kpair(SOCK_STREAM, &nx, &ny), 0);
		struct scm_k one = { .nfiles = 1 };
		one.files[0] = ny; /* our reference travels */
		KT_ASSERT_EQ(ksend(x, "c", 1, &one), 1);
		file_put(x);
		x = nx;
	}
	file_put(x);
	file_put(head); /* unwinds the whole chain */
	KT_ASSERT_EQ(gc_settle(live), live);
}
