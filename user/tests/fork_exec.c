/*
 * fork_exec: process creation and replacement. fork/wait chains, exit statuses, deaths by
 * signal, WNOHANG, ECHILD, re-parenting of orphans, execve of ELF files and #! scripts and its
 * errors, vfork, and the auxiliary vector.
 *
 * Run it by its absolute path: it executes itself again (argv[1] = "child-mode", "script-mode"
 * or "exit-mode").
 */
#include "t.h"

#include <elf.h>
#include <sys/auxv.h>
#include <sys/statvfs.h>
#include <time.h>

extern char **environ;

/* --- modes in which the program runs when it executes itself --- */

/* argv = { self, "child-mode", "two words", "", NULL }, env = { FERRITE_T=42, FERRITE_PID=<pid> } */
static int child_mode(int argc, char **argv)
{
	const char *pid = getenv("FERRITE_PID");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	int nenv = 0;

	if (argc != 4 || strcmp(argv[2], "two words") || strcmp(argv[3], "") || argv[4])
		return 1;
	for (char **e = environ; *e; e++)
		nenv++;
	if (nenv != 2 || !getenv("FERRITE_T") || strcmp(getenv("FERRITE_T"), "42"))
		return 2;
	if (!pid || atoi(pid) != getpid())
		return 3; /* execve keeps the process id */
	if (!execfn || strcmp(execfn, argv[0]))
		return 4; /* AT_EXECFN is the file name given to execve */
	return 0;
}

/* The interpreter of "#!<self> script-mode": argv = { self, "script-mode", script, "extra" } */
static int script_mode(int argc, char **argv)
{
	const char *script = getenv("FERRITE_SCRIPT");

	if (argc != 4 || !script)
		return 1;
	if (strcmp(argv[2], script))
		return 2;
	if (strcmp(argv[3], "extra"))
		return 3;
	return 0;
}

/* --- fork and wait --- */

static int chain(int depth)
{
	if (depth == 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 100;
	if (pid == 0)
		_exit(chain(depth - 1));
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 101;
	return WEXITSTATUS(st) + 1;
}

static void test_ids(void)
{
	int p[2];
	pid_t parent = getpid(), ids[2] = { 0, 0 };

	CHECK_ERR("waitpid_no_children", waitpid(-1, NULL, 0), ECHILD);
	CHECK_ERR("waitpid_not_a_child", waitpid(getppid(), NULL, 0), ECHILD);

	/* The child tells its own view of getpid/getppid through a pipe. */
	if (!NEED("fork_pipe", pipe(p)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		pid_t mine[2] = { getpid(), getppid() };
		_exit(write(p[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = read(p[0], ids, sizeof(ids));
	close(p[0]);
	CHECK_CHILD("fork_child_runs", t_wait(pid));
	CHECK("getpid_in_child", n == sizeof(ids) && ids[0] == pid && pid != parent);
	CHECK("getppid_in_child", n == sizeof(ids) && ids[1] == parent);
	CHECK_EQ("getpid_stable", getpid(), parent);
}

static void test_statuses(void)
{
	int bad = -1;

	/* Depth 5: every level waits for the next and adds one to its status. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(chain(5));
	int st = t_wait(pid);
	t_check("fork_chain_depth5", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "chain %s, expected 5",
		t_status(st));

	for (int code = 0; code < 256 && bad < 0; code++) {
		pid = fork();
		if (pid == 0)
			_exit(code);
		st = t_wait(pid);
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == code && !WIFSIGNALED(st)))
			bad = code;
	}
	t_check("exit_status_0_255", bad < 0, "exit(%d) gave %s", bad, t_status(st));

	pid = fork();
	if (pid == 0)
		_exit(256 + 7);
	st = t_wait(pid);
	CHECK("exit_status_low_8_bits", WIFEXITED(st) && WEXITSTATUS(st) == 7);

	/* exit() (not _exit) runs through the C library and ends in exit_group. */
	pid = fork();
	if (pid == 0)
		exit(33);
	st = t_wait(pid);
	CHECK("exit_via_libc", WIFEXITED(st) && WEXITSTATUS(st) == 33);
}

static void test_signaled(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	int st = t_wait(pid);
	t_check("wifsignaled_sigkill", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		"child %s", t_status(st));

	pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(0);
	}
	st = t_wait(pid);
	t_check("wifsignaled_sigsegv", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		"child %s", t_status(st));
	CHECK("signaled_not_exited", st != -1 && !WIFEXITED(st) && !WIFSTOPPED(st));
}

static void test_wnohang(void)
{
	int p[2];
	char c;

	if (!NEED("wnohang_pipe", pipe(p)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 9 : 1); /* waits for EOF */
	}
	close(p[0]);
	int st = 0;
	CHECK_EQ("wait4_wnohang_running", wait4(pid, &st, WNOHANG, NULL), 0);
	CHECK_EQ("waitpid_wnohang_any", waitpid(-1, &st, WNOHANG), 0);
	close(p[1]);
	struct rusage ru;
	pid_t got = wait4(pid, &st, 0, &ru);
	CHECK("wait4_blocking_reaps", got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
	CHECK_ERR("wait4_after_reap", wait4(pid, &st, WNOHANG, NULL), ECHILD);
}

/* A grandchild whose parent exits gets a new parent (init or a subreaper) and sees it. */
static void test_orphan(void)
{
	int p[2];
	char verdict = 0;

	if (!NEED("orphan_pipe", pipe(p)))
		return;
	pid_t mid = fork();
	if (mid == 0) {
		pid_t old = getpid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			char v = 'T'; /* timed out */
			/* Wait for the parent to exit: up to ~10 s. */
			for (int i = 0; i < 1000; i++) {
				pid_t now = getppid();
				if (now != old) {
					v = (now > 0) ? 'Y' : 'Z';
					break;
				}
				nanosleep(&ts, NULL);
			}
			if (write(p[1], &v, 1) != 1)
				_exit(1);
			_exit(0);
		}
		_exit(grandchild > 0 ? 0 : 1);
	}
	close(p[1]);
	int st = t_wait(mid);
	CHECK_CHILD("orphan_parent_exits", st);
	ssize_t n = read(p[0], &verdict, 1);
	close(p[0]);
	t_check("orphan_reparented", n == 1 && verdict == 'Y', "grandchild says '%c' (%zd bytes)", verdict, n);
	/* If this process happens to be the subreaper, the grandchild is ours to reap. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* --- execve --- */

static void test_exec_self(void)
{
	if (!t_self_ok("execve_self"))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char pidenv[32];
		char *argv[] = { (char *)t_self, "child-mode", "two words", "", NULL };
		char *envp[] = { "FERRITE_T=42", pidenv, NULL };
		snprintf(pidenv, sizeof(pidenv), "FERRITE_PID=%d", getpid());
		execve(t_self, argv, envp);
		_exit(127);
	}
	CHECK_CHILD("execve_self_argv_envp", t_wait(pid));
}

/* Files in $TMPDIR cannot be executed when it is mounted noexec (execve says EACCES). */
static int tmp_noexec(const char *check)
{
	struct statvfs sv;

	if (statvfs(".", &sv) == 0 && (sv.f_flag & ST_NOEXEC)) {
		t_skip(check, "$TMPDIR is mounted noexec");
		return 1;
	}
	return 0;
}

static void test_exec_script(void)
{
	char script[600], line[1024], env[700];

	if (!t_self_ok("execve_script") || tmp_noexec("execve_script_interpreter"))
		return;
	snprintf(script, sizeof(script), "%s/script", t_dir);
	snprintf(line, sizeof(line), "#!%s script-mode\nthis line is never run\n", t_self);
	if (!NEED("execve_script", t_write_file(script, line, strlen(line), 0755)))
		return;
	snprintf(env, sizeof(env), "FERRITE_SCRIPT=%s", script);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "ignored-argv0", "extra", NULL };
		char *envp[] = { env, NULL };
		execve(script, argv, envp);
		_exit(127);
	}
	CHECK_CHILD("execve_script_interpreter", t_wait(pid));
}

static void test_exec_errors(void)
{
	static const char garbage[] = "\x01\x02\x03 this is not an executable\n";
	char *argv[] = { "x", NULL };
	char *envp[] = { NULL };

	CHECK_ERR("execve_enoent", execve("./does-not-exist", argv, envp), ENOENT);
	CHECK_ERR("execve_enoent_dir", execve("./no-dir/file", argv, envp), ENOENT);
	if (NEED("execve_eacces_not_executable", t_write_file("plain", "no x bit\n", 9, 0644)))
		CHECK_ERR("execve_eacces_not_executable", execve("./plain", argv, envp), EACCES);
	if (!tmp_noexec("execve_enoexec_garbage") &&
	    NEED("execve_enoexec_garbage", t_write_file("garbage", garbage, sizeof(garbage) - 1, 0755)))
		CHECK_ERR("execve_enoexec_garbage", execve("./garbage", argv, envp), ENOEXEC);
	if (NEED("execve_eacces_directory", mkdir("dir", 0755)))
		CHECK_ERR("execve_eacces_directory", execve("./dir", argv, envp), EACCES);
	CHECK_ERR("execve_enotdir", execve("./plain/x", argv, envp), ENOTDIR);
	/* A failed execve leaves the process as it was. */
	CHECK_EQ("execve_failure_harmless", getpid() > 0, 1);
}

/* --- vfork --- */

static volatile int vfork_flag;

static void test_vfork(void)
{
	vfork_flag = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_flag = 1; /* Linux's vfork shares memory until _exit */
		_exit(42);
	}
	int st = t_wait(pid);
	CHECK("vfork_exit_status", pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42);
	CHECK_EQ("vfork_shares_memory", vfork_flag, 1);

	if (!t_self_ok("vfork_execve"))
		return;
	pid = vfork();
	if (pid == 0) {
		char *argv[] = { (char *)t_self, "exit-mode", "77", NULL };
		execve(t_self, argv, environ);
		_exit(127);
	}
	st = t_wait(pid);
	CHECK("vfork_execve", pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 77);
}

/* --- auxiliary vector --- */

static void test_auxv(void)
{
	CHECK_EQ("auxv_pagesz", getauxval(AT_PAGESZ), 4096);
	CHECK_EQ("sysconf_pagesize", sysconf(_SC_PAGESIZE), 4096);
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	if (CHECK("auxv_random_nonnull", rnd != NULL)) {
		unsigned or = 0;
		for (int i = 0; i < 16; i++)
			or |= rnd[i]; /* readable; all zero is a 2^-128 event */
		CHECK("auxv_random_readable", or != 0);
	}
	CHECK("auxv_entry_nonzero", getauxval(AT_ENTRY) != 0);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	CHECK("auxv_phdr_nonzero", ph != NULL);
	CHECK_EQ("auxv_phent", getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	int loads = 0;
	for (unsigned long i = 0; ph && i < phnum && i < 64; i++)
		loads += ph[i].p_type == PT_LOAD;
	t_check("auxv_phdr_has_load", phnum > 0 && loads > 0, "%lu headers, %d PT_LOAD", phnum, loads);
	CHECK_EQ("auxv_uid", getauxval(AT_UID), getuid());
	CHECK_EQ("auxv_euid", getauxval(AT_EUID), geteuid());
	CHECK_EQ("auxv_gid", getauxval(AT_GID), getgid());
	CHECK_EQ("auxv_secure", getauxval(AT_SECURE), 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "child-mode"))
		return child_mode(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "script-mode"))
		return script_mode(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "exit-mode"))
		return atoi(argv[2]);

	t_init("fork_exec", argv);
	test_ids();
	test_statuses();
	test_signaled();
	test_wnohang();
	test_orphan();
	test_exec_self();
	test_exec_script();
	test_exec_errors();
	test_vfork();
	test_auxv();
	return t_done();
}
