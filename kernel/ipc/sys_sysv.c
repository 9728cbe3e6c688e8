/*
 * System V IPC system calls (Linux x86_64 numbers): argument checks and user copies around
 * shm.c, msg.c and sem.c, which work on kernel buffers only.
 */
#include "ipc/ipc_internal.h"
#include "lib/errno.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/syscall.h"
#include "time/clock.h"

/* ---- shared memory ---- */

static int64_t sys_shmget(int32_t key, uint64_t size, int flags)
{
	return shm_get(key, size, flags);
}
SYSCALL(29, shmget);

static int64_t sys_shmat(int id, uint64_t addr, int flags)
{
	return shm_attach(id, addr, flags);
}
SYSCALL(30, shmat);

static int64_t sys_shmdt(uint64_t addr)
{
	return shm_detach(addr);
}
SYSCALL(67, shmdt);

static int64_t sys_shmctl(int id, int cmd, void *ubuf)
{
	cmd &= ~IPC_64;
	union {
		struct shmid64_ds_u ds;
		struct shminfo64_u info;
		struct shm_info_u sinfo;
	} u;
	if (cmd == IPC_SET && copy_from_user(&u.ds, ubuf, sizeof(u.ds)))
		return -EFAULT;
	int r = shm_ctl(id, cmd, &u.ds, &u);
	if (r < 0)
		return r;
	size_t out = cmd == IPC_INFO ? sizeof(u.info) : cmd == SHM_INFO ? sizeof(u.sinfo) :
		     (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) ? sizeof(u.ds) : 0;
	if (out && copy_to_user(ubuf, &u, out))
		return -EFAULT;
	return r;
}
SYSCALL(31, shmctl);

/* ---- message queues ---- */

static int64_t sys_msgget(int32_t key, int flags)
{
	return msg_get(key, flags);
}
SYSCALL(68, msgget);

static int64_t sys_msgsnd(int id, const void *umsg, int64_t size, int flags)
{
	if (size < 0 || size > MSGMAX || id < 0)
		return -EINVAL;
	long type;
	if (get_user(type, (const long *)umsg))
		return -EFAULT;
	if (type < 1)
		return -EINVAL;
	void *text = kmalloc(size ? (size_t)size : 1);
	if (!text)
		return -ENOMEM;
	int r = copy_from_user(text, (const char *)umsg + sizeof(long), (size_t)size);
	if (!r)
		r = msg_send(id, type, text, (size_t)size, flags);
	kfree(text);
	return r;
}
SYSCALL(69, msgsnd);

static int64_t sys_msgrcv(int id, void *umsg, int64_t size, long type, int flags)
{
	if (size < 0 || id < 0)
		return -EINVAL;
	size_t cap = (uint64_t)size < MSGMAX ? (size_t)size : MSGMAX;
	void *text = kmalloc(cap ? cap : 1);
	if (!text)
		return -ENOMEM;
	long got_type = 0;
	ssize_t n = msg_receive(id, type, text, cap, flags, &got_type);
	if (n >= 0 && (put_user(got_type, (long *)umsg) ||
		       copy_to_user((char *)umsg + sizeof(long), text, (size_t)n)))
		n = -EFAULT; /* the message is gone, as on Linux */
	kfree(text);
	return n;
}
SYSCALL(70, msgrcv);

static int64_t sys_msgctl(int id, int cmd, void *ubuf)
{
	cmd &= ~IPC_64;
	struct msqid64_ds_u ds;
	struct msginfo_u info;
	if (cmd == IPC_SET && copy_from_user(&ds, ubuf, sizeof(ds)))
		return -EFAULT;
	int r = msg_ctl(id, cmd, &ds, &info);
	if (r < 0)
		return r;
	if ((cmd == IPC_INFO || cmd == MSG_INFO) && copy_to_user(ubuf, &info, sizeof(info)))
		return -EFAULT;
	if ((cmd == IPC_STAT || cmd == MSG_STAT || cmd == MSG_STAT_ANY) && copy_to_user(ubuf, &ds, sizeof(ds)))
		return -EFAULT;
	return r;
}
SYSCALL(71, msgctl);

/* ---- semaphores ---- */

static int64_t sys_semget(int32_t key, int nsems, int flags)
{
	return sem_get(key, nsems, flags);
}
SYSCALL(64, semget);

struct kernel_timespec {
	int64_t sec, nsec;
};

static int64_t do_semtimedop(int id, const struct sembuf_u *uops, unsigned nsops,
			     const struct kernel_timespec *uts)
{
	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	uint64_t deadline = 0;
	if (uts) {
		struct kernel_timespec ts;
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return -EINVAL;
		uint64_t sec = (uint64_t)ts.sec > 1000000000ull ? 1000000000ull : (uint64_t)ts.sec;
		deadline = clock_monotonic_ns() + sec * 1000000000ull + (uint64_t)ts.nsec;
	}
	struct sembuf_u small[8], *ops = nsops <= 8 ? small : kmalloc(nsops * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	int r = copy_from_user(ops, uops, nsops * sizeof(*ops));
	if (!r)
		r = sem_op(id, ops, nsops, deadline);
	if (ops != small)
		kfree(ops);
	return r;
}

static int64_t sys_semop(int id, const struct sembuf_u *uops, unsigned nsops)
{
	return do_semtimedop(id, uops, nsops, NULL);
}
SYSCALL(65, semop);

static int64_t sys_semtimedop(int id, const struct sembuf_u *uops, unsigned nsops,
			      const struct kernel_timespec *uts)
{
	return do_semtimedop(id, uops, nsops, uts);
}
SYSCALL(220, semtimedop);

/* arg is union semun: an int for SETVAL, else a pointer. */
static int64_t sys_semctl(int id, int num, int cmd, uint64_t arg)
{
	cmd &= ~IPC_64;
	void *uptr = (void *)arg;
	struct semid64_ds_u ds;
	struct seminfo_u info;
	uint16_t *vals = NULL;
	int r;
	if (cmd == GETALL || cmd == SETALL) {
		int n = sem_nsems(id);
		if (n < 0)
			return n;
		if (!(vals = kmalloc((size_t)n * sizeof(*vals))))
			return -ENOMEM;
		if (cmd == SETALL && copy_from_user(vals, uptr, (size_t)n * sizeof(*vals))) {
			kfree(vals);
			return -EFAULT;
		}
		r = sem_ctl(id, num, cmd, 0, vals, NULL, NULL);
		if (r >= 0 && cmd == GETALL && copy_to_user(uptr, vals, (size_t)n * sizeof(*vals)))
			r = -EFAULT;
		kfree(vals);
		return r;
	}
	if (cmd == IPC_SET && copy_from_user(&ds, uptr, sizeof(ds)))
		return -EFAULT;
	r = sem_ctl(id, num, cmd, (int)arg, NULL, &ds, &info);
	if (r < 0)
		return r;
	if ((cmd == IPC_INFO || cmd == SEM_INFO) && copy_to_user(uptr, &info, sizeof(info)))
		return -EFAULT;
	if ((cmd == IPC_STAT || cmd == SEM_STAT || cmd == SEM_STAT_ANY) && copy_to_user(uptr, &ds, sizeof(ds)))
		return -EFAULT;
	return r;
}
SYSCALL(66, semctl);
