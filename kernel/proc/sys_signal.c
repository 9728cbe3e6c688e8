/* Signal system calls: sigaction, masks, kill and friends, waiting for signals, alternate stacks. */
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

static int64_t sys_rt_sigaction(int sig, const struct k_sigaction *uact, struct k_sigaction *uold, size_t setsize)
{
	if (setsize != sizeof(sigset_t))
		return -EINVAL;
	if (sig < 1 || sig >= NSIG)
		return -EINVAL;
	struct k_sigaction act;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	struct process *p = current_process();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	struct k_sigaction old = p->sighand->action[sig];
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		p->sighand->action[sig] = act;
		/* Setting SIG_IGN (or a default that ignores) discards what is pending (POSIX). */
		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (sig == SIGCHLD || sig == SIGURG ||
									    sig == SIGWINCH))) {
			p->shared_pending &= ~SIGBIT(sig);
			for (struct uthread *u = p->threads; u; u = u->next)
				u->pending &= ~SIGBIT(sig);
		}
	}
	spin_unlock_irqrestore(&signal_lock, irq);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL(13, rt_sigaction);

static int64_t sys_rt_sigprocmask(int how, const sigset_t *uset, sigset_t *uold, size_t setsize)
{
	if (setsize != sizeof(sigset_t))
		return -EINVAL;
	sigset_t set = 0;
	if (uset && copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	struct uthread *u = current_uthread();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	sigset_t old = u->blocked;
	int err = 0;
	if (uset) {
		switch (how) {
		case SIG_BLOCK: u->blocked |= set; break;
		case SIG_UNBLOCK: u->blocked &= ~set; break;
		case SIG_SETMASK: u->blocked = set; break;
		default: err = -EINVAL;
		}
		u->blocked &= ~UNBLOCKABLE;
	}
	spin_unlock_irqrestore(&signal_lock, irq);
	if (err)
		return err;
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL(14, rt_sigprocmask);

static int64_t sys_rt_sigpending(sigset_t *uset, size_t setsize)
{
	if (setsize != sizeof(sigset_t))
		return -EINVAL;
	struct uthread *u = current_uthread();
	sigset_t s = (u->pending | u->proc->shared_pending) & u->blocked;
	return copy_to_user(uset, &s, sizeof(s)) ? -EFAULT : 0;
}
SYSCALL(127, rt_sigpending);

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static int64_t sys_rt_sigsuspend(const sigset_t *uset, size_t setsize)
{
	if (setsize != sizeof(sigset_t))
		return -EINVAL;
	sigset_t set;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	struct uthread *u = current_uthread();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	u->saved_mask = u->blocked;
	u->restore_saved_mask = true;
	u->blocked = set & ~UNBLOCKABLE;
	spin_unlock_irqrestore(&signal_lock, irq);
	struct waitqueue wq;
	waitqueue_init(&wq);
	while (wait_interruptible_until(&wq, never, NULL, 0) != -EINTR)
		;
	return -ERESTARTNOHAND; /* EINTR once the handler ran; the old mask returns after it */
}
SYSCALL(130, rt_sigsuspend);

static int64_t sys_pause(void)
{
	struct waitqueue wq;
	waitqueue_init(&wq);
	while (wait_interruptible_until(&wq, never, NULL, 0) != -EINTR)
		;
	return -ERESTARTNOHAND;
}
SYSCALL(34, pause);

struct kts {
	int64_t sec, nsec;
};

static bool have_signal_in(void *arg)
{
	struct uthread *u = current_uthread();
	return ((u->pending | u->proc->shared_pending) & *(sigset_t *)arg) != 0;
}

static int64_t sys_rt_sigtimedwait(const sigset_t *uset, void *uinfo, const struct kts *uts, size_t setsize)
{
	if (setsize != sizeof(sigset_t))
		return -EINVAL;
	sigset_t set;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	uint64_t deadline = 0;
	if (uts) {
		struct kts ts;
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return -EINVAL;
		deadline = clock_monotonic_ns() + (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
	}
	struct uthread *u = current_uthread();
	/* The awaited signals are unblocked for the wait, as if by sigsuspend, but taken here. */
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	sigset_t old = u->blocked;
	u->real_blocked = old;
	u->blocked &= ~set;
	spin_unlock_irqrestore(&signal_lock, irq);
	struct waitqueue wq;
	waitqueue_init(&wq);
	int r = 0;
	if (!have_signal_in(&set))
		r = uts && deadline == clock_monotonic_ns() ? -EAGAIN
						 : wait_interruptible_until(&wq, have_signal_in, &set, deadline);
	irq = spin_lock_irqsave(&signal_lock);
	u->blocked = old;
	u->real_blocked = 0;
	struct siginfo_k info = { 0 };
	int sig = dequeue_signal(u, set, &info);
	spin_unlock_irqrestore(&signal_lock, irq);
	if (!sig)
		return r == -ETIMEDOUT || r == 0 ? -EAGAIN : -EINTR;
	if (uinfo) {
		int32_t si[32] = { 0 };
		si[0] = sig;
		si[1] = info.errno_;
		si[2] = info.code;
		si[4] = info.pid;
		si[5] = (int32_t)info.uid;
		if (sig == SIGCHLD)
			si[6] = info.status;
		if (copy_to_user(uinfo, si, sizeof(si)))
			return -EFAULT;
	}
	return sig;
}
SYSCALL(128, rt_sigtimedwait);

struct user_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

static int64_t sys_sigaltstack(const struct user_stack *uss, struct user_stack *uold)
{
	struct uthread *u = current_uthread();
	uint64_t sp = current_user_frame()->rsp;
	bool on = !(u->altstack.flags & SS_DISABLE) && sp > u->altstack.sp && sp <= u->altstack.sp + u->altstack.size;
	struct user_stack old = { u->altstack.sp, on ? SS_ONSTACK : (u->altstack.flags & SS_DISABLE), 0, u->altstack.size };
	if (uss) {
		struct user_stack ss;
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		if (ss.flags & ~(SS_DISABLE | 0x80000000 /* SS_AUTODISARM */))
			return -EINVAL;
		if (ss.flags & SS_DISABLE) {
			u->altstack = (struct sigaltstack_k){ 0, SS_DISABLE, 0 };
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -ENOMEM;
			u->altstack = (struct sigaltstack_k){ ss.sp, 0, ss.size };
		}
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL(131, sigaltstack);

/* ---- sending ---- */

static bool may_signal(struct process *target)
{
	const struct creds *c = &current_process()->cred;
	return c->euid == 0 || c->euid == target->cred.uid || c->uid == target->cred.uid ||
	       c->euid == target->cred.suid || c->uid == target->cred.suid;
}

static int kill_one(struct process *p, int sig)
{
	if (!may_signal(p))
		return -EPERM;
	if (!sig)
		return 0;
	struct process *me = current_process();
	struct siginfo_k info = { .signo = sig, .code = SI_USER, .pid = me->pid, .uid = me->cred.uid };
	return send_signal_process(p, &info);
}

static int64_t sys_kill(int pid, int sig)
{
	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	struct process *me = current_process();
	mutex_lock(&proc_lock);
	int ret = -ESRCH;
	if (pid > 0) {
		struct process *p = process_find(pid);
		if (p && p->state == PROC_ALIVE)
			ret = kill_one(p, sig);
		else if (p)
			ret = 0; /* a zombie: nothing to do, but it exists */
	} else {
		int pgid = pid == 0 ? me->pgid : -pid;
		int count = 0, err = 0;
		for (struct process *p = process_first(); p; p = p->all_next) {
			if (p->state != PROC_ALIVE || (p->pid == 1 && pid == -1))
				continue;
			if (pid == -1 ? p == me : p->pgid != pgid)
				continue;
			int r = kill_one(p, sig);
			count++;
			if (r)
				err = r;
		}
		ret = count ? (err && count == 1 ? err : 0) : -ESRCH;
	}
	mutex_unlock(&proc_lock);
	return ret;
}
SYSCALL(62, kill);

static int64_t signal_thread(int tgid, int tid, int sig)
{
	if (sig < 0 || sig >= NSIG || tid <= 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct uthread *u = uthread_find(tid);
	int ret = -ESRCH;
	if (u && (tgid < 0 || u->proc->pid == tgid)) {
		ret = may_signal(u->proc) ? 0 : -EPERM;
		if (!ret && sig) {
			struct process *me = current_process();
			struct siginfo_k info = { .signo = sig, .code = SI_TKILL, .pid = me->pid, .uid = me->cred.uid };
			ret = send_signal_thread(u, &info);
		}
	}
	mutex_unlock(&proc_lock);
	return ret;
}

static int64_t sys_tkill(int tid, int sig)
{
	return signal_thread(-1, tid, sig);
}
SYSCALL(200, tkill);

static int64_t sys_tgkill(int tgid, int tid, int sig)
{
	if (tgid <= 0)
		return -EINVAL;
	return signal_thread(tgid, tid, sig);
}
SYSCALL(234, tgkill);

/* sigqueue(3): a signal with a value; user space may only claim negative si_code values. */
static int64_t queue_info_to(int tgid, int tid, int sig, const void *uinfo)
{
	int32_t si[32];
	if (copy_from_user(si, uinfo, sizeof(si)))
		return -EFAULT;
	if (sig < 1 || sig >= NSIG)
		return -EINVAL;
	struct process *me = current_process();
	if ((si[2] >= 0 || si[2] == SI_TKILL) && tgid != me->pid)
		return -EPERM; /* only the kernel sends SI_USER/SI_KERNEL codes to others */
	struct siginfo_k info = { .signo = sig, .code = si[2], .errno_ = si[1], .pid = si[4],
				  .uid = (uint32_t)si[5] };
	memcpy(&info.value, &si[6], sizeof(info.value));
	mutex_lock(&proc_lock);
	int ret = -ESRCH;
	if (tid > 0) {
		struct uthread *u = uthread_find(tid);
		if (u && u->proc->pid == tgid)
			ret = may_signal(u->proc) ? send_signal_thread(u, &info) : -EPERM;
	} else {
		struct process *p = process_find(tgid);
		if (p && p->state == PROC_ALIVE)
			ret = may_signal(p) ? send_signal_process(p, &info) : -EPERM;
	}
	mutex_unlock(&proc_lock);
	return ret;
}

static int64_t sys_rt_sigqueueinfo(int tgid, int sig, const void *uinfo)
{
	return queue_info_to(tgid, 0, sig, uinfo);
}
SYSCALL(129, rt_sigqueueinfo);

static int64_t sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const void *uinfo)
{
	return queue_info_to(tgid, tid, sig, uinfo);
}
SYSCALL(297, rt_tgsigqueueinfo);
