/*
 * pcache: one copy of a file's data shared by read(), write() and mmap, in whatever file system
 * $TMPDIR is on (the system test tests/system/block/pcache.sh runs it on an ext2 disk): a
 * MAP_SHARED store is seen by read() and a write() by the mapping, also across fork;
 * MAP_PRIVATE copies on write; stores into a hole of a sparse file; truncation (zeros past the
 * end, SIGBUS past the last page); msync/fsync/fdatasync/syncfs/sync succeed; a multi-MiB file
 * reads back. With "durable DIR" it instead writes three files for the host to find after a hard
 * power-off (write+fsync, mmap+msync MS_SYNC, write+fdatasync), prints a line, writes a fourth
 * without any sync (for the periodic flushers) and waits.
 */
#include "t.h"

#include <sys/mman.h>

#define PG 4096

static int open_file(const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", t_dir, name);
	return open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
}

static void fill(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)((i * 31 + seed) & 0xff);
}

static void test_shared_coherence(void)
{
	char path[600], buf[3 * PG], back[3 * PG];
	int fd = open_file("shared", path, sizeof(path));
	if (!NEED("shared_open", fd))
		return;
	fill(buf, sizeof(buf), 1);
	CHECK_EQ("shared_write", write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	char *m = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK("shared_mmap", m != MAP_FAILED)) {
		close(fd);
		return;
	}
	CHECK("map_sees_write", memcmp(m, buf, sizeof(buf)) == 0);
	/* A store through the mapping is what read() returns. */
	memcpy(m + PG - 3, "mapped-store", 12);
	CHECK_EQ("pread_after_store", pread(fd, back, 12, PG - 3), 12);
	CHECK("read_sees_store", memcmp(back, "mapped-store", 12) == 0);
	/* A write() is what the mapping shows. */
	CHECK_EQ("pwrite_after_map", pwrite(fd, "written", 7, 2 * PG + 5), 7);
	CHECK("map_sees_pwrite", memcmp(m + 2 * PG + 5, "written", 7) == 0);
	/* A child's stores through its inherited mapping reach the parent's read(). */
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + 100, "from-child", 10);
		_exit(0);
	}
	CHECK_CHILD("fork_child", t_wait(pid));
	CHECK_EQ("pread_child_store", pread(fd, back, 10, 100), 10);
	CHECK("read_sees_child_store", memcmp(back, "from-child", 10) == 0);
	CHECK_OK("msync_sync", msync(m, sizeof(buf), MS_SYNC));
	CHECK_OK("msync_async", msync(m, sizeof(buf), MS_ASYNC));
	CHECK_ERR("msync_both", msync(m, sizeof(buf), MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_ERR("msync_unaligned", msync(m + 1, 10, MS_SYNC), EINVAL);
	CHECK_OK("fsync", fsync(fd));
	CHECK_OK("fdatasync", fdatasync(fd));
	CHECK_OK("syncfs", syncfs(fd));
	sync();
	munmap(m, sizeof(buf));
	/* After munmap the data stays: a new open reads it. */
	int fd2 = open(path, O_RDONLY);
	if (NEED("reopen", fd2)) {
		CHECK_EQ("reread_len", pread(fd2, back, sizeof(back), 0), (long)sizeof(back));
		memcpy(buf + PG - 3, "mapped-store", 12);
		memcpy(buf + 2 * PG + 5, "written", 7);
		memcpy(buf + 100, "from-child", 10);
		CHECK("reread_all", memcmp(back, buf, sizeof(buf)) == 0);
		close(fd2);
	}
	close(fd);
	unlink(path);
}

static void test_private(void)
{
	char path[600], buf[2 * PG], back[16];
	int fd = open_file("private", path, sizeof(path));
	if (!NEED("private_open", fd))
		return;
	fill(buf, sizeof(buf), 2);
	CHECK_EQ("private_write", write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	char *p = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *s = mmap(NULL, sizeof(buf), PROT_READ, MAP_SHARED, fd, 0);
	if (CHECK("private_mmap", p != MAP_FAILED && s != MAP_FAILED)) {
		CHECK("private_sees_file", memcmp(p, buf, sizeof(buf)) == 0);
		memcpy(p + 10, "private!", 8);
		CHECK("private_has_store", memcmp(p + 10, "private!", 8) == 0);
		CHECK_EQ("private_pread", pread(fd, back, 8, 10), 8);
		CHECK("file_unchanged", memcmp(back, buf + 10, 8) == 0);
		CHECK("shared_unchanged", memcmp(s + 10, buf + 10, 8) == 0);
		CHECK_OK("private_msync", msync(p, sizeof(buf), MS_SYNC));
		munmap(p, sizeof(buf));
		munmap(s, sizeof(buf));
	}
	close(fd);
	unlink(path);
}

/* A store into a hole of a sparse file lands in the file once written back. */
static void test_sparse(void)
{
	char path[600], back[8];
	int fd = open_file("sparse", path, sizeof(path));
	if (!NEED("sparse_open", fd))
		return;
	const off_t size = 64 * PG;
	CHECK_OK("sparse_truncate", ftruncate(fd, size));
	char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (CHECK("sparse_mmap", m != MAP_FAILED)) {
		CHECK("hole_reads_zero", m[40 * PG] == 0 && m[size - 1] == 0);
		memcpy(m + 40 * PG + 7, "in-hole", 7);
		CHECK_OK("sparse_msync", msync(m, size, MS_SYNC));
		munmap(m, size);
	}
	CHECK_EQ("sparse_pread", pread(fd, back, 7, 40 * PG + 7), 7);
	CHECK("sparse_data", memcmp(back, "in-hole", 7) == 0);
	struct stat st;
	CHECK_OK("sparse_fstat", fstat(fd, &st));
	CHECK_EQ("sparse_size_kept", st.st_size, size);
	close(fd);
	unlink(path);
}

static void test_truncate(void)
{
	char path[600], buf[2 * PG], back[PG];
	int fd = open_file("trunc", path, sizeof(path));
	if (!NEED("trunc_open", fd))
		return;
	fill(buf, sizeof(buf), 3);
	CHECK_EQ("trunc_write", write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	char *m = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK("trunc_mmap", m != MAP_FAILED)) {
		close(fd);
		return;
	}
	CHECK_EQ("trunc_first", m[PG + 1], buf[PG + 1]);
	CHECK_OK("truncate_down", ftruncate(fd, 100));
	siginfo_t si;
	CHECK_EQ("past_end_sigbus", t_fault(t_read_byte, m + PG, &si), SIGBUS);
	CHECK("tail_zero_in_map", m[100] == 0 && m[PG - 1] == 0);
	CHECK_EQ("head_kept", m[99], buf[99]);
	CHECK_OK("truncate_up", ftruncate(fd, 2 * PG));
	CHECK_EQ("grown_pread", pread(fd, back, PG, PG), PG);
	int zero = 1;
	for (int i = 0; i < PG; i++)
		zero &= back[i] == 0;
	CHECK("grown_reads_zero", zero);
	CHECK_EQ("grown_tail_pread", pread(fd, back, 200, 0), 200);
	CHECK("grown_old_tail_zero", memcmp(back, buf, 100) == 0 && back[100] == 0 && back[199] == 0);
	munmap(m, sizeof(buf));
	close(fd);
	unlink(path);
}

/* Many pages: write in odd-sized pieces, read back in other sizes. */
static void test_big(void)
{
	char path[600];
	const size_t size = 3 * 1024 * 1024 + 777;
	char *buf = malloc(size), *back = malloc(size);
	int fd = open_file("big", path, sizeof(path));
	if (!buf || !back || !NEED("big_open", fd)) {
		free(buf);
		free(back);
		return;
	}
	fill(buf, size, 4);
	size_t done = 0;
	while (done < size) {
		size_t n = size - done < 5000 ? size - done : 5000;
		if (write(fd, buf + done, n) != (ssize_t)n)
			break;
		done += n;
	}
	CHECK_EQ("big_written", done, size);
	CHECK_OK("big_fsync", fsync(fd));
	done = 0;
	while (done < size) {
		ssize_t n = pread(fd, back + done, 65536 + 13, done);
		if (n <= 0)
			break;
		done += n;
	}
	CHECK_EQ("big_read", done, size);
	CHECK("big_same", memcmp(buf, back, size) == 0);
	char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (CHECK("big_mmap", m != MAP_FAILED)) {
		CHECK("big_map_same", memcmp(m, buf, size) == 0);
		munmap(m, size);
	}
	close(fd);
	unlink(path);
	free(buf);
	free(back);
}

/* Files for the host to check after a hard power-off (no sync, no unmount). */
static int durable(const char *dir)
{
	char path[600], buf[5 * PG];
	fill(buf, sizeof(buf), 9);
	snprintf(path, sizeof(path), "%s/fsync.dat", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || fsync(fd) != 0)
		return t_say("durable: fsync.dat failed: %s\n", t_errname(errno)), 1;
	close(fd);
	snprintf(path, sizeof(path), "%s/mmap.dat", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, sizeof(buf)) != 0)
		return t_say("durable: mmap.dat failed: %s\n", t_errname(errno)), 1;
	char *m = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return t_say("durable: mmap failed: %s\n", t_errname(errno)), 1;
	fill(m, sizeof(buf), 10);
	if (msync(m, sizeof(buf), MS_SYNC) != 0)
		return t_say("durable: msync failed: %s\n", t_errname(errno)), 1;
	snprintf(path, sizeof(path), "%s/fdatasync.dat", dir);
	int fd2 = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	fill(buf, sizeof(buf), 11);
	if (fd2 < 0 || write(fd2, buf, 3 * PG + 5) != 3 * PG + 5 || fdatasync(fd2) != 0)
		return t_say("durable: fdatasync.dat failed: %s\n", t_errname(errno)), 1;
	t_say("PCACHE durable done\n");
	/* Never synced: only the flushers can get it to the disk (30 s expiry, then 5 s). */
	snprintf(path, sizeof(path), "%s/late.dat", dir);
	int fd3 = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	fill(buf, sizeof(buf), 12);
	if (fd3 < 0 || write(fd3, buf, 2 * PG + 1) != 2 * PG + 1)
		return t_say("durable: late.dat failed: %s\n", t_errname(errno)), 1;
	t_say("PCACHE late written\n");
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "durable"))
		return durable(argv[2]);
	t_init("pcache", argv);
	test_shared_coherence();
	test_private();
	test_sparse();
	test_truncate();
	test_big();
	return t_done();
}
