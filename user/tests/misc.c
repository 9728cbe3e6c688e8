/*
 * misc: the small system calls a C library and its programs lean on. uname, sysinfo, resource
 * limits, getrandom, scheduling calls, rusage, credentials, process groups and sessions,
 * clocks and sleeping, times, umask, arch_prctl and set_tid_address.
 */
#include "t.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>

#define ARCH_GET_FS 0x1003

static double ts_s(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

static double now_s(clockid_t clk)
{
	struct timespec ts = { 0, 0 };

	clock_gettime(clk, &ts);
	return ts_s(&ts);
}

static void test_uname_sysinfo(void)
{
	struct utsname u;
	struct sysinfo si;

	if (CHECK_OK("uname", uname(&u))) {
		CHECK("uname_sysname", u.sysname[0] != 0);
		CHECK("uname_release", u.release[0] != 0);
		CHECK("uname_machine_x86_64", !strcmp(u.machine, "x86_64"));
	}
	if (CHECK_OK("sysinfo", sysinfo(&si))) {
		CHECK("sysinfo_totalram", si.totalram > 0 && si.mem_unit > 0);
		CHECK("sysinfo_freeram", si.freeram <= si.totalram);
		CHECK("sysinfo_uptime_sane", si.uptime < 100ul * 365 * 86400);
		CHECK("sysinfo_procs", si.procs > 0);
	}
	CHECK("nprocs_online", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
}

static void test_rlimits(void)
{
	struct rlimit old, now;

	if (!CHECK_OK("getrlimit_nofile", getrlimit(RLIMIT_NOFILE, &old)))
		return;
	CHECK("getrlimit_soft_le_hard", old.rlim_cur <= old.rlim_max);
	struct rlimit low = { 16, old.rlim_max };
	CHECK_OK("setrlimit_nofile_16", setrlimit(RLIMIT_NOFILE, &low));
	CHECK("getrlimit_round_trip",
	      getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur == 16 && now.rlim_max == old.rlim_max);
	CHECK("prlimit64_read", prlimit(0, RLIMIT_NOFILE, NULL, &now) == 0 && now.rlim_cur == 16);

	/* Descriptors up to 15 can be opened, not one more. */
	int fds[32], n = 0, fd;
	while (n < 32 && (fd = open(".", O_RDONLY | O_DIRECTORY)) >= 0)
		fds[n++] = fd;
	int e = errno, below = 1;
	for (int i = 0; i < n; i++)
		below &= fds[i] < 16;
	t_check("rlimit_nofile_emfile", n > 0 && n < 32 && e == EMFILE && below, "%d opened, then %s", n,
		t_errname(e));
	CHECK_ERR("rlimit_nofile_dup_emfile", dup(0), EMFILE);
	CHECK_ERR("rlimit_nofile_dup2_ebadf", dup2(0, 16), EBADF);
	while (n > 0)
		close(fds[--n]);

	struct rlimit prev;
	struct rlimit mid = { 20, old.rlim_max };
	CHECK("prlimit64_set_get_old", prlimit(0, RLIMIT_NOFILE, &mid, &prev) == 0 && prev.rlim_cur == 16);
	struct rlimit bad = { old.rlim_max + 1, old.rlim_max };
	if (old.rlim_max != RLIM_INFINITY)
		CHECK_ERR("setrlimit_soft_above_hard_einval", setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	CHECK_OK("setrlimit_restore", setrlimit(RLIMIT_NOFILE, &old));
	CHECK("getrlimit_stack", getrlimit(RLIMIT_STACK, &now) == 0 && now.rlim_cur > 0);
}

static void test_random(void)
{
	unsigned char a[64], b[64];
	int nonzero = 0;

	CHECK_EQ("getrandom_64", getrandom(a, sizeof(a), 0), 64);
	CHECK_EQ("getrandom_64_again", getrandom(b, sizeof(b), 0), 64);
	for (size_t i = 0; i < sizeof(a); i++)
		nonzero |= a[i];
	CHECK("getrandom_not_zero", nonzero);
	CHECK("getrandom_calls_differ", memcmp(a, b, sizeof(a)) != 0);
	CHECK_EQ("getrandom_nonblock", getrandom(a, 16, GRND_NONBLOCK), 16);
	CHECK_ERR("getrandom_bad_flags_einval", getrandom(a, 16, 0x4000), EINVAL);
}

static int fifo_child(void)
{
	struct sched_param p = { .sched_priority = 1 };

	if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p) != 0)
		return errno == EPERM ? 10 : 1;
	if (syscall(SYS_sched_getscheduler, 0) != SCHED_FIFO)
		return 2;
	p.sched_priority = 0;
	if (syscall(SYS_sched_getparam, 0, &p) != 0 || p.sched_priority != 1)
		return 3;
	p.sched_priority = 0;
	if (syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p) != 0)
		return 4;
	return syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER ? 0 : 5;
}

static void test_sched(void)
{
	cpu_set_t set;

	CHECK_OK("sched_yield", sched_yield());
	CPU_ZERO(&set);
	int cpu = sched_getcpu();
	CHECK("sched_getcpu", cpu >= 0);
	CHECK("sched_getaffinity_has_current_cpu", sched_getaffinity(0, sizeof(set), &set) == 0 && cpu >= 0 &&
								 CPU_ISSET(cpu, &set));
	CHECK("sched_getaffinity_count", CPU_COUNT(&set) >= 1);

	/* The C library stubs these (Linux applies them per thread), hence syscall(). */
	struct sched_param p = { .sched_priority = 0 };
	CHECK_OK("sched_setscheduler_other", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p));
	CHECK_EQ("sched_getscheduler_other", syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	p.sched_priority = 42;
	CHECK("sched_getparam_other", syscall(SYS_sched_getparam, 0, &p) == 0 && p.sched_priority == 0);
	p.sched_priority = 5;
	CHECK_ERR("sched_other_priority_einval", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p), EINVAL);
	CHECK_EQ("sched_priority_max_fifo", sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ("sched_priority_min_fifo", sched_get_priority_min(SCHED_FIFO), 1);
	int st = t_in_child(fifo_child);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 10)
		t_skip("sched_fifo_round_trip", "not permitted (EPERM) for this user");
	else
		CHECK_CHILD("sched_fifo_round_trip", st);
}

/* Burns 0.3 s of CPU time (at most 10 s of real time, should that clock not move). */
static int burn_child(void)
{
	volatile unsigned long x = 0;
	double start = now_s(CLOCK_MONOTONIC);

	while (now_s(CLOCK_PROCESS_CPUTIME_ID) < 0.3 && now_s(CLOCK_MONOTONIC) - start < 10)
		for (int i = 0; i < 100000; i++)
			x += i;
	return 0;
}

static void test_rusage(void)
{
	struct rusage ru;

	CHECK("getrusage_self", getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_utime.tv_sec >= 0 &&
					ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	int st = t_in_child(burn_child);
	CHECK_CHILD("burn_child", st);
	double cpu = -1;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	t_check("getrusage_children_cpu", cpu >= 0.2, "children used %.3f s, expected >= 0.2", cpu);
	CHECK_ERR("getrusage_bad_who_einval", getrusage(42, &ru), EINVAL);
	CHECK("clock_thread_cputime", now_s(CLOCK_THREAD_CPUTIME_ID) >= 0);
}

static void test_ids(void)
{
	CHECK_EQ("uid_is_euid", getuid(), geteuid());
	CHECK_EQ("gid_is_egid", getgid(), getegid());
	CHECK("getgroups", getgroups(0, NULL) >= 0);
}

static int session_child(void)
{
	pid_t me = getpid();

	if (setsid() != me)
		return 1;
	if (getsid(0) != me || getpgid(0) != me || getpgrp() != me)
		return 2;
	if (setsid() != -1 || errno != EPERM)
		return 3; /* already a group leader */
	return 0;
}

static int group_child(void)
{
	pid_t me = getpid();

	if (setpgid(0, 0) != 0 || getpgid(0) != me)
		return 1;
	if (setsid() != -1 || errno != EPERM)
		return 2; /* a process group leader cannot start a session */
	if (getsid(0) != getsid(getppid()))
		return 3; /* still in the parent's session */
	return 0;
}

static void test_groups(void)
{
	CHECK("getpgid_self", getpgid(0) == getpgrp() && getpgid(0) > 0);
	/* In a PID namespace whose session leader lives outside it (a container), Linux reports
	 * session 0; only "not an error and the same as asking by PID" holds everywhere. */
	CHECK("getsid_self", getsid(0) >= 0 && getsid(0) == getsid(getpid()));
	CHECK_CHILD("setsid_in_child", t_in_child(session_child));
	CHECK_CHILD("setpgid_in_child", t_in_child(group_child));

	/* The parent moves a child into a new group of its own. */
	int p[2];
	if (!NEED("setpgid_of_child", pipe(p)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 && getpgid(0) == getpid() ? 0 : 1);
	}
	close(p[0]);
	CHECK_OK("setpgid_of_child", setpgid(pid, pid));
	CHECK_EQ("getpgid_of_child", getpgid(pid), pid);
	close(p[1]);
	CHECK_CHILD("setpgid_of_child_seen", t_wait(pid));
	CHECK_ERR("getpgid_esrch", getpgid(0x3fffffff), ESRCH);
}

static void test_clocks(void)
{
	struct timespec a, b, res;
	int backwards = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
			backwards++;
		a = b;
	}
	CHECK_EQ("monotonic_never_backwards", backwards, 0);
	CHECK("monotonic_nsec_range", b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
	/* Raw system calls too: the C library may answer from the vDSO. */
	struct timespec r1, r2;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &r1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &r2);
	CHECK("monotonic_syscall_and_vdso_agree", ts_s(&r1) <= ts_s(&a) && ts_s(&a) <= ts_s(&r2));

	double real = now_s(CLOCK_REALTIME);
	CHECK("realtime_after_2020", real > 1577836800.0);
	CHECK("boottime", now_s(CLOCK_BOOTTIME) >= 0);
	CHECK("monotonic_coarse", now_s(CLOCK_MONOTONIC_COARSE) > 0);
	CHECK("clock_getres_monotonic",
	      clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
	CHECK("clock_getres_realtime",
	      clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
	CHECK_ERR("clock_gettime_bad_clock_einval", clock_gettime(12345, &a), EINVAL);

	struct timeval tv;
	CHECK_OK("gettimeofday", gettimeofday(&tv, NULL));
	double tod = tv.tv_sec + tv.tv_usec / 1e6;
	t_check("gettimeofday_matches_realtime", tod - real > -2 && tod - real < 2,
		"gettimeofday %.3f, realtime %.3f", tod, real);
	time_t t = time(NULL);
	CHECK("time_matches_realtime", (double)t - real > -2 && (double)t - real < 2);
	struct tms tm;
	clock_t ticks = times(&tm);
	CHECK("times", ticks != (clock_t)-1 && tm.tms_utime >= 0 && tm.tms_cutime >= 0);
	CHECK_EQ("clk_tck", sysconf(_SC_CLK_TCK), 100);

	/* Sleeping: never shorter than asked. */
	double t0 = now_s(CLOCK_MONOTONIC);
	struct timespec fifty = { 0, 50 * 1000 * 1000 };
	CHECK_OK("nanosleep", nanosleep(&fifty, NULL));
	double slept = now_s(CLOCK_MONOTONIC) - t0;
	t_check("nanosleep_50ms", slept >= 0.050, "slept %.4f s", slept);
	t0 = now_s(CLOCK_MONOTONIC);
	CHECK_OK("clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &fifty, NULL));
	slept = now_s(CLOCK_MONOTONIC) - t0;
	t_check("clock_nanosleep_50ms", slept >= 0.050, "slept %.4f s", slept);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 50 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000)
		until.tv_sec++, until.tv_nsec -= 1000000000;
	CHECK_OK("clock_nanosleep_abstime", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK("clock_nanosleep_abstime_reached", ts_s(&a) >= ts_s(&until));
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR("nanosleep_bad_nsec_einval", nanosleep(&bad, NULL), EINVAL);
}

static int tid_child(void)
{
	static int word;

	return syscall(SYS_set_tid_address, &word) == t_gettid() ? 0 : 1;
}

static void test_process_bits(void)
{
	mode_t old = umask(027);
	CHECK_EQ("umask_round_trip", umask(old), 027);
	CHECK_EQ("umask_restored", (umask(old), old), old);

	unsigned long fs = 0, self = 0;
	CHECK_OK("arch_prctl_get_fs", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	__asm__ volatile("movq %%fs:0, %0" : "=r"(self));
	t_check("arch_prctl_fs_is_tcb", fs != 0 && fs == self, "ARCH_GET_FS %#lx, %%fs:0 %#lx", fs, self);
	CHECK_EQ("fs_is_pthread_self", fs, (unsigned long)pthread_self());
	CHECK_ERR("arch_prctl_bad_code_einval", syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
	CHECK_CHILD("set_tid_address_returns_tid", t_in_child(tid_child));
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("misc", argv);
	test_uname_sysinfo();
	test_rlimits();
	test_random();
	test_sched();
	test_rusage();
	test_ids();
	test_groups();
	test_clocks();
	test_process_bits();
	return t_done();
}
