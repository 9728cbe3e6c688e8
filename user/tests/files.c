/*
 * files: the file-system system calls on a directory of the test's own. Reading and writing
 * with offsets and vectors, open flags and their errors, directories, links, renames,
 * getdents64, the stat family and statx, truncate, the working directory, umask, access,
 * modes, times, descriptor duplication and flags, close-on-exec across execve, and
 * select/poll on regular files.
 *
 * Run it by its absolute path: it executes itself again (argv[1] = "cloexec-check").
 */
#include "t.h"

#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/uio.h>

static int file_is(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(want) && !memcmp(buf, want, n);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_read_write(void)
{
	char buf[256];
	int fd = creat("a", 0644);

	if (!NEED("creat", fd))
		return;
	CHECK_EQ("write", write(fd, "hello world", 11), 11);
	CHECK_ERR("read_on_wronly_ebadf", read(fd, buf, 1), EBADF);
	close(fd);

	fd = open("a", O_RDWR);
	if (!NEED("open_rdwr", fd))
		return;
	CHECK("read_back", read(fd, buf, sizeof(buf)) == 11 && !memcmp(buf, "hello world", 11));
	CHECK_EQ("read_at_eof", read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ("lseek_set", lseek(fd, 6, SEEK_SET), 6);
	CHECK("read_after_lseek", read(fd, buf, 5) == 5 && !memcmp(buf, "world", 5));
	CHECK_EQ("lseek_cur", lseek(fd, -5, SEEK_CUR), 6);
	CHECK_EQ("lseek_end", lseek(fd, 0, SEEK_END), 11);
	CHECK_ERR("lseek_negative_einval", lseek(fd, -100, SEEK_SET), EINVAL);
	CHECK_ERR("lseek_bad_whence_einval", lseek(fd, 0, 42), EINVAL);
	/* A write past the end leaves a hole that reads as zeros. */
	CHECK_EQ("lseek_past_end", lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ("write_past_end", write(fd, "x", 1), 1);
	CHECK("hole_reads_zero", pread(fd, buf, 89, 11) == 89 && all_zero(buf, 89));
	struct stat st;
	CHECK("size_after_hole", fstat(fd, &st) == 0 && st.st_size == 101);

	/* pread/pwrite leave the offset alone. */
	lseek(fd, 3, SEEK_SET);
	CHECK("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
	CHECK("pread", pread(fd, buf, 11, 0) == 11 && !memcmp(buf, "HELLO world", 11));
	CHECK_EQ("pread_pwrite_keep_offset", lseek(fd, 0, SEEK_CUR), 3);
	CHECK_ERR("pread_negative_einval", pread(fd, buf, 1, -1), EINVAL);

	/* writev/readv in three pieces. */
	struct iovec out[3] = { { "one ", 4 }, { "two ", 4 }, { "three", 5 } };
	char a[4], b[4], c[8] = { 0 };
	struct iovec in[3] = { { a, 4 }, { b, 4 }, { c, 5 } };
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ("writev", writev(fd, out, 3), 13);
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ("readv", readv(fd, in, 3), 13);
	CHECK("readv_data", !memcmp(a, "one ", 4) && !memcmp(b, "two ", 4) && !strcmp(c, "three"));
	CHECK_OK("fsync", fsync(fd));
	CHECK_OK("fdatasync", fdatasync(fd));
	close(fd);
	CHECK_ERR("read_closed_ebadf", read(fd, buf, 1), EBADF);
	CHECK_ERR("close_closed_ebadf", close(fd), EBADF);

	/* One MiB out and back. */
	static char big[1 << 20], back[1 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31 + (i >> 10));
	fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK("big_write", write(fd, big, sizeof(big)) == sizeof(big));
	ssize_t got = 0, r;
	lseek(fd, 0, SEEK_SET);
	while (got < (ssize_t)sizeof(back) && (r = read(fd, back + got, sizeof(back) - got)) > 0)
		got += r;
	CHECK("big_round_trip", got == sizeof(big) && !memcmp(big, back, sizeof(big)));
	close(fd);
	unlink("big");
}

static void test_open_flags(void)
{
	char buf[64];

	t_write_file("o", "0123456789", 10, 0644);
	int fd = open("o", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ("o_append_write", write(fd, "ab", 2), 2);
	close(fd);
	CHECK("o_append_at_end", file_is("o", "0123456789ab"));

	fd = open("o", O_RDWR | O_TRUNC);
	struct stat st;
	CHECK("o_trunc", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
	CHECK_ERR("o_excl_eexist", open("o", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	fd = open("new", O_CREAT | O_EXCL | O_WRONLY, 0644);
	CHECK("o_excl_creates", fd >= 0);
	close(fd);
	CHECK_ERR("enoent", open("missing", O_RDONLY), ENOENT);
	CHECK_ERR("enoent_in_path", open("missing/x", O_RDONLY), ENOENT);
	CHECK_ERR("enotdir", open("o/x", O_RDONLY), ENOTDIR);
	CHECK_ERR("o_directory_on_file_enotdir", open("o", O_RDONLY | O_DIRECTORY), ENOTDIR);
	mkdir("dir", 0755);
	CHECK_ERR("eisdir_open_dir_wronly", open("dir", O_WRONLY), EISDIR);
	fd = open("dir", O_RDONLY | O_DIRECTORY);
	CHECK("open_dir_rdonly", fd >= 0);
	CHECK_ERR("read_dir_eisdir", read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
	fd = open("o", O_RDONLY);
	CHECK_ERR("write_on_rdonly_ebadf", write(fd, "x", 1), EBADF);
	close(fd);

	char name[300], path[5000];
	memset(name, 'n', 299);
	name[299] = 0;
	CHECK_ERR("enametoolong_component", open(name, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
	memset(path, 0, sizeof(path));
	for (size_t i = 0; i + 2 < sizeof(path); i += 2)
		memcpy(path + i, "./", 2);
	CHECK_ERR("enametoolong_path", open(path, O_RDONLY), ENAMETOOLONG);

	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	CHECK_ERR("eloop_symlink_loop", open("loop1", O_RDONLY), ELOOP);
	symlink("o", "link-to-o");
	CHECK_ERR("eloop_o_nofollow", open("link-to-o", O_RDONLY | O_NOFOLLOW), ELOOP);

	/* openat relative to a directory descriptor. */
	int dfd = open("dir", O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "inside", O_CREAT | O_WRONLY, 0644);
	CHECK("openat_dirfd", fd >= 0 && mode_of("dir/inside") != 0);
	close(fd);
	close(dfd);
	CHECK_ERR("openat_bad_dirfd_ebadf", openat(12345, "x", O_RDONLY), EBADF);
	unlink("dir/inside");
}

static void test_dirs(void)
{
	CHECK_OK("mkdir", mkdir("d", 0755));
	CHECK("mkdir_is_dir", S_ISDIR(mode_of("d")));
	CHECK_ERR("mkdir_eexist", mkdir("d", 0755), EEXIST);
	CHECK_ERR("mkdir_enoent_parent", mkdir("nope/d", 0755), ENOENT);
	t_write_file("d/f", "x", 1, 0644);
	CHECK_ERR("rmdir_enotempty", rmdir("d"), ENOTEMPTY);
	CHECK_ERR("rmdir_enotdir", rmdir("d/f"), ENOTDIR);
	CHECK_ERR("rmdir_enoent", rmdir("nope"), ENOENT);
	CHECK_ERR("rmdir_dot_einval", rmdir("d/."), EINVAL);
	CHECK_ERR("unlink_dir_eisdir", unlink("d"), EISDIR);
	CHECK_OK("unlink", unlink("d/f"));
	CHECK_ERR("unlink_gone", unlink("d/f"), ENOENT);
	CHECK_OK("rmdir", rmdir("d"));
	CHECK("rmdir_gone", mode_of("d") == 0);

	/* An open file outlives its last name. */
	t_write_file("ghost", "boo", 3, 0644);
	int fd = open("ghost", O_RDONLY);
	unlink("ghost");
	char buf[4];
	struct stat st;
	CHECK("unlinked_still_readable", read(fd, buf, 3) == 3 && !memcmp(buf, "boo", 3));
	CHECK("unlinked_nlink_0", fstat(fd, &st) == 0 && st.st_nlink == 0);
	close(fd);
}

static void test_rename(void)
{
	t_write_file("r1", "first", 5, 0644);
	t_write_file("r2", "second", 6, 0644);
	CHECK_OK("rename_over_file", rename("r1", "r2"));
	CHECK("rename_replaced", file_is("r2", "first") && mode_of("r1") == 0);
	CHECK_OK("rename_same_name", rename("r2", "r2"));
	CHECK_ERR("rename_enoent", rename("r1", "r3"), ENOENT);

	mkdir("rd", 0755);
	mkdir("rd/child", 0755);
	CHECK_ERR("rename_into_own_child_einval", rename("rd", "rd/child/x"), EINVAL);
	mkdir("full", 0755);
	t_write_file("full/f", "x", 1, 0644);
	CHECK_ERR("rename_over_nonempty_dir", rename("rd", "full"), ENOTEMPTY);
	CHECK_ERR("rename_file_over_dir_eisdir", rename("r2", "rd"), EISDIR);
	CHECK_ERR("rename_dir_over_file_enotdir", rename("rd", "r2"), ENOTDIR);
	mkdir("empty", 0755);
	CHECK_OK("rename_dir_over_empty_dir", rename("rd", "empty"));
	CHECK("rename_dir_moved", S_ISDIR(mode_of("empty/child")) && mode_of("rd") == 0);
	CHECK_OK("rename_into_subdir", rename("r2", "empty/child/r2"));
	CHECK("rename_into_subdir_content", file_is("empty/child/r2", "first"));
	t_rmtree("empty");
	t_rmtree("full");
}

static void test_links(void)
{
	struct stat a, b;

	t_write_file("l", "linked", 6, 0644);
	CHECK_OK("link", link("l", "l2"));
	CHECK("link_nlink_2", stat("l", &a) == 0 && stat("l2", &b) == 0 && a.st_nlink == 2 && b.st_nlink == 2);
	CHECK("link_same_inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	t_write_file("l2", "LINKED", 6, 0644);
	CHECK("link_shares_data", file_is("l", "LINKED"));
	CHECK_ERR("link_target_exists_eexist", link("l", "l2"), EEXIST);
	mkdir("ldir", 0755);
	CHECK_ERR("link_dir_eperm", link("ldir", "ldir2"), EPERM);
	CHECK_ERR("link_missing_enoent", link("nope", "l3"), ENOENT);
	unlink("l2");
	CHECK("unlink_nlink_1", stat("l", &a) == 0 && a.st_nlink == 1);

	char buf[64];
	CHECK_OK("symlink", symlink("l", "s"));
	ssize_t n = readlink("s", buf, sizeof(buf));
	CHECK("readlink", n == 1 && buf[0] == 'l');
	symlink("a-much-longer-target", "s2");
	CHECK_EQ("readlink_truncates", readlink("s2", buf, 3), 3);
	CHECK_ERR("readlink_not_symlink_einval", readlink("l", buf, sizeof(buf)), EINVAL);
	CHECK("lstat_symlink", lstat("s2", &a) == 0 && S_ISLNK(a.st_mode) && a.st_size == 20);
	CHECK("stat_follows", stat("s", &a) == 0 && S_ISREG(a.st_mode) && a.st_size == 6);
	CHECK("symlink_read_through", file_is("s", "LINKED"));
	CHECK_ERR("dangling_stat_enoent", stat("s2", &a), ENOENT);
	CHECK_ERR("symlink_exists_eexist", symlink("x", "s"), EEXIST);
	mkdir("real", 0755);
	t_write_file("real/f", "inner", 5, 0644);
	symlink("real", "dirlink");
	CHECK("symlink_to_dir_in_path", file_is("dirlink/f", "inner"));
	t_rmtree("real");
	unlink("dirlink");
}

/* --- directory listings --- */

#define DT_OK(e, want) ((e)->d_type == (want) || (e)->d_type == DT_UNKNOWN)

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void test_readdir(void)
{
	static const char *names[] = { ".", "..", "x", "y", "z", "sub" };
	int seen[6] = { 0 }, extra = 0, types_ok = 1;

	mkdir("ls", 0755);
	t_write_file("ls/x", "", 0, 0644);
	t_write_file("ls/y", "", 0, 0644);
	t_write_file("ls/z", "", 0, 0644);
	mkdir("ls/sub", 0755);
	DIR *d = opendir("ls");
	struct dirent *e;
	if (!t_check("opendir", d != NULL, "opendir failed with %s", t_errname(errno)))
		return;
	while ((e = readdir(d))) {
		int k = -1;
		for (int i = 0; i < 6; i++)
			if (!strcmp(e->d_name, names[i]))
				k = i;
		if (k < 0)
			extra++;
		else
			seen[k]++;
		if (k >= 2)
			types_ok &= DT_OK(e, k == 5 ? DT_DIR : DT_REG);
	}
	closedir(d);
	int once = 1;
	for (int i = 0; i < 6; i++)
		once &= seen[i] == 1;
	t_check("readdir_exact_names", once && extra == 0, "%d unexpected names", extra);
	CHECK("readdir_d_type", types_ok);

	/* Raw getdents64 in a buffer too small for one entry, then in small steps. */
	int fd = open("ls", O_RDONLY | O_DIRECTORY);
	char small[8];
	CHECK_ERR("getdents64_tiny_buffer_einval", syscall(SYS_getdents64, fd, small, sizeof(small)), EINVAL);
	close(fd);
	for (int i = 0; i < 50; i++) {
		char p[32];
		snprintf(p, sizeof(p), "ls/sub/file%02d", i);
		t_write_file(p, "", 0, 0644);
	}
	fd = open("ls/sub", O_RDONLY | O_DIRECTORY);
	char buf[96] __attribute__((aligned(8)));
	long n, count = 0, rounds = 0, total = 0;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		rounds++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
			count++;
			off += de->d_reclen;
		}
	}
	CHECK("getdents64_resumes", n == 0 && count == 52 && rounds > 1);
	CHECK_EQ("getdents64_rewind", lseek(fd, 0, SEEK_SET), 0);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n; off += ((struct linux_dirent64 *)(buf + off))->d_reclen)
			total++;
	CHECK_EQ("getdents64_after_rewind", total, 52);
	close(fd);
	t_rmtree("ls");
}

/* --- stat and friends --- */

#ifndef STATX_TYPE
#define STATX_TYPE 0x1u
#define STATX_MODE 0x2u
#define STATX_NLINK 0x4u
#define STATX_INO 0x100u
#define STATX_SIZE 0x200u
#define STATX_BASIC_STATS 0x7ffu
#endif

/* The kernel's struct statx (include/uapi/linux/stat.h); the C library here has no wrapper. */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare2[14];
};
_Static_assert(sizeof(struct kstatx) == 256, "struct statx is 256 bytes");

static void test_stat(void)
{
	struct stat a, b, c, l;

	t_write_file("st", "12345", 5, 0644);
	symlink("st", "st-link");
	mkdir("st-dir", 0755);
	int fd = open("st", O_RDONLY);
	CHECK("stat_size_type", stat("st", &a) == 0 && a.st_size == 5 && S_ISREG(a.st_mode));
	CHECK("stat_perm", (a.st_mode & 07777) == 0644);
	CHECK("fstat_matches", fstat(fd, &b) == 0 && b.st_ino == a.st_ino && b.st_size == 5 && b.st_dev == a.st_dev);
	CHECK("fstatat_matches", fstatat(AT_FDCWD, "st", &c, 0) == 0 && c.st_ino == a.st_ino);
	CHECK("fstatat_nofollow", fstatat(AT_FDCWD, "st-link", &l, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(l.st_mode));
	CHECK("fstatat_empty_path", fstatat(fd, "", &c, AT_EMPTY_PATH) == 0 && c.st_ino == a.st_ino);
	CHECK("stat_dir_type", stat("st-dir", &c) == 0 && S_ISDIR(c.st_mode));
	struct stat dir;
	stat(".", &dir); /* in a set-group-ID directory new files take the directory's group */
	CHECK("stat_owner", a.st_uid == geteuid() && (a.st_gid == getegid() || a.st_gid == dir.st_gid));
	CHECK("stat_blksize", a.st_blksize > 0);
	CHECK_EQ("stat_nlink", a.st_nlink, 1);
	CHECK_ERR("stat_enoent", stat("nope", &c), ENOENT);
	CHECK_ERR("fstat_ebadf", fstat(12345, &c), EBADF);

	struct kstatx sx;
	memset(&sx, 0xff, sizeof(sx));
	long r = syscall(SYS_statx, AT_FDCWD, "st", 0, STATX_BASIC_STATS, &sx);
	CHECK_EQ("statx", r, 0);
	CHECK("statx_mask", (sx.mask & (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO)) ==
				    (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO));
	CHECK("statx_fields", sx.size == 5 && sx.ino == a.st_ino && sx.mode == a.st_mode && sx.nlink == 1);
	CHECK("statx_owner", sx.uid == a.st_uid && sx.gid == a.st_gid);
	CHECK("statx_mtime", sx.mtime.sec == a.st_mtim.tv_sec && sx.mtime.nsec == a.st_mtim.tv_nsec);
	r = syscall(SYS_statx, AT_FDCWD, "st-link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
	CHECK("statx_nofollow", r == 0 && S_ISLNK(sx.mode));
	CHECK_ERR("statx_enoent", syscall(SYS_statx, AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &sx), ENOENT);
	close(fd);
}

static void test_truncate(void)
{
	struct stat st;
	char buf[16];

	t_write_file("tr", "0123456789", 10, 0644);
	CHECK_OK("truncate_shrink", truncate("tr", 4));
	CHECK("truncate_shrunk", file_is("tr", "0123"));
	int fd = open("tr", O_RDWR);
	CHECK_OK("ftruncate_grow", ftruncate(fd, 12));
	CHECK("ftruncate_size", fstat(fd, &st) == 0 && st.st_size == 12);
	CHECK("ftruncate_grown_zero",
	      pread(fd, buf, 12, 0) == 12 && !memcmp(buf, "0123", 4) && all_zero(buf + 4, 8));
	CHECK_ERR("ftruncate_negative_einval", ftruncate(fd, -1), EINVAL);
	close(fd);
	CHECK_ERR("truncate_enoent", truncate("nope", 0), ENOENT);
	CHECK_ERR("truncate_dir_eisdir", truncate(".", 0), EISDIR);
}

static void test_cwd(void)
{
	char start[PATH_MAX], now[PATH_MAX], want[PATH_MAX + 8];

	if (!t_check("getcwd", getcwd(start, sizeof(start)) != NULL, "getcwd failed with %s", t_errname(errno)))
		return;
	CHECK("getcwd_absolute", start[0] == '/');
	mkdir("cw", 0755);
	CHECK_OK("chdir", chdir("cw"));
	snprintf(want, sizeof(want), "%s/cw", start);
	CHECK("getcwd_after_chdir", getcwd(now, sizeof(now)) && !strcmp(now, want));
	t_write_file("here", "h", 1, 0644);
	CHECK_OK("chdir_dotdot", chdir(".."));
	CHECK("relative_paths_follow_cwd", file_is("cw/here", "h"));
	int fd = open("cw", O_RDONLY | O_DIRECTORY);
	CHECK_OK("fchdir", fchdir(fd));
	CHECK("getcwd_after_fchdir", getcwd(now, sizeof(now)) && !strcmp(now, want));
	close(fd);
	CHECK_OK("chdir_absolute", chdir(start));
	CHECK("getcwd_back", getcwd(now, sizeof(now)) && !strcmp(now, start));
	CHECK_ERR("getcwd_small_erange", syscall(SYS_getcwd, now, 2), ERANGE);
	t_write_file("cwf", "", 0, 0644);
	CHECK_ERR("chdir_file_enotdir", chdir("cwf"), ENOTDIR);
	CHECK_ERR("chdir_enoent", chdir("nope"), ENOENT);
	fd = open("cwf", O_RDONLY);
	CHECK_ERR("fchdir_file_enotdir", fchdir(fd), ENOTDIR);
	close(fd);
}

static void test_modes(void)
{
	mode_t old = umask(022);
	int fd = creat("m1", 0666);
	close(fd);
	CHECK_EQ("umask_022_creat", mode_of("m1") & 07777, 0644);
	umask(077);
	fd = open("m2", O_CREAT | O_WRONLY, 0666);
	close(fd);
	CHECK_EQ("umask_077_open", mode_of("m2") & 07777, 0600);
	umask(027);
	mkdir("m3", 0777);
	CHECK_EQ("umask_027_mkdir", mode_of("m3") & 07777, 0750);
	umask(old);

	CHECK_OK("chmod", chmod("m1", 0600));
	CHECK_EQ("chmod_mode", mode_of("m1") & 07777, 0600);
	fd = open("m1", O_RDONLY);
	CHECK_OK("fchmod", fchmod(fd, 0640));
	CHECK_EQ("fchmod_mode", mode_of("m1") & 07777, 0640);
	close(fd);
	CHECK_ERR("chmod_enoent", chmod("nope", 0600), ENOENT);
	CHECK_OK("fchmodat", fchmodat(AT_FDCWD, "m1", 0644, 0));
	CHECK_EQ("fchmodat_mode", mode_of("m1") & 07777, 0644);

	/* Modes without any execute bit refuse X_OK even to root. */
	CHECK_OK("access_f_ok", access("m1", F_OK));
	CHECK_OK("access_r_w", access("m1", R_OK | W_OK));
	CHECK_ERR("access_x_eacces", access("m1", X_OK), EACCES);
	CHECK_ERR("access_enoent", access("nope", F_OK), ENOENT);
	CHECK_OK("access_dir_x", access("m3", X_OK));
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_OK("faccessat", faccessat(dfd, "m1", R_OK, 0));
	CHECK_ERR("faccessat_x_eacces", faccessat(dfd, "m1", X_OK, 0), EACCES);
	close(dfd);
	chmod("m1", 0755);
	CHECK_OK("access_x_after_chmod", access("m1", X_OK));
}

static void test_times(void)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1234567890, 500000000 } };
	struct stat st;

	t_write_file("t", "t", 1, 0644);
	CHECK_OK("utimensat", utimensat(AT_FDCWD, "t", ts, 0));
	CHECK("utimensat_mtime", stat("t", &st) == 0 && st.st_mtim.tv_sec == 1234567890);
	CHECK_EQ("utimensat_atime", st.st_atim.tv_sec, 1000000000);
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 1500000000, 0 } };
	CHECK_OK("utimensat_omit", utimensat(AT_FDCWD, "t", omit, 0));
	CHECK("utimensat_omit_keeps_atime", stat("t", &st) == 0 && st.st_atim.tv_sec == 1000000000 &&
						    st.st_mtim.tv_sec == 1500000000);
	int fd = open("t", O_RDONLY);
	CHECK_OK("futimens", futimens(fd, ts));
	CHECK("futimens_mtime", fstat(fd, &st) == 0 && st.st_mtim.tv_sec == 1234567890);
	close(fd);
	CHECK_ERR("utimensat_enoent", utimensat(AT_FDCWD, "nope", ts, 0), ENOENT);
}

static void test_dup(void)
{
	char buf[16];

	t_write_file("du", "abcdef", 6, 0644);
	int fd = open("du", O_RDWR);
	int d = dup(fd);
	CHECK("dup_new_fd", d >= 0 && d != fd);
	CHECK_EQ("dup_shares_offset", (read(fd, buf, 2), lseek(d, 0, SEEK_CUR)), 2);
	close(d);
	int low = dup(fd);
	CHECK_EQ("dup_lowest_free", low, d);
	close(low);
	CHECK_EQ("dup2", dup2(fd, 50), 50);
	CHECK_EQ("dup2_same_fd", dup2(fd, fd), fd);
	CHECK_ERR("dup2_bad_old_ebadf", dup2(12345, 51), EBADF);
	CHECK_ERR("dup3_same_einval", dup3(fd, fd, 0), EINVAL);
	CHECK_EQ("dup3_cloexec", dup3(fd, 52, O_CLOEXEC), 52);
	CHECK("dup3_cloexec_set", fcntl(52, F_GETFD) == FD_CLOEXEC);
	CHECK_EQ("dup2_no_cloexec", fcntl(50, F_GETFD), 0);
	int f = fcntl(fd, F_DUPFD, 60);
	CHECK("f_dupfd_min", f >= 60 && fcntl(f, F_GETFD) == 0);
	int fc = fcntl(fd, F_DUPFD_CLOEXEC, 60);
	CHECK("f_dupfd_cloexec", fc > f && fcntl(fc, F_GETFD) == FD_CLOEXEC);
	CHECK_OK("f_setfd", fcntl(f, F_SETFD, FD_CLOEXEC));
	CHECK_EQ("f_getfd", fcntl(f, F_GETFD), FD_CLOEXEC);
	close(f), close(fc), close(50), close(52);
	close(fd);

	fd = open("du", O_RDWR | O_APPEND);
	CHECK_EQ("f_getfl", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR | O_APPEND);
	CHECK_OK("f_setfl_nonblock", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_WRONLY));
	int fl = fcntl(fd, F_GETFL);
	CHECK("f_setfl_nonblock_set", fl & O_NONBLOCK);
	CHECK_EQ("f_setfl_keeps_access_mode", fl & O_ACCMODE, O_RDWR);
	close(fd);
	CHECK_ERR("fcntl_ebadf", fcntl(12345, F_GETFD), EBADF);
}

/* --- close-on-exec --- */

/* argv: self "cloexec-check" <closed fd> <kept fd> */
static int cloexec_check(char **argv)
{
	int gone = atoi(argv[2]), kept = atoi(argv[3]);
	char c;

	if (fcntl(gone, F_GETFD) != -1 || errno != EBADF)
		return 1;
	if (fcntl(kept, F_GETFD) != 0)
		return 2;
	if (read(kept, &c, 1) != 1 || c != 'k')
		return 3; /* the offset (1) came along too */
	return 0;
}

static void test_cloexec(void)
{
	if (!t_self_ok("cloexec_across_execve"))
		return;
	t_write_file("ce", "xk", 2, 0644);
	int gone = open("ce", O_RDONLY | O_CLOEXEC), kept = open("ce", O_RDONLY);
	char c;
	if (read(kept, &c, 1) != 1)
		t_check("cloexec_read", 0, "read failed");
	pid_t pid = fork();
	if (pid == 0) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "%d", gone);
		snprintf(b, sizeof(b), "%d", kept);
		char *argv[] = { (char *)t_self, "cloexec-check", a, b, NULL };
		char *envp[] = { NULL };
		execve(t_self, argv, envp);
		_exit(127);
	}
	CHECK_CHILD("cloexec_across_execve", t_wait(pid));
	close(gone);
	close(kept);
}

static void test_select_poll(void)
{
	t_write_file("sp", "data", 4, 0644);
	int fd = open("sp", O_RDWR);
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };
	CHECK("poll_regular_file_ready",
	      poll(&pf, 1, 0) == 1 && (pf.revents & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT));
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	struct timeval tv = { 0, 0 };
	CHECK("select_regular_file_ready",
	      select(fd + 1, &r, &w, NULL, &tv) == 2 && FD_ISSET(fd, &r) && FD_ISSET(fd, &w));
	lseek(fd, 0, SEEK_END);
	FD_ZERO(&r);
	FD_SET(fd, &r);
	CHECK("select_ready_at_eof", select(fd + 1, &r, NULL, NULL, &tv) == 1);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "cloexec-check"))
		return cloexec_check(argv);

	t_init("files", argv);
	test_read_write();
	test_open_flags();
	test_dirs();
	test_rename();
	test_links();
	test_readdir();
	test_stat();
	test_truncate();
	test_cwd();
	test_modes();
	test_times();
	test_dup();
	test_cloexec();
	test_select_poll();
	return t_done();
}
