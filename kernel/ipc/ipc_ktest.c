/*
 * In-kernel tests for System V IPC, called from kernel threads (root, PID 0): message type
 * selection through the real queue, a sleeping receiver woken by a send and another by
 * IPC_RMID (EIDRM), semaphores sleeping and waking, and 1000 create/use/destroy cycles of each
 * object that must give every page back (pmm_free_count).
 */
#include "ipc/ipc_internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"

static void sleep_ms(unsigned ms)
{
	uint64_t end = clock_monotonic_ns() + ms * 1000000ull;
	while (clock_monotonic_ns() < end)
		thread_yield();
}

KTEST(sysvipc_msg_select)
{
	int q = msg_get(IPC_PRIVATE, 0600);
	KT_ASSERT(q >= 0);
	static const long types[] = { 5, 3, 1, 3 };
	for (int i = 0; i < 4; i++) {
		char c = (char)('a' + i);
		KT_ASSERT_EQ(msg_send(q, types[i], &c, 1, IPC_NOWAIT), 0);
	}
	char buf[8];
	long t = 0;
	KT_ASSERT_EQ(msg_receive(q, -4, buf, sizeof(buf), IPC_NOWAIT, &t), 1);
	KT_ASSERT(t == 1 && buf[0] == 'c');
	KT_ASSERT_EQ(msg_receive(q, 5, buf, sizeof(buf), IPC_NOWAIT | MSG_EXCEPT, &t), 1);
	KT_ASSERT(t == 3 && buf[0] == 'b');
	KT_ASSERT_EQ(msg_receive(q, 4, buf, sizeof(buf), IPC_NOWAIT, &t), -ENOMSG);
	KT_ASSERT_EQ(msg_send(q, 2, "long", 4, IPC_NOWAIT), 0);
	KT_ASSERT_EQ(msg_receive(q, 2, buf, 2, IPC_NOWAIT, &t), -E2BIG);
	KT_ASSERT_EQ(msg_receive(q, 2, buf, 2, IPC_NOWAIT | MSG_NOERROR, &t), 2);
	KT_ASSERT_EQ(msg_send(q, 0, "x", 1, IPC_NOWAIT), -EINVAL);
	KT_ASSERT_EQ(msg_ctl(q, IPC_RMID, NULL, NULL), 0);
	KT_ASSERT_EQ(msg_send(q, 1, "x", 1, IPC_NOWAIT), -EINVAL);
	KT_ASSERT_EQ(msg_receive(0x7ffffff0, 0, buf, 1, IPC_NOWAIT, &t), -EINVAL);
}

struct rcv {
	int q;
	ssize_t ret;
	char text[8];
};

static void receiver(void *arg)
{
	struct rcv *r = arg;
	long t;
	r->ret = msg_receive(r->q, 0, r->text, sizeof(r->text), 0, &t);
	thread_exit(0);
}

KTEST(sysvipc_msg_sleep_and_rmid)
{
	int q = msg_get(IPC_PRIVATE, 0600);
	KT_ASSERT(q >= 0);
	struct rcv a = { .q = q, .ret = 1000 }, b = { .q = q, .ret = 1000 };
	struct thread *ta = thread_create("ipc-rcv-a", receiver, &a, NULL);
	KT_ASSERT(ta);
	sleep_ms(20);
	KT_ASSERT_EQ(__atomic_load_n(&a.ret, __ATOMIC_ACQUIRE), 1000); /* asleep: nothing to take */
	KT_ASSERT_EQ(msg_send(q, 1, "hi", 2, 0), 0);
	thread_join(ta);
	KT_ASSERT(a.ret == 2 && !memcmp(a.text, "hi", 2));

	struct thread *tb = thread_create("ipc-rcv-b", receiver, &b, NULL);
	KT_ASSERT(tb);
	sleep_ms(20);
	KT_ASSERT_EQ(msg_ctl(q, IPC_RMID, NULL, NULL), 0);
	thread_join(tb);
	KT_ASSERT_EQ(b.ret, -EIDRM);
}

struct semw {
	int id;
	int ret;
};

static void sem_waiter(void *arg)
{
	struct semw *w = arg;
	struct sembuf_u op = { 0, -2, 0 };
	w->ret = sem_op(w->id, &op, 1, 0);
	thread_exit(0);
}

KTEST(sysvipc_sem_sleep_and_rmid)
{
	int s = sem_get(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	KT_ASSERT(s >= 0);
	struct sembuf_u dec = { 0, -1, IPC_NOWAIT }, inc = { 0, 1, 0 };
	KT_ASSERT_EQ(sem_op(s, &dec, 1, 0), -EAGAIN);
	struct semw w = { s, 1000 };
	struct thread *t = thread_create("ipc-sem", sem_waiter, &w, NULL);
	KT_ASSERT(t);
	int n = 0;
	for (int i = 0; i < 200 && (n = sem_ctl(s, 0, GETNCNT, 0, NULL, NULL, NULL)) != 1; i++)
		sleep_ms(1);
	KT_ASSERT_EQ(n, 1);
	KT_ASSERT_EQ(sem_op(s, &inc, 1, 0), 0);
	sleep_ms(10);
	KT_ASSERT_EQ(__atomic_load_n(&w.ret, __ATOMIC_ACQUIRE), 1000); /* 1 is not 2 */
	KT_ASSERT_EQ(sem_op(s, &inc, 1, 0), 0);
	thread_join(t);
	KT_ASSERT_EQ(w.ret, 0);
	KT_ASSERT_EQ(sem_ctl(s, 0, GETVAL, 0, NULL, NULL, NULL), 0);

	/* A semtimedop-style deadline, then IPC_RMID under a sleeper. */
	KT_ASSERT_EQ(sem_op(s, &dec, 1, clock_monotonic_ns() + 5000000), -EAGAIN);
	dec.sem_flg = 0;
	KT_ASSERT_EQ(sem_op(s, &dec, 1, clock_monotonic_ns() + 5000000), -EAGAIN);
	w.ret = 1000;
	t = thread_create("ipc-sem2", sem_waiter, &w, NULL);
	KT_ASSERT(t);
	for (int i = 0; i < 200 && sem_ctl(s, 0, GETNCNT, 0, NULL, NULL, NULL) != 1; i++)
		sleep_ms(1);
	KT_ASSERT_EQ(sem_ctl(s, 0, IPC_RMID, 0, NULL, NULL, NULL), 0);
	thread_join(t);
	KT_ASSERT_EQ(w.ret, -EIDRM);
}

static int cycle(void)
{
	int q = msg_get(IPC_PRIVATE, 0600);
	if (q < 0 || msg_send(q, 1, "0123456789", 10, 0) || msg_send(q, 2, "abc", 3, 0))
		return 1;
	char buf[16];
	long t;
	if (msg_receive(q, 2, buf, sizeof(buf), 0, &t) != 3 || msg_ctl(q, IPC_RMID, NULL, NULL))
		return 2; /* one message left queued: freed with the queue */
	int s = sem_get(IPC_PRIVATE, 8, IPC_CREAT | 0600);
	struct sembuf_u op = { 3, 2, 0 };
	if (s < 0 || sem_op(s, &op, 1, 0) || sem_ctl(s, 0, IPC_RMID, 0, NULL, NULL, NULL))
		return 3;
	int m = shm_get(IPC_PRIVATE, 5 * 4096, IPC_CREAT | 0600);
	if (m < 0 || shm_ctl(m, IPC_RMID, NULL, NULL))
		return 4;
	return 0;
}

KTEST(sysvipc_no_leak)
{
	for (int i = 0; i < 50; i++) /* the slab caches reach their working size */
		KT_ASSERT_EQ(cycle(), 0);
	uint64_t before = pmm_free_count();
	for (int i = 0; i < 1000; i++)
		KT_ASSERT_EQ(cycle(), 0);
	uint64_t after = pmm_free_count();
	/* A partial slab page or two may change hands; one lost object per cycle would be dozens. */
	KT_ASSERT(after + 4 >= before);
}
