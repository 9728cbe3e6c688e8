/*
 * Process system calls: identity (pids, groups, sessions, credentials), execve, TLS
 * (arch_prctl), scheduling, resource limits and usage, uname/sysinfo, getrandom, reboot.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "init/init.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/exec.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

static int64_t sys_getpid(void) { return current_process()->pid; }
SYSCALL(39, getpid);

static int64_t sys_gettid(void) { return current_uthread()->tid; }
SYSCALL(186, gettid);

static int64_t sys_getppid(void)
{
	mutex_lock(&proc_lock);
	struct process *parent = current_process()->parent;
	int pid = parent ? parent->pid : 0;
	mutex_unlock(&proc_lock);
	return pid;
}
SYSCALL(110, getppid);

static int64_t sys_set_tid_address(int *tidptr)
{
	current_uthread()->clear_child_tid = (uint64_t)tidptr;
	return current_uthread()->tid;
}
SYSCALL(218, set_tid_address);

static int64_t sys_set_robust_list(void *head, size_t len)
{
	(void)head;
	return len == 24 ? 0 : -EINVAL; /* FIXME: robust futexes are not cleaned up at exit */
}
SYSCALL(273, set_robust_list);

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static int64_t sys_arch_prctl(int code, uint64_t addr)
{
	struct uthread *u = current_uthread();
	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= USER_TOP)
			return -EPERM;
		if (code == ARCH_SET_FS) {
			u->fs_base = addr;
			wrmsr(MSR_FS_BASE, addr);
		} else {
			u->gs_base = addr;
			wrmsr(0xc0000102, addr); /* the user GS base while in the kernel */
		}
		return 0;
	case ARCH_GET_FS:
		return put_user(u->fs_base, (uint64_t *)addr);
	case ARCH_GET_GS:
		return put_user(u->gs_base, (uint64_t *)addr);
	default:
		return -EINVAL;
	}
}
SYSCALL(158, arch_prctl);

/* ---- execve ---- */

static int64_t exec_from_user(const char *upath, const char *const *uargv, const char *const *uenvp)
{
	char *path = kmalloc(PATH_MAX);
	if (!path)
		return -ENOMEM;
	long n = strncpy_from_user(path, upath, PATH_MAX);
	struct exec_args args = { 0 };
	int err = n < 0 ? (int)n : n == 0 ? -ENOENT : exec_args_init(&args);
	if (!err)
		err = exec_args_from_user(&args, uargv, false);
	if (!err)
		err = exec_args_from_user(&args, uenvp, true);
	if (!err)
		err = do_execve(path, &args);
	exec_args_free(&args);
	kfree(path);
	if (!err)
		current_uthread()->frame_replaced = true;
	return err;
}

static int64_t sys_execve(const char *path, const char *const *argv, const char *const *envp)
{
	return exec_from_user(path, argv, envp);
}
SYSCALL(59, execve);

/* ---- process groups and sessions ---- */

static int64_t sys_getpgid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : current_process();
	int r = p ? p->pgid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(121, getpgid);

static int64_t sys_getpgrp(void) { return current_process()->pgid; }
SYSCALL(111, getpgrp);

static int64_t sys_getsid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : current_process();
	int r = p ? p->sid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(124, getsid);

static int64_t sys_setpgid(int pid, int pgid)
{
	struct process *me = current_process();
	if (pgid < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : me;
	int r = 0;
	if (!p || (p != me && p->parent != me)) {
		r = -ESRCH;
	} else if (p->sid == p->pid) {
		r = -EPERM; /* a session leader */
	} else if (p != me && p->sid != me->sid) {
		r = -EPERM;
	} else {
		if (!pgid)
			pgid = p->pid;
		/* The group must exist in the same session, or be the process's own new group. */
		bool ok = pgid == p->pid;
		for (struct process *q = process_first(); q && !ok; q = q->all_next)
			if (q->pgid == pgid && q->sid == p->sid && q->state == PROC_ALIVE)
				ok = true;
		if (!ok)
			r = -EPERM;
		else
			p->pgid = pgid;
	}
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(109, setpgid);

static int64_t sys_setsid(void)
{
	struct process *me = current_process();
	mutex_lock(&proc_lock);
	int r = me->pid;
	for (struct process *q = process_first(); q; q = q->all_next)
		if (q->pgid == me->pid && q->state != PROC_DEAD)
			r = -EPERM; /* already a group leader (or its group exists) */
	if (r > 0) {
		me->sid = me->pgid = me->pid;
		/* FIXME: the controlling terminal is dropped with the TTY layer. */
	}
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(112, setsid);

/* ---- credentials (the security issue enforces them; here they are kept and reported) ---- */

static struct creds *cred(void) { return &current_process()->cred; }

static int64_t sys_getuid(void) { return cred()->uid; }
SYSCALL(102, getuid);
static int64_t sys_geteuid(void) { return cred()->euid; }
SYSCALL(107, geteuid);
static int64_t sys_getgid(void) { return cred()->gid; }
SYSCALL(104, getgid);
static int64_t sys_getegid(void) { return cred()->egid; }
SYSCALL(108, getegid);

static bool privileged(void) { return cred()->euid == 0; }

static int64_t sys_setuid(uint32_t uid)
{
	struct creds *c = cred();
	if (privileged())
		c->uid = c->euid = c->suid = c->fsuid = uid;
	else if (uid == c->uid || uid == c->suid)
		c->euid = c->fsuid = uid;
	else
		return -EPERM;
	return 0;
}
SYSCALL(105, setuid);

static int64_t sys_setgid(uint32_t gid)
{
	struct creds *c = cred();
	if (privileged())
		c->gid = c->egid = c->sgid = c->fsgid = gid;
	else if (gid == c->gid || gid == c->sgid)
		c->egid = c->fsgid = gid;
	else
		return -EPERM;
	return 0;
}
SYSCALL(106, setgid);

static bool id_ok(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == 0xffffffffu || privileged() || id == a || id == b || id == c;
}

static int64_t sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = cred();
	if (!id_ok(r, c->uid, c->euid, c->suid) || !id_ok(e, c->uid, c->euid, c->suid) ||
	    !id_ok(s, c->uid, c->euid, c->suid))
		return -EPERM;
	if (r != 0xffffffffu) c->uid = r;
	if (e != 0xffffffffu) c->euid = c->fsuid = e;
	if (s != 0xffffffffu) c->suid = s;
	return 0;
}
SYSCALL(117, setresuid);

static int64_t sys_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = cred();
	if (!id_ok(r, c->gid, c->egid, c->sgid) || !id_ok(e, c->gid, c->egid, c->sgid) ||
	    !id_ok(s, c->gid, c->egid, c->sgid))
		return -EPERM;
	if (r != 0xffffffffu) c->gid = r;
	if (e != 0xffffffffu) c->egid = c->fsgid = e;
	if (s != 0xffffffffu) c->sgid = s;
	return 0;
}
SYSCALL(119, setresgid);

static int64_t sys_setreuid(uint32_t r, uint32_t e) { return sys_setresuid(r, e, 0xffffffffu); }
SYSCALL(113, setreuid);
static int64_t sys_setregid(uint32_t r, uint32_t e) { return sys_setresgid(r, e, 0xffffffffu); }
SYSCALL(114, setregid);

static int64_t sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct creds *c = cred();
	if (put_user(c->uid, r) || put_user(c->euid, e) || put_user(c->suid, s))
		return -EFAULT;
	return 0;
}
SYSCALL(118, getresuid);

static int64_t sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct creds *c = cred();
	if (put_user(c->gid, r) || put_user(c->egid, e) || put_user(c->sgid, s))
		return -EFAULT;
	return 0;
}
SYSCALL(120, getresgid);

static int64_t sys_setfsuid(uint32_t id)
{
	uint32_t old = cred()->fsuid;
	if (id_ok(id, cred()->uid, cred()->euid, cred()->suid))
		cred()->fsuid = id;
	return old;
}
SYSCALL(122, setfsuid);

static int64_t sys_setfsgid(uint32_t id)
{
	uint32_t old = cred()->fsgid;
	if (id_ok(id, cred()->gid, cred()->egid, cred()->sgid))
		cred()->fsgid = id;
	return old;
}
SYSCALL(123, setfsgid);

static int64_t sys_getgroups(int size, uint32_t *list)
{
	struct creds *c = cred();
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return c->ngroups;
	if ((unsigned)size < c->ngroups)
		return -EINVAL;
	return copy_to_user(list, c->groups, c->ngroups * sizeof(uint32_t)) ? -EFAULT : (int64_t)c->ngroups;
}
SYSCALL(115, getgroups);

static int64_t sys_setgroups(size_t size, const uint32_t *list)
{
	struct creds *c = cred();
	if (!privileged())
		return -EPERM;
	if (size > 32)
		return -EINVAL;
	uint32_t g[32];
	if (copy_from_user(g, list, size * sizeof(uint32_t)))
		return -EFAULT;
	memcpy(c->groups, g, size * sizeof(uint32_t));
	c->ngroups = (unsigned)size;
	return 0;
}
SYSCALL(116, setgroups);

/* ---- system information ---- */

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

static char hostname[65] = "ferrite";

static int64_t sys_uname(struct utsname *u)
{
	struct utsname n = { 0 };
	strlcpy(n.sysname, "Linux", sizeof(n.sysname)); /* what programs test for: the ABI is Linux's */
	strlcpy(n.nodename, hostname, sizeof(n.nodename));
	strlcpy(n.release, "6.1.0-ferrite-" FERRITE_VERSION, sizeof(n.release));
	strlcpy(n.version, "#1 SMP Ferrite " FERRITE_VERSION, sizeof(n.version));
	strlcpy(n.machine, "x86_64", sizeof(n.machine));
	strlcpy(n.domainname, "(none)", sizeof(n.domainname));
	return copy_to_user(u, &n, sizeof(n)) ? -EFAULT : 0;
}
SYSCALL(63, uname);

static int64_t sys_sethostname(const char *name, size_t len)
{
	if (!privileged())
		return -EPERM;
	if (len > 64)
		return -EINVAL;
	char buf[65] = { 0 };
	if (copy_from_user(buf, name, len))
		return -EFAULT;
	memcpy(hostname, buf, sizeof(hostname));
	return 0;
}
SYSCALL(170, sethostname);

struct sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char pad3[4];
};

static int64_t sys_sysinfo(struct sysinfo *u)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	struct sysinfo si = { 0 };
	si.uptime = (int64_t)(clock_monotonic_ns() / 1000000000ull);
	si.totalram = st.total_pages * 4096;
	si.freeram = st.free_pages * 4096;
	si.mem_unit = 1;
	mutex_lock(&proc_lock);
	for (struct process *p = process_first(); p; p = p->all_next)
		si.procs += (uint16_t)p->nthreads;
	mutex_unlock(&proc_lock);
	return copy_to_user(u, &si, sizeof(si)) ? -EFAULT : 0;
}
SYSCALL(99, sysinfo);

static int64_t sys_getrandom(void *buf, size_t len, unsigned flags)
{
	if (flags & ~7u)
		return -EINVAL;
	if (len > 33554431)
		len = 33554431; /* Linux returns at most 32 MiB - 1 per call */
	uint8_t chunk[256];
	size_t done = 0;
	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		get_random_bytes(chunk, n);
		if (copy_to_user((uint8_t *)buf + done, chunk, n))
			return done ? (int64_t)done : -EFAULT;
		done += n;
		if (signal_pending() && done < len)
			return (int64_t)done;
	}
	return (int64_t)len;
}
SYSCALL(318, getrandom);

/* ---- resource limits and usage ---- */

static int64_t prlimit(struct process *p, unsigned res, const struct rlimit64 *unew, struct rlimit64 *uold)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	struct rlimit64 old = p->rlim[res], nw;
	if (unew) {
		if (copy_from_user(&nw, unew, sizeof(nw)))
			return -EFAULT;
		if (nw.cur > nw.max)
			return -EINVAL;
		if (nw.max > old.max && !privileged())
			return -EPERM;
		if (res == RLIMIT_NOFILE && nw.max > FD_MAX)
			return -EPERM;
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	if (unew)
		p->rlim[res] = nw;
	return 0;
}

/* getrlimit and setrlimit take their pointer unconditionally (NULL: EFAULT), unlike prlimit64. */
static int64_t sys_getrlimit(unsigned res, struct rlimit64 *old)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	struct rlimit64 v = current_process()->rlim[res];
	return copy_to_user(old, &v, sizeof(v)) ? -EFAULT : 0;
}
SYSCALL(97, getrlimit);

static int64_t sys_setrlimit(unsigned res, const struct rlimit64 *nw)
{
	if (!nw)
		return -EFAULT;
	return prlimit(current_process(), res, nw, NULL);
}
SYSCALL(160, setrlimit);

static int64_t sys_prlimit64(int pid, unsigned res, const struct rlimit64 *nw, struct rlimit64 *old)
{
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : current_process();
	mutex_unlock(&proc_lock);
	if (!p)
		return -ESRCH;
	return prlimit(p, res, nw, old);
}
SYSCALL(302, prlimit64);

struct timeval_k {
	int64_t sec, usec;
};

struct rusage_k {
	struct timeval_k utime, stime;
	int64_t rest[14];
};

static struct timeval_k tv_of(uint64_t ns)
{
	return (struct timeval_k){ (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
}

/* CPU time of a process: its threads' run time (FIXME: user and system time are not split). */
static uint64_t process_cpu_ns(struct process *p)
{
	uint64_t ns = p->dead_threads_ns;
	for (struct uthread *u = p->threads; u; u = u->next)
		ns += thread_runtime_ns(u->thread);
	return ns;
}

static int64_t sys_getrusage(int who, struct rusage_k *u)
{
	struct process *p = current_process();
	struct rusage_k r = { 0 };
	mutex_lock(&proc_lock);
	if (who == 0) /* RUSAGE_SELF */
		r.utime = tv_of(process_cpu_ns(p));
	else if (who == -1) /* RUSAGE_CHILDREN */
		r.utime = tv_of(p->cutime_ns);
	else if (who == 1) /* RUSAGE_THREAD */
		r.utime = tv_of(thread_runtime_ns(current_thread()));
	else
		who = 99;
	mutex_unlock(&proc_lock);
	if (who == 99)
		return -EINVAL;
	return copy_to_user(u, &r, sizeof(r)) ? -EFAULT : 0;
}
SYSCALL(98, getrusage);

struct tms_k {
	int64_t utime, stime, cutime, cstime;
};

static int64_t sys_times(struct tms_k *u)
{
	struct process *p = current_process();
	mutex_lock(&proc_lock);
	struct tms_k t = { (int64_t)(process_cpu_ns(p) / 10000000ull), 0, (int64_t)(p->cutime_ns / 10000000ull), 0 };
	mutex_unlock(&proc_lock);
	if (u && copy_to_user(u, &t, sizeof(t)))
		return -EFAULT;
	return (int64_t)(clock_monotonic_ns() / 10000000ull); /* clock ticks (100 Hz) since boot */
}
SYSCALL(100, times);

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_SET_NAME 15
#define PR_GET_NAME 16

static int64_t sys_prctl(int option, uint64_t a2)
{
	struct process *p = current_process();
	switch (option) {
	case PR_SET_NAME: {
		char name[16];
		long n = strncpy_from_user(name, (const char *)a2, sizeof(name));
		if (n == -EFAULT)
			return -EFAULT;
		name[15] = 0;
		memcpy(p->comm, name, sizeof(name));
		return 0;
	}
	case PR_GET_NAME:
		return copy_to_user((void *)a2, p->comm, 16) ? -EFAULT : 0;
	case PR_SET_PDEATHSIG:
		return a2 < NSIG ? 0 : -EINVAL; /* FIXME: not delivered */
	case PR_GET_PDEATHSIG:
		return put_user(0, (int *)a2);
	default:
		return -EINVAL;
	}
}
SYSCALL(157, prctl);

/* ---- scheduling ---- */

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

/* ---- reboot ---- */

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_CMD_RESTART   0x01234567
#define LINUX_REBOOT_CMD_HALT      0xcdef0123
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
#define LINUX_REBOOT_CMD_CAD_ON    0x89abcdef
#define LINUX_REBOOT_CMD_CAD_OFF   0x00000000

static int64_t sys_reboot(uint32_t magic1, uint32_t magic2, uint32_t cmd)
{
	if (magic1 != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != 672274793 && magic2 != 85072278 && magic2 != 369367448 && magic2 != 537993216))
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	switch (cmd) {
	case LINUX_REBOOT_CMD_RESTART:
		machine_restart();
	case LINUX_REBOOT_CMD_POWER_OFF:
	case LINUX_REBOOT_CMD_HALT:
		machine_power_off();
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		return 0;
	default:
		return -EINVAL;
	}
}
SYSCALL(169, reboot);
