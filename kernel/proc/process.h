/*
 * User processes and their threads. A process (thread group) owns an address space, a file
 * descriptor table, a file-system context (cwd, umask) and signal handlers; CLONE_* flags let
 * threads share each of them. Every user thread is a scheduler thread (struct thread) with a
 * struct uthread beside it holding its user-side state: signal mask and pending set, TLS base,
 * the clear-child-tid address.
 *
 * PIDs are their own number space (init is 1), separate from kernel thread ids; a thread's TID
 * is a PID too, the first thread's TID being the process's PID (Linux's TGID).
 *
 * Lifetime: a process lives until its parent reaps it (wait4) after its last thread exited; it
 * is a zombie in between. Orphans are re-parented to init. Locking: proc_lock (a mutex) guards
 * the process tree, the PID table and exit/wait state.
 */
#pragma once

#include "fs/vfs.h"
#include "lib/types.h"
#include "proc/signal.h"
#include "sched/wait.h"
#include "time/timer.h"

struct mm;
struct sem_undo_list;
struct tty;
struct thread;
struct trap_frame;

#define PID_MAX 32768

/* The file-system context of CLONE_FS: working directory and umask. */
struct fs_context {
	struct mutex lock;
	struct path cwd;
	uint32_t umask;
	int refcount;
};

struct rlimit64 {
	uint64_t cur, max;
};
#define RLIMIT_CPU     0
#define RLIMIT_FSIZE   1
#define RLIMIT_DATA    2
#define RLIMIT_STACK   3
#define RLIMIT_CORE    4
#define RLIMIT_RSS     5
#define RLIMIT_NPROC   6
#define RLIMIT_NOFILE  7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS      9
#define RLIM_NLIMITS   16
#define RLIM_INFINITY  (~0ull)

struct creds {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	unsigned ngroups;
	uint32_t groups[32];
};

enum proc_state { PROC_ALIVE, PROC_ZOMBIE, PROC_DEAD };

struct uthread {
	struct thread *thread;
	struct process *proc;
	int tid;
	sigset_t blocked;
	sigset_t pending;
	struct siginfo_k pending_info[NSIG]; /* the siginfo of each pending standard signal */
	struct sigqueue *rt_queue;  /* queued real-time signals, oldest first */
	sigset_t saved_mask;      /* rt_sigsuspend: restored after the handler runs */
	sigset_t real_blocked;    /* rt_sigtimedwait: the mask before the wait (still "blocked") */
	bool restore_saved_mask;
	struct sigaltstack_k altstack;
	uint64_t fs_base, gs_base;
	uint64_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
	uint64_t utime_ns, stime_ns;
	int64_t syscall_nr;       /* the call in progress (-1: none), for restarts */
	bool frame_replaced;      /* execve/rt_sigreturn wrote the whole user frame */
	struct uthread *next;     /* in proc->threads */
};

struct process {
	int pid;                  /* = TGID */
	struct process *parent;
	struct process *children, *sibling;
	struct uthread *threads;
	int nthreads;
	enum proc_state state;
	int exit_status;          /* the wait status word once a zombie */
	int exit_signal;          /* sent to the parent at exit (SIGCHLD, or clone's choice) */
	uint64_t child_events;    /* bumped when a child changes state (wait4's wake-up condition) */
	bool group_exiting;       /* exit_group in progress: every thread leaves */
	struct uthread *exec_survivor; /* execve in a threaded process: every other thread leaves */
	struct waitqueue thread_exit_wq; /* a thread of this process left */
	int group_exit_code;

	/* Job control: stopped by a signal, and the changes wait4 reports. */
	bool stopped;
	int stop_sig;
	bool report_stop, report_continue;

	struct mm *mm;
	struct fd_table *files;
	struct fs_context *fs;
	struct sighand *sighand;
	sigset_t shared_pending;  /* process-directed signals */
	struct siginfo_k shared_info[NSIG];
	struct sigqueue *shared_rt_queue;
	unsigned rt_queued;       /* real-time signals queued (limit: RLIMIT_SIGPENDING) */

	int pgid, sid;
	struct tty *tty;           /* the controlling terminal (proc_lock; inherited at fork) */
	struct creds cred;
	struct sem_undo_list *sem_undo; /* System V SEM_UNDO adjustments (ipc/sem.c), applied at exit */
	struct rlimit64 rlim[RLIM_NLIMITS];
	char comm[16];
	char exe_path[256];

	struct waitqueue child_wait;  /* wait4 sleeps here; children changing state wake it */
	/* ITIMER_REAL (itimer.c). */
	struct mutex itimer_lock;
	struct timer_event itimer;
	uint64_t itimer_deadline_ns, itimer_interval_ns;
	struct completion *vfork_done; /* the vfork parent waits until exec or exit */
	uint64_t start_ns;
	uint64_t cutime_ns, cstime_ns; /* reaped children's times */
	uint64_t dead_threads_ns;      /* CPU time of this process's threads that have exited */
	struct process *all_next;      /* every process, for kill(-1) and /proc */
	int refcount;
};

/* The process tree lock. */
extern struct mutex proc_lock;
extern struct process *init_process;

static inline struct uthread *current_uthread(void);
struct process *current_process(void);

/* PID allocation and lookup (proc_lock held for lookup's result to stay valid). */
int pid_alloc(void);
void pid_free(int pid);
struct process *process_find(int pid);
struct uthread *uthread_find(int tid);
/* The first process in the list (for iteration under proc_lock). */
struct process *process_first(void);
/* mm_unmap_file_from in every process's address space (truncate; proc/mapping.c). */
void proc_unmap_file_from(const struct inode *inode, uint64_t off);

/* Starts PID 1 with the first of paths that execs (argv[0] is replaced by the path); panics if none. */
void process_start_init(const char *const *paths, char *const argv[], char *const envp[]);
/* Boot-time set-up of the process layer. */
void proc_init(void);
void signal_init(void);
void futex_init(void);

/* Objects shared or copied at clone time. */
struct fs_context *fs_context_new(void);
struct fs_context *fs_context_copy(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* The current process's descriptor limit (RLIMIT_NOFILE, at most FD_MAX), and fd_install
 * below it: the lowest free descriptor >= min, or -EMFILE (sys_fs.c). */
int fd_limit(void);
int fd_install_current(struct file *f, int min, unsigned fd_flags);

/* Allocation and linking of threads and processes (fork.c, exit.c). */
struct process *process_alloc(void);
void process_put(struct process *p);
struct uthread *uthread_alloc(struct process *p);
/* Binds a scheduler thread to u (the switch hook then loads u's address space and TLS). */
void uthread_attach(struct uthread *u, struct thread *t);

/* The user register frame at the top of the current thread's kernel stack. */
struct trap_frame *current_user_frame(void);
/* Never returns: enter user mode with the state in tf. */
__attribute__((noreturn)) void enter_user_frame(struct trap_frame *tf);

/* The calling thread leaves (exit); the process ends with its last thread (exit_group). */
__attribute__((noreturn)) void do_exit(int code);
__attribute__((noreturn)) void do_exit_group(int status_word);
/* Wait status words. */
#define W_EXITCODE(code, sig) (((code) << 8) | (sig))
#define W_STOPCODE(sig)       (((sig) << 8) | 0x7f)
#define W_CONTINUED           0xffff
#define WCOREFLAG             0x80

/* Cancels the process's ITIMER_REAL and waits out a running callback (exit). */
void itimer_stop(struct process *p);

/* Runs before every return to user mode: pending signals, rescheduling. */
void user_return_work(struct trap_frame *tf);

#include "arch/x86_64/percpu.h"
#include "sched/sched.h"
static inline struct uthread *current_uthread(void)
{
	return current_thread()->uth;
}

/* Root (euid 0): what Linux's capabilities reduce to until the security issue. */
static inline bool privileged(void)
{
	return current_uthread()->proc->cred.euid == 0;
}
