/*
 * devfs (see devfs.h). The file system is tmpfs itself: the "devtmpfs" type mounts a tmpfs
 * superblock and only renames its type (and makes the root 0755), so creating, removing and
 * listing nodes are tmpfs's code. This file adds the devices behind the nodes:
 *   - mem, major 1 (one file_ops whose open picks the minor's ops, as Linux's memory_open):
 *     null (EOF / swallows), zero (zeros / swallows), full (zeros / -ENOSPC), random and
 *     urandom (the ChaCha20 CSPRNG of lib/random.c; writes are mixed in, no entropy credited;
 *     random never blocks, as on Linux 5.6+ once seeded), kmsg (devfs_kmsg.c).
 *   - the terminal nodes (tty, console, ptmx, tty0, tty1, ttyS0); their majors 4 and 5 belong to
 *     the TTY layer (tty/tty_devices.c).
 *   - driver-model devices of class block or char get a node named after them (0600, their
 *     devt) when they appear, removed again when they go (hot-unplug), as Linux's devtmpfs.
 */
#include "fs/devfs.h"
#include "fs/devfs_internal.h"
#include "console/console.h"
#include "drivers/base/device.h"
#include "fs/tmpfs.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"

#define MEM_MAJOR     1
#define TTY_MAJOR     4
#define TTYAUX_MAJOR  5

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

/* Never waiting either way (a write to full fails at once, which is not blocking either). */
static unsigned mem_poll(struct file *f, struct poll_table *pt)
{
	(void)f;
	(void)pt;
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

static const struct file_ops null_fops = {
	.read = null_read, .write = null_write, .llseek = mem_llseek, .poll = mem_poll,
};
static const struct file_ops zero_fops = {
	.read = zero_read, .write = null_write, .llseek = mem_llseek, .poll = mem_poll,
};
static const struct file_ops full_fops = {
	.read = zero_read, .write = full_write, .llseek = mem_llseek, .poll = mem_poll,
};
static const struct file_ops random_fops = {
	.read = random_read, .write = random_write, .llseek = mem_llseek, .poll = mem_poll,
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
	case 11: ops = &devfs_kmsg_fops; break;
	default: return -ENXIO;
	}
	f->fop = ops;
	return ops->open ? ops->open(inode, f) : 0;
}

static const struct file_ops mem_fops = { .open = mem_open };

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

/* ---- nodes for driver-model devices ---- */

/* As Linux's devtmpfs: mode 0600, the type from the class; net devices get no node. */
static uint32_t device_node_mode(const struct device *dev)
{
	switch (dev->class) {
	case DEVICE_CLASS_BLOCK: return S_IFBLK | 0600;
	case DEVICE_CLASS_CHAR: return S_IFCHR | 0600;
	default: return 0;
	}
}

/* True when /dev/<name> is the node for (mode, rdev): a node made by hand is left alone. */
static bool is_device_node(const char *name, uint32_t mode, dev_t rdev)
{
	struct kstat st;
	return vfs_stat(&dev_root, name, false, &st) == 0 && (st.mode & S_IFMT) == (mode & S_IFMT) &&
	       st.rdev == rdev;
}

/* FIXME: names with a directory ("input/event0") need the directories made (and removed). */
static void devfs_device_event(struct device_listener *l, enum device_event_type type, struct device *dev)
{
	(void)l;
	uint32_t mode = device_node_mode(dev);
	if (!mode || !dev->devt)
		return;
	if (type == DEVICE_ADDED) {
		int err = devfs_add_node(dev->name, mode, dev->devt);
		if (err == -EEXIST && is_device_node(dev->name, mode, dev->devt))
			err = 0; /* reported twice (see device_listener_register) */
		if (err)
			pr_warn("devfs: no node for %s device %s: error %d\n", dev->bus->name, dev->name, err);
	} else if (type == DEVICE_REMOVED && is_device_node(dev->name, mode, dev->devt)) {
		devfs_remove_node(dev->name);
	}
}

static struct device_listener devfs_listener = { .event = devfs_device_event };

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
	{ "tty0", 0620, TTY_MAJOR, 0 },
	{ "tty1", 0620, TTY_MAJOR, 1 },
	{ "tty", 0666, TTYAUX_MAJOR, 0 },
	{ "console", 0600, TTYAUX_MAJOR, 1 },
	{ "ptmx", 0666, TTYAUX_MAJOR, 2 },
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
	device_listener_register(&devfs_listener);
	result = err;
	return err;
}
