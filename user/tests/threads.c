/*
 * threads: clone-based threads through the C library and raw futexes. Create and join, a
 * contended mutex, a condition-variable queue, thread-local storage, thread ids, futex
 * wait/wake semantics (private and across processes), pthread_exit values, exit_group from a
 * thread, a raw clone thread (SETTID/CLEARTID, raw exit), pthread_kill, fork from a thread.
 */
#include "t.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE 128

static long futex(volatile int *uaddr, int op, int val, const struct timespec *tmo)
{
	return syscall(SYS_futex, uaddr, op, val, tmo, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts = { 0, 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- create and join; ids; thread-local storage --- */

static __thread int tls_value = 7;
static __thread char tls_buf[64];

struct info {
	long arg;
	pid_t pid, tid;
	int *tls_addr;
	int tls_initial, tls_ok;
};

static void *worker(void *p)
{
	struct info *in = p;

	in->pid = getpid();
	in->tid = t_gettid();
	in->tls_initial = tls_value;
	in->tls_addr = &tls_value;
	tls_value = (int)in->arg * 100;
	snprintf(tls_buf, sizeof(tls_buf), "thread %ld", in->arg);
	for (int i = 0; i < 100; i++)
		sched_yield();
	char want[64];
	snprintf(want, sizeof(want), "thread %ld", in->arg);
	in->tls_ok = tls_value == (int)in->arg * 100 && !strcmp(tls_buf, want);
	return (void *)(in->arg * 2);
}

static void test_create_join(void)
{
	pthread_t th[8];
	struct info in[8];
	int created = 0, joined_ok = 1, tid_ok = 1, tls_ok = 1, addr_ok = 1;

	tls_value = 1;
	for (int i = 0; i < 8; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].arg = i + 1;
		if (pthread_create(&th[i], NULL, worker, &in[i]) == 0)
			created++;
	}
	CHECK_EQ("create_8", created, 8);
	for (int i = 0; i < created; i++) {
		void *ret = NULL;
		joined_ok &= pthread_join(th[i], &ret) == 0 && ret == (void *)(long)((i + 1) * 2);
	}
	CHECK("join_8_values", created == 8 && joined_ok);
	for (int i = 0; i < created; i++) {
		tid_ok &= in[i].pid == getpid() && in[i].tid != getpid() && in[i].tid > 0;
		for (int j = 0; j < i; j++)
			tid_ok &= in[i].tid != in[j].tid;
		tls_ok &= in[i].tls_initial == 7 && in[i].tls_ok;
		addr_ok &= in[i].tls_addr != &tls_value;
	}
	CHECK("getpid_same_in_threads", created == 8 && tid_ok);
	CHECK_EQ("gettid_main_is_pid", t_gettid(), getpid());
	CHECK("tls_initial_and_own_values", created == 8 && tls_ok);
	CHECK("tls_distinct_addresses", created == 8 && addr_ok);
	CHECK_EQ("tls_main_unchanged", tls_value, 1);
}

/* --- a contended mutex --- */

#define NTHREADS 8
#define INCREMENTS 100000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *incrementer(void *p)
{
	(void)p;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void test_mutex(void)
{
	pthread_t th[NTHREADS];
	int n = 0;

	counter = 0;
	for (int i = 0; i < NTHREADS; i++)
		n += pthread_create(&th[i], NULL, incrementer, NULL) == 0;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ("mutex_counter_8x100000", counter, (long)NTHREADS * INCREMENTS);
}

/* --- condition variables: a bounded queue, 2 producers, 2 consumers --- */

#define QSIZE 16
#define PER_PRODUCER 20000

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	int items[QSIZE];
	int head, count;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0 };

static void put(int v)
{
	pthread_mutex_lock(&q.lock);
	while (q.count == QSIZE)
		pthread_cond_wait(&q.not_full, &q.lock);
	q.items[(q.head + q.count++) % QSIZE] = v;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.lock);
}

static int take(void)
{
	pthread_mutex_lock(&q.lock);
	while (q.count == 0)
		pthread_cond_wait(&q.not_empty, &q.lock);
	int v = q.items[q.head];
	q.head = (q.head + 1) % QSIZE;
	q.count--;
	pthread_cond_signal(&q.not_full);
	pthread_mutex_unlock(&q.lock);
	return v;
}

static void *producer(void *p)
{
	(void)p;
	for (int i = 1; i <= PER_PRODUCER; i++)
		put(i);
	return NULL;
}

struct tally {
	long sum, count;
};

static void *consumer(void *p)
{
	struct tally *t = p;
	int v;

	while ((v = take()) != 0) {
		t->sum += v;
		t->count++;
	}
	return NULL;
}

static void test_condvar(void)
{
	pthread_t prod[2], cons[2];
	struct tally tally[2] = { { 0, 0 }, { 0, 0 } };

	for (int i = 0; i < 2; i++) {
		pthread_create(&cons[i], NULL, consumer, &tally[i]);
		pthread_create(&prod[i], NULL, producer, NULL);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(prod[i], NULL);
	put(0), put(0); /* one end marker per consumer */
	for (int i = 0; i < 2; i++)
		pthread_join(cons[i], NULL);
	long sum = tally[0].sum + tally[1].sum, count = tally[0].count + tally[1].count;
	CHECK_EQ("condvar_count", count, 2L * PER_PRODUCER);
	CHECK_EQ("condvar_sum", sum, 2L * PER_PRODUCER * (PER_PRODUCER + 1) / 2);
	CHECK_EQ("condvar_queue_empty", q.count, 0);
}

/* --- futex --- */

static volatile int fword;

struct waiter {
	pthread_t th;
	long ret;
	int err;
};

static void *futex_waiter(void *p)
{
	struct waiter *w = p;

	errno = 0;
	w->ret = futex(&fword, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL);
	w->err = errno;
	return NULL;
}

static void test_futex(void)
{
	struct timespec tmo = { 0, 100 * 1000 * 1000 };

	fword = 1;
	CHECK_ERR("futex_wait_mismatch_eagain", futex(&fword, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL), EAGAIN);
	double t0 = now_s();
	CHECK_ERR("futex_wait_timeout_etimedout", futex(&fword, FUTEX_WAIT | FUTEX_PRIVATE, 1, &tmo), ETIMEDOUT);
	double waited = now_s() - t0;
	t_check("futex_timeout_waits", waited >= 0.099, "returned after %.3f s", waited);
	CHECK_EQ("futex_wake_nobody", futex(&fword, FUTEX_WAKE | FUTEX_PRIVATE, INT_MAX, NULL), 0);
	volatile int *unaligned = (volatile int *)((char *)&fword + 1);
	CHECK_ERR("futex_unaligned_einval", futex(unaligned, FUTEX_WAIT, 0, NULL), EINVAL);

	/*
	 * Three waiters that wait once each. Waking one at a time until three were woken cannot
	 * race: a waiter that is not waiting yet will be by a later round.
	 */
	struct waiter w[3];
	fword = 0;
	for (int i = 0; i < 3; i++)
		pthread_create(&w[i].th, NULL, futex_waiter, &w[i]);
	long woken = 0, over = 0;
	double start = now_s();
	while (woken < 3 && now_s() - start < 10) {
		long r = futex(&fword, FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL);
		if (r < 0 || r > 1)
			over++;
		woken += r > 0 ? r : 0;
		if (r == 0)
			sched_yield();
	}
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	CHECK("futex_wake_one_at_a_time", woken == 3 && over == 0);
	int ok = 1;
	for (int i = 0; i < 3; i++)
		ok &= w[i].ret == 0;
	CHECK("futex_waiters_return_0", ok);

	/* A shared (not private) futex between two processes on a shared page. */
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!NEED("futex_shared", shared == MAP_FAILED ? -1 : 0))
		return;
	shared[0] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		while (shared[0] == 0)
			futex(&shared[0], FUTEX_WAIT, 0, NULL);
		_exit(shared[0] == 5 ? 0 : 1);
	}
	/* Wake until the child is gone, after setting the word. */
	shared[0] = 5;
	int st;
	long wakes = 0;
	start = now_s();
	while (waitpid(pid, &st, WNOHANG) == 0 && now_s() - start < 10) {
		wakes += futex(&shared[0], FUTEX_WAKE, 1, NULL);
		sched_yield();
	}
	t_check("futex_shared_across_fork", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s", t_status(st));
	munmap((void *)shared, 4096);
}

/* --- ways for a thread to end --- */

static void *exits_with_value(void *p)
{
	(void)p;
	pthread_exit((void *)0x1234);
}

static void *exits_group(void *p)
{
	(void)p;
	exit(5);
}

static int exit_group_child(void)
{
	pthread_t th;

	pthread_create(&th, NULL, exits_group, NULL);
	pthread_join(th, NULL); /* never returns: the other thread's exit() ends this one too */
	return 1;
}

/*
 * A thread made with the raw clone system call, as the C library of old did it: the kernel
 * stores the new tid at ctid (CLONE_PARENT_SETTID), the thread ends with the raw exit system
 * call, and the kernel then clears ctid and wakes a futex waiter there (CLONE_CHILD_CLEARTID).
 * The thread shares the creator's TLS, so its function must not touch errno.
 */
static long raw_clone(int (*fn)(void *), void *arg, char *stack_top, volatile int *ctid)
{
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	register long r12 __asm__("r12") = (long)fn;
	register long r13 __asm__("r13") = (long)arg;
	long ret = SYS_clone;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "movq %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "movl %%eax, %%edi\n\t"
			 "movl %[nr_exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "+a"(ret)
			 : "D"(flags), "S"(stack_top), "d"(ctid), "r"(r10), "r"(r8), "r"(r12), "r"(r13),
			   [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	return ret;
}

static volatile int raw_ran;

static int raw_body(void *arg)
{
	raw_ran = (int)(long)arg;
	return 0;
}

static int raw_clone_child(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	static volatile int ctid;

	long tid = raw_clone(raw_body, (void *)42, stack + sizeof(stack), &ctid);
	if (tid <= 0)
		return 1;
	int v;
	while ((v = ctid) != 0) {
		if (v != tid)
			return 2; /* CLONE_PARENT_SETTID stored something else */
		futex(&ctid, FUTEX_WAIT, v, NULL);
	}
	return raw_ran == 42 ? 0 : 3;
}

static void test_exits(void)
{
	pthread_t th;
	void *ret = NULL;

	pthread_create(&th, NULL, exits_with_value, NULL);
	pthread_join(th, &ret);
	CHECK("pthread_exit_value", ret == (void *)0x1234);

	int st = t_in_child(exit_group_child);
	t_check("exit_group_from_thread", WIFEXITED(st) && WEXITSTATUS(st) == 5, "child %s", t_status(st));
	CHECK_CHILD("raw_clone_settid_cleartid", t_in_child(raw_clone_child));
}

/* --- a signal aimed at one thread; fork from a thread --- */

static volatile pid_t handled_by;

static void on_usr1(int sig)
{
	(void)sig;
	handled_by = t_gettid();
}

static volatile int target_ready, target_stop;
static volatile pid_t target_tid;

static void *target(void *p)
{
	(void)p;
	target_tid = t_gettid();
	target_ready = 1;
	while (!target_stop)
		sched_yield();
	return NULL;
}

static void *forker(void *p)
{
	(void)p;
	pid_t pid = fork();
	if (pid == 0)
		_exit(getpid() == t_gettid() ? 3 : 4); /* the child's only thread is its main one */
	int st = t_wait(pid);
	return (void *)(long)(WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_signal_and_fork(void)
{
	pthread_t th;
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigaction(SIGUSR1, &sa, NULL);
	target_ready = target_stop = 0;
	handled_by = 0;
	pthread_create(&th, NULL, target, NULL);
	while (!target_ready)
		sched_yield();
	pthread_kill(th, SIGUSR1);
	double start = now_s();
	while (!handled_by && now_s() - start < 10)
		sched_yield();
	target_stop = 1;
	pthread_join(th, NULL);
	t_check("pthread_kill_runs_in_target", handled_by == target_tid && handled_by != getpid(),
		"handler ran in %d, target %d", handled_by, target_tid);
	signal(SIGUSR1, SIG_DFL);

	void *ret = NULL;
	pthread_create(&th, NULL, forker, NULL);
	pthread_join(th, &ret);
	CHECK_EQ("fork_from_thread", (long)ret, 3);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("threads", argv);
	test_create_join();
	test_mutex();
	test_condvar();
	test_futex();
	test_exits();
	test_signal_and_fork();
	return t_done();
}
