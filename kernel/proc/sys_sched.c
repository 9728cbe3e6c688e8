/* Scheduling calls: yield, CPU affinity, policies and priorities (the scheduler's classes), getcpu. */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

static struct uthread *thread_by_pid(int pid)
{
	return pid ? uthread_find(pid) : current_uthread();
}

static int64_t sys_getcpu(unsigned *ucpu, unsigned *unode, void *cache)
{
	(void)cache;
	unsigned cpu = cpu_id(), node = 0;
	if (ucpu && put_user(cpu, ucpu))
		return -EFAULT;
	if (unode && put_user(node, unode))
		return -EFAULT;
	return 0;
}
SYSCALL(309, getcpu);

static int64_t sys_sched_yield(void)
{
	thread_yield();
	return 0;
}
SYSCALL(24, sched_yield);

static int64_t sys_sched_getaffinity(int pid, size_t len, uint64_t *mask)
{
	if (len < sizeof(uint64_t) || (len & 7))
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(pid);
	uint64_t m = u ? u->thread->affinity : 0;
	mutex_unlock(&proc_lock);
	if (!u)
		return -ESRCH;
	m &= cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;
	if (copy_to_user(mask, &m, sizeof(m)))
		return -EFAULT;
	return sizeof(uint64_t); /* the bytes of the kernel's CPU mask, as Linux returns */
}
SYSCALL(204, sched_getaffinity);

static int64_t sys_sched_setaffinity(int pid, size_t len, const uint64_t *mask)
{
	uint64_t m = 0;
	if (copy_from_user(&m, mask, len < 8 ? len : 8))
		return -EFAULT;
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(pid);
	int r = u ? thread_set_affinity(u->thread, m) : -ESRCH;
	mutex_unlock(&proc_lock);
	return r < 0 ? -EINVAL : 0;
}
SYSCALL(203, sched_setaffinity);

struct sched_param_k {
	int priority;
};

static int64_t sys_sched_getscheduler(int pid)
{
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(pid);
	int r = u ? u->thread->policy : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(145, sched_getscheduler);

static int64_t sys_sched_getparam(int pid, struct sched_param_k *param)
{
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(pid);
	int prio = u ? u->thread->rt_priority : 0;
	mutex_unlock(&proc_lock);
	if (!u)
		return -ESRCH;
	return put_user(prio, &param->priority);
}
SYSCALL(143, sched_getparam);

static int64_t sys_sched_setscheduler(int pid, int policy, const struct sched_param_k *param)
{
	struct sched_param_k sp;
	if (pid < 0 || !param)
		return -EINVAL;
	if (copy_from_user(&sp, param, sizeof(sp)))
		return -EFAULT;
	policy &= ~0x40000000; /* SCHED_RESET_ON_FORK */
	if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR)
		return -EINVAL;
	if ((policy == SCHED_OTHER) != (sp.priority == 0) || sp.priority < 0 || sp.priority > 99)
		return -EINVAL;
	if (policy != SCHED_OTHER && !privileged())
		return -EPERM;
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(pid);
	int r = u ? thread_set_scheduler(u->thread, policy, sp.priority) : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(144, sched_setscheduler);

static int64_t sys_sched_setparam(int pid, const struct sched_param_k *param)
{
	int policy = (int)sys_sched_getscheduler(pid);
	return policy < 0 ? policy : sys_sched_setscheduler(pid, policy, param);
}
SYSCALL(142, sched_setparam);

static int64_t sys_sched_get_priority_max(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR ? 99 : policy == SCHED_OTHER ? 0 : -EINVAL;
}
SYSCALL(146, sched_get_priority_max);

static int64_t sys_sched_get_priority_min(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR ? 1 : policy == SCHED_OTHER ? 0 : -EINVAL;
}
SYSCALL(147, sched_get_priority_min);

static int64_t sys_getpriority(int which, int who)
{
	if (which != 0 || who < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(who);
	int nice = u ? u->thread->nice : 0;
	mutex_unlock(&proc_lock);
	return u ? 20 - nice : -ESRCH; /* the kernel returns 20 - nice; libc converts */
}
SYSCALL(140, getpriority);

static int64_t sys_setpriority(int which, int who, int nice)
{
	if (which != 0 || who < 0)
		return -EINVAL;
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	mutex_lock(&proc_lock);
	struct uthread *u = thread_by_pid(who);
	int r = -ESRCH;
	if (u)
		r = nice < u->thread->nice && !privileged() ? -EACCES : thread_set_nice(u->thread, nice);
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(141, setpriority);

