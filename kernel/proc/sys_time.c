/* Time system calls: clocks, sleeping, gettimeofday, time. */
#include "lib/errno.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define TIMER_ABSTIME 1

struct kts {
	int64_t sec, nsec;
};

static int clock_read(int id, uint64_t *ns)
{
	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = thread_runtime_ns(current_thread());
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID: {
		uint64_t sum = 0;
		mutex_lock(&proc_lock);
		for (struct uthread *u = current_process()->threads; u; u = u->next)
			sum += thread_runtime_ns(u->thread);
		mutex_unlock(&proc_lock);
		*ns = sum;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static struct kts ts_of(uint64_t ns)
{
	return (struct kts){ (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull) };
}

static int64_t sys_clock_gettime(int id, struct kts *uts)
{
	uint64_t ns;
	int err = clock_read(id, &ns);
	if (err)
		return err;
	struct kts ts = ts_of(ns);
	return copy_to_user(uts, &ts, sizeof(ts)) ? -EFAULT : 0;
}
SYSCALL(228, clock_gettime);

static int64_t sys_clock_getres(int id, struct kts *uts)
{
	uint64_t ns;
	int err = clock_read(id, &ns);
	if (err)
		return err;
	struct kts res = { 0, 1 }; /* the TSC-based clock resolves nanoseconds */
	if (uts && copy_to_user(uts, &res, sizeof(res)))
		return -EFAULT;
	return 0;
}
SYSCALL(229, clock_getres);

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* Sleeps until the monotonic deadline: 0, or -EINTR with a signal. */
static int sleep_until(uint64_t deadline)
{
	struct waitqueue wq;
	waitqueue_init(&wq);
	int r = wait_interruptible_until(&wq, never, NULL, deadline ? deadline : 1);
	return r == -ETIMEDOUT ? 0 : r;
}

static int64_t do_nanosleep(int id, int flags, const struct kts *ureq, struct kts *urem)
{
	struct kts req;
	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.sec < 0 || req.nsec < 0 || req.nsec >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)req.sec * 1000000000ull + (uint64_t)req.nsec, now, deadline;
	int err = clock_read(id, &now);
	if (err)
		return err;
	if (id == CLOCK_THREAD_CPUTIME_ID || id == CLOCK_PROCESS_CPUTIME_ID)
		return -EINVAL; /* FIXME: CPU-time clocks */
	uint64_t mono = clock_monotonic_ns();
	if (flags & TIMER_ABSTIME)
		deadline = ns > now ? mono + (ns - now) : mono;
	else
		deadline = mono + ns;
	if (deadline == mono)
		return 0;
	if (sleep_until(deadline) == 0)
		return 0;
	if (urem && !(flags & TIMER_ABSTIME)) {
		uint64_t left = deadline > clock_monotonic_ns() ? deadline - clock_monotonic_ns() : 0;
		struct kts rem = ts_of(left);
		if (copy_to_user(urem, &rem, sizeof(rem)))
			return -EFAULT;
	}
	return -EINTR;
}

static int64_t sys_nanosleep(const struct kts *req, struct kts *rem)
{
	return do_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}
SYSCALL(35, nanosleep);

static int64_t sys_clock_nanosleep(int id, int flags, const struct kts *req, struct kts *rem)
{
	int64_t r = do_nanosleep(id, flags, req, rem);
	return r == -EINVAL && id > CLOCK_BOOTTIME ? -EINVAL : r;
}
SYSCALL(230, clock_nanosleep);

struct ktv {
	int64_t sec, usec;
};

static int64_t sys_gettimeofday(struct ktv *utv, void *utz)
{
	uint64_t ns = clock_realtime_ns();
	struct ktv tv = { (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
	if (utv && copy_to_user(utv, &tv, sizeof(tv)))
		return -EFAULT;
	if (utz && clear_user(utz, 8))
		return -EFAULT;
	return 0;
}
SYSCALL(96, gettimeofday);

static int64_t sys_time(int64_t *ut)
{
	int64_t t = (int64_t)(clock_realtime_ns() / 1000000000ull);
	if (ut && copy_to_user(ut, &t, sizeof(t)))
		return -EFAULT;
	return t;
}
SYSCALL(201, time);
