// unit-deps: kernel/fs/namei.c kernel/fs/dcache.c kernel/fs/inode.c kernel/fs/mount.c kernel/fs/file.c kernel/fs/open.c kernel/fs/attr.c kernel/fs/dirops.c kernel/fs/fdtable.c kernel/fs/tmpfs.c kernel/lib/string.c kernel/lib/printf.c
/*
 * Host tests for the VFS core and tmpfs: path resolution and every Linux error it can give,
 * mounts crossed with "..", symlink loops, rename corner cases, getdents64, large files.
 * The kernel services the VFS uses are stubbed below (heap from libc, no-op mutexes).
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

#include "host_prefix.h"

#define dev_t kern_dev_t /* the host's <sys/types.h> has its own */
#include "fs/vfs.h"
#include "mm/pmm.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* ---- kernel services ---- */

void *kmalloc(size_t size) { return size ? malloc(size) : NULL; }
void *kzalloc(size_t size) { return size ? calloc(1, size) : NULL; }
void kfree(const void *p) { free((void *)p); }
/* tmpfs file pages: page-sized heap blocks; a "struct page" is the block itself here. */
struct page *mem_map;
void *pmm_alloc_virt(unsigned order, unsigned gfp)
{
	(void)gfp;
	void *p = aligned_alloc(4096, 4096u << order);
	if (p)
		memset(p, 0, 4096u << order);
	return p;
}
struct page *virt_to_page(const void *addr) { return (struct page *)addr; }
void page_ref_get(struct page *p) { (void)p; }
void page_ref_put(struct page *p) { free(p); }
void mutex_init(struct mutex *m) { (void)m; }
void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }
/* FIFOs and epoll live outside the VFS core: opening a FIFO is not tested here. */
const struct file_ops pipe_fifo_fops;
void eventpoll_release_file(struct file *f) { (void)f; }
/* Truncation unmaps pages from processes' address spaces: there are no processes here. */
void proc_unmap_file_from(const struct inode *inode, uint64_t off) { (void)inode; (void)off; }
static uint64_t fake_clock = 1700000000ull * 1000000000ull;
uint64_t clock_realtime_ns(void) { return fake_clock += 1000; }
void klog(int level, const char *fmt, ...)
{
	(void)level;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ---- helpers ---- */

static void setup(void)
{
	static bool done;
	if (!done) {
		vfs_init();
		done = true;
	}
}

/* A fresh directory per test, so tests do not see each other's files. */
static const char *fresh(const char *name)
{
	static char buf[256];
	setup();
	snprintf(buf, sizeof(buf), "/%s", name);
	if (vfs_mkdir(NULL, buf, 0755) != 0)
		return NULL;
	return buf;
}

static int put_file(const char *path, const char *data)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (err)
		return err;
	ssize_t n = vfs_write(f, data, strlen(data));
	file_put(f);
	return n == (ssize_t)strlen(data) ? 0 : -EIO;
}

static char readbuf[256];
static const char *get_file(const char *path)
{
	struct file *f;
	if (vfs_open(NULL, path, O_RDONLY, 0, &f))
		return NULL;
	ssize_t n = vfs_read(f, readbuf, sizeof(readbuf) - 1);
	file_put(f);
	if (n < 0)
		return NULL;
	readbuf[n] = 0;
	return readbuf;
}

static int stat_mode(const char *path, bool follow)
{
	struct kstat st;
	int err = vfs_stat(NULL, path, follow, &st);
	return err ? err : (int)st.mode;
}

static uint64_t stat_ino(const char *path)
{
	struct kstat st;
	return vfs_stat(NULL, path, true, &st) ? 0 : st.ino;
}

/* ---- tests ---- */

TEST(create_write_read)
{
	CHECK(fresh("cwr"));
	CHECK_INT(put_file("/cwr/a", "hello"), 0);
	CHECK_STR(get_file("/cwr/a"), "hello");
	CHECK_STR(get_file("/cwr/./a"), "hello");
	CHECK_STR(get_file("//cwr//a"), "hello");
	CHECK_INT(stat_mode("/cwr/a", true), S_IFREG | 0644);
	struct kstat st;
	CHECK_INT(vfs_stat(NULL, "/cwr/a", true, &st), 0);
	CHECK_INT(st.size, 5);
	CHECK_INT(st.nlink, 1);
}

TEST(lookup_errors)
{
	CHECK(fresh("le"));
	CHECK_INT(put_file("/le/file", "x"), 0);
	CHECK_INT(vfs_mkdir(NULL, "/le/dir", 0755), 0);
	struct path p;
	CHECK_INT(vfs_lookup(NULL, "", 0, &p), -ENOENT);
	CHECK_INT(vfs_lookup(NULL, "/le/missing", 0, &p), -ENOENT);
	CHECK_INT(vfs_lookup(NULL, "/le/missing/x", 0, &p), -ENOENT);
	CHECK_INT(vfs_lookup(NULL, "/le/file/x", 0, &p), -ENOTDIR);
	CHECK_INT(vfs_lookup(NULL, "/le/file/", 0, &p), -ENOTDIR);
	CHECK_INT(vfs_lookup(NULL, "/le/file/.", 0, &p), -ENOTDIR);
	CHECK_INT(vfs_lookup(NULL, "/le/file", LOOKUP_DIRECTORY, &p), -ENOTDIR);
	CHECK_INT(vfs_lookup(NULL, "/le/dir/", 0, &p), 0);
	path_put(&p);
	/* a 256-byte component, and a path of PATH_MAX bytes */
	char name[300];
	memset(name, 'n', 257);
	name[0] = '/';
	name[257] = 0; /* a 256-byte component */
	CHECK_INT(vfs_lookup(NULL, name, 0, &p), -ENAMETOOLONG);
	name[256] = 0; /* 255: fine, just absent */
	CHECK_INT(vfs_lookup(NULL, name, 0, &p), -ENOENT);
	char *longp = malloc(PATH_MAX + 1);
	for (int i = 0; i < PATH_MAX; i++)
		longp[i] = (i % 2) ? '/' : '.';
	longp[PATH_MAX] = 0;
	CHECK_INT(vfs_lookup(NULL, longp, 0, &p), -ENAMETOOLONG);
	longp[PATH_MAX - 1] = 0; /* 4095 bytes: resolves (to the root) */
	int err = vfs_lookup(NULL, longp, 0, &p);
	free(longp);
	CHECK_INT(err, 0);
	path_put(&p);
	/* a 255-byte name can be created */
	char nm[300] = "/le/";
	memset(nm + 4, 'z', NAME_MAX);
	nm[4 + NAME_MAX] = 0;
	CHECK_INT(put_file(nm, "long"), 0);
	CHECK_STR(get_file(nm), "long");
	nm[4 + NAME_MAX] = 'z';
	nm[5 + NAME_MAX] = 0;
	CHECK_INT(put_file(nm, "long"), -ENAMETOOLONG);
}

TEST(relative_and_dotdot)
{
	CHECK(fresh("rel"));
	CHECK_INT(vfs_mkdir(NULL, "/rel/a", 0755), 0);
	CHECK_INT(vfs_mkdir(NULL, "/rel/a/b", 0755), 0);
	CHECK_INT(put_file("/rel/top", "top"), 0);
	struct path cwd;
	CHECK_INT(vfs_lookup(NULL, "/rel/a/b", 0, &cwd), 0);
	struct file *f;
	CHECK_INT(vfs_open(&cwd, "../../top", O_RDONLY, 0, &f), 0);
	file_put(f);
	CHECK_INT(vfs_mkdir(&cwd, "c", 0755), 0);
	CHECK_INT(stat_mode("/rel/a/b/c", true), S_IFDIR | 0755);
	CHECK_INT(vfs_open(&cwd, "../../../../../../rel/top", O_RDONLY, 0, &f), 0);
	file_put(f);
	CHECK(stat_ino("/..") == stat_ino("/"));
	CHECK(stat_ino("/rel/a/b/../..") == stat_ino("/rel"));
	path_put(&cwd);
}

TEST(symlinks)
{
	CHECK(fresh("sl"));
	CHECK_INT(vfs_mkdir(NULL, "/sl/d", 0755), 0);
	CHECK_INT(put_file("/sl/d/f", "data"), 0);
	CHECK_INT(vfs_symlink(NULL, "d/f", "/sl/rel"), 0);      /* relative to the link's dir */
	CHECK_INT(vfs_symlink(NULL, "/sl/d", "/sl/abs"), 0);    /* absolute */
	CHECK_INT(vfs_symlink(NULL, "../d", "/sl/d/up"), 0);
	CHECK_STR(get_file("/sl/rel"), "data");
	CHECK_STR(get_file("/sl/abs/f"), "data");               /* in the middle */
	CHECK_STR(get_file("/sl/d/up/up/up/f"), "data");
	CHECK_INT(stat_mode("/sl/rel", false), S_IFLNK | 0777);
	CHECK_INT(stat_mode("/sl/rel", true), S_IFREG | 0644);
	char buf[64];
	CHECK_INT(vfs_readlink(NULL, "/sl/rel", buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "d/f", 3) == 0);
	CHECK_INT(vfs_readlink(NULL, "/sl/d/f", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(vfs_readlink(NULL, "/sl/abs", buf, 2), 2); /* truncated, like Linux */
	/* loops */
	CHECK_INT(vfs_symlink(NULL, "b", "/sl/a"), 0);
	CHECK_INT(vfs_symlink(NULL, "a", "/sl/b"), 0);
	struct path p;
	CHECK_INT(vfs_lookup(NULL, "/sl/a", LOOKUP_FOLLOW, &p), -ELOOP);
	CHECK_INT(vfs_lookup(NULL, "/sl/a/x", 0, &p), -ELOOP);
	CHECK_INT(vfs_lookup(NULL, "/sl/a", 0, &p), 0);
	path_put(&p);
	CHECK_INT(vfs_symlink(NULL, "self", "/sl/self"), 0);
	CHECK_INT(stat_mode("/sl/self", true), -ELOOP);
	/* a chain of 40 is allowed, 41 is not */
	CHECK_INT(vfs_symlink(NULL, "d/f", "/sl/l0"), 0);
	char from[32], to[32];
	for (int i = 1; i <= 40; i++) {
		snprintf(from, sizeof(from), "/sl/l%d", i);
		snprintf(to, sizeof(to), "l%d", i - 1);
		CHECK_INT(vfs_symlink(NULL, to, from), 0);
	}
	CHECK_STR(get_file("/sl/l39"), "data");
	CHECK_INT(stat_mode("/sl/l40", true), -ELOOP);
	/* dangling, empty target, trailing slash on a link to a file */
	CHECK_INT(vfs_symlink(NULL, "nowhere", "/sl/dangle"), 0);
	CHECK_INT(stat_mode("/sl/dangle", true), -ENOENT);
	CHECK_INT(vfs_symlink(NULL, "", "/sl/empty"), -ENOENT);
	CHECK_INT(stat_mode("/sl/rel/", true), -ENOTDIR);
	CHECK_INT(stat_mode("/sl/abs/", false), S_IFDIR | 0755);
	CHECK_INT(vfs_symlink(NULL, "x", "/sl/rel"), -EEXIST);
	/* O_NOFOLLOW */
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/sl/rel", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	CHECK_INT(vfs_open(NULL, "/sl/rel", O_RDONLY | O_NOFOLLOW | O_CREAT, 0644, &f), -ELOOP);
	CHECK_INT(vfs_open(NULL, "/sl/abs/f", O_RDONLY | O_NOFOLLOW, 0, &f), 0); /* only the last */
	file_put(f);
}

/* O_CREAT through a final symlink: Linux follows it and creates a dangling link's target. */
TEST(creat_through_symlink)
{
	CHECK(fresh("cs"));
	CHECK_INT(vfs_mkdir(NULL, "/cs/d", 0755), 0);
	CHECK_INT(vfs_symlink(NULL, "d/new", "/cs/rel"), 0);     /* relative to the link's dir */
	CHECK_INT(vfs_symlink(NULL, "/cs/d/abs", "/cs/abs"), 0);
	CHECK_INT(vfs_symlink(NULL, "rel2", "/cs/chain"), 0);     /* chain -> rel2 -> d/two */
	CHECK_INT(vfs_symlink(NULL, "d/two", "/cs/rel2"), 0);
	CHECK_INT(vfs_symlink(NULL, "missing/x", "/cs/nodir"), 0);
	CHECK_INT(vfs_symlink(NULL, "d/sub/", "/cs/slash"), 0);
	CHECK_INT(vfs_symlink(NULL, "loop2", "/cs/loop1"), 0);
	CHECK_INT(vfs_symlink(NULL, "loop1", "/cs/loop2"), 0);
	struct file *f;
	/* O_EXCL never follows: the link itself exists. O_NOFOLLOW refuses it. */
	CHECK_INT(vfs_open(NULL, "/cs/rel", O_WRONLY | O_CREAT | O_EXCL, 0600, &f), -EEXIST);
	CHECK_INT(vfs_open(NULL, "/cs/rel", O_WRONLY | O_CREAT | O_NOFOLLOW, 0600, &f), -ELOOP);
	CHECK_INT(stat_mode("/cs/d/new", false), -ENOENT);
	CHECK_INT(vfs_open(NULL, "/cs/rel", O_WRONLY | O_CREAT, 0600, &f), 0);
	CHECK_INT(vfs_write(f, "via link", 8), 8);
	file_put(f);
	CHECK_INT(stat_mode("/cs/d/new", false), S_IFREG | 0600);
	CHECK_STR(get_file("/cs/d/new"), "via link");
	CHECK_INT(stat_mode("/cs/rel", false), S_IFLNK | 0777);
	/* Now the target exists: an ordinary open through the link, no new file. */
	CHECK_INT(vfs_open(NULL, "/cs/rel", O_RDONLY | O_CREAT, 0644, &f), 0);
	file_put(f);
	CHECK_STR(get_file("/cs/rel"), "via link");
	CHECK_INT(vfs_open(NULL, "/cs/abs", O_WRONLY | O_CREAT, 0644, &f), 0);
	file_put(f);
	CHECK_INT(stat_mode("/cs/d/abs", false), S_IFREG | 0644);
	CHECK_INT(vfs_open(NULL, "/cs/chain", O_WRONLY | O_CREAT, 0644, &f), 0);
	file_put(f);
	CHECK_INT(stat_mode("/cs/d/two", false), S_IFREG | 0644);
	/* The target's directory must exist; a target with a trailing slash names a directory. */
	CHECK_INT(vfs_open(NULL, "/cs/nodir", O_WRONLY | O_CREAT, 0644, &f), -ENOENT);
	CHECK_INT(vfs_open(NULL, "/cs/slash", O_WRONLY | O_CREAT, 0644, &f), -EISDIR);
	CHECK_INT(vfs_open(NULL, "/cs/loop1", O_WRONLY | O_CREAT, 0644, &f), -ELOOP);
	/* A relative open from a directory that is not the link's. */
	struct path cwd;
	CHECK_INT(vfs_lookup(NULL, "/cs/d", LOOKUP_DIRECTORY, &cwd), 0);
	CHECK_INT(vfs_symlink(&cwd, "../made_from_d", "link_in_d"), 0);
	CHECK_INT(vfs_open(&cwd, "link_in_d", O_WRONLY | O_CREAT, 0644, &f), 0);
	file_put(f);
	path_put(&cwd);
	CHECK_INT(stat_mode("/cs/made_from_d", false), S_IFREG | 0644);
}

/* statfs reads the superblock; tmpfs keeps its page count there (size= limit, ENOSPC). */
TEST(statfs_tmpfs)
{
	CHECK(fresh("sf"));
	CHECK_INT(vfs_mkdir(NULL, "/sf/lim", 0755), 0);
	struct kstatfs st;
	CHECK_INT(vfs_statfs(NULL, "/sf", &st), 0);
	CHECK_INT(st.f_type, TMPFS_MAGIC);
	CHECK_INT(st.f_bsize, 4096);
	CHECK_INT(st.f_blocks, 0); /* the root has no size= limit */
	CHECK_INT(st.f_namelen, 255);
	CHECK_INT(st.f_flags & ST_VALID, ST_VALID);
	CHECK_INT(vfs_mount("none", "/sf/lim", "tmpfs", 0, "size=20k"), 0); /* 5 pages */
	CHECK_INT(vfs_statfs(NULL, "/sf/lim", &st), 0);
	CHECK_INT(st.f_blocks, 5);
	CHECK_INT(st.f_bfree, 5);
	CHECK_INT(st.f_bavail, 5);
	static char big[4 * 4096 + 1];
	memset(big, 'b', sizeof(big) - 1);
	CHECK_INT(put_file("/sf/lim/a", big), 0); /* 4 pages */
	CHECK_INT(vfs_statfs(NULL, "/sf/lim/a", &st), 0);
	CHECK_INT(st.f_bfree, 1);
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/sf/lim/b", O_RDWR | O_CREAT, 0644, &f), 0);
	CHECK_INT(vfs_write(f, big, 4096), 4096);
	CHECK_INT(vfs_write(f, "x", 1), -ENOSPC);
	struct kstatfs fst;
	CHECK_INT(vfs_fstatfs(f, &fst), 0);
	CHECK_INT(fst.f_bfree, 0);
	CHECK_INT(vfs_ftruncate(f, 0), 0);
	file_put(f);
	CHECK_INT(vfs_unlink(NULL, "/sf/lim/a"), 0);
	CHECK_INT(vfs_statfs(NULL, "/sf/lim", &st), 0);
	CHECK_INT(st.f_bfree, 5);
	CHECK(st.f_fsid[0] != 0);
	CHECK_INT(vfs_statfs(NULL, "/sf/nope", &st), -ENOENT);
	CHECK_INT(vfs_unlink(NULL, "/sf/lim/b"), 0);
	CHECK_INT(vfs_umount("/sf/lim"), 0);
}

TEST(open_flags)
{
	CHECK(fresh("of"));
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/of/x", O_RDONLY, 0, &f), -ENOENT);
	CHECK_INT(vfs_open(NULL, "/of/x", O_RDWR | O_CREAT | O_EXCL, 0600, &f), 0);
	CHECK_INT(vfs_write(f, "abcdef", 6), 6);
	file_put(f);
	CHECK_INT(vfs_open(NULL, "/of/x", O_RDWR | O_CREAT | O_EXCL, 0600, &f), -EEXIST);
	CHECK_INT(vfs_open(NULL, "/of", O_RDWR, 0, &f), -EISDIR);
	CHECK_INT(vfs_open(NULL, "/of", O_RDONLY | O_CREAT, 0, &f), -EISDIR);
	CHECK_INT(vfs_open(NULL, "/of/new/", O_RDWR | O_CREAT, 0644, &f), -EISDIR);
	CHECK_INT(vfs_open(NULL, "/of/x", O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
	CHECK_INT(vfs_open(NULL, "/of/x/", O_RDONLY, 0, &f), -ENOTDIR);
	CHECK_INT(vfs_open(NULL, "/of/nodir/x", O_RDWR | O_CREAT, 0644, &f), -ENOENT);
	/* append */
	CHECK_INT(vfs_open(NULL, "/of/x", O_WRONLY | O_APPEND, 0, &f), 0);
	CHECK_INT(vfs_write(f, "gh", 2), 2);
	char buf[16];
	CHECK_INT(vfs_read(f, buf, 2), -EBADF);
	file_put(f);
	CHECK_STR(get_file("/of/x"), "abcdefgh");
	/* lseek, pread, pwrite */
	CHECK_INT(vfs_open(NULL, "/of/x", O_RDWR, 0, &f), 0);
	CHECK_INT(vfs_lseek(f, -2, SEEK_END), 6);
	CHECK_INT(vfs_read(f, buf, 16), 2);
	CHECK_INT(vfs_read(f, buf, 16), 0);
	CHECK_INT(vfs_lseek(f, -100, SEEK_CUR), -EINVAL);
	CHECK_INT(vfs_lseek(f, 0, 7), -EINVAL);
	CHECK_INT(vfs_lseek(f, 1, SEEK_SET), 1);
	CHECK_INT(vfs_pwrite(f, "XY", 2, 2), 2);
	CHECK_INT(vfs_pread(f, buf, 4, 1), 4);
	CHECK(memcmp(buf, "bXYe", 4) == 0);
	CHECK_INT(vfs_lseek(f, 0, SEEK_CUR), 1);
	/* a hole past the end reads as zeros */
	CHECK_INT(vfs_pwrite(f, "Z", 1, 10000), 1);
	CHECK_INT(vfs_pread(f, buf, 4, 9000), 4);
	CHECK(buf[0] == 0 && buf[3] == 0);
	struct kstat st;
	CHECK_INT(vfs_fstat(f, &st), 0);
	CHECK_INT(st.size, 10001);
	file_put(f);
	/* O_TRUNC */
	CHECK_INT(vfs_open(NULL, "/of/x", O_WRONLY | O_TRUNC, 0, &f), 0);
	file_put(f);
	CHECK_INT(vfs_stat(NULL, "/of/x", true, &st), 0);
	CHECK_INT(st.size, 0);
	/* truncate grows with zeros and shrinks */
	CHECK_INT(put_file("/of/t", "0123456789"), 0);
	CHECK_INT(vfs_truncate(NULL, "/of/t", 4), 0);
	CHECK_INT(vfs_truncate(NULL, "/of/t", 8), 0);
	CHECK_INT(vfs_open(NULL, "/of/t", O_RDONLY, 0, &f), 0);
	CHECK_INT(vfs_read(f, buf, 16), 8);
	CHECK(memcmp(buf, "0123\0\0\0\0", 8) == 0);
	CHECK_INT(vfs_ftruncate(f, 0), -EINVAL);
	CHECK_INT(vfs_write(f, "a", 1), -EBADF);
	file_put(f);
	CHECK_INT(vfs_truncate(NULL, "/of", 0), -EISDIR);
}

TEST(mkdir_rmdir_unlink)
{
	CHECK(fresh("mr"));
	CHECK_INT(vfs_mkdir(NULL, "/mr/d", 0755), 0);
	CHECK_INT(vfs_mkdir(NULL, "/mr/d", 0755), -EEXIST);
	CHECK_INT(vfs_mkdir(NULL, "/mr/e/", 0755), 0);
	CHECK_INT(vfs_mkdir(NULL, "/mr/d/.", 0755), -EEXIST);
	CHECK_INT(vfs_mkdir(NULL, "/", 0755), -EEXIST);
	CHECK_INT(vfs_mkdir(NULL, "/mr/x/y", 0755), -ENOENT);
	CHECK_INT(put_file("/mr/f", "f"), 0);
	CHECK_INT(vfs_mkdir(NULL, "/mr/f/y", 0755), -ENOTDIR);
	CHECK_INT(vfs_mkdir(NULL, "/mr/f", 0755), -EEXIST);
	struct kstat st;
	CHECK_INT(vfs_stat(NULL, "/mr", true, &st), 0);
	CHECK_INT(st.nlink, 4);
	CHECK_INT(put_file("/mr/d/inner", "i"), 0);
	CHECK_INT(vfs_rmdir(NULL, "/mr/d"), -ENOTEMPTY);
	CHECK_INT(vfs_rmdir(NULL, "/mr/d/."), -EINVAL);
	CHECK_INT(vfs_rmdir(NULL, "/mr/d/.."), -ENOTEMPTY);
	CHECK_INT(vfs_rmdir(NULL, "/mr/f"), -ENOTDIR);
	CHECK_INT(vfs_rmdir(NULL, "/mr/nope"), -ENOENT);
	CHECK_INT(vfs_rmdir(NULL, "/"), -EBUSY);
	CHECK_INT(vfs_unlink(NULL, "/mr/d"), -EISDIR);
	CHECK_INT(vfs_unlink(NULL, "/mr/d/"), -EISDIR);
	CHECK_INT(vfs_unlink(NULL, "/mr/f/"), -ENOTDIR);
	CHECK_INT(vfs_unlink(NULL, "/mr/nope"), -ENOENT);
	CHECK_INT(vfs_unlink(NULL, "/mr/d/inner"), 0);
	CHECK_INT(vfs_unlink(NULL, "/mr/d/inner"), -ENOENT);
	CHECK_INT(vfs_rmdir(NULL, "/mr/d/"), 0);
	CHECK_INT(stat_mode("/mr/d", true), -ENOENT);
	CHECK_INT(vfs_stat(NULL, "/mr", true, &st), 0);
	CHECK_INT(st.nlink, 3);
	/* mknod */
	CHECK_INT(vfs_mknod(NULL, "/mr/null", S_IFCHR | 0666, MKDEV(1, 3)), 0);
	CHECK_INT(vfs_stat(NULL, "/mr/null", true, &st), 0);
	CHECK_INT(st.mode, S_IFCHR | 0666);
	CHECK_INT(st.rdev, MKDEV(1, 3));
	CHECK_INT(vfs_mknod(NULL, "/mr/fifo", S_IFIFO | 0600, 0), 0);
	CHECK_INT(vfs_mknod(NULL, "/mr/dd", S_IFDIR | 0600, 0), -EPERM);
	CHECK_INT(vfs_mknod(NULL, "/mr/n2/", S_IFIFO | 0600, 0), -ENOENT);
	CHECK_INT(vfs_mknod(NULL, "/mr/fifo", S_IFIFO | 0600, 0), -EEXIST);
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/mr/null", O_RDWR, 0, &f), -ENXIO); /* no driver registered */
	CHECK_INT(vfs_chmod(NULL, "/mr/fifo", 0640), 0);
	CHECK_INT(stat_mode("/mr/fifo", true), S_IFIFO | 0640);
}

TEST(unlink_while_open)
{
	CHECK(fresh("uwo"));
	CHECK_INT(put_file("/uwo/f", "still here"), 0);
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/uwo/f", O_RDWR, 0, &f), 0);
	CHECK_INT(vfs_unlink(NULL, "/uwo/f"), 0);
	CHECK_INT(stat_mode("/uwo/f", true), -ENOENT);
	char buf[32] = { 0 };
	CHECK_INT(vfs_read(f, buf, sizeof(buf)), 10);
	CHECK_STR(buf, "still here");
	struct kstat st;
	CHECK_INT(vfs_fstat(f, &st), 0);
	CHECK_INT(st.nlink, 0);
	CHECK_INT(put_file("/uwo/f", "new"), 0); /* the name is free again */
	CHECK_INT(vfs_pread(f, buf, 5, 0), 5);
	CHECK(memcmp(buf, "still", 5) == 0);
	file_put(f); /* frees the old inode (ASan checks) */
	CHECK_STR(get_file("/uwo/f"), "new");
}

TEST(hard_links)
{
	CHECK(fresh("hl"));
	CHECK_INT(put_file("/hl/a", "shared"), 0);
	CHECK_INT(vfs_link(NULL, "/hl/a", "/hl/b"), 0);
	CHECK(stat_ino("/hl/a") == stat_ino("/hl/b"));
	struct kstat st;
	CHECK_INT(vfs_stat(NULL, "/hl/b", true, &st), 0);
	CHECK_INT(st.nlink, 2);
	CHECK_INT(vfs_link(NULL, "/hl/a", "/hl/b"), -EEXIST);
	CHECK_INT(vfs_link(NULL, "/hl", "/hl/dirlink"), -EPERM);
	CHECK_INT(vfs_link(NULL, "/hl/nope", "/hl/c"), -ENOENT);
	CHECK_INT(vfs_link(NULL, "/hl/a", "/hl/c/"), -ENOENT);
	CHECK_INT(vfs_unlink(NULL, "/hl/a"), 0);
	CHECK_STR(get_file("/hl/b"), "shared");
	CHECK_INT(vfs_stat(NULL, "/hl/b", true, &st), 0);
	CHECK_INT(st.nlink, 1);
	/* link does not follow a final symlink: the link itself gets a second name */
	CHECK_INT(vfs_symlink(NULL, "b", "/hl/s"), 0);
	CHECK_INT(vfs_link(NULL, "/hl/s", "/hl/s2"), 0);
	CHECK_INT(stat_mode("/hl/s2", false), S_IFLNK | 0777);
}

TEST(rename_cases)
{
	CHECK(fresh("rn"));
	CHECK_INT(put_file("/rn/a", "A"), 0);
	CHECK_INT(put_file("/rn/b", "B"), 0);
	CHECK_INT(vfs_rename(NULL, "/rn/a", "/rn/b"), 0); /* replaces a file */
	CHECK_STR(get_file("/rn/b"), "A");
	CHECK_INT(stat_mode("/rn/a", true), -ENOENT);
	CHECK_INT(vfs_rename(NULL, "/rn/a", "/rn/c"), -ENOENT);
	CHECK_INT(vfs_rename(NULL, "/rn/b", "/rn/b"), 0);
	CHECK_INT(vfs_mkdir(NULL, "/rn/d1", 0755), 0);
	CHECK_INT(vfs_mkdir(NULL, "/rn/d2", 0755), 0);
	CHECK_INT(put_file("/rn/d1/f", "F"), 0);
	CHECK_INT(vfs_rename(NULL, "/rn/d1", "/rn/d2"), 0); /* a directory over an empty one */
	CHECK_STR(get_file("/rn/d2/f"), "F");
	CHECK_INT(stat_mode("/rn/d1", true), -ENOENT);
	CHECK_INT(vfs_mkdir(NULL, "/rn/d3", 0755), 0);
	CHECK_INT(vfs_rename(NULL, "/rn/d3", "/rn/d2"), -ENOTEMPTY);
	CHECK_INT(vfs_rename(NULL, "/rn/d2", "/rn/d2/sub"), -EINVAL);
	CHECK_INT(vfs_mkdir(NULL, "/rn/d2/sub", 0755), 0);
	CHECK_INT(vfs_rename(NULL, "/rn/d2", "/rn/d2/sub/deeper"), -EINVAL);
	CHECK_INT(vfs_rename(NULL, "/rn/d2/sub", "/rn/d2"), -ENOTEMPTY);
	CHECK_INT(vfs_rename(NULL, "/rn/b", "/rn/d3"), -EISDIR);
	CHECK_INT(vfs_rename(NULL, "/rn/d3", "/rn/b"), -ENOTDIR);
	CHECK_INT(vfs_rename(NULL, "/rn/b/", "/rn/x"), -ENOTDIR);
	CHECK_INT(vfs_rename(NULL, "/rn/b", "/rn/x/"), -ENOTDIR);
	CHECK_INT(vfs_rename(NULL, "/rn/d3/.", "/rn/x"), -EBUSY);
	CHECK_INT(vfs_rename(NULL, "/rn/b", "/rn/nodir/x"), -ENOENT);
	/* moving a directory between parents fixes nlink and ".." */
	struct kstat st;
	CHECK_INT(vfs_rename(NULL, "/rn/d3", "/rn/d2/sub/d3"), 0);
	CHECK_INT(vfs_stat(NULL, "/rn", true, &st), 0);
	CHECK_INT(st.nlink, 3); /* ".", "..", d2 */
	CHECK(stat_ino("/rn/d2/sub/d3/..") == stat_ino("/rn/d2/sub"));
	/* an open file survives being renamed over */
	CHECK_INT(put_file("/rn/victim", "old"), 0);
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/rn/victim", O_RDONLY, 0, &f), 0);
	CHECK_INT(vfs_rename(NULL, "/rn/b", "/rn/victim"), 0);
	char buf[8] = { 0 };
	CHECK_INT(vfs_read(f, buf, 7), 3);
	CHECK_STR(buf, "old");
	file_put(f);
	CHECK_STR(get_file("/rn/victim"), "A");
	/* a directory renamed away keeps resolving under its new name, children too */
	CHECK_INT(vfs_rename(NULL, "/rn/d2", "/rn/moved"), 0);
	CHECK_STR(get_file("/rn/moved/f"), "F");
	/* a removed directory (still someone's cwd) takes no new names */
	CHECK_INT(vfs_mkdir(NULL, "/rn/gone", 0755), 0);
	struct path cwd;
	CHECK_INT(vfs_lookup(NULL, "/rn/gone", 0, &cwd), 0);
	CHECK_INT(vfs_rmdir(NULL, "/rn/gone"), 0);
	int e1 = vfs_mkdir(&cwd, "x", 0755);
	int e2 = vfs_open(&cwd, "y", O_RDWR | O_CREAT, 0644, &f);
	int e3 = vfs_rename(NULL, "/rn/victim", "/rn/gone/z");
	struct kstat gst;
	int e4 = vfs_stat(&cwd, "..", true, &gst);
	path_put(&cwd);
	CHECK_INT(e1, -ENOENT);
	CHECK_INT(e2, -ENOENT);
	CHECK_INT(e3, -ENOENT);
	CHECK_INT(e4, 0);
}

struct listing {
	int count;
	char names[1100][16];
	uint64_t offs[1100];
};

static int list_dir(const char *path, struct listing *l, size_t bufsz)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f);
	if (err)
		return err;
	char *buf = malloc(bufsz);
	l->count = 0;
	for (;;) {
		ssize_t n = vfs_getdents64(f, buf, bufsz);
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (d->d_reclen % 8 || off + d->d_reclen > n) {
				err = -EIO;
				goto out;
			}
			if (l->count < 1100) {
				snprintf(l->names[l->count], 16, "%s", d->d_name);
				l->offs[l->count] = (uint64_t)d->d_off;
			}
			l->count++;
			off += d->d_reclen;
		}
	}
out:
	free(buf);
	file_put(f);
	return err;
}

TEST(getdents_listing)
{
	CHECK(fresh("gd"));
	CHECK_INT(put_file("/gd/one", "1"), 0);
	CHECK_INT(vfs_mkdir(NULL, "/gd/two", 0755), 0);
	CHECK_INT(vfs_symlink(NULL, "one", "/gd/three"), 0);
	static struct listing l;
	CHECK_INT(list_dir("/gd", &l, 4096), 0);
	CHECK_INT(l.count, 5);
	CHECK_STR(l.names[0], ".");
	CHECK_STR(l.names[1], "..");
	CHECK_STR(l.names[2], "one");
	CHECK_STR(l.names[3], "two");
	CHECK_STR(l.names[4], "three");
	/* one record at a time gives the same */
	CHECK_INT(list_dir("/gd", &l, 32), 0);
	CHECK_INT(l.count, 5);
	CHECK_STR(l.names[4], "three");
	/* too small for any record */
	struct file *f;
	char small[8];
	CHECK_INT(vfs_open(NULL, "/gd", O_RDONLY, 0, &f), 0);
	CHECK_INT(vfs_getdents64(f, small, sizeof(small)), -EINVAL);
	/* d_type and d_ino */
	char buf[512];
	ssize_t n = vfs_getdents64(f, buf, sizeof(buf));
	CHECK(n > 0);
	int types = 0;
	for (ssize_t off = 0; off < n;) {
		struct linux_dirent64 *d = (void *)(buf + off);
		if (!strcmp(d->d_name, "one") && d->d_type == DT_REG && d->d_ino == stat_ino("/gd/one"))
			types |= 1;
		if (!strcmp(d->d_name, "two") && d->d_type == DT_DIR)
			types |= 2;
		if (!strcmp(d->d_name, "three") && d->d_type == DT_LNK)
			types |= 4;
		off += d->d_reclen;
	}
	CHECK_INT(types, 7);
	CHECK_INT(vfs_getdents64(f, buf, sizeof(buf)), 0);
	/* seeking back to a returned offset resumes there, even after deletions */
	CHECK_INT(vfs_lseek(f, 0, SEEK_SET), 0);
	CHECK_INT(vfs_unlink(NULL, "/gd/one"), 0);
	n = vfs_getdents64(f, buf, 32 * 3);
	CHECK(n > 0);
	file_put(f);
	struct file *nf;
	CHECK_INT(vfs_open(NULL, "/gd/one", O_RDONLY, 0, &nf), -ENOENT);
	struct file *rf;
	CHECK_INT(vfs_open(NULL, "/gd/one", O_RDONLY | O_DIRECTORY, 0, &rf), -ENOENT);
	CHECK_INT(vfs_open(NULL, "/gd/two", O_RDONLY, 0, &rf), 0);
	CHECK_INT(vfs_read(rf, buf, 1), -EISDIR);
	file_put(rf);
	CHECK_INT(vfs_open(NULL, "/gd/three", O_RDONLY, 0, &rf), -ENOENT); /* now dangling */
}

TEST(thousand_files)
{
	CHECK(fresh("many"));
	char path[64];
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/many/file%04d", i);
		CHECK_INT(put_file(path, path), 0);
	}
	static struct listing l;
	CHECK_INT(list_dir("/many", &l, 1000), 0);
	CHECK_INT(l.count, 1002);
	static bool seen[1000];
	memset(seen, 0, sizeof(seen));
	for (int i = 2; i < l.count; i++) {
		int k = atoi(l.names[i] + 4);
		CHECK(k >= 0 && k < 1000 && !seen[k]);
		seen[k] = true;
		if (i > 2)
			CHECK(l.offs[i] > l.offs[i - 1]);
	}
	CHECK_STR(get_file("/many/file0777"), "/many/file0777");
	for (int i = 0; i < 1000; i += 2) {
		snprintf(path, sizeof(path), "/many/file%04d", i);
		CHECK_INT(vfs_unlink(NULL, path), 0);
	}
	CHECK_INT(list_dir("/many", &l, 300), 0);
	CHECK_INT(l.count, 502);
	CHECK_INT(vfs_rmdir(NULL, "/many"), -ENOTEMPTY);
}

TEST(big_file_odd_chunks)
{
	CHECK(fresh("big"));
	const size_t size = 5u << 20;
	unsigned char *data = malloc(size), *back = malloc(size);
	uint32_t x = 12345;
	for (size_t i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/big/f", O_RDWR | O_CREAT, 0644, &f), 0);
	size_t done = 0, chunk = 1;
	while (done < size) {
		size_t n = chunk < size - done ? chunk : size - done;
		ssize_t w = vfs_write(f, data + done, n);
		if (w != (ssize_t)n)
			break;
		done += n;
		chunk = (chunk * 7 + 13) % 12289 + 1;
	}
	CHECK_INT(done, size);
	CHECK_INT(vfs_lseek(f, 0, SEEK_SET), 0);
	done = 0;
	chunk = 4095;
	while (done < size) {
		ssize_t r = vfs_read(f, back + done, chunk);
		if (r <= 0)
			break;
		done += (size_t)r;
		chunk = (chunk * 3 + 1) % 9973 + 1;
	}
	CHECK_INT(done, size);
	bool same = memcmp(data, back, size) == 0;
	struct kstat st;
	CHECK_INT(vfs_fstat(f, &st), 0);
	file_put(f);
	free(data);
	free(back);
	CHECK(same);
	CHECK_INT(st.size, size);
	CHECK_INT(st.blocks, size / 512);
	CHECK_INT(vfs_unlink(NULL, "/big/f"), 0);
}

TEST(mounts)
{
	CHECK(fresh("mnt"));
	CHECK_INT(vfs_mkdir(NULL, "/mnt/sub", 0755), 0);
	CHECK_INT(put_file("/mnt/file", "f"), 0);
	CHECK_INT(put_file("/mnt/sub/hidden", "h"), 0);
	CHECK_INT(vfs_mount("none", "/mnt/file", "tmpfs", 0, NULL), -ENOTDIR);
	CHECK_INT(vfs_mount("none", "/mnt/nope", "tmpfs", 0, NULL), -ENOENT);
	CHECK_INT(vfs_mount("none", "/mnt/sub", "nosuchfs", 0, NULL), -ENODEV);
	CHECK_INT(vfs_mount("none", "/mnt/sub", "tmpfs", 0, "size=8k"), 0);
	CHECK_INT(stat_mode("/mnt/sub/hidden", true), -ENOENT); /* covered */
	CHECK_INT(put_file("/mnt/sub/inner", "in"), 0);
	CHECK_INT(vfs_mkdir(NULL, "/mnt/sub/deep", 0755), 0);
	CHECK(stat_ino("/mnt/sub/deep/../..") == stat_ino("/mnt"));
	CHECK(stat_ino("/mnt/sub/..") == stat_ino("/mnt"));
	struct path cwd;
	CHECK_INT(vfs_lookup(NULL, "/mnt/sub/deep", 0, &cwd), 0);
	struct file *f;
	CHECK_INT(vfs_open(&cwd, "../../file", O_RDONLY, 0, &f), 0);
	file_put(f);
	/* across mounts: link gives EXDEV, rename too */
	CHECK_INT(vfs_link(NULL, "/mnt/file", "/mnt/sub/l"), -EXDEV);
	CHECK_INT(vfs_rename(NULL, "/mnt/file", "/mnt/sub/r"), -EXDEV);
	/* busy: a cwd inside, an open file, a mount point can't be removed */
	CHECK_INT(vfs_umount("/mnt/sub"), -EBUSY);
	path_put(&cwd);
	CHECK_INT(vfs_open(NULL, "/mnt/sub/inner", O_RDONLY, 0, &f), 0);
	CHECK_INT(vfs_umount("/mnt/sub"), -EBUSY);
	file_put(f);
	CHECK_INT(vfs_rmdir(NULL, "/mnt/sub"), -EBUSY);
	CHECK_INT(vfs_rename(NULL, "/mnt/sub", "/mnt/other"), -EBUSY);
	/* the size limit */
	CHECK_INT(vfs_open(NULL, "/mnt/sub/big", O_WRONLY | O_CREAT, 0644, &f), 0);
	static char block[20000];
	ssize_t w = vfs_write(f, block, sizeof(block));
	CHECK(w > 0 && w < (ssize_t)sizeof(block));
	CHECK_INT(vfs_write(f, block, sizeof(block)), -ENOSPC);
	file_put(f);
	CHECK_INT(vfs_unlink(NULL, "/mnt/sub/big"), 0);
	/* a mount on a mount, then both undone in order */
	CHECK_INT(vfs_mount("none", "/mnt/sub/deep", "tmpfs", 0, NULL), 0);
	CHECK_INT(vfs_umount("/mnt/sub"), -EBUSY);
	CHECK(stat_ino("/mnt/sub/deep/..") == stat_ino("/mnt/sub"));
	CHECK_INT(vfs_umount("/mnt/sub/deep"), 0);
	CHECK_INT(vfs_umount("/mnt/sub/deep"), -EINVAL); /* not a mount root any more */
	CHECK_INT(vfs_umount("/mnt/sub"), 0);
	CHECK_STR(get_file("/mnt/sub/hidden"), "h");   /* uncovered */
	CHECK_INT(vfs_umount("/"), -EBUSY);
	/* stacked mounts over the same directory */
	CHECK_INT(vfs_mount("a", "/mnt/sub", "tmpfs", 0, NULL), 0);
	CHECK_INT(vfs_mount("b", "/mnt/sub", "tmpfs", 0, NULL), 0);
	CHECK_INT(put_file("/mnt/sub/top", "t"), 0);
	CHECK(stat_ino("/mnt/sub/..") == stat_ino("/mnt"));
	CHECK_INT(vfs_umount("/mnt/sub"), 0);
	CHECK_INT(stat_mode("/mnt/sub/top", true), -ENOENT);
	CHECK_INT(vfs_umount("/mnt/sub"), 0);
	CHECK_STR(get_file("/mnt/sub/hidden"), "h");
	CHECK_INT(vfs_mount("x", "/mnt/sub", "tmpfs", 0, "size=bogus"), -EINVAL);
}

TEST(fd_tables)
{
	CHECK(fresh("fdt"));
	CHECK_INT(put_file("/fdt/f", "x"), 0);
	struct fd_table *t = fd_table_new();
	struct file *f;
	CHECK_INT(vfs_open(NULL, "/fdt/f", O_RDONLY, 0, &f), 0);
	CHECK_INT(fd_install(t, f, 0, FD_MAX, 0), 0);
	CHECK_INT(fd_install(t, f, 0, FD_MAX, FD_CLOEXEC), 1);
	CHECK_INT(fd_install(t, f, 10, FD_MAX, 0), 10);
	CHECK_INT(fd_close(t, 0), 0);
	CHECK_INT(fd_close(t, 0), -EBADF);
	CHECK_INT(fd_install(t, f, 0, FD_MAX, 0), 0);
	CHECK_INT(fd_dup_to(t, 0, 5, 0), 5);
	CHECK_INT(fd_dup_to(t, 3, 6, 0), -EBADF);
	CHECK_INT(fd_dup_to(t, 0, FD_MAX, 0), -EBADF);
	struct fd_table *c = fd_table_copy(t);
	CHECK(c != NULL);
	struct file *g = fd_get(c, 10);
	CHECK(g == f);
	file_put(g);
	CHECK(fd_get(c, 2) == NULL);
	CHECK(fd_get(c, -1) == NULL);
	fd_close_on_exec(c);
	CHECK(fd_get(c, 1) == NULL);
	g = fd_get(t, 1);
	CHECK(g == f);
	file_put(g);
	int n = 0;
	while (fd_install(t, f, 0, FD_MAX, 0) >= 0)
		n++;
	CHECK_INT(n, FD_MAX - 4);
	CHECK_INT(fd_install(t, f, 0, FD_MAX, 0), -EMFILE);
	file_put(f);
	fd_table_put(c);
	fd_table_put(t);
}
