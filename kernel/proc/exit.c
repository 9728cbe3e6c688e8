/*
 * Leaving: a thread exits (exit), or the whole process (exit_group, a fatal signal). The last
 * thread out releases the address space, descriptors and handlers, turns the process into a
 * zombie, hands its children to init, and tells its parent (exit signal, wait4 wake-up). wait4
 * and waitid reap zombies and report stops and continues.
 */
#include "arch/x86_64/cpu.h"
#include "debug/panic.h"
#include "ipc/ipc.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "mm/vmm.h"
#include "proc/futex.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "tty/tty.h"

#define WNOHANG    0x00000001
#define WUNTRACED  0x00000002
#define WSTOPPED   WUNTRACED
#define WEXITED    0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL     0x40000000
#define __WCLONE   0x80000000

#define P_ALL  0
#define P_PID  1
#define P_PGID 2

static void child_changed(struct process *parent)
{
	__atomic_add_fetch(&parent->child_events, 1, __ATOMIC_RELEASE);
	wake_up_all(&parent->child_wait);
}

/* Children go to init; zombies among them are init's to reap (proc_lock held). */
static void reparent_children(struct process *p)
{
	if (!p->children)
		return;
	struct process *last = p->children;
	for (struct process *c = p->children; c; c = c->sibling) {
		c->parent = init_process;
		last = c;
	}
	last->sibling = init_process->children;
	init_process->children = p->children;
	p->children = NULL;
	child_changed(init_process);
}

/* Tells the parent: the exit signal (unless it ignores SIGCHLD, which reaps automatically). */
static bool notify_parent_exit(struct process *p)
{
	struct process *parent = p->parent;
	struct k_sigaction *a = &parent->sighand->action[SIGCHLD];
	bool autoreap = p->exit_signal == SIGCHLD && (a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT));
	if (p->exit_signal && !autoreap) {
		int st = p->exit_status;
		struct siginfo_k info = { .signo = p->exit_signal, .pid = p->pid, .uid = p->cred.uid };
		if ((st & 0x7f) == 0) {
			info.code = CLD_EXITED;
			info.status = (st >> 8) & 0xff;
		} else {
			info.code = (st & WCOREFLAG) ? CLD_DUMPED : CLD_KILLED;
			info.status = st & 0x7f;
		}
		send_signal_process(parent, &info);
	}
	child_changed(parent);
	return autoreap;
}

static void reap(struct process *c);

/* The last thread of p is leaving (proc_lock held). */
static void process_exit(struct process *p, int status)
{
	if (p == init_process)
		panic("init (PID 1) exited with status 0x%x", status);
	p->exit_status = status;
	tty_session_leader_exit(p); /* a session leader's terminal hangs up */
	tty_exit_orphans(p);
	reparent_children(p);
	p->state = PROC_ZOMBIE;
	if (p->vfork_done) {
		complete(p->vfork_done);
		p->vfork_done = NULL;
	}
	if (notify_parent_exit(p))
		reap(p);
}

/* Resources a process holds only while it runs. */
static void release_resources(struct process *p)
{
	itimer_stop(p);
	ipc_sem_exit(p); /* SEM_UNDO adjustments */
	struct mm *mm = p->mm;
	p->mm = NULL;
	pgt_activate(kernel_pml4);
	if (mm)
		mm_put(mm);
	if (p->files)
		fd_table_put(p->files);
	p->files = NULL;
	if (p->fs)
		fs_context_put(p->fs);
	p->fs = NULL;
}

static bool last_thread_of(const struct process *p)
{
	return p->nthreads == 1;
}

__attribute__((noreturn)) void do_exit(int code)
{
	struct uthread *u = current_uthread();
	struct process *p = u->proc;
	if (u->clear_child_tid) { /* pthread_join waits on this futex */
		int zero = 0;
		if (copy_to_user((void *)u->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake(u->clear_child_tid, 1, FUTEX_ANY);
	}
	mutex_lock(&proc_lock);
	/*
	 * The scheduler's switch hook reads u->proc until uth is cleared below; once this lock is
	 * dropped the parent may reap p (or p reaps itself, SIGCHLD ignored), so hold it till then.
	 */
	p->refcount++;
	p->dead_threads_ns += thread_runtime_ns(current_thread());
	/* Signal senders walk the thread list under signal_lock alone: change it under both. */
	uint64_t sirq = spin_lock_irqsave(&signal_lock);
	for (struct uthread **pp = &p->threads; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	sigqueue_flush(p, &u->rt_queue);
	if (last_thread_of(p))
		sigqueue_flush(p, &p->shared_rt_queue);
	spin_unlock_irqrestore(&signal_lock, sirq);
	bool last = --p->nthreads == 0;
	if (u->tid != p->pid)
		pid_free(u->tid);
	if (last) {
		release_resources(p);
		process_exit(p, p->group_exiting ? p->group_exit_code : W_EXITCODE(code & 0xff, 0));
	}
	mutex_unlock(&proc_lock);
	if (!last)
		wake_up_all(&p->thread_exit_wq); /* an execve may wait for the others to leave */
	/* This thread is a kernel thread from here on: no user state to switch to. */
	uint64_t irq = irq_save();
	current_thread()->uth = NULL;
	if (!last)
		pgt_activate(kernel_pml4);
	irq_restore(irq);
	kfree(u);
	mutex_lock(&proc_lock);
	process_put(p);
	mutex_unlock(&proc_lock);
	thread_exit(0);
}

__attribute__((noreturn)) void do_exit_group(int status)
{
	struct process *p = current_process();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	if (!p->group_exiting) {
		p->group_exiting = true;
		p->group_exit_code = status;
	}
	for (struct uthread *u = p->threads; u; u = u->next)
		if (u != current_uthread())
			thread_wake(u->thread); /* they leave on their way back to user mode */
	spin_unlock_irqrestore(&signal_lock, irq);
	do_exit(0);
}

static int64_t sys_exit(int code)
{
	struct process *p = current_process();
	if (p->nthreads == 1) /* the last thread: the process's status is this code */
		do_exit_group(W_EXITCODE(code & 0xff, 0));
	do_exit(code);
}
SYSCALL(60, exit);

static int64_t sys_exit_group(int code)
{
	do_exit_group(W_EXITCODE(code & 0xff, 0));
}
SYSCALL(231, exit_group);

/* ---- waiting ---- */

/* Frees a zombie (proc_lock held). */
static void reap(struct process *c)
{
	struct process *parent = c->parent;
	for (struct process **pp = &parent->children; *pp; pp = &(*pp)->sibling)
		if (*pp == c) {
			*pp = c->sibling;
			break;
		}
	parent->cutime_ns += c->dead_threads_ns + c->cutime_ns; /* FIXME: user and system time not split */
	parent->cstime_ns += c->cstime_ns;
	if (c->sighand)
		sighand_put(c->sighand);
	c->sighand = NULL;
	c->state = PROC_DEAD;
	process_put(c);
}

static bool matches(const struct process *c, int idtype, int id)
{
	switch (idtype) {
	case P_ALL: return true;
	case P_PID: return c->pid == id;
	case P_PGID: return c->pgid == id;
	default: return false;
	}
}

struct wait_result {
	int pid;
	int status;      /* wait4's status word */
	int code;        /* waitid's si_code */
	uint32_t uid;
};

/* One scan of the children: 1 found, 0 none ready yet, -ECHILD none at all (proc_lock held). */
static int scan_children(struct process *p, int idtype, int id, int options, struct wait_result *r)
{
	bool any = false;
	for (struct process *c = p->children; c; c = c->sibling) {
		if (!matches(c, idtype, id))
			continue;
		any = true;
		r->pid = c->pid;
		r->uid = c->cred.uid;
		if (c->state == PROC_ZOMBIE && (options & WEXITED)) {
			r->status = c->exit_status;
			r->code = (c->exit_status & 0x7f) == 0 ? CLD_EXITED
				  : (c->exit_status & WCOREFLAG) ? CLD_DUMPED : CLD_KILLED;
			if (!(options & WNOWAIT))
				reap(c);
			return 1;
		}
		if ((options & WSTOPPED) && c->report_stop && c->stopped) {
			r->status = W_STOPCODE(c->stop_sig);
			r->code = CLD_STOPPED;
			if (!(options & WNOWAIT))
				c->report_stop = false;
			return 1;
		}
		if ((options & WCONTINUED) && c->report_continue) {
			r->status = W_CONTINUED;
			r->code = CLD_CONTINUED;
			if (!(options & WNOWAIT))
				c->report_continue = false;
			return 1;
		}
	}
	return any ? 0 : -ECHILD;
}

static int do_wait(int idtype, int id, int options, struct wait_result *r)
{
	struct process *p = current_process();
	for (;;) {
		mutex_lock(&proc_lock);
		uint64_t gen = __atomic_load_n(&p->child_events, __ATOMIC_ACQUIRE);
		int found = scan_children(p, idtype, id, options, r);
		mutex_unlock(&proc_lock);
		if (found)
			return found;
		if (options & WNOHANG)
			return 0;
		if (wait_event_interruptible(&p->child_wait,
					     __atomic_load_n(&p->child_events, __ATOMIC_ACQUIRE) != gen))
			return -ERESTARTSYS;
	}
}

struct rusage;
static int64_t sys_wait4(int pid, int *ustatus, int options, struct rusage *ru)
{
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	int idtype = P_PID, id = pid;
	if (pid == -1) {
		idtype = P_ALL;
	} else if (pid == 0) {
		idtype = P_PGID;
		id = current_process()->pgid;
	} else if (pid < -1) {
		idtype = P_PGID;
		id = -pid;
	}
	struct wait_result r;
	int found = do_wait(idtype, id, options | WEXITED, &r);
	if (found <= 0)
		return found;
	if (ustatus && put_user(r.status, ustatus))
		return -EFAULT;
	if (ru && clear_user(ru, 144))
		return -EFAULT;
	return r.pid;
}
SYSCALL(61, wait4);

static int64_t sys_waitid(int idtype, int id, void *uinfo, int options, struct rusage *ru)
{
	if (options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)) || idtype < P_ALL || idtype > P_PGID)
		return -EINVAL;
	if (idtype == P_PGID && id == 0)
		id = current_process()->pgid;
	struct wait_result r = { 0 };
	int found = do_wait(idtype, id, options, &r);
	if (found < 0)
		return found;
	if (uinfo) {
		int32_t si[32] = { 0 };
		if (found) {
			si[0] = SIGCHLD;
			si[2] = r.code;
			si[4] = r.pid;
			si[5] = (int32_t)r.uid;
			si[6] = r.code == CLD_EXITED ? (r.status >> 8) & 0xff
				: r.code == CLD_STOPPED ? (r.status >> 8) & 0xff
				: r.code == CLD_CONTINUED ? SIGCONT : r.status & 0x7f;
		}
		if (copy_to_user(uinfo, si, sizeof(si)))
			return -EFAULT;
	}
	if (ru && clear_user(ru, 144))
		return -EFAULT;
	return 0;
}
SYSCALL(247, waitid);
