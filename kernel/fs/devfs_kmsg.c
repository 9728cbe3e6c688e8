/*
 * /dev/kmsg (mem major, minor 11): one log record per read in Linux's format, the reader's
 * position in file->private; writes log a record, an optional "<N>" prefix giving the level.
 */
#include "fs/devfs_internal.h"
#include "console/console.h"
#include "console/klog.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"

#define KMSG_LINE_MAX (48 + 4 * KLOG_TEXT_MAX + 2) /* header, every byte escaped as \xNN, newline */

struct kmsg_reader {
	struct mutex lock;
	uint64_t seq;
	struct klog_record rec;
	char line[KMSG_LINE_MAX];
};

static int kmsg_open(struct inode *inode, struct file *f)
{
	(void)inode;
	struct kmsg_reader *r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	r->seq = klog_ring()->first_seq;
	f->private = r;
	return 0;
}

static void kmsg_release(struct inode *inode, struct file *f)
{
	(void)inode;
	kfree(f->private);
	f->private = NULL;
}

/* Linux's format: "prefix,seq,usec,flags;text\n" with unprintable bytes and '\' as \xNN. */
static size_t kmsg_format(const struct klog_record *rec, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	int n = snprintf(out, size, "%u,%llu,%llu,-;", (unsigned)rec->level, (unsigned long long)rec->seq,
			 (unsigned long long)(rec->ts_ns / 1000));
	size_t at = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < rec->len && at + 5 < size; i++) {
		unsigned char c = (unsigned char)rec->text[i];
		if (c < ' ' || c >= 127 || c == '\\') {
			out[at++] = '\\';
			out[at++] = 'x';
			out[at++] = hex[c >> 4];
			out[at++] = hex[c & 15];
		} else {
			out[at++] = (char)c;
		}
	}
	out[at++] = '\n';
	return at;
}

static ssize_t kmsg_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct kmsg_reader *r = f->private;
	const struct klog_ring *ring = klog_ring();
	ssize_t ret;
	mutex_lock(&r->lock);
	/* FIXME: reads the ring without the console's lock (as procfs does); SMP needs one. */
	if (r->seq < ring->first_seq) {
		r->seq = ring->first_seq; /* records were lost before this reader saw them */
		ret = -EPIPE;
		goto out;
	}
	uint64_t seq = r->seq;
	if (!klog_ring_read(ring, &seq, &r->rec)) {
		ret = -EAGAIN; /* FIXME: blocking reads need a log wait queue */
		goto out;
	}
	size_t n = kmsg_format(&r->rec, r->line, sizeof(r->line));
	if (n > len) {
		ret = -EINVAL; /* Linux: the buffer must hold a whole record */
		goto out;
	}
	memcpy(buf, r->line, n);
	r->seq = seq;
	ret = (ssize_t)n;
out:
	mutex_unlock(&r->lock);
	return ret;
}

static ssize_t kmsg_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	const char *p = buf;
	size_t n = len;
	int level = LOG_INFO;
	if (n >= 3 && p[0] == '<') {
		unsigned v = 0;
		size_t i = 1;
		while (i < n && i < 5 && p[i] >= '0' && p[i] <= '9')
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i > 1 && i < n && p[i] == '>') {
			level = (int)(v & 7);
			p += i + 1;
			n -= i + 1;
		}
	}
	while (n && p[n - 1] == '\n')
		n--;
	if (n > KLOG_TEXT_MAX)
		n = KLOG_TEXT_MAX;
	klog(level, "%.*s\n", (int)n, p);
	return (ssize_t)len;
}

static int64_t kmsg_llseek(struct file *f, int64_t off, int whence)
{
	struct kmsg_reader *r = f->private;
	if (off != 0)
		return -ESPIPE;
	mutex_lock(&r->lock);
	int64_t ret = 0;
	if (whence == SEEK_SET)
		r->seq = klog_ring()->first_seq;
	else if (whence == SEEK_END)
		r->seq = klog_ring()->next_seq;
	else
		ret = -EINVAL;
	mutex_unlock(&r->lock);
	return ret;
}

/* Linux's devkmsg_poll: readable when a record waits, POLLERR|POLLPRI when some were lost. */
static unsigned kmsg_poll(struct file *f, struct poll_table *pt)
{
	(void)pt; /* FIXME: no wait queue for new log records yet: the present state only */
	struct kmsg_reader *r = f->private;
	const struct klog_ring *ring = klog_ring();
	mutex_lock(&r->lock);
	unsigned events = 0;
	if (r->seq < ring->first_seq)
		events = POLLIN | POLLRDNORM | POLLERR | POLLPRI;
	else if (r->seq < ring->next_seq)
		events = POLLIN | POLLRDNORM;
	mutex_unlock(&r->lock);
	return events;
}

const struct file_ops devfs_kmsg_fops = {
	.open = kmsg_open,
	.poll = kmsg_poll,
	.release = kmsg_release,
	.read = kmsg_read,
	.write = kmsg_write,
	.llseek = kmsg_llseek,
};
