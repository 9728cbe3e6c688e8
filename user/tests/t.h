/*
 * t.h: the few helpers shared by Ferrite's user-space tests (the programs in user/tests/).
 * Every check prints one line, "PASS <prog>.<check>" or "FAIL <prog>.<check>: <why>", and
 * t_done() ends the run with "DONE <prog> <npass> <nfail>". A line leaves in one write(2), so
 * nothing waits in a stdio buffer when a test forks. Checks run in the parent; a child reports
 * through its exit status (0, or a number that says which step failed).
 */
#pragma once
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *t_prog;
static const char *t_self;  /* argv[0]: an absolute path, so the test can execve itself */
static char t_dir[512];     /* this run's own directory under $TMPDIR */
static int t_npass, t_nfail;

static inline void t_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void t_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (n > 0 && write(1, line, n) < 0)
		_exit(99);
}

/* errno names rather than strerror() texts: stable and short. */
static inline const char *t_errname(int e)
{
	static const struct { int e; const char *name; } names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
		{ ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" }, { ECHILD, "ECHILD" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { EXDEV, "EXDEV" },
		{ ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" },
		{ ESPIPE, "ESPIPE" }, { EROFS, "EROFS" }, { EMLINK, "EMLINK" }, { EPIPE, "EPIPE" },
		{ EDOM, "EDOM" }, { ERANGE, "ERANGE" }, { EDEADLK, "EDEADLK" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" },
		{ ELOOP, "ELOOP" }, { ETIMEDOUT, "ETIMEDOUT" }, { EOVERFLOW, "EOVERFLOW" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
	};
	static char other[16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

/* Records one check; returns ok so that a caller can skip what depends on it. */
static inline int t_check(const char *check, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int t_check(const char *check, int ok, const char *fmt, ...)
{
	if (ok) {
		t_npass++;
		t_say("PASS %s.%s\n", t_prog, check);
	} else {
		char why[768];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		t_nfail++;
		t_say("FAIL %s.%s: %s\n", t_prog, check, why);
	}
	return ok;
}

/* CHECK(name, cond): cond holds. */
#define CHECK(check, cond) t_check(check, !!(cond), "%s", #cond)

/* CHECK_EQ(name, a, b): two integers are equal; both values are shown when not. */
#define CHECK_EQ(check, a, b)                                                              \
	({                                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		t_check(check, a_ == b_, "%s is %lld, expected %lld", #a, a_, b_);         \
	})

/* CHECK_OK(name, call): a system call returned something other than -1. */
#define CHECK_OK(check, call)                                                              \
	({                                                                                 \
		long r_ = (long)(call);                                                    \
		int e_ = errno;                                                            \
		t_check(check, r_ != -1, "%s failed with %s", #call, t_errname(e_));       \
	})

/* NEED(name, call): a set-up step that must work (not -1); only a failure prints a line. */
#define NEED(check, call)                                                                  \
	({                                                                                 \
		long r_ = (long)(call);                                                    \
		int e_ = errno;                                                            \
		r_ == -1 ? t_check(check, 0, "set-up %s failed with %s", #call, t_errname(e_)) : 1; \
	})

/* CHECK_ERR(name, call, ERR): a system call returned -1 with errno ERR. */
#define CHECK_ERR(check, call, err)                                                        \
	({                                                                                 \
		errno = 0;                                                                 \
		long r_ = (long)(call);                                                    \
		int e_ = errno;                                                            \
		t_check(check, r_ == -1 && e_ == (err), "%s returned %ld (%s), expected -1 (%s)", \
			#call, r_, r_ == -1 ? t_errname(e_) : "no error", t_errname(err)); \
	})

/* A check that is not meaningful where the test runs; counted as passed, with the reason. */
static inline void t_skip(const char *check, const char *why)
{
	t_npass++;
	t_say("PASS %s.%s # skipped: %s\n", t_prog, check, why);
}

static inline pid_t t_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Waits for pid and returns its raw status, or -1 when waitpid fails. */
static inline int t_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Describes a wait status for a failure message. */
static inline const char *t_status(int status)
{
	static char s[48];

	if (status == -1)
		snprintf(s, sizeof(s), "waitpid failed");
	else if (WIFEXITED(status))
		snprintf(s, sizeof(s), "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s, sizeof(s), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(s, sizeof(s), "status 0x%x", status);
	return s;
}

/* CHECK_CHILD(name, status): a child exited with status 0 (its code says which step failed). */
#define CHECK_CHILD(check, status)                                                         \
	({                                                                                 \
		int s_ = (status);                                                         \
		t_check(check, s_ != -1 && WIFEXITED(s_) && WEXITSTATUS(s_) == 0,          \
			"child %s", t_status(s_));                                         \
	})

/* Runs fn in a child process and returns the child's wait status. */
static inline int t_in_child(int (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0)
		return -1;
	return t_wait(pid);
}

/*
 * Runs fn(arg) with SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP caught. Returns the signal that stopped
 * it (0 when none did) and fills *info with its details.
 */
static sigjmp_buf t_fault_jmp;
static siginfo_t t_fault_info;

static void t_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	t_fault_info = *si;
	siglongjmp(t_fault_jmp, sig);
}

static inline int t_fault(void (*fn)(void *), void *arg, siginfo_t *info)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	struct sigaction sa, old[5];

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = t_fault_handler;
	sa.sa_flags = SA_SIGINFO;
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], &sa, &old[i]);
	memset(&t_fault_info, 0, sizeof(t_fault_info));
	int sig = sigsetjmp(t_fault_jmp, 1);
	if (sig == 0)
		fn(arg);
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (info)
		*info = t_fault_info;
	return sig;
}

/* Common bodies for t_fault(). */
static inline void t_read_byte(void *p)
{
	(void)*(volatile char *)p;
}

static inline void t_write_byte(void *p)
{
	*(volatile char *)p = 1;
}

static inline void t_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;

		chmod(path, 0700);
		while (d && (e = readdir(d))) {
			char sub[1024];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub))
				continue;
			t_rmtree(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/*
 * Starts a run: names the program, turns core dumps off (children are killed by signals on
 * purpose), makes $TMPDIR/<prog>.XXXXXX and changes into it.
 */
static inline void t_init(const char *prog, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	struct rlimit nocore = { 0, 0 };

	t_prog = prog;
	t_self = argv[0];
	setrlimit(RLIMIT_CORE, &nocore);
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(t_dir, sizeof(t_dir), "%s/%s.XXXXXX", tmp, prog);
	if (!mkdtemp(t_dir) || chdir(t_dir) < 0) {
		t_say("FAIL %s.setup: cannot make and enter a directory under %s (%s)\n", prog, tmp,
		      t_errname(errno));
		t_say("DONE %s 0 1\n", prog);
		exit(1);
	}
}

/* Execs of the test itself need argv[0] to be an absolute path. */
static inline int t_self_ok(const char *check)
{
	if (t_self && t_self[0] == '/')
		return 1;
	t_check(check, 0, "argv[0] \"%s\" is not an absolute path; run the test by its absolute path",
		t_self ? t_self : "(null)");
	return 0;
}

/* Ends a run: removes the directory, prints DONE, returns the exit status. */
static inline int t_done(void)
{
	if (chdir("/") == 0)
		t_rmtree(t_dir);
	t_say("DONE %s %d %d\n", t_prog, t_npass, t_nfail);
	return t_nfail ? 1 : 0;
}

/* Writes a whole file; returns 0 or -1. */
static inline int t_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}
