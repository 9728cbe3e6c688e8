/*
 * Descriptor I/O calls: read/write and their positioned and vectored forms, sendfile, lseek,
 * ioctl, fcntl, dup/dup2/dup3, pipe/pipe2, flock and the sync family.
 *
 * Data moves through a kernel bounce buffer of at most IO_CHUNK bytes: the VFS reads into it
 * (under whatever locks the file system takes) and only then is it copied to user memory, so a
 * page fault never happens under an inode lock. Reads go on chunk after chunk while chunks come
 * back full, except on pipes and sockets: there a second read could block after data arrived
 * (a pipe read returns what is there). Writes go on chunk after chunk until one is short;
 * a -EPIPE result raises SIGPIPE, as Linux's pipes and sockets do.
 */
#include "fs/pipe.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

#define IO_CHUNK     65536
#define MAX_RW_COUNT 0x7ffff000ull /* Linux's cap on one transfer */
#define IOV_MAX      1024

struct iovec_k {
	void *base;
	size_t len;
};

/* A walk over user segments, for scattering and gathering the bounce buffer. */
struct iov_iter {
	const struct iovec_k *iov;
	int cnt, seg;
	size_t off;
};

/* Copies n bytes out to the segments; the count copied (less after a fault). */
static size_t iter_to_user(struct iov_iter *it, const char *src, size_t n)
{
	size_t done = 0;
	while (done < n && it->seg < it->cnt) {
		const struct iovec_k *v = &it->iov[it->seg];
		size_t m = v->len - it->off < n - done ? v->len - it->off : n - done;
		if (m && copy_to_user((char *)v->base + it->off, src + done, m))
			break;
		done += m;
		it->off += m;
		if (it->off == v->len) {
			it->seg++;
			it->off = 0;
		}
	}
	return done;
}

static size_t iter_from_user(struct iov_iter *it, char *dst, size_t n)
{
	size_t done = 0;
	while (done < n && it->seg < it->cnt) {
		const struct iovec_k *v = &it->iov[it->seg];
		size_t m = v->len - it->off < n - done ? v->len - it->off : n - done;
		if (m && copy_from_user(dst + done, (const char *)v->base + it->off, m))
			break;
		done += m;
		it->off += m;
		if (it->off == v->len) {
			it->seg++;
			it->off = 0;
		}
	}
	return done;
}

/* Checks the segments (-EFAULT, -EINVAL) and returns their total, capped at MAX_RW_COUNT by
 * shortening the last segments as Linux does. */
static int64_t iov_check(struct iovec_k *iov, int cnt)
{
	uint64_t total = 0;
	for (int i = 0; i < cnt; i++) {
		if ((int64_t)iov[i].len < 0)
			return -EINVAL;
		if (!user_range_ok((uint64_t)iov[i].base, iov[i].len))
			return -EFAULT;
		if (iov[i].len > MAX_RW_COUNT - total)
			iov[i].len = MAX_RW_COUNT - total;
		total += iov[i].len;
	}
	return (int64_t)total;
}

/* pos < 0: at the file position (and moving it). */
static int64_t do_readv(struct file *f, const struct iovec_k *iov, int cnt, size_t total, int64_t pos)
{
	size_t chunk = total < IO_CHUNK ? total : IO_CHUNK;
	char *kbuf = kmalloc(chunk ? chunk : 1);
	if (!kbuf)
		return -ENOMEM;
	bool more = !S_ISFIFO(f->inode->mode) && !S_ISSOCK(f->inode->mode);
	struct iov_iter it = { iov, cnt, 0, 0 };
	size_t done = 0;
	int64_t err = 0;
	do {
		size_t n = total - done < chunk ? total - done : chunk;
		ssize_t r = pos < 0 ? vfs_read(f, kbuf, n) : vfs_pread(f, kbuf, n, (uint64_t)pos + done);
		if (r < 0) {
			err = r;
			break;
		}
		size_t c = iter_to_user(&it, kbuf, (size_t)r);
		done += c;
		if (c < (size_t)r) {
			err = -EFAULT;
			break;
		}
		if ((size_t)r < n)
			break;
	} while (more && done < total);
	kfree(kbuf);
	return done ? (int64_t)done : err;
}

static int64_t do_writev(struct file *f, const struct iovec_k *iov, int cnt, size_t total, int64_t pos)
{
	size_t chunk = total < IO_CHUNK ? total : IO_CHUNK;
	char *kbuf = kmalloc(chunk ? chunk : 1);
	if (!kbuf)
		return -ENOMEM;
	struct iov_iter it = { iov, cnt, 0, 0 };
	size_t done = 0;
	int64_t err = 0;
	do {
		size_t n = total - done < chunk ? total - done : chunk;
		size_t got = iter_from_user(&it, kbuf, n);
		if (got < n && got == 0) {
			err = -EFAULT;
			break;
		}
		ssize_t r = pos < 0 ? vfs_write(f, kbuf, got) : vfs_pwrite(f, kbuf, got, (uint64_t)pos + done);
		if (r < 0) {
			err = r;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break; /* short, or the gather faulted */
	} while (done < total);
	kfree(kbuf);
	if (!done && err == -EPIPE) {
		struct process *p = current_process();
		struct siginfo_k info = { .signo = SIGPIPE, .code = SI_USER, .pid = p->pid, .uid = p->cred.uid };
		send_signal_thread(current_uthread(), &info);
	}
	return done ? (int64_t)done : err;
}

/* The vectored calls' common part: fetch the segments, check them, move the data. */
static int64_t rw_vec(int fd, const struct iovec_k *uiov, int cnt, int64_t pos, bool write)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	struct iovec_k small[8], *iov = small;
	int64_t r;
	if (cnt > 8 && !(iov = kmalloc((size_t)cnt * sizeof(*iov)))) {
		r = -ENOMEM;
	} else if (cnt && copy_from_user(iov, uiov, (size_t)cnt * sizeof(*iov))) {
		r = -EFAULT;
	} else if ((r = iov_check(iov, cnt)) >= 0) {
		r = write ? do_writev(f, iov, cnt, (size_t)r, pos) : do_readv(f, iov, cnt, (size_t)r, pos);
	}
	if (iov != small)
		kfree(iov);
	file_put(f);
	return r;
}

static int64_t rw_one(int fd, void *buf, size_t len, int64_t pos, bool write)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	struct iovec_k v = { buf, len };
	int64_t r = iov_check(&v, 1);
	if (r >= 0)
		r = write ? do_writev(f, &v, 1, (size_t)r, pos) : do_readv(f, &v, 1, (size_t)r, pos);
	file_put(f);
	return r;
}

static int64_t sys_read(int fd, void *buf, size_t len)
{
	return rw_one(fd, buf, len, -1, false);
}
SYSCALL(0, read);

static int64_t sys_write(int fd, const void *buf, size_t len)
{
	return rw_one(fd, (void *)buf, len, -1, true);
}
SYSCALL(1, write);

static int64_t sys_pread64(int fd, void *buf, size_t len, int64_t pos)
{
	return pos < 0 ? -EINVAL : rw_one(fd, buf, len, pos, false);
}
SYSCALL(17, pread64);

static int64_t sys_pwrite64(int fd, const void *buf, size_t len, int64_t pos)
{
	return pos < 0 ? -EINVAL : rw_one(fd, (void *)buf, len, pos, true);
}
SYSCALL(18, pwrite64);

static int64_t sys_readv(int fd, const struct iovec_k *iov, int cnt)
{
	return rw_vec(fd, iov, cnt, -1, false);
}
SYSCALL(19, readv);

static int64_t sys_writev(int fd, const struct iovec_k *iov, int cnt)
{
	return rw_vec(fd, iov, cnt, -1, true);
}
SYSCALL(20, writev);

/* On x86_64 the whole offset comes in pos_l; pos_h is for 32-bit callers. */
static int64_t sys_preadv(int fd, const struct iovec_k *iov, int cnt, int64_t pos_l, int64_t pos_h)
{
	(void)pos_h;
	return pos_l < 0 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, false);
}
SYSCALL(295, preadv);

static int64_t sys_pwritev(int fd, const struct iovec_k *iov, int cnt, int64_t pos_l, int64_t pos_h)
{
	(void)pos_h;
	return pos_l < 0 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, true);
}
SYSCALL(296, pwritev);

#define RWF_SUPPORTED 0x1f /* HIPRI, DSYNC, SYNC, NOWAIT, APPEND */

/* preadv2/pwritev2: offset -1 means the file position. FIXME: the RWF_* flags are accepted, not honoured. */
static int64_t sys_preadv2(int fd, const struct iovec_k *iov, int cnt, int64_t pos_l, int64_t pos_h, int flags)
{
	(void)pos_h;
	if (flags & ~RWF_SUPPORTED)
		return -EOPNOTSUPP;
	return pos_l < -1 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, false);
}
SYSCALL(327, preadv2);

static int64_t sys_pwritev2(int fd, const struct iovec_k *iov, int cnt, int64_t pos_l, int64_t pos_h, int flags)
{
	(void)pos_h;
	if (flags & ~RWF_SUPPORTED)
		return -EOPNOTSUPP;
	return pos_l < -1 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, true);
}
SYSCALL(328, pwritev2);

static int64_t sys_sendfile(int out_fd, int in_fd, int64_t *uoffset, size_t count)
{
	struct file *in = fget(in_fd), *out = fget(out_fd);
	int64_t pos = -1, ret = 0;
	char *kbuf = NULL;
	if (!in || !out) {
		ret = -EBADF;
		goto out;
	}
	if (out->flags & O_APPEND) {
		ret = -EINVAL;
		goto out;
	}
	if (uoffset) {
		if (get_user(pos, uoffset)) {
			ret = -EFAULT;
			goto out;
		}
		if (pos < 0) {
			ret = -EINVAL;
			goto out;
		}
	}
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	size_t chunk = count < IO_CHUNK ? count : IO_CHUNK;
	kbuf = kmalloc(chunk ? chunk : 1);
	if (!kbuf) {
		ret = -ENOMEM;
		goto out;
	}
	size_t done = 0;
	do {
		size_t n = count - done < chunk ? count - done : chunk;
		ssize_t r = pos >= 0 ? vfs_pread(in, kbuf, n, (uint64_t)pos) : vfs_read(in, kbuf, n);
		if (r <= 0) {
			ret = r;
			break;
		}
		size_t w = 0;
		while (w < (size_t)r) {
			ssize_t k = vfs_write(out, kbuf + w, (size_t)r - w);
			if (k <= 0) {
				ret = k;
				break;
			}
			w += (size_t)k;
		}
		done += w;
		if (pos >= 0)
			pos += (int64_t)w;
		else if (w < (size_t)r && S_ISREG(in->inode->mode))
			vfs_lseek(in, -(int64_t)((size_t)r - w), SEEK_CUR); /* give back what was not sent */
		if (w < (size_t)r || (size_t)r < n)
			break;
	} while (done < count);
	if (done)
		ret = (int64_t)done;
	if (uoffset && put_user(pos, uoffset))
		ret = -EFAULT;
	if (ret == -EPIPE) {
		struct process *p = current_process();
		struct siginfo_k info = { .signo = SIGPIPE, .code = SI_USER, .pid = p->pid, .uid = p->cred.uid };
		send_signal_thread(current_uthread(), &info);
	}
out:
	kfree(kbuf);
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}
SYSCALL(40, sendfile);

static int64_t sys_lseek(int fd, int64_t off, int whence)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r = vfs_lseek(f, off, whence);
	file_put(f);
	return r;
}
SYSCALL(8, lseek);

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
	/* FIXME: O_DIRECT (packet mode) is accepted but the pipe stays a byte stream. */
	struct file *rd, *wr;
	int err = pipe_create((unsigned)flags & O_NONBLOCK, &rd, &wr);
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

static int64_t fsync_common(int fd)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r = S_ISFIFO(f->inode->mode) || S_ISSOCK(f->inode->mode) ? -EINVAL : 0;
	file_put(f);
	return r;
}

static int64_t sys_fsync(int fd) { return fsync_common(fd); }
SYSCALL(74, fsync);

static int64_t sys_fdatasync(int fd) { return fsync_common(fd); }
SYSCALL(75, fdatasync);

static int64_t sys_sync(void) { return 0; }
SYSCALL(162, sync);

static int64_t sys_syncfs(int fd)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}
SYSCALL(306, syncfs);
