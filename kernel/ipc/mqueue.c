/*
 * POSIX message queues and the "mqueue" file system. Every queue is a regular inode of one
 * superblock (each mount of type mqueue shows the same queues, like Linux's per-namespace
 * instance); mq_open and mq_unlink go through the VFS relative to the /dev/mqueue mount, so
 * names made either way are the same names. A queue keeps its messages sorted by priority,
 * highest first, FIFO among equals. Reading a queue's file gives Linux's status line; mq
 * descriptors poll readable with a message queued and writable with room.
 *
 * mq_notify: one process may register; a message arriving in an empty queue while no receiver
 * sleeps sends its signal (SIGEV_SIGNAL) or nothing (SIGEV_NONE), and the registration ends.
 */
#include "ipc/ipc_internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"

#define MQ_MAGIC 0x19800202 /* Linux's MQUEUE_MAGIC */
#define DFLT_MAXMSG  10
#define DFLT_MSGSIZE 8192
#define HARD_MAXMSG  65536      /* root's limits (Linux's HARD_MSGMAX, HARD_MSGSIZEMAX) */
#define HARD_MSGSIZE (16 << 20)
#define SI_MESGQ (-3)

struct mq_msg {
	struct mq_msg *next;
	unsigned prio;
	size_t len;
	char data[];
};

struct mqueue {
	struct mutex lock;        /* everything below */
	int64_t maxmsg, msgsize, curmsgs;
	uint64_t bytes;           /* what the queue may hold, charged to RLIMIT_MSGQUEUE */
	uint64_t qsize;           /* bytes of message text queued (QSIZE) */
	struct mq_msg *head;      /* highest priority first */
	struct waitqueue wait;    /* senders and receivers; woken on every change */
	uint64_t gen;
	int receivers;            /* sleeping in mq_receive (a notification waits for none) */
	int notify_pid;           /* 0: no registration */
	struct sigevent_u notify;
	uint32_t notify_uid;
};

/* The root directory: a list of names, each holding its queue inode while linked (nlink). */
struct mq_dirent {
	char name[NAME_MAX + 1];
	size_t len;
	struct inode *inode;
	uint64_t cookie;
	struct mq_dirent *next;
};

static struct super_block *mq_sb;
static struct mq_dirent *mq_entries;
static uint64_t mq_cookie_next = 3, mq_ino_next = 2;
static struct path mq_root;    /* /dev/mqueue, held so that it stays mounted */
static const struct inode_ops mq_dir_iops;
static const struct file_ops mq_dir_fops, mq_fops;

/* mq_open's attributes for the create it is about to cause (vfs_lock orders them). */
static struct mutex mq_create_lock = MUTEX_INIT;
static const struct mq_attr_u *mq_create_attr;
static struct thread *mq_create_owner;

#define MQ(inode) ((struct mqueue *)(inode)->private)

bool file_is_mqueue(const struct file *f)
{
	return f->fop == &mq_fops;
}

static void mq_evict(struct inode *inode)
{
	if (inode->nlink)
		return; /* still named: stays */
	struct mqueue *q = MQ(inode);
	if (q) {
		while (q->head) {
			struct mq_msg *m = q->head;
			q->head = m->next;
			kfree(m);
		}
		kfree(q);
	}
	kfree(inode);
}

static const struct super_ops mq_sops = { .evict_inode = mq_evict };

/* ---- the directory (vfs_lock held by the VFS around every call) ---- */

static struct mq_dirent *dir_find(const char *name, size_t len)
{
	for (struct mq_dirent *e = mq_entries; e; e = e->next)
		if (e->len == len && !memcmp(e->name, name, len))
			return e;
	return NULL;
}

static struct inode *mq_lookup(struct inode *dir, const char *name, size_t len)
{
	(void)dir;
	struct mq_dirent *e = dir_find(name, len);
	return e ? inode_get(e->inode) : NULL;
}

static int mq_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	if (dir_find(name, len))
		return -EEXIST;
	struct mq_attr_u dflt = { .mq_maxmsg = DFLT_MAXMSG, .mq_msgsize = DFLT_MSGSIZE };
	const struct mq_attr_u *attr = mq_create_owner == current_thread() && mq_create_attr ? mq_create_attr : &dflt;
	/* Linux charges maxmsg * (msgsize + bookkeeping) to the owner's RLIMIT_MSGQUEUE: -EMFILE
	 * beyond it. FIXME: queues already unlinked but still open are not counted. */
	struct process *p = current_process();
	uint64_t bytes = (uint64_t)attr->mq_maxmsg * ((uint64_t)attr->mq_msgsize + sizeof(struct mq_msg) + 16);
	uint64_t used = 0;
	for (struct mq_dirent *o = mq_entries; o; o = o->next)
		if (o->inode->uid == p->cred.fsuid)
			used += MQ(o->inode)->bytes;
	if (used + bytes > p->rlim[12].cur) /* RLIMIT_MSGQUEUE */
		return -EMFILE;
	struct inode *inode = inode_alloc(mq_sb);
	struct mqueue *q = kzalloc(sizeof(*q));
	struct mq_dirent *e = kzalloc(sizeof(*e));
	if (!inode || !q || !e) {
		kfree(inode);
		kfree(q);
		kfree(e);
		return -ENOMEM;
	}
	mutex_init(&q->lock);
	waitqueue_init(&q->wait);
	q->maxmsg = attr->mq_maxmsg;
	q->msgsize = attr->mq_msgsize;
	q->bytes = bytes;
	inode->ino = mq_ino_next++;
	inode->mode = S_IFREG | (mode & 07777);
	inode->uid = p->cred.fsuid;
	inode->gid = p->cred.fsgid;
	inode->nlink = 1;
	inode->iop = NULL;
	inode->fop = &mq_fops;
	inode->private = q;
	memcpy(e->name, name, len);
	e->len = len;
	e->inode = inode;
	e->cookie = mq_cookie_next++;
	struct mq_dirent **tail = &mq_entries;
	while (*tail)
		tail = &(*tail)->next;
	*tail = e;
	dir->mtime = dir->ctime = vfs_now();
	*out = inode;
	return 0;
}

static int mq_dir_unlink(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	for (struct mq_dirent **pp = &mq_entries; *pp; pp = &(*pp)->next) {
		struct mq_dirent *e = *pp;
		if (e->len == len && !memcmp(e->name, name, len) && e->inode == victim) {
			*pp = e->next;
			kfree(e);
			victim->nlink = 0;
			victim->ctime = dir->mtime = dir->ctime = vfs_now();
			return 0;
		}
	}
	return -ENOENT;
}

static int mq_readdir(struct file *f, filldir_t fill, void *ctx)
{
	struct inode *dir = f->inode;
	uint64_t pos = f->pos;
	if (pos == 0) {
		if (fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
			return 0;
		pos = 1;
	}
	if (pos == 1) {
		if (fill(ctx, "..", 2, dir->ino, DT_DIR, 2))
			return 0;
		pos = 2;
	}
	for (struct mq_dirent *e = mq_entries; e; e = e->next) {
		if (e->cookie < pos)
			continue;
		if (fill(ctx, e->name, e->len, e->inode->ino, DT_REG, e->cookie + 1))
			return 0;
	}
	return 0;
}

static const struct inode_ops mq_dir_iops = { .lookup = mq_lookup, .create = mq_create, .unlink = mq_dir_unlink };
static const struct file_ops mq_dir_fops = { .readdir = mq_readdir };

/* ---- the file system ---- */

static int mq_fs_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	(void)type;
	(void)dev;
	(void)data;
	*out = mq_sb; /* every mount shows the one instance */
	return mq_sb ? 0 : -ENODEV;
}

static void mq_fs_kill_sb(struct super_block *sb)
{
	(void)sb; /* the instance outlives its mounts */
}

static struct fs_type mqueue_type = { .name = "mqueue", .mount = mq_fs_mount, .kill_sb = mq_fs_kill_sb };

int mqueue_init(void)
{
	struct super_block *sb = kzalloc(sizeof(*sb));
	struct inode *root = sb ? inode_alloc(sb) : NULL;
	if (!root) {
		kfree(sb);
		return -ENOMEM;
	}
	sb->type = &mqueue_type;
	sb->sop = &mq_sops;
	sb->dev = vfs_alloc_anon_dev();
	sb->magic = MQ_MAGIC;
	sb->block_size = 4096;
	root->ino = 1;
	root->mode = S_IFDIR | 01777;
	root->nlink = 2;
	root->iop = &mq_dir_iops;
	root->fop = &mq_dir_fops;
	sb->root = d_make_root(root);
	if (!sb->root)
		return -ENOMEM;
	mq_sb = sb;
	return vfs_register_fs(&mqueue_type);
}

/* After /dev/mqueue is mounted (ipc_init): mq_open's starting point. */
int mqueue_hold_root(void)
{
	return vfs_lookup(NULL, "/dev/mqueue", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &mq_root);
}

/* ---- opening and unlinking by name ---- */

static int check_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EACCES; /* Linux's lookup_one_len refusals */
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (!mq_root.mnt || mq_root.mnt->sb != mq_sb)
		return -ENOSYS;
	return 0;
}

/* The access a queue's mode grants the current process (ipcperms-like, root passes). */
static int check_access(struct inode *inode, int oflag)
{
	const struct creds *c = &current_process()->cred;
	if (c->fsuid == 0)
		return 0;
	unsigned acc = oflag & O_ACCMODE;
	unsigned want = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
	unsigned m = inode->mode;
	unsigned have = c->fsuid == inode->uid ? m >> 6 : c->fsgid == inode->gid ? m >> 3 : m;
	return (want & ~have & 7) ? -EACCES : 0;
}

int mq_open_file(const char *name, int oflag, uint32_t mode, const struct mq_attr_u *attr, struct file **out)
{
	int err = check_name(name);
	if (err)
		return err;
	if ((oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if ((oflag & O_CREAT) && attr) {
		bool root = privileged();
		if (attr->mq_maxmsg <= 0 || attr->mq_msgsize <= 0 ||
		    attr->mq_maxmsg > (root ? HARD_MAXMSG : DFLT_MAXMSG) ||
		    attr->mq_msgsize > (root ? HARD_MSGSIZE : DFLT_MSGSIZE))
			return -EINVAL;
	}
	unsigned flags = (unsigned)oflag & (O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK);
	mode &= ~current_process()->fs->umask;
	mutex_lock(&mq_create_lock);
	mq_create_attr = attr;
	mq_create_owner = current_thread();
	struct file *f;
	err = vfs_open(&mq_root, name, flags, mode & 0777, &f);
	mq_create_attr = NULL;
	mq_create_owner = NULL;
	mutex_unlock(&mq_create_lock);
	if (err)
		return err;
	if (!file_is_mqueue(f) || (!(oflag & O_CREAT) && (err = check_access(f->inode, oflag)))) {
		file_put(f);
		return err ? err : -EACCES;
	}
	*out = f;
	return 0;
}

int mq_unlink_name(const char *name)
{
	int err = check_name(name);
	return err ? err : vfs_unlink(&mq_root, name);
}

/* ---- sending and receiving ---- */

struct mq_wait {
	uint64_t *gen;
	uint64_t seen;
};

static bool gen_changed(void *arg)
{
	struct mq_wait *w = arg;
	return __atomic_load_n(w->gen, __ATOMIC_ACQUIRE) != w->seen;
}

static void changed(struct mqueue *q)
{
	__atomic_add_fetch(&q->gen, 1, __ATOMIC_ACQ_REL);
	wake_up_all(&q->wait);
}

/* Sleeps (q->lock dropped) until the queue changes: 0, -ETIMEDOUT or -ERESTARTSYS. */
static int wait_change(struct mqueue *q, uint64_t deadline_ns)
{
	struct mq_wait w = { &q->gen, q->gen };
	mutex_unlock(&q->lock);
	int r = wait_interruptible_until(&q->wait, gen_changed, &w, deadline_ns);
	mutex_lock(&q->lock);
	return r == -EINTR ? -ERESTARTSYS : r;
}

int mq_send(struct file *f, const void *msg, size_t len, unsigned prio, uint64_t deadline_ns)
{
	struct mqueue *q = MQ(f->inode);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (prio >= MQ_PRIO_MAX)
		return -EINVAL;
	if ((int64_t)len > q->msgsize)
		return -EMSGSIZE;
	struct mq_msg *m = kmalloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->prio = prio;
	m->len = len;
	memcpy(m->data, msg, len);
	int err = 0;
	struct siginfo_k info = { 0 };
	int notify_pid = 0;
	mutex_lock(&q->lock);
	while (q->curmsgs >= q->maxmsg) {
		if (f->flags & O_NONBLOCK) {
			err = -EAGAIN;
			goto out;
		}
		if ((err = wait_change(q, deadline_ns)))
			goto out;
	}
	struct mq_msg **pp = &q->head;
	while (*pp && (*pp)->prio >= prio)
		pp = &(*pp)->next;
	m->next = *pp;
	*pp = m;
	m = NULL;
	if (q->curmsgs++ == 0 && q->notify_pid && q->receivers == 0) {
		/* The empty queue got a message and nobody waits for it: notify, once. */
		if (q->notify.sigev_notify == SIGEV_SIGNAL) {
			struct process *me = current_process();
			notify_pid = q->notify_pid;
			info.signo = q->notify.sigev_signo;
			info.code = SI_MESGQ;
			info.pid = me->pid;
			info.uid = me->cred.uid;
			info.value = q->notify.sigev_value;
		}
		q->notify_pid = 0;
	}
	q->qsize += len;
	f->inode->mtime = f->inode->ctime = vfs_now();
	changed(q);
out:
	mutex_unlock(&q->lock);
	kfree(m);
	if (notify_pid) { /* outside q->lock: exit holds proc_lock when it closes queues */
		mutex_lock(&proc_lock);
		struct process *p = process_find(notify_pid);
		if (p && p->state == PROC_ALIVE)
			send_signal_process(p, &info);
		mutex_unlock(&proc_lock);
	}
	return err;
}

ssize_t mq_receive(struct file *f, void *buf, size_t len, unsigned *prio, uint64_t deadline_ns)
{
	struct mqueue *q = MQ(f->inode);
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if ((int64_t)len < q->msgsize)
		return -EMSGSIZE;
	ssize_t ret = 0;
	mutex_lock(&q->lock);
	while (!q->head) {
		if (f->flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		q->receivers++;
		int r = wait_change(q, deadline_ns);
		q->receivers--;
		if (r) {
			ret = r;
			goto out;
		}
	}
	struct mq_msg *m = q->head;
	q->head = m->next;
	q->curmsgs--;
	q->qsize -= m->len;
	f->inode->atime = f->inode->ctime = vfs_now();
	changed(q);
	mutex_unlock(&q->lock);
	memcpy(buf, m->data, m->len);
	*prio = m->prio;
	ret = (ssize_t)m->len;
	kfree(m);
	return ret;
out:
	mutex_unlock(&q->lock);
	return ret;
}

int mq_notify_set(struct file *f, const struct sigevent_u *ev)
{
	struct mqueue *q = MQ(f->inode);
	struct process *me = current_process();
	if (ev) {
		if (ev->sigev_notify != SIGEV_SIGNAL && ev->sigev_notify != SIGEV_NONE)
			return -EINVAL; /* SIGEV_THREAD needs a netlink socket: not here */
		if (ev->sigev_notify == SIGEV_SIGNAL && (ev->sigev_signo < 1 || ev->sigev_signo >= NSIG))
			return -EINVAL;
	}
	/* A registration whose process is gone no longer counts. proc_lock is never taken under
	 * q->lock: exit closes queues (mq_release takes q->lock) while holding proc_lock. */
	mutex_lock(&q->lock);
	int owner = q->notify_pid;
	mutex_unlock(&q->lock);
	bool gone = false;
	if (owner) {
		mutex_lock(&proc_lock);
		struct process *p = process_find(owner);
		gone = !p || p->state != PROC_ALIVE;
		mutex_unlock(&proc_lock);
	}
	int err = 0;
	mutex_lock(&q->lock);
	if (gone && q->notify_pid == owner)
		q->notify_pid = 0;
	if (!ev) {
		if (q->notify_pid == me->pid)
			q->notify_pid = 0;
	} else if (q->notify_pid) {
		err = -EBUSY;
	} else {
		q->notify = *ev;
		q->notify_pid = me->pid;
		q->notify_uid = me->cred.uid;
	}
	mutex_unlock(&q->lock);
	return err;
}

void mq_getattr(struct file *f, struct mq_attr_u *out)
{
	struct mqueue *q = MQ(f->inode);
	memset(out, 0, sizeof(*out));
	mutex_lock(&q->lock);
	out->mq_flags = f->flags & O_NONBLOCK;
	out->mq_maxmsg = q->maxmsg;
	out->mq_msgsize = q->msgsize;
	out->mq_curmsgs = q->curmsgs;
	mutex_unlock(&q->lock);
}

/* ---- the queue's file: status line, poll ---- */

static ssize_t mq_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct mqueue *q = MQ(f->inode);
	char line[128];
	mutex_lock(&q->lock);
	bool sig = q->notify_pid && q->notify.sigev_notify == SIGEV_SIGNAL;
	int n = snprintf(line, sizeof(line), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
			 (unsigned long)q->qsize, q->notify_pid ? q->notify.sigev_notify : 0,
			 sig ? q->notify.sigev_signo : 0, q->notify_pid);
	mutex_unlock(&q->lock);
	if (*pos >= (uint64_t)n)
		return 0;
	size_t k = (size_t)n - *pos < len ? (size_t)n - *pos : len;
	memcpy(buf, line + *pos, k);
	*pos += k;
	return (ssize_t)k;
}

static unsigned mq_poll(struct file *f, struct poll_table *pt)
{
	struct mqueue *q = MQ(f->inode);
	poll_wait(pt, &q->wait);
	unsigned ev = 0;
	mutex_lock(&q->lock);
	if (q->curmsgs > 0)
		ev |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		ev |= POLLOUT | POLLWRNORM;
	mutex_unlock(&q->lock);
	return ev;
}

static void mq_release(struct inode *inode, struct file *f)
{
	(void)f;
	/* Linux drops a registration when its owner closes a descriptor of the queue. */
	struct mqueue *q = MQ(inode);
	struct uthread *u = current_thread()->uth;
	if (!u)
		return;
	mutex_lock(&q->lock);
	if (q->notify_pid == u->proc->pid)
		q->notify_pid = 0;
	mutex_unlock(&q->lock);
}

static const struct file_ops mq_fops = { .read = mq_read, .poll = mq_poll, .release = mq_release };
