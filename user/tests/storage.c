/*
 * storage: the system calls around file systems and write-back that any file system answers:
 * statfs/fstatfs (sizes, name length, errors), fsync/fdatasync/syncfs/sync (success on files,
 * EINVAL on pipes, EBADF), and /proc/partitions' header when /proc is there. The disks
 * themselves are tested by tests/system/block/ (they need images made on the host).
 */
#include "t.h"

#include <sys/statfs.h>

static void test_statfs(void)
{
	struct statfs a, b;
	char path[600];

	if (CHECK_OK("statfs_dir", statfs(t_dir, &a))) {
		CHECK("statfs_bsize", a.f_bsize > 0);
		CHECK("statfs_namelen", a.f_namelen >= 255);
		CHECK("statfs_free_le_total", a.f_blocks == 0 || a.f_bfree <= a.f_blocks);
		CHECK("statfs_avail_le_free", a.f_bavail <= a.f_bfree);
	}
	snprintf(path, sizeof(path), "%s/statfs-file", t_dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (NEED("statfs_open", fd)) {
		if (CHECK_OK("fstatfs", fstatfs(fd, &b)))
			CHECK_EQ("fstatfs_same_fs", (long)b.f_type, (long)a.f_type);
		CHECK_OK("statfs_file", statfs(path, &b));
		close(fd);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/no/such/dir", t_dir);
	CHECK_ERR("statfs_enoent", statfs(path, &a), ENOENT);
	CHECK_ERR("statfs_empty", statfs("", &a), ENOENT);
	/* Raw calls: musl's wrappers clear the buffer themselves first. */
	CHECK_ERR("statfs_efault_buf", syscall(SYS_statfs, t_dir, (void *)1), EFAULT);
	CHECK_ERR("statfs_efault_path", syscall(SYS_statfs, (void *)1, &a), EFAULT);
	CHECK_ERR("fstatfs_ebadf", fstatfs(-1, &a), EBADF);
	CHECK_ERR("fstatfs_efault", syscall(SYS_fstatfs, 0, (void *)1), EFAULT);
}

static void test_sync(void)
{
	char path[600];
	int p[2];

	snprintf(path, sizeof(path), "%s/sync-file", t_dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (NEED("sync_open", fd)) {
		CHECK_EQ("sync_write", write(fd, "data", 4), 4);
		CHECK_OK("fsync", fsync(fd));
		CHECK_OK("fdatasync", fdatasync(fd));
		CHECK_OK("syncfs", syncfs(fd));
		close(fd);
	}
	unlink(path);
	sync();
	CHECK("sync_returns", 1);
	if (NEED("sync_pipe", pipe(p))) {
		struct statfs st;
		CHECK_OK("fstatfs_pipe", fstatfs(p[0], &st));
		CHECK_ERR("fsync_pipe", fsync(p[0]), EINVAL);
		CHECK_ERR("fdatasync_pipe", fdatasync(p[1]), EINVAL);
		close(p[0]);
		close(p[1]);
	}
	CHECK_ERR("fsync_ebadf", fsync(-1), EBADF);
	CHECK_ERR("syncfs_ebadf", syncfs(1000), EBADF);
}

static void test_proc_partitions(void)
{
	char buf[64] = { 0 };
	int fd = open("/proc/partitions", O_RDONLY);

	if (fd < 0) {
		t_skip("proc_partitions", "no /proc/partitions");
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK("proc_partitions_header", n > 0 && strncmp(buf, "major minor  #blocks  name\n\n", 28) == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("storage", argv);
	test_statfs();
	test_sync();
	test_proc_partitions();
	return t_done();
}
