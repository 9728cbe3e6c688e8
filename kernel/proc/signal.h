/*
 * Signals with Linux's numbers, actions and frame layout. Standard signals (1..31) are pending
 * at most once; real-time ones (32..64) are pending at most once too for now (FIXME: queue
 * them). Delivery happens on the way back to user mode (user_return_work): the first pending,
 * unblocked signal either takes its default action or gets a struct rt_sigframe on the user
 * stack (or the alternate stack) that rt_sigreturn later unwinds.
 */
#pragma once

#include "lib/spinlock.h"
#include "lib/types.h"
#include "sched/wait.h"

#define NSIG 65 /* signals 1..64 */

#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32

typedef uint64_t sigset_t;
#define SIGBIT(sig) (1ull << ((sig) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

#define SIG_DFL 0ull
#define SIG_IGN 1ull

#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER  0x04000000

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* si_code values. */
#define SI_USER    0
#define SI_KERNEL  0x80
#define SI_QUEUE   (-1)
#define SI_TIMER   (-2)
#define SI_TKILL   (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR  2
#define FPE_INTDIV  1
#define ILL_ILLOPN  2
#define CLD_EXITED  1
#define CLD_KILLED  2
#define CLD_DUMPED  3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* The kernel's view of a pending signal's information. */
struct siginfo_k {
	int signo, code, errno_;
	int pid;
	uint32_t uid;
	int status;              /* SIGCHLD */
	uint64_t addr;           /* faults */
	uint64_t utime, stime;
	uint64_t value;          /* sigqueue / timers */
};

/* A queued instance of a real-time signal: each sigqueue() is delivered, in order. */
struct sigqueue {
	struct siginfo_k info;
	struct sigqueue *next;
};

/* struct sigaction as the rt_sigaction system call passes it. */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	sigset_t mask;
};

struct sigaltstack_k {
	uint64_t sp;
	int flags;
	uint64_t size;
};
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* Handlers, shared by CLONE_SIGHAND threads (signal_lock guards them). */
struct sighand {
	struct k_sigaction action[NSIG];
	int refcount;
};

struct process;
struct uthread;
struct trap_frame;

/* One lock for pending sets, masks and actions of every process (irq-safe: timers send too). */
extern spinlock_t signal_lock;

struct sighand *sighand_new(void);
struct sighand *sighand_copy(struct sighand *s);
void sighand_put(struct sighand *s);
/* execve: handled signals go back to their defaults (ignored ones stay ignored). */
void sighand_reset_for_exec(struct sighand *s);

/* Woken whenever a signal is queued to any process (signalfd waits here: its signals are
 * usually blocked, so nothing else wakes it). */
extern struct waitqueue signal_queued_wq;

/* Sends to a process (any thread that does not block it takes it): 0 or -errno. */
int send_signal_process(struct process *p, const struct siginfo_k *info);
/* Sends to one thread. */
int send_signal_thread(struct uthread *u, const struct siginfo_k *info);
/* A fault in user mode: the signal is forced (unblocked, not ignored) like Linux does. */
void force_signal(int sig, int code, uint64_t addr);
/* Takes the lowest pending signal of u in mask (signal_lock held): its number and info, or 0. */
int dequeue_signal(struct uthread *u, sigset_t mask, struct siginfo_k *info);
/* Frees queued real-time signals (exit). */
void sigqueue_flush(struct process *p, struct sigqueue **q);

/* True when the current thread has a signal to handle: interruptible waits end with -EINTR. */
bool signal_pending(void);
/* Delivers pending signals before returning to user mode at tf. */
void do_signals(struct trap_frame *tf);
/* The job-control stop: parks the thread while its process is stopped. */
void signal_stop_wait(void);

/* An interruptible wait: -EINTR when a signal arrives, 0 when cond became true. */
#define wait_event_interruptible(wq, cond)                                        \
	({                                                                        \
		int __ret = 0;                                                    \
		struct wait_entry __we = { .thread = current_thread() };          \
		for (;;) {                                                        \
			prepare_to_wait((wq), &__we);                             \
			if (cond)                                                 \
				break;                                            \
			if (signal_pending()) {                                   \
				__ret = -EINTR;                                   \
				break;                                            \
			}                                                         \
			schedule();                                               \
		}                                                                 \
		finish_wait((wq), &__we);                                         \
		__ret;                                                            \
	})

/*
 * Sleeps on wq until cond(arg) is true (0), the monotonic deadline passes (-ETIMEDOUT; 0 means
 * no deadline) or a signal arrives (-EINTR). The building block of nanosleep, futex, poll.
 */
int wait_interruptible_until(struct waitqueue *wq, bool (*cond)(void *arg), void *arg, uint64_t deadline_ns);
