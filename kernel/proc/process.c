/*
 * Processes and user threads: PID allocation, the process list, per-process contexts, and the
 * scheduler hook that puts a user thread's address space and TLS in place when it runs.
 */
#include "proc/process.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmm.h"

struct mutex proc_lock = MUTEX_INIT;
struct process *init_process;

static uint64_t pid_bitmap[PID_MAX / 64];
static int last_pid;
static spinlock_t pid_lock = SPINLOCK_INIT;
static struct process *all_processes;

int pid_alloc(void)
{
	uint64_t irq = spin_lock_irqsave(&pid_lock);
	int pid = -EAGAIN;
	/* Increasing numbers from the last one, wrapping, as Linux does: a PID is not reused soon. */
	for (int i = 1; i < PID_MAX; i++) {
		int cand = (last_pid + i) % PID_MAX;
		if (cand == 0)
			continue;
		if (!(pid_bitmap[cand / 64] & (1ull << (cand % 64)))) {
			pid_bitmap[cand / 64] |= 1ull << (cand % 64);
			last_pid = cand;
			pid = cand;
			break;
		}
	}
	spin_unlock_irqrestore(&pid_lock, irq);
	return pid;
}

void pid_free(int pid)
{
	uint64_t irq = spin_lock_irqsave(&pid_lock);
	pid_bitmap[pid / 64] &= ~(1ull << (pid % 64));
	spin_unlock_irqrestore(&pid_lock, irq);
}

struct process *process_first(void)
{
	return all_processes;
}

struct process *process_find(int pid)
{
	for (struct process *p = all_processes; p; p = p->all_next)
		if (p->pid == pid && p->state != PROC_DEAD)
			return p;
	return NULL;
}

struct uthread *uthread_find(int tid)
{
	for (struct process *p = all_processes; p; p = p->all_next)
		for (struct uthread *u = p->threads; u; u = u->next)
			if (u->tid == tid)
				return u;
	return NULL;
}

struct process *current_process(void)
{
	struct uthread *u = current_uthread();
	return u ? u->proc : NULL;
}

/* ---- file-system contexts ---- */

struct fs_context *fs_context_new(void)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));
	if (!fs)
		return NULL;
	mutex_init(&fs->lock);
	vfs_root(&fs->cwd);
	fs->umask = 022;
	fs->refcount = 1;
	return fs;
}

struct fs_context *fs_context_copy(struct fs_context *src)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));
	if (!fs)
		return NULL;
	mutex_init(&fs->lock);
	mutex_lock(&src->lock);
	fs->cwd = src->cwd;
	path_get(&fs->cwd);
	fs->umask = src->umask;
	mutex_unlock(&src->lock);
	fs->refcount = 1;
	return fs;
}

void fs_context_put(struct fs_context *fs)
{
	if (__atomic_sub_fetch(&fs->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path_put(&fs->cwd);
	kfree(fs);
}

/* ---- processes and threads ---- */

static const struct rlimit64 default_rlimits[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_FSIZE] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_DATA] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_STACK] = { 8ull << 20, RLIM_INFINITY },
	[RLIMIT_CORE] = { 0, RLIM_INFINITY },
	[RLIMIT_RSS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_NPROC] = { 4096, 4096 },
	[RLIMIT_NOFILE] = { FD_MAX, FD_MAX },
	[RLIMIT_MEMLOCK] = { 8ull << 20, 8ull << 20 },
	[RLIMIT_AS] = { RLIM_INFINITY, RLIM_INFINITY },
	[10] = { RLIM_INFINITY, RLIM_INFINITY }, /* LOCKS */
	[11] = { 4096, 4096 },                   /* SIGPENDING */
	[12] = { 819200, 819200 },               /* MSGQUEUE */
	[13] = { 0, 0 },                         /* NICE */
	[14] = { 0, 0 },                         /* RTPRIO */
	[15] = { RLIM_INFINITY, RLIM_INFINITY }, /* RTTIME */
};

struct process *process_alloc(void)
{
	struct process *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid_alloc();
	if (p->pid < 0) {
		kfree(p);
		return NULL;
	}
	waitqueue_init(&p->child_wait);
	mutex_init(&p->itimer_lock);
	waitqueue_init(&p->thread_exit_wq);
	memcpy(p->rlim, default_rlimits, sizeof(p->rlim));
	p->refcount = 1;
	mutex_lock(&proc_lock);
	p->all_next = all_processes;
	all_processes = p;
	mutex_unlock(&proc_lock);
	return p;
}

/* The last reference: the process was reaped (proc_lock held by the caller). */
void process_put(struct process *p)
{
	if (--p->refcount)
		return;
	for (struct process **pp = &all_processes; *pp; pp = &(*pp)->all_next)
		if (*pp == p) {
			*pp = p->all_next;
			break;
		}
	pid_free(p->pid);
	kfree(p);
}

struct uthread *uthread_alloc(struct process *p)
{
	struct uthread *u = kzalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->proc = p;
	u->syscall_nr = -1;
	u->altstack.flags = SS_DISABLE;
	return u;
}

void uthread_attach(struct uthread *u, struct thread *t)
{
	u->thread = t;
	t->uth = u;
}

_Static_assert(sizeof(struct trap_frame) == THREAD_USER_FRAME_SIZE, "the frame fits the reserved space");

struct trap_frame *current_user_frame(void)
{
	return (struct trap_frame *)thread_stack_top(current_thread()) - 1;
}

/* The switch hook: the next thread's address space, TLS base and user GS base. */
static void switch_to_user_state(struct thread *next)
{
	struct uthread *u = next->uth;
	if (!u || !u->proc->mm) {
		pgt_activate(kernel_pml4);
		return;
	}
	pgt_activate(u->proc->mm->root);
	wrmsr(MSR_FS_BASE, u->fs_base);
	wrmsr(0xc0000102, u->gs_base); /* KERNEL_GS_BASE: the user's GS after swapgs */
}

void proc_init(void)
{
	sched_switch_hook = switch_to_user_state;
}
