/*
 * ITIMER_REAL: setitimer, getitimer and alarm. One timer event per process delivers SIGALRM
 * (from the timer interrupt) and re-arms itself for the interval.
 * FIXME: ITIMER_VIRTUAL and ITIMER_PROF (CPU-time timers) are not implemented: -EINVAL.
 */
#include "lib/errno.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"
#include "time/timer.h"

#define ITIMER_REAL 0

struct ktimeval {
	int64_t sec, usec;
};
struct kitimerval {
	struct ktimeval interval, value;
};

static uint64_t tv_ns(const struct ktimeval *tv)
{
	return (uint64_t)tv->sec * 1000000000ull + (uint64_t)tv->usec * 1000ull;
}

static struct ktimeval ns_tv(uint64_t ns)
{
	return (struct ktimeval){ (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
}

static void fire(struct timer_event *ev, void *ctx)
{
	struct process *p = ctx;
	struct siginfo_k info = { .signo = SIGALRM, .code = SI_TIMER };
	send_signal_process(p, &info);
	if (p->itimer_interval_ns && p->state == PROC_ALIVE) {
		p->itimer_deadline_ns += p->itimer_interval_ns;
		uint64_t now = clock_monotonic_ns();
		if (p->itimer_deadline_ns <= now) /* missed periods are not made up */
			p->itimer_deadline_ns = now + p->itimer_interval_ns;
		timer_event_add(ev, p->itimer_deadline_ns, fire, p);
	} else {
		p->itimer_deadline_ns = 0;
	}
}

static void current_value(struct process *p, struct kitimerval *out)
{
	uint64_t now = clock_monotonic_ns();
	out->interval = ns_tv(p->itimer_interval_ns);
	out->value = ns_tv(p->itimer_deadline_ns > now ? p->itimer_deadline_ns - now : 0);
	if (p->itimer_deadline_ns && p->itimer_deadline_ns <= now)
		out->value = ns_tv(1000); /* due: report the smallest non-zero value */
	if (!p->itimer_deadline_ns)
		out->value = ns_tv(0);
}

void itimer_stop(struct process *p)
{
	p->itimer_interval_ns = 0;
	p->itimer_deadline_ns = 0;
	/* Waits for a running callback, which may re-arm: the second call cancels that. */
	timer_event_cancel(&p->itimer);
	timer_event_cancel(&p->itimer);
}

static int set_real(struct process *p, const struct kitimerval *nv, struct kitimerval *old)
{
	mutex_lock(&p->itimer_lock);
	if (old)
		current_value(p, old);
	itimer_stop(p);
	uint64_t value = tv_ns(&nv->value);
	if (value) {
		p->itimer_interval_ns = tv_ns(&nv->interval);
		p->itimer_deadline_ns = clock_monotonic_ns() + value;
		timer_event_add(&p->itimer, p->itimer_deadline_ns, fire, p);
	}
	mutex_unlock(&p->itimer_lock);
	return 0;
}

static bool tv_valid(const struct ktimeval *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

static int64_t sys_setitimer(int which, const struct kitimerval *unew, struct kitimerval *uold)
{
	if (which != ITIMER_REAL)
		return -EINVAL;
	struct kitimerval nv = { 0 }, old;
	if (unew && copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (!tv_valid(&nv.value) || !tv_valid(&nv.interval))
		return -EINVAL;
	set_real(current_process(), &nv, &old);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL(38, setitimer);

static int64_t sys_getitimer(int which, struct kitimerval *uval)
{
	if (which != ITIMER_REAL)
		return -EINVAL;
	struct process *p = current_process();
	struct kitimerval v;
	mutex_lock(&p->itimer_lock);
	current_value(p, &v);
	mutex_unlock(&p->itimer_lock);
	return copy_to_user(uval, &v, sizeof(v)) ? -EFAULT : 0;
}
SYSCALL(36, getitimer);

static int64_t sys_alarm(unsigned seconds)
{
	struct kitimerval nv = { { 0, 0 }, { seconds, 0 } }, old;
	set_real(current_process(), &nv, &old);
	/* The seconds left on the old alarm, rounded up (0 only when none was set). */
	return old.value.sec + (old.value.usec ? 1 : 0);
}
SYSCALL(37, alarm);
