/*
 * The virtual file system: superblocks and mounts, inodes, a dentry cache (the tree of names
 * already looked up), path resolution with Linux's errors, open files, and per-process file
 * descriptor tables. A file system plugs in as a struct fs_type plus operation tables; the VFS
 * never looks inside an inode's private data.
 *
 * Reference counting: dentry_get/put, inode_get/put, file_get/put; a dentry holds its inode and
 * its parent. Locking: one VFS mutex serialises namespace changes (mount, create, unlink,
 * rename) for now; file contents are protected by each inode's lock. FIXME: finer locking.
 */
#pragma once

#include "lib/types.h"
#include "sched/wait.h"

#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLINK_MAX_FOLLOW 40

/* Mode bits and types, as Linux defines them. */
#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

/* open(2) flags, as Linux defines them (octal). */
#define O_ACCMODE   03
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define O_DSYNC     010000
#define O_ASYNC     020000
#define O_DIRECT    040000
#define O_LARGEFILE 0100000
#define O_NOATIME   01000000
#define O_SYNC      04010000
#define O_PATH      010000000  /* a handle on the name only: no reading, writing or device open */
#define O_TMPFILE   020200000

/* poll(2) events, as Linux defines them. */
#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP  0x2000

typedef uint32_t dev_t;
#define MKDEV(major, minor) (((dev_t)(major) << 20) | (minor))
#define MAJOR(d) ((d) >> 20)
#define MINOR(d) ((d) & 0xfffff)

struct inode;
struct dentry;
struct file;
struct super_block;
struct mount;
struct poll_table;

struct timespec64 {
	int64_t sec;
	int64_t nsec;
};

/* What getattr fills in (the fields stat(2) and statx(2) report). */
struct kstat {
	dev_t dev, rdev;
	uint64_t ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t size, blocks;
	uint32_t blksize;
	struct timespec64 atime, mtime, ctime;
};

/* setattr: which fields of struct iattr to apply. */
#define ATTR_MODE  0x1
#define ATTR_UID   0x2
#define ATTR_GID   0x4
#define ATTR_SIZE  0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
struct iattr {
	unsigned valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct timespec64 atime, mtime;
};

/* Directory-changing operations; each returns 0 or a negative errno. */
struct inode_ops {
	/* Finds name in dir: the child's inode (a new reference), NULL if absent, or ERR_PTR. */
	struct inode *(*lookup)(struct inode *dir, const char *name, size_t len);
	int (*create)(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
	int (*mknod)(struct inode *dir, const char *name, size_t len, uint32_t mode, dev_t rdev,
		     struct inode **out);
	int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target, struct inode **out);
	int (*link)(struct inode *old, struct inode *dir, const char *name, size_t len);
	int (*unlink)(struct inode *dir, const char *name, size_t len, struct inode *victim);
	int (*rmdir)(struct inode *dir, const char *name, size_t len, struct inode *victim);
	int (*rename)(struct inode *old_dir, const char *old_name, size_t old_len, struct inode *new_dir,
		      const char *new_name, size_t new_len);
	/* Copies the target into buf (not NUL-terminated); returns its length or -errno. */
	ssize_t (*readlink)(struct inode *inode, char *buf, size_t size);
	int (*getattr)(struct inode *inode, struct kstat *st);
	int (*setattr)(struct inode *inode, const struct iattr *attr);
	/* Whether a cached name for inode still stands (vfs_lock held): false makes the dentry
	 * cache forget it and ask lookup again (procfs: the process has gone). */
	bool (*revalidate)(struct inode *inode);
	/* A link that stands for an open file (procfs's fd/N): that file with a new reference, or
	 * NULL. Opening the link reaches it even when its text leads nowhere ("pipe:[ino]"). */
	struct file *(*link_file)(struct inode *link);
};

/* readdir emits entries through this callback (getdents64 form); nonzero from it stops. */
typedef int (*filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next_pos);

struct file_ops {
	int (*open)(struct inode *inode, struct file *f);
	void (*release)(struct inode *inode, struct file *f);
	ssize_t (*read)(struct file *f, void *buf, size_t len, uint64_t *pos);
	ssize_t (*write)(struct file *f, const void *buf, size_t len, uint64_t *pos);
	int (*readdir)(struct file *f, filldir_t fill, void *ctx);
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* arg is the raw system-call argument (often a user pointer: use uaccess, no locks held). */
	int (*ioctl)(struct file *f, unsigned cmd, uint64_t arg);
	/* The POLL* events ready now; registers with poll_wait(pt, wq) each wait queue that is woken
	 * when they may change (pt may be NULL). Files without poll are always readable and writable. */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	int (*mmap)(struct file *f, void *vma); /* FIXME: the VM-area type comes with user processes */
	/* The page holding the data at page index (a new page reference), for shared mappings:
	 * writes through the mapping are writes to the file. -ENXIO past the end of the file. */
	int (*get_page)(struct file *f, uint64_t index, paddr_t *pa);
	/* Optional: page index is now mapped writable by a process (MAP_SHARED, PROT_WRITE), so it
	 * may change without a write(): the page cache writes it back while it stays mapped. */
	void (*page_mkwrite)(struct file *f, uint64_t index);
	/* Optional: fsync/fdatasync/msync write the file's cached data to its file system (the
	 * caller then flushes the device). 0 or the first write-back error. */
	int (*fsync)(struct file *f, bool datasync);
};

struct inode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size;
	dev_t rdev;
	struct timespec64 atime, mtime, ctime;
	struct super_block *sb;
	const struct inode_ops *iop;
	const struct file_ops *fop;
	void *private;              /* the file system's data */
	void *pipe;                 /* a FIFO's pipe while it is open (fs/pipe.c, under its lock) */
	struct mutex lock;          /* contents and size */
	int refcount;
};

struct dentry {
	char name[NAME_MAX + 1];
	size_t len;
	struct dentry *parent;      /* itself for a file system's root */
	struct inode *inode;        /* NULL: a negative entry (the name is known to be absent) */
	struct dentry *first_child, *next_sibling;
	struct mount *mounted;      /* a mount whose root covers this dentry */
	int refcount;
};

#define FS_REQUIRES_DEV 1 /* mounts a block device (without it: "nodev" in /proc/filesystems) */

struct fs_type {
	const char *name;           /* "tmpfs", "devfs", "proc", ... */
	unsigned flags;             /* FS_* */
	/* Builds a superblock with its root inode; dev and data are the mount(2) arguments. */
	int (*mount)(struct fs_type *type, const char *dev, const void *data, struct super_block **out);
	void (*kill_sb)(struct super_block *sb);
	struct fs_type *next;
};

struct super_ops {
	/* The last in-memory reference to inode is gone: free it if nothing else (a link) keeps it. */
	void (*evict_inode)(struct inode *inode);
	/* Optional: make the file system read-only (writing everything back first) or writable
	 * again (-EROFS when the device cannot be written). Mounting with MS_RDONLY calls it too;
	 * without it only the mount's flag changes (open for writing still fails with EROFS). */
	int (*remount)(struct super_block *sb, bool rdonly);
};

/*
 * What statfs reports comes straight from here: the file system keeps blocks_free (and
 * files_free) current. blocks == 0 means no limit (tmpfs without size=, procfs), as on Linux.
 */
struct super_block {
	struct fs_type *type;
	const struct super_ops *sop;
	dev_t dev;
	struct dentry *root;
	void *private;
	uint64_t magic;             /* statfs's f_type: TMPFS_MAGIC, PROC_SUPER_MAGIC */
	uint64_t block_size, blocks, blocks_free, files, files_free;
};

#define TMPFS_MAGIC      0x01021994
#define PROC_SUPER_MAGIC 0x9fa0

/* statfs(2)'s fields, as Linux's struct statfs orders them. */
struct kstatfs {
	uint64_t f_type;
	uint64_t f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail; /* in f_bsize units */
	uint64_t f_files, f_ffree;
	uint32_t f_fsid[2];
	uint64_t f_namelen;
	uint64_t f_frsize;
	uint64_t f_flags;                     /* ST_* */
};
#define ST_VALID 0x0020 /* f_flags is filled in (always, since Linux 2.6.36) */

struct mount {
	struct super_block *sb;
	struct dentry *root;        /* the superblock's root dentry */
	struct dentry *mountpoint;  /* in the parent mount; NULL for the root mount */
	struct mount *parent;
	char source[64];
	unsigned flags;
	int refcount;               /* the mount table's, plus one per struct path using it */
	struct mount *next;         /* the mount table, for /proc/mounts */
};

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path path;           /* path.mnt is NULL for a file with no name (a pipe) */
	struct inode *inode;
	const struct file_ops *fop;
	unsigned flags;             /* O_* status flags (O_APPEND, O_NONBLOCK...) and access mode */
	uint64_t pos;
	struct mutex pos_lock;
	void *private;
	void *ep_links;             /* epoll registrations watching this file (fs/eventpoll.c) */
	int refcount;
};

/* File systems. */
int vfs_register_fs(struct fs_type *type);
/* Calls fn for every registered type, oldest first. Takes no lock: types are only appended. */
void vfs_for_each_fs(void (*fn)(const struct fs_type *type, void *ctx), void *ctx);
/* Mounts the root file system (tmpfs) at "/". */
int vfs_init(void);
int vfs_mount(const char *source, const char *target, const char *fstype, unsigned flags, const void *data);
/* -EBUSY while files are open below it or another mount sits on it. */
int vfs_umount(const char *target);
/* mount(2)'s flag for a read-only mount (struct mount's flags keep it); MS_REMOUNT changes it. */
#define MS_RDONLY 0x1
/* MS_REMOUNT: target must be a mount's root (-EINVAL); only MS_RDONLY changes for now. */
int vfs_remount(const char *target, unsigned flags);
/*
 * MS_MOVE: the mount whose root source names moves onto target (-EINVAL when source is no
 * mount's root, is the root mount, or target lies inside it). Moved onto "/", it becomes the
 * root of the name space for every process (switch_root; there are no per-process roots yet).
 */
int vfs_move_mount(const char *source, const char *target);
/* Whether p is the root of the name space (chroot to anything else is not supported yet). */
bool vfs_is_root(const struct path *p);

/* Path resolution, relative to cwd for paths not starting with '/'. */
#define LOOKUP_FOLLOW    0x1 /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
int vfs_lookup(const struct path *cwd, const char *pathname, unsigned flags, struct path *out);
void path_put(struct path *p);
/* The absolute name of p ("/a/b"), crossing mounts: its length, or -ERANGE when it needs more
 * than size bytes with the NUL, or -ENOENT when p was removed (a directory with no links). */
int vfs_path_of(const struct path *p, char *buf, size_t size);

/* The calls the system-call layer will make; each returns 0, a count, or a negative errno. */
int vfs_open(const struct path *cwd, const char *pathname, unsigned flags, uint32_t mode, struct file **out);
void file_put(struct file *f);
struct file *file_get(struct file *f);
ssize_t vfs_read(struct file *f, void *buf, size_t len);
ssize_t vfs_write(struct file *f, const void *buf, size_t len);
ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t pos);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, uint64_t pos);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
/* lseek's arithmetic for a file whose end is `end` (file systems with their own notion of size). */
int64_t vfs_llseek_end(struct file *f, int64_t off, int whence, uint64_t end);
/*
 * Dispatch to the file's operations. vfs_ioctl: -ENOTTY without an ioctl (the generic
 * FIONBIO/FIOCLEX family is the system-call layer's: it needs user memory and the fd table).
 * vfs_poll (below, with poll tables). vfs_mmap: -EACCES unless open for reading, -ENODEV
 * without mmap.
 */
int vfs_ioctl(struct file *f, unsigned cmd, uint64_t arg);
int vfs_mmap(struct file *f, void *vma);
/* Fills buf with struct linux_dirent64 records; the byte count, 0 at the end, or -errno. */
ssize_t vfs_getdents64(struct file *f, void *buf, size_t len);
int vfs_mkdir(const struct path *cwd, const char *pathname, uint32_t mode);
int vfs_mknod(const struct path *cwd, const char *pathname, uint32_t mode, dev_t rdev);
int vfs_rmdir(const struct path *cwd, const char *pathname);
int vfs_unlink(const struct path *cwd, const char *pathname);
int vfs_rename(const struct path *cwd, const char *oldpath, const char *newpath);
/* renameat2: each name relative to its own directory; flags 0 or RENAME_NOREPLACE. */
#define RENAME_NOREPLACE 0x1
#define RENAME_EXCHANGE  0x2
#define RENAME_WHITEOUT  0x4
int vfs_renameat(const struct path *olddir, const char *oldpath, const struct path *newdir,
		 const char *newpath, unsigned flags);
int vfs_link(const struct path *cwd, const char *oldpath, const char *newpath);
/* linkat: follow says whether a symlink named by oldpath is followed (AT_SYMLINK_FOLLOW). */
int vfs_linkat(const struct path *olddir, const char *oldpath, const struct path *newdir,
	       const char *newpath, bool follow);
int vfs_symlink(const struct path *cwd, const char *target, const char *linkpath);
ssize_t vfs_readlink(const struct path *cwd, const char *pathname, char *buf, size_t size);
int vfs_stat(const struct path *cwd, const char *pathname, bool follow, struct kstat *st);
int vfs_fstat(struct file *f, struct kstat *st);
/* The file system holding pathname (symlinks followed) or f. */
int vfs_statfs(const struct path *cwd, const char *pathname, struct kstatfs *out);
int vfs_fstatfs(struct file *f, struct kstatfs *out);
int vfs_truncate(const struct path *cwd, const char *pathname, uint64_t size);
int vfs_ftruncate(struct file *f, uint64_t size);
int vfs_chmod(const struct path *cwd, const char *pathname, uint32_t mode);
/* What stat reports for an inode. */
int vfs_getattr(struct inode *inode, struct kstat *st);
/* Changes attributes under the inode's lock (the file system's setattr, else the inode's own
 * fields; ATTR_SIZE needs a setattr). No permission checks yet. */
int vfs_setattr(struct inode *inode, const struct iattr *attr);
/* A file with no name for an inode (pipes, later sockets): refcount 1, takes an inode reference. */
struct file *vfs_anon_file(struct inode *inode, const struct file_ops *fop, unsigned flags);
/* poll support: a file's poll op calls poll_wait for each wait queue that signals a change. */
void poll_wait(struct poll_table *pt, struct waitqueue *wq);
/* The file's ready POLL* events (f->fop->poll, or always readable and writable). */
unsigned vfs_poll(struct file *f, struct poll_table *pt);
/*
 * A poll table: the waits a poller has registered. The poller scans its files once with
 * registering set (each poll_wait queues an entry), sleeps until an entry is woken
 * (poll_table_woken), re-queues the woken entries (poll_table_rearm) and scans again with a
 * NULL table. poll_table_free dequeues everything; it must run before the files are put.
 */
struct poll_table_block;
struct poll_table {
	struct poll_table_block *blocks;
	bool registering;
	int error;                  /* -ENOMEM: an entry could not be registered */
	/* When set, poll_wait hands each queue to it instead (epoll's callback entries). */
	void (*qproc)(struct poll_table *pt, struct waitqueue *wq);
	void *priv;
};
void poll_table_init(struct poll_table *pt);
bool poll_table_woken(struct poll_table *pt);
void poll_table_rearm(struct poll_table *pt);
void poll_table_free(struct poll_table *pt);

/* Per-process descriptor tables: shared by CLONE_FILES threads, copied by fork. */
#define FD_MAX 1024
#define FD_CLOEXEC 1
struct fd_table {
	struct mutex lock;
	struct file *files[FD_MAX];
	uint8_t fd_flags[FD_MAX];
	int refcount;
};
struct fd_table *fd_table_new(void);
struct fd_table *fd_table_copy(struct fd_table *t);
void fd_table_put(struct fd_table *t);
/* The lowest free descriptor in [min, max) (max: RLIMIT_NOFILE, capped at FD_MAX), holding a
 * new reference to f; -EMFILE when none is free, -EINVAL when min is out of range. */
int fd_install(struct fd_table *t, struct file *f, int min, int max, unsigned fd_flags);
/* The file at fd with a new reference, or NULL (-EBADF). */
struct file *fd_get(struct fd_table *t, int fd);
int fd_close(struct fd_table *t, int fd);
/* dup2/dup3 semantics. */
int fd_dup_to(struct fd_table *t, int oldfd, int newfd, unsigned fd_flags);
/* Closes every FD_CLOEXEC descriptor (execve). */
void fd_close_on_exec(struct fd_table *t);
/* The FD_* flags of fd, or -EBADF; and setting them. */
int fd_get_flags(struct fd_table *t, int fd);
int fd_set_flags(struct fd_table *t, int fd, unsigned fd_flags);

/* For file systems: inodes, dentries, devices. */
struct inode *inode_alloc(struct super_block *sb); /* zeroed, lock initialised, refcount 1 */
struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);                 /* the last put calls sb->sop->evict_inode */
struct timespec64 vfs_now(void);                     /* the real-time clock, for timestamps */
/*
 * Access checks, mask of MAY_* (Linux's values). Every path that reads, writes, searches or
 * changes a directory asks here; FIXME: always 0 until processes carry credentials.
 */
#define MAY_EXEC  0x1
#define MAY_WRITE 0x2
#define MAY_READ  0x4
int inode_permission(struct inode *inode, int mask);
/* stat's fields from the inode alone (blocks from the size): getattr without one of its own. */
void vfs_fillattr(struct inode *inode, struct kstat *st);
struct dentry *d_make_root(struct inode *inode);     /* consumes the inode reference */
struct dentry *dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
dev_t vfs_alloc_anon_dev(void);                      /* MKDEV(0, n) for a new superblock */
void path_get(struct path *p);
/* The root of the name space, with references (path_put it). */
void vfs_root(struct path *out);
/* llseek for files that cannot seek (pipes, ttys): -ESPIPE. */
int64_t vfs_no_llseek(struct file *f, int64_t off, int whence);
/* Character devices by major number: opening a S_IFCHR inode uses these operations (-ENXIO if none). */
int vfs_register_chrdev(unsigned major, const struct file_ops *fops);
/* Block devices by major number (the block layer registers its node operations here). */
int vfs_register_blkdev(unsigned major, const struct file_ops *fops);
/*
 * For FS_REQUIRES_DEV mount callbacks, which run with the VFS lock held: the device number of
 * the block-device node path names (symlinks followed); -ENOTBLK when it is something else.
 */
int vfs_resolve_blkdev(const char *path, dev_t *out);
/* The mount table, oldest first (for /proc/mounts); walk ->next. */
struct mount *vfs_mount_list(void);

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12
#define IFTODT(mode) (((mode) & S_IFMT) >> 12)

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* Error pointers, for functions returning an object or an errno. */
#define ERR_PTR(e) ((void *)(intptr_t)(e))
#define PTR_ERR(p) ((int)(intptr_t)(p))
#define IS_ERR(p)  ((uintptr_t)(p) >= (uintptr_t)-4095)
