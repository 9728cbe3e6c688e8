/*
 * Data calls: read/write and their positioned and vectored forms, sendfile, lseek.
 *
 * Data moves through a kernel bounce buffer of at most IO_CHUNK bytes: the VFS reads into it
 * (under whatever locks the file system takes) and only then is it copied to user memory, so a
 * page fault never happens under an inode lock. Reads go on chunk after chunk while chunks come
 * back full, except on pipes and sockets: there a second read could block after data arrived
 * (a pipe read returns what is there). Writes go on chunk after chunk until one is short;
 * a -EPIPE result raises SIGPIPE, as Linux's pipes and sockets do.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

#define IO_CHUNK     65536
/* O_DIRECT transfers take larger chunks: each chunk is one batch of device requests, and
 * large ones keep a disk's queue full (the block layer's direct I/O, kernel/block/direct.c). */
#define IO_CHUNK_DIRECT (1u << 20)
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

/* The bounce buffer for a transfer of total bytes to or from f; *chunk is its size. */
static char *bounce_alloc(struct file *f, size_t total, size_t *chunk)
{
	if ((f->flags & O_DIRECT) && total > IO_CHUNK) {
		*chunk = total < IO_CHUNK_DIRECT ? total : IO_CHUNK_DIRECT;
		char *kbuf = kmalloc(*chunk);
		if (kbuf)
			return kbuf; /* else the usual size: contiguous memory may be short */
	}
	*chunk = total < IO_CHUNK ? total : IO_CHUNK;
	return kmalloc(*chunk ? *chunk : 1);
}

/* pos < 0: at the file position (and moving it). */
static int64_t do_readv(struct file *f, const struct iovec_k *iov, int cnt, size_t total, int64_t pos)
{
	size_t chunk;
	char *kbuf = bounce_alloc(f, total, &chunk);
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
	size_t chunk;
	char *kbuf = bounce_alloc(f, total, &chunk);
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
