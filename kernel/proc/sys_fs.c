/*
 * File system calls on names: open/openat/creat/close/close_range, the directory-changing calls
 * (mkdir, mknod, rmdir, unlink, rename, link, symlink) and readlink. Also the helpers shared by
 * the other files of this group (sys_fs.h).
 */
#include "proc/sys_fs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

/* ---- helpers ---- */

int fd_limit(void)
{
	uint64_t lim = current_process()->rlim[RLIMIT_NOFILE].cur;
	return lim > FD_MAX ? FD_MAX : (int)lim;
}

int fd_install_current(struct file *f, int min, unsigned fd_flags)
{
	return fd_install(current_process()->files, f, min, fd_limit(), fd_flags);
}

struct file *fget_raw(int fd)
{
	return fd_get(current_process()->files, fd);
}

struct file *fget(int fd)
{
	struct file *f = fget_raw(fd);
	if (f && (f->flags & O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

char *getname(const char *upath, bool allow_empty)
{
	char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	long n = strncpy_from_user(buf, upath, PATH_MAX);
	if (n < 0 || (n == 0 && !allow_empty)) {
		kfree(buf);
		return ERR_PTR(n < 0 ? (int)n : -ENOENT);
	}
	return buf;
}

void cwd_get(struct path *out)
{
	struct fs_context *fs = current_process()->fs;
	mutex_lock(&fs->lock);
	*out = fs->cwd;
	path_get(out);
	mutex_unlock(&fs->lock);
}

int at_dir(int dirfd, const char *path, struct path *out)
{
	if (dirfd == AT_FDCWD || (path && path[0] == '/')) {
		cwd_get(out);
		return 0;
	}
	struct file *f = fget_raw(dirfd);
	if (!f)
		return -EBADF;
	int err = 0;
	if (!f->path.mnt || !S_ISDIR(f->inode->mode)) {
		err = -ENOTDIR;
	} else {
		*out = f->path;
		path_get(out);
	}
	file_put(f);
	return err;
}

int at_lookup(int dirfd, const char *upath, unsigned at_flags, unsigned lookup_flags, struct at_target *t)
{
	memset(t, 0, sizeof(*t));
	char *name;
	if (!upath && (at_flags & AT_EMPTY_PATH))
		name = kzalloc(1); /* Linux 6.11+: NULL with AT_EMPTY_PATH means "" */
	else
		name = getname(upath, at_flags & AT_EMPTY_PATH);
	if (!name)
		return -ENOMEM;
	if (IS_ERR(name))
		return PTR_ERR(name);
	int err = 0;
	if (!name[0]) {
		if (dirfd == AT_FDCWD) {
			cwd_get(&t->path);
			t->inode = t->path.dentry->inode;
		} else if ((t->file = fget_raw(dirfd))) {
			t->inode = t->file->inode;
		} else {
			err = -EBADF;
		}
	} else {
		struct path dir;
		err = at_dir(dirfd, name, &dir);
		if (!err) {
			err = vfs_lookup(&dir, name, lookup_flags, &t->path);
			path_put(&dir);
			if (!err)
				t->inode = t->path.dentry->inode;
		}
	}
	kfree(name);
	return err;
}

void at_put(struct at_target *t)
{
	if (t->file)
		file_put(t->file);
	t->file = NULL;
	path_put(&t->path);
	t->inode = NULL;
}

uint64_t dev_to_user(dev_t d)
{
	uint64_t major = MAJOR(d), minor = MINOR(d);
	return ((major & 0xfffff000ull) << 32) | ((major & 0xfffull) << 8) | ((minor & 0xffffff00ull) << 12) |
	       (minor & 0xffull);
}

dev_t dev_from_user(uint64_t u)
{
	uint64_t major = ((u >> 8) & 0xfffull) | ((u >> 32) & 0xfffff000ull);
	uint64_t minor = (u & 0xffull) | ((u >> 12) & 0xffffff00ull);
	return MKDEV(major & 0xfff, minor & 0xfffff);
}

int at_name_get(int dirfd, const char *upath, struct at_name *an)
{
	an->name = getname(upath, false);
	if (IS_ERR(an->name))
		return PTR_ERR(an->name);
	int err = at_dir(dirfd, an->name, &an->dir);
	if (err)
		kfree(an->name);
	return err;
}

void at_name_put(struct at_name *an)
{
	path_put(&an->dir);
	kfree(an->name);
}

uint32_t cur_umask(void)
{
	return __atomic_load_n(&current_process()->fs->umask, __ATOMIC_RELAXED);
}

bool fs_privileged(void)
{
	return current_process()->cred.euid == 0;
}

/* ---- open and close ---- */

static int64_t do_open(int dirfd, const char *upath, int flags, uint32_t mode)
{
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP; /* FIXME: unnamed temporary files */
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return -EINVAL;
	struct at_name an;
	int err = at_name_get(dirfd, upath, &an);
	if (err)
		return err;
	struct file *f;
	err = vfs_open(&an.dir, an.name, (unsigned)flags, (mode & 07777) & ~cur_umask(), &f);
	at_name_put(&an);
	if (err)
		return err;
	int fd = fd_install_current(f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return fd;
}

static int64_t sys_open(const char *path, int flags, uint32_t mode)
{
	return do_open(AT_FDCWD, path, flags, mode);
}
SYSCALL(2, open);

static int64_t sys_openat(int dirfd, const char *path, int flags, uint32_t mode)
{
	return do_open(dirfd, path, flags, mode);
}
SYSCALL(257, openat);

static int64_t sys_creat(const char *path, uint32_t mode)
{
	return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
SYSCALL(85, creat);

static int64_t sys_close(int fd)
{
	return fd_close(current_process()->files, fd);
}
SYSCALL(3, close);

#define CLOSE_RANGE_UNSHARE 0x2
#define CLOSE_RANGE_CLOEXEC 0x4

static int64_t sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	/* FIXME: CLOSE_RANGE_UNSHARE should first give a shared table its own copy. */
	struct fd_table *t = current_process()->files;
	for (unsigned fd = first; fd <= last && fd < FD_MAX; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_flags(t, (int)fd, FD_CLOEXEC);
		else
			fd_close(t, (int)fd);
	}
	return 0;
}
SYSCALL(436, close_range);

/* ---- creating and removing names ---- */

static int64_t sys_mkdirat(int dirfd, const char *path, uint32_t mode)
{
	struct at_name an;
	int err = at_name_get(dirfd, path, &an);
	if (err)
		return err;
	err = vfs_mkdir(&an.dir, an.name, (mode & 01777) & ~cur_umask());
	at_name_put(&an);
	return err;
}
SYSCALL(258, mkdirat);

static int64_t sys_mkdir(const char *path, uint32_t mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}
SYSCALL(83, mkdir);

static int64_t sys_mknodat(int dirfd, const char *path, uint32_t mode, unsigned dev)
{
	uint32_t type = mode & S_IFMT;
	if ((type == S_IFCHR || type == S_IFBLK) && !fs_privileged())
		return -EPERM;
	struct at_name an;
	int err = at_name_get(dirfd, path, &an);
	if (err)
		return err;
	err = vfs_mknod(&an.dir, an.name, type | ((mode & 07777) & ~cur_umask()), dev_from_user(dev));
	at_name_put(&an);
	return err;
}
SYSCALL(259, mknodat);

static int64_t sys_mknod(const char *path, uint32_t mode, unsigned dev)
{
	return sys_mknodat(AT_FDCWD, path, mode, dev);
}
SYSCALL(133, mknod);

static int64_t sys_unlinkat(int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	struct at_name an;
	int err = at_name_get(dirfd, path, &an);
	if (err)
		return err;
	err = (flags & AT_REMOVEDIR) ? vfs_rmdir(&an.dir, an.name) : vfs_unlink(&an.dir, an.name);
	at_name_put(&an);
	return err;
}
SYSCALL(263, unlinkat);

static int64_t sys_unlink(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}
SYSCALL(87, unlink);

static int64_t sys_rmdir(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}
SYSCALL(84, rmdir);

static int64_t sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	struct at_name o, n;
	int err = at_name_get(olddirfd, oldpath, &o);
	if (err)
		return err;
	err = at_name_get(newdirfd, newpath, &n);
	if (!err) {
		err = vfs_renameat(&o.dir, o.name, &n.dir, n.name, flags);
		at_name_put(&n);
	}
	at_name_put(&o);
	return err;
}
SYSCALL(316, renameat2);

static int64_t sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}
SYSCALL(264, renameat);

static int64_t sys_rename(const char *oldpath, const char *newpath)
{
	return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}
SYSCALL(82, rename);

static int64_t sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* FIXME: AT_EMPTY_PATH (linking an open file by its descriptor) is not supported: "" is ENOENT. */
	struct at_name o, n;
	int err = at_name_get(olddirfd, oldpath, &o);
	if (err)
		return err;
	err = at_name_get(newdirfd, newpath, &n);
	if (!err) {
		err = vfs_linkat(&o.dir, o.name, &n.dir, n.name, flags & AT_SYMLINK_FOLLOW);
		at_name_put(&n);
	}
	at_name_put(&o);
	return err;
}
SYSCALL(265, linkat);

static int64_t sys_link(const char *oldpath, const char *newpath)
{
	return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}
SYSCALL(86, link);

static int64_t sys_symlinkat(const char *utarget, int newdirfd, const char *linkpath)
{
	char *target = getname(utarget, false);
	if (IS_ERR(target))
		return PTR_ERR(target);
	struct at_name an;
	int err = at_name_get(newdirfd, linkpath, &an);
	if (!err) {
		err = vfs_symlink(&an.dir, target, an.name);
		at_name_put(&an);
	}
	kfree(target);
	return err;
}
SYSCALL(266, symlinkat);

static int64_t sys_symlink(const char *target, const char *linkpath)
{
	return sys_symlinkat(target, AT_FDCWD, linkpath);
}
SYSCALL(88, symlink);

static int64_t sys_readlinkat(int dirfd, const char *path, char *ubuf, int size)
{
	if (size <= 0)
		return -EINVAL;
	size_t n = (size_t)size < PATH_MAX ? (size_t)size : PATH_MAX;
	char *kbuf = kmalloc(n);
	if (!kbuf)
		return -ENOMEM;
	char *name = getname(path, true);
	ssize_t r;
	if (IS_ERR(name)) {
		r = PTR_ERR(name);
	} else if (!name[0]) {
		/* readlinkat(fd, "") reads the symlink that fd (O_PATH | O_NOFOLLOW) names. */
		struct file *f = fget_raw(dirfd);
		struct inode *inode = f ? f->inode : NULL;
		if (!f)
			r = dirfd == AT_FDCWD ? -ENOENT : -EBADF;
		else if (!S_ISLNK(inode->mode) || !inode->iop || !inode->iop->readlink)
			r = -ENOENT;
		else
			r = inode->iop->readlink(inode, kbuf, n);
		if (f)
			file_put(f);
	} else {
		struct path dir;
		r = at_dir(dirfd, name, &dir);
		if (!r) {
			r = vfs_readlink(&dir, name, kbuf, n);
			path_put(&dir);
		}
	}
	if (!IS_ERR(name))
		kfree(name);
	if (r > 0 && copy_to_user(ubuf, kbuf, (size_t)r))
		r = -EFAULT;
	kfree(kbuf);
	return r;
}
SYSCALL(267, readlinkat);

static int64_t sys_readlink(const char *path, char *buf, int size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}
SYSCALL(89, readlink);
