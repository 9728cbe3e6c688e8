/* Temporary: write and writev so the first user programs can print (sys_fs.c takes over). */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

static int64_t sys_write(int fd, const void *ubuf, size_t len)
{
	struct file *f = fd_get(current_process()->files, fd);
	if (!f)
		return -EBADF;
	char kbuf[256];
	size_t done = 0;
	int64_t ret = 0;
	while (done < len) {
		size_t n = len - done < sizeof(kbuf) ? len - done : sizeof(kbuf);
		if (copy_from_user(kbuf, (const char *)ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ssize_t w = vfs_write(f, kbuf, n);
		if (w < 0) {
			ret = w;
			break;
		}
		done += (size_t)w;
		if ((size_t)w < n)
			break;
	}
	file_put(f);
	return done ? (int64_t)done : ret;
}
SYSCALL(1, write);

struct iovec_k {
	const void *base;
	size_t len;
};

static int64_t sys_writev(int fd, const struct iovec_k *uiov, int cnt)
{
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	int64_t total = 0;
	for (int i = 0; i < cnt; i++) {
		struct iovec_k v;
		if (copy_from_user(&v, &uiov[i], sizeof(v)))
			return total ? total : -EFAULT;
		if (!v.len)
			continue;
		int64_t r = sys_write(fd, v.base, v.len);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < v.len)
			break;
	}
	return total;
}
SYSCALL(20, writev);
