/*
 * The extended-attribute calls. No file system stores extended attributes yet, so the calls
 * check their arguments and the file like Linux, then answer as a file system with no
 * attributes does: get finds none (ENODATA), list is empty, set is refused
 * (EOPNOTSUPP). glibc's ls -l asks lgetxattr for ACLs and SELinux labels on every file.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

/* ---- extended attributes ---- */

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_CREATE   0x1
#define XATTR_REPLACE  0x2

/* The attribute name must be readable and 1-255 bytes long (ERANGE otherwise, as Linux). */
static int check_name(const char *uname)
{
	char name[XATTR_NAME_MAX + 2];
	int64_t n = strncpy_from_user(name, uname, sizeof(name));
	if (n < 0)
		return (int)n;
	if (n == 0 || n > XATTR_NAME_MAX)
		return -ERANGE;
	return 0;
}

/* The file a path call names must exist (ENOENT, ENOTDIR, ELOOP... come from here). */
static int check_path(const char *upath, bool follow)
{
	struct at_target t;
	int err = at_lookup(AT_FDCWD, upath, 0, follow ? LOOKUP_FOLLOW : 0, &t);
	if (!err)
		at_put(&t);
	return err;
}

static int check_fd(int fd)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

static int do_get(int err, const char *uname)
{
	return err ? err : check_name(uname) ?: -ENODATA;
}

static int64_t sys_getxattr(const char *path, const char *name, void *value, size_t size)
{
	(void)value;
	(void)size;
	return do_get(check_path(path, true), name);
}
SYSCALL(191, getxattr);

static int64_t sys_lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	(void)value;
	(void)size;
	return do_get(check_path(path, false), name);
}
SYSCALL(192, lgetxattr);

static int64_t sys_fgetxattr(int fd, const char *name, void *value, size_t size)
{
	(void)value;
	(void)size;
	return do_get(check_fd(fd), name);
}
SYSCALL(193, fgetxattr);

/* An empty list: its length is 0 whatever the buffer. */
static int64_t sys_listxattr(const char *path, char *list, size_t size)
{
	(void)list;
	(void)size;
	return check_path(path, true);
}
SYSCALL(194, listxattr);

static int64_t sys_llistxattr(const char *path, char *list, size_t size)
{
	(void)list;
	(void)size;
	return check_path(path, false);
}
SYSCALL(195, llistxattr);

static int64_t sys_flistxattr(int fd, char *list, size_t size)
{
	(void)list;
	(void)size;
	return check_fd(fd);
}
SYSCALL(196, flistxattr);

static int do_set(int err, const char *uname, size_t size, int flags)
{
	if (err)
		return err;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	err = check_name(uname);
	if (err)
		return err;
	return (flags & XATTR_REPLACE) ? -ENODATA : -EOPNOTSUPP;
}

static int64_t sys_setxattr(const char *path, const char *name, const void *value, size_t size, int flags)
{
	(void)value;
	return do_set(check_path(path, true), name, size, flags);
}
SYSCALL(188, setxattr);

static int64_t sys_lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)
{
	(void)value;
	return do_set(check_path(path, false), name, size, flags);
}
SYSCALL(189, lsetxattr);

static int64_t sys_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	(void)value;
	return do_set(check_fd(fd), name, size, flags);
}
SYSCALL(190, fsetxattr);

static int64_t sys_removexattr(const char *path, const char *name)
{
	return do_get(check_path(path, true), name);
}
SYSCALL(197, removexattr);

static int64_t sys_lremovexattr(const char *path, const char *name)
{
	return do_get(check_path(path, false), name);
}
SYSCALL(198, lremovexattr);

static int64_t sys_fremovexattr(int fd, const char *name)
{
	return do_get(check_fd(fd), name);
}
SYSCALL(199, fremovexattr);
