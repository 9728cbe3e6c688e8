/*
 * devfs (see devfs.h). The file system is tmpfs itself: the "devtmpfs" type mounts a tmpfs
 * superblock and only renames its type (and makes the root 0755), so creating, removing and
 * listing nodes are tmpfs's code. This file adds the devices behind the nodes:
 *   - mem, major 1 (one file_ops whose open picks the minor's ops, as Linux's memory_open):
 *     null (EOF / swallows), zero (zeros / swallows), full (zeros / -ENOSPC), random and
 *     urandom (the ChaCha20 CSPRNG of lib/random.c; writes are mixed in, no entropy credited;
 *     random never blocks, as on Linux 5.6+ once seeded), kmsg (one log record per read in
 *     Linux's /dev/kmsg format, the reader's position in file->private; writes log a record,
 *     an optional "<N>" prefix giving the level).
 *   - console, 5:1: writes go to every kernel console; ttyS0, 4:64: writes go to COM1.
 *     Reads on both take what console input holds (console_input_getc), -EAGAIN when empty.
 *     FIXME: blocking reads, line discipline and echo come with the TTY layer; ttyS0 reads
 *     share the console input ring rather than reading COM1 alone.
 */
#include "fs/devfs.h"
#include "console/console.h"
#include "console/input.h"
#include "console/klog.h"
#include "drivers/serial/uart16550.h"
#include "fs/tmpfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"

#define MEM_MAJOR     1
#define TTY_MAJOR     4
#define CONSOLE_MAJOR 5

/* ---- the file system ---- */

static int devfs_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	int err = tmpfs_type.mount(&tmpfs_type, dev, data, out);
	if (err)
		return err;
	(*out)->type = type;
	(*out)->root->inode->mode = S_IFDIR | 0755;
	return 0;
}

static void devfs_kill_sb(struct super_block *sb)
{
	tmpfs_type.kill_sb(sb);
}

static struct fs_type devtmpfs_type = { .name = "devtmpfs", .mount = devfs_mount, .kill_sb = devfs_kill_sb };
static struct fs_type devfs_alias_type = { .name = "devfs", .mount = devfs_mount, .kill_sb = devfs_kill_sb };

/* ---- mem devices ---- */

/* null, zero, full, random: seeking always succeeds and leaves the position at 0 (Linux). */
static int64_t mem_llseek(struct file *f, int64_t off, int whence)
{
	(void)off;
	(void)whence;
	mutex_lock(&f->pos_lock);
	f->pos = 0;
	mutex_unlock(&f->pos_lock);
	return 0;
}

static ssize_t null_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)buf;
	(void)len;
	(void)pos;
	return 0;
}

static ssize_t null_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)buf;
	(void)pos;
	return (ssize_t)len;
}

static ssize_t zero_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	memset(buf, 0, len);
	return (ssize_t)len;
}

static ssize_t full_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)buf;
	(void)len;
	(void)pos;
	return -ENOSPC;
}

static ssize_t random_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	get_random_bytes(buf, len);
	return (ssize_t)len;
}

static ssize_t random_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	random_mix(buf, len);
	return (ssize_t)len;
}

static const struct file_ops null_fops = { .read = null_read, .write = null_write, .llseek = mem_llseek };
static const struct file_ops zero_fops = { .read = zero_read, .write = null_write, .llseek = mem_llseek };
static const struct file_ops full_fops = { .read = zero_read, .write = full_write, .llseek = mem_llseek };
static const struct file_ops random_fops = { .read = random_read, .write = random_write, .llseek = mem_llseek };

/* ---- kmsg ---- */

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

/* FIXME: no wait queue for new log records yet: poll reports the present state only. */
static unsigned kmsg_poll(struct file *f, struct poll_table *pt)
{
	(void)pt;
	struct kmsg_reader *r = f->private;
	return __atomic_load_n(&r->seq, __ATOMIC_RELAXED) < klog_ring()->next_seq ? POLLIN | POLLRDNORM : 0;
}

static const struct file_ops kmsg_fops = {
	.open = kmsg_open,
	.release = kmsg_release,
	.read = kmsg_read,
	.write = kmsg_write,
	.poll = kmsg_poll,
	.llseek = kmsg_llseek,
};

static int mem_open(struct inode *inode, struct file *f)
{
	const struct file_ops *ops;
	switch (MINOR(inode->rdev)) {
	case 3: ops = &null_fops; break;
	case 5: ops = &zero_fops; break;
	case 7: ops = &full_fops; break;
	case 8: /* fallthrough: random and urandom are the same generator */
	case 9: ops = &random_fops; break;
	case 11: ops = &kmsg_fops; break;
	default: return -ENXIO;
	}
	f->fop = ops;
	return ops->open ? ops->open(inode, f) : 0;
}

static const struct file_ops mem_fops = { .open = mem_open };

/* ---- console and ttyS0 ---- */

static ssize_t input_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	size_t done = 0;
	while (done < len) {
		int c = console_input_getc();
		if (c < 0)
			break;
		((char *)buf)[done++] = (char)c;
	}
	/* FIXME: blocking reads (and O_NONBLOCK telling them apart) come with the TTY layer. */
	return done ? (ssize_t)done : -EAGAIN;
}

static ssize_t console_dev_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	console_write(buf, len);
	return (ssize_t)len;
}

static ssize_t ttyS0_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)f;
	(void)pos;
	const char *s = buf;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc(COM1_PORT, '\r'); /* ONLCR, as a tty's default output processing */
		uart_putc(COM1_PORT, s[i]);
	}
	return (ssize_t)len;
}

static unsigned input_poll(struct file *f, struct poll_table *pt)
{
	(void)f;
	poll_wait(pt, console_input_waitqueue());
	return POLLOUT | POLLWRNORM | (console_input_ready() ? POLLIN | POLLRDNORM : 0);
}

static const struct file_ops console_fops = {
	.read = input_read, .write = console_dev_write, .poll = input_poll, .llseek = vfs_no_llseek,
};
static const struct file_ops ttyS0_fops = {
	.read = input_read, .write = ttyS0_write, .poll = input_poll, .llseek = vfs_no_llseek,
};

static int console_major_open(struct inode *inode, struct file *f)
{
	if (MINOR(inode->rdev) != 1)
		return -ENXIO; /* FIXME: 5:0 (/dev/tty) needs controlling terminals */
	f->fop = &console_fops;
	return 0;
}

static int tty_major_open(struct inode *inode, struct file *f)
{
	if (MINOR(inode->rdev) != 64)
		return -ENXIO; /* FIXME: virtual terminals and more serial ports */
	f->fop = &ttyS0_fops;
	return 0;
}

static const struct file_ops console_major_fops = { .open = console_major_open };
static const struct file_ops tty_major_fops = { .open = tty_major_open };

/* ---- nodes ---- */

/* True when a path component of name is "..". */
static bool has_dotdot(const char *name)
{
	for (const char *c = name; *c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return true;
		c = end ? end + 1 : c + n;
	}
	return false;
}

static bool dev_ready;
static struct path dev_root; /* the devfs mount's root, kept for the kernel's lifetime */

int devfs_add_node(const char *name, uint32_t mode, dev_t rdev)
{
	if (!dev_ready)
		return -ENODEV;
	size_t len = strnlen(name, 64);
	if (len == 0 || len >= 64 || name[0] == '/' || has_dotdot(name))
		return -EINVAL;
	if ((mode & S_IFMT) == 0)
		mode |= S_IFCHR;
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return vfs_mknod(&dev_root, name, mode, rdev);
}

int devfs_remove_node(const char *name)
{
	if (!dev_ready)
		return -ENODEV;
	if (!name[0] || name[0] == '/' || has_dotdot(name))
		return -EINVAL;
	return vfs_unlink(&dev_root, name);
}

static const struct {
	const char *name;
	uint32_t mode;
	unsigned major, minor;
} std_nodes[] = {
	{ "null", 0666, MEM_MAJOR, 3 },
	{ "zero", 0666, MEM_MAJOR, 5 },
	{ "full", 0666, MEM_MAJOR, 7 },
	{ "random", 0666, MEM_MAJOR, 8 },
	{ "urandom", 0666, MEM_MAJOR, 9 },
	{ "kmsg", 0644, MEM_MAJOR, 11 },
	{ "ttyS0", 0660, TTY_MAJOR, 64 },
	{ "console", 0600, CONSOLE_MAJOR, 1 },
};

int devfs_init(void)
{
	static bool done;
	static int result;
	if (done)
		return result;
	done = true;
	int err = vfs_register_fs(&devtmpfs_type);
	if (!err)
		err = vfs_register_fs(&devfs_alias_type);
	if (!err)
		err = vfs_register_chrdev(MEM_MAJOR, &mem_fops);
	if (!err)
		err = vfs_register_chrdev(TTY_MAJOR, &tty_major_fops);
	if (!err)
		err = vfs_register_chrdev(CONSOLE_MAJOR, &console_major_fops);
	if (!err) {
		err = vfs_mkdir(NULL, "/dev", 0755);
		if (err == -EEXIST)
			err = 0;
	}
	if (!err)
		err = vfs_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (!err)
		err = vfs_lookup(NULL, "/dev", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dev_root);
	if (err) {
		pr_err("devfs: cannot set up /dev: error %d\n", err);
		result = err;
		return err;
	}
	dev_ready = true;
	for (size_t i = 0; i < sizeof(std_nodes) / sizeof(std_nodes[0]); i++) {
		int e = devfs_add_node(std_nodes[i].name, S_IFCHR | std_nodes[i].mode,
				       MKDEV(std_nodes[i].major, std_nodes[i].minor));
		if (e && e != -EEXIST) {
			pr_err("devfs: /dev/%s: error %d\n", std_nodes[i].name, e);
			err = err ? err : e;
		}
	}
	result = err;
	return err;
}
