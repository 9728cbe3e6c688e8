/*
 * File metadata calls: the stat family and statx, access/faccessat, chmod and chown in all
 * their forms, utimensat, truncate and ftruncate. Results are built in kernel memory and copied
 * out in Linux's x86_64 layouts.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

/* ---- stat ---- */

/* struct stat of Linux x86_64. */
struct linux_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	int64_t st_atime, st_atime_nsec;
	int64_t st_mtime, st_mtime_nsec;
	int64_t st_ctime, st_ctime_nsec;
	int64_t reserved[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86_64");
_Static_assert(offsetof(struct linux_stat, st_mode) == 24, "st_mode");
_Static_assert(offsetof(struct linux_stat, st_rdev) == 40, "st_rdev");
_Static_assert(offsetof(struct linux_stat, st_atime) == 72, "st_atime");

static int put_stat(const struct kstat *k, void *ubuf)
{
	struct linux_stat s;
	memset(&s, 0, sizeof(s));
	s.st_dev = dev_to_user(k->dev);
	s.st_ino = k->ino;
	s.st_nlink = k->nlink;
	s.st_mode = k->mode;
	s.st_uid = k->uid;
	s.st_gid = k->gid;
	s.st_rdev = dev_to_user(k->rdev);
	s.st_size = (int64_t)k->size;
	s.st_blksize = k->blksize;
	s.st_blocks = (int64_t)k->blocks;
	s.st_atime = k->atime.sec;
	s.st_atime_nsec = k->atime.nsec;
	s.st_mtime = k->mtime.sec;
	s.st_mtime_nsec = k->mtime.nsec;
	s.st_ctime = k->ctime.sec;
	s.st_ctime_nsec = k->ctime.nsec;
	return copy_to_user(ubuf, &s, sizeof(s)) ? -EFAULT : 0;
}

static unsigned follow_flags(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
}

static int stat_at(int dirfd, const char *path, int flags, struct kstat *k)
{
	struct at_target t;
	int err = at_lookup(dirfd, path, (unsigned)flags, follow_flags(flags), &t);
	if (err)
		return err;
	err = vfs_getattr(t.inode, k);
	at_put(&t);
	return err;
}

static int64_t sys_newfstatat(int dirfd, const char *path, void *ubuf, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	struct kstat k;
	int err = stat_at(dirfd, path, flags, &k);
	return err ? err : put_stat(&k, ubuf);
}
SYSCALL(262, newfstatat);

static int64_t sys_stat(const char *path, void *ubuf)
{
	return sys_newfstatat(AT_FDCWD, path, ubuf, 0);
}
SYSCALL(4, stat);

static int64_t sys_lstat(const char *path, void *ubuf)
{
	return sys_newfstatat(AT_FDCWD, path, ubuf, AT_SYMLINK_NOFOLLOW);
}
SYSCALL(6, lstat);

static int64_t sys_fstat(int fd, void *ubuf)
{
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	struct kstat k;
	int err = vfs_fstat(f, &k);
	file_put(f);
	return err ? err : put_stat(&k, ubuf);
}
SYSCALL(5, fstat);

/* struct statx (Linux 4.11+). */
struct statx_ts {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};
struct linux_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t pad0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t spare[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");
_Static_assert(offsetof(struct linux_statx, stx_atime) == 64, "stx_atime");
_Static_assert(offsetof(struct linux_statx, stx_rdev_major) == 128, "stx_rdev_major");

#define STATX_BASIC_STATS 0x7ffu
#define STATX__RESERVED   0x80000000u

static struct statx_ts statx_time(struct timespec64 t)
{
	return (struct statx_ts){ t.sec, (uint32_t)t.nsec, 0 };
}

static int64_t sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *ubuf)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	struct kstat k;
	int err = stat_at(dirfd, path, flags, &k);
	if (err)
		return err;
	struct linux_statx s;
	memset(&s, 0, sizeof(s));
	s.stx_mask = STATX_BASIC_STATS;
	s.stx_blksize = k.blksize;
	s.stx_nlink = k.nlink;
	s.stx_uid = k.uid;
	s.stx_gid = k.gid;
	s.stx_mode = (uint16_t)k.mode;
	s.stx_ino = k.ino;
	s.stx_size = k.size;
	s.stx_blocks = k.blocks;
	s.stx_atime = statx_time(k.atime);
	s.stx_ctime = statx_time(k.ctime);
	s.stx_mtime = statx_time(k.mtime);
	s.stx_rdev_major = MAJOR(k.rdev);
	s.stx_rdev_minor = MINOR(k.rdev);
	s.stx_dev_major = MAJOR(k.dev);
	s.stx_dev_minor = MINOR(k.dev);
	return copy_to_user(ubuf, &s, sizeof(s)) ? -EFAULT : 0;
}
SYSCALL(332, statx);

/* ---- access ---- */

#define R_OK 4
#define W_OK 2
#define X_OK 1

static bool in_group(const struct creds *c, uint32_t gid, uint32_t mygid)
{
	if (gid == mygid)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static int64_t sys_faccessat2(int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct at_target t;
	int err = at_lookup(dirfd, path, (unsigned)flags, follow_flags(flags), &t);
	if (err)
		return err;
	const struct creds *c = &current_process()->cred;
	uint32_t uid = (flags & AT_EACCESS) ? c->euid : c->uid;
	uint32_t gid = (flags & AT_EACCESS) ? c->egid : c->gid;
	uint32_t m = t.inode->mode;
	if (uid == 0) {
		/* root reads and writes anything, and executes what has an x bit (or is a directory). */
		if ((mode & X_OK) && !S_ISDIR(m) && !(m & 0111))
			err = -EACCES;
	} else {
		uint32_t bits = uid == t.inode->uid ? m >> 6 : in_group(c, t.inode->gid, gid) ? m >> 3 : m;
		if ((bits & (uint32_t)mode & 7) != ((uint32_t)mode & 7))
			err = -EACCES;
	}
	at_put(&t);
	return err;
}
SYSCALL(439, faccessat2);

static int64_t sys_faccessat(int dirfd, const char *path, int mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}
SYSCALL(269, faccessat);

static int64_t sys_access(const char *path, int mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}
SYSCALL(21, access);

/* ---- chmod and chown ---- */

static int chmod_inode(struct inode *inode, uint32_t mode)
{
	struct iattr a = { .valid = ATTR_MODE, .mode = mode & 07777 };
	return vfs_setattr(inode, &a);
}

static int64_t sys_fchmodat2(int dirfd, const char *path, uint32_t mode, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct at_target t;
	int err = at_lookup(dirfd, path, (unsigned)flags, follow_flags(flags), &t);
	if (err)
		return err;
	err = S_ISLNK(t.inode->mode) ? -EOPNOTSUPP : chmod_inode(t.inode, mode);
	at_put(&t);
	return err;
}
SYSCALL(452, fchmodat2);

static int64_t sys_fchmodat(int dirfd, const char *path, uint32_t mode)
{
	return sys_fchmodat2(dirfd, path, mode, 0);
}
SYSCALL(268, fchmodat);

static int64_t sys_chmod(const char *path, uint32_t mode)
{
	return sys_fchmodat2(AT_FDCWD, path, mode, 0);
}
SYSCALL(90, chmod);

static int64_t sys_fchmod(int fd, uint32_t mode)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int err = chmod_inode(f->inode, mode);
	file_put(f);
	return err;
}
SYSCALL(91, fchmod);

/* FIXME: no permission checks yet (the security work adds them). */
static int chown_inode(struct inode *inode, uint32_t uid, uint32_t gid)
{
	struct iattr a = { 0 };
	if (uid != (uint32_t)-1) {
		a.valid |= ATTR_UID;
		a.uid = uid;
	}
	if (gid != (uint32_t)-1) {
		a.valid |= ATTR_GID;
		a.gid = gid;
	}
	/* As on Linux, chown of a non-directory drops set-user-ID, and set-group-ID with group
	 * execute (without it the bit means mandatory locking and stays). */
	uint32_t mode = inode->mode;
	if (!S_ISDIR(mode)) {
		uint32_t keep = mode & 07777;
		if (mode & 04000)
			keep &= ~04000u;
		if ((mode & 02000) && (mode & 00010))
			keep &= ~02000u;
		if (keep != (mode & 07777)) {
			a.valid |= ATTR_MODE;
			a.mode = keep;
		}
	}
	return vfs_setattr(inode, &a);
}

static int64_t sys_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct at_target t;
	int err = at_lookup(dirfd, path, (unsigned)flags, follow_flags(flags), &t);
	if (err)
		return err;
	err = chown_inode(t.inode, uid, gid);
	at_put(&t);
	return err;
}
SYSCALL(260, fchownat);

static int64_t sys_chown(const char *path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}
SYSCALL(92, chown);

static int64_t sys_lchown(const char *path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}
SYSCALL(94, lchown);

static int64_t sys_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int err = chown_inode(f->inode, uid, gid);
	file_put(f);
	return err;
}
SYSCALL(93, fchown);

/* ---- timestamps ---- */

#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

static int64_t sys_utimensat(int dirfd, const char *path, const struct timespec64 *utimes, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct timespec64 ts[2];
	struct timespec64 now = vfs_now();
	if (utimes) {
		if (copy_from_user(ts, utimes, sizeof(ts)))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (ts[i].nsec == UTIME_NOW)
				ts[i] = now;
			else if (ts[i].nsec != UTIME_OMIT && (ts[i].nsec < 0 || ts[i].nsec >= 1000000000))
				return -EINVAL;
		}
	} else {
		ts[0] = ts[1] = now;
	}
	struct iattr a = { 0 };
	if (ts[0].nsec != UTIME_OMIT) {
		a.valid |= ATTR_ATIME;
		a.atime = ts[0];
	}
	if (ts[1].nsec != UTIME_OMIT) {
		a.valid |= ATTR_MTIME;
		a.mtime = ts[1];
	}
	struct at_target t;
	int err;
	if (!path) {
		/* futimens: the descriptor itself. */
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		if (flags & AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		memset(&t, 0, sizeof(t));
		t.file = fget(dirfd);
		if (!t.file)
			return -EBADF;
		t.inode = t.file->inode;
	} else {
		err = at_lookup(dirfd, path, (unsigned)flags, follow_flags(flags), &t);
		if (err)
			return err;
	}
	err = a.valid ? vfs_setattr(t.inode, &a) : 0;
	at_put(&t);
	return err;
}
SYSCALL(280, utimensat);

/* ---- truncate ---- */

static int64_t sys_truncate(const char *upath, int64_t length)
{
	if (length < 0)
		return -EINVAL;
	struct at_target t;
	int err = at_lookup(AT_FDCWD, upath, 0, LOOKUP_FOLLOW, &t);
	if (err)
		return err;
	if (S_ISDIR(t.inode->mode))
		err = -EISDIR;
	else if (!S_ISREG(t.inode->mode))
		err = -EINVAL;
	else
		err = vfs_setattr(t.inode, &(struct iattr){ .valid = ATTR_SIZE, .size = (uint64_t)length });
	at_put(&t);
	return err;
}
SYSCALL(76, truncate);

static int64_t sys_ftruncate(int fd, int64_t length)
{
	if (length < 0)
		return -EINVAL;
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int err = vfs_ftruncate(f, (uint64_t)length);
	file_put(f);
	return err;
}
SYSCALL(77, ftruncate);

/* struct statfs as x86_64 Linux lays it out (what df and stat -f read). */
struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes on x86_64");
_Static_assert(__builtin_offsetof(struct linux_statfs, f_namelen) == 64, "f_namelen at 64");

static int64_t put_statfs(const struct kstatfs *k, void *ubuf)
{
	struct linux_statfs s = {
		.f_type = (int64_t)k->f_type, .f_bsize = (int64_t)k->f_bsize, .f_blocks = k->f_blocks,
		.f_bfree = k->f_bfree, .f_bavail = k->f_bavail, .f_files = k->f_files, .f_ffree = k->f_ffree,
		.f_fsid = { (int32_t)k->f_fsid[0], (int32_t)k->f_fsid[1] }, .f_namelen = (int64_t)k->f_namelen,
		.f_frsize = (int64_t)k->f_frsize, .f_flags = (int64_t)k->f_flags,
	};
	return copy_to_user(ubuf, &s, sizeof(s)) ? -EFAULT : 0;
}

static int64_t sys_statfs(const char *upath, void *ubuf)
{
	char *name = getname(upath, false);
	if (IS_ERR(name))
		return PTR_ERR(name);
	struct path cwd;
	cwd_get(&cwd);
	struct kstatfs k;
	int err = vfs_statfs(&cwd, name, &k);
	path_put(&cwd);
	kfree(name);
	return err ? err : put_statfs(&k, ubuf);
}
SYSCALL(137, statfs);

static int64_t sys_fstatfs(int fd, void *ubuf)
{
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	struct kstatfs k;
	int err = vfs_fstatfs(f, &k);
	file_put(f);
	return err ? err : put_statfs(&k, ubuf);
}
SYSCALL(138, fstatfs);
