/*
 * Directory and name-space calls: getdents/getdents64, the working directory (getcwd, chdir,
 * fchdir), umask, mount and umount2.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

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

/*
 * chroot: FIXME: processes have no root of their own yet, so only the name space's root is
 * accepted — which is what busybox switch_root asks for after moving the new root onto "/".
 */
static int64_t sys_chroot(const char *path)
{
	if (!fs_privileged())
		return -EPERM;
	struct at_name an;
	int err = at_name_get(AT_FDCWD, path, &an);
	if (err)
		return err;
	struct path p;
	err = vfs_lookup(&an.dir, an.name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	at_name_put(&an);
	if (err)
		return err;
	if (!vfs_is_root(&p))
		err = -ENOSYS;
	path_put(&p);
	return err;
}
SYSCALL(161, chroot);

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
	if (!fs_privileged())
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(uint64_t)MS_MGC_MSK;
	if (flags & MS_REMOUNT) { /* FIXME: only MS_RDONLY changes; other options are ignored */
		char *target;
		int err = absolute_target(utarget, LOOKUP_FOLLOW, &target);
		if (!err) {
			err = vfs_remount(target, (unsigned)flags);
			kfree(target);
		}
		return err;
	}
	if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
		return 0; /* every mount is private: there is no propagation */
	if (flags & MS_MOVE) {
		char *src, *target;
		int err = absolute_target(usource, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &src);
		if (err)
			return err;
		err = absolute_target(utarget, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &target);
		if (!err) {
			err = vfs_move_mount(src, target);
			kfree(target);
		}
		kfree(src);
		return err;
	}
	if (flags & MS_BIND)
		return -EINVAL; /* FIXME: bind mounts */
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
	if (!fs_privileged())
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
