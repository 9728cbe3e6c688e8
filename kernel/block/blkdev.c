/*
 * Block devices: the "block" bus of the driver model (disks are children of their controller,
 * partitions children of their disk, so devfs gives each a /dev node), partition scanning,
 * lookup by dev_t and by path, and the file operations of /dev/vda-style nodes (reads and
 * writes through the buffer cache, BLKGETSIZE64 and friends).
 */
#include "block/block.h"

#include "console/console.h"
#include "lib/cmdline.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"
#include "time/clock.h"

static bool blk_match(struct device *dev, struct driver *drv)
{
	(void)dev;
	(void)drv;
	return false; /* block devices are made by their drivers, not bound to one */
}

static struct bus_type block_bus = { .name = "block", .match = blk_match };
static struct mutex disks_lock = MUTEX_INIT;
static struct block_device *disks;
static unsigned next_major = 254;
static bool bus_ready;
static const struct file_ops blkdev_fops;

unsigned blk_alloc_major(void)
{
	unsigned major = __atomic_fetch_sub(&next_major, 1, __ATOMIC_RELAXED);
	vfs_register_blkdev(major, &blkdev_fops);
	return major;
}

void blk_register_major(unsigned major)
{
	vfs_register_blkdev(major, &blkdev_fops);
}

static int read_sector(void *ctx, uint64_t sector, void *buf)
{
	struct block_device *disk = ctx;
	struct buf *b = bread(disk, sector, SECTOR_SIZE);
	if (IS_ERR(b))
		return PTR_ERR(b);
	memcpy(buf, b->data, SECTOR_SIZE);
	brelse(b);
	return 0;
}

/* Unregisters and frees the partitions (nobody may hold them: see blk_rescan). */
static void drop_partitions(struct block_device *disk)
{
	for (unsigned i = 1; i <= BLK_MAX_PARTS; i++) {
		struct block_device *p = disk->parts[i];
		if (!p)
			continue;
		if (p->dev.registered)
			device_unregister(&p->dev);
		disk->parts[i] = NULL;
		kfree(p);
	}
}

static void add_partitions(struct block_device *disk)
{
	struct part_entry parts[BLK_MAX_PARTS];
	int n = part_parse(read_sector, disk, disk->nr_sectors, parts, BLK_MAX_PARTS);
	if (n < 0) {
		pr_warn("block: %s: partition table unreadable (%d)\n", disk->dev.name, n);
		return;
	}
	char list[96] = "";
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		unsigned no = parts[i].number;
		if (no > BLK_MAX_PARTS || disk->parts[no])
			continue; /* minors run out at 15, as on Linux without extended minors */
		struct block_device *p = kzalloc(sizeof(*p));
		if (!p)
			break;
		p->whole = disk;
		p->start = parts[i].start;
		p->nr_sectors = parts[i].nr_sectors;
		p->partno = no;
		p->read_only = disk->read_only;
		/* Linux's naming: vda1, but nvme0n1p1 when the disk name ends in a digit. */
		size_t len = strlen(disk->dev.name);
		bool digit = len && disk->dev.name[len - 1] >= '0' && disk->dev.name[len - 1] <= '9';
		snprintf(p->dev.name, sizeof(p->dev.name), "%s%s%u", disk->dev.name, digit ? "p" : "", no);
		p->dev.bus = &block_bus;
		p->dev.parent = &disk->dev;
		p->dev.class = DEVICE_CLASS_BLOCK;
		p->dev.devt = disk->dev.devt + no;
		p->dev.driver_data = p;
		if (device_register(&p->dev) < 0) {
			kfree(p);
			continue;
		}
		disk->parts[no] = p;
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, " %s", p->dev.name);
	}
	if (n > 0)
		pr_info("block: %s:%s\n", disk->dev.name, list);
}

int blk_sync_all(void)
{
	int err = 0;
	mutex_lock(&disks_lock);
	for (struct block_device *d = disks; d; d = d->next) {
		int e = bsync(d);
		if (e && !err)
			err = e;
	}
	mutex_unlock(&disks_lock);
	return err;
}

int blk_sync_devt(dev_t devt)
{
	struct block_device *bd = devt ? blk_lookup_devt(devt) : NULL;
	if (!bd)
		return 0;
	int err = bsync(bd);
	blk_put(bd);
	return err;
}

void blk_get(struct block_device *bdev)
{
	__atomic_add_fetch(&bdev->whole->refs, 1, __ATOMIC_RELAXED);
}

void blk_put(struct block_device *bdev)
{
	struct block_device *disk = bdev->whole;
	if (__atomic_sub_fetch(&disk->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Nobody can reach the disk any more: its partitions, buffers and the driver's memory go. */
	for (unsigned i = 1; i <= BLK_MAX_PARTS; i++) {
		kfree(disk->parts[i]);
		disk->parts[i] = NULL;
	}
	bcache_forget(disk);
	if (disk->release)
		disk->release(disk);
}

/* The periodic flusher: dirty buffers reach the disk within about 5 s (Linux's
 * dirty_writeback_centisecs), so a power cut loses at most that much. */
#define BLK_FLUSH_INTERVAL_NS (5ull * 1000 * 1000 * 1000)

static void flusher(void *arg)
{
	(void)arg;
	for (;;) {
		thread_sleep_ns(BLK_FLUSH_INTERVAL_NS);
		if (bcache_dirty_count())
			blk_sync_all();
	}
}

/*
 * The command watchdog: once a second, a disk whose driver has held a request longer than the
 * timeout (blk.timeout= seconds; 30 as Linux's SCSI and NVMe defaults) is handed to the driver's
 * timeout op, which resets the device and fails what it had with EIO. A device that never
 * answers then costs a bounded wait, not a hung system.
 */
static uint64_t blk_timeout_ns = 30ull * 1000 * 1000 * 1000;

static int param_timeout(const char *val)
{
	unsigned long secs = 0;
	for (const char *c = val; c && *c; c++) {
		if (*c < '0' || *c > '9' || secs > 3600)
			return -EINVAL;
		secs = secs * 10 + (unsigned long)(*c - '0');
	}
	if (!secs || secs > 3600)
		return -EINVAL;
	blk_timeout_ns = (uint64_t)secs * 1000 * 1000 * 1000;
	return 0;
}
KPARAM("blk.timeout", param_timeout);

static void watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		thread_sleep_ns(1000ull * 1000 * 1000);
		uint64_t now = clock_monotonic_ns();
		struct block_device *late = NULL;
		mutex_lock(&disks_lock);
		for (struct block_device *d = disks; d && !late; d = d->next) {
			if (d->ops && d->ops->timeout && !d->dead && blk_timed_out(d, now, blk_timeout_ns)) {
				late = d;
				blk_get(d);
			}
		}
		mutex_unlock(&disks_lock);
		if (late) {
			pr_warn("blk: %s: a command took longer than %llu s: resetting the device\n",
				late->dev.name, (unsigned long long)(blk_timeout_ns / 1000000000));
			late->ops->timeout(late);
			blk_put(late);
		}
	}
}

int blk_add_disk(struct block_device *disk)
{
	static bool flusher_started;
	if (!flusher_started) {
		flusher_started = true; /* once: without memory for them, there are no such threads */
		struct thread *t = thread_create("blkflush", flusher, NULL, NULL);
		if (t)
			thread_detach(t);
		struct thread *w = thread_create("blkwatch", watchdog, NULL, NULL);
		if (w)
			thread_detach(w);
	}
	if (!bus_ready) {
		int err = bus_register(&block_bus);
		if (err < 0 && err != -EEXIST)
			return err;
		bus_ready = true;
	}
	disk->whole = disk;
	disk->start = 0;
	disk->partno = 0;
	disk->queue.lock = (spinlock_t)SPINLOCK_INIT;
	if (!disk->queue.max_sectors)
		disk->queue.max_sectors = 256;
	if (!disk->queue.max_segments)
		disk->queue.max_segments = 32;
	disk->dev.bus = &block_bus;
	disk->dev.class = DEVICE_CLASS_BLOCK;
	disk->dev.driver_data = disk;
	disk->refs = 1;
	disk->dead = false;
	int err = device_register(&disk->dev);
	if (err < 0)
		return err;
	mutex_lock(&disks_lock);
	struct block_device **tail = &disks; /* in probe order, for /proc/partitions */
	while (*tail)
		tail = &(*tail)->next;
	disk->next = NULL;
	*tail = disk;
	mutex_unlock(&disks_lock);
	pr_info("block: %s: %llu sectors (%llu MiB)%s\n", disk->dev.name,
		(unsigned long long)disk->nr_sectors, (unsigned long long)(disk->nr_sectors >> 11),
		disk->read_only ? ", read-only" : "");
	add_partitions(disk);
	return 0;
}

void blk_del_disk(struct block_device *disk)
{
	mutex_lock(&disks_lock);
	struct block_device **pp = &disks;
	while (*pp && *pp != disk)
		pp = &(*pp)->next;
	if (*pp)
		*pp = disk->next;
	mutex_unlock(&disks_lock);
	blk_kill_queue(disk);
	for (unsigned i = 1; i <= BLK_MAX_PARTS; i++) {
		struct block_device *p = disk->parts[i];
		if (p && p->dev.registered)
			device_unregister(&p->dev);
	}
	if (disk->dev.registered)
		device_unregister(&disk->dev);
	binvalidate(disk);
}

/*
 * BLKRRPART: reads the partition table again. Only when the disk is otherwise unused (the
 * driver's reference and the caller's open one): a mounted or open partition makes it EBUSY,
 * as on Linux. The old partitions' buffers are written back and dropped first.
 */
int blk_rescan(struct block_device *disk)
{
	mutex_lock(&disks_lock);
	int err = 0;
	if (__atomic_load_n(&disk->refs, __ATOMIC_ACQUIRE) > 2 || disk->dead) {
		err = -EBUSY;
	} else {
		bsync(disk);
		drop_partitions(disk);
		binvalidate(disk);
	}
	mutex_unlock(&disks_lock);
	if (!err)
		add_partitions(disk);
	return err;
}

struct block_device *blk_lookup_devt(dev_t devt)
{
	struct block_device *found = NULL;
	mutex_lock(&disks_lock);
	for (struct block_device *d = disks; d && !found; d = d->next) {
		if (MAJOR(d->dev.devt) != MAJOR(devt) || MINOR(devt) < MINOR(d->dev.devt) ||
		    MINOR(devt) > MINOR(d->dev.devt) + BLK_MAX_PARTS)
			continue;
		unsigned no = MINOR(devt) - MINOR(d->dev.devt);
		found = no ? d->parts[no] : d;
		if (found)
			blk_get(found);
	}
	mutex_unlock(&disks_lock);
	return found;
}

int blk_lookup_path(const char *path, struct block_device **out)
{
	dev_t rdev;
	int err = vfs_resolve_blkdev(path, &rdev);
	if (err)
		return err;
	*out = blk_lookup_devt(rdev);
	return *out ? 0 : -ENXIO;
}

/* ---- /dev nodes ---- */

static int blkdev_open(struct inode *inode, struct file *f)
{
	struct block_device *bd = blk_lookup_devt(inode->rdev);
	if (!bd)
		return -ENXIO;
	if (bd->read_only && (f->flags & O_ACCMODE) != O_RDONLY) {
		blk_put(bd);
		return -EROFS;
	}
	f->private = bd; /* the reference goes at release */
	return 0;
}

/* The cache block for byte pos: 4 KiB where a whole one fits, 512 bytes in the tail. */
static uint32_t block_size_at(struct block_device *bd, uint64_t pos, uint64_t *block)
{
	uint64_t full4k = bd->nr_sectors / 8;
	if (pos / 4096 < full4k) {
		*block = pos / 4096;
		return 4096;
	}
	*block = pos / SECTOR_SIZE;
	return SECTOR_SIZE;
}

static ssize_t blkdev_rw(struct file *f, void *kbuf, const void *wbuf, size_t len, uint64_t *pos)
{
	struct block_device *bd = f->private;
	uint64_t end = bd->nr_sectors * SECTOR_SIZE;
	size_t done = 0;
	while (done < len && *pos < end) {
		uint64_t block;
		uint32_t bs = block_size_at(bd, *pos, &block);
		uint32_t off = (uint32_t)(*pos - block * bs);
		size_t n = MIN((size_t)(bs - off), len - done);
		n = (size_t)MIN((uint64_t)n, end - *pos);
		struct buf *b = (wbuf && off == 0 && n == bs) ? bget_zero(bd, block, bs) : bread(bd, block, bs);
		if (IS_ERR(b))
			return done ? (ssize_t)done : PTR_ERR(b);
		if (wbuf) {
			memcpy((uint8_t *)b->data + off, (const uint8_t *)wbuf + done, n);
			bdirty(b);
		} else {
			memcpy((uint8_t *)kbuf + done, (uint8_t *)b->data + off, n);
		}
		brelse(b);
		done += n;
		*pos += n;
	}
	return (ssize_t)done;
}

/* O_DIRECT: past the buffer cache (direct.c); otherwise through it. */
static ssize_t blkdev_xfer(struct file *f, void *kbuf, const void *wbuf, size_t len, uint64_t *pos)
{
	if (!(f->flags & O_DIRECT))
		return blkdev_rw(f, kbuf, wbuf, len, pos);
	ssize_t r = blk_direct_rw(f->private, kbuf, wbuf, len, *pos);
	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

static ssize_t blkdev_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	return blkdev_xfer(f, buf, NULL, len, pos);
}

static ssize_t blkdev_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct block_device *bd = f->private;
	if (*pos >= bd->nr_sectors * SECTOR_SIZE && len)
		return -ENOSPC;
	return blkdev_xfer(f, NULL, buf, len, pos);
}

static int64_t blkdev_llseek(struct file *f, int64_t off, int whence)
{
	struct block_device *bd = f->private;
	return vfs_llseek_end(f, off, whence, bd->nr_sectors * SECTOR_SIZE);
}

#define BLKRRPART    0x125f
#define BLKGETSIZE   0x1260
#define BLKFLSBUF    0x1261
#define BLKSSZGET    0x1268
#define BLKGETSIZE64 0x80081272

static int blkdev_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct block_device *bd = f->private;
	switch (cmd) {
	case BLKGETSIZE64: {
		uint64_t bytes = bd->nr_sectors * SECTOR_SIZE;
		return copy_to_user((void *)arg, &bytes, sizeof(bytes)) ? -EFAULT : 0;
	}
	case BLKGETSIZE: {
		unsigned long sectors = bd->nr_sectors;
		return copy_to_user((void *)arg, &sectors, sizeof(sectors)) ? -EFAULT : 0;
	}
	case BLKSSZGET: {
		int ssz = SECTOR_SIZE;
		return copy_to_user((void *)arg, &ssz, sizeof(ssz)) ? -EFAULT : 0;
	}
	case BLKFLSBUF:
		return bsync(bd);
	case BLKRRPART:
		return bd->partno ? -EINVAL : blk_rescan(bd);
	default:
		return -ENOTTY;
	}
}

/* Closing a written block device writes it back, as Linux's blkdev_release does on the last close. */
static void blkdev_release(struct inode *inode, struct file *f)
{
	(void)inode;
	if (!f->private)
		return;
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		bsync(f->private);
	blk_put(f->private);
}

static const struct file_ops blkdev_fops = {
	.open = blkdev_open,
	.release = blkdev_release,
	.read = blkdev_read,
	.write = blkdev_write,
	.llseek = blkdev_llseek,
	.ioctl = blkdev_ioctl,
};

/* ---- /proc/partitions and /proc/diskstats ---- */

struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = s->len < s->size ? s->size - s->len : 0;
	int n = vsnprintf(s->buf + (room ? s->len : 0), room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += (size_t)n;
}

static size_t sb_finish(struct sbuf *s)
{
	if (s->size)
		s->buf[MIN(s->len, s->size - 1)] = 0;
	return s->len;
}

size_t blk_format_partitions(char *buf, size_t size)
{
	struct sbuf s = { buf, size, 0 };
	sb_add(&s, "major minor  #blocks  name\n\n");
	mutex_lock(&disks_lock);
	for (struct block_device *d = disks; d; d = d->next) {
		for (unsigned i = 0; i <= BLK_MAX_PARTS; i++) {
			struct block_device *b = i ? d->parts[i] : d;
			if (b)
				sb_add(&s, "%4u  %7u %10llu %s\n", MAJOR(b->dev.devt), MINOR(b->dev.devt),
				       (unsigned long long)(b->nr_sectors / 2), b->dev.name);
		}
	}
	mutex_unlock(&disks_lock);
	return sb_finish(&s);
}

size_t blk_format_diskstats(char *buf, size_t size)
{
	struct sbuf s = { buf, size, 0 };
	mutex_lock(&disks_lock);
	for (struct block_device *d = disks; d; d = d->next) {
		for (unsigned i = 0; i <= BLK_MAX_PARTS; i++) {
			struct block_device *b = i ? d->parts[i] : d;
			if (!b)
				continue;
			const struct blk_stats *st = &b->stats;
			/* Linux 5.5+ has 20 fields after the name: discards (4) and flushes (2) at the end. */
			sb_add(&s, "%4u %7u %s %llu %llu %llu %llu %llu %llu %llu %llu %u %llu %llu 0 0 0 0 %llu 0\n",
			       MAJOR(b->dev.devt), MINOR(b->dev.devt), b->dev.name,
			       (unsigned long long)st->ios[0], (unsigned long long)st->merges[0],
			       (unsigned long long)st->sectors[0], (unsigned long long)st->ticks_ms[0],
			       (unsigned long long)st->ios[1], (unsigned long long)st->merges[1],
			       (unsigned long long)st->sectors[1], (unsigned long long)st->ticks_ms[1],
			       st->in_flight, (unsigned long long)st->io_ticks_ms,
			       (unsigned long long)st->time_in_queue_ms, (unsigned long long)st->flushes);
		}
	}
	mutex_unlock(&disks_lock);
	return sb_finish(&s);
}
