/*
 * ktests for /proc/PID: a hand-built process (an address space with argument and environment
 * strings, a pipe on descriptors 0 and 1, a comm with parentheses) is read back through every
 * per-process file, then reaped: its names must vanish and a file opened before must say ESRCH.
 */
#include "fs/pipe.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "test/ktest.h"

#define KBUF 8192

/* The whole file, read 7 bytes at a time so that offsets matter: its length or -errno. */
static ssize_t read_all(const char *path, char *buf, size_t size)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	size_t got = 0;
	ssize_t n = 0;
	while (got < size - 1 && (n = vfs_read(f, buf + got, size - 1 - got < 7 ? size - 1 - got : 7)) > 0)
		got += (size_t)n;
	file_put(f);
	buf[got] = 0;
	return n < 0 ? n : (ssize_t)got;
}

/* Entries of a directory (with . and ..), or -errno; sets *seen when name is among them. */
static int count_entries(const char *path, const char *name, bool *seen)
{
	struct file *d;
	int err = vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &d);
	if (err)
		return err;
	static char dbuf[2048];
	ssize_t n;
	int count = 0;
	*seen = false;
	while ((n = vfs_getdents64(d, dbuf, sizeof(dbuf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dbuf + off);
			if (strcmp(e->d_name, name) == 0)
				*seen = true;
			count++;
			off += e->d_reclen;
		}
	}
	file_put(d);
	return n < 0 ? (int)n : count;
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return true;
	return false;
}

struct fake {
	struct process *p;
	struct file *rd, *wr;
	char dir[32];
};

static bool fake_start(struct fake *fk)
{
	if (vfs_init() || procfs_init())
		return false;
	struct process *p = process_alloc();
	if (!p)
		return false;
	fk->p = p;
	strlcpy(p->comm, "kt(x) y", sizeof(p->comm));
	strlcpy(p->exe_path, "/bin/kt", sizeof(p->exe_path));
	p->exit_signal = SIGCHLD;
	p->mm = mm_create();
	p->files = fd_table_new();
	p->fs = fs_context_new();
	if (!p->mm || !p->files || !p->fs || pipe_create(0, &fk->rd, &fk->wr))
		return false;
	if (mm_mmap(p->mm, 0x400000, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    NULL, 0) != 0x400000)
		return false;
	if (mm_copy_to(p->mm, 0x400000, "one\0two\0K=V\0", 12))
		return false;
	p->mm->arg_start = 0x400000;
	p->mm->arg_end = p->mm->env_start = 0x400008;
	p->mm->env_end = 0x40000c;
	if (fd_install(p->files, fk->rd, 0, FD_MAX, 0) != 0 || fd_install(p->files, fk->wr, 0, FD_MAX, 0) != 1)
		return false;
	snprintf(fk->dir, sizeof(fk->dir), "/proc/%d", p->pid);
	return true;
}

/* What exit and wait do to a process, in short: resources go, then the process. */
static void fake_reap(struct fake *fk)
{
	struct process *p = fk->p;
	if (!p)
		return;
	mutex_lock(&proc_lock);
	struct mm *mm = p->mm;
	struct fd_table *files = p->files;
	struct fs_context *fs = p->fs;
	p->mm = NULL;
	p->files = NULL;
	p->fs = NULL;
	p->state = PROC_DEAD;
	process_put(p);
	mutex_unlock(&proc_lock);
	if (mm)
		mm_put(mm);
	fd_table_put(files);
	if (fs)
		fs_context_put(fs);
	file_put(fk->rd);
	file_put(fk->wr);
	fk->p = NULL;
}

static char *path_in(const struct fake *fk, const char *name)
{
	static char path[64];
	snprintf(path, sizeof(path), "%s/%s", fk->dir, name);
	return path;
}

/* The n-th (1-based) space-separated field of /proc/PID/stat after the comm's closing ')'. */
static uint64_t stat_field(const char *stat, int n)
{
	const char *p = strrchr(stat, ')');
	for (int field = 2; p && field < n; field++)
		p = strchr(p + 1, ' ');
	uint64_t v = 0;
	for (p = p ? p + 1 : ""; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

KTEST(procfs_pid_files)
{
	struct fake fk = { 0 };
	char *buf = kmalloc(KBUF);
	KT_ASSERT(buf);
	bool ok = fake_start(&fk);
	if (!ok)
		fake_reap(&fk);
	KT_ASSERT(ok);
	int pid = fk.p->pid;
	char want[128];

	/* stat: 52 fields; the comm keeps its parentheses; the address-space figures. */
	KT_ASSERT(read_all(path_in(&fk, "stat"), buf, KBUF) > 0);
	snprintf(want, sizeof(want), "%d (kt(x) y) S 0 ", pid);
	KT_ASSERT(strncmp(buf, want, strlen(want)) == 0);
	unsigned spaces = 0;
	for (const char *p = strrchr(buf, ')'); *p; p++)
		spaces += *p == ' ';
	KT_ASSERT_EQ(spaces + 2, 52u);
	KT_ASSERT_EQ(stat_field(buf, 20), 0u);        /* num_threads */
	KT_ASSERT_EQ(stat_field(buf, 23), 16384u);    /* vsize */
	KT_ASSERT_EQ(stat_field(buf, 38), (uint64_t)SIGCHLD);
	KT_ASSERT_EQ(stat_field(buf, 48), 0x400000u); /* arg_start */
	KT_ASSERT_EQ(stat_field(buf, 51), 0x40000cu); /* env_end */
	KT_ASSERT(buf[strlen(buf) - 1] == '\n');

	KT_ASSERT(read_all(path_in(&fk, "status"), buf, KBUF) > 0);
	KT_ASSERT(strncmp(buf, "Name:\tkt(x) y\nUmask:\t0022\nState:\tS (sleeping)\n", 45) == 0);
	snprintf(want, sizeof(want), "\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t0\n", pid, pid);
	KT_ASSERT(contains(buf, want));
	KT_ASSERT(contains(buf, "\nUid:\t0\t0\t0\t0\n"));
	KT_ASSERT(contains(buf, "\nVmSize:\t      16 kB\n"));
	KT_ASSERT(contains(buf, "\nThreads:\t0\n"));
	KT_ASSERT(contains(buf, "\nSigBlk:\t0000000000000000\n"));

	KT_ASSERT_EQ(read_all(path_in(&fk, "cmdline"), buf, KBUF), 8);
	KT_ASSERT(memcmp(buf, "one\0two\0", 8) == 0);
	KT_ASSERT_EQ(read_all(path_in(&fk, "environ"), buf, KBUF), 4);
	KT_ASSERT(memcmp(buf, "K=V\0", 4) == 0);
	KT_ASSERT(read_all(path_in(&fk, "comm"), buf, KBUF) > 0);
	KT_ASSERT(strcmp(buf, "kt(x) y\n") == 0);
	KT_ASSERT(read_all(path_in(&fk, "maps"), buf, KBUF) > 0);
	KT_ASSERT(strcmp(buf, "00400000-00404000 rw-p 00000000 00:00 0 \n") == 0);
	KT_ASSERT(read_all(path_in(&fk, "statm"), buf, KBUF) > 0);
	KT_ASSERT(strncmp(buf, "4 ", 2) == 0);
	KT_ASSERT(read_all(path_in(&fk, "mounts"), buf, KBUF) > 0);
	KT_ASSERT(contains(buf, " /proc proc "));

	/* Links: descriptors name their pipe, exe and cwd their paths. */
	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)fk.rd->inode->ino);
	ssize_t n = vfs_readlink(NULL, path_in(&fk, "fd/0"), buf, KBUF);
	KT_ASSERT_EQ(n, (ssize_t)strlen(want));
	KT_ASSERT(memcmp(buf, want, (size_t)n) == 0);
	KT_ASSERT_EQ(vfs_readlink(NULL, path_in(&fk, "fd/7"), buf, KBUF), -ENOENT);
	KT_ASSERT_EQ(vfs_readlink(NULL, path_in(&fk, "exe"), buf, KBUF), 7);
	KT_ASSERT(memcmp(buf, "/bin/kt", 7) == 0);
	KT_ASSERT_EQ(vfs_readlink(NULL, path_in(&fk, "cwd"), buf, KBUF), 1);
	KT_ASSERT_EQ(vfs_readlink(NULL, path_in(&fk, "root"), buf, KBUF), 1);
	struct kstat st;
	KT_ASSERT_EQ(vfs_stat(NULL, path_in(&fk, "cwd/proc/version"), true, &st), 0); /* followed */
	KT_ASSERT_EQ(vfs_readlink(NULL, "/proc/self", buf, KBUF), -ENOENT); /* a kernel thread */

	/* Listings. */
	bool seen;
	char name[16];
	snprintf(name, sizeof(name), "%d", pid);
	KT_ASSERT(count_entries("/proc", name, &seen) > 0 && seen);
	KT_ASSERT(count_entries("/proc", "self", &seen) > 0 && seen);
	KT_ASSERT_EQ(count_entries(path_in(&fk, "fd"), "1", &seen), 4);
	KT_ASSERT(seen);
	KT_ASSERT_EQ(count_entries(fk.dir, "status", &seen), 15);
	KT_ASSERT(seen);
	KT_ASSERT_EQ(count_entries(path_in(&fk, "task"), ".", &seen), 2);
	KT_ASSERT_EQ(vfs_stat(NULL, path_in(&fk, "nope"), true, &st), -ENOENT);

	/* Reaped: a file opened before says ESRCH, every name ENOENT, the listing forgets it. */
	struct file *early;
	KT_ASSERT_EQ(vfs_open(NULL, path_in(&fk, "status"), O_RDONLY, 0, &early), 0);
	char dir[32];
	strlcpy(dir, fk.dir, sizeof(dir));
	fake_reap(&fk);
	KT_ASSERT_EQ(vfs_read(early, buf, 16), -ESRCH);
	file_put(early);
	KT_ASSERT_EQ(vfs_stat(NULL, dir, true, &st), -ENOENT);
	snprintf(want, sizeof(want), "%s/stat", dir);
	KT_ASSERT_EQ(read_all(want, buf, KBUF), -ENOENT);
	snprintf(want, sizeof(want), "%s/fd/0", dir);
	KT_ASSERT_EQ(vfs_readlink(NULL, want, buf, KBUF), -ENOENT);
	KT_ASSERT(count_entries("/proc", name, &seen) > 0 && !seen);
	kfree(buf);
}

KTEST(procfs_pid_names_checked)
{
	KT_ASSERT_EQ(vfs_init(), 0);
	procfs_init();
	struct kstat st;
	/* Leading zeros, signs, huge numbers and PIDs nobody has are not processes. */
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/01", true, &st), -ENOENT);
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/+1", true, &st), -ENOENT);
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/99999999999", true, &st), -ENOENT);
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/32767", true, &st), -ENOENT);
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/0", true, &st), -ENOENT);
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/self", false, &st), 0);
	KT_ASSERT(S_ISLNK(st.mode));
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/proc/self/stat", O_RDONLY, 0, &f), -ENOENT); /* no process */
}
