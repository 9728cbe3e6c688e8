/*
 * File system calls on names: open/openat/creat/close, the directory-changing calls (mkdir,
 * mknod, rmdir, unlink, rename, link, symlink), readlink, getdents, the working directory
 * (getcwd, chdir, fchdir), umask, mount and umount2. Also the helpers shared by the other
 * sys_*.c files of this group (sys_fs.h).
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
	if (!upath && allow_empty) {
		buf[0] = 0; /* Linux 6.11+: NULL with AT_EMPTY_PATH means "" */
		return buf;
	}
	long n = strncpy_from_user(buf, upath, PATH_MAX);
	if (n < 0 || (n == 0 && !allow_empty)) {
		kfree(buf);
		return ERR_PTR(n < 0 ? (int)n : -ENOENT);
	}
	return buf;
}

static void cwd_get(struct path *out)
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
	char *name = getname(upath, at_flags & AT_EMPTY_PATH);
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

/* Runs fn on a user path relative to dirfd, with the name and the start directory in kernel memory. */
struct at_name {
	char *name;
	struct path dir;
};

static int at_name_get(int dirfd, const char *upath, struct at_name *an)
{
	an->name = getname(upath, false);
	if (IS_ERR(an->name))
		return PTR_ERR(an->name);
	int err = at_dir(dirfd, an->name, &an->dir);
	if (err)
		kfree(an->name);
	return err;
}

static void at_name_put(struct at_name *an)
{
	path_put(&an->dir);
	kfree(an->name);
}

static uint32_t cur_umask(void)
{
	return __atomic_load_n(&current_process()->fs->umask, __ATOMIC_RELAXED);
}

static bool privileged(void)
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
	if ((type == S_IFCHR || type == S_IFBLK) && !privileged())
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

/* ---- directories ---- */

#define GETDENTS_MAX 65536

/* Fills a kernel buffer with linux_dirent64 records, then copies it out. */
static int64_t getdents_common(int fd, void *udirp, size_t count, bool old_format)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int64_t r;
	size_t n = count < GETDENTS_MAX ? count : GETDENTS_MAX;
	char *kbuf = kmalloc(n ? n : 1);
	if (!user_range_ok((uint64_t)udirp, count)) {
		r = -EFAULT;
	} else if (!kbuf) {
		r = -ENOMEM;
	} else {
		r = vfs_getdents64(f, kbuf, n);
		if (r > 0 && old_format) {
			/* struct linux_dirent: the name one byte earlier and d_type in the record's last
			 * byte; the records have the same length (both round 19 + len + 1 up to 8). */
			for (size_t at = 0; at < (size_t)r;) {
				struct linux_dirent64 *d = (struct linux_dirent64 *)(kbuf + at);
				uint16_t reclen = d->d_reclen;
				uint8_t type = d->d_type;
				char *name = (char *)d + offsetof(struct linux_dirent64, d_name);
				size_t len = strlen(name);
				memmove(name - 1, name, len + 1);
				((char *)d)[reclen - 1] = (char)type;
				at += reclen;
			}
		}
		if (r > 0 && copy_to_user(udirp, kbuf, (size_t)r))
			r = -EFAULT;
	}
	kfree(kbuf);
	file_put(f);
	return r;
}

static int64_t sys_getdents64(int fd, void *dirp, unsigned count)
{
	return getdents_common(fd, dirp, count, false);
}
SYSCALL(217, getdents64);

static int64_t sys_getdents(int fd, void *dirp, unsigned count)
{
	return getdents_common(fd, dirp, count, true);
}
SYSCALL(78, getdents);

static int64_t sys_getcwd(char *ubuf, size_t size)
{
	char *kbuf = kmalloc(PATH_MAX);
	if (!kbuf)
		return -ENOMEM;
	struct path cwd;
	cwd_get(&cwd);
	int n = vfs_path_of(&cwd, kbuf, size < PATH_MAX ? size : PATH_MAX);
	path_put(&cwd);
	int64_t r = n;
	if (n >= 0)
		r = copy_to_user(ubuf, kbuf, (size_t)n + 1) ? -EFAULT : n + 1;
	kfree(kbuf);
	return r;
}
SYSCALL(79, getcwd);

static void set_cwd(struct path *p)
{
	struct fs_context *fs = current_process()->fs;
	mutex_lock(&fs->lock);
	struct path old = fs->cwd;
	fs->cwd = *p;
	mutex_unlock(&fs->lock);
	path_put(&old);
}

static int64_t sys_chdir(const char *path)
{
	struct at_name an;
	int err = at_name_get(AT_FDCWD, path, &an);
	if (err)
		return err;
	struct path p;
	err = vfs_lookup(&an.dir, an.name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	at_name_put(&an);
	if (!err)
		set_cwd(&p);
	return err;
}
SYSCALL(80, chdir);

static int64_t sys_fchdir(int fd)
{
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	int err = 0;
	if (!f->path.mnt || !S_ISDIR(f->inode->mode)) {
		err = -ENOTDIR;
	} else {
		struct path p = f->path;
		path_get(&p);
		set_cwd(&p);
	}
	file_put(f);
	return err;
}
SYSCALL(81, fchdir);

static int64_t sys_umask(uint32_t mask)
{
	struct fs_context *fs = current_process()->fs;
	mutex_lock(&fs->lock);
	uint32_t old = fs->umask;
	fs->umask = mask & 0777;
	mutex_unlock(&fs->lock);
	return old;
}
SYSCALL(95, umask);

/* ---- mount and umount2 ---- */

#define MS_RDONLY      0x1
#define MS_REMOUNT     0x20
#define MS_BIND        0x1000
#define MS_MOVE        0x2000
#define MS_UNBINDABLE  0x20000
#define MS_PRIVATE     0x40000
#define MS_SLAVE       0x80000
#define MS_SHARED      0x100000
#define MS_MGC_MSK     0xffff0000u
#define MS_MGC_VAL     0xc0ed0000u

#define MNT_FORCE       0x1
#define MNT_DETACH      0x2
#define MNT_EXPIRE      0x4
#define UMOUNT_NOFOLLOW 0x8

/* vfs_mount and vfs_umount resolve from "/": give them target's absolute name. */
static int absolute_target(const char *utarget, unsigned lookup_flags, char **out)
{
	struct at_name an;
	int err = at_name_get(AT_FDCWD, utarget, &an);
	if (err)
		return err;
	struct path p;
	err = vfs_lookup(&an.dir, an.name, lookup_flags, &p);
	if (!err) {
		err = vfs_path_of(&p, an.name, PATH_MAX);
		path_put(&p);
	}
	path_put(&an.dir);
	if (err < 0) {
		kfree(an.name);
		return err;
	}
	*out = an.name;
	return 0;
}

static int64_t sys_mount(const char *usource, const char *utarget, const char *ufstype, uint64_t flags,
			 const void *udata)
{
	if (!privileged())
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(uint64_t)MS_MGC_MSK;
	if (flags & MS_REMOUNT)
		return 0; /* FIXME: options of an existing mount are not changed */
	if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
		return 0; /* every mount is private: there is no propagation */
	if (flags & (MS_BIND | MS_MOVE))
		return -EINVAL; /* FIXME: bind mounts and moves */
	if (!ufstype)
		return -EINVAL;
	char *source = NULL, *fstype = NULL, *data = NULL, *target = NULL;
	int err = absolute_target(utarget, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &target);
	if (err)
		return err;
	fstype = getname(ufstype, false);
	if (IS_ERR(fstype)) {
		err = PTR_ERR(fstype);
		fstype = NULL;
		goto out;
	}
	if (usource) {
		source = getname(usource, true);
		if (IS_ERR(source)) {
			err = PTR_ERR(source);
			source = NULL;
			goto out;
		}
	}
	if (udata) {
		/* Options are a string of at most a page; a longer one is cut. */
		data = kmalloc(4096);
		if (!data) {
			err = -ENOMEM;
			goto out;
		}
		long n = strncpy_from_user(data, udata, 4096);
		if (n == -EFAULT) {
			err = -EFAULT;
			goto out;
		}
	}
	err = vfs_mount(source, target, fstype, (unsigned)flags, data);
out:
	kfree(data);
	kfree(source);
	kfree(fstype);
	kfree(target);
	return err;
}
SYSCALL(165, mount);

static int64_t sys_umount2(const char *utarget, int flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	char *target;
	int err = absolute_target(utarget, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &target);
	if (err)
		return err;
	err = vfs_umount(target); /* FIXME: MNT_DETACH should detach a busy mount lazily */
	kfree(target);
	return err;
}
SYSCALL(166, umount2);
