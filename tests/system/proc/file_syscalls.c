/*
 * The file system calls end to end, run as /init by tests/system/proc/file_syscalls.sh: files,
 * names, metadata, descriptors, pipes (blocking, atomic, EPIPE/SIGPIPE), poll/select with
 * timeouts, wake-ups and signal masks, restarts, RLIMIT_NOFILE, mount. Prints "PASS name" or
 * "FAIL name (...)" per check and "DONE n failures"; as PID 1 it then powers off. It passes on
 * Linux too (as root: it works in a fresh directory under /tmp).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int fails;
static void out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	write(1, buf, n);
}
#define CHECK(name, cond)                                                              \
	do {                                                                           \
		if (cond)                                                              \
			out("PASS %s\n", name);                                        \
		else {                                                                 \
			out("FAIL %s (line %d, errno %d %s)\n", name, __LINE__, errno, \
			    strerror(errno));                                          \
			fails++;                                                       \
		}                                                                      \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000l };
	nanosleep(&ts, NULL);
}

static volatile int got_sig;
static void on_sig(int s) { got_sig = s; }

static void test_files(void)
{
	int fd = open("f1", O_CREAT | O_RDWR | O_TRUNC, 0666);
	CHECK("open_creat", fd >= 0);
	CHECK("write", write(fd, "hello world", 11) == 11);
	CHECK("lseek_set", lseek(fd, 0, SEEK_SET) == 0);
	char b[64] = { 0 };
	CHECK("read", read(fd, b, sizeof(b)) == 11 && memcmp(b, "hello world", 11) == 0);
	CHECK("read_eof", read(fd, b, sizeof(b)) == 0);
	CHECK("lseek_end", lseek(fd, -5, SEEK_END) == 6);
	CHECK("lseek_cur", lseek(fd, 0, SEEK_CUR) == 6);
	CHECK("lseek_einval", lseek(fd, -100, SEEK_SET) == -1 && errno == EINVAL);
	CHECK("pwrite", pwrite(fd, "HELLO", 5, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 6);
	memset(b, 0, sizeof(b));
	CHECK("pread", pread(fd, b, 5, 0) == 5 && memcmp(b, "HELLO", 5) == 0);
	struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	lseek(fd, 0, SEEK_END);
	CHECK("writev", writev(fd, iov, 3) == 5);
	char x1[4] = { 0 }, x2[20] = { 0 };
	struct iovec riov[2] = { { x1, 3 }, { x2, 20 } };
	CHECK("preadv", preadv(fd, riov, 2, 8) == 8 && memcmp(x1, "rld", 3) == 0 && memcmp(x2, "abcde", 5) == 0);
	lseek(fd, 0, SEEK_SET);
	CHECK("readv", readv(fd, riov, 2) == 16 && memcmp(x1, "HEL", 3) == 0);
	CHECK("pwritev", pwritev(fd, iov, 3, 100) == 5);
	struct stat st;
	CHECK("fstat", fstat(fd, &st) == 0 && st.st_size == 105 && S_ISREG(st.st_mode) &&
			       (st.st_mode & 0777) == 0644 && st.st_nlink == 1);
	CHECK("ftruncate", ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3);
	CHECK("truncate", truncate("f1", 4096) == 0 && stat("f1", &st) == 0 && st.st_size == 4096);
	CHECK("ftruncate_neg", ftruncate(fd, -1) == -1 && errno == EINVAL);
	CHECK("pread_neg", pread(fd, b, 1, -1) == -1 && errno == EINVAL);
	CHECK("read_efault", read(fd, (void *)1, 10) == -1 && errno == EFAULT);
	CHECK("close", close(fd) == 0);
	CHECK("close_ebadf", close(fd) == -1 && errno == EBADF);
	CHECK("open_excl", open("f1", O_CREAT | O_EXCL | O_RDWR, 0600) == -1 && errno == EEXIST);
	CHECK("open_enoent", open("nonexistent", O_RDONLY) == -1 && errno == ENOENT);
	CHECK("open_empty", open("", O_RDONLY) == -1 && errno == ENOENT);
	CHECK("open_efault", open((char *)1, O_RDONLY) == -1 && errno == EFAULT);
	fd = open("f1", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	write(fd, "Z", 1);
	CHECK("o_append", stat("f1", &st) == 0 && st.st_size == 4097);
	CHECK("read_wronly_ebadf", read(fd, b, 1) == -1 && errno == EBADF);
	close(fd);
	fd = creat("f2", 0777);
	CHECK("creat", fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0755);
	close(fd);
	CHECK("open_trunc", (fd = open("f1", O_RDWR | O_TRUNC)) >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
	CHECK("open_dir_write", open(".", O_WRONLY) == -1 && errno == EISDIR);
	CHECK("open_o_directory", open("f1", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR);
	/* big file through the bounce buffer */
	static char big[300000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	fd = open("big", O_CREAT | O_RDWR, 0600);
	CHECK("big_write", write(fd, big, sizeof(big)) == sizeof(big));
	static char big2[300000];
	CHECK("big_read", pread(fd, big2, sizeof(big2), 0) == sizeof(big2) && memcmp(big, big2, sizeof(big)) == 0);
	close(fd);
	CHECK("seek_data", (fd = open("big", O_RDONLY)) >= 0 && lseek(fd, 10, SEEK_DATA) == 10 &&
				   lseek(fd, 10, SEEK_HOLE) == 300000);
	close(fd);
}

static void test_names(void)
{
	struct stat st;
	CHECK("mkdir", mkdir("d", 0777) == 0 && stat("d", &st) == 0 && S_ISDIR(st.st_mode) &&
			       (st.st_mode & 0777) == 0755);
	CHECK("mkdir_eexist", mkdir("d", 0777) == -1 && errno == EEXIST);
	CHECK("rename", rename("f2", "d/f2") == 0 && stat("d/f2", &st) == 0 && stat("f2", &st) == -1);
	CHECK("link", link("d/f2", "d/f3") == 0 && stat("d/f2", &st) == 0 && st.st_nlink == 2);
	CHECK("symlink", symlink("f2", "d/sl") == 0 && lstat("d/sl", &st) == 0 && S_ISLNK(st.st_mode));
	char b[64] = { 0 };
	CHECK("readlink", readlink("d/sl", b, sizeof(b)) == 2 && memcmp(b, "f2", 2) == 0);
	CHECK("readlink_short", readlink("d/sl", b, 1) == 1);
	CHECK("readlink_einval", readlink("d/f2", b, sizeof(b)) == -1 && errno == EINVAL);
	CHECK("stat_follow", stat("d/sl", &st) == 0 && S_ISREG(st.st_mode));
	CHECK("rmdir_notempty", rmdir("d") == -1 && errno == ENOTEMPTY);
	CHECK("unlink_dir", unlink("d") == -1 && errno == EISDIR);
	CHECK("renameat2_noreplace",
	      syscall(SYS_renameat2, AT_FDCWD, "d/f2", AT_FDCWD, "d/f3", 1) == -1 && errno == EEXIST);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK("openat_dirfd", dfd >= 0);
	int fd = openat(dfd, "f2", O_RDONLY);
	CHECK("openat_rel", fd >= 0);
	CHECK("openat_enotdir", openat(fd, "x", O_RDONLY) == -1 && errno == ENOTDIR);
	CHECK("openat_abs_badfd", openat(12345, "/", O_RDONLY) >= 0);
	CHECK("fstatat_empty_path", fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISREG(st.st_mode));
	CHECK("fstatat_nofollow", fstatat(dfd, "sl", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
	close(fd);
	CHECK("mkdirat", mkdirat(dfd, "sub", 0700) == 0);
	CHECK("renameat", renameat(dfd, "f3", AT_FDCWD, "d/sub/f3") == 0);
	CHECK("linkat", linkat(dfd, "sub/f3", dfd, "f4", 0) == 0);
	CHECK("symlinkat", symlinkat("sub", dfd, "sl2") == 0);
	CHECK("readlinkat", readlinkat(dfd, "sl2", b, sizeof(b)) == 3);
	CHECK("unlinkat", unlinkat(dfd, "f4", 0) == 0 && unlinkat(dfd, "sl2", 0) == 0);
	CHECK("unlinkat_removedir_notdir", unlinkat(dfd, "f2", AT_REMOVEDIR) == -1 && errno == ENOTDIR);
	CHECK("unlinkat_einval", unlinkat(dfd, "f2", 0x4) == -1 && errno == EINVAL);
	/* getdents64 */
	char dbuf[1024];
	int n, names = 0;
	lseek(dfd, 0, SEEK_SET);
	while ((n = syscall(SYS_getdents64, dfd, dbuf, sizeof(dbuf))) > 0)
		for (int at = 0; at < n;) {
			struct dirent64 *de = (struct dirent64 *)(dbuf + at);
			if (!strcmp(de->d_name, "f2") || !strcmp(de->d_name, "sl") || !strcmp(de->d_name, "sub") ||
			    !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				names++;
			at += de->d_reclen;
		}
	CHECK("getdents64", n == 0 && names == 5);
	DIR *dir = opendir("d");
	names = 0;
	struct dirent *de;
	while (dir && (de = readdir(dir)))
		if (!strcmp(de->d_name, "sub") && de->d_type == DT_DIR)
			names++;
	CHECK("readdir", names == 1);
	if (dir)
		closedir(dir);
	lseek(dfd, 0, SEEK_SET);
	struct old_dirent {
		unsigned long d_ino, d_off;
		unsigned short d_reclen;
		char d_name[];
	};
	int subs = 0;
	lseek(dfd, 0, SEEK_SET);
	while ((n = syscall(SYS_getdents, dfd, dbuf, sizeof(dbuf))) > 0)
		for (int at = 0; at < n;) {
			struct old_dirent *od = (struct old_dirent *)(dbuf + at);
			if (!strcmp(od->d_name, "sub") && dbuf[at + od->d_reclen - 1] == DT_DIR)
				subs++;
			at += od->d_reclen;
		}
	CHECK("getdents_old", n == 0 && subs == 1);
	lseek(dfd, 0, SEEK_SET);
	CHECK("getdents_small", syscall(SYS_getdents64, dfd, dbuf, 8) == -1 && errno == EINVAL);
	CHECK("getdents_notdir", (fd = open("f1", O_RDONLY)) >= 0 && syscall(SYS_getdents64, fd, dbuf, 1024) == -1 &&
					 errno == ENOTDIR);
	close(fd);
	/* cwd */
	char cwd[256], cwd2[256];
	CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL && cwd[0] == '/');
	CHECK("chdir", chdir("d/sub") == 0 && getcwd(cwd2, sizeof(cwd2)) && strlen(cwd2) == strlen(cwd) + 6 &&
			       !strcmp(cwd2 + strlen(cwd), "/d/sub"));
	CHECK("getcwd_erange", syscall(SYS_getcwd, b, 3) == -1 && errno == ERANGE);
	CHECK("fchdir", fchdir(dfd) == 0 && getcwd(cwd2, sizeof(cwd2)) && !strcmp(cwd2 + strlen(cwd), "/d"));
	CHECK("chdir_enotdir", chdir("f2") == -1 && errno == ENOTDIR);
	chdir("..");
	CHECK("rmdir", mkdir("gone", 0700) == 0 && chdir("gone") == 0 && rmdir("../gone") == 0);
	CHECK("getcwd_removed", syscall(SYS_getcwd, cwd2, sizeof(cwd2)) == -1 && errno == ENOENT);
	chdir(cwd);
	/* metadata */
	CHECK("chmod", chmod("d/f2", 0604) == 0 && stat("d/f2", &st) == 0 && (st.st_mode & 07777) == 0604);
	fd = open("d/f2", O_RDONLY);
	CHECK("fchmod", fchmod(fd, 04755) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 04755);
	CHECK("fchown", fchown(fd, 12, 34) == 0 && fstat(fd, &st) == 0 && st.st_uid == 12 && st.st_gid == 34 &&
				(st.st_mode & 07777) == 0755);
	CHECK("chown_keep", chown("d/f2", -1, 56) == 0 && stat("d/f2", &st) == 0 && st.st_uid == 12 && st.st_gid == 56);
	CHECK("lchown", lchown("d/sl", 7, 8) == 0 && lstat("d/sl", &st) == 0 && st.st_uid == 7 && stat("d/sl", &st) == 0 &&
				st.st_uid == 12);
	struct timespec ts[2] = { { 1000, 5 }, { 2000, UTIME_OMIT } };
	CHECK("utimensat", utimensat(AT_FDCWD, "d/f2", ts, 0) == 0 && stat("d/f2", &st) == 0 &&
				   st.st_atim.tv_sec == 1000 && st.st_atim.tv_nsec == 5 && st.st_mtim.tv_sec != 2000);
	ts[1].tv_nsec = 7;
	CHECK("futimens", futimens(fd, ts) == 0 && fstat(fd, &st) == 0 && st.st_mtim.tv_sec == 2000 &&
				  st.st_mtim.tv_nsec == 7);
	CHECK("utimensat_now", utimensat(AT_FDCWD, "d/f2", NULL, 0) == 0 && stat("d/f2", &st) == 0 &&
				       st.st_mtim.tv_sec > 100000);
	ts[0].tv_nsec = 1000000000;
	CHECK("utimensat_einval", utimensat(AT_FDCWD, "d/f2", ts, 0) == -1 && errno == EINVAL);
	close(fd);
	CHECK("access", access("d/f2", R_OK | W_OK) == 0 && access("nope", F_OK) == -1 && errno == ENOENT);
	CHECK("access_x", chmod("d/f2", 0644) == 0 && access("d/f2", X_OK) == -1 && errno == EACCES);
	CHECK("faccessat", faccessat(dfd, "f2", R_OK, 0) == 0);
	CHECK("access_einval", access("d/f2", 8) == -1 && errno == EINVAL);
	struct {
		uint32_t mask, blksize;
		uint64_t attributes;
		uint32_t nlink, uid, gid;
		uint16_t mode, pad;
		uint64_t ino, size, blocks, amask;
		uint64_t t[8];
		uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
		uint64_t spare[14];
	} sx;
	CHECK("statx", syscall(SYS_statx, dfd, "f2", 0, 0x7ff, &sx) == 0 && (sx.mask & 0x7ff) == 0x7ff &&
			       S_ISREG(sx.mode) && sx.uid == 12 && sx.nlink == 2 && sizeof(sx) == 256);
	CHECK("statx_dev", syscall(SYS_statx, AT_FDCWD, "/dev/null", 0, 0x7ff, &sx) == 0 && sx.rdev_major == 1 &&
				   sx.rdev_minor == 3);
	CHECK("statx_einval", syscall(SYS_statx, dfd, "f2", 0x12345678, 0x7ff, &sx) == -1 && errno == EINVAL);
	CHECK("mknod_fifo", mknod("fifo", S_IFIFO | 0666, 0) == 0 && stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode) &&
				    (st.st_mode & 0777) == 0644);
	CHECK("mknod_reg", mknod("regnode", 0600, 0) == 0 && stat("regnode", &st) == 0 && S_ISREG(st.st_mode));
	CHECK("stat_dev", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
				  minor(st.st_rdev) == 3);
	mode_t old = umask(077);
	CHECK("umask", umask(old) == 077);
	CHECK("rename_dir_into_self", rename("d", "d/sub/x") == -1 && errno == EINVAL);
	close(dfd);
}

static void test_fds(void)
{
	int fd = open("f1", O_RDWR | O_CLOEXEC);
	CHECK("o_cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	CHECK("f_setfd", fcntl(fd, F_SETFD, 0) == 0 && fcntl(fd, F_GETFD) == 0);
	CHECK("f_getfl", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	CHECK("f_setfl", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK) == 0 &&
				 (fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK)) == (O_APPEND | O_NONBLOCK));
	int d = dup(fd);
	CHECK("dup", d > fd && fcntl(d, F_GETFD) == 0);
	CHECK("dup2", dup2(fd, 50) == 50 && dup2(50, 50) == 50);
	CHECK("dup2_ebadf", dup2(77, 51) == -1 && errno == EBADF);
	CHECK("dup3", dup3(fd, 51, O_CLOEXEC) == 51 && fcntl(51, F_GETFD) == FD_CLOEXEC);
	CHECK("dup3_same", dup3(fd, fd, 0) == -1 && errno == EINVAL);
	CHECK("f_dupfd", fcntl(fd, F_DUPFD, 60) == 60 && fcntl(fd, F_DUPFD_CLOEXEC, 60) == 61 &&
				 fcntl(61, F_GETFD) == FD_CLOEXEC);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	CHECK("f_getlk", fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
	fl.l_type = F_WRLCK;
	CHECK("f_setlk", fcntl(fd, F_SETLK, &fl) == 0);
	CHECK("flock", flock(fd, LOCK_EX) == 0 && flock(fd, LOCK_UN) == 0);
	CHECK("fsync", fsync(fd) == 0 && fdatasync(fd) == 0);
	sync();
	struct termios t;
	CHECK("tcgets_enotty", ioctl(fd, TCGETS, &t) == -1 && errno == ENOTTY);
	CHECK("fioclex", ioctl(fd, FIOCLEX) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC);
	close(d);
	close(50);
	close(51);
	close(60);
	close(61);
	close(fd);
	struct rlimit rl, old;
	getrlimit(RLIMIT_NOFILE, &old);
	rl.rlim_cur = 10;
	rl.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	int last = -1, e = 0;
	int fds[20];
	int n = 0;
	for (; n < 20; n++) {
		fds[n] = open("f1", O_RDONLY);
		if (fds[n] < 0) {
			e = errno;
			break;
		}
		last = fds[n];
	}
	CHECK("rlimit_nofile", last == 9 && e == EMFILE);
	CHECK("rlimit_dupfd", fcntl(0, F_DUPFD, 10) == -1 && errno == EINVAL);
	CHECK("rlimit_dup2", dup2(0, 10) == -1 && errno == EBADF);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	setrlimit(RLIMIT_NOFILE, &old);
	int o = open(".", O_PATH);
	CHECK("o_path", o >= 0 && read(o, &e, 1) == -1 && errno == EBADF);
	struct stat st;
	CHECK("o_path_fstat", fstat(o, &st) == 0 && S_ISDIR(st.st_mode));
	close(o);
	char dirbuf[8];
	CHECK("read_dir_eisdir", (o = open(".", O_RDONLY)) >= 0 && read(o, dirbuf, 8) == -1 && errno == EISDIR);
	close(o);
	static char zeros[1 << 20];
	memset(zeros, 1, sizeof(zeros));
	o = open("/dev/zero", O_RDONLY);
	CHECK("dev_zero_1mib", read(o, zeros, sizeof(zeros)) == sizeof(zeros) && zeros[sizeof(zeros) - 1] == 0);
	close(o);
	o = open("/dev/full", O_WRONLY);
	CHECK("dev_full_enospc", write(o, "x", 1) == -1 && errno == ENOSPC);
	close(o);
	int a = open("big", O_RDONLY), b = open("copy", O_CREAT | O_WRONLY | O_TRUNC, 0600);
	off_t off = 1000;
	CHECK("sendfile", sendfile(b, a, &off, 5000) == 5000 && off == 6000 && lseek(a, 0, SEEK_CUR) == 0);
	CHECK("sendfile_pos", sendfile(b, a, NULL, 100) == 100 && lseek(a, 0, SEEK_CUR) == 100);
	close(a);
	close(b);
	CHECK("close_range", dup2(0, 40) == 40 && dup2(0, 41) == 41 && syscall(SYS_close_range, 40, 41, 0) == 0 &&
				     fcntl(40, F_GETFD) == -1 && errno == EBADF);
}

static void test_pipes(void)
{
	int p[2];
	CHECK("pipe", pipe(p) == 0);
	struct stat st;
	CHECK("pipe_fstat", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK("pipe_write", write(p[1], "abc", 3) == 3);
	int n = -1;
	CHECK("fionread", ioctl(p[0], FIONREAD, &n) == 0 && n == 3);
	char b[16];
	CHECK("pipe_read", read(p[0], b, sizeof(b)) == 3 && memcmp(b, "abc", 3) == 0);
	CHECK("pipe_lseek", lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE);
	CHECK("pipe_getsz", fcntl(p[0], F_GETPIPE_SZ) == 65536);
	CHECK("pipe_setsz", fcntl(p[1], F_SETPIPE_SZ, 5000) == 8192 && fcntl(p[0], F_GETPIPE_SZ) == 8192);
	CHECK("getpipe_notpipe", fcntl(0, F_GETPIPE_SZ) == -1 && errno == EBADF);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK("pipe_eagain", read(p[0], b, 1) == -1 && errno == EAGAIN);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	static char fill[10000];
	CHECK("pipe_nb_partial", write(p[1], fill, sizeof(fill)) == 8192);
	CHECK("pipe_nb_full", write(p[1], fill, 1) == -1 && errno == EAGAIN);
	struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
	CHECK("poll_full", poll(pf, 2, 0) == 1 && pf[0].revents == POLLIN && pf[1].revents == 0);
	close(p[1]);
	char big[9000];
	CHECK("pipe_drain", read(p[0], big, sizeof(big)) == 8192);
	CHECK("pipe_eof", read(p[0], b, 1) == 0);
	pf[0].events = POLLIN;
	CHECK("poll_hup", poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP));
	close(p[0]);

	/* EPIPE and SIGPIPE */
	signal(SIGPIPE, on_sig);
	pipe(p);
	close(p[0]);
	got_sig = 0;
	CHECK("epipe", write(p[1], "x", 1) == -1 && errno == EPIPE && got_sig == SIGPIPE);
	struct pollfd wp = { p[1], POLLOUT, 0 };
	CHECK("poll_err", poll(&wp, 1, 0) == 1 && (wp.revents & POLLERR));
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);

	CHECK("pipe2", pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC &&
			       (fcntl(p[1], F_GETFL) & O_NONBLOCK));
	CHECK("pipe2_einval", pipe2(p + 0, 0x1) == -1 && errno == EINVAL);
	close(p[0]);
	close(p[1]);

	/* blocking read across fork, big transfer with a checksum */
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		msleep(100);
		static unsigned char data[1 << 20];
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (unsigned char)(i * 31 + (i >> 9));
		ssize_t w = write(p[1], data, sizeof(data));
		_exit(w == sizeof(data) ? 0 : 1);
	}
	close(p[1]);
	size_t total = 0;
	int ok = 1;
	uint64_t t0 = now_ms();
	for (;;) {
		unsigned char rb[7000];
		ssize_t r = read(p[0], rb, sizeof(rb));
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (rb[i] != (unsigned char)((total + i) * 31 + ((total + i) >> 9)))
				ok = 0;
		total += r;
	}
	int status;
	waitpid(c, &status, 0);
	CHECK("pipe_blocking_1mib", ok && total == (1 << 20) && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
					    now_ms() - t0 >= 90);
	close(p[0]);

	/* atomic small writes from two writers */
	pipe(p);
	for (int k = 0; k < 2; k++) {
		if (fork() == 0) {
			char rec[4096];
			memset(rec, 'a' + k, sizeof(rec));
			for (int i = 0; i < 50; i++)
				write(p[1], rec, sizeof(rec));
			_exit(0);
		}
	}
	close(p[1]);
	char rec[4096];
	int recs = 0, mixed = 0;
	size_t got = 0;
	ssize_t r;
	while ((r = read(p[0], rec + got, sizeof(rec) - got)) > 0) {
		got += r;
		if (got == sizeof(rec)) {
			for (size_t i = 1; i < sizeof(rec); i++)
				if (rec[i] != rec[0])
					mixed = 1;
			recs++;
			got = 0;
		}
	}
	wait(NULL);
	wait(NULL);
	CHECK("pipe_atomic", recs == 100 && !mixed && got == 0);
	close(p[0]);
}

static void test_poll(void)
{
	int p[2];
	pipe(p);
	struct pollfd pf = { p[0], POLLIN, 0 };
	uint64_t t0 = now_ms();
	CHECK("poll_timeout", poll(&pf, 1, 150) == 0 && now_ms() - t0 >= 140 && pf.revents == 0);
	struct pollfd bad = { 1000, POLLIN, 0 };
	CHECK("poll_nval", poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL);
	struct pollfd neg = { -1, POLLIN, 0 };
	CHECK("poll_negfd", poll(&neg, 1, 0) == 0);
	pid_t c = fork();
	if (c == 0) {
		msleep(100);
		write(p[1], "x", 1);
		_exit(0);
	}
	t0 = now_ms();
	CHECK("poll_wake", poll(&pf, 1, -1) == 1 && pf.revents == POLLIN && now_ms() - t0 >= 80);
	waitpid(c, NULL, 0);
	char b;
	read(p[0], &b, 1);

	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = { 0, 200000 };
	t0 = now_ms();
	/* raw select: musl's wrapper passes a copy of the timeval */
	CHECK("select_timeout", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &rs) &&
					now_ms() - t0 >= 190 && tv.tv_sec == 0 && tv.tv_usec == 0);
	c = fork();
	if (c == 0) {
		msleep(100);
		write(p[1], "y", 1);
		_exit(0);
	}
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	FD_ZERO(&ws);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK("select_wake", syscall(SYS_select, p[0] + 1, &rs, &ws, NULL, &tv) == 1 && FD_ISSET(p[0], &rs) && tv.tv_sec <= 4 &&
				     tv.tv_sec >= 1);
	waitpid(c, NULL, 0);
	read(p[0], &b, 1);
	FD_ZERO(&ws);
	FD_SET(p[1], &ws);
	FD_SET(p[0], &ws); /* the read end is never writable */
	CHECK("select_write", select(p[1] + 1, NULL, &ws, NULL, NULL) == 1 && FD_ISSET(p[1], &ws) && !FD_ISSET(p[0], &ws));
	FD_ZERO(&rs);
	FD_SET(200, &rs);
	CHECK("select_ebadf", select(201, &rs, NULL, NULL, NULL) == -1 && errno == EBADF);
	struct timespec ts = { 0, 50000000 };
	t0 = now_ms();
	FD_ZERO(&rs);
	CHECK("pselect_timeout", pselect(1, &rs, NULL, NULL, &ts, NULL) == 0 && now_ms() - t0 >= 45);
	CHECK("poll_regular", ({
		      int fd = open("f1", O_RDWR);
		      struct pollfd q = { fd, POLLIN | POLLOUT, 0 };
		      int rr = poll(&q, 1, -1);
		      close(fd);
		      rr == 1 && q.revents == (POLLIN | POLLOUT);
	      }));

	/* many descriptors: more wait entries than one poll-table block holds */
	struct pollfd many[40];
	for (int i = 0; i < 40; i++) {
		many[i].fd = dup(p[0]);
		many[i].events = POLLIN;
	}
	c = fork();
	if (c == 0) {
		msleep(100);
		write(p[1], "m", 1);
		_exit(0);
	}
	int ready = poll(many, 40, 5000);
	int allin = 1;
	for (int i = 0; i < 40; i++) {
		if (many[i].revents != POLLIN)
			allin = 0;
		close(many[i].fd);
	}
	CHECK("poll_40_fds", ready == 40 && allin);
	waitpid(c, NULL, 0);
	read(p[0], &b, 1);

	/* ppoll with a signal mask: SIGUSR1 is blocked, ppoll unblocks it for the wait */
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	c = fork();
	if (c == 0) {
		msleep(100);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	sigemptyset(&waitmask);
	got_sig = 0;
	struct timespec five = { 5, 0 };
	int rr = ppoll(&pf, 1, &five, &waitmask);
	int e = errno;
	if (rr != -1) out("ppoll returned %d revents %x fd %d\n", rr, pf.revents, pf.fd);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	errno = e;
	CHECK("ppoll_sigmask", rr == -1 && e == EINTR && got_sig == SIGUSR1 && sigismember(&cur, SIGUSR1));
	waitpid(c, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &block, NULL);

	/* a blocked read interrupted: EINTR without SA_RESTART, restarted with it */
	c = fork();
	if (c == 0) {
		msleep(100);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	got_sig = 0;
	CHECK("read_eintr", read(p[0], &b, 1) == -1 && errno == EINTR && got_sig == SIGUSR1);
	waitpid(c, NULL, 0);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	c = fork();
	if (c == 0) {
		msleep(100);
		kill(getppid(), SIGUSR1);
		msleep(100);
		write(p[1], "z", 1);
		_exit(0);
	}
	got_sig = 0;
	CHECK("read_restart", read(p[0], &b, 1) == 1 && b == 'z' && got_sig == SIGUSR1);
	waitpid(c, NULL, 0);
	c = fork();
	if (c == 0) {
		msleep(100);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	got_sig = 0;
	CHECK("poll_eintr_even_with_restart", poll(&pf, 1, 5000) == -1 && errno == EINTR && got_sig == SIGUSR1);
	waitpid(c, NULL, 0);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static void test_mount(void)
{
	mkdir("mnt", 0755);
	CHECK("mount", mount("none", "mnt", "tmpfs", 0, "size=1m") == 0);
	int fd = open("mnt/inside", O_CREAT | O_RDWR, 0600);
	struct stat a, b;
	CHECK("mount_file", fd >= 0 && fstat(fd, &a) == 0 && stat(".", &b) == 0 && a.st_dev != b.st_dev);
	CHECK("umount_busy", umount("mnt") == -1 && errno == EBUSY);
	close(fd);
	char cwd[256], cwd2[300];
	getcwd(cwd, sizeof(cwd));
	mkdir("mnt/sub", 0755);
	chdir("mnt/sub");
	CHECK("getcwd_mount", getcwd(cwd2, sizeof(cwd2)) && !strcmp(cwd2 + strlen(cwd), "/mnt/sub"));
	chdir(cwd);
	CHECK("umount", umount("mnt") == 0 && stat("mnt/inside", &a) == -1 && errno == ENOENT);
	CHECK("mount_enodev", mount("none", "mnt", "nosuchfs", 0, NULL) == -1 && errno == ENODEV);
}

int main(void)
{
	if (getpid() == 1) {
		mkdir("/tmp", 01777);
		mkdir("/tmp/ft", 0755);
		chdir("/tmp/ft");
	} else {
		char tmpl[] = "/tmp/ftXXXXXX";
		chdir(mkdtemp(tmpl));
	}
	umask(022);
	test_files();
	test_names();
	test_fds();
	test_pipes();
	test_poll();
	if (getuid() == 0)
		test_mount();
	out("DONE %d failures\n", fails);
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return fails != 0;
}
