/*
 * Signal state and delivery: pending sets per thread and per process, default actions, handler
 * frames and rt_sigreturn, job-control stop and continue. See signal.h.
 */
#include "proc/signal.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/signal_frame.h"
#include "proc/syscall.h"
#include "time/clock.h"
#include "time/timer.h"

spinlock_t signal_lock = SPINLOCK_INIT;
static struct waitqueue stop_wq; /* threads parked by a job-control stop */
static bool stop_wq_ready;

struct sighand *sighand_new(void)
{
	struct sighand *s = kzalloc(sizeof(*s));
	if (s)
		s->refcount = 1;
	return s;
}

struct sighand *sighand_copy(struct sighand *src)
{
	struct sighand *s = sighand_new();
	if (!s)
		return NULL;
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	memcpy(s->action, src->action, sizeof(s->action));
	spin_unlock_irqrestore(&signal_lock, irq);
	return s;
}

void sighand_put(struct sighand *s)
{
	if (__atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(s);
}

void sighand_reset_for_exec(struct sighand *s)
{
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	for (int i = 1; i < NSIG; i++) {
		if (s->action[i].handler != SIG_IGN)
			s->action[i].handler = SIG_DFL;
		s->action[i].flags = 0;
		s->action[i].mask = 0;
		s->action[i].restorer = 0;
	}
	spin_unlock_irqrestore(&signal_lock, irq);
}

/* ---- default actions ---- */

enum dfl { DFL_TERM, DFL_CORE, DFL_IGNORE, DFL_STOP, DFL_CONT };

static enum dfl default_action(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return DFL_IGNORE;
	case SIGCONT:
		return DFL_CONT;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return DFL_STOP;
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return DFL_CORE;
	default:
		return sig >= SIGRTMIN ? DFL_TERM : DFL_TERM;
	}
}

/* Would this signal do nothing at all if delivered now? (Then it is dropped at send time.) */
static bool sig_ignored(struct process *p, int sig)
{
	/* Linux: a blocked signal is never ignored (the handler may change before it is
	 * unblocked); nor is one a thread awaits in sigtimedwait (busybox init waits for SIGCHLD
	 * so, with its default action "ignore"). */
	for (struct uthread *u = p->threads; u; u = u->next)
		if ((u->blocked | u->real_blocked) & SIGBIT(sig))
			return false;
	uint64_t h = p->sighand->action[sig].handler;
	if (h == SIG_IGN)
		return sig != SIGKILL && sig != SIGSTOP;
	if (h == SIG_DFL)
		return default_action(sig) == DFL_IGNORE || default_action(sig) == DFL_CONT;
	return false;
}

/* ---- sending ---- */

struct waitqueue signal_queued_wq; /* zero is an empty queue with an unlocked lock */

static void wake_thread(struct uthread *u)
{
	thread_wake(u->thread);
}

static void wake_all_threads(struct process *p)
{
	for (struct uthread *u = p->threads; u; u = u->next)
		wake_thread(u);
}

static void notify_parent_stop(struct process *p, int why, int status);

/* SIGCONT, SIGKILL and stop signals act at send time (signal_lock held). */
static void send_side_effects(struct process *p, int sig)
{
	if (sig == SIGCONT || sig == SIGKILL) {
		sigset_t stops = SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU);
		p->shared_pending &= ~stops;
		for (struct uthread *u = p->threads; u; u = u->next)
			u->pending &= ~stops;
		if (p->stopped) {
			p->stopped = false;
			if (sig == SIGCONT) {
				p->report_continue = true;
				p->report_stop = false;
				notify_parent_stop(p, CLD_CONTINUED, SIGCONT);
			}
		}
		if (stop_wq_ready)
			wake_up_all(&stop_wq);
	} else if (default_action(sig) == DFL_STOP) {
		p->shared_pending &= ~SIGBIT(SIGCONT);
		for (struct uthread *u = p->threads; u; u = u->next)
			u->pending &= ~SIGBIT(SIGCONT);
	}
}

/*
 * Real-time signals queue one entry per send (up to RLIMIT_SIGPENDING per process: -EAGAIN).
 * The entry comes from a static pool when the heap cannot be used (a timer's interrupt).
 */
static int rt_enqueue(struct process *p, struct sigqueue **q, const struct siginfo_k *info)
{
	if (p->rt_queued >= p->rlim[11].cur)
		return -EAGAIN;
	struct sigqueue *e = kmalloc(sizeof(*e));
	if (!e)
		return -EAGAIN;
	e->info = *info;
	e->next = NULL;
	while (*q)
		q = &(*q)->next;
	*q = e;
	p->rt_queued++;
	return 0;
}

/* The oldest queued instance of sig: removed into *info; true if another one remains. */
static bool rt_dequeue(struct process *p, struct sigqueue **q, int sig, struct siginfo_k *info)
{
	bool found = false, more = false;
	for (struct sigqueue **pp = q; *pp;) {
		struct sigqueue *e = *pp;
		if (e->info.signo != sig) {
			pp = &e->next;
			continue;
		}
		if (found) {
			more = true;
			break;
		}
		*info = e->info;
		*pp = e->next;
		kfree(e);
		p->rt_queued--;
		found = true;
	}
	return more;
}

void sigqueue_flush(struct process *p, struct sigqueue **q)
{
	while (*q) {
		struct sigqueue *e = *q;
		*q = e->next;
		kfree(e);
		p->rt_queued--;
	}
}

static int queue_signal(struct process *p, struct uthread *target, const struct siginfo_k *info)
{
	int sig = info->signo;
	if (sig < 1 || sig >= NSIG)
		return -EINVAL;
	if (p->state != PROC_ALIVE || p->group_exiting)
		return 0;
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	send_side_effects(p, sig);
	int err = 0;
	if (!sig_ignored(p, sig)) {
		sigset_t *pending = target ? &target->pending : &p->shared_pending;
		if (sig >= SIGRTMIN) {
			err = rt_enqueue(p, target ? &target->rt_queue : &p->shared_rt_queue, info);
			if (!err)
				*pending |= SIGBIT(sig);
		} else {
			if (!(*pending & SIGBIT(sig)))
				(target ? target->pending_info : p->shared_info)[sig] = *info;
			*pending |= SIGBIT(sig);
		}
		/* Wake a thread that can take it (all of them for SIGKILL). */
		if (target) {
			wake_thread(target);
		} else {
			bool woke = false;
			for (struct uthread *u = p->threads; u; u = u->next)
				if (sig == SIGKILL || !(u->blocked & SIGBIT(sig))) {
					wake_thread(u);
					woke = true;
					if (sig != SIGKILL)
						break;
				}
			(void)woke;
		}
	}
	spin_unlock_irqrestore(&signal_lock, irq);
	wake_up_all(&signal_queued_wq); /* signalfd readers and pollers, whatever their mask */
	return err;
}

int send_signal_process(struct process *p, const struct siginfo_k *info)
{
	return queue_signal(p, NULL, info);
}

int send_signal_thread(struct uthread *u, const struct siginfo_k *info)
{
	return queue_signal(u->proc, u, info);
}

void force_signal(int sig, int code, uint64_t addr)
{
	struct uthread *u = current_uthread();
	struct process *p = u->proc;
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	/* A fault signal that is blocked or ignored would loop forever: Linux resets it to default. */
	struct k_sigaction *a = &p->sighand->action[sig];
	if ((u->blocked & SIGBIT(sig)) || a->handler == SIG_IGN) {
		a->handler = SIG_DFL;
		u->blocked &= ~SIGBIT(sig);
	}
	u->pending |= SIGBIT(sig);
	u->pending_info[sig] = (struct siginfo_k){ .signo = sig, .code = code, .addr = addr };
	spin_unlock_irqrestore(&signal_lock, irq);
}

bool signal_pending(void)
{
	struct uthread *u = current_uthread();
	if (!u)
		return false;
	struct process *p = u->proc;
	return ((u->pending | p->shared_pending) & ~u->blocked) || p->group_exiting ||
	       (p->exec_survivor && p->exec_survivor != u);
}

/* ---- stop and continue ---- */

static void notify_parent_stop(struct process *p, int why, int status)
{
	struct process *parent = p->parent;
	if (!parent)
		return;
	__atomic_add_fetch(&parent->child_events, 1, __ATOMIC_RELEASE); /* wait4's condition */
	wake_up_all(&parent->child_wait);
	if (parent->sighand->action[SIGCHLD].flags & SA_NOCLDSTOP)
		return;
	/* signal_lock is held: queue directly. */
	if (!sig_ignored(parent, SIGCHLD)) {
		if (!(parent->shared_pending & SIGBIT(SIGCHLD)))
			parent->shared_info[SIGCHLD] = (struct siginfo_k){
				.signo = SIGCHLD, .code = why, .pid = p->pid, .status = status };
		parent->shared_pending |= SIGBIT(SIGCHLD);
		for (struct uthread *u = parent->threads; u; u = u->next)
			if (!(u->blocked & SIGBIT(SIGCHLD))) {
				wake_thread(u);
				break;
			}
	}
}

static void do_stop(struct process *p, int sig)
{
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	if (!p->stopped) {
		p->stopped = true;
		p->stop_sig = sig;
		p->report_stop = true;
		p->report_continue = false;
		notify_parent_stop(p, CLD_STOPPED, sig);
		wake_all_threads(p); /* the others park too on their way to user mode */
	}
	spin_unlock_irqrestore(&signal_lock, irq);
}

static bool may_run(struct process *p)
{
	struct uthread *u = current_uthread();
	return !p->stopped || p->group_exiting || ((u->pending | p->shared_pending) & SIGBIT(SIGKILL));
}

void signal_stop_wait(void)
{
	struct process *p = current_process();
	wait_event(&stop_wq, may_run(p));
}

/* ---- delivery ---- */

int dequeue_signal(struct uthread *u, sigset_t mask, struct siginfo_k *info)
{
	struct process *p = u->proc;
	sigset_t ready = (u->pending | p->shared_pending) & mask;
	if (!ready)
		return 0;
	/* Synchronous fault signals first, then the lowest number (SIGKILL before most). */
	sigset_t sync = ready & (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGFPE) | SIGBIT(SIGTRAP));
	sigset_t pick = (ready & SIGBIT(SIGKILL)) ? SIGBIT(SIGKILL) : sync ? sync : ready;
	int sig = __builtin_ctzll(pick) + 1;
	bool thread = u->pending & SIGBIT(sig);
	sigset_t *pending = thread ? &u->pending : &p->shared_pending;
	if (sig >= SIGRTMIN) {
		*info = (struct siginfo_k){ .signo = sig };
		if (!rt_dequeue(p, thread ? &u->rt_queue : &p->shared_rt_queue, sig, info))
			*pending &= ~SIGBIT(sig);
	} else {
		*pending &= ~SIGBIT(sig);
		*info = thread ? u->pending_info[sig] : p->shared_info[sig];
	}
	return sig;
}

/* Takes the next deliverable signal (signal_lock held): its number and info, or 0. */
static int dequeue(struct uthread *u, struct siginfo_k *info)
{
	return dequeue_signal(u, ~u->blocked, info);
}

static void fill_user_info(struct user_siginfo *ui, const struct siginfo_k *k)
{
	memset(ui, 0, sizeof(*ui));
	ui->si_signo = k->signo;
	ui->si_errno = k->errno_;
	ui->si_code = k->code;
	switch (k->signo) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		if (k->code > 0) { /* from a fault (kill() sends SI_USER with a pid instead) */
			ui->fault.addr = k->addr;
			return;
		}
		break;
	case SIGCHLD:
		ui->chld.pid = k->pid;
		ui->chld.uid = k->uid;
		ui->chld.status = k->status;
		ui->chld.utime = (int64_t)k->utime;
		ui->chld.stime = (int64_t)k->stime;
		return;
	}
	ui->rt.pid = k->pid;
	ui->rt.uid = k->uid;
	ui->rt.value = k->value;
}

static bool on_altstack(const struct uthread *u, uint64_t sp)
{
	return !(u->altstack.flags & SS_DISABLE) && sp > u->altstack.sp &&
	       sp <= u->altstack.sp + u->altstack.size;
}

/* Builds the handler's frame and points tf at the handler: 0, or -EFAULT. */
static int setup_frame(struct trap_frame *tf, int sig, const struct k_sigaction *act,
		       const struct siginfo_k *info, sigset_t old_mask)
{
	struct uthread *u = current_uthread();
	uint64_t sp = tf->rsp;
	if ((act->flags & SA_ONSTACK) && !(u->altstack.flags & SS_DISABLE) && !on_altstack(u, sp))
		sp = u->altstack.sp + u->altstack.size;
	sp -= 128; /* the red zone below the interrupted code's stack pointer */
	sp = ALIGN_DOWN(sp - FXSAVE_SIZE, 64);
	uint64_t fpstate = sp;
	sp = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8; /* as if `call handler` */

	uint8_t fx[FXSAVE_SIZE] __attribute__((aligned(16)));
	__asm__ volatile("fxsave64 %0" : "=m"(fx));

	struct rt_sigframe *f = kzalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->pretcode = act->restorer;
	f->uc.uc_stack.ss_sp = u->altstack.sp;
	f->uc.uc_stack.ss_size = u->altstack.size;
	f->uc.uc_stack.ss_flags = (u->altstack.flags & SS_DISABLE) ? SS_DISABLE
				  : on_altstack(u, tf->rsp) ? SS_ONSTACK : 0;
	struct user_sigcontext *mc = &f->uc.uc_mcontext;
	mc->r8 = tf->r8; mc->r9 = tf->r9; mc->r10 = tf->r10; mc->r11 = tf->r11;
	mc->r12 = tf->r12; mc->r13 = tf->r13; mc->r14 = tf->r14; mc->r15 = tf->r15;
	mc->rdi = tf->rdi; mc->rsi = tf->rsi; mc->rbp = tf->rbp; mc->rbx = tf->rbx;
	mc->rdx = tf->rdx; mc->rax = tf->rax; mc->rcx = tf->rcx; mc->rsp = tf->rsp;
	mc->rip = tf->rip; mc->eflags = tf->rflags;
	mc->cs = (uint16_t)tf->cs;
	mc->ss = (uint16_t)tf->ss;
	mc->err = tf->vector < 32 ? tf->error_code : 0;
	mc->trapno = tf->vector < 32 ? tf->vector : 0;
	mc->oldmask = old_mask;
	mc->cr2 = info->addr;
	mc->fpstate = fpstate;
	f->uc.uc_sigmask = old_mask;
	fill_user_info(&f->info, info);
	int err = copy_to_user((void *)sp, f, sizeof(*f));
	kfree(f);
	if (!err)
		err = copy_to_user((void *)fpstate, fx, sizeof(fx));
	if (err)
		return err;

	tf->rsp = sp;
	tf->rip = act->handler;
	tf->rdi = (uint64_t)sig;
	tf->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
	tf->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(0x100ull | 0x400ull); /* TF, DF */
	tf->cs = GDT_USER_CODE;
	tf->ss = GDT_USER_DATA;
	return 0;
}

/* A system call interrupted by a signal: report EINTR or arrange the restart. */
static void fix_restart(struct trap_frame *tf, const struct k_sigaction *act, bool handler)
{
	struct uthread *u = current_uthread();
	if (u->syscall_nr < 0)
		return;
	int64_t r = (int64_t)tf->rax;
	bool restart;
	switch (r) {
	case -ERESTARTNOINTR: restart = true; break;
	case -ERESTARTSYS: restart = !handler || (act->flags & SA_RESTART); break;
	case -ERESTARTNOHAND: restart = !handler; break;
	default: return;
	}
	if (restart) {
		tf->rax = (uint64_t)u->syscall_nr;
		tf->rip -= 2; /* back onto the 2-byte SYSCALL instruction */
	} else {
		tf->rax = (uint64_t)-EINTR;
	}
	u->syscall_nr = -1; /* handled: a second signal must not rewind again */
}

void do_signals(struct trap_frame *tf)
{
	struct uthread *u = current_uthread();
	struct process *p = u->proc;
	for (;;) {
		if (p->group_exiting || (p->exec_survivor && p->exec_survivor != u))
			do_exit(0);
		if (!may_run(p)) {
			signal_stop_wait();
			continue;
		}
		struct siginfo_k info;
		uint64_t irq = spin_lock_irqsave(&signal_lock);
		int sig = dequeue(u, &info);
		if (!sig) {
			spin_unlock_irqrestore(&signal_lock, irq);
			break;
		}
		struct k_sigaction act = p->sighand->action[sig];
		if (act.handler == SIG_IGN && sig != SIGKILL && sig != SIGSTOP) {
			spin_unlock_irqrestore(&signal_lock, irq);
			continue;
		}
		if (act.handler == SIG_DFL || sig == SIGKILL || sig == SIGSTOP) {
			spin_unlock_irqrestore(&signal_lock, irq);
			enum dfl d = default_action(sig);
			if (d == DFL_IGNORE || d == DFL_CONT)
				continue;
			/* init takes no default-action signals it did not ask for (Linux does the same). */
			if (p->pid == 1 && sig != SIGKILL && sig != SIGSTOP && info.code <= 0)
				continue;
			if (d == DFL_STOP) {
				do_stop(p, sig);
				continue;
			}
			do_exit_group(d == DFL_CORE ? sig | WCOREFLAG : sig);
		}
		/* A handler. */
		if (act.flags & SA_RESETHAND)
			p->sighand->action[sig].handler = SIG_DFL;
		sigset_t old = u->restore_saved_mask ? u->saved_mask : u->blocked;
		u->restore_saved_mask = false;
		u->blocked |= act.mask;
		if (!(act.flags & SA_NODEFER))
			u->blocked |= SIGBIT(sig);
		u->blocked &= ~UNBLOCKABLE;
		spin_unlock_irqrestore(&signal_lock, irq);
		fix_restart(tf, &act, true);
		if (!(act.flags & SA_RESTORER) || setup_frame(tf, sig, &act, &info, old) < 0) {
			/* No frame (bad stack): SIGSEGV with its default action, or this would loop. */
			irq = spin_lock_irqsave(&signal_lock);
			p->sighand->action[SIGSEGV].handler = SIG_DFL;
			spin_unlock_irqrestore(&signal_lock, irq);
			force_signal(SIGSEGV, SI_KERNEL, 0);
			continue;
		}
		return; /* one handler per return; the next signal is delivered after it */
	}
	/* Nothing delivered: a restartable call restarts; rt_sigsuspend's mask comes back. */
	fix_restart(tf, NULL, false);
	if (u->restore_saved_mask) {
		uint64_t irq = spin_lock_irqsave(&signal_lock);
		u->blocked = u->saved_mask;
		u->restore_saved_mask = false;
		spin_unlock_irqrestore(&signal_lock, irq);
	}
}

void user_return_work(struct trap_frame *tf)
{
	struct uthread *u = current_uthread();
	if (!u)
		return;
	irq_enable();
	for (;;) {
		if (this_cpu()->need_resched)
			schedule();
		if (!signal_pending() && may_run(u->proc))
			break;
		do_signals(tf);
		if (!signal_pending() || tf->rip == 0)
			break;
		/* A handler frame is set up; further signals wait until the next return. */
		break;
	}
}

/* rt_sigreturn: the frame is at rsp - 8 (the handler's `ret` popped pretcode). */
static int64_t sys_rt_sigreturn(void)
{
	struct trap_frame *tf = current_user_frame();
	struct uthread *u = current_uthread();
	uint64_t at = tf->rsp - 8;
	struct rt_sigframe *f = kmalloc(sizeof(*f));
	if (!f)
		do_exit_group(SIGSEGV);
	if (copy_from_user(f, (void *)at, sizeof(*f))) {
		kfree(f);
		do_exit_group(SIGSEGV);
	}
	const struct user_sigcontext *mc = &f->uc.uc_mcontext;
	tf->r8 = mc->r8; tf->r9 = mc->r9; tf->r10 = mc->r10; tf->r11 = mc->r11;
	tf->r12 = mc->r12; tf->r13 = mc->r13; tf->r14 = mc->r14; tf->r15 = mc->r15;
	tf->rdi = mc->rdi; tf->rsi = mc->rsi; tf->rbp = mc->rbp; tf->rbx = mc->rbx;
	tf->rdx = mc->rdx; tf->rax = mc->rax; tf->rcx = mc->rcx; tf->rsp = mc->rsp;
	tf->rip = mc->rip;
	/* Only the flags user code may change; IF stays on. */
	const uint64_t user_flags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x200000;
	tf->rflags = (tf->rflags & ~user_flags) | (mc->eflags & user_flags) | 0x200;
	tf->cs = GDT_USER_CODE;
	tf->ss = GDT_USER_DATA;
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	u->blocked = f->uc.uc_sigmask & ~UNBLOCKABLE;
	spin_unlock_irqrestore(&signal_lock, irq);
	uint64_t fpstate = mc->fpstate;
	kfree(f);
	if (fpstate) {
		uint8_t fx[FXSAVE_SIZE] __attribute__((aligned(16)));
		if (copy_from_user(fx, (void *)fpstate, sizeof(fx)))
			do_exit_group(SIGSEGV);
		uint32_t *mxcsr = (uint32_t *)(fx + 24);
		uint32_t mask = *(uint32_t *)(fx + 28) ? *(uint32_t *)(fx + 28) : 0xffbf;
		*mxcsr &= 0xffff & mask; /* reserved MXCSR bits would #GP in FXRSTOR */
		__asm__ volatile("fxrstor64 %0" ::"m"(fx));
	}
	u->frame_replaced = true;
	u->syscall_nr = -1; /* never restart "rt_sigreturn" itself */
	/*
	 * A non-canonical RIP would make the IRET back fault in ring 0. Linux's "bad IRET" path
	 * ends in SIGSEGV for the process; here the signal comes first and the IRET never happens
	 * (a handler's frame replaces the RIP, the default action ends the process).
	 */
	if (tf->rip >= USER_TOP)
		force_signal(SIGSEGV, SI_KERNEL, 0);
	return 0;
}
SYSCALL(15, rt_sigreturn);

void signal_init(void)
{
	waitqueue_init(&stop_wq);
	stop_wq_ready = true;
}

int wait_interruptible_until(struct waitqueue *wq, bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	struct wait_entry we = { .thread = current_thread() };
	struct timer_event te = { 0 };
	if (deadline_ns)
		timer_event_add(&te, deadline_ns, wait_timeout_wake, current_thread());
	int ret = 0;
	for (;;) {
		prepare_to_wait(wq, &we);
		if (cond(arg))
			break;
		if (signal_pending()) {
			ret = -EINTR;
			break;
		}
		if (deadline_ns && clock_monotonic_ns() >= deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		schedule();
	}
	finish_wait(wq, &we);
	if (deadline_ns)
		timer_event_cancel(&te);
	return ret;
}
