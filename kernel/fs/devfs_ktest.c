/* In-kernel tests for devfs (/dev) and the CSPRNG behind /dev/urandom. */
#include "console/console.h"
#include "drivers/base/device.h"
#include "fs/devfs.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "test/ktest.h"

/* kmain calls these after vfs_init; both are idempotent, so tests can run them too. */
static void devfs_test_setup(void)
{
	random_init();
	devfs_init();
}

static struct file *open_dev(const char *path, unsigned flags)
{
	struct file *f = NULL;
	if (vfs_open(NULL, path, flags, 0, &f))
		return NULL;
	return f;
}

KTEST(devfs_full)
{
	devfs_test_setup();
	struct file *f = open_dev("/dev/full", O_RDWR);
	KT_ASSERT(f);
	char buf[32];
	memset(buf, 0x5a, sizeof(buf));
	ssize_t w = vfs_write(f, "x", 1);
	ssize_t r = vfs_read(f, buf, sizeof(buf));
	file_put(f);
	KT_ASSERT_EQ(w, -ENOSPC);
	KT_ASSERT_EQ(w, -28);
	KT_ASSERT_EQ(r, (ssize_t)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		KT_ASSERT_EQ(buf[i], 0);
}

KTEST(devfs_zero)
{
	devfs_test_setup();
	struct file *f = open_dev("/dev/zero", O_RDWR);
	KT_ASSERT(f);
	char buf[300];
	memset(buf, 0xaa, sizeof(buf));
	ssize_t r = vfs_read(f, buf, sizeof(buf));
	ssize_t w = vfs_write(f, buf, 10);
	file_put(f);
	KT_ASSERT_EQ(r, (ssize_t)sizeof(buf));
	KT_ASSERT_EQ(w, 10);
	for (size_t i = 0; i < sizeof(buf); i++)
		KT_ASSERT_EQ(buf[i], 0);
}

KTEST(devfs_null)
{
	devfs_test_setup();
	struct file *f = open_dev("/dev/null", O_RDWR);
	KT_ASSERT(f);
	char buf[16] = "unchanged";
	ssize_t r = vfs_read(f, buf, sizeof(buf));
	ssize_t w = vfs_write(f, "swallowed", 9);
	int64_t s = vfs_lseek(f, 100, SEEK_SET);
	file_put(f);
	KT_ASSERT_EQ(r, 0);
	KT_ASSERT_EQ(w, 9);
	KT_ASSERT_EQ(s, 0);
	KT_ASSERT(strcmp(buf, "unchanged") == 0);
}

KTEST(devfs_urandom)
{
	devfs_test_setup();
	uint8_t *a = kmalloc(4096), *b = kmalloc(4096);
	KT_ASSERT(a && b);
	struct file *f = open_dev("/dev/urandom", O_RDONLY);
	ssize_t ra = f ? vfs_read(f, a, 4096) : -1;
	ssize_t rb = f ? vfs_read(f, b, 4096) : -1;
	if (f)
		file_put(f);
	bool all_equal = true;
	for (int i = 1; i < 4096; i++)
		if (a[i] != a[0])
			all_equal = false;
	bool differ = memcmp(a, b, 4096) != 0;
	/* A crude sanity check on the distribution: every byte value should appear in 8 KiB. */
	unsigned seen[256] = { 0 };
	for (int i = 0; i < 4096; i++) {
		seen[a[i]]++;
		seen[b[i]]++;
	}
	int missing = 0;
	for (int i = 0; i < 256; i++)
		missing += seen[i] == 0;
	kfree(a);
	kfree(b);
	KT_ASSERT(f);
	KT_ASSERT_EQ(ra, 4096);
	KT_ASSERT_EQ(rb, 4096);
	KT_ASSERT(!all_equal);
	KT_ASSERT(differ);
	KT_ASSERT(missing < 4);
	/* /dev/random is the same generator; the kernel API too. */
	uint64_t x = 0, y = 0;
	get_random_bytes(&x, sizeof(x));
	get_random_bytes(&y, sizeof(y));
	KT_ASSERT(x != y);
	f = open_dev("/dev/random", O_RDWR);
	KT_ASSERT(f);
	ssize_t w = vfs_write(f, "mix", 3);
	ssize_t r = vfs_read(f, &x, sizeof(x));
	file_put(f);
	KT_ASSERT_EQ(w, 3);
	KT_ASSERT_EQ(r, 8);
}

static bool is_digits(const char *s, const char *end)
{
	if (s == end)
		return false;
	for (; s < end; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "level,seq,timestamp_us,-;text\n" */
static bool kmsg_record_ok(const char *rec, size_t n)
{
	if (n < 9 || rec[n - 1] != '\n')
		return false;
	const char *p = rec, *end = rec + n;
	for (int field = 0; field < 3; field++) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		if (!c || !is_digits(p, c))
			return false;
		p = c + 1;
	}
	if (end - p < 2 || p[0] != '-' || p[1] != ';')
		return false;
	return memchr(rec, '\n', n) == rec + n - 1; /* exactly one record */
}

static bool contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

KTEST(devfs_kmsg)
{
	devfs_test_setup();
	pr_info("devfs ktest: kmsg record\n");
	char *buf = kmalloc(8192);
	KT_ASSERT(buf);
	struct file *f = open_dev("/dev/kmsg", O_RDWR);
	if (!f)
		kfree(buf);
	KT_ASSERT(f);
	ssize_t n = vfs_read(f, buf, 8192);
	bool ok = n > 0 && kmsg_record_ok(buf, (size_t)n);
	ssize_t tiny = vfs_read(f, buf, 4); /* too small for any record: -EINVAL */
	/* A write appears as a record, with its level. */
	ssize_t w = vfs_write(f, "<5>devfs-ktest-marker\n", 22);
	bool found = false, found_level = false;
	for (int i = 0; i < 100000 && !found; i++) {
		ssize_t m = vfs_read(f, buf, 8191);
		if (m == -EPIPE)
			continue;
		if (m <= 0)
			break;
		buf[m] = 0;
		if (contains(buf, (size_t)m, ";devfs-ktest-marker\n")) {
			found = true;
			found_level = buf[0] == '5' && buf[1] == ',';
		}
	}
	/* At the end: -EAGAIN (non-blocking for now); SEEK_SET goes back to the oldest record. */
	ssize_t at_end = vfs_read(f, buf, 8192);
	int64_t s = vfs_lseek(f, 0, SEEK_SET);
	ssize_t again = vfs_read(f, buf, 8192);
	file_put(f);
	kfree(buf);
	KT_ASSERT(n > 0);
	KT_ASSERT(ok);
	KT_ASSERT(tiny == -EINVAL);
	KT_ASSERT_EQ(w, 22);
	KT_ASSERT(found);
	KT_ASSERT(found_level);
	KT_ASSERT_EQ(at_end, -EAGAIN);
	KT_ASSERT_EQ(s, 0);
	KT_ASSERT(again > 0);
}

KTEST(devfs_listing)
{
	devfs_test_setup();
	static const char *const names[] = { ".", "..", "null", "zero", "full", "random",
					     "urandom", "kmsg", "console", "ttyS0" };
	bool seen[sizeof(names) / sizeof(names[0])] = { false };
	char *buf = kmalloc(4096);
	KT_ASSERT(buf);
	struct file *f = open_dev("/dev", O_RDONLY | O_DIRECTORY);
	if (!f)
		kfree(buf);
	KT_ASSERT(f);
	ssize_t n;
	bool types_ok = true;
	while ((n = vfs_getdents64(f, buf, 4096)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				if (strcmp(d->d_name, names[i]) == 0) {
					seen[i] = true;
					if (i >= 2 && d->d_type != DT_CHR)
						types_ok = false;
				}
			}
			off += d->d_reclen;
		}
	}
	file_put(f);
	kfree(buf);
	KT_ASSERT_EQ(n, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		KT_ASSERT(seen[i]);
	KT_ASSERT(types_ok);
}

KTEST(devfs_stat)
{
	devfs_test_setup();
	struct kstat st;
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/null", true, &st), 0);
	KT_ASSERT(S_ISCHR(st.mode));
	KT_ASSERT_EQ(st.rdev, MKDEV(1, 3));
	KT_ASSERT_EQ(st.mode & 07777, 0666);
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/ttyS0", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(4, 64));
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/console", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(5, 1));
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/kmsg", true, &st), 0);
	KT_ASSERT_EQ(st.rdev, MKDEV(1, 11));
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev", true, &st), 0);
	KT_ASSERT(S_ISDIR(st.mode));
	KT_ASSERT_EQ(st.mode & 07777, 0755);
}

KTEST(devfs_console_tty)
{
	devfs_test_setup();
	/* A terminal now: reads block, so this one is non-blocking (nothing is typed here). */
	struct file *c = open_dev("/dev/console", O_RDWR | O_NONBLOCK);
	KT_ASSERT(c);
	ssize_t w = vfs_write(c, "devfs ktest: /dev/console\n", 26);
	char ch;
	ssize_t r = vfs_read(c, &ch, 1);
	int64_t s = vfs_lseek(c, 0, SEEK_SET);
	file_put(c);
	KT_ASSERT_EQ(w, 26);
	KT_ASSERT_EQ(r, -EAGAIN);
	KT_ASSERT_EQ(s, -ESPIPE);
	struct file *t = open_dev("/dev/ttyS0", O_WRONLY);
	KT_ASSERT(t);
	w = vfs_write(t, "devfs ktest: /dev/ttyS0\n", 24);
	file_put(t);
	KT_ASSERT_EQ(w, 24);
}

KTEST(devfs_driver_nodes)
{
	devfs_test_setup();
	KT_ASSERT_EQ(devfs_add_node("ktest-null", 0600, MKDEV(1, 3)), 0);
	KT_ASSERT_EQ(devfs_add_node("ktest-null", 0600, MKDEV(1, 3)), -EEXIST);
	KT_ASSERT_EQ(devfs_add_node("../escape", 0600, MKDEV(1, 3)), -EINVAL);
	KT_ASSERT_EQ(devfs_add_node("ktest-nodev", 0600, MKDEV(1, 200)), 0);
	struct file *f = open_dev("/dev/ktest-null", O_RDWR);
	KT_ASSERT(f);
	ssize_t w = vfs_write(f, "abc", 3);
	file_put(f);
	KT_ASSERT_EQ(w, 3);
	struct file *g = NULL;
	KT_ASSERT_EQ(vfs_open(NULL, "/dev/ktest-nodev", O_RDONLY, 0, &g), -ENXIO);
	KT_ASSERT_EQ(devfs_remove_node("ktest-null"), 0);
	KT_ASSERT_EQ(devfs_remove_node("ktest-nodev"), 0);
	struct kstat st;
	KT_ASSERT_EQ(vfs_stat(NULL, "/dev/ktest-null", true, &st), -ENOENT);
	KT_ASSERT_EQ(devfs_remove_node("ktest-null"), -ENOENT);
}

KTEST(devfs_poll)
{
	devfs_test_setup();
	const unsigned both = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
	struct file *null = open_dev("/dev/null", O_RDONLY), *zero = open_dev("/dev/zero", O_WRONLY);
	KT_ASSERT(null && zero);
	unsigned p_null = vfs_poll(null, NULL), p_zero = vfs_poll(zero, NULL);
	file_put(null);
	file_put(zero);
	KT_ASSERT_EQ(p_null, both);
	KT_ASSERT_EQ(p_zero, both);
	/* The console is a terminal: always writable (its input side is tty_ktest.c's). */
	struct file *c = open_dev("/dev/console", O_RDWR);
	KT_ASSERT(c);
	unsigned p_console = vfs_poll(c, NULL);
	file_put(c);
	KT_ASSERT(p_console & POLLOUT);
	/* kmsg: records wait at open; none after SEEK_END; a new one makes it readable again. */
	struct file *k = open_dev("/dev/kmsg", O_RDONLY);
	KT_ASSERT(k);
	unsigned p_start = vfs_poll(k, NULL);
	vfs_lseek(k, 0, SEEK_END);
	unsigned p_end = vfs_poll(k, NULL);
	pr_info("devfs ktest: kmsg poll\n");
	unsigned p_new = vfs_poll(k, NULL);
	file_put(k);
	KT_ASSERT(p_start & POLLIN);
	KT_ASSERT_EQ(p_end, 0);
	KT_ASSERT_EQ(p_new, POLLIN | POLLRDNORM);
}

/* ---- nodes from the driver model, on a bus of the test's own ---- */

static struct bus_type kt_devfs_bus = { .name = "ktest-devfs" };

static void kt_device(struct device *d, const char *name, enum device_class class, dev_t devt,
		      struct device *parent)
{
	memset(d, 0, sizeof(*d));
	strlcpy(d->name, name, sizeof(d->name));
	d->bus = &kt_devfs_bus;
	d->class = class;
	d->devt = devt;
	d->parent = parent;
}

/* The node's type|mode and rdev, or -errno. */
static int64_t node_of(const char *path, dev_t *rdev)
{
	struct kstat st;
	int err = vfs_stat(NULL, path, false, &st);
	if (err)
		return err;
	*rdev = st.rdev;
	return st.mode;
}

static unsigned kt_replayed;

static void kt_count_added(struct device_listener *l, enum device_event_type type, struct device *dev)
{
	(void)l;
	if (type == DEVICE_ADDED && dev->bus == &kt_devfs_bus)
		kt_replayed++;
}

KTEST(devfs_device_nodes)
{
	devfs_test_setup();
	int err = bus_register(&kt_devfs_bus);
	KT_ASSERT(err == 0 || err == -EEXIST);
	static struct device disk, part, eth, chr, other;
	kt_device(&disk, "ktvda", DEVICE_CLASS_BLOCK, MKDEV(254, 0), NULL);
	kt_device(&part, "ktvda1", DEVICE_CLASS_BLOCK, MKDEV(254, 1), &disk);
	kt_device(&eth, "kteth0", DEVICE_CLASS_NET, 0, NULL);
	kt_device(&chr, "ktmisc", DEVICE_CLASS_CHAR, MKDEV(10, 200), NULL);
	KT_ASSERT_EQ(device_register(&disk), 0);
	KT_ASSERT_EQ(device_register(&part), 0);
	KT_ASSERT_EQ(device_register(&eth), 0);
	KT_ASSERT_EQ(device_register(&chr), 0);
	dev_t rdev = 0;
	KT_ASSERT_EQ(node_of("/dev/ktvda", &rdev), S_IFBLK | 0600);
	KT_ASSERT_EQ(rdev, MKDEV(254, 0));
	KT_ASSERT_EQ(node_of("/dev/ktvda1", &rdev), S_IFBLK | 0600);
	KT_ASSERT_EQ(rdev, MKDEV(254, 1));
	KT_ASSERT_EQ(node_of("/dev/ktmisc", &rdev), S_IFCHR | 0600);
	KT_ASSERT_EQ(rdev, MKDEV(10, 200));
	KT_ASSERT_EQ(node_of("/dev/kteth0", &rdev), -ENOENT); /* net devices have none */
	/* A listener arriving late hears of the devices already there. */
	static struct device_listener late = { .event = kt_count_added };
	device_listener_register(&late);
	KT_ASSERT_EQ(kt_replayed, 4);
	/* Unplugging the disk takes its partition first; both nodes go. */
	device_unregister(&disk);
	KT_ASSERT_EQ(node_of("/dev/ktvda1", &rdev), -ENOENT);
	KT_ASSERT_EQ(node_of("/dev/ktvda", &rdev), -ENOENT);
	device_unregister(&eth);
	device_unregister(&chr);
	KT_ASSERT_EQ(node_of("/dev/ktmisc", &rdev), -ENOENT);
	/* A node made by hand under the same name is neither replaced nor removed. */
	KT_ASSERT_EQ(devfs_add_node("ktother", S_IFCHR | 0644, MKDEV(1, 3)), 0);
	kt_device(&other, "ktother", DEVICE_CLASS_BLOCK, MKDEV(254, 16), NULL);
	KT_ASSERT_EQ(device_register(&other), 0);
	device_unregister(&other);
	KT_ASSERT_EQ(node_of("/dev/ktother", &rdev), S_IFCHR | 0644);
	KT_ASSERT_EQ(rdev, MKDEV(1, 3));
	KT_ASSERT_EQ(devfs_remove_node("ktother"), 0);
}
