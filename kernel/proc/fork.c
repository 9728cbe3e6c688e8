/*
 * fork, vfork and clone: a new thread in the same process (CLONE_THREAD) or a new process
 * sharing or copying each part of the caller (address space, descriptors, cwd, handlers) as the
 * flags say. The child starts in user mode from a copy of the caller's frame with %rax = 0.
 */
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

#define CSIGNAL              0x000000ff
#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_PIDFD          0x00001000
#define CLONE_PTRACE         0x00002000
#define CLONE_VFORK          0x00004000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_NEWNS          0x00020000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000
#define CLONE_UNTRACED       0x00800000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_IO             0x80000000
#define CLONE_NAMESPACES     0x7e020000 /* CLONE_NEW*: not supported */

static void child_entry(void *arg)
{
	(void)arg;
	enter_user_frame(current_user_frame());
}

/* The new process's shared or copied parts. */
static int copy_process_parts(struct process *child, struct process *parent, uint64_t flags)
{
	if (flags & CLONE_VM) {
		mm_get(parent->mm);
		child->mm = parent->mm;
	} else if (!(child->mm = mm_fork(parent->mm))) {
		return -ENOMEM;
	}
	if (flags & CLONE_FILES) {
		__atomic_add_fetch(&parent->files->refcount, 1, __ATOMIC_RELAXED);
		child->files = parent->files;
	} else if (!(child->files = fd_table_copy(parent->files))) {
		return -ENOMEM;
	}
	if (flags & CLONE_FS) {
		__atomic_add_fetch(&parent->fs->refcount, 1, __ATOMIC_RELAXED);
		child->fs = parent->fs;
	} else if (!(child->fs = fs_context_copy(parent->fs))) {
		return -ENOMEM;
	}
	if (flags & CLONE_SIGHAND) {
		__atomic_add_fetch(&parent->sighand->refcount, 1, __ATOMIC_RELAXED);
		child->sighand = parent->sighand;
	} else if (!(child->sighand = sighand_copy(parent->sighand))) {
		return -ENOMEM;
	}
	return 0;
}

/* Undoes a half-built process (nothing runs in it yet). */
static void discard_process(struct process *child)
{
	/* Out of /proc's reach first: it takes references on what it finds under proc_lock. */
	mutex_lock(&proc_lock);
	struct mm *mm = child->mm;
	struct fd_table *files = child->files;
	struct fs_context *fs = child->fs;
	struct sighand *sighand = child->sighand;
	child->mm = NULL;
	child->files = NULL;
	child->fs = NULL;
	child->sighand = NULL;
	child->state = PROC_DEAD;
	process_put(child);
	mutex_unlock(&proc_lock);
	if (mm)
		mm_put(mm);
	if (files)
		fd_table_put(files);
	if (fs)
		fs_context_put(fs);
	if (sighand)
		sighand_put(sighand);
}

static int64_t do_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct uthread *cu = current_uthread();
	struct process *parent = cu->proc;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (flags & CLONE_NAMESPACES)
		return -EINVAL; /* FIXME: namespaces */

	struct process *proc = parent;
	struct process *child = NULL;
	if (!(flags & CLONE_THREAD)) {
		if (!(child = process_alloc()))
			return -EAGAIN;
		int err = copy_process_parts(child, parent, flags);
		if (err) {
			discard_process(child);
			return err;
		}
		child->pgid = parent->pgid;
		child->sid = parent->sid;
		child->tty = parent->tty;
		child->cred = parent->cred;
		memcpy(child->rlim, parent->rlim, sizeof(child->rlim));
		memcpy(child->comm, parent->comm, sizeof(child->comm));
		memcpy(child->exe_path, parent->exe_path, sizeof(child->exe_path));
		child->exit_signal = (int)(flags & CSIGNAL);
		child->start_ns = clock_monotonic_ns();
		proc = child;
	}

	struct uthread *u = uthread_alloc(proc);
	struct thread *t = u ? thread_create_stopped(proc->comm, child_entry, NULL, NULL) : NULL;
	if (!t) {
		kfree(u);
		if (child)
			discard_process(child);
		return -ENOMEM;
	}
	thread_detach(t);
	uthread_attach(u, t);
	u->tid = child ? child->pid : pid_alloc();
	if (u->tid < 0) {
		/* FIXME: out of PIDs for a new thread: the stopped thread is leaked */
		return -EAGAIN;
	}
	u->blocked = cu->blocked;
	u->fs_base = (flags & CLONE_SETTLS) ? tls : cu->fs_base;
	u->gs_base = cu->gs_base;
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
		u->altstack = cu->altstack;
	if (flags & CLONE_CHILD_CLEARTID)
		u->clear_child_tid = child_tid;
	thread_set_affinity(t, current_thread()->affinity);

	/* The child's registers: the caller's, returning 0 on the new stack if one was given. */
	struct trap_frame *tf = (struct trap_frame *)thread_stack_top(t) - 1;
	*tf = *current_user_frame();
	tf->rax = 0;
	if (newsp)
		tf->rsp = newsp;

	int tid = u->tid;
	if (flags & CLONE_PARENT_SETTID)
		put_user(tid, (int *)parent_tid);
	if (flags & CLONE_CHILD_SETTID) /* in the child's address space */
		mm_copy_to(proc->mm, child_tid, &tid, sizeof(tid));

	struct completion vfork_done;
	mutex_lock(&proc_lock);
	if (child) {
		struct process *p_of = (flags & CLONE_PARENT) && parent->parent ? parent->parent : parent;
		child->parent = p_of;
		child->sibling = p_of->children;
		p_of->children = child;
		if (flags & CLONE_VFORK) {
			completion_init(&vfork_done);
			child->vfork_done = &vfork_done;
		}
	}
	uint64_t sirq = spin_lock_irqsave(&signal_lock); /* signal senders walk the list under it */
	u->next = proc->threads;
	proc->threads = u;
	spin_unlock_irqrestore(&signal_lock, sirq);
	proc->nthreads++;
	mutex_unlock(&proc_lock);

	thread_wake(t);
	if (child && (flags & CLONE_VFORK))
		wait_for_completion(&vfork_done); /* until the child execs or exits */
	return tid;
}

static int64_t sys_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	return do_clone(flags, newsp, parent_tid, child_tid, tls);
}
SYSCALL(56, clone);

static int64_t sys_fork(void)
{
	return do_clone(SIGCHLD, 0, 0, 0, 0);
}
SYSCALL(57, fork);

static int64_t sys_vfork(void)
{
	return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}
SYSCALL(58, vfork);

/* clone3: struct clone_args. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int64_t sys_clone3(const struct clone_args *uargs, size_t size)
{
	struct clone_args a = { 0 };
	if (size < 64 || size > 4096)
		return -EINVAL;
	if (copy_from_user(&a, uargs, sizeof(a)))
		return -EFAULT;
	if ((a.flags & CSIGNAL) || a.exit_signal > 64 || (a.flags & CLONE_PIDFD))
		return -EINVAL;
	uint64_t sp = a.stack ? a.stack + a.stack_size : 0;
	return do_clone(a.flags | a.exit_signal, sp, a.parent_tid, a.child_tid, a.tls);
}
SYSCALL(435, clone3);
