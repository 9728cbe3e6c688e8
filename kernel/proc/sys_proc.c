/*
 * Process system calls: ids, sessions and process groups, execve, TLS (arch_prctl), prctl,
 * reboot. Credentials are in sys_cred.c, scheduling in sys_sched.c, limits and system
 * information in sys_info.c.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "init/init.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/exec.h"
#include "proc/process.h"
#include "proc/syscall.h"

static int64_t sys_getpid(void) { return current_process()->pid; }
SYSCALL(39, getpid);

static int64_t sys_gettid(void) { return current_uthread()->tid; }
SYSCALL(186, gettid);

static int64_t sys_getppid(void)
{
	mutex_lock(&proc_lock);
	struct process *parent = current_process()->parent;
	int pid = parent ? parent->pid : 0;
	mutex_unlock(&proc_lock);
	return pid;
}
SYSCALL(110, getppid);

static int64_t sys_set_tid_address(int *tidptr)
{
	current_uthread()->clear_child_tid = (uint64_t)tidptr;
	return current_uthread()->tid;
}
SYSCALL(218, set_tid_address);

static int64_t sys_set_robust_list(void *head, size_t len)
{
	(void)head;
	return len == 24 ? 0 : -EINVAL; /* FIXME: robust futexes are not cleaned up at exit */
}
SYSCALL(273, set_robust_list);

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static int64_t sys_arch_prctl(int code, uint64_t addr)
{
	struct uthread *u = current_uthread();
	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= USER_TOP)
			return -EPERM;
		if (code == ARCH_SET_FS) {
			u->fs_base = addr;
			wrmsr(MSR_FS_BASE, addr);
		} else {
			u->gs_base = addr;
			wrmsr(0xc0000102, addr); /* the user GS base while in the kernel */
		}
		return 0;
	case ARCH_GET_FS:
		return put_user(u->fs_base, (uint64_t *)addr);
	case ARCH_GET_GS:
		return put_user(u->gs_base, (uint64_t *)addr);
	default:
		return -EINVAL;
	}
}
SYSCALL(158, arch_prctl);

/* ---- execve ---- */

static int64_t exec_from_user(const char *upath, const char *const *uargv, const char *const *uenvp)
{
	char *path = kmalloc(PATH_MAX);
	if (!path)
		return -ENOMEM;
	long n = strncpy_from_user(path, upath, PATH_MAX);
	struct exec_args args = { 0 };
	int err = n < 0 ? (int)n : n == 0 ? -ENOENT : exec_args_init(&args);
	if (!err)
		err = exec_args_from_user(&args, uargv, false);
	if (!err)
		err = exec_args_from_user(&args, uenvp, true);
	if (!err)
		err = do_execve(path, &args);
	exec_args_free(&args);
	kfree(path);
	if (!err)
		current_uthread()->frame_replaced = true;
	return err;
}

static int64_t sys_execve(const char *path, const char *const *argv, const char *const *envp)
{
	return exec_from_user(path, argv, envp);
}
SYSCALL(59, execve);

/* ---- process groups and sessions ---- */

static int64_t sys_getpgid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : current_process();
	int r = p ? p->pgid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(121, getpgid);

static int64_t sys_getpgrp(void) { return current_process()->pgid; }
SYSCALL(111, getpgrp);

static int64_t sys_getsid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : current_process();
	int r = p ? p->sid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(124, getsid);

static int64_t sys_setpgid(int pid, int pgid)
{
	struct process *me = current_process();
	if (pgid < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct process *p = pid ? process_find(pid) : me;
	int r = 0;
	if (!p || (p != me && p->parent != me)) {
		r = -ESRCH;
	} else if (p->sid == p->pid) {
		r = -EPERM; /* a session leader */
	} else if (p != me && p->sid != me->sid) {
		r = -EPERM;
	} else {
		if (!pgid)
			pgid = p->pid;
		/* The group must exist in the same session, or be the process's own new group. */
		bool ok = pgid == p->pid;
		for (struct process *q = process_first(); q && !ok; q = q->all_next)
			if (q->pgid == pgid && q->sid == p->sid && q->state == PROC_ALIVE)
				ok = true;
		if (!ok)
			r = -EPERM;
		else
			p->pgid = pgid;
	}
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(109, setpgid);

static int64_t sys_setsid(void)
{
	struct process *me = current_process();
	mutex_lock(&proc_lock);
	int r = me->pid;
	for (struct process *q = process_first(); q; q = q->all_next)
		if (q->pgid == me->pid && q->state != PROC_DEAD)
			r = -EPERM; /* already a group leader (or its group exists) */
	if (r > 0) {
		me->sid = me->pgid = me->pid;
		me->tty = NULL; /* a new session starts without a controlling terminal */
	}
	mutex_unlock(&proc_lock);
	return r;
}
SYSCALL(112, setsid);

/* ---- reboot ---- */

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_CMD_RESTART   0x01234567
#define LINUX_REBOOT_CMD_HALT      0xcdef0123
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
#define LINUX_REBOOT_CMD_CAD_ON    0x89abcdef
#define LINUX_REBOOT_CMD_CAD_OFF   0x00000000

static int64_t sys_reboot(uint32_t magic1, uint32_t magic2, uint32_t cmd)
{
	if (magic1 != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != 672274793 && magic2 != 85072278 && magic2 != 369367448 && magic2 != 537993216))
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	switch (cmd) {
	case LINUX_REBOOT_CMD_RESTART:
		machine_restart();
	case LINUX_REBOOT_CMD_POWER_OFF:
	case LINUX_REBOOT_CMD_HALT:
		machine_power_off();
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		return 0;
	default:
		return -EINVAL;
	}
}
SYSCALL(169, reboot);
