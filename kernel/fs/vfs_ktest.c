/* ktests for the VFS and tmpfs on the kernel heap and mutexes. */
#include "fs/devfs.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "test/ktest.h"

/* kmain may not mount the root yet; vfs_init does nothing once it has. */
static bool vfs_ready(void)
{
	return vfs_init() == 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (err)
		return err;
	ssize_t n = vfs_write(f, data, len);
	file_put(f);
	return n == (ssize_t)len ? 0 : (n < 0 ? (int)n : -EIO);
}

static ssize_t read_file(const char *path, void *buf, size_t len)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	ssize_t n = vfs_read(f, buf, len);
	file_put(f);
	return n;
}

KTEST(vfs_tmpfs_files)
{
	KT_ASSERT(vfs_ready());
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_files", 0755), 0);
	KT_ASSERT_EQ(write_file("/kt_files/a", "hello vfs", 9), 0);
	char buf[32] = { 0 };
	KT_ASSERT_EQ(read_file("/kt_files/a", buf, sizeof(buf) - 1), 9);
	KT_ASSERT(strcmp(buf, "hello vfs") == 0);
	KT_ASSERT_EQ(vfs_rename(NULL, "/kt_files/a", "/kt_files/b"), 0);
	KT_ASSERT_EQ(read_file("/kt_files/a", buf, 4), -ENOENT);
	memset(buf, 0, sizeof(buf));
	KT_ASSERT_EQ(read_file("/kt_files/b", buf, sizeof(buf) - 1), 9);
	KT_ASSERT(strcmp(buf, "hello vfs") == 0);
	/* unlink while open: the data stays until the last close */
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_files/b", O_RDONLY, 0, &f), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_files/b"), 0);
	KT_ASSERT_EQ(vfs_pread(f, buf, 5, 6), 3);
	KT_ASSERT(memcmp(buf, "vfs", 3) == 0);
	file_put(f);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_files"), 0);
}

KTEST(vfs_big_file)
{
	KT_ASSERT(vfs_ready());
	const size_t size = 3u << 20;
	uint8_t *chunk = kmalloc(5000);
	KT_ASSERT(chunk);
	struct file *f;
	int err = vfs_open(NULL, "/kt_big", O_RDWR | O_CREAT | O_EXCL, 0600, &f);
	if (err) {
		kfree(chunk);
		KT_ASSERT_EQ(err, 0);
	}
	size_t done = 0;
	bool ok = true;
	while (ok && done < size) {
		size_t n = size - done < 4999 ? size - done : 4999;
		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((done + i) * 31 + ((done + i) >> 12));
		ok = vfs_write(f, chunk, n) == (ssize_t)n;
		done += n;
	}
	ok = ok && vfs_lseek(f, 0, SEEK_SET) == 0;
	for (done = 0; ok && done < size;) {
		ssize_t n = vfs_read(f, chunk, 3001);
		ok = n > 0;
		for (ssize_t i = 0; ok && i < n; i++)
			ok = chunk[i] == (uint8_t)((done + (size_t)i) * 31 + ((done + (size_t)i) >> 12));
		done += n > 0 ? (size_t)n : 0;
	}
	file_put(f);
	kfree(chunk);
	KT_ASSERT(ok);
	KT_ASSERT_EQ(done, size);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_big"), 0);
}

KTEST(vfs_listing)
{
	KT_ASSERT(vfs_ready());
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_list", 0755), 0);
	char name[32];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/kt_list/f%d", i);
		KT_ASSERT_EQ(write_file(name, "x", 1), 0);
	}
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_list/sub", 0755), 0);
	struct file *d;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_list", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	char *buf = kmalloc(512);
	int count = 0, files = 0, dirs = 0;
	ssize_t n;
	while ((n = vfs_getdents64(d, buf, 512)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
			count++;
			if (e->d_type == DT_REG && e->d_name[0] == 'f')
				files++;
			if (e->d_type == DT_DIR)
				dirs++;
			off += e->d_reclen;
		}
	}
	kfree(buf);
	file_put(d);
	KT_ASSERT_EQ(n, 0);
	KT_ASSERT_EQ(count, 103);
	KT_ASSERT_EQ(files, 100);
	KT_ASSERT_EQ(dirs, 3);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/kt_list/f%d", i);
		KT_ASSERT_EQ(vfs_unlink(NULL, name), 0);
	}
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_list"), -ENOTEMPTY);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_list/sub"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_list"), 0);
}

KTEST(vfs_symlink_loop)
{
	KT_ASSERT(vfs_ready());
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_sl", 0755), 0);
	KT_ASSERT_EQ(vfs_symlink(NULL, "b", "/kt_sl/a"), 0);
	KT_ASSERT_EQ(vfs_symlink(NULL, "a", "/kt_sl/b"), 0);
	struct path p;
	KT_ASSERT_EQ(vfs_lookup(NULL, "/kt_sl/a", LOOKUP_FOLLOW, &p), -ELOOP);
	KT_ASSERT_EQ(vfs_lookup(NULL, "/kt_sl/b/c", 0, &p), -ELOOP);
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_sl/a", O_RDONLY, 0, &f), -ELOOP);
	KT_ASSERT_EQ(vfs_symlink(NULL, "/kt_sl", "/kt_sl/up"), 0);
	KT_ASSERT_EQ(vfs_lookup(NULL, "/kt_sl/up/up/up/up", LOOKUP_FOLLOW, &p), 0);
	path_put(&p);
	/* the deepest nesting allowed (40 links) runs on a kernel stack */
	char from[24], to[24];
	KT_ASSERT_EQ(vfs_symlink(NULL, "/kt_sl", "/kt_sl/l0"), 0);
	for (int i = 1; i <= 40; i++) {
		snprintf(from, sizeof(from), "/kt_sl/l%d", i);
		snprintf(to, sizeof(to), "l%d", i - 1);
		KT_ASSERT_EQ(vfs_symlink(NULL, to, from), 0);
	}
	KT_ASSERT_EQ(vfs_lookup(NULL, "/kt_sl/l39", LOOKUP_FOLLOW, &p), 0);
	path_put(&p);
	KT_ASSERT_EQ(vfs_lookup(NULL, "/kt_sl/l40", LOOKUP_FOLLOW, &p), -ELOOP);
	for (int i = 0; i <= 40; i++) {
		snprintf(from, sizeof(from), "/kt_sl/l%d", i);
		KT_ASSERT_EQ(vfs_unlink(NULL, from), 0);
	}
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_sl/a"), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_sl/b"), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_sl/up"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_sl"), 0);
}

KTEST(vfs_mount_dotdot)
{
	KT_ASSERT(vfs_ready());
	int err = vfs_mkdir(NULL, "/mnt", 0755);
	KT_ASSERT(err == 0 || err == -EEXIST);
	KT_ASSERT_EQ(write_file("/mnt/under", "u", 1), 0);
	KT_ASSERT_EQ(vfs_mount("tmpfs", "/mnt", "tmpfs", 0, NULL), 0);
	char buf[4];
	KT_ASSERT_EQ(read_file("/mnt/under", buf, 1), -ENOENT);
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/mnt/inner", 0755), 0);
	KT_ASSERT_EQ(write_file("/kt_top", "t", 1), 0);
	struct path cwd;
	KT_ASSERT_EQ(vfs_lookup(NULL, "/mnt/inner", 0, &cwd), 0);
	struct kstat a, b;
	KT_ASSERT_EQ(vfs_stat(&cwd, "../..", true, &a), 0);
	KT_ASSERT_EQ(vfs_stat(NULL, "/", true, &b), 0);
	bool same_root = a.ino == b.ino && a.dev == b.dev;
	ssize_t n = 0;
	struct file *f;
	int oerr = vfs_open(&cwd, "../../kt_top", O_RDONLY, 0, &f);
	if (!oerr) {
		n = vfs_read(f, buf, sizeof(buf));
		file_put(f);
	}
	KT_ASSERT_EQ(vfs_stat(&cwd, "..", true, &a), 0);
	KT_ASSERT_EQ(vfs_stat(NULL, "/mnt", true, &b), 0);
	path_put(&cwd);
	KT_ASSERT(same_root);
	KT_ASSERT_EQ(oerr, 0);
	KT_ASSERT_EQ(n, 1);
	KT_ASSERT(a.dev == b.dev && a.ino == b.ino); /* the mounted root, not the covered dir */
	KT_ASSERT_EQ(vfs_umount("/mnt"), 0);
	KT_ASSERT_EQ(read_file("/mnt/under", buf, 1), 1);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/mnt/under"), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_top"), 0);
}

KTEST(vfs_umount_busy)
{
	KT_ASSERT(vfs_ready());
	int err = vfs_mkdir(NULL, "/kt_busy", 0755);
	KT_ASSERT(err == 0 || err == -EEXIST);
	KT_ASSERT_EQ(vfs_mount("tmpfs", "/kt_busy", "tmpfs", 0, "size=1m"), 0);
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_busy/open", O_RDWR | O_CREAT, 0644, &f), 0);
	int busy = vfs_umount("/kt_busy");
	int rm = vfs_rmdir(NULL, "/kt_busy");
	int xdev = vfs_rename(NULL, "/kt_busy/open", "/kt_moved");
	file_put(f);
	KT_ASSERT_EQ(busy, -EBUSY);
	KT_ASSERT_EQ(rm, -EBUSY);
	KT_ASSERT_EQ(xdev, -EXDEV);
	KT_ASSERT_EQ(vfs_umount("/kt_busy"), 0);
	KT_ASSERT_EQ(vfs_umount("/kt_busy"), -EINVAL);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_busy"), 0);
}

/* O_CREAT through a dangling symlink creates its target (Linux), here across a mount. */
KTEST(vfs_creat_dangling_symlink)
{
	KT_ASSERT(vfs_ready());
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_dang", 0755), 0);
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_dang/m", 0755), 0);
	KT_ASSERT_EQ(vfs_mount("kt_dang", "/kt_dang/m", "tmpfs", 0, NULL), 0);
	KT_ASSERT_EQ(vfs_symlink(NULL, "/kt_dang/m/target", "/kt_dang/link"), 0);
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_dang/link", O_WRONLY | O_CREAT | O_EXCL, 0640, &f), -EEXIST);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_dang/link", O_WRONLY | O_CREAT | O_NOFOLLOW, 0640, &f), -ELOOP);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_dang/link", O_WRONLY | O_CREAT, 0640, &f), 0);
	ssize_t w = vfs_write(f, "made", 4);
	file_put(f);
	KT_ASSERT_EQ(w, 4);
	struct kstat st, mst;
	KT_ASSERT_EQ(vfs_stat(NULL, "/kt_dang/m/target", false, &st), 0);
	KT_ASSERT_EQ(vfs_stat(NULL, "/kt_dang/m", true, &mst), 0);
	KT_ASSERT_EQ(st.mode, S_IFREG | 0640);
	KT_ASSERT_EQ(st.size, 4);
	KT_ASSERT_EQ(st.dev, mst.dev); /* in the mounted tmpfs, not under it */
	char buf[8] = { 0 };
	KT_ASSERT_EQ(read_file("/kt_dang/link", buf, sizeof(buf) - 1), 4);
	KT_ASSERT(strcmp(buf, "made") == 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_dang/m/target"), 0);
	KT_ASSERT_EQ(vfs_umount("/kt_dang/m"), 0);
	/* Now the target's directory is the (empty) covered one; its parent missing gives ENOENT. */
	KT_ASSERT_EQ(vfs_symlink(NULL, "/kt_dang/none/x", "/kt_dang/bad"), 0);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_dang/bad", O_WRONLY | O_CREAT, 0640, &f), -ENOENT);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_dang/bad"), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_dang/link"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_dang/m"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_dang"), 0);
}

/* ---- ioctl, poll, mmap dispatch, through a character device only this test registers ---- */

#define KT_DISP_MAJOR 240 /* Linux's range for local/experimental use */

static void *kt_disp_vma;

static int kt_disp_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	(void)f;
	return cmd == 0x5401 ? (int)arg + 1 : -EINVAL;
}

static unsigned kt_disp_poll(struct file *f, struct poll_table *pt)
{
	(void)f;
	(void)pt;
	return POLLPRI;
}

static int kt_disp_mmap(struct file *f, void *vma)
{
	(void)f;
	kt_disp_vma = vma;
	return 0;
}

static const struct file_ops kt_disp_fops = {
	.ioctl = kt_disp_ioctl, .poll = kt_disp_poll, .mmap = kt_disp_mmap,
};

KTEST(vfs_ioctl_poll_mmap)
{
	KT_ASSERT(vfs_ready());
	int err = vfs_register_chrdev(KT_DISP_MAJOR, &kt_disp_fops);
	KT_ASSERT(err == 0 || err == -EBUSY); /* -EBUSY: registered by an earlier run */
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_disp", 0755), 0);
	KT_ASSERT_EQ(vfs_mknod(NULL, "/kt_disp/dev", S_IFCHR | 0600, MKDEV(KT_DISP_MAJOR, 0)), 0);
	KT_ASSERT_EQ(write_file("/kt_disp/reg", "x", 1), 0);
	struct file *dev, *ro, *wo, *rw;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_disp/dev", O_RDWR, 0, &dev), 0);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_disp/reg", O_RDONLY, 0, &ro), 0);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_disp/reg", O_WRONLY, 0, &wo), 0);
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_disp/reg", O_RDWR, 0, &rw), 0);
	int dev_ioctl = vfs_ioctl(dev, 0x5401, 41), dev_bad = vfs_ioctl(dev, 1, 0);
	unsigned dev_poll = vfs_poll(dev, NULL);
	int dev_mmap = vfs_mmap(dev, &kt_disp_vma);
	int reg_ioctl = vfs_ioctl(rw, 0x5401, 0);
	unsigned p_ro = vfs_poll(ro, NULL), p_wo = vfs_poll(wo, NULL), p_rw = vfs_poll(rw, NULL);
	int m_ro = vfs_mmap(ro, NULL), m_wo = vfs_mmap(wo, NULL);
	file_put(dev);
	file_put(ro);
	file_put(wo);
	file_put(rw);
	KT_ASSERT_EQ(dev_ioctl, 42);
	KT_ASSERT_EQ(dev_bad, -EINVAL);
	KT_ASSERT_EQ(dev_poll, POLLPRI);
	KT_ASSERT_EQ(dev_mmap, 0);
	KT_ASSERT(kt_disp_vma == &kt_disp_vma);
	KT_ASSERT_EQ(reg_ioctl, -ENOTTY);
	/* Linux's DEFAULT_POLLMASK: ready both ways, whatever the access mode. */
	KT_ASSERT_EQ(p_ro, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	KT_ASSERT_EQ(p_wo, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	KT_ASSERT_EQ(p_rw, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	KT_ASSERT_EQ(m_ro, -ENODEV);
	KT_ASSERT_EQ(m_wo, -EACCES);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_disp/dev"), 0);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_disp/reg"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_disp"), 0);
}

/* statfs: each file system's magic, and tmpfs's page count tracking writes and unlinks. */
KTEST(vfs_statfs)
{
	KT_ASSERT(vfs_ready());
	devfs_init();
	procfs_init();
	struct kstatfs root, proc, dev, lim;
	KT_ASSERT_EQ(vfs_statfs(NULL, "/", &root), 0);
	KT_ASSERT_EQ(vfs_statfs(NULL, "/proc/version", &proc), 0);
	KT_ASSERT_EQ(vfs_statfs(NULL, "/dev/null", &dev), 0);
	KT_ASSERT_EQ(root.f_type, 0x01021994);
	KT_ASSERT_EQ(proc.f_type, 0x9fa0);
	KT_ASSERT_EQ(dev.f_type, TMPFS_MAGIC); /* devtmpfs is a tmpfs, as on Linux */
	KT_ASSERT_EQ(root.f_bsize, 4096);
	KT_ASSERT_EQ(root.f_namelen, NAME_MAX);
	KT_ASSERT(root.f_fsid[0] != dev.f_fsid[0]);
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_statfs", 0755), 0);
	KT_ASSERT_EQ(vfs_mount("kt_statfs", "/kt_statfs", "tmpfs", 0, "size=64k"), 0);
	KT_ASSERT_EQ(vfs_statfs(NULL, "/kt_statfs", &lim), 0);
	KT_ASSERT_EQ(lim.f_blocks, 16);
	KT_ASSERT_EQ(lim.f_bfree, 16);
	char *buf = kzalloc(3 * 4096);
	KT_ASSERT(buf);
	int w = write_file("/kt_statfs/f", buf, 3 * 4096);
	kfree(buf);
	KT_ASSERT_EQ(w, 0);
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/kt_statfs/f", O_RDONLY, 0, &f), 0);
	int fs = vfs_fstatfs(f, &lim);
	file_put(f);
	KT_ASSERT_EQ(fs, 0);
	KT_ASSERT_EQ(lim.f_bfree, 13);
	KT_ASSERT_EQ(lim.f_bavail, 13);
	KT_ASSERT_EQ(vfs_unlink(NULL, "/kt_statfs/f"), 0);
	KT_ASSERT_EQ(vfs_statfs(NULL, "/kt_statfs", &lim), 0);
	KT_ASSERT_EQ(lim.f_bfree, 16);
	KT_ASSERT_EQ(vfs_umount("/kt_statfs"), 0);
	KT_ASSERT_EQ(vfs_rmdir(NULL, "/kt_statfs"), 0);
	KT_ASSERT_EQ(vfs_statfs(NULL, "/kt_statfs", &lim), -ENOENT);
}
