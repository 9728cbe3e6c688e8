/*
 * Descriptor control calls: ioctl (the generic FIO* requests, then the file's own), fcntl,
 * dup/dup2/dup3, pipe/pipe2, flock and the sync family.
 */
#include "block/block.h"
#include "fs/pipe.h"
#include "lib/errno.h"
#include "mm/page_cache.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

/* ---- ioctl ---- */

#define TCGETS   0x5401
#define FIONREAD 0x541b
#define FIONBIO  0x5421
#define FIONCLEX 0x5450
#define FIOCLEX  0x5451
#define FIOASYNC 0x5452

static void set_status_flag(struct file *f, unsigned flag, bool on)
{
	if (on)
		__atomic_fetch_or(&f->flags, flag, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&f->flags, ~flag, __ATOMIC_RELAXED);
}

static int64_t sys_ioctl(int fd, unsigned cmd, uint64_t arg)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r;
	int v;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		r = fd_set_flags(current_process()->files, fd, cmd == FIOCLEX ? FD_CLOEXEC : 0);
		break;
	case FIONBIO:
		r = get_user(v, (int *)arg);
		if (!r)
			set_status_flag(f, O_NONBLOCK, v != 0);
		break;
	case FIOASYNC:
		r = get_user(v, (int *)arg); /* FIXME: O_ASYNC (SIGIO) is not delivered */
		break;
	case FIONREAD:
		if (S_ISREG(f->inode->mode)) {
			uint64_t size = f->inode->size, pos = f->pos;
			v = size > pos ? (int)(size - pos > 0x7fffffff ? 0x7fffffff : size - pos) : 0;
			r = put_user(v, (int *)arg);
			break;
		}
		/* fall through */
	default:
		r = f->fop && f->fop->ioctl ? f->fop->ioctl(f, cmd, arg) : -ENOTTY;
		break;
	}
	file_put(f);
	return r;
}
SYSCALL(16, ioctl);

/* ---- fcntl ---- */

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_SETOWN        8
#define F_GETOWN        9
#define F_SETSIG        10
#define F_GETSIG        11
#define F_OFD_GETLK     36
#define F_OFD_SETLK     37
#define F_OFD_SETLKW    38
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ    1031
#define F_GETPIPE_SZ    1032

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

struct flock_k {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
};
_Static_assert(sizeof(struct flock_k) == 32, "struct flock is 32 bytes on x86_64");

#define SETFL_MASK (O_APPEND | O_NONBLOCK)

/* FIXME: record locks are not kept: every lock is granted and F_GETLK always finds none. */
static int64_t fcntl_lock(struct file *f, unsigned cmd, struct flock_k *ufl)
{
	struct flock_k fl;
	if (copy_from_user(&fl, ufl, sizeof(fl)))
		return -EFAULT;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	if (fl.l_whence < SEEK_SET || fl.l_whence > SEEK_END)
		return -EINVAL;
	if ((cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) && fl.l_pid != 0)
		return -EINVAL;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		fl.l_type = F_UNLCK;
		return copy_to_user(ufl, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	unsigned acc = f->flags & O_ACCMODE;
	if (fl.l_type == F_RDLCK && acc == O_WRONLY)
		return -EBADF;
	if (fl.l_type == F_WRLCK && acc == O_RDONLY)
		return -EBADF;
	return 0;
}

static int64_t sys_fcntl(int fd, unsigned cmd, uint64_t arg)
{
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	struct fd_table *t = current_process()->files;
	int64_t r;
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL) {
		r = -EBADF;
		goto out;
	}
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= (uint64_t)fd_limit())
			r = -EINVAL;
		else
			r = fd_install_current(f, (int)arg, cmd == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0);
		break;
	case F_GETFD:
		r = fd_get_flags(t, fd);
		break;
	case F_SETFD:
		r = fd_set_flags(t, fd, (unsigned)arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags | O_LARGEFILE; /* always on for 64-bit callers */
		break;
	case F_SETFL: {
		unsigned old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED), nw;
		do
			nw = (old & ~(unsigned)SETFL_MASK) | ((unsigned)arg & SETFL_MASK);
		while (!__atomic_compare_exchange_n(&f->flags, &old, nw, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		r = 0;
		break;
	}
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = fcntl_lock(f, cmd, (struct flock_k *)arg);
		break;
	case F_GETOWN:
	case F_GETSIG:
		r = 0; /* FIXME: SIGIO ownership is not kept */
		break;
	case F_SETOWN:
	case F_SETSIG:
		r = 0;
		break;
	case F_GETPIPE_SZ:
		r = pipe_get_size(f);
		break;
	case F_SETPIPE_SZ:
		r = pipe_set_size(f, (uint32_t)arg);
		break;
	default:
		r = -EINVAL;
		break;
	}
out:
	file_put(f);
	return r;
}
SYSCALL(72, fcntl);

/* ---- dup ---- */

static int64_t sys_dup(int fd)
{
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	int r = fd_install_current(f, 0, 0);
	file_put(f);
	return r;
}
SYSCALL(32, dup);

static int64_t sys_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd < 0 || newfd >= fd_limit())
		return -EBADF;
	return fd_dup_to(current_process()->files, oldfd, newfd, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
}
SYSCALL(292, dup3);

static int64_t sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fget_raw(oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return sys_dup3(oldfd, newfd, 0);
}
SYSCALL(33, dup2);

/* ---- pipes ---- */

static int64_t sys_pipe2(int *ufds, int flags)
{
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	struct file *rd, *wr;
	int err = pipe_create((unsigned)flags & (O_NONBLOCK | O_DIRECT), &rd, &wr);
	if (err)
		return err;
	const struct creds *c = &current_process()->cred;
	rd->inode->uid = c->fsuid;
	rd->inode->gid = c->fsgid;
	unsigned fdf = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
	int fds[2] = { fd_install_current(rd, 0, fdf), -1 };
	if (fds[0] >= 0)
		fds[1] = fd_install_current(wr, 0, fdf);
	file_put(rd);
	file_put(wr);
	if (fds[1] < 0) {
		err = fds[0] < 0 ? fds[0] : fds[1];
	} else if (copy_to_user(ufds, fds, sizeof(fds))) {
		err = -EFAULT;
	} else {
		return 0;
	}
	struct fd_table *t = current_process()->files;
	if (fds[0] >= 0)
		fd_close(t, fds[0]);
	if (fds[1] >= 0)
		fd_close(t, fds[1]);
	return err;
}
SYSCALL(293, pipe2);

static int64_t sys_pipe(int *fds)
{
	return sys_pipe2(fds, 0);
}
SYSCALL(22, pipe);

/* ---- locks and syncing (tmpfs has nothing to write back) ---- */

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* FIXME: flock locks are not kept; every request succeeds. */
static int64_t sys_flock(int fd, unsigned op)
{
	unsigned kind = op & ~(unsigned)LOCK_NB;
	if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN)
		return -EINVAL;
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}
SYSCALL(73, flock);

static int64_t fsync_common(int fd, bool datasync)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r = S_ISFIFO(f->inode->mode) || S_ISSOCK(f->inode->mode) ? -EINVAL : 0;
	/* The file's cached pages go to its file system, then the whole device is written back
	 * (FIXME: only this file's buffers). */
	if (!r && f->fop && f->fop->fsync)
		r = f->fop->fsync(f, datasync);
	if (!r)
		r = blk_sync_devt(S_ISBLK(f->inode->mode) ? f->inode->rdev : f->inode->sb ? f->inode->sb->dev : 0);
	file_put(f);
	return r;
}

static int64_t sys_fsync(int fd) { return fsync_common(fd, false); }
SYSCALL(74, fsync);

static int64_t sys_fdatasync(int fd) { return fsync_common(fd, true); }
SYSCALL(75, fdatasync);

static int64_t sys_sync(void)
{
	pcache_sync_all(); /* sync(2) reports no errors */
	blk_sync_all();
	return 0;
}
SYSCALL(162, sync);

static int64_t sys_syncfs(int fd)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r = f->inode->sb ? pcache_sync_sb(f->inode->sb) : 0;
	int64_t r2 = blk_sync_devt(f->inode->sb ? f->inode->sb->dev : 0);
	file_put(f);
	return r ? r : r2;
}
SYSCALL(306, syncfs);
