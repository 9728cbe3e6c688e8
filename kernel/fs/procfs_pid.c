/*
 * procfs, per process: /proc/PID/ and /proc/PID/task/TID/ (stat, status, statm, cmdline,
 * environ, maps, comm, mounts, fd/, exe, cwd, root) and the /proc/self and /proc/thread-self
 * links, in proc(5)'s formats.
 *
 * Lifetime: an inode names its process by number only (struct pid_node), never by pointer, so
 * a stale /proc/PID can only fail: every access looks the PID up under proc_lock and answers
 * ENOENT (lookup, readlink) or ESRCH (a file opened before the process was reaped). The dentry
 * cache asks revalidate before reusing a cached name, so a gone process's names are forgotten.
 * What a generator uses after dropping proc_lock it holds a reference on (mm_get, file_get,
 * path_get).
 *
 * Files are generated at their first read (or lseek), outside vfs_lock; lookup, readdir and
 * readlink run under vfs_lock. Lock order: vfs_lock -> proc_lock -> fd table or fs_context
 * lock; an address space's lock is taken with neither vfs_lock nor proc_lock held.
 */
#include "arch/x86_64/percpu.h"
#include "fs/internal.h"
#include "fs/procfs_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "sched/sched.h"

enum pid_kind {
	PK_PID_DIR = 1, /* /proc/PID (tid 0) or /proc/PID/task/TID */
	PK_TASK_DIR,
	PK_FD_DIR,
	PK_STAT,
	PK_STATUS,
	PK_STATM,
	PK_CMDLINE,
	PK_ENVIRON,
	PK_MAPS,
	PK_COMM,
	PK_MOUNTS,
	PK_EXE,
	PK_CWD,
	PK_ROOT,
	PK_FD,
	PK_SELF,
	PK_THREAD_SELF,
};

struct pid_node {
	enum pid_kind kind;
	int pid, tid, fd; /* tid 0: the process as a whole */
};

struct pid_entry {
	const char *name;
	enum pid_kind kind;
	uint32_t mode;
};

/* A process directory's contents, in Linux's listing order where it has them. */
static const struct pid_entry pid_entries[] = {
	{ "task", PK_TASK_DIR, S_IFDIR | 0555 },
	{ "fd", PK_FD_DIR, S_IFDIR | 0500 },
	{ "environ", PK_ENVIRON, S_IFREG | 0400 },
	{ "status", PK_STATUS, S_IFREG | 0444 },
	{ "cmdline", PK_CMDLINE, S_IFREG | 0444 },
	{ "stat", PK_STAT, S_IFREG | 0444 },
	{ "statm", PK_STATM, S_IFREG | 0444 },
	{ "maps", PK_MAPS, S_IFREG | 0444 },
	{ "comm", PK_COMM, S_IFREG | 0444 },
	{ "mounts", PK_MOUNTS, S_IFREG | 0444 },
	{ "cwd", PK_CWD, S_IFLNK | 0777 },
	{ "root", PK_ROOT, S_IFLNK | 0777 },
	{ "exe", PK_EXE, S_IFLNK | 0777 },
};
#define NR_PID_ENTRIES (sizeof(pid_entries) / sizeof(pid_entries[0]))

static const struct inode_ops pid_dir_iops, pid_link_iops, pid_file_iops;
static const struct file_ops pid_dir_fops, pid_file_fops;

/* ---- finding processes (proc_lock held) ---- */

static struct process *find_proc(int pid)
{
	struct process *p = process_find(pid);
	return p && p->pid == pid ? p : NULL;
}

static struct uthread *find_thread(struct process *p, int tid)
{
	for (struct uthread *u = p->threads; u; u = u->next)
		if (u->tid == tid)
			return u;
	return NULL;
}

/* The node's process (and thread, when it names one), or NULL if gone. */
static struct process *node_proc(const struct pid_node *n, struct uthread **out)
{
	struct process *p = find_proc(n->pid);
	struct uthread *u = NULL;
	if (p && n->tid && !(u = find_thread(p, n->tid)))
		return NULL;
	if (out)
		*out = u;
	return p;
}

/* ---- inodes ---- */

static uint64_t node_ino(const struct pid_node *n)
{
	uint64_t low = n->kind == PK_FD ? (uint64_t)n->fd : (uint64_t)n->tid;
	return PROC_PID_INO_BASE | ((uint64_t)n->kind << 36) | ((uint64_t)n->pid << 20) | low;
}

static struct inode *make_inode(struct super_block *sb, enum pid_kind kind, uint32_t mode, int pid, int tid,
				int fd, uint32_t uid, uint32_t gid)
{
	struct inode *inode = inode_alloc(sb);
	struct pid_node *n = kzalloc(sizeof(*n));
	if (!inode || !n) {
		kfree(inode);
		kfree(n);
		return ERR_PTR(-ENOMEM);
	}
	*n = (struct pid_node){ kind, pid, tid, fd };
	inode->private = n;
	inode->ino = node_ino(n);
	inode->mode = mode;
	inode->uid = uid;
	inode->gid = gid;
	inode->nlink = S_ISDIR(mode) ? 2 : 1;
	if (S_ISDIR(mode)) {
		inode->iop = &pid_dir_iops;
		inode->fop = &pid_dir_fops;
	} else if (S_ISLNK(mode)) {
		inode->iop = &pid_link_iops;
	} else {
		inode->iop = &pid_file_iops;
		inode->fop = &pid_file_fops;
	}
	return inode;
}

void procfs_pid_evict(struct inode *inode)
{
	kfree(inode->private);
	inode->private = NULL;
}

static bool pid_revalidate(struct inode *inode)
{
	const struct pid_node *n = inode->private;
	if (n->kind == PK_SELF || n->kind == PK_THREAD_SELF)
		return true; /* their targets are worked out at each use */
	mutex_lock(&proc_lock);
	struct process *p = node_proc(n, NULL);
	bool ok = p != NULL;
	if (ok && n->kind == PK_FD) {
		struct file *f = p->files ? fd_get(p->files, n->fd) : NULL;
		ok = f != NULL;
		file_put(f);
	}
	mutex_unlock(&proc_lock);
	return ok;
}

/* ---- the root's part: self, thread-self, PIDs ---- */

struct inode *procfs_pid_lookup_root(struct super_block *sb, const char *name, size_t len)
{
	if (len == 4 && memcmp(name, "self", 4) == 0)
		return make_inode(sb, PK_SELF, S_IFLNK | 0777, 0, 0, 0, 0, 0);
	if (len == 11 && memcmp(name, "thread-self", 11) == 0)
		return make_inode(sb, PK_THREAD_SELF, S_IFLNK | 0777, 0, 0, 0, 0, 0);
	int pid = procfs_parse_number(name, len);
	if (pid <= 0)
		return NULL;
	mutex_lock(&proc_lock);
	struct process *p = find_proc(pid);
	int tid = 0;
	if (!p) {
		/* A thread's id works too (unlisted, as on Linux): its task/TID directory. */
		struct uthread *u = uthread_find(pid);
		p = u && u->proc->state != PROC_DEAD ? u->proc : NULL;
		tid = pid;
		pid = p ? p->pid : 0;
	}
	uint32_t uid = p ? p->cred.euid : 0, gid = p ? p->cred.egid : 0;
	mutex_unlock(&proc_lock);
	if (!p)
		return NULL;
	return make_inode(sb, PK_PID_DIR, S_IFDIR | 0555, pid, tid, 0, uid, gid);
}

/* The smallest live PID >= from, or 0. */
static int next_pid(int from)
{
	int best = 0;
	mutex_lock(&proc_lock);
	for (struct process *p = process_first(); p; p = p->all_next)
		if (p->state != PROC_DEAD && p->pid >= from && (!best || p->pid < best))
			best = p->pid;
	mutex_unlock(&proc_lock);
	return best;
}

/*
 * Gone processes' names stay cached until someone asks for them again (revalidate); listing
 * /proc, which ps and top do every time, forgets them all (vfs_lock held).
 */
static void prune_gone(struct dentry *root)
{
	struct dentry *next;
	for (struct dentry *c = root ? root->first_child : NULL; c; c = next) {
		next = c->next_sibling;
		if (c->inode && c->inode->ino >= PROC_PID_INO_BASE && !pid_revalidate(c->inode)) {
			d_prune_tree(c);
			d_drop(c);
		}
	}
}

/* Positions: first_pos "self", +1 "thread-self", +2+pid each process. */
int procfs_pid_readdir_root(struct file *f, filldir_t fill, void *ctx, uint64_t first_pos)
{
	if (f->pos <= first_pos)
		prune_gone(f->path.dentry);
	if (f->pos < first_pos)
		f->pos = first_pos;
	if (f->pos == first_pos) {
		struct pid_node n = { PK_SELF, 0, 0, 0 };
		if (fill(ctx, "self", 4, node_ino(&n), DT_LNK, first_pos + 1))
			return 0;
		f->pos = first_pos + 1;
	}
	if (f->pos == first_pos + 1) {
		struct pid_node n = { PK_THREAD_SELF, 0, 0, 0 };
		if (fill(ctx, "thread-self", 11, node_ino(&n), DT_LNK, first_pos + 2))
			return 0;
		f->pos = first_pos + 2;
	}
	for (int pid = next_pid((int)(f->pos - first_pos - 2)); pid; pid = next_pid(pid + 1)) {
		char name[16];
		int len = snprintf(name, sizeof(name), "%d", pid);
		struct pid_node n = { PK_PID_DIR, pid, 0, 0 };
		uint64_t next = first_pos + 2 + (uint64_t)pid + 1;
		if (fill(ctx, name, (size_t)len, node_ino(&n), DT_DIR, next))
			return 0;
		f->pos = next;
	}
	return 0;
}

/* ---- directories: PID (or task/TID), task, fd ---- */

static struct inode *pid_dir_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct pid_node *n = dir->private;
	struct inode *inode = NULL;
	mutex_lock(&proc_lock);
	struct process *p = node_proc(n, NULL);
	if (!p) {
		mutex_unlock(&proc_lock);
		return ERR_PTR(-ESRCH); /* as Linux, for a directory held open past its process */
	}
	uint32_t uid = p->cred.euid, gid = p->cred.egid;
	int num = procfs_parse_number(name, len);
	bool found = false;
	const struct pid_entry *e = NULL;
	if (n->kind == PK_PID_DIR) {
		for (unsigned i = 0; i < NR_PID_ENTRIES && !e; i++)
			if (strlen(pid_entries[i].name) == len && memcmp(pid_entries[i].name, name, len) == 0)
				e = &pid_entries[i];
		if (e && e->kind == PK_TASK_DIR && n->tid)
			e = NULL; /* task/TID/ has no task/ of its own */
		found = e != NULL;
	} else if (n->kind == PK_TASK_DIR) {
		found = num > 0 && find_thread(p, num);
	} else if (n->kind == PK_FD_DIR) {
		struct file *f = num >= 0 && p->files ? fd_get(p->files, num) : NULL;
		found = f != NULL;
		file_put(f);
	}
	mutex_unlock(&proc_lock);
	if (!found)
		return NULL;
	if (e)
		inode = make_inode(dir->sb, e->kind, e->mode, n->pid, n->tid, 0, uid, gid);
	else if (n->kind == PK_TASK_DIR)
		inode = make_inode(dir->sb, PK_PID_DIR, S_IFDIR | 0555, n->pid, num, 0, uid, gid);
	else
		inode = make_inode(dir->sb, PK_FD, S_IFLNK | 0700, n->pid, 0, num, uid, gid);
	return inode;
}

/* The smallest thread id >= from (task/), or open descriptor >= from (fd/); -1 if none. */
static int next_member(const struct pid_node *n, int from)
{
	int best = -1;
	mutex_lock(&proc_lock);
	struct process *p = node_proc(n, NULL);
	if (p && n->kind == PK_TASK_DIR) {
		for (struct uthread *u = p->threads; u; u = u->next)
			if (u->tid >= from && (best < 0 || u->tid < best))
				best = u->tid;
	} else if (p && p->files) {
		mutex_lock(&p->files->lock);
		for (int fd = from < 0 ? 0 : from; fd < FD_MAX && best < 0; fd++)
			if (p->files->files[fd])
				best = fd;
		mutex_unlock(&p->files->lock);
	}
	mutex_unlock(&proc_lock);
	return best;
}

static int pid_readdir(struct file *f, filldir_t fill, void *ctx)
{
	const struct pid_node *n = f->inode->private;
	if (f->pos == 0) {
		if (fill(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
			return 0;
		f->pos = 1;
	}
	if (f->pos == 1) {
		struct dentry *parent = f->path.dentry ? f->path.dentry->parent : NULL;
		uint64_t ino = parent && parent->inode ? parent->inode->ino : f->inode->ino;
		if (fill(ctx, "..", 2, ino, DT_DIR, 2))
			return 0;
		f->pos = 2;
	}
	if (n->kind == PK_PID_DIR) {
		mutex_lock(&proc_lock);
		bool alive = node_proc(n, NULL) != NULL;
		mutex_unlock(&proc_lock);
		if (!alive)
			return -ENOENT;
		for (uint64_t i = f->pos - 2; i < NR_PID_ENTRIES; i++) {
			const struct pid_entry *e = &pid_entries[i];
			if (e->kind == PK_TASK_DIR && n->tid)
				continue;
			struct pid_node c = { e->kind, n->pid, n->tid, 0 };
			if (fill(ctx, e->name, strlen(e->name), node_ino(&c), IFTODT(e->mode), i + 3))
				return 0;
			f->pos = i + 3;
		}
		return 0;
	}
	/* task/ and fd/: position 2 + id. Listing them forgets gone threads' and closed files' names. */
	if (f->pos == 2)
		prune_gone(f->path.dentry);
	for (int id = next_member(n, (int)(f->pos - 2)); id >= 0; id = next_member(n, id + 1)) {
		char name[16];
		int len = snprintf(name, sizeof(name), "%d", id);
		bool task = n->kind == PK_TASK_DIR;
		struct pid_node c = { task ? PK_PID_DIR : PK_FD, n->pid, task ? id : 0, task ? 0 : id };
		if (fill(ctx, name, (size_t)len, node_ino(&c), task ? DT_DIR : DT_LNK, (uint64_t)id + 3))
			return 0;
		f->pos = (uint64_t)id + 3;
	}
	return 0;
}

/* ---- symbolic links ---- */

static ssize_t copy_link(char *buf, size_t size, const char *text, size_t len)
{
	if (len > size)
		len = size;
	memcpy(buf, text, len);
	return (ssize_t)len;
}

/* The open file's name: its path, or pipe:[ino] / socket:[ino] / anon_inode:TYPE for nameless ones. */
static int file_link_text(struct file *f, char *out, size_t size)
{
	if (f->path.mnt && f->path.dentry)
		return namei_path_of(&f->path, out, size);
	uint32_t mode = f->inode->mode;
	if (S_ISFIFO(mode))
		return snprintf(out, size, "pipe:[%llu]", (unsigned long long)f->inode->ino);
	if (S_ISSOCK(mode))
		return snprintf(out, size, "socket:[%llu]", (unsigned long long)f->inode->ino);
	const struct super_block *sb = f->inode->sb;
	return snprintf(out, size, "anon_inode:%s", sb && sb->type ? sb->type->name : "[unknown]");
}

/* Runs under vfs_lock (inside a path walk or readlink). */
static ssize_t pid_readlink(struct inode *inode, char *buf, size_t size)
{
	const struct pid_node *n = inode->private;
	char *text = kmalloc(PATH_MAX);
	if (!text)
		return -ENOMEM;
	int len = -ENOENT;
	struct file *f = NULL;
	struct path cwd = { 0 };
	mutex_lock(&proc_lock);
	struct uthread *cu = current_uthread();
	struct process *p = n->kind == PK_SELF || n->kind == PK_THREAD_SELF ? NULL : node_proc(n, NULL);
	switch (n->kind) {
	case PK_SELF:
		if (cu)
			len = snprintf(text, PATH_MAX, "%d", cu->proc->pid);
		break;
	case PK_THREAD_SELF:
		if (cu)
			len = snprintf(text, PATH_MAX, "%d/task/%d", cu->proc->pid, cu->tid);
		break;
	case PK_EXE:
		if (p && p->mm && p->exe_path[0])
			len = (int)strlcpy(text, p->exe_path, PATH_MAX);
		break;
	case PK_ROOT:
		if (p && p->fs)
			len = (int)strlcpy(text, "/", PATH_MAX);
		break;
	case PK_CWD:
		if (p && p->fs) {
			mutex_lock(&p->fs->lock);
			cwd = p->fs->cwd;
			path_get(&cwd);
			mutex_unlock(&p->fs->lock);
		}
		break;
	case PK_FD:
		if (p && p->files)
			f = fd_get(p->files, n->fd);
		break;
	default:
		break;
	}
	mutex_unlock(&proc_lock);
	if (cwd.dentry) {
		len = namei_path_of(&cwd, text, PATH_MAX);
		path_put(&cwd);
	} else if (f) {
		len = file_link_text(f, text, PATH_MAX);
		file_put(f);
	}
	ssize_t ret = len < 0 ? len : copy_link(buf, size, text, (size_t)len < PATH_MAX ? (size_t)len : PATH_MAX - 1);
	kfree(text);
	return ret;
}

/* The open file behind fd/N (vfs_lock held), for opening the link itself. */
static struct file *pid_link_file(struct inode *inode)
{
	const struct pid_node *n = inode->private;
	if (n->kind != PK_FD)
		return NULL;
	mutex_lock(&proc_lock);
	struct process *p = node_proc(n, NULL);
	struct file *f = p && p->files ? fd_get(p->files, n->fd) : NULL;
	mutex_unlock(&proc_lock);
	return f;
}

/* ---- generated files ---- */

/* What the generators need of a process, copied under proc_lock. */
struct proc_snap {
	int pid, tid, ppid, pgid, sid, nthreads, exit_signal, exit_code;
	char comm[16];
	char state;
	int nice, prio, policy, rt_priority;
	unsigned cpu;
	uint64_t run_ns, cutime_ns, start_ns;
	sigset_t pending, shared_pending, blocked, ignored, caught;
	unsigned rt_queued;
	uint64_t rlim_rss, rlim_sigpending;
	struct creds cred;
	uint32_t umask;
	struct mm *mm; /* a reference (mm_put), or NULL for a zombie */
};

/* Address-space figures, from the VMA list (mm->lock taken here). */
struct mm_snap {
	uint64_t vsize, rss_pages, data, stack, exe, lib, text;
	uint64_t start_code, end_code, start_data, end_data, brk_start, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
};

static const char *state_name(char c)
{
	switch (c) {
	case 'R': return "R (running)";
	case 'T': return "T (stopped)";
	case 'Z': return "Z (zombie)";
	default: return "S (sleeping)";
	}
}

static char thread_state(const struct uthread *u)
{
	return __atomic_load_n(&u->thread->state, __ATOMIC_RELAXED) == THREAD_RUNNABLE ? 'R' : 'S';
}

static int snap_take(const struct pid_node *n, struct proc_snap *s)
{
	memset(s, 0, sizeof(*s));
	mutex_lock(&proc_lock);
	struct uthread *u;
	struct process *p = node_proc(n, &u);
	if (!p) {
		mutex_unlock(&proc_lock);
		return -ESRCH;
	}
	s->pid = p->pid;
	s->tid = u ? u->tid : p->pid;
	s->ppid = p->parent ? p->parent->pid : 0;
	s->pgid = p->pgid;
	s->sid = p->sid;
	s->nthreads = p->nthreads;
	s->exit_signal = p->exit_signal;
	memcpy(s->comm, p->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = 0;
	s->cutime_ns = p->cutime_ns;
	s->start_ns = p->start_ns;
	s->rt_queued = p->rt_queued;
	s->rlim_rss = p->rlim[RLIMIT_RSS].cur;
	s->rlim_sigpending = p->rlim[11].cur;
	s->cred = p->cred;
	s->umask = p->fs ? p->fs->umask : 022;
	s->shared_pending = p->shared_pending;
	if (p->state == PROC_ZOMBIE) {
		s->state = 'Z';
		s->exit_code = p->exit_status;
	} else {
		s->state = p->stopped ? 'T' : 'S';
	}
	s->run_ns = u ? 0 : p->dead_threads_ns;
	struct uthread *first = u ? u : p->threads;
	for (struct uthread *t = p->threads; t; t = t->next) {
		if (u && t != u)
			continue;
		s->run_ns += thread_runtime_ns(t->thread);
		s->pending |= t->pending;
		if (s->state == 'S' && thread_state(t) == 'R')
			s->state = 'R';
	}
	if (first) {
		struct thread *t = first->thread;
		s->blocked = first->blocked;
		s->nice = t->nice;
		s->policy = t->policy;
		s->rt_priority = t->policy == SCHED_OTHER ? 0 : t->rt_priority;
		s->prio = t->policy == SCHED_OTHER ? 20 + t->nice : -1 - t->rt_priority;
		s->cpu = t->cpu;
	}
	if (p->sighand) {
		uint64_t irq = spin_lock_irqsave(&signal_lock);
		for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
			uint64_t h = p->sighand->action[sig].handler;
			if (h == SIG_IGN)
				s->ignored |= 1ull << (sig - 1);
			else if (h != SIG_DFL)
				s->caught |= 1ull << (sig - 1);
		}
		spin_unlock_irqrestore(&signal_lock, irq);
	}
	s->mm = p->mm;
	if (s->mm)
		mm_get(s->mm);
	mutex_unlock(&proc_lock);
	return 0;
}

static void snap_put(struct proc_snap *s)
{
	if (s->mm)
		mm_put(s->mm);
	s->mm = NULL;
}

static void mm_take(struct mm *mm, struct mm_snap *m)
{
	memset(m, 0, sizeof(*m));
	if (!mm)
		return;
	mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		uint64_t len = v->end - v->start;
		m->vsize += len;
		if (v->flags & VMA_GROWSDOWN)
			m->stack += len;
		else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
			m->data += len;
		if (v->file && (v->prot & PROT_EXEC))
			m->exe += len;
	}
	m->rss_pages = mm->rss_pages;
	m->start_code = mm->start_code;
	m->end_code = mm->end_code;
	m->start_data = mm->start_data;
	m->end_data = mm->end_data;
	m->brk_start = mm->brk_start;
	m->start_stack = mm->start_stack;
	m->arg_start = mm->arg_start;
	m->arg_end = mm->arg_end;
	m->env_start = mm->env_start;
	m->env_end = mm->env_end;
	mutex_unlock(&mm->lock);
	m->text = m->end_code > m->start_code ? ((m->end_code + 4095) & ~4095ull) - (m->start_code & ~4095ull) : 0;
	m->lib = m->exe > m->text ? m->exe - m->text : 0;
	m->exe = m->text;
}

static unsigned long long ticks(uint64_t ns)
{
	return (unsigned long long)(ns / 10000000ull); /* USER_HZ = 100 */
}

/* proc(5): 52 fields; the ones Ferrite does not keep are 0. */
static int gen_stat(struct sbuf *sb, const struct pid_node *n)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (err)
		return err;
	struct mm_snap m;
	mm_take(s.mm, &m);
	sb_printf(sb, "%d (%s) %c %d %d %d 0 -1 %u 0 0 0 0 %llu 0 %llu 0 %d %d %d 0 %llu %llu %llu %llu ",
		  s.tid, s.comm, s.state, s.ppid, s.pgid, s.sid, s.mm ? 0x400000u : 0x200000u,
		  ticks(s.run_ns), ticks(s.cutime_ns), s.prio, s.nice, s.nthreads, ticks(s.start_ns),
		  (unsigned long long)m.vsize, (unsigned long long)m.rss_pages, (unsigned long long)s.rlim_rss);
	/* startcode endcode startstack kstkesp kstkeip signal blocked sigignore sigcatch wchan nswap cnswap */
	sb_printf(sb, "%llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 ", (unsigned long long)m.start_code,
		  (unsigned long long)m.end_code, (unsigned long long)m.start_stack,
		  (unsigned long long)((s.pending | s.shared_pending) & 0x7fffffff),
		  (unsigned long long)(s.blocked & 0x7fffffff), (unsigned long long)(s.ignored & 0x7fffffff),
		  (unsigned long long)(s.caught & 0x7fffffff));
	/* exit_signal processor rt_priority policy blkio guest cguest, then the data/arg/env ranges */
	sb_printf(sb, "%d %u %d %d 0 0 0 %llu %llu %llu %llu %llu %llu %llu %d\n", s.exit_signal, s.cpu,
		  s.rt_priority, s.policy, (unsigned long long)m.start_data, (unsigned long long)m.end_data,
		  (unsigned long long)m.brk_start, (unsigned long long)m.arg_start, (unsigned long long)m.arg_end,
		  (unsigned long long)m.env_start, (unsigned long long)m.env_end, s.exit_code);
	snap_put(&s);
	return 0;
}

static int gen_status(struct sbuf *sb, const struct pid_node *n)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (err)
		return err;
	struct creds *c = &s.cred;
	sb_printf(sb, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		  "TracerPid:\t0\n", s.comm, s.umask, state_name(s.state), s.pid, s.tid, s.ppid);
	sb_printf(sb, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t", c->uid, c->euid,
		  c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid, s.mm ? FD_MAX : 0);
	for (unsigned i = 0; i < c->ngroups && i < 32; i++)
		sb_printf(sb, "%u ", c->groups[i]);
	sb_printf(sb, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", s.pid, s.tid, s.pgid, s.sid);
	if (s.mm) {
		struct mm_snap m;
		mm_take(s.mm, &m);
		uint64_t rss = m.rss_pages * 4;
#define KB(name, v) sb_printf(sb, "%s:\t%8llu kB\n", name, (unsigned long long)(v))
		KB("VmPeak", m.vsize / 1024);
		KB("VmSize", m.vsize / 1024);
		KB("VmLck", 0);
		KB("VmPin", 0);
		KB("VmHWM", rss);
		KB("VmRSS", rss);
		KB("RssAnon", rss);
		KB("RssFile", 0);
		KB("RssShmem", 0);
		KB("VmData", m.data / 1024);
		KB("VmStk", m.stack / 1024);
		KB("VmExe", m.exe / 1024);
		KB("VmLib", m.lib / 1024);
		KB("VmPTE", 0);
		KB("VmSwap", 0);
		KB("HugetlbPages", 0);
#undef KB
	}
	sb_printf(sb, "CoreDumping:\t0\nThreads:\t%d\nSigQ:\t%u/%llu\n", s.nthreads, s.rt_queued,
		  (unsigned long long)s.rlim_sigpending);
	sb_printf(sb, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
		  (unsigned long long)s.pending, (unsigned long long)s.shared_pending, (unsigned long long)s.blocked,
		  (unsigned long long)s.ignored, (unsigned long long)s.caught);
	const char *cap = c->euid == 0 ? "000001ffffffffff" : "0000000000000000";
	sb_printf(sb, "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t000001ffffffffff\n"
		  "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n", cap, cap);
	uint64_t mask = cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;
	sb_printf(sb, "Cpus_allowed:\t%llx\nCpus_allowed_list:\t0", (unsigned long long)mask);
	if (cpu_count > 1)
		sb_printf(sb, "-%u", cpu_count - 1);
	sb_printf(sb, "\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	snap_put(&s);
	return 0;
}

/* size resident shared text lib data dt, in pages. */
static int gen_statm(struct sbuf *sb, const struct pid_node *n)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (err)
		return err;
	struct mm_snap m;
	mm_take(s.mm, &m);
	sb_printf(sb, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)(m.vsize / 4096),
		  (unsigned long long)m.rss_pages, (unsigned long long)(m.text / 4096),
		  (unsigned long long)((m.data + m.stack) / 4096));
	snap_put(&s);
	return 0;
}

static int gen_comm(struct sbuf *sb, const struct pid_node *n)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (!err)
		sb_printf(sb, "%s\n", s.comm);
	snap_put(&s);
	return err;
}

/* The argument or environment strings, read from the process's memory. */
static int gen_user_range(struct sbuf *sb, const struct pid_node *n, bool env)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (err)
		return err;
	struct mm_snap m;
	mm_take(s.mm, &m);
	uint64_t start = env ? m.env_start : m.arg_start, end = env ? m.env_end : m.arg_end;
	char *chunk = s.mm && end > start ? kmalloc(4096) : NULL;
	for (uint64_t a = start; chunk && a < end && end - start <= (1u << 21);) {
		size_t len = end - a < 4096 ? end - a : 4096;
		if (mm_copy_from(s.mm, chunk, a, len))
			break; /* unmapped by the program: what was readable */
		sb_putmem(sb, chunk, len);
		a += len;
	}
	kfree(chunk);
	snap_put(&s);
	return 0;
}

struct map_line {
	uint64_t start, end, off;
	unsigned prot, flags;
	struct file *file;
};

static void put_map_line(struct sbuf *sb, const struct map_line *l, char *path)
{
	struct procfs_map m = { .start = l->start, .end = l->end, .prot = l->prot,
				.shared = (l->flags & VMA_SHARED) != 0 };
	if (l->file) {
		dev_t dev = l->file->inode->sb ? l->file->inode->sb->dev : 0;
		m.off = l->off;
		m.ino = l->file->inode->ino;
		m.major = MAJOR(dev);
		m.minor = MINOR(dev);
		m.name = file_link_text(l->file, path, PATH_MAX) >= 0 ? path : "";
	} else if (l->flags & VMA_HEAP) {
		m.name = "[heap]";
	} else if (l->flags & VMA_GROWSDOWN) {
		m.name = "[stack]";
	}
	procfs_maps_line(sb, &m);
}

static int gen_maps(struct sbuf *sb, const struct pid_node *n)
{
	struct proc_snap s;
	int err = snap_take(n, &s);
	if (err || !s.mm)
		return err;
	struct mm *mm = s.mm;
	struct map_line *lines = NULL;
	size_t count = 0;
	mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next)
		count++;
	if (count)
		lines = kmalloc(count * sizeof(*lines));
	size_t i = 0;
	for (struct vma *v = mm->vmas; lines && v && i < count; v = v->next, i++) {
		lines[i] = (struct map_line){ v->start, v->end, v->file_off, v->prot, v->flags, v->file };
		if (v->file)
			file_get(v->file);
	}
	mutex_unlock(&mm->lock);
	char *path = kmalloc(PATH_MAX);
	if (count && (!lines || !path))
		err = -ENOMEM;
	for (size_t j = 0; j < i; j++) {
		if (!err) {
			if (lines[j].file) {
				mutex_lock(&vfs_lock);
				put_map_line(sb, &lines[j], path);
				mutex_unlock(&vfs_lock);
			} else {
				put_map_line(sb, &lines[j], path);
			}
		}
		file_put(lines[j].file);
	}
	kfree(path);
	kfree(lines);
	snap_put(&s);
	return err;
}

static int gen_mounts(struct sbuf *sb, const struct pid_node *n)
{
	mutex_lock(&proc_lock);
	bool alive = node_proc(n, NULL) != NULL;
	mutex_unlock(&proc_lock);
	if (!alive)
		return -ESRCH;
	mutex_lock(&vfs_lock);
	sb->len = procfs_gen_mounts(sb->buf, sb->size);
	mutex_unlock(&vfs_lock);
	return 0;
}

static int gen_pid_file(struct sbuf *sb, void *ctx)
{
	const struct pid_node *n = ctx;
	switch (n->kind) {
	case PK_STAT: return gen_stat(sb, n);
	case PK_STATUS: return gen_status(sb, n);
	case PK_STATM: return gen_statm(sb, n);
	case PK_COMM: return gen_comm(sb, n);
	case PK_CMDLINE: return gen_user_range(sb, n, false);
	case PK_ENVIRON: return gen_user_range(sb, n, true);
	case PK_MAPS: return gen_maps(sb, n);
	case PK_MOUNTS: return gen_mounts(sb, n);
	default: return -EINVAL;
	}
}

/* An open file: its text is made at the first read or lseek (outside vfs_lock, which open runs under). */
struct pid_file {
	struct mutex lock;
	bool made;
	int err;
	struct proc_buf pb;
};

static int pid_open(struct inode *inode, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (!pid_revalidate(inode))
		return -ESRCH;
	struct pid_file *pf = kzalloc(sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	f->private = pf;
	return 0;
}

static int pid_file_make(struct file *f)
{
	struct pid_file *pf = f->private;
	mutex_lock(&pf->lock);
	if (!pf->made) {
		pf->err = procfs_generate(&pf->pb, gen_pid_file, f->inode->private);
		pf->made = true;
	}
	mutex_unlock(&pf->lock);
	return pf->err;
}

static ssize_t pid_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	int err = pid_file_make(f);
	if (err)
		return err;
	return procfs_buf_read(&((struct pid_file *)f->private)->pb, buf, len, pos);
}

static int64_t pid_llseek(struct file *f, int64_t off, int whence)
{
	int err = pid_file_make(f);
	if (err)
		return err;
	return vfs_llseek_end(f, off, whence, ((struct pid_file *)f->private)->pb.len);
}

static void pid_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct pid_file *pf = f->private;
	if (!pf)
		return;
	procfs_buf_free(&pf->pb);
	kfree(pf);
	f->private = NULL;
}

static int pid_setattr(struct inode *inode, const struct iattr *attr)
{
	(void)inode;
	(void)attr;
	return -EPERM;
}

static const struct inode_ops pid_dir_iops = {
	.lookup = pid_dir_lookup,
	.setattr = pid_setattr,
	.revalidate = pid_revalidate,
};
static const struct inode_ops pid_link_iops = {
	.readlink = pid_readlink,
	.link_file = pid_link_file,
	.setattr = pid_setattr,
	.revalidate = pid_revalidate,
};
static const struct inode_ops pid_file_iops = { .setattr = pid_setattr, .revalidate = pid_revalidate };
static const struct file_ops pid_dir_fops = { .readdir = pid_readdir };
static const struct file_ops pid_file_fops = {
	.open = pid_open,
	.release = pid_release,
	.read = pid_read,
	.llseek = pid_llseek,
};
