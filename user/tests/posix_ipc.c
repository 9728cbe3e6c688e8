/*
 * posix_ipc: POSIX shared memory (shm_open on /dev/shm, MAP_SHARED across fork and between
 * unrelated processes), named semaphores guarding a shared counter in 4 processes, an unnamed
 * process-shared semaphore, and message queues: attributes, priority order, blocking and
 * timeouts, O_NONBLOCK, mq_getsetattr, mq_unlink, mq_notify with SIGEV_SIGNAL and SIGEV_NONE,
 * the status line a queue's descriptor reads, poll on queue descriptors.
 */
#include "t.h"

#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>

static char shm_name[64], sem_name[64], mq_name[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct timespec abs_in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

/* ---- shared memory ---- */

static int shm_unrelated(const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	if (fd < 0)
		return 1;
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	if (strcmp(p, "from fork child"))
		return 3;
	strcpy(p, "from exec'd process");
	return 0;
}

static void test_shm(void)
{
	int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (!NEED("shm_open", fd))
		return;
	struct stat st;
	CHECK("dev_shm_file", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777);
	CHECK_ERR("shm_open_excl_eexist", shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK_OK("ftruncate", ftruncate(fd, 8192));
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK("mmap_shared", p != MAP_FAILED))
		return;
	CHECK("zero_filled", p[0] == 0 && p[8191] == 0);
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(p, "from fork child");
		_exit(0);
	}
	CHECK_CHILD("fork_child_writes", t_wait(pid));
	CHECK("fork_write_seen", !strcmp(p, "from fork child"));
	if (t_self_ok("shm_unrelated")) {
		pid = fork();
		if (pid == 0) {
			execl(t_self, t_self, "shm-unrelated", shm_name, (char *)NULL);
			_exit(9);
		}
		CHECK_CHILD("unrelated_process", t_wait(pid));
		CHECK("unrelated_write_seen", !strcmp(p, "from exec'd process"));
	}
	/* A second mapping of the same object in this process is the same memory. */
	int fd2 = shm_open(shm_name, O_RDONLY, 0);
	char *q = fd2 >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd2, 0) : MAP_FAILED;
	CHECK("second_mapping_same", q != MAP_FAILED && !strcmp(q, "from exec'd process"));
	CHECK_ERR("rdonly_mapping_mprotect_eacces", mprotect(q, 4096, PROT_READ | PROT_WRITE), EACCES);
	CHECK_OK("shm_unlink", shm_unlink(shm_name));
	CHECK_ERR("shm_open_after_unlink_enoent", shm_open(shm_name, O_RDWR, 0), ENOENT);
	strcpy(p, "after unlink");
	CHECK("mapping_survives_unlink", q != MAP_FAILED && !strcmp(q, "after unlink"));
	munmap(p, 8192);
	if (q != MAP_FAILED)
		munmap(q, 4096);
	close(fd);
	close(fd2);
}

/* ---- semaphores ---- */

#define WORKERS 4
#define ROUNDS 2000

static int counter_worker(void)
{
	sem_t *s = sem_open(sem_name, 0);
	int fd = shm_open(shm_name, O_RDWR, 0);
	if (s == SEM_FAILED || fd < 0)
		return 1;
	volatile long *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		return 2;
	for (int i = 0; i < ROUNDS; i++) {
		if (sem_wait(s))
			return 3;
		long v = *c;
		if ((i & 63) == 0)
			sched_yield(); /* invite a lost update if the lock does not hold */
		*c = v + 1;
		if (sem_post(s))
			return 4;
	}
	return 0;
}

static void test_named_sem(void)
{
	sem_t *s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 1);
	if (!CHECK("sem_open", s != SEM_FAILED))
		return;
	int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (!NEED("counter_shm", fd) || !NEED("counter_size", ftruncate(fd, 4096)))
		return;
	volatile long *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK("counter_map", c != MAP_FAILED))
		return;
	double t0 = now_s();
	pid_t kids[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(counter_worker());
	}
	int ok = 1;
	for (int i = 0; i < WORKERS; i++) {
		int st = t_wait(kids[i]);
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("counter_workers_exit_0", ok);
	CHECK_EQ("counter_exact_total", *c, WORKERS * ROUNDS);
	int v = -1;
	CHECK("sem_value_back_to_1", sem_getvalue(s, &v) == 0 && v == 1);
	t_say("INFO posix_ipc: %d x %d locked increments in %.2f s\n", WORKERS, ROUNDS, now_s() - t0);

	/* sem_timedwait times out; sem_trywait says EAGAIN. */
	sem_wait(s);
	CHECK_ERR("sem_trywait_eagain", sem_trywait(s), EAGAIN);
	struct timespec to = abs_in_ms(100);
	double t1 = now_s();
	CHECK_ERR("sem_timedwait_etimedout", sem_timedwait(s, &to), ETIMEDOUT);
	CHECK("sem_timedwait_waited", now_s() - t1 >= 0.09);
	sem_post(s);
	sem_close(s);
	CHECK_OK("sem_unlink", sem_unlink(sem_name));
	CHECK("sem_open_after_unlink_fails", sem_open(sem_name, 0) == SEM_FAILED && errno == ENOENT);
	munmap((void *)c, 4096);
	close(fd);
	shm_unlink(shm_name);
}

static void test_unnamed_sem(void)
{
	sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK("unnamed_map", s != MAP_FAILED))
		return;
	CHECK_OK("sem_init_pshared", sem_init(s, 1, 0));
	pid_t pid = fork();
	if (pid == 0)
		_exit(sem_wait(s) == 0 ? 0 : 1);
	sleep_ms(100);
	CHECK("unnamed_waiter_blocks", waitpid(pid, NULL, WNOHANG) == 0);
	sem_post(s);
	CHECK_CHILD("unnamed_waiter_woken", t_wait(pid));
	munmap(s, 4096);
}

/* ---- message queues ---- */

static volatile sig_atomic_t usr2_seen;

static void on_usr2(int sig)
{
	(void)sig;
	usr2_seen = 1;
}

static void test_mq_basic(void)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t q = mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (!NEED("mq_open", q))
		return;
	struct mq_attr got;
	if (CHECK_OK("mq_getattr", mq_getattr(q, &got)))
		CHECK("attr_kept", got.mq_maxmsg == 4 && got.mq_msgsize == 64 && got.mq_curmsgs == 0 && got.mq_flags == 0);
	CHECK_ERR("mq_open_excl_eexist", mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr), EEXIST);
	mqd_t q2 = mq_open(mq_name, O_RDONLY);
	CHECK("mq_open_existing", q2 != (mqd_t)-1);

	/* Priority order, FIFO among equals. */
	CHECK_OK("send_p1", mq_send(q, "p1", 2, 1));
	CHECK_OK("send_p5a", mq_send(q, "p5a", 3, 5));
	CHECK_OK("send_p3", mq_send(q, "p3", 2, 3));
	CHECK_OK("send_p5b", mq_send(q, "p5b", 3, 5));
	mq_getattr(q, &got);
	CHECK_EQ("curmsgs_4", got.mq_curmsgs, 4);
	mq_setattr(q, &(struct mq_attr){ .mq_flags = O_NONBLOCK }, NULL);
	CHECK_ERR("full_nonblock_eagain", mq_send(q, "x", 1, 0), EAGAIN);
	mq_setattr(q, &(struct mq_attr){ .mq_flags = 0 }, &got);
	CHECK_EQ("getsetattr_old_flags", got.mq_flags, O_NONBLOCK);
	struct timespec to = abs_in_ms(150);
	double t0 = now_s();
	CHECK_ERR("full_timedsend_etimedout", mq_timedsend(q, "x", 1, 0, &to), ETIMEDOUT);
	CHECK("timedsend_waited", now_s() - t0 >= 0.14);

	char buf[64];
	unsigned prio = 0;
	CHECK_ERR("receive_small_buffer_emsgsize", mq_receive(q, buf, 63, &prio), EMSGSIZE);
	ssize_t n = mq_receive(q2, buf, sizeof(buf), &prio);
	CHECK("order_1_p5a", n == 3 && !memcmp(buf, "p5a", 3) && prio == 5);
	n = mq_receive(q2, buf, sizeof(buf), &prio);
	CHECK("order_2_p5b", n == 3 && !memcmp(buf, "p5b", 3) && prio == 5);
	n = mq_receive(q2, buf, sizeof(buf), &prio);
	CHECK("order_3_p3", n == 2 && !memcmp(buf, "p3", 2) && prio == 3);
	n = mq_receive(q2, buf, sizeof(buf), &prio);
	CHECK("order_4_p1", n == 2 && !memcmp(buf, "p1", 2) && prio == 1);
	to = abs_in_ms(150);
	t0 = now_s();
	CHECK_ERR("empty_timedreceive_etimedout", mq_timedreceive(q, buf, sizeof(buf), &prio, &to), ETIMEDOUT);
	CHECK("timedreceive_waited", now_s() - t0 >= 0.14);
	to.tv_nsec = 1000000000;
	CHECK_ERR("bad_timeout_einval", mq_timedreceive(q, buf, sizeof(buf), &prio, &to), EINVAL);
	static char big[65];
	CHECK_ERR("send_too_long_emsgsize", mq_send(q, big, 65, 0), EMSGSIZE);
	CHECK_ERR("send_prio_too_high_einval", mq_send(q, "x", 1, 32768), EINVAL);
	CHECK_ERR("send_on_rdonly_ebadf", mq_send(q2, "x", 1, 0), EBADF);
	CHECK_ERR("send_on_plain_fd_ebadf", mq_send(0, "x", 1, 0), EBADF);
	mqd_t nb = mq_open(mq_name, O_RDONLY | O_NONBLOCK);
	CHECK_ERR("empty_nonblock_eagain", mq_receive(nb, buf, sizeof(buf), &prio), EAGAIN);
	mq_close(nb);

	/* Blocking receive woken by another process's send. */
	pid_t pid = fork();
	if (pid == 0) {
		char b[64];
		unsigned pr;
		ssize_t k = mq_receive(q2, b, sizeof(b), &pr);
		_exit(k == 5 && !memcmp(b, "wake!", 5) && pr == 7 ? 0 : 1);
	}
	sleep_ms(100);
	CHECK("receiver_blocks", waitpid(pid, NULL, WNOHANG) == 0);
	mq_send(q, "wake!", 5, 7);
	CHECK_CHILD("receiver_woken", t_wait(pid));

	/* A signal with SA_RESTART does not end a sleeping mq_receive (Linux restarts it). */
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_usr2;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR2, &sa, NULL);
		char b[64];
		ssize_t k = mq_receive(q2, b, sizeof(b), NULL);
		_exit(k == 5 && usr2_seen ? 0 : 1);
	}
	sleep_ms(100);
	kill(pid, SIGUSR2);
	sleep_ms(100);
	CHECK("receive_restarted_after_signal", waitpid(pid, NULL, WNOHANG) == 0);
	mq_send(q, "later", 5, 0);
	CHECK_CHILD("receive_restarted_gets_message", t_wait(pid));

	/* poll: writable with room, readable with a message. */
	struct pollfd pf = { .fd = q, .events = POLLIN | POLLOUT };
	CHECK("poll_empty_writable", poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT);
	mq_send(q, "x", 1, 0);
	pf.revents = 0;
	CHECK("poll_readable", poll(&pf, 1, 0) == 1 && pf.revents == (POLLIN | POLLOUT));
	for (int i = 0; i < 3; i++)
		mq_send(q, "y", 1, 0);
	pf.revents = 0;
	CHECK("poll_full_not_writable", poll(&pf, 1, 0) == 1 && pf.revents == POLLIN);
	/* A sleeping poll wakes when another process makes room. */
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		char b[64];
		_exit(mq_receive(q2, b, sizeof(b), NULL) == 1 ? 0 : 1);
	}
	pf.events = POLLOUT;
	pf.revents = 0;
	t0 = now_s();
	CHECK("poll_woken_writable", poll(&pf, 1, 5000) == 1 && pf.revents == POLLOUT && now_s() - t0 >= 0.05);
	CHECK_CHILD("poll_room_maker", t_wait(pid));
	for (int i = 0; i < 3; i++)
		mq_receive(q2, buf, sizeof(buf), &prio);
	mq_getattr(q, &got);
	CHECK_EQ("drained", got.mq_curmsgs, 0);

	/* Names. */
	CHECK_ERR("name_with_slash_eacces", mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
	CHECK_ERR("missing_enoent", mq_open("/ferrite-no-such-queue", O_RDWR), ENOENT);
	struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = 8 };
	CHECK_ERR("bad_attr_einval", mq_open("/ferrite-bad-attr", O_RDWR | O_CREAT, 0600, &bad), EINVAL);
	CHECK_OK("mq_unlink", mq_unlink(mq_name));
	CHECK_ERR("mq_unlink_again_enoent", mq_unlink(mq_name), ENOENT);
	CHECK_ERR("open_after_unlink_enoent", mq_open(mq_name, O_RDWR), ENOENT);
	CHECK_OK("unlinked_queue_still_works", mq_send(q, "z", 1, 0));
	mq_close(q);
	mq_close(q2);
}

static volatile sig_atomic_t notified, notify_code, notify_value, notify_pid;

static void on_notify(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	notified++;
	notify_code = si->si_code;
	notify_value = si->si_value.sival_int;
	notify_pid = si->si_pid;
}

static int read_status(mqd_t q, char *buf, size_t size)
{
	ssize_t n = pread(q, buf, size - 1, 0);
	if (n < 0)
		n = read(q, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return (int)n;
}

static void test_mq_notify(void)
{
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 32 };
	mqd_t q = mq_open(mq_name, O_RDWR | O_CREAT, 0600, &attr);
	if (!NEED("notify_open", q))
		return;
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_notify;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = { 0 };
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 4242;
	CHECK_OK("mq_notify_register", mq_notify(q, &ev));

	char line[128];
	lseek(q, 0, SEEK_SET);
	if (read_status(q, line, sizeof(line)) > 0) {
		char want[128];
		snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 0ul, 0,
			 SIGUSR1, getpid());
		CHECK("status_line_registered", !strcmp(line, want));
	} else {
		CHECK("status_line_registered", 0);
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (mq_notify(q, &ev) != -1 || errno != EBUSY)
			_exit(1);
		_exit(mq_send(q, "hello", 5, 0) == 0 ? 0 : 2);
	}
	CHECK_CHILD("other_process_ebusy_and_sends", t_wait(pid));
	for (int i = 0; i < 100 && !notified; i++)
		sleep_ms(10);
	CHECK_EQ("notify_signal_delivered", notified, 1);
	CHECK_EQ("notify_si_code_mesgq", notify_code, SI_MESGQ);
	CHECK_EQ("notify_si_value", notify_value, 4242);
	CHECK_EQ("notify_si_pid_sender", notify_pid, pid);
	lseek(q, 0, SEEK_SET);
	read_status(q, line, sizeof(line));
	CHECK("status_line_after", !strncmp(line, "QSIZE:5          NOTIFY:0     SIGNO:0     NOTIFY_PID:0", 54));
	/* One-shot: another message into a non-empty queue, and a new one, bring no signal. */
	mq_send(q, "again", 5, 0);
	sleep_ms(50);
	CHECK_EQ("notify_one_shot", notified, 1);

	/* Only when the queue goes from empty to non-empty. */
	char buf[32];
	while (mq_receive(q, buf, sizeof(buf), NULL) > 0) {
		struct mq_attr a;
		mq_getattr(q, &a);
		if (a.mq_curmsgs == 0)
			break;
	}
	CHECK_OK("notify_reregister", mq_notify(q, &ev));
	CHECK_OK("notify_unregister", mq_notify(q, NULL));
	mq_send(q, "x", 1, 0);
	sleep_ms(50);
	CHECK_EQ("unregistered_no_signal", notified, 1);
	mq_receive(q, buf, sizeof(buf), NULL);

	/* SIGEV_NONE: registered (EBUSY for others) but silent. */
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	CHECK_OK("notify_sigev_none", mq_notify(q, &none));
	lseek(q, 0, SEEK_SET);
	read_status(q, line, sizeof(line));
	char want[128];
	snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 0ul, SIGEV_NONE, 0, getpid());
	CHECK("status_line_sigev_none", !strcmp(line, want));
	mq_send(q, "x", 1, 0);
	sleep_ms(50);
	CHECK_EQ("sigev_none_no_signal", notified, 1);

	/* /dev/mqueue shows the queue when mounted (always in Ferrite). */
	struct stat st;
	if (stat("/dev/mqueue", &st) == 0) {
		char path[128];
		snprintf(path, sizeof(path), "/dev/mqueue%s", mq_name);
		int fd = open(path, O_RDONLY);
		int n = fd >= 0 ? (int)read(fd, line, sizeof(line) - 1) : -1;
		line[n > 0 ? n : 0] = 0;
		CHECK("dev_mqueue_file", fd >= 0 && !strncmp(line, "QSIZE:1 ", 8));
		close(fd);
		/* open(2) there makes a queue with the default attributes; unlink(2) removes it. */
		char name2[80];
		snprintf(name2, sizeof(name2), "%s-by-open", mq_name);
		snprintf(path, sizeof(path), "/dev/mqueue%s", name2);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		CHECK("dev_mqueue_open_creates", fd >= 0);
		close(fd);
		mqd_t q2 = mq_open(name2, O_RDWR);
		struct mq_attr a2;
		CHECK("dev_mqueue_default_attr", q2 != (mqd_t)-1 && mq_getattr(q2, &a2) == 0 &&
							 a2.mq_maxmsg == 10 && a2.mq_msgsize == 8192);
		DIR *d = opendir("/dev/mqueue");
		struct dirent *e;
		int seen = 0;
		while (d && (e = readdir(d)))
			seen += !strcmp(e->d_name, name2 + 1);
		if (d)
			closedir(d);
		CHECK_EQ("dev_mqueue_listed", seen, 1);
		/* A second mount of type mqueue shows the same queues. */
		if (mkdir("mq2", 0700) == 0 && mount("none", "mq2", "mqueue", 0, NULL) == 0) {
			char p2[128];
			snprintf(p2, sizeof(p2), "mq2%s", name2);
			CHECK("second_mount_same_queues", access(p2, F_OK) == 0);
			CHECK_OK("second_mount_umount", umount("mq2"));
		} else {
			t_skip("second_mount_same_queues", "cannot mount mqueue here");
		}
		CHECK_OK("dev_mqueue_unlink", unlink(path));
		CHECK_ERR("dev_mqueue_unlinked_gone", mq_open(name2, O_RDWR), ENOENT);
		mq_close(q2);
	} else {
		t_skip("dev_mqueue_file", "/dev/mqueue is not mounted here");
	}
	mq_close(q);
	mq_unlink(mq_name);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "shm-unrelated"))
		return shm_unrelated(argv[2]);
	t_init("posix_ipc", argv);
	snprintf(shm_name, sizeof(shm_name), "/ferrite-test-shm-%d", getpid());
	snprintf(sem_name, sizeof(sem_name), "/ferrite-test-sem-%d", getpid());
	snprintf(mq_name, sizeof(mq_name), "/ferrite-test-mq-%d", getpid());
	test_shm();
	test_named_sem();
	test_unnamed_sem();
	test_mq_basic();
	test_mq_notify();
	return t_done();
}
