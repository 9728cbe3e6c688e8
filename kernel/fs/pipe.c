/*
 * Anonymous pipes. Each pipe is an S_IFIFO inode of the unmounted "pipefs" superblock with a
 * ring buffer (64 KiB, F_SETPIPE_SZ changes it) and two files: the read end and the write end.
 * The ends count readers and writers through open files' release: reading an empty pipe
 * without writers is end-of-file, writing without readers is EPIPE (the system-call layer
 * raises SIGPIPE). Writes of at most PIPE_BUF bytes go in whole; longer ones may be split.
 * Blocked readers and writers sleep interruptibly; a signal makes them return -ERESTARTSYS
 * (or the bytes already moved), so SA_RESTART restarts the call.
 */
#include "fs/pipe.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/syscall.h"

#define FIONREAD 0x541b

struct pipe {
	struct mutex lock;        /* the ring and the counts */
	char *buf;
	size_t size;              /* capacity */
	size_t start, len;        /* the unread bytes: len of them from start, wrapping */
	unsigned readers, writers;
	unsigned r_opens, w_opens;  /* FIFOs: opens so far, so a blocked open sees a partner that came and went */
	bool fifo;                  /* owned by a FIFO inode's opens, not by the inode */
	/* Packet mode (pipe2 O_DIRECT): each write of up to PIPE_BUF bytes is a packet, one per
	 * PIPE_BUF of capacity (Linux's one page per slot); a read takes at most one packet and
	 * drops what did not fit. */
	bool packet;
	unsigned pkt_head, pkt_count;
	uint16_t pkt_len[PIPE_MAX_SIZE / PIPE_BUF];
	struct waitqueue rd_wait; /* readers wait for data or the last writer leaving */
	struct waitqueue wr_wait; /* writers wait for room or the last reader leaving */
};

static const struct file_ops pipe_fops;

static void pipe_free(struct pipe *p);

static void pipe_evict(struct inode *inode)
{
	struct pipe *p = inode->private;
	if (p)
		pipe_free(p);
	kfree(inode);
}

static const struct super_ops pipe_sops = { .evict_inode = pipe_evict };
static struct fs_type pipefs_type = { .name = "pipefs" };
static struct super_block pipe_sb = { .type = &pipefs_type, .sop = &pipe_sops, .block_size = 4096 };
static uint64_t pipe_ino_next = 1;

static struct super_block *pipefs(void)
{
	if (!__atomic_load_n(&pipe_sb.dev, __ATOMIC_ACQUIRE)) {
		dev_t none = 0, dev = vfs_alloc_anon_dev();
		__atomic_compare_exchange_n(&pipe_sb.dev, &none, dev, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	return &pipe_sb;
}

static bool reader_end(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool writer_end(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

bool file_is_pipe(const struct file *f)
{
	return f->fop == &pipe_fops || f->fop == &pipe_fifo_fops;
}

static bool can_read(void *arg)
{
	struct pipe *p = arg;
	return __atomic_load_n(&p->len, __ATOMIC_ACQUIRE) > 0 ||
	       __atomic_load_n(&p->writers, __ATOMIC_ACQUIRE) == 0;
}

static ssize_t pipe_read(struct file *f, void *buf, size_t count, uint64_t *pos)
{
	(void)pos;
	struct pipe *p = f->private;
	if (count == 0)
		return 0;
	mutex_lock(&p->lock);
	while (p->len == 0) {
		bool eof = p->writers == 0;
		mutex_unlock(&p->lock);
		if (eof)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_interruptible_until(&p->rd_wait, can_read, p, 0))
			return -ERESTARTSYS;
		mutex_lock(&p->lock);
	}
	size_t n = count < p->len ? count : p->len, take = n;
	if (p->packet) {
		take = p->pkt_len[p->pkt_head];
		n = count < take ? count : take;
		p->pkt_head = (p->pkt_head + 1) % (PIPE_MAX_SIZE / PIPE_BUF);
		p->pkt_count--;
	}
	size_t first = p->size - p->start < n ? p->size - p->start : n;
	memcpy(buf, p->buf + p->start, first);
	memcpy((char *)buf + first, p->buf, n - first);
	p->start = (p->start + take) % p->size;
	p->len -= take;
	if (p->len == 0)
		p->start = 0;
	mutex_unlock(&p->lock);
	wake_up_all(&p->wr_wait);
	return (ssize_t)n;
}

struct room_wait {
	struct pipe *p;
	size_t need;
};

static bool has_room(void *arg)
{
	struct room_wait *w = arg;
	struct pipe *p = w->p;
	if (__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE) == 0)
		return true;
	size_t size = __atomic_load_n(&p->size, __ATOMIC_ACQUIRE);
	if (p->packet && __atomic_load_n(&p->pkt_count, __ATOMIC_ACQUIRE) >= size / PIPE_BUF)
		return false;
	return size - __atomic_load_n(&p->len, __ATOMIC_ACQUIRE) >= w->need;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t count, uint64_t *pos)
{
	(void)pos;
	struct pipe *p = f->private;
	if (count == 0)
		return 0;
	bool atomic = count <= PIPE_BUF;
	size_t done = 0;
	bool wake = false; /* readers are woken after the unlock: woken under it, they would only block on it */
	mutex_lock(&p->lock);
	for (;;) {
		if (p->readers == 0) {
			mutex_unlock(&p->lock);
			return done ? (ssize_t)done : -EPIPE; /* no reader to wake */
		}
		size_t room = p->size - p->len, want = count - done;
		if (p->packet) {
			/* One packet of up to PIPE_BUF bytes per round, whole, in a free slot. */
			if (want > PIPE_BUF)
				want = PIPE_BUF;
			if (room >= want && p->pkt_count < p->size / PIPE_BUF) {
				size_t end = (p->start + p->len) % p->size;
				size_t first = p->size - end < want ? p->size - end : want;
				memcpy(p->buf + end, (const char *)buf + done, first);
				memcpy(p->buf, (const char *)buf + done + first, want - first);
				p->len += want;
				p->pkt_len[(p->pkt_head + p->pkt_count) % (PIPE_MAX_SIZE / PIPE_BUF)] = (uint16_t)want;
				p->pkt_count++;
				done += want;
				wake = true;
				if (done == count)
					break;
				continue;
			}
		} else if (room > 0 && (!atomic || room >= want)) {
			size_t n = room < want ? room : want;
			size_t end = (p->start + p->len) % p->size;
			size_t first = p->size - end < n ? p->size - end : n;
			memcpy(p->buf + end, (const char *)buf + done, first);
			memcpy(p->buf, (const char *)buf + done + first, n - first);
			p->len += n;
			done += n;
			wake = true;
			if (done == count)
				break;
			continue;
		}
		mutex_unlock(&p->lock);
		if (wake) {
			wake_up_all(&p->rd_wait); /* before sleeping: the reader makes the room we wait for */
			wake = false;
		}
		if (f->flags & O_NONBLOCK)
			return done ? (ssize_t)done : -EAGAIN;
		struct room_wait w = { p, atomic || p->packet ? want : 1 };
		if (wait_interruptible_until(&p->wr_wait, has_room, &w, 0))
			return done ? (ssize_t)done : -ERESTARTSYS;
		mutex_lock(&p->lock);
	}
	mutex_unlock(&p->lock);
	if (wake)
		wake_up_all(&p->rd_wait);
	return (ssize_t)done;
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->private;
	unsigned mask = 0;
	if (reader_end(f))
		poll_wait(pt, &p->rd_wait);
	if (writer_end(f))
		poll_wait(pt, &p->wr_wait);
	mutex_lock(&p->lock);
	if (reader_end(f)) {
		if (p->len)
			mask |= POLLIN | POLLRDNORM;
		/* A FIFO reader that has not seen a writer yet is not hung up (Linux): it can
		 * poll for the first writer. f->pos holds the writer opens seen at its open. */
		if (!p->writers && (!p->fifo || f->pos != p->w_opens))
			mask |= POLLHUP;
	}
	if (writer_end(f)) {
		if (p->size - p->len >= PIPE_BUF && (!p->packet || p->pkt_count < p->size / PIPE_BUF))
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	mutex_unlock(&p->lock);
	return mask;
}

static int pipe_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->private;
	if (cmd != FIONREAD)
		return -ENOTTY;
	mutex_lock(&p->lock);
	int n = (int)p->len;
	mutex_unlock(&p->lock);
	return put_user(n, (int *)arg); /* after the unlock: a user copy may fault */
}

static void pipe_free(struct pipe *p)
{
	kfree(p->buf);
	kfree(p);
}

/* Guards FIFO inodes' pipe pointers: attaching on the first open, detaching on the last close. */
static struct mutex fifo_lock = MUTEX_INIT;

static void pipe_release(struct inode *inode, struct file *f)
{
	struct pipe *p = f->private;
	if (p->fifo)
		mutex_lock(&fifo_lock);
	mutex_lock(&p->lock);
	if (reader_end(f))
		p->readers--;
	if (writer_end(f))
		p->writers--;
	bool last = p->fifo && p->readers == 0 && p->writers == 0;
	if (last)
		inode->pipe = NULL; /* as on Linux, unread data goes with the last close */
	mutex_unlock(&p->lock);
	if (p->fifo)
		mutex_unlock(&fifo_lock);
	if (last) {
		pipe_free(p); /* nobody else can reach it: no opener, no open file */
		return;
	}
	wake_up_all(&p->rd_wait);
	wake_up_all(&p->wr_wait);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.llseek = vfs_no_llseek,
};

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	p->buf = kmalloc(PIPE_DEFAULT_SIZE);
	if (!p->buf) {
		kfree(p);
		return NULL;
	}
	mutex_init(&p->lock);
	waitqueue_init(&p->rd_wait);
	waitqueue_init(&p->wr_wait);
	p->size = PIPE_DEFAULT_SIZE;
	return p;
}

int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_alloc();
	if (!p)
		return -ENOMEM;
	struct inode *inode = inode_alloc(pipefs());
	if (!inode) {
		pipe_free(p);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	p->packet = flags & O_DIRECT;
	inode->ino = __atomic_fetch_add(&pipe_ino_next, 1, __ATOMIC_RELAXED);
	inode->mode = S_IFIFO | 0600;
	inode->nlink = 1;
	inode->fop = &pipe_fops;
	inode->private = p;

	unsigned status = flags & (O_NONBLOCK | O_DIRECT);
	*rd = vfs_anon_file(inode, &pipe_fops, O_RDONLY | status);
	*wr = *rd ? vfs_anon_file(inode, &pipe_fops, O_WRONLY | status) : NULL;
	int err = 0;
	if (*wr) {
		(*rd)->private = (*wr)->private = p;
	} else {
		if (*rd) {
			/* No release: it would count a reader that was never counted apart. */
			(*rd)->fop = NULL;
			file_put(*rd);
		}
		*rd = NULL;
		err = -ENOMEM;
	}
	inode_put(inode); /* the files hold it (or it goes, with the pipe) */
	return err;
}

int64_t pipe_get_size(struct file *f)
{
	if (!file_is_pipe(f))
		return -EBADF;
	struct pipe *p = f->private;
	return (int64_t)__atomic_load_n(&p->size, __ATOMIC_ACQUIRE);
}

int64_t pipe_set_size(struct file *f, uint64_t size)
{
	if (!file_is_pipe(f))
		return -EBADF;
	if (size == 0)
		return -EINVAL;
	if (size > PIPE_MAX_SIZE)
		return -EPERM; /* FIXME: root may go past pipe-max-size on Linux */
	/* Linux rounds up to a power-of-two number of pages. */
	size_t n = 4096;
	while (n < size)
		n *= 2;
	struct pipe *p = f->private;
	char *nbuf = kmalloc(n);
	if (!nbuf)
		return -ENOMEM;
	mutex_lock(&p->lock);
	if (p->len > n || (p->packet && p->pkt_count > n / PIPE_BUF)) {
		mutex_unlock(&p->lock);
		kfree(nbuf);
		return -EBUSY;
	}
	size_t first = p->size - p->start < p->len ? p->size - p->start : p->len;
	memcpy(nbuf, p->buf + p->start, first);
	memcpy(nbuf + first, p->buf, p->len - first);
	char *old = p->buf;
	p->buf = nbuf;
	p->start = 0;
	__atomic_store_n(&p->size, n, __ATOMIC_RELEASE);
	mutex_unlock(&p->lock);
	kfree(old);
	wake_up_all(&p->wr_wait);
	return (int64_t)n;
}

/* ---- FIFOs: named pipes, opened through their S_IFIFO inode on any file system ---- */

struct open_wait {
	struct pipe *p;
	unsigned *counter, seen;
};

static bool partner_opened(void *arg)
{
	struct open_wait *w = arg;
	return __atomic_load_n(w->counter, __ATOMIC_ACQUIRE) != w->seen;
}

/*
 * Linux's rules: O_RDONLY waits for a writer and O_WRONLY for a reader (unless O_NONBLOCK:
 * a reader opens at once, a writer fails with ENXIO); O_RDWR never waits. A partner that
 * opened and closed again while we slept still counts (the open counters tell).
 */
static int fifo_open(struct inode *inode, struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	bool nonblock = f->flags & O_NONBLOCK;
	mutex_lock(&fifo_lock);
	struct pipe *p = inode->pipe;
	if (!p) {
		if (acc == O_WRONLY && nonblock) {
			mutex_unlock(&fifo_lock);
			return -ENXIO;
		}
		p = pipe_alloc();
		if (!p) {
			mutex_unlock(&fifo_lock);
			return -ENOMEM;
		}
		p->fifo = true;
		inode->pipe = p;
	}
	mutex_lock(&p->lock);
	if (acc == O_WRONLY && nonblock && p->readers == 0) {
		bool unused = p->writers == 0;
		mutex_unlock(&p->lock);
		if (unused) {
			inode->pipe = NULL;
			pipe_free(p);
		}
		mutex_unlock(&fifo_lock);
		return -ENXIO;
	}
	struct open_wait w = { p, NULL, 0 };
	if (acc != O_WRONLY) {
		p->readers++;
		p->r_opens++;
		if (acc == O_RDONLY && !nonblock && p->writers == 0)
			w = (struct open_wait){ p, &p->w_opens, p->w_opens };
	}
	if (acc != O_RDONLY) {
		p->writers++;
		p->w_opens++;
		if (acc == O_WRONLY && p->readers == 0)
			w = (struct open_wait){ p, &p->r_opens, p->r_opens };
	}
	f->private = p;
	f->pos = p->w_opens; /* pipes never seek: pos is free to mark what this open saw */
	mutex_unlock(&p->lock);
	mutex_unlock(&fifo_lock);
	wake_up_all(&p->rd_wait);
	wake_up_all(&p->wr_wait);
	if (!w.counter)
		return 0;
	struct waitqueue *wq = acc == O_RDONLY ? &p->rd_wait : &p->wr_wait;
	if (wait_interruptible_until(wq, partner_opened, &w, 0) == 0)
		return 0;
	/* Interrupted: undo this open as a close would (the file gets no release). */
	pipe_release(inode, f);
	return -ERESTARTSYS;
}

const struct file_ops pipe_fifo_fops = {
	.open = fifo_open,
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.llseek = vfs_no_llseek,
};
