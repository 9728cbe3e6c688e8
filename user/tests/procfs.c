/*
 * procfs: /proc per process as programs read it. The caller's own stat, status, statm, comm,
 * cmdline, environ and maps; the self, thread-self, exe, cwd and fd/ links; task/ with a
 * second thread; a child seen sleeping, then as a zombie, then gone after it is reaped (names
 * ENOENT, a file opened before ESRCH). Needs /proc mounted (Ferrite mounts it at boot).
 */
#include "t.h"

#include <pthread.h>
#include <sys/mman.h>

extern char **environ;

/* The whole file (at most size - 1 bytes), NUL-terminated; its length or -1 with errno. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t got = 0;
	ssize_t n;
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

/* The value after "key:\t" in a status text, or NULL. */
static const char *status_field(const char *text, const char *key)
{
	static char val[128];
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			const char *v = p + kl + 1;
			while (*v == '\t' || *v == ' ')
				v++;
			size_t n = strcspn(v, "\n");
			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, v, n);
			val[n] = 0;
			return val;
		}
	}
	return NULL;
}

static int link_is(const char *path, const char *want)
{
	char buf[512];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

/* The process state letter of /proc/PID/stat, or 0. */
static char state_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static int in_listing(pid_t pid)
{
	DIR *d = opendir("/proc");
	char name[16];
	int found = 0;
	snprintf(name, sizeof(name), "%d", (int)pid);
	for (struct dirent *e; d && (e = readdir(d));)
		found |= strcmp(e->d_name, name) == 0;
	if (d)
		closedir(d);
	return found;
}

static void test_self(int argc, char **argv)
{
	static char buf[65536];
	char want[1200];

	NEED("stat_read", slurp("/proc/self/stat", buf, sizeof(buf)));
	const char *close_paren = strrchr(buf, ')');
	int fields = 2;
	for (const char *p = close_paren; p && *p; p++)
		fields += *p == ' ';
	CHECK_EQ("stat_fields", fields, 52);
	snprintf(want, sizeof(want), "%d (procfs) R %d ", (int)getpid(), (int)getppid());
	CHECK("stat_start", strncmp(buf, want, strlen(want)) == 0);

	NEED("status_read", slurp("/proc/self/status", buf, sizeof(buf)));
	const char *v;
	CHECK("status_name", (v = status_field(buf, "Name")) && strcmp(v, "procfs") == 0);
	CHECK("status_state", (v = status_field(buf, "State")) && strcmp(v, "R (running)") == 0);
	CHECK_EQ("status_pid", (v = status_field(buf, "Pid")) ? atoi(v) : -1, getpid());
	CHECK_EQ("status_tgid", (v = status_field(buf, "Tgid")) ? atoi(v) : -1, getpid());
	CHECK_EQ("status_ppid", (v = status_field(buf, "PPid")) ? atoi(v) : -1, getppid());
	CHECK_EQ("status_threads", (v = status_field(buf, "Threads")) ? atoi(v) : -1, 1);
	CHECK("status_vmrss", (v = status_field(buf, "VmRSS")) && atoi(v) > 0);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", getuid(), geteuid(), getuid(), getuid());
	CHECK("status_uid", (v = status_field(buf, "Uid")) && strcmp(v, want) == 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	slurp("/proc/self/status", buf, sizeof(buf));
	CHECK("status_sigblk", (v = status_field(buf, "SigBlk")) && strcmp(v, "0000000000000200") == 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	NEED("statm_read", slurp("/proc/self/statm", buf, sizeof(buf)));
	unsigned long size = 0, rss = 0;
	CHECK("statm_fields", sscanf(buf, "%lu %lu", &size, &rss) == 2 && size > 0 && rss > 0 && rss <= size);
	CHECK("comm", slurp("/proc/self/comm", buf, sizeof(buf)) == 7 && strcmp(buf, "procfs\n") == 0);

	/* cmdline: the arguments with their NULs; environ: the initial environment. */
	size_t len = 0;
	for (int i = 0; i < argc; i++) {
		memcpy(want + len, argv[i], strlen(argv[i]) + 1);
		len += strlen(argv[i]) + 1;
	}
	ssize_t n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	CHECK("cmdline", n == (ssize_t)len && memcmp(buf, want, len) == 0);
	static char env[65536];
	len = 0;
	for (char **e = environ; *e && len + strlen(*e) + 1 < sizeof(env); e++) {
		memcpy(env + len, *e, strlen(*e) + 1);
		len += strlen(*e) + 1;
	}
	n = slurp("/proc/self/environ", buf, sizeof(buf));
	CHECK("environ", n == (ssize_t)len && memcmp(buf, env, len) == 0);

	/* Offsets: a positioned read sees the same text; a short readlink buffer truncates. */
	int cfd = open("/proc/self/cmdline", O_RDONLY);
	char part[8] = "";
	CHECK("pread_offset", cfd >= 0 && strlen(argv[0]) > 4 && pread(cfd, part, 3, 1) == 3 &&
				      memcmp(part, argv[0] + 1, 3) == 0);
	CHECK("pread_past_end", cfd >= 0 && pread(cfd, part, 3, 1 << 20) == 0);
	close(cfd);
	CHECK("readlink_short", readlink("/proc/self/exe", part, 2) == 2 && part[0] == '/');
	CHECK_ERR("readlink_bad_buffer", readlink("/proc/self/exe", (char *)8, 64), EFAULT);

	/* Links. */
	snprintf(want, sizeof(want), "%d", (int)getpid());
	CHECK("self_link", link_is("/proc/self", want));
	char real[512];
	CHECK("exe_link", realpath(t_self, real) && link_is("/proc/self/exe", real));
	char cwd[512];
	CHECK("cwd_link", getcwd(cwd, sizeof(cwd)) && link_is("/proc/self/cwd", cwd));
	struct stat a, b;
	CHECK("cwd_follow", stat("/proc/self/cwd", &a) == 0 && stat(".", &b) == 0 && a.st_ino == b.st_ino);
	CHECK("root_link", link_is("/proc/self/root", "/"));
	int fd = open("data", O_RDWR | O_CREAT, 0644);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	snprintf(want, sizeof(want), "%s/data", cwd);
	CHECK("fd_file", fd >= 0 && link_is(fdpath, want));
	int p[2];
	NEED("pipe", pipe(p));
	fstat(p[0], &a);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p[0]);
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)a.st_ino);
	CHECK("fd_pipe", link_is(fdpath, want));
	/* Opening the link opens the pipe itself, for reading and (even with O_CREAT) writing. */
	int rfd = open(fdpath, O_RDONLY);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p[1]);
	int wfd = open(fdpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char two[3] = "";
	CHECK("fd_pipe_open", rfd >= 0 && wfd >= 0 && write(wfd, "hi", 2) == 2 && read(rfd, two, 2) == 2 &&
				      memcmp(two, "hi", 2) == 0);
	close(rfd);
	close(wfd);
	close(p[1]);
	CHECK_ERR("fd_closed", readlink(fdpath, buf, sizeof(buf)), ENOENT);
	close(p[0]);

	/* maps: an anonymous mapping and a file mapping, each on its line. */
	char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd >= 0 && write(fd, "x", 1) == 1) {
		char *fm = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		slurp("/proc/self/maps", buf, sizeof(buf));
		snprintf(want, sizeof(want), "%08lx-%08lx r--p 00000000 00:00 0 \n", (unsigned long)m,
			 (unsigned long)m + 3 * 4096);
		CHECK("maps_anon", strstr(buf, want) != NULL);
		snprintf(want, sizeof(want), "%08lx-%08lx r--s 00000000 ", (unsigned long)fm, (unsigned long)fm + 4096);
		char *line = strstr(buf, want);
		snprintf(want, sizeof(want), " %s/data\n", cwd);
		CHECK("maps_file", line && strstr(line, want) == strchr(line, '\n') - strlen(want) + 1);
		CHECK("maps_stack", strstr(buf, "[stack]\n") != NULL);
		munmap(fm, 4096);
	}
	munmap(m, 3 * 4096);
	close(fd);
}

static int pipe_fds[2];
static volatile pid_t thread_tid;
static char thread_link[64];

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = t_gettid();
	ssize_t n = readlink("/proc/thread-self", thread_link, sizeof(thread_link) - 1);
	thread_link[n > 0 ? n : 0] = 0;
	char c;
	while (read(pipe_fds[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void test_threads(void)
{
	pthread_t th;
	NEED("pipe", pipe(pipe_fds));
	if (!NEED("pthread_create", pthread_create(&th, NULL, thread_main, NULL) == 0 ? 0 : -1))
		return;
	while (!thread_tid)
		usleep(1000);
	usleep(20000);
	char want[64], path[64], buf[4096];
	snprintf(want, sizeof(want), "%d/task/%d", (int)getpid(), (int)thread_tid);
	CHECK("thread_self", strcmp(thread_link, want) == 0);
	slurp("/proc/self/status", buf, sizeof(buf));
	const char *v = status_field(buf, "Threads");
	CHECK_EQ("threads_two", v ? atoi(v) : -1, 2);
	DIR *d = opendir("/proc/self/task");
	int n = 0, saw_main = 0, saw_thread = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		saw_main |= atoi(e->d_name) == getpid();
		saw_thread |= atoi(e->d_name) == thread_tid;
	}
	if (d)
		closedir(d);
	CHECK("task_listing", n == 2 && saw_main && saw_thread);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)thread_tid);
	slurp(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d (procfs) S ", (int)thread_tid);
	CHECK("task_stat", strncmp(buf, want, strlen(want)) == 0);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)thread_tid);
	slurp(path, buf, sizeof(buf));
	CHECK_EQ("task_status_pid", (v = status_field(buf, "Pid")) ? atoi(v) : -1, thread_tid);
	CHECK_EQ("task_status_tgid", (v = status_field(buf, "Tgid")) ? atoi(v) : -1, getpid());
	snprintf(path, sizeof(path), "/proc/%d/status", (int)thread_tid); /* unlisted, but there */
	slurp(path, buf, sizeof(buf));
	CHECK_EQ("tid_dir_pid", (v = status_field(buf, "Pid")) ? atoi(v) : -1, thread_tid);
	CHECK_EQ("tid_dir_tgid", (v = status_field(buf, "Tgid")) ? atoi(v) : -1, getpid());
	CHECK("tid_unlisted", !in_listing(thread_tid));
	close(pipe_fds[1]);
	pthread_join(th, NULL);
	close(pipe_fds[0]);
}

static void test_child_lifecycle(void)
{
	int p[2];
	NEED("pipe", pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	char path[64], buf[1024];
	usleep(50000);
	CHECK_EQ("child_sleeping", state_of(pid), 'S');
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	slurp(path, buf, sizeof(buf));
	const char *q = strrchr(buf, ')');
	CHECK_EQ("child_ppid", q ? atoi(q + 4) : -1, getpid());
	CHECK("child_listed", in_listing(pid));

	close(p[1]); /* the child exits; unreaped, it is a zombie */
	char st = 0;
	for (int i = 0; i < 200 && (st = state_of(pid)) != 'Z'; i++)
		usleep(10000);
	CHECK_EQ("child_zombie", st, 'Z');
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int early = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	int dirfd = open(path, O_RDONLY | O_DIRECTORY);
	NEED("open_zombie", early);
	CHECK_CHILD("child_exit", t_wait(pid));

	errno = 0;
	CHECK("reaped_early_fd", read(early, buf, sizeof(buf)) == -1 && errno == ESRCH);
	close(early);
	CHECK_ERR("reaped_dirfd", openat(dirfd, "stat", O_RDONLY), ESRCH);
	close(dirfd);
	CHECK_ERR("reaped_stat", open(path, O_RDONLY), ENOENT);
	CHECK("reaped_unlisted", !in_listing(pid));
	CHECK("self_listed", in_listing(getpid()));
}

/*
 * Processes come and go while /proc is listed and read: every read gives text or ESRCH, every
 * open or readlink that fails says ENOENT or ESRCH (EACCES: another user's, on a host).
 */
static void test_churn(void)
{
	pid_t spawner = fork();
	if (spawner == 0) {
		for (int i = 0; i < 150; i++) {
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		_exit(0);
	}
	int reads = 0, bad = 0, status = -1;
	char path[300], buf[2048], why[400] = "";
	for (int round = 0; round < 2000; round++) {
		if (waitpid(spawner, &status, WNOHANG) == spawner)
			break;
		DIR *d = opendir("/proc");
		for (struct dirent *e; d && (e = readdir(d));) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			int fd = open(path, O_RDONLY);
			if (fd < 0) {
				if (errno != ENOENT && errno != ESRCH && errno != EACCES && !bad++)
					snprintf(why, sizeof(why), "open %s: %s", path, t_errname(errno));
				continue;
			}
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n > 0)
				reads++;
			else if (!(n < 0 && errno == ESRCH) && !bad++)
				snprintf(why, sizeof(why), "read %s: %zd %s", path, n, t_errname(errno));
			close(fd);
			snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
			if (readlink(path, buf, sizeof(buf)) < 0 && errno != ENOENT && errno != ESRCH && errno != EACCES &&
			    !bad++)
				snprintf(why, sizeof(why), "readlink %s: %s", path, t_errname(errno));
		}
		if (d)
			closedir(d);
	}
	if (status == -1)
		status = t_wait(spawner);
	t_check("churn", bad == 0 && reads > 0, "%d bad answers (first: %s), %d reads", bad, why, reads);
	CHECK_CHILD("churn_spawner", status);
}

int main(int argc, char **argv)
{
	t_init("procfs", argv);
	struct stat st;
	if (stat("/proc/self/stat", &st) < 0) {
		t_check("proc_mounted", 0, "/proc/self/stat: %s", t_errname(errno));
		return t_done();
	}
	test_self(argc, argv);
	test_threads();
	test_child_lifecycle();
	test_churn();
	return t_done();
}
