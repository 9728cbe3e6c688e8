/*
 * efault: bad user pointers handed to the kernel come back as EFAULT, never as a crash of the
 * kernel or the process: NULL, the kernel half, non-canonical addresses, an unmapped page, a
 * read-only page as a destination. Unknown system call numbers give ENOSYS.
 *
 * Calls go through syscall() where the C library would touch the pointer itself first (for
 * example clock_gettime, which it answers in user space through the vDSO).
 */
#include "t.h"

#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#define KERNEL_HALF ((void *)0xffff800000000000ul)
#define KERNEL_TEXT ((void *)0xffffffff81000000ul)
#define NONCANONICAL ((void *)0x0000800000000000ul)
#define NONCANONICAL_HIGH ((void *)0x8000000000000000ul)

static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4096);
	return p;
}

static void test_read_write(void)
{
	struct { const char *name; void *addr; } bad[] = {
		{ "null", NULL },
		{ "kernel_half", KERNEL_HALF },
		{ "kernel_text", KERNEL_TEXT },
		{ "noncanonical", NONCANONICAL },
		{ "noncanonical_high", NONCANONICAL_HIGH },
		{ "unmapped", unmapped_page() },
		{ "minus_one", (void *)-1l },
	};
	static char data[8192];
	char name[64];

	memset(data, 'd', sizeof(data));
	if (!NEED("read_write", t_write_file("data", data, sizeof(data), 0644)))
		return;
	int fd = open("data", O_RDWR);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "read_into_%s", bad[i].name);
		lseek(fd, 0, SEEK_SET);
		CHECK_ERR(name, read(fd, bad[i].addr, 16), EFAULT);
		snprintf(name, sizeof(name), "write_from_%s", bad[i].name);
		CHECK_ERR(name, write(fd, bad[i].addr, 16), EFAULT);
	}
	struct stat st;
	CHECK("failed_writes_wrote_nothing", fstat(fd, &st) == 0 && st.st_size == sizeof(data));

	/* A read-only page is no destination, whatever the kernel's own rights are. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lseek(fd, 0, SEEK_SET);
	CHECK_ERR("read_into_readonly_page", read(fd, ro, 16), EFAULT);
	CHECK_EQ("readonly_page_untouched", ro[0], 0);
	CHECK_ERR("read_into_own_code", read(fd, (void *)test_read_write, 16), EFAULT);

	/* A buffer whose second page is missing: a short read or EFAULT, the first page intact. */
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + 4096, 4096);
	lseek(fd, 0, SEEK_SET);
	errno = 0;
	ssize_t r = read(fd, two, 8192);
	t_check("read_straddling_unmapped", r == 4096 || (r == -1 && errno == EFAULT), "read returned %zd (%s)", r,
		t_errname(errno));
	CHECK("read_straddling_first_page", r != 4096 || two[4095] == 'd');
	munmap(two, 4096);
	munmap(ro, 4096);

	/* Vectors: a bad iovec array, or a bad buffer inside a good one. */
	struct iovec iov[2] = { { data, 4 }, { KERNEL_HALF, 4 } };
	lseek(fd, 0, SEEK_SET);
	CHECK_ERR("readv_bad_iovec_array", readv(fd, KERNEL_HALF, 2), EFAULT);
	CHECK_ERR("writev_bad_base", writev(fd, &iov[1], 1), EFAULT);
	CHECK_ERR("pread_into_null", pread(fd, NULL, 16, 0), EFAULT);
	CHECK_ERR("pwrite_from_kernel", pwrite(fd, KERNEL_HALF, 16, 0), EFAULT);
	close(fd);

	int p[2];
	if (NEED("pipe_read_efault", pipe(p))) {
		CHECK_ERR("pipe_write_from_null", write(p[1], NULL, 4), EFAULT);
		if (write(p[1], "abcd", 4) != 4)
			t_check("pipe_write", 0, "write failed");
		CHECK_ERR("pipe_read_into_kernel", read(p[0], KERNEL_HALF, 4), EFAULT);
		close(p[0]);
		close(p[1]);
	}
}

static void test_paths(void)
{
	struct stat st;
	char *argv[] = { "x", NULL };

	CHECK_ERR("open_null_path", syscall(SYS_open, NULL, O_RDONLY), EFAULT);
	CHECK_ERR("open_path_1", syscall(SYS_open, (void *)1, O_RDONLY), EFAULT);
	CHECK_ERR("open_kernel_path", syscall(SYS_open, KERNEL_HALF, O_RDONLY), EFAULT);
	CHECK_ERR("open_noncanonical_path", syscall(SYS_open, NONCANONICAL, O_RDONLY), EFAULT);
	CHECK_ERR("openat_unmapped_path", syscall(SYS_openat, AT_FDCWD, unmapped_page(), O_RDONLY), EFAULT);
	CHECK_ERR("stat_into_kernel", syscall(SYS_stat, ".", KERNEL_HALF), EFAULT);
	CHECK_ERR("stat_bad_path", syscall(SYS_stat, KERNEL_HALF, &st), EFAULT);
	CHECK_ERR("fstat_into_null", syscall(SYS_fstat, 1, NULL), EFAULT);
	CHECK_ERR("mkdir_bad_path", syscall(SYS_mkdir, NONCANONICAL, 0755), EFAULT);
	CHECK_ERR("unlink_bad_path", syscall(SYS_unlink, KERNEL_HALF), EFAULT);
	CHECK_ERR("chdir_bad_path", syscall(SYS_chdir, NULL), EFAULT);
	CHECK_ERR("getcwd_into_kernel", syscall(SYS_getcwd, KERNEL_HALF, 4096), EFAULT);
	CHECK_ERR("execve_bad_path", syscall(SYS_execve, KERNEL_HALF, argv, NULL), EFAULT);
	if (t_self && t_self[0] == '/') {
		CHECK_ERR("execve_bad_argv", syscall(SYS_execve, t_self, KERNEL_HALF, NULL), EFAULT);
		char *bad_argv[] = { "x", KERNEL_HALF, NULL };
		CHECK_ERR("execve_bad_argv_string", syscall(SYS_execve, t_self, bad_argv, NULL), EFAULT);
	}
	/* A path that runs off the end of the mapped memory. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	memset(page, 'p', 4096);
	CHECK_ERR("open_path_runs_off_mapping", syscall(SYS_open, page + 4000, O_RDONLY), EFAULT);
	munmap(page, 4096);
}

static void test_misc_pointers(void)
{
	CHECK_ERR("clock_gettime_into_kernel", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_HALF), EFAULT);
	CHECK_ERR("clock_gettime_into_null", syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL), EFAULT);
	CHECK_ERR("gettimeofday_into_kernel", syscall(SYS_gettimeofday, KERNEL_HALF, NULL), EFAULT);
	CHECK_ERR("nanosleep_bad_request", syscall(SYS_nanosleep, KERNEL_HALF, NULL), EFAULT);
	CHECK_ERR("pipe_null", syscall(SYS_pipe, NULL), EFAULT);
	CHECK_ERR("pipe2_kernel", syscall(SYS_pipe2, KERNEL_HALF, 0), EFAULT);
	CHECK_ERR("uname_into_kernel", syscall(SYS_uname, KERNEL_HALF), EFAULT);
	CHECK_ERR("sysinfo_into_null", syscall(SYS_sysinfo, NULL), EFAULT);
	CHECK_ERR("getrusage_into_kernel", syscall(SYS_getrusage, RUSAGE_SELF, KERNEL_HALF), EFAULT);
	CHECK_ERR("getrlimit_into_null", syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL), EFAULT);
	CHECK_ERR("getrandom_into_kernel", syscall(SYS_getrandom, KERNEL_HALF, 16, 0), EFAULT);
	CHECK_ERR("rt_sigaction_bad_act", syscall(SYS_rt_sigaction, SIGUSR1, KERNEL_HALF, NULL, 8), EFAULT);
	CHECK_ERR("rt_sigprocmask_bad_set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NONCANONICAL, NULL, 8), EFAULT);
	CHECK_ERR("poll_bad_fds", syscall(SYS_poll, KERNEL_HALF, 1, 0), EFAULT);
	CHECK_ERR("select_bad_set", syscall(SYS_select, 1, KERNEL_HALF, NULL, NULL, NULL), EFAULT);
	CHECK_ERR("futex_bad_address", syscall(SYS_futex, KERNEL_HALF, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0),
		  EFAULT);
	CHECK_ERR("sigaltstack_bad", syscall(SYS_sigaltstack, KERNEL_HALF, NULL), EFAULT);
	CHECK_ERR("wait4_bad_rusage", syscall(SYS_wait4, -1, NULL, WNOHANG, KERNEL_HALF), ECHILD);

	/* wait4 into a bad status pointer with a child to report. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	long r = -2;
	int e = 0;
	for (int i = 0; i < 1000 && r != pid; i++) {
		errno = 0;
		r = syscall(SYS_wait4, pid, KERNEL_HALF, 0, NULL);
		e = errno;
		if (r == -1 && e == EFAULT)
			break;
	}
	t_check("wait4_bad_status_efault", r == -1 && e == EFAULT, "wait4 returned %ld (%s)", r, t_errname(e));
	waitpid(pid, NULL, 0); /* reap it if the failed wait4 did not */
}

static void test_enosys(void)
{
	CHECK_ERR("enosys_549", syscall(449 + 100), ENOSYS);
	CHECK_ERR("enosys_1000", syscall(1000), ENOSYS);
	CHECK_ERR("enosys_minus_1", syscall(-1), ENOSYS);
	CHECK_ERR("enosys_huge", syscall(0x7fffffff), ENOSYS);
	CHECK_ERR("enosys_with_args", syscall(1000, 1, 2, 3, 4, 5, 6), ENOSYS);
	CHECK("alive_after_all", getpid() > 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("efault", argv);
	test_read_write();
	test_paths();
	test_misc_pointers();
	test_enosys();
	return t_done();
}
