/*
 * PID 1 for the user-space test suite inside Ferrite: runs every program named on the kernel
 * command line's init arguments (or every file in /tests), one at a time, each in its own
 * TMPDIR, with a time limit; reports how each ended; reaps orphans as init must; then powers
 * the machine off. The programs print their own PASS/FAIL lines.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIME_LIMIT_S 300

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one program to its end (or kills it at the limit): its wait status. */
static int run(const char *path, char *const argv[])
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "/tmp/%s", name);
	mkdir("/tmp", 01777);
	mkdir(tmp, 0755);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL runner.%s: fork failed\n", name);
		return -1;
	}
	if (pid == 0) {
		setenv("TMPDIR", tmp, 1);
		execv(path, argv);
		printf("FAIL runner.%s: exec failed\n", name);
		_exit(127);
	}
	double start = now();
	for (;;) {
		int status;
		pid_t w = waitpid(-1, &status, WNOHANG);
		if (w == pid) {
			printf("RUNNER %s ended: %s %d after %.1f s\n", name,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), now() - start);
			return status;
		}
		if (w > 0)
			continue; /* an orphan that ended: reaped */
		if (now() - start > TIME_LIMIT_S) {
			printf("FAIL runner.%s: still running after %d s, killed\n", name, TIME_LIMIT_S);
			kill(pid, SIGKILL);
		}
		usleep(20000);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("RUNNER start\n");
	if (argc > 1) {
		/* "prog arg arg , prog arg" after init=: programs separated by commas. */
		for (int i = 1; i < argc;) {
			char *args[32];
			int n = 0;
			while (i < argc && strcmp(argv[i], ",") && n < 31)
				args[n++] = argv[i++];
			args[n] = NULL;
			if (n)
				run(args[0], args);
			i++;
		}
	} else {
		DIR *d = opendir("/tests");
		struct dirent *e;
		char *names[64];
		int n = 0;
		while (d && (e = readdir(d)) && n < 64)
			if (e->d_name[0] != '.')
				names[n++] = strdup(e->d_name);
		for (int i = 0; i < n; i++) /* a fixed order: alphabetical */
			for (int j = i + 1; j < n; j++)
				if (strcmp(names[j], names[i]) < 0) {
					char *t = names[i];
					names[i] = names[j];
					names[j] = t;
				}
		for (int i = 0; i < n; i++) {
			char path[300];
			snprintf(path, sizeof(path), "/tests/%s", names[i]);
			char *args[] = { path, NULL };
			run(path, args);
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	printf("RUNNER done\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
