/* System information and accounting: uname, hostname, sysinfo, getrandom, resource limits and usage. */
#include "arch/x86_64/percpu.h"
#include "init/init.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

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


