/*
 * Private to the file system calls (sys_fs.c, sys_dir.c, sys_stat.c, sys_rw.c, sys_fd.c,
 * sys_poll.c): descriptor
 * and path helpers. Paths are copied into kernel buffers before the VFS sees them, and every
 * user copy happens with no VFS lock held.
 */
#pragma once

#include "fs/vfs.h"
#include "lib/types.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

/* The file at fd with a reference (file_put it), or NULL for -EBADF. fget refuses O_PATH
 * files (they allow no I/O), fget_raw takes them. */
struct file *fget(int fd);
struct file *fget_raw(int fd);

/* A user path in a kmalloc'd PATH_MAX buffer (kfree it), or an ERR_PTR: -EFAULT,
 * -ENAMETOOLONG, -ENOENT for "" unless allow_empty, -ENOMEM. */
char *getname(const char *upath, bool allow_empty);

/* The directory a *at() path starts from, with references (path_put it): the cwd for
 * AT_FDCWD or an absolute path, else dirfd's path (-EBADF, -ENOTDIR). */
int at_dir(int dirfd, const char *path, struct path *out);

/*
 * What a *at() call with a path and AT_* flags names: the path's inode, or with
 * AT_EMPTY_PATH and "" the dirfd's own file (a pipe has no path, only an inode).
 * lookup_flags are LOOKUP_*; AT_SYMLINK_NOFOLLOW is for the caller to have turned off
 * LOOKUP_FOLLOW. at_put releases it.
 */
struct at_target {
	struct path path;
	struct file *file;
	struct inode *inode;
};
int at_lookup(int dirfd, const char *upath, unsigned at_flags, unsigned lookup_flags, struct at_target *t);
void at_put(struct at_target *t);

/* A user path and the directory it starts from, both in kernel memory (at_name_put them). */
struct at_name {
	char *name;
	struct path dir;
};
int at_name_get(int dirfd, const char *upath, struct at_name *an);
void at_name_put(struct at_name *an);

/* The caller's working directory, with references (path_put it). */
void cwd_get(struct path *out);
uint32_t cur_umask(void);
/* May create device nodes and mount (euid 0 until capabilities exist). */
bool fs_privileged(void);

/* The user-space dev_t encoding (glibc's makedev) of a VFS dev_t, and back. */
uint64_t dev_to_user(dev_t d);
dev_t dev_from_user(uint64_t u);
