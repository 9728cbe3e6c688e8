/*
 * signals: delivery and its details. Handlers and siginfo, masks and pending sets, real-time
 * queueing, SA_RESTART against EINTR, the alternate stack, SIGCHLD, default actions, stop and
 * continue, sigsuspend, sigtimedwait, faults (SIGFPE, SIGILL, SIGSEGV, SIGTRAP), changing the
 * interrupted context, FPU state across a handler, tgkill/tkill, and what execve keeps.
 *
 * Run it by its absolute path: it executes itself again (argv[1] = "exec-check").
 */
#include "t.h"

#include <poll.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

/* --- one recording handler --- */

static volatile sig_atomic_t hits[_NSIG];
static siginfo_t last_info;
static sigset_t mask_in_handler;
static stack_t stack_in_handler;
static void *local_in_handler;
static int rt_values[8];
static volatile int nrt;
static int ack_fd = -1; /* when set, the handler writes a byte here */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)uc;
	hits[sig]++;
	last_info = *si;
	sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
	sigaltstack(NULL, &stack_in_handler);
	local_in_handler = &here;
	if (sig >= SIGRTMIN && nrt < 8)
		rt_values[nrt++] = si->si_value.sival_int;
	if (ack_fd >= 0 && write(ack_fd, "a", 1) < 0)
		_exit(98);
}

static int handle(int sig, int flags, int also_mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (also_mask)
		sigaddset(&sa.sa_mask, also_mask);
	hits[sig] = 0;
	return sigaction(sig, &sa, NULL);
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

static sigset_t just(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	return s;
}

static int is_blocked(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static int is_pending(int sig)
{
	sigset_t p;

	sigpending(&p);
	return sigismember(&p, sig);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts = { 0, 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- handlers and siginfo --- */

static void test_handlers(void)
{
	handle(SIGUSR1, 0, SIGUSR2);
	raise(SIGUSR1);
	CHECK_EQ("raise_runs_handler", hits[SIGUSR1], 1);
	CHECK_EQ("raise_si_code_tkill", last_info.si_code, SI_TKILL);
	CHECK("handler_blocks_own_signal", sigismember(&mask_in_handler, SIGUSR1));
	CHECK("handler_blocks_sa_mask", sigismember(&mask_in_handler, SIGUSR2));
	CHECK("handler_mask_restored", !is_blocked(SIGUSR1) && !is_blocked(SIGUSR2));

	kill(getpid(), SIGUSR1);
	CHECK_EQ("kill_self_runs_handler", hits[SIGUSR1], 2);
	CHECK_EQ("siginfo_signo", last_info.si_signo, SIGUSR1);
	CHECK_EQ("siginfo_code_user", last_info.si_code, SI_USER);
	CHECK_EQ("siginfo_pid", last_info.si_pid, getpid());
	CHECK_EQ("siginfo_uid", last_info.si_uid, getuid());

	union sigval v = { .sival_int = 1234 };
	sigqueue(getpid(), SIGUSR1, v);
	CHECK("sigqueue_si_queue", hits[SIGUSR1] == 3 && last_info.si_code == SI_QUEUE);
	CHECK_EQ("sigqueue_value", last_info.si_value.sival_int, 1234);

	handle(SIGUSR1, SA_NODEFER, 0);
	raise(SIGUSR1);
	CHECK("sa_nodefer", hits[SIGUSR1] == 1 && !sigismember(&mask_in_handler, SIGUSR1));

	handle(SIGUSR1, SA_RESETHAND, 0);
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	CHECK("sa_resethand", hits[SIGUSR1] == 1 && now.sa_handler == SIG_DFL);

	struct sigaction sa = { .sa_handler = SIG_IGN };
	CHECK_ERR("sigaction_sigkill_einval", sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR("sigaction_sigstop_einval", sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_ERR("kill_bad_signal_einval", kill(getpid(), 1000), EINVAL);
	CHECK_OK("kill_signal0_probe", kill(getpid(), 0));

	/* tgkill and tkill straight from syscall(). */
	handle(SIGUSR2, 0, 0);
	syscall(SYS_tgkill, getpid(), t_gettid(), SIGUSR2);
	CHECK("tgkill_self", hits[SIGUSR2] == 1 && last_info.si_code == SI_TKILL && last_info.si_pid == getpid());
	syscall(SYS_tkill, t_gettid(), SIGUSR2);
	CHECK("tkill_self", hits[SIGUSR2] == 2 && last_info.si_code == SI_TKILL);
	CHECK_ERR("tgkill_wrong_group_esrch", syscall(SYS_tgkill, getppid(), t_gettid(), 0), ESRCH);
	set_default(SIGUSR1);
	set_default(SIGUSR2);
}

/* --- masks, pending signals, queueing --- */

static void test_masks(void)
{
	sigset_t s = just(SIGUSR1), old;

	handle(SIGUSR1, 0, 0);
	sigprocmask(SIG_BLOCK, &s, &old);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	CHECK_EQ("blocked_not_delivered", hits[SIGUSR1], 0);
	CHECK("sigpending_shows_blocked", is_pending(SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ("unblock_delivers_once", hits[SIGUSR1], 1);
	CHECK("unblock_clears_pending", !is_pending(SIGUSR1));

	/* Real-time signals queue, each with its value, in order. */
	int rt = SIGRTMIN + 1;
	s = just(rt);
	handle(rt, 0, 0);
	nrt = 0;
	sigprocmask(SIG_BLOCK, &s, &old);
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), rt, (union sigval){ .sival_int = i });
	CHECK_EQ("rt_blocked_not_delivered", hits[rt], 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ("rt_signals_queue", hits[rt], 3);
	CHECK("rt_signals_in_order", nrt == 3 && rt_values[0] == 1 && rt_values[1] == 2 && rt_values[2] == 3);
	set_default(rt);

	/* SIG_IGN: an ignored signal does nothing, and ignoring one drops it from pending. */
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	CHECK("sig_ign_ignored", 1);
	s = just(SIGUSR2);
	set_default(SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, &old);
	raise(SIGUSR2);
	int was = is_pending(SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	CHECK("sig_ign_discards_pending", was && !is_pending(SIGUSR2));
	sigprocmask(SIG_SETMASK, &old, NULL);
	set_default(SIGUSR2);
	set_default(SIGUSR1);
}

/* --- SA_RESTART against EINTR on a blocking pipe read --- */

/*
 * Each of these tests blocks in read() on a pipe. So that a kernel that never delivers the
 * signal fails the check instead of hanging the program, a child writes 'r' after 10 s.
 */
static pid_t rescue(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		sleep_ms(10000);
		_exit(write(fd, "r", 1) == 1 ? 0 : 1);
	}
	return pid;
}

static void end_rescue(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		t_wait(pid);
	}
}

/* Waits up to 10 s for an acknowledgement from the parent's handler. */
static int got_ack(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pf, 1, 10000) == 1 && read(fd, &c, 1) == 1;
}

static void stop_timer(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
}

/* A repeating timer: if one tick comes before read() blocks, a later one interrupts it. */
static void test_eintr_timer(void)
{
	int p[2];
	char c;
	struct itimerval every = { { 0, 200000 }, { 0, 200000 } };

	if (!NEED("eintr_timer", pipe(p)))
		return;
	pid_t helper = rescue(p[1]);
	handle(SIGALRM, 0, 0);
	setitimer(ITIMER_REAL, &every, NULL);
	errno = 0;
	ssize_t r = read(p[0], &c, 1);
	int e = errno;
	stop_timer();
	end_rescue(helper);
	t_check("eintr_timer_no_restart", r == -1 && e == EINTR, "read returned %zd (%s)", r, t_errname(e));
	CHECK("eintr_timer_handler_ran", hits[SIGALRM] >= 1);
	set_default(SIGALRM);
	close(p[0]);
	close(p[1]);
}

/* With SA_RESTART the read survives three ticks; the child writes after it saw them. */
static void test_restart_timer(void)
{
	int p[2], ack[2];
	char c = 0;
	struct itimerval every = { { 0, 100000 }, { 0, 100000 } };

	if (!NEED("restart_timer", pipe(p)) || !NEED("restart_timer", pipe(ack)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3 && got_ack(ack[0]); i++)
			;
		_exit(write(p[1], "d", 1) == 1 ? 0 : 2);
	}
	ack_fd = ack[1];
	handle(SIGALRM, SA_RESTART, 0);
	setitimer(ITIMER_REAL, &every, NULL);
	errno = 0;
	ssize_t r = read(p[0], &c, 1);
	int e = errno;
	stop_timer();
	ack_fd = -1;
	t_check("sa_restart_timer", r == 1 && c == 'd', "read returned %zd (%s)", r, t_errname(e));
	CHECK("sa_restart_timer_handler_ran", hits[SIGALRM] >= 3);
	CHECK_CHILD("sa_restart_timer_child", t_wait(pid));
	set_default(SIGALRM);
	close(p[0]), close(p[1]), close(ack[0]), close(ack[1]);
}

/* The same with signals from a child (kill), which waits for each acknowledgement. */
static void test_child_signals(int restart)
{
	int p[2], ack[2];
	char c = 0;
	const char *check = restart ? "sa_restart_child_kill" : "eintr_child_kill";

	if (!NEED(check, pipe(p)) || !NEED(check, pipe(ack)))
		return;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; restart ? i < 3 : 1; i++) {
			sleep_ms(50);
			kill(parent, SIGUSR1);
			if (!got_ack(ack[0]))
				break; /* the signal did not arrive: let the read end */
		}
		_exit(write(p[1], "k", 1) == 1 ? 0 : 2);
	}
	ack_fd = ack[1];
	handle(SIGUSR1, restart ? SA_RESTART : 0, 0);
	errno = 0;
	ssize_t r = read(p[0], &c, 1);
	int e = errno;
	ack_fd = -1;
	if (restart) {
		t_check(check, r == 1 && c == 'k' && hits[SIGUSR1] == 3, "read returned %zd (%s), %d signals",
			r, t_errname(e), (int)hits[SIGUSR1]);
		CHECK_CHILD("sa_restart_child", t_wait(pid));
	} else {
		t_check(check, r == -1 && e == EINTR, "read returned %zd (%s)", r, t_errname(e));
		kill(pid, SIGKILL);
		t_wait(pid);
	}
	set_default(SIGUSR1);
	close(p[0]), close(p[1]), close(ack[0]), close(ack[1]);
}

/* --- the alternate signal stack --- */

static char altstack[64 * 1024];

static void test_altstack(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 }, cur;

	if (!CHECK_OK("sigaltstack_set", sigaltstack(&ss, NULL)))
		return;
	handle(SIGUSR1, SA_ONSTACK, 0);
	raise(SIGUSR1);
	char *l = local_in_handler;
	CHECK("altstack_handler_runs_on_it", hits[SIGUSR1] == 1 && l >= altstack && l < altstack + sizeof(altstack));
	CHECK("altstack_ss_onstack_inside", stack_in_handler.ss_flags & SS_ONSTACK);
	sigaltstack(NULL, &cur);
	CHECK("altstack_not_onstack_outside", !(cur.ss_flags & SS_ONSTACK) && cur.ss_sp == altstack);

	handle(SIGUSR1, 0, 0);
	raise(SIGUSR1);
	l = local_in_handler;
	CHECK("altstack_unused_without_sa_onstack", !(l >= altstack && l < altstack + sizeof(altstack)));
	set_default(SIGUSR1);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static void on_overflow(int sig)
{
	_exit(sig == SIGSEGV ? 0 : 1);
}

static unsigned long recurse(unsigned long n)
{
	volatile char frame[1024];

	frame[0] = (char)n;
	return n == 0 ? 0 : recurse(n - 1) + frame[0];
}

/* A stack overflow can only be handled on the alternate stack. */
static int overflow_child(void)
{
	static char stk[64 * 1024];
	stack_t ss = { .ss_sp = stk, .ss_size = sizeof(stk), .ss_flags = 0 };
	struct sigaction sa = { .sa_handler = on_overflow, .sa_flags = SA_ONSTACK };

	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	return recurse(1ul << 40) == 12345 ? 2 : 3;
}

static void test_overflow(void)
{
	CHECK_CHILD("altstack_stack_overflow", t_in_child(overflow_child));
}

/* --- SIGCHLD --- */

static void test_sigchld(void)
{
	sigset_t s = just(SIGCHLD), old, wait_mask;

	handle(SIGCHLD, 0, 0);
	sigprocmask(SIG_BLOCK, &s, &old);
	wait_mask = old;
	sigdelset(&wait_mask, SIGCHLD);

	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	t_wait(pid);
	CHECK("sigchld_pending_after_exit", is_pending(SIGCHLD));
	sigsuspend(&wait_mask);
	CHECK_EQ("sigchld_delivered", hits[SIGCHLD], 1);
	CHECK_EQ("sigchld_si_pid", last_info.si_pid, pid);
	CHECK_EQ("sigchld_cld_exited", last_info.si_code, CLD_EXITED);
	CHECK_EQ("sigchld_si_status", last_info.si_status, 7);

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	t_wait(pid);
	sigsuspend(&wait_mask);
	CHECK("sigchld_cld_killed", hits[SIGCHLD] == 2 && last_info.si_code == CLD_KILLED &&
					   last_info.si_status == SIGKILL && last_info.si_pid == pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	set_default(SIGCHLD);
}

/* --- default actions, stop and continue --- */

static int ignore_by_default_child(void)
{
	raise(SIGURG);
	raise(SIGWINCH);
	raise(SIGCHLD);
	return 0;
}

static void test_defaults(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGTERM);
	int st = t_wait(pid);
	t_check("default_sigterm_kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child %s", t_status(st));

	pid = fork();
	if (pid == 0)
		abort();
	st = t_wait(pid);
	t_check("default_abort", WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "child %s", t_status(st));

	CHECK_CHILD("default_ignored_signals", t_in_child(ignore_by_default_child));

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	pid_t got = waitpid(pid, &st, WUNTRACED);
	CHECK("sigstop_wuntraced", got == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	CHECK_EQ("stopped_reported_once", waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	kill(pid, SIGCONT);
	got = waitpid(pid, &st, WCONTINUED);
	CHECK("sigcont_wcontinued", got == pid && WIFCONTINUED(st));
	kill(pid, SIGKILL);
	st = t_wait(pid);
	CHECK("stopped_child_killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* --- sigsuspend and sigtimedwait --- */

static void test_suspend_wait(void)
{
	sigset_t s = just(SIGUSR1), old, wait_mask;

	handle(SIGUSR1, 0, 0);
	sigprocmask(SIG_BLOCK, &s, &old);
	wait_mask = old;
	sigdelset(&wait_mask, SIGUSR1);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	errno = 0;
	int r = sigsuspend(&wait_mask);
	CHECK("sigsuspend_eintr", r == -1 && errno == EINTR && hits[SIGUSR1] == 1);
	CHECK("sigsuspend_restores_mask", is_blocked(SIGUSR1));
	t_wait(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	set_default(SIGUSR1);

	/* sigtimedwait: times out with EAGAIN, or takes a pending signal without a handler. */
	s = just(SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, &old);
	struct timespec tmo = { 0, 100 * 1000 * 1000 };
	siginfo_t si;
	double t0 = now_s();
	CHECK_ERR("sigtimedwait_timeout_eagain", sigtimedwait(&s, &si, &tmo), EAGAIN);
	double waited = now_s() - t0;
	t_check("sigtimedwait_waits", waited >= 0.099, "returned after %.3f s", waited);
	raise(SIGUSR2);
	memset(&si, 0, sizeof(si));
	CHECK_EQ("sigtimedwait_pending", sigtimedwait(&s, &si, &tmo), SIGUSR2);
	CHECK("sigtimedwait_siginfo", si.si_signo == SIGUSR2 && si.si_code == SI_TKILL);
	CHECK("sigtimedwait_consumes", !is_pending(SIGUSR2));
	kill(getpid(), SIGUSR2);
	CHECK_EQ("sigwaitinfo_pending", sigwaitinfo(&s, &si), SIGUSR2);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* A blocked signal whose default is "ignore" is kept for sigtimedwait, not dropped: the
	 * way busybox init waits for its children (SIGCHLD). */
	set_default(SIGCHLD);
	s = just(SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, &old);
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		_exit(0);
	}
	struct timespec two = { 2, 0 };
	memset(&si, 0, sizeof(si));
	CHECK_EQ("sigtimedwait_sigchld_default", sigtimedwait(&s, &si, &two), SIGCHLD);
	CHECK("sigtimedwait_sigchld_info", si.si_pid == pid && si.si_code == CLD_EXITED);
	t_wait(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* --- faults --- */

static void divide_by_zero(void *arg)
{
	int a = 1, b = (int)(long)arg;

	__asm__ volatile("cltd; idivl %1" : "+a"(a) : "r"(b) : "rdx");
}

static void *volatile ud2_at;

static void do_ud2(void *arg)
{
	(void)arg;
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\tmovq %%rax, %0\n1:\tud2" : "=m"(ud2_at) : : "rax", "memory");
}

static void do_int3(void *arg)
{
	(void)arg;
	__asm__ volatile("int3");
}

static void on_ud2_skip(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* step over ud2 */
	uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static void test_faults(void)
{
	siginfo_t si;

	int sig = t_fault(divide_by_zero, (void *)0, &si);
	CHECK("sigfpe_divide_by_zero", sig == SIGFPE && si.si_code == FPE_INTDIV);
	sig = t_fault(do_ud2, NULL, &si);
	CHECK("sigill_ud2", sig == SIGILL && si.si_code == ILL_ILLOPN);
	CHECK("sigill_si_addr", sig == SIGILL && si.si_addr == ud2_at && ud2_at != NULL);
	sig = t_fault(t_read_byte, NULL, &si);
	CHECK("sigsegv_null", sig == SIGSEGV && si.si_code == SEGV_MAPERR);
	CHECK("sigsegv_null_si_addr", sig == SIGSEGV && si.si_addr == NULL);
	sig = t_fault(t_read_byte, (void *)0x0000800000000000ul, &si);
	CHECK_EQ("sigsegv_noncanonical", sig, SIGSEGV);
	sig = t_fault(t_read_byte, (void *)0xffff800000000000ul, &si);
	CHECK_EQ("sigsegv_kernel_address", sig, SIGSEGV);
	sig = t_fault(do_int3, NULL, &si);
	CHECK_EQ("sigtrap_int3", sig, SIGTRAP);
	/* After all that the process runs on normally. */
	CHECK_EQ("faults_survived", getpid() > 0, 1);

	/* A handler that edits the interrupted context: sigreturn must load it. */
	struct sigaction sa = { .sa_sigaction = on_ud2_skip, .sa_flags = SA_SIGINFO }, old;
	sigaction(SIGILL, &sa, &old);
	long rax;
	__asm__ volatile("xorl %%eax, %%eax\n\tud2" : "=a"(rax));
	sigaction(SIGILL, &old, NULL);
	CHECK_EQ("sigreturn_loads_edited_context", rax, 1234);
}

/* --- FPU/SSE state survives handlers that use it themselves --- */

static volatile double handler_sink;

static void on_tick_fpu(int sig)
{
	double x = sig;

	for (int i = 0; i < 100; i++)
		x = x * 1.0001 + 0.5;
	handler_sink = x;
	hits[SIGALRM]++;
}

static void test_fpu(void)
{
	struct sigaction sa = { .sa_handler = on_tick_fpu };
	struct itimerval every = { { 0, 1000 }, { 0, 1000 } };
	int bad = 0, rounds = 0;

	sigaction(SIGALRM, &sa, NULL);
	hits[SIGALRM] = 0;
	setitimer(ITIMER_REAL, &every, NULL);
	double t0 = now_s();
	while ((hits[SIGALRM] < 50 || rounds < 10) && now_s() - t0 < 3) {
		double a = 0, b = 1;
		for (int i = 1; i <= 20000; i++) {
			a += 1.0 / i;
			b *= 1.00001;
		}
		static double first_a, first_b;
		if (rounds++ == 0)
			first_a = a, first_b = b;
		else if (a != first_a || b != first_b)
			bad++;
	}
	stop_timer();
	set_default(SIGALRM);
	t_check("fpu_state_across_handlers", bad == 0 && hits[SIGALRM] > 0, "%d of %d rounds differ, %d signals",
		bad, rounds, (int)hits[SIGALRM]);
}

/* --- what execve keeps: ignored signals, the mask and pending signals; handlers reset --- */

static int exec_check(void)
{
	struct sigaction sa;

	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != SIG_IGN)
		return 1;
	sigaction(SIGUSR2, NULL, &sa);
	if (sa.sa_handler != SIG_DFL)
		return 2;
	if (!is_blocked(SIGINT))
		return 3;
	if (!is_pending(SIGINT))
		return 4;
	return 0;
}

static void test_exec(void)
{
	if (!t_self_ok("execve_keeps_dispositions"))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t s = just(SIGINT);
		signal(SIGUSR1, SIG_IGN);
		handle(SIGUSR2, 0, 0);
		sigprocmask(SIG_BLOCK, &s, NULL);
		raise(SIGINT);
		char *argv[] = { (char *)t_self, "exec-check", NULL };
		char *envp[] = { NULL };
		execve(t_self, argv, envp);
		_exit(127);
	}
	CHECK_CHILD("execve_keeps_dispositions", t_wait(pid));
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "exec-check"))
		return exec_check();

	t_init("signals", argv);
	test_handlers();
	test_masks();
	test_eintr_timer();
	test_restart_timer();
	test_child_signals(0);
	test_child_signals(1);
	test_altstack();
	test_overflow();
	test_sigchld();
	test_defaults();
	test_suspend_wait();
	test_faults();
	test_fpu();
	test_exec();
	return t_done();
}
