/*
 * PID 1: the kernel's last act of booting is to run /init (or init=/rdinit=) like Linux does,
 * with /dev/console on descriptors 0, 1 and 2.
 */
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/panic.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "proc/exec.h"
#include "proc/process.h"
#include "time/clock.h"

struct init_request {
	const char *const *paths;   /* tried in order, like Linux's init= fallbacks */
	char *const *argv;
	char *const *envp;
};

static int open_console(struct process *p)
{
	struct file *f;
	int err = vfs_open(&p->fs->cwd, "/dev/console", O_RDWR, 0, &f);
	if (err)
		return err;
	for (int fd = 0; fd < 3; fd++)
		fd_install(p->files, f, fd, FD_MAX, 0);
	file_put(f);
	return 0;
}

static int try_exec(const char *path, const struct init_request *req)
{
	struct exec_args args;
	int err = exec_args_init(&args);
	if (err)
		return err;
	err = exec_args_push(&args, path, false);
	for (int i = 1; !err && req->argv[i]; i++)
		err = exec_args_push(&args, req->argv[i], false);
	for (int i = 0; !err && req->envp[i]; i++)
		err = exec_args_push(&args, req->envp[i], true);
	if (!err)
		err = do_execve(path, &args);
	exec_args_free(&args);
	return err;
}

static void init_thread(void *arg)
{
	const struct init_request *req = arg;
	struct process *p = current_process();
	int err = open_console(p);
	if (err)
		pr_warn("init: no /dev/console (%d): running without stdin/stdout\n", err);
	for (int i = 0; req->paths[i]; i++) {
		err = try_exec(req->paths[i], req);
		if (!err) {
			pr_info("init: running %s as PID 1\n", req->paths[i]);
			enter_user_frame(current_user_frame());
		}
		if (err != -ENOENT)
			pr_warn("init: cannot run %s: error %d\n", req->paths[i], err);
	}
	panic("No working init found (tried %s and the fallbacks). See Linux's Documentation/admin-guide/init.rst.",
	      req->paths[0]);
}

void process_start_init(const char *const *paths, char *const argv[], char *const envp[])
{
	struct process *p = process_alloc();
	if (!p)
		panic("init: out of memory");
	if (p->pid != 1)
		panic("init: got PID %d", p->pid);
	p->files = fd_table_new();
	p->fs = fs_context_new();
	p->sighand = sighand_new();
	p->pgid = p->sid = 1;
	p->exit_signal = 0;
	p->start_ns = clock_monotonic_ns();
	strlcpy(p->comm, "init", sizeof(p->comm));
	struct uthread *u = uthread_alloc(p);
	static struct init_request req;
	if (!p->files || !p->fs || !p->sighand || !u)
		panic("init: out of memory");
	u->tid = 1;
	req = (struct init_request){ paths, argv, envp };
	init_process = p;

	struct thread *t = thread_create_stopped("init", init_thread, &req, NULL);
	if (!t)
		panic("init: no thread");
	thread_detach(t);
	uthread_attach(u, t);
	p->threads = u;
	p->nthreads = 1;
	thread_wake(t);
}
