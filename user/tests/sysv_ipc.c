/*
 * sysv_ipc: System V message queues, semaphore sets and shared memory. Keys from ftok,
 * IPC_CREAT|IPC_EXCL, msgrcv's type selection (positive, negative, MSG_EXCEPT), E2BIG and
 * MSG_NOERROR, IPC_NOWAIT, sleeping senders and receivers woken, IPC_RMID under a sleeper
 * (EIDRM), 8 processes x 10 000 messages through one queue, semop's all-or-nothing rule,
 * GETNCNT/GETZCNT, semtimedop's timeout, SEM_UNDO at exit and its reset by SETVAL, segments
 * inherited by fork and dropped by exec and exit, IPC_RMID of an attached segment, permission
 * checks for an unprivileged process, /proc/sysvipc lines.
 */
#include "t.h"

#include <stdint.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sched.h>
#include <time.h>

#ifndef MSG_COPY
#define MSG_COPY 040000 /* Linux's; musl does not name it */
#endif

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct tmsg {
	long type;
	char text[256];
};

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

static int send_text(int q, long type, const char *s)
{
	struct tmsg m = { .type = type };

	strncpy(m.text, s, sizeof(m.text) - 1);
	return msgsnd(q, &m, strlen(s), IPC_NOWAIT);
}

/* ---- message queues ---- */

static void test_msg_keys(void)
{
	int fd = open("keyfile", O_CREAT | O_WRONLY, 0600);

	close(fd);
	key_t k = ftok("keyfile", 'Q');
	if (!CHECK("ftok", k != -1))
		return;
	int q = msgget(k, IPC_CREAT | IPC_EXCL | 0600);
	if (!NEED("msgget_create", q))
		return;
	CHECK_EQ("msgget_same_key_same_id", msgget(k, 0600), q);
	CHECK_EQ("msgget_creat_existing", msgget(k, IPC_CREAT | 0600), q);
	CHECK_ERR("msgget_excl_eexist", msgget(k, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_ERR("msgget_missing_enoent", msgget(ftok("keyfile", 'R'), 0600), ENOENT);
	int p = msgget(IPC_PRIVATE, 0600);
	CHECK("ipc_private_new_each_time", p >= 0 && p != q && msgget(IPC_PRIVATE, 0600) != p);
	struct msqid_ds ds;
	if (CHECK_OK("msgctl_stat", msgctl(q, IPC_STAT, &ds))) {
		CHECK_EQ("stat_key", ds.msg_perm.__key, k);
		CHECK_EQ("stat_mode", ds.msg_perm.mode & 0777, 0600);
		CHECK_EQ("stat_uid", ds.msg_perm.uid, geteuid());
		CHECK_EQ("stat_qbytes_msgmnb", ds.msg_qbytes, 16384);
		CHECK_EQ("stat_qnum_empty", ds.msg_qnum, 0);
	}
	CHECK_OK("msgctl_rmid", msgctl(q, IPC_RMID, NULL));
	CHECK_ERR("removed_id_einval", msgctl(q, IPC_STAT, &ds), EINVAL);
	CHECK_ERR("removed_key_enoent", msgget(k, 0600), ENOENT);
	msgctl(p, IPC_RMID, NULL);
	CHECK_ERR("rmid_bad_id_einval", msgctl(0x7ffffff0, IPC_RMID, NULL), EINVAL);
}

static void test_msg_types(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	struct tmsg m;

	if (!NEED("types", q))
		return;
	/* Queue: (5,"a") (3,"b") (1,"c") (3,"d") (7,"e") (2,"f") */
	const long types[] = { 5, 3, 1, 3, 7, 2 };
	const char *texts[] = { "a", "b", "c", "d", "e", "f" };
	for (int i = 0; i < 6; i++)
		send_text(q, types[i], texts[i]);
	struct msqid_ds ds;
	msgctl(q, IPC_STAT, &ds);
	CHECK("stat_counts", ds.msg_qnum == 6 && ds.msg_cbytes == 6 && ds.msg_lspid == getpid());
	memset(&m, 0, sizeof(m));
	ssize_t n = msgrcv(q, &m, sizeof(m.text), 3, IPC_NOWAIT);
	CHECK("type_positive_first_of_type", n == 1 && m.type == 3 && m.text[0] == 'b');
	n = msgrcv(q, &m, sizeof(m.text), -4, IPC_NOWAIT);
	CHECK("type_negative_lowest", n == 1 && m.type == 1 && m.text[0] == 'c');
	n = msgrcv(q, &m, sizeof(m.text), -4, IPC_NOWAIT);
	CHECK("type_negative_next_lowest", n == 1 && m.type == 2 && m.text[0] == 'f');
	n = msgrcv(q, &m, sizeof(m.text), 5, IPC_NOWAIT | MSG_EXCEPT);
	CHECK("msg_except_first_other", n == 1 && m.type == 3 && m.text[0] == 'd');
	CHECK_ERR("type_absent_enomsg", msgrcv(q, &m, sizeof(m.text), 4, IPC_NOWAIT), ENOMSG);
	CHECK_ERR("type_negative_none_enomsg", msgrcv(q, &m, sizeof(m.text), -4, IPC_NOWAIT), ENOMSG);
	/* MSG_COPY: a copy of the message at an index, left queued ('a' 'd' 'e' remain). */
	memset(&m, 0, sizeof(m));
	n = msgrcv(q, &m, sizeof(m.text), 1, IPC_NOWAIT | MSG_COPY);
	if (n == -1 && errno == ENOSYS) {
		t_skip("msg_copy", "MSG_COPY needs CONFIG_CHECKPOINT_RESTORE");
	} else {
		CHECK("msg_copy_index_1", n == 1 && m.type == 7 && m.text[0] == 'e');
		CHECK_ERR("msg_copy_past_end_enomsg", msgrcv(q, &m, sizeof(m.text), 3, IPC_NOWAIT | MSG_COPY), ENOMSG);
		CHECK_ERR("msg_copy_needs_nowait_einval", msgrcv(q, &m, sizeof(m.text), 0, MSG_COPY), EINVAL);
	}
	msgctl(q, IPC_STAT, &ds);
	CHECK_EQ("msg_copy_leaves_queue", ds.msg_qnum, 2);
	n = msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT);
	CHECK("type_zero_first", n == 1 && m.type == 5 && m.text[0] == 'a');
	n = msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT);
	CHECK("type_zero_last", n == 1 && m.type == 7 && m.text[0] == 'e');
	msgctl(q, IPC_STAT, &ds);
	CHECK("stat_after_receive", ds.msg_qnum == 0 && ds.msg_cbytes == 0 && ds.msg_lrpid == getpid());

	/* Sizes. */
	send_text(q, 9, "0123456789abcdef");
	CHECK_ERR("e2big", msgrcv(q, &m, 4, 0, IPC_NOWAIT), E2BIG);
	msgctl(q, IPC_STAT, &ds);
	CHECK_EQ("e2big_message_stays", ds.msg_qnum, 1);
	memset(&m, 0, sizeof(m));
	n = msgrcv(q, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR);
	CHECK("msg_noerror_truncates", n == 4 && !memcmp(m.text, "0123", 4) && m.text[4] == 0);
	msgctl(q, IPC_STAT, &ds);
	CHECK_EQ("msg_noerror_consumed", ds.msg_qnum, 0);
	m.type = 0;
	CHECK_ERR("mtype_zero_einval", msgsnd(q, &m, 1, IPC_NOWAIT), EINVAL);
	m.type = 1;
	CHECK_ERR("msgsz_negative_einval", msgsnd(q, &m, (size_t)-1, IPC_NOWAIT), EINVAL);
	static struct { long type; char text[8193]; } big = { .type = 1 };
	CHECK_ERR("msgsz_over_msgmax_einval", msgsnd(q, &big, 8193, IPC_NOWAIT), EINVAL);
	CHECK_OK("msgsz_msgmax_ok", msgsnd(q, &big, 8192, IPC_NOWAIT));
	CHECK_ERR("msgsnd_efault", msgsnd(q, (void *)8, 4, IPC_NOWAIT), EFAULT);
	msgrcv(q, &big, 8192, 0, IPC_NOWAIT);

	/* A full queue: qbytes lowered to 20. */
	msgctl(q, IPC_STAT, &ds);
	ds.msg_qbytes = 20;
	CHECK_OK("ipc_set_qbytes", msgctl(q, IPC_SET, &ds));
	CHECK_OK("fill_1", send_text(q, 1, "0123456789"));
	CHECK_OK("fill_2", send_text(q, 1, "0123456789"));
	CHECK_ERR("full_eagain", send_text(q, 1, "x"), EAGAIN);
	msgctl(q, IPC_RMID, NULL);
}

static int msg_wake_child(int q, long type, const char *want)
{
	struct tmsg m;

	memset(&m, 0, sizeof(m));
	ssize_t n = msgrcv(q, &m, sizeof(m.text), type, 0);
	if (n != (ssize_t)strlen(want))
		return 2;
	return memcmp(m.text, want, n) ? 3 : 0;
}

static void test_msg_blocking(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	if (!NEED("blocking", q))
		return;

	/* A receiver of type 2 sleeps through a type 1 message and wakes for the type 2. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(msg_wake_child(q, 2, "two"));
	sleep_ms(100);
	send_text(q, 1, "one");
	sleep_ms(50);
	CHECK("receiver_still_waiting", waitpid(pid, NULL, WNOHANG) == 0);
	send_text(q, 2, "two");
	CHECK_CHILD("receiver_woken_by_its_type", t_wait(pid));
	struct tmsg m;
	CHECK_EQ("other_type_left", msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT), 3);

	/* A sender blocked on a full queue wakes when a receive makes room. */
	struct msqid_ds ds;
	msgctl(q, IPC_STAT, &ds);
	ds.msg_qbytes = 8;
	msgctl(q, IPC_SET, &ds);
	send_text(q, 1, "12345678");
	pid = fork();
	if (pid == 0) {
		struct tmsg s = { .type = 1, .text = "abc" };
		_exit(msgsnd(q, &s, 3, 0) == 0 ? 0 : 1);
	}
	sleep_ms(100);
	CHECK("sender_waits_when_full", waitpid(pid, NULL, WNOHANG) == 0);
	CHECK_EQ("receive_makes_room", msgrcv(q, &m, sizeof(m.text), 0, 0), 8);
	CHECK_CHILD("sender_woken", t_wait(pid));
	CHECK_EQ("sent_after_wake", msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT), 3);

	/* IPC_RMID wakes a sleeping receiver and a sleeping sender with EIDRM. */
	pid_t rcv = fork();
	if (rcv == 0)
		_exit(msgrcv(q, &m, sizeof(m.text), 0, 0) == -1 && errno == EIDRM ? 0 : 1);
	pid_t snd = fork();
	if (snd == 0) {
		struct tmsg s = { .type = 1, .text = "123456789" }; /* 9 > qbytes: waits forever */
		_exit(msgsnd(q, &s, 9, 0) == -1 && errno == EIDRM ? 0 : 1);
	}
	sleep_ms(150);
	CHECK_OK("rmid_with_sleepers", msgctl(q, IPC_RMID, NULL));
	int rs = t_wait(rcv), ss = t_wait(snd);
	CHECK_CHILD("rmid_receiver_eidrm", rs);
	CHECK_CHILD("rmid_sender_eidrm", ss);
}

/* Signals: msgrcv and semop end with EINTR even under SA_RESTART (Linux never restarts them). */
static void on_usr1(int sig)
{
	(void)sig;
}

static int eintr_child(int q, int s, int which)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	struct tmsg m;
	struct sembuf b = { 0, -1, 0 };
	int r = which == 0 ? (int)msgrcv(q, &m, sizeof(m.text), 0, 0) : semop(s, &b, 1);
	return r == -1 && errno == EINTR ? 0 : 1;
}

static void test_signals(void)
{
	int q = msgget(IPC_PRIVATE, 0600), s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (!NEED("signals", q) || !NEED("signals", s))
		return;
	for (int which = 0; which < 2; which++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(eintr_child(q, s, which));
		sleep_ms(100);
		kill(pid, SIGUSR1);
		CHECK_CHILD(which == 0 ? "msgrcv_eintr_despite_sa_restart" : "semop_eintr_despite_sa_restart",
			    t_wait(pid));
	}
	msgctl(q, IPC_RMID, NULL);
	semctl(s, 0, IPC_RMID);
}

/* Each child sends N messages of its own type with an increasing sequence number. */
#define SENDERS 8
#define PER_SENDER 10000

struct seqmsg {
	long type;
	uint32_t seq;
	uint32_t check;
};

static void test_msg_many(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	if (!NEED("many", q))
		return;
	double t0 = now_s();
	pid_t kids[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (uint32_t s = 0; s < PER_SENDER; s++) {
				struct seqmsg m = { .type = i + 1, .seq = s, .check = s * 2654435761u + i };
				while (msgsnd(q, &m, sizeof(m) - sizeof(long), 0) < 0)
					if (errno != EINTR)
						_exit(1);
			}
			_exit(0);
		}
	}
	uint32_t next[SENDERS] = { 0 };
	uint64_t total = 0, sum = 0;
	int bad = 0;
	for (int k = 0; k < SENDERS * PER_SENDER; k++) {
		struct seqmsg m;
		if (msgrcv(q, &m, sizeof(m) - sizeof(long), 0, 0) != sizeof(m) - sizeof(long)) {
			if (errno == EINTR) {
				k--;
				continue;
			}
			bad++;
			break;
		}
		int i = (int)m.type - 1;
		if (i < 0 || i >= SENDERS || m.seq != next[i] || m.check != m.seq * 2654435761u + i) {
			bad++;
			continue;
		}
		next[i]++;
		total++;
		sum += m.seq;
	}
	int kids_ok = 1;
	for (int i = 0; i < SENDERS; i++) {
		int st = t_wait(kids[i]);
		kids_ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("many_senders_exit_0", kids_ok);
	CHECK_EQ("many_bad_messages", bad, 0);
	CHECK_EQ("many_total", total, SENDERS * PER_SENDER);
	CHECK_EQ("many_sum", sum, (uint64_t)SENDERS * PER_SENDER * (PER_SENDER - 1) / 2);
	int all = 1;
	for (int i = 0; i < SENDERS; i++)
		all &= next[i] == PER_SENDER;
	CHECK("many_each_sender_in_order", all);
	struct msqid_ds ds;
	msgctl(q, IPC_STAT, &ds);
	CHECK_EQ("many_queue_empty", ds.msg_qnum, 0);
	msgctl(q, IPC_RMID, NULL);
	t_say("INFO sysv_ipc: 8 x 10000 messages in %.2f s\n", now_s() - t0);
}

/* ---- semaphores ---- */

static int semop1(int s, int num, int op, int flg)
{
	struct sembuf b = { (unsigned short)num, (short)op, (short)flg };

	return semop(s, &b, 1);
}

static void test_sem_basic(void)
{
	int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	if (!NEED("sem_basic", s))
		return;
	union semun a;
	unsigned short vals[3] = { 1, 2, 3 }, got[3] = { 0 };
	CHECK_EQ("initial_zero", semctl(s, 1, GETVAL), 0);
	a.array = vals;
	CHECK_OK("setall", semctl(s, 0, SETALL, a));
	a.array = got;
	CHECK("getall", semctl(s, 0, GETALL, a) == 0 && got[0] == 1 && got[1] == 2 && got[2] == 3);
	a.val = 7;
	CHECK_OK("setval", semctl(s, 2, SETVAL, a));
	CHECK_EQ("getval", semctl(s, 2, GETVAL), 7);
	a.val = 32768;
	CHECK_ERR("setval_erange", semctl(s, 2, SETVAL, a), ERANGE);
	a.val = -1;
	CHECK_ERR("setval_negative_erange", semctl(s, 2, SETVAL, a), ERANGE);
	CHECK_ERR("getval_bad_num_einval", semctl(s, 3, GETVAL), EINVAL);
	struct semid_ds ds;
	a.buf = &ds;
	CHECK("ipc_stat_nsems", semctl(s, 0, IPC_STAT, a) == 0 && ds.sem_nsems == 3 &&
				   (ds.sem_perm.mode & 0777) == 0600);

	/* All or nothing: the second operation cannot proceed, so the first is undone. */
	struct sembuf two[2] = { { 0, -1, 0 }, { 1, -5, IPC_NOWAIT } };
	CHECK_ERR("semop_would_block_eagain", semop(s, two, 2), EAGAIN);
	CHECK_EQ("semop_all_or_nothing", semctl(s, 0, GETVAL), 1);
	two[1].sem_op = -2;
	CHECK_OK("semop_two_ops", semop(s, two, 2));
	CHECK("semop_applied", semctl(s, 0, GETVAL) == 0 && semctl(s, 1, GETVAL) == 0);
	CHECK_EQ("getpid", semctl(s, 1, GETPID), getpid());
	CHECK_ERR("semop_efbig", semop1(s, 3, 1, 0), EFBIG);
	a.val = 32767;
	semctl(s, 0, SETVAL, a);
	CHECK_ERR("semop_over_semvmx_erange", semop1(s, 0, 1, 0), ERANGE);
	CHECK_OK("wait_for_zero_when_zero", semop1(s, 1, 0, 0));
	CHECK_ERR("wait_for_zero_nowait", semop1(s, 0, 0, IPC_NOWAIT), EAGAIN);
	static struct sembuf many[501];
	CHECK_ERR("semop_e2big", semop(s, many, 501), E2BIG);
	CHECK_ERR("semop_nsops_zero_einval", semop(s, many, 0), EINVAL);
	CHECK_ERR("semget_nsems_zero_create_einval", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERR("semget_nsems_too_many_einval", semget(IPC_PRIVATE, 32001, IPC_CREAT | 0600), EINVAL);
	semctl(s, 0, IPC_RMID);
}

static void test_sem_blocking(void)
{
	int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (!NEED("sem_blocking", s))
		return;
	pid_t pid = fork();
	if (pid == 0)
		_exit(semop1(s, 0, -2, 0) == 0 ? 0 : 1);
	int n = 0;
	for (int i = 0; i < 200 && (n = semctl(s, 0, GETNCNT)) != 1; i++)
		sleep_ms(10);
	CHECK_EQ("getncnt_sleeper", n, 1);
	semop1(s, 0, 1, 0);
	sleep_ms(50);
	CHECK("one_is_not_enough", waitpid(pid, NULL, WNOHANG) == 0);
	semop1(s, 0, 1, 0);
	CHECK_CHILD("woken_when_enough", t_wait(pid));
	CHECK_EQ("decremented_by_sleeper", semctl(s, 0, GETVAL), 0);
	CHECK_EQ("getncnt_after", semctl(s, 0, GETNCNT), 0);

	/* Waiting for zero. */
	semop1(s, 1, 3, 0);
	pid = fork();
	if (pid == 0)
		_exit(semop1(s, 1, 0, 0) == 0 ? 0 : 1);
	for (int i = 0; i < 200 && (n = semctl(s, 1, GETZCNT)) != 1; i++)
		sleep_ms(10);
	CHECK_EQ("getzcnt_sleeper", n, 1);
	semop1(s, 1, -3, 0);
	CHECK_CHILD("zero_waiter_woken", t_wait(pid));

	/* semtimedop: EAGAIN after the timeout. */
	struct sembuf b = { 0, -1, 0 };
	struct timespec to = { 0, 200000000 };
	double t0 = now_s();
	errno = 0;
	int r = semtimedop(s, &b, 1, &to);
	double dt = now_s() - t0;
	CHECK("semtimedop_timeout_eagain", r == -1 && errno == EAGAIN);
	CHECK("semtimedop_waited", dt >= 0.19 && dt < 5);
	to.tv_nsec = 1000000000;
	CHECK_ERR("semtimedop_bad_timeout_einval", semtimedop(s, &b, 1, &to), EINVAL);

	/* IPC_RMID wakes sleepers with EIDRM. */
	pid = fork();
	if (pid == 0)
		_exit(semop1(s, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	for (int i = 0; i < 200 && semctl(s, 0, GETNCNT) != 1; i++)
		sleep_ms(10);
	CHECK_OK("rmid_with_sleeper", semctl(s, 0, IPC_RMID));
	CHECK_CHILD("rmid_sleeper_eidrm", t_wait(pid));
}

static void test_sem_undo(void)
{
	int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (!NEED("sem_undo", s))
		return;
	union semun a = { .val = 5 };
	semctl(s, 0, SETVAL, a);

	/* A child takes 2 with SEM_UNDO and exits: they come back. */
	pid_t pid = fork();
	if (pid == 0) {
		if (semop1(s, 0, -2, SEM_UNDO) || semctl(s, 0, GETVAL) != 3)
			_exit(1);
		_exit(0);
	}
	CHECK_CHILD("undo_child", t_wait(pid));
	CHECK_EQ("undo_restores_at_exit", semctl(s, 0, GETVAL), 5);

	/* A child adds 4 with SEM_UNDO, several times: all removed at exit. */
	pid = fork();
	if (pid == 0)
		_exit(semop1(s, 1, 1, SEM_UNDO) || semop1(s, 1, 3, SEM_UNDO) ? 1 : 0);
	CHECK_CHILD("undo_child_add", t_wait(pid));
	CHECK_EQ("undo_sums_adjustments", semctl(s, 1, GETVAL), 0);

	/* Killed by a signal: still undone. */
	int p[2];
	if (pipe(p) == 0) {
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			semop1(s, 0, -5, SEM_UNDO);
			write(p[1], "x", 1);
			pause();
			_exit(0);
		}
		close(p[1]);
		char c;
		read(p[0], &c, 1);
		close(p[0]);
		CHECK_EQ("undo_taken_before_kill", semctl(s, 0, GETVAL), 0);
		kill(pid, SIGKILL);
		t_wait(pid);
		CHECK_EQ("undo_after_sigkill", semctl(s, 0, GETVAL), 5);
	}

	/* SETVAL clears the adjustments: the value the parent set stays. */
	if (pipe(p) == 0) {
		int back[2];
		if (pipe(back) == 0) {
			pid = fork();
			if (pid == 0) {
				char c;
				close(p[0]);
				close(back[1]);
				semop1(s, 0, -1, SEM_UNDO);
				write(p[1], "x", 1);
				read(back[0], &c, 1); /* the parent did SETVAL */
				_exit(0);
			}
			close(p[1]);
			close(back[0]);
			char c;
			read(p[0], &c, 1);
			a.val = 10;
			semctl(s, 0, SETVAL, a);
			write(back[1], "x", 1);
			CHECK_CHILD("setval_child", t_wait(pid));
			CHECK_EQ("setval_clears_undo", semctl(s, 0, GETVAL), 10);
			close(back[1]);
		}
		close(p[0]);
	}

	/* The set removed before the process exits: its adjustments are dropped quietly. */
	pid = fork();
	if (pid == 0) {
		int t = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (semop1(t, 0, 1, SEM_UNDO) || semctl(t, 0, IPC_RMID))
			_exit(1);
		_exit(0);
	}
	CHECK_CHILD("undo_for_removed_set", t_wait(pid));
	semctl(s, 0, IPC_RMID);
}

/* ---- shared memory ---- */

static void test_shm_basic(void)
{
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	if (!NEED("shm_basic", id))
		return;
	char *a = shmat(id, NULL, 0);
	if (!CHECK("shmat", a != (void *)-1))
		return;
	CHECK("zero_filled", a[0] == 0 && a[9999] == 0);
	strcpy(a, "parent");
	struct shmid_ds ds;
	if (CHECK_OK("shm_stat", shmctl(id, IPC_STAT, &ds))) {
		CHECK_EQ("segsz", ds.shm_segsz, 10000);
		CHECK_EQ("nattch_1", ds.shm_nattch, 1);
		CHECK_EQ("cpid", ds.shm_cpid, getpid());
	}
	char *b = shmat(id, NULL, SHM_RDONLY);
	CHECK("second_attach_same_memory", b != (void *)-1 && !strcmp(b, "parent"));
	shmctl(id, IPC_STAT, &ds);
	CHECK_EQ("nattch_2", ds.shm_nattch, 2);
	siginfo_t si;
	CHECK_EQ("rdonly_write_segv", t_fault(t_write_byte, b, &si), SIGSEGV);
	CHECK_ERR("rdonly_mprotect_write_eacces", mprotect(b, 4096, PROT_READ | PROT_WRITE), EACCES);
	CHECK_OK("shmdt_second", shmdt(b));

	/* fork: the child inherits the attachment, writes through it. */
	pid_t pid = fork();
	if (pid == 0) {
		struct shmid_ds cds;
		if (strcmp(a, "parent"))
			_exit(1);
		if (shmctl(id, IPC_STAT, &cds) || cds.shm_nattch != 2)
			_exit(2);
		strcpy(a, "child");
		_exit(0);
	}
	CHECK_CHILD("fork_inherits", t_wait(pid));
	CHECK("child_write_seen", !strcmp(a, "child"));
	shmctl(id, IPC_STAT, &ds);
	CHECK_EQ("nattch_after_child_exit", ds.shm_nattch, 1);

	/* exec drops the attachment: the new image sees only the parent's. */
	if (t_self_ok("exec_drops")) {
		pid = fork();
		if (pid == 0) {
			char arg[32];
			snprintf(arg, sizeof(arg), "%d", id);
			execl(t_self, t_self, "shm-exec-probe", arg, (char *)NULL);
			_exit(9);
		}
		CHECK_CHILD("exec_drops_attachment", t_wait(pid));
	}

	/* A fixed address, rounded with SHM_RND. */
	char *fixed = (char *)0x600000000000ull;
	char *c = shmat(id, fixed + 123, SHM_RND);
	CHECK("shm_rnd_fixed", c == fixed && !strcmp(c, "child"));
	CHECK_ERR("unaligned_without_rnd_einval", (long)shmat(id, fixed + 123, 0), EINVAL);
	CHECK_ERR("overlap_without_remap_einval", (long)shmat(id, fixed, 0), EINVAL);
	/* shmdt takes only the segment's own pieces: here a page of it was replaced by another mapping. */
	void *other = mmap(fixed + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (other != MAP_FAILED)
		*(volatile char *)other = 7;
	CHECK_OK("shmdt_fixed", shmdt(c));
	CHECK("shmdt_leaves_other_mapping", other != MAP_FAILED && *(volatile char *)other == 7);
	munmap(other, 4096);
	CHECK_ERR("shmdt_not_attached_einval", shmdt(fixed), EINVAL);
	CHECK_ERR("shmdt_unaligned_einval", shmdt(a + 1), EINVAL);

	/* IPC_RMID while attached: SHM_DEST, still usable, gone at the last detach. */
	CHECK_OK("rmid_attached", shmctl(id, IPC_RMID, NULL));
	if (CHECK_OK("stat_after_rmid", shmctl(id, IPC_STAT, &ds))) {
		CHECK("mode_shm_dest", ds.shm_perm.mode & SHM_DEST);
		CHECK_EQ("key_private_after_rmid", ds.shm_perm.__key, IPC_PRIVATE);
	}
	strcpy(a, "still");
	CHECK("usable_after_rmid", !strcmp(a, "still"));
	CHECK_OK("shmdt_last", shmdt(a));
	CHECK_ERR("gone_after_last_detach", shmctl(id, IPC_STAT, &ds), EINVAL);

	/* Sizes and keys. */
	CHECK_ERR("size_zero_einval", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	int fd = open("shmkey", O_CREAT | O_WRONLY, 0600);
	close(fd);
	key_t k = ftok("shmkey", 1);
	int s2 = shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (NEED("shm_key", s2)) {
		CHECK_ERR("existing_bigger_einval", shmget(k, 8192, 0600), EINVAL);
		CHECK_EQ("existing_smaller_ok", shmget(k, 100, 0600), s2);
		CHECK_ERR("shm_excl_eexist", shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
		CHECK_OK("rmid_unattached", shmctl(s2, IPC_RMID, NULL));
		CHECK_ERR("rmid_unattached_gone", shmctl(s2, IPC_STAT, &ds), EINVAL);
	}
	CHECK_ERR("shmat_bad_id_einval", (long)shmat(0x7ffffff0, NULL, 0), EINVAL);
}

static int shm_exec_probe(const char *arg)
{
	struct shmid_ds ds;
	int id = atoi(arg);

	if (shmctl(id, IPC_STAT, &ds))
		return 1;
	return ds.shm_nattch == 1 ? 0 : 2;
}

/* A System V semaphore as a lock around a System V shared counter, 4 processes. */
#define LOCKERS 4
#define LOCK_ROUNDS 2000

static int locker(int s, volatile long *c)
{
	struct sembuf down = { 0, -1, SEM_UNDO }, up = { 0, 1, SEM_UNDO };

	for (int i = 0; i < LOCK_ROUNDS; i++) {
		if (semop(s, &down, 1))
			return 1;
		long v = *c;
		if ((i & 63) == 0)
			sched_yield(); /* invite a lost update if the lock does not hold */
		*c = v + 1;
		if (semop(s, &up, 1))
			return 2;
	}
	return 0;
}

static void test_sem_lock_counter(void)
{
	int s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	int m = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (!NEED("lock_counter", s) || !NEED("lock_counter", m))
		return;
	volatile long *c = shmat(m, NULL, 0);
	shmctl(m, IPC_RMID, NULL); /* gone with the last detach */
	union semun a = { .val = 1 };
	semctl(s, 0, SETVAL, a);
	double t0 = now_s();
	pid_t kids[LOCKERS];
	for (int i = 0; i < LOCKERS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(locker(s, c));
	}
	int ok = 1;
	for (int i = 0; i < LOCKERS; i++) {
		int st = t_wait(kids[i]);
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK("lock_counter_children", ok);
	CHECK_EQ("lock_counter_exact", *c, LOCKERS * LOCK_ROUNDS);
	CHECK_EQ("lock_counter_sem_back_to_1", semctl(s, 0, GETVAL), 1);
	t_say("INFO sysv_ipc: %d x %d semop-locked increments in %.2f s\n", LOCKERS, LOCK_ROUNDS, now_s() - t0);
	shmdt((void *)c);
	semctl(s, 0, IPC_RMID);
}

/* IPC_INFO: Linux's default limits. */
static void test_info(void)
{
	struct msginfo mi;
	struct seminfo si;
	struct shminfo hi;
	union semun a = { .buf = (struct semid_ds *)&si };

	memset(&mi, 0, sizeof(mi));
	CHECK("msg_ipc_info", msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 && mi.msgmax == 8192 &&
				      mi.msgmnb == 16384);
	memset(&si, 0, sizeof(si));
	CHECK("sem_ipc_info", semctl(0, 0, IPC_INFO, a) >= 0 && si.semmsl == 32000 && si.semopm == 500 &&
				      si.semvmx == 32767);
	memset(&hi, 0, sizeof(hi));
	CHECK("shm_ipc_info", shmctl(0, IPC_INFO, (struct shmid_ds *)&hi) >= 0 && hi.shmmin == 1 &&
				      hi.shmmni == 4096);
	CHECK_ERR("msgctl_bad_cmd_einval", msgctl(0, 9999, NULL), EINVAL);
}

/* ---- permissions ---- */

static void test_perms(void)
{
	if (geteuid() != 0) {
		t_skip("perms", "needs root to switch to an unprivileged user");
		return;
	}
	int q = msgget(IPC_PRIVATE, 0600);
	int s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0640);
	int m = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0604);
	int fd = open("permkey", O_CREAT | O_WRONLY, 0600);
	close(fd);
	key_t k = ftok("permkey", 1);
	int kq = msgget(k, IPC_CREAT | 0600);
	if (!NEED("perms", kq) || !NEED("perms", q) || !NEED("perms", s) || !NEED("perms", m))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		struct tmsg t = { .type = 1 };
		if (msgsnd(q, &t, 1, IPC_NOWAIT) != -1 || errno != EACCES)
			_exit(1);
		if (msgrcv(q, &t, 1, 0, IPC_NOWAIT) != -1 || errno != EACCES)
			_exit(2);
		struct msqid_ds ds;
		if (msgctl(q, IPC_STAT, &ds) != -1 || errno != EACCES)
			_exit(3);
		if (msgctl(q, IPC_RMID, NULL) != -1 || errno != EPERM)
			_exit(4);
		if (semctl(s, 0, GETVAL) != -1 || errno != EACCES)
			_exit(5);
		if (semop1(s, 0, 1, IPC_NOWAIT) != -1 || errno != EACCES)
			_exit(6);
		/* 0604: others may read and attach read-only, not read-write. */
		if (shmat(m, NULL, 0) != (void *)-1 || errno != EACCES)
			_exit(7);
		void *r = shmat(m, NULL, SHM_RDONLY);
		if (r == (void *)-1)
			_exit(8);
		shmdt(r);
		if (shmctl(m, IPC_RMID, NULL) != -1 || errno != EPERM)
			_exit(9);
		/* A *get asking for more than the mode grants; asking for nothing passes. */
		if (msgget(k, 0600) != -1 || errno != EACCES)
			_exit(11);
		if (msgget(k, 0) != kq)
			_exit(12);
		_exit(0);
	}
	CHECK_CHILD("unprivileged_checks", t_wait(pid));
	msgctl(q, IPC_RMID, NULL);
	msgctl(kq, IPC_RMID, NULL);
	semctl(s, 0, IPC_RMID);
	shmctl(m, IPC_RMID, NULL);
}

/* ---- /proc/sysvipc ---- */

static int find_line(const char *path, int id, char *line, size_t size)
{
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, size, f)) {
		int key, lid;
		if (sscanf(line, "%d %d", &key, &lid) == 2 && lid == id)
			found = 1;
	}
	fclose(f);
	return found;
}

static void test_proc(void)
{
	char line[512];
	FILE *f = fopen("/proc/sysvipc/msg", "r");

	if (!f) {
		t_skip("proc_sysvipc", "no /proc/sysvipc here");
		return;
	}
	if (fgets(line, sizeof(line), f))
		CHECK("proc_msg_header", !strncmp(line, "       key      msqid perms      cbytes       qnum lspid lrpid", 62));
	fclose(f);
	int q = msgget(IPC_PRIVATE, 0640);
	send_text(q, 1, "hello");
	if (find_line("/proc/sysvipc/msg", q, line, sizeof(line)) == 1) {
		int key, id, mode;
		unsigned long cbytes, qnum;
		int lspid, lrpid, uid;
		int n = sscanf(line, "%d %d %o %lu %lu %d %d %d", &key, &id, &mode, &cbytes, &qnum, &lspid, &lrpid, &uid);
		CHECK("proc_msg_line", n == 8 && key == 0 && mode == 0640 && cbytes == 5 && qnum == 1 &&
					       lspid == getpid() && lrpid == 0 && uid == (int)geteuid());
	} else {
		CHECK("proc_msg_line", 0);
	}
	msgctl(q, IPC_RMID, NULL);
	CHECK_EQ("proc_msg_line_gone", find_line("/proc/sysvipc/msg", q, line, sizeof(line)), 0);

	int s = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
	if (find_line("/proc/sysvipc/sem", s, line, sizeof(line)) == 1) {
		int key, id, mode, nsems;
		int n = sscanf(line, "%d %d %o %d", &key, &id, &mode, &nsems);
		CHECK("proc_sem_line", n == 4 && mode == 0600 && nsems == 4);
	} else {
		CHECK("proc_sem_line", 0);
	}
	semctl(s, 0, IPC_RMID);

	int m = shmget(IPC_PRIVATE, 5000, IPC_CREAT | 0600);
	char *a = shmat(m, NULL, 0);
	if (find_line("/proc/sysvipc/shm", m, line, sizeof(line)) == 1) {
		int key, id, mode, cpid, lpid;
		unsigned long size, nattch;
		int n = sscanf(line, "%d %d %o %lu %d %d %lu", &key, &id, &mode, &size, &cpid, &lpid, &nattch);
		CHECK("proc_shm_line", n == 7 && mode == 0600 && size == 5000 && cpid == getpid() && nattch == 1);
	} else {
		CHECK("proc_shm_line", 0);
	}
	shmdt(a);
	shmctl(m, IPC_RMID, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "shm-exec-probe"))
		return shm_exec_probe(argv[2]);
	t_init("sysv_ipc", argv);
	test_msg_keys();
	test_msg_types();
	test_msg_blocking();
	test_signals();
	test_msg_many();
	test_sem_basic();
	test_sem_blocking();
	test_sem_undo();
	test_shm_basic();
	test_sem_lock_counter();
	test_info();
	test_perms();
	test_proc();
	return t_done();
}
