/*
 * fuzz: random system calls with hostile arguments; the kernel must survive them all and
 * still work afterwards. Usage:
 *
 *   fuzz [CALLS [SEED [WATCHDOG_SECONDS]]]   (defaults 100000, 1, 3)
 *   fuzz show SEED INDEX                     prints call number INDEX of that run
 *
 * Numbers are drawn uniformly from 0..450, except a deny list of calls that would end or
 * block the fuzzer, or change the machine it runs on (this also runs on the host Linux, maybe
 * as root). Arguments are small integers, -1, page-aligned user addresses, kernel addresses,
 * non-canonical addresses and pointers into a scratch buffer. Call i depends only on (SEED, i).
 *
 * The calls run in a child process that the parent re-forks when it dies; a child that makes
 * no progress for WATCHDOG_SECONDS is killed and counted as a hang. The child first confines
 * itself: fds 0-2 point to a scratch file, every other inherited fd is closed, memory and file
 * size are limited, and as root it drops to uid/gid 65534. Deaths and hangs are reported as
 * INFO lines (they are legitimate outcomes of random calls); the checks are that every call was
 * made and that fork, exec, files, pipes and mmap still work afterwards.
 *
 * Run it by its absolute path: the final check executes it again (argv[1] = "true-mode").
 */
#include "t.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>

#define MAX_NR 450
#define SCRATCH (64 * 1024)

/* --- the deny list --- */

static const short deny_list[] = {
	/* End the caller, or replace it, or create processes the harness does not track. */
	SYS_exit, SYS_exit_group, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat,
	SYS_rt_sigreturn, SYS_ptrace, SYS_seccomp,
	/* Send signals (to anything, possibly other processes). */
	SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
	SYS_pidfd_send_signal, SYS_alarm, SYS_setitimer, SYS_timer_settime,
	/* Block. */
	SYS_read, SYS_readv, SYS_pread64, SYS_preadv, SYS_preadv2, SYS_pause, SYS_rt_sigsuspend,
	SYS_rt_sigtimedwait, SYS_nanosleep, SYS_clock_nanosleep, SYS_futex, 449 /* futex_waitv */,
	SYS_wait4, SYS_waitid, SYS_flock, SYS_restart_syscall, SYS_io_setup, SYS_io_destroy,
	SYS_io_submit, SYS_io_cancel, SYS_io_getevents, SYS_io_pgetevents, SYS_io_uring_setup,
	SYS_io_uring_enter, SYS_io_uring_register, SYS_userfaultfd,
	/* Keep stdio and the harness's own descriptors alive. */
	SYS_close, SYS_close_range, SYS_dup2, SYS_dup3,
	/* The fuzzer's own address space. */
	SYS_munmap, SYS_mremap, SYS_mprotect, SYS_pkey_mprotect, SYS_brk, SYS_madvise,
	SYS_remap_file_pages, SYS_mlockall,
	/* Write to the file system by path (or through a descriptor to file metadata). */
	SYS_creat, SYS_mkdir, SYS_mkdirat, SYS_mknod, SYS_mknodat, SYS_rmdir, SYS_unlink, SYS_unlinkat,
	SYS_rename, SYS_renameat, SYS_renameat2, SYS_link, SYS_linkat, SYS_symlink, SYS_symlinkat,
	SYS_truncate, SYS_chmod, SYS_fchmod, SYS_fchmodat, SYS_chown, SYS_fchown, SYS_lchown,
	SYS_fchownat, SYS_utime, SYS_utimes, SYS_utimensat, SYS_futimesat, SYS_setxattr,
	SYS_lsetxattr, SYS_fsetxattr, SYS_removexattr, SYS_lremovexattr, SYS_fremovexattr,
	SYS_fallocate, SYS_openat2, SYS_open_by_handle_at, SYS_uselib, SYS_acct, SYS_sync,
	SYS_syncfs, SYS_sync_file_range, SYS_sendfile, SYS_splice, SYS_tee, SYS_vmsplice,
	SYS_copy_file_range,
	/* Change the machine: mounts, modules, swap, clocks, names, power, I/O ports, logs. */
	SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_open_tree, SYS_move_mount,
	SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr, SYS_quotactl,
	443 /* quotactl_fd */, SYS_init_module, SYS_finit_module, SYS_delete_module,
	SYS_create_module, SYS_kexec_load, SYS_kexec_file_load, SYS_swapon, SYS_swapoff,
	SYS_reboot, SYS_sethostname, SYS_setdomainname, SYS_settimeofday, SYS_clock_settime,
	SYS_adjtimex, SYS_clock_adjtime, SYS_iopl, SYS_ioperm, SYS_syslog, SYS_vhangup,
	SYS_unshare, SYS_setns, SYS_bpf, SYS_perf_event_open, SYS_fanotify_init,
	SYS_fanotify_mark, SYS_personality,
	/* Act on other processes. */
	SYS_setpriority, SYS_sched_setparam, SYS_sched_setscheduler, SYS_sched_setaffinity,
	SYS_sched_setattr, SYS_ioprio_set, SYS_setrlimit, SYS_prlimit64, SYS_process_vm_readv,
	SYS_process_vm_writev, SYS_pidfd_getfd, SYS_process_madvise, 448 /* process_mrelease */,
	SYS_migrate_pages, SYS_move_pages,
	/* Credentials. */
	SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid, SYS_setresgid,
	SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset,
	/* Objects that outlive the process (System V IPC, message queues, keys) and sockets. */
	SYS_shmget, SYS_shmat, SYS_shmctl, SYS_shmdt, SYS_semget, SYS_semop, SYS_semctl,
	SYS_semtimedop, SYS_msgget, SYS_msgsnd, SYS_msgrcv, SYS_msgctl, SYS_mq_open, SYS_mq_unlink,
	SYS_mq_timedsend, SYS_mq_timedreceive, SYS_mq_notify, SYS_mq_getsetattr, SYS_add_key,
	SYS_request_key, SYS_keyctl, SYS_socket, SYS_socketpair, SYS_connect, SYS_accept,
	SYS_accept4, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg,
	SYS_recvmmsg, SYS_shutdown, SYS_bind, SYS_listen, SYS_getsockname, SYS_getpeername,
	SYS_setsockopt, SYS_getsockopt,
};

static unsigned char denied[MAX_NR + 1];

static void build_deny(void)
{
	for (size_t i = 0; i < sizeof(deny_list) / sizeof(deny_list[0]); i++)
		if (deny_list[i] >= 0 && deny_list[i] <= MAX_NR)
			denied[deny_list[i]] = 1;
}

/* --- deterministic random calls --- */

static uint64_t next_rand(uint64_t *s) /* xorshift64* */
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t seed_for(uint64_t seed, long index) /* splitmix64 of (seed, index) */
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + (uint64_t)index * 0xbf58476d1ce4e5b9ull + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

static char *scratch; /* SCRATCH bytes followed by a PROT_NONE guard page; NULL in "show" */

static unsigned long random_arg(uint64_t *r)
{
	uint64_t v = next_rand(r);

	switch (next_rand(r) % 6) {
	case 0:
		return v % 64;
	case 1:
		return -1ul;
	case 2:
		return v & 0x00007ffffffff000ul;
	case 3:
		return 0xffff800000000000ul + (v & 0x00007ffffffffffful);
	case 4:
		return 0x0000800000000000ul | (v & 0x00007ffffffffffful);
	default:
		return (unsigned long)scratch + v % SCRATCH;
	}
}

struct call {
	long nr;
	unsigned long a[6];
};

static struct timespec zero_ts;
static struct timeval zero_tv;

static int fcntl_allowed(int cmd)
{
	switch (cmd) {
	case F_DUPFD: case F_GETFD: case F_SETFD: case F_GETFL: case F_SETFL: case F_GETLK:
	case F_GETOWN: case F_GETSIG: case F_GETOWN_EX: case F_GETLEASE: case F_DUPFD_CLOEXEC:
	case F_GETPIPE_SZ: case F_GET_SEALS: case F_ADD_SEALS:
		return 1;
	default:
		return 0; /* locks that wait, owners and signals, leases, notifications */
	}
}

static unsigned long read_only_open(unsigned long flags)
{
	return flags & ~(unsigned long)(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | 0x400000 /* __O_TMPFILE */);
}

/*
 * Makes the arguments of call nr safe where the number alone is not enough. Returns 0 when
 * the call must be drawn again.
 */
static int tame(struct call *c)
{
	switch (c->nr) {
	case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
		return (long)c->a[0] < 0 || (long)c->a[0] > 2;
	case SYS_open:
		c->a[1] = read_only_open(c->a[1]);
		return 1;
	case SYS_openat:
		c->a[2] = read_only_open(c->a[2]);
		return 1;
	case SYS_mmap:
		c->a[3] &= ~(unsigned long)MAP_FIXED;
		return 1;
	case SYS_poll:
		c->a[2] = 0;
		return 1;
	case SYS_select:
		c->a[4] = (unsigned long)&zero_tv;
		return 1;
	case SYS_pselect6:
		c->a[4] = (unsigned long)&zero_ts;
		return 1;
	case SYS_ppoll:
		c->a[2] = (unsigned long)&zero_ts;
		return 1;
	case SYS_epoll_wait: case SYS_epoll_pwait:
		c->a[3] = 0;
		return 1;
	case SYS_epoll_pwait2:
		c->a[3] = (unsigned long)&zero_ts;
		return 1;
	case SYS_fcntl:
		return fcntl_allowed((int)c->a[1]);
	case SYS_ioctl:
		/* TIOCSTI, TIOCSCTTY, TIOCSPGRP, FIOASYNC, FIOSETOWN, SIOCSPGRP */
		switch ((unsigned)c->a[1]) {
		case 0x5412: case 0x540e: case 0x5410: case 0x5452: case 0x8901: case 0x8902:
			return 0;
		}
		return 1;
	case SYS_prctl:
		return (int)c->a[0] != PR_SET_PDEATHSIG; /* the child's tie to the parent stays */
	default:
		return 1;
	}
}

/* Call number index of the run with this seed. */
static void make_call(uint64_t seed, long index, struct call *c)
{
	uint64_t r = seed_for(seed, index);

	for (;;) {
		c->nr = next_rand(&r) % (MAX_NR + 1);
		if (denied[c->nr])
			continue;
		for (int i = 0; i < 6; i++)
			c->a[i] = random_arg(&r);
		if (tame(c))
			return;
	}
}

/* --- the child that makes the calls --- */

struct shared {
	volatile long next;     /* index of the next call to make */
	volatile long current;  /* index of the call under way */
	volatile long made;     /* calls that returned */
	volatile long setup_ok; /* the child confined itself */
	volatile long euid;     /* the user the calls run as */
};

static void drop_root(void)
{
	if (geteuid() != 0)
		return;
	/* Failures are fine: a kernel without these has no other users to protect. */
	syscall(SYS_setgroups, 0, NULL);
	syscall(SYS_setgid, 65534);
	syscall(SYS_setuid, 65534);
}

static void confine(void)
{
	int fd = open("fuzz-fd", O_RDWR | O_CREAT, 0600);
	struct rlimit as = { 256ul << 20, 256ul << 20 }, fsize = { 16ul << 20, 16ul << 20 };
	struct rlimit nofile = { 256, 256 };

	if (fd < 0)
		_exit(90);
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) != i)
			_exit(91);
	for (int i = 3; i < 1024; i++)
		close(i);
	setrlimit(RLIMIT_AS, &as);
	setrlimit(RLIMIT_FSIZE, &fsize);
	setrlimit(RLIMIT_NOFILE, &nofile);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	drop_root();
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* after drop_root: a change of credentials clears it */
}

/* Writes must not wait: anything but a regular file gets O_NONBLOCK first. */
static void no_waiting_write(long nr, int fd)
{
	struct stat st;

	if (nr != SYS_write && nr != SYS_pwrite64 && nr != SYS_writev && nr != SYS_pwritev && nr != SYS_pwritev2)
		return;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl != -1)
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
}

static void child_main(struct shared *sh, long total, uint64_t seed)
{
	confine();
	scratch = mmap(NULL, SCRATCH + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || mprotect(scratch + SCRATCH, 4096, PROT_NONE))
		_exit(92);
	uint64_t r = seed_for(seed, -1);
	for (size_t i = 0; i < SCRATCH; i += 8) {
		uint64_t v = next_rand(&r);
		memcpy(scratch + i, &v, 8);
	}
	sh->euid = geteuid();
	sh->setup_ok = 1;
	for (;;) {
		long i = sh->next;
		struct call c;

		if (i >= total)
			_exit(0);
		make_call(seed, i, &c);
		sh->current = i;
		sh->next = i + 1; /* a call that kills the child is not made again */
		memset(&zero_ts, 0, sizeof(zero_ts));
		memset(&zero_tv, 0, sizeof(zero_tv));
		no_waiting_write(c.nr, (int)c.a[0]);
		syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
		sh->made++;
	}
}

/* --- the parent --- */

static double now_s(void)
{
	struct timespec ts = { 0, 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void describe(uint64_t seed, long index, char *out, size_t len)
{
	struct call c;

	make_call(seed, index, &c);
	snprintf(out, len, "call %ld: syscall %ld (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)", index, c.nr, c.a[0], c.a[1],
		 c.a[2], c.a[3], c.a[4], c.a[5]);
}

struct totals {
	long deaths, hangs, bad_exits;
	int by_nr[MAX_NR + 1], sig_of[MAX_NR + 1]; /* deaths per system call, and the last signal */
};

static void run(struct shared *sh, long total, uint64_t seed, double watchdog, struct totals *t)
{
	long reported = 0;
	char what[256];

	while (sh->next < total) {
		long before = sh->next;
		sh->setup_ok = 0;
		pid_t pid = fork();
		if (pid == 0)
			child_main(sh, total, seed);
		if (pid < 0) {
			t_check("fork_child", 0, "fork failed with %s", t_errname(errno));
			return;
		}
		int st = 0, hung = 0;
		long last = sh->next;
		double last_move = now_s();
		struct timespec tick = { 0, 10 * 1000 * 1000 };
		while (waitpid(pid, &st, WNOHANG) == 0) {
			long n = sh->next;
			if (n != last) {
				last = n;
				last_move = now_s();
			} else if (now_s() - last_move > watchdog) {
				kill(pid, SIGKILL);
				t_wait(pid);
				hung = 1;
				break;
			}
			for (; reported + 10000 <= n; reported += 10000)
				t_say("PROGRESS fuzz %ld/%ld calls, %ld child deaths, %ld hangs\n", reported + 10000, total,
				      t->deaths, t->hangs);
			nanosleep(&tick, NULL);
		}
		if (hung) {
			t->hangs++;
			describe(seed, sh->current, what, sizeof(what));
			t_say("INFO fuzz hang: %s made no progress for %.0f s; killed\n", what, watchdog);
		} else if (WIFSIGNALED(st)) {
			t->deaths++;
			if (sh->current >= 0 && sh->current < total) {
				struct call c;
				make_call(seed, sh->current, &c);
				t->by_nr[c.nr]++;
				t->sig_of[c.nr] = WTERMSIG(st);
			}
			if (t->deaths <= 20) {
				describe(seed, sh->current, what, sizeof(what));
				t_say("INFO fuzz death %ld: %s, signal %d\n", t->deaths, what, WTERMSIG(st));
			}
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !sh->setup_ok) {
			t->bad_exits++;
			t_say("INFO fuzz child %s after call %ld (set-up %s)\n", t_status(st), sh->current,
			      sh->setup_ok ? "done" : "failed");
			if (!sh->setup_ok || sh->next == before)
				return; /* it cannot even start: stop rather than loop */
		}
	}
	for (; reported + 10000 <= total; reported += 10000)
		t_say("PROGRESS fuzz %ld/%ld calls, %ld child deaths, %ld hangs\n", reported + 10000, total, t->deaths,
		      t->hangs);
}

/* The kernel still does its everyday work. */
static void sanity(void)
{
	char buf[64];

	CHECK_EQ("after_getppid", getppid() > 0, 1);
	if (t_self_ok("after_fork_exec")) {
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = { (char *)t_self, "true-mode", NULL };
			char *envp[] = { NULL };
			execve(t_self, argv, envp);
			_exit(127);
		}
		CHECK_CHILD("after_fork_exec", t_wait(pid));
	}
	int ok = t_write_file("after", "still fine", 10, 0644) == 0;
	int fd = open("after", O_RDONLY);
	ok = ok && fd >= 0 && read(fd, buf, sizeof(buf)) == 10 && !memcmp(buf, "still fine", 10);
	close(fd);
	CHECK("after_file_round_trip", ok);
	int p[2];
	ok = pipe(p) == 0 && write(p[1], "pipe", 4) == 4 && read(p[0], buf, 4) == 4 && !memcmp(buf, "pipe", 4);
	close(p[0]);
	close(p[1]);
	CHECK("after_pipe_round_trip", ok);
	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = m != MAP_FAILED;
	if (ok) {
		memset(m, 'm', 1 << 20);
		ok = m[12345] == 'm' && munmap(m, 1 << 20) == 0;
	}
	CHECK("after_mmap", ok);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "true-mode"))
		return 0;
	build_deny();
	if (argc >= 4 && !strcmp(argv[1], "show")) {
		char what[256];
		describe(strtoull(argv[2], NULL, 0), atol(argv[3]), what, sizeof(what));
		printf("%s (pointers into the scratch buffer are shown as offsets)\n", what);
		return 0;
	}
	long total = argc >= 2 ? atol(argv[1]) : 100000;
	uint64_t seed = argc >= 3 ? strtoull(argv[2], NULL, 0) : 1;
	double watchdog = argc >= 4 ? atof(argv[3]) : 3;

	t_init("fuzz", argv);
	struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!NEED("shared_state", sh == MAP_FAILED ? -1 : 0))
		return t_done();
	memset(sh, 0, sizeof(*sh));
	t_say("INFO fuzz seed %llu, %ld calls, watchdog %.0f s\n", (unsigned long long)seed, total, watchdog);
	static struct totals t;
	double t0 = now_s();
	sh->euid = -1;
	run(sh, total, seed, watchdog, &t);
	t_say("INFO fuzz finished: %ld calls made, %ld returned, %ld child deaths, %ld hangs, %.1f s, as uid %ld\n",
	      sh->next, sh->made, t.deaths, t.hangs, now_s() - t0, sh->euid);
	char line[900];
	int len = 0;
	for (int nr = 0; nr <= MAX_NR && len < 800; nr++)
		if (t.by_nr[nr])
			len += snprintf(line + len, sizeof(line) - len, " %d:%d(signal %d)", nr, t.by_nr[nr], t.sig_of[nr]);
	if (len)
		t_say("INFO fuzz deaths by system call:%s\n", line);
	t_check("all_calls_made", sh->next >= total, "stopped at call %ld of %ld", sh->next, total);
	t_check("children_exit_cleanly", t.bad_exits == 0, "%ld children exited without a signal before the end",
		t.bad_exits);
	sanity();
	return t_done();
}
