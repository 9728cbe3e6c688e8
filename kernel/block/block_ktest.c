/*
 * Block layer ktests on a QEMU virtio disk prepared by tests/system/block/virtio_blk.sh:
 * vda holds a host-written pattern (sector s starts with s as a little-endian u64, then bytes
 * (s * 7 + i) & 0xff); the tests read it back through every path (blk_rw, the buffer cache,
 * /dev/vda), write a second pattern with many small concurrent bios (which must merge) for the
 * host to check after power-off, and print /proc/partitions and /proc/diskstats for the script.
 */
#include "block/block.h"
#include "console/console.h"
#include "drivers/block/blkdrv.h"
#include "fs/vfs.h"
#include "lib/cmdline.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "test/ktest.h"
#include "time/clock.h"

#define WRITE_START 4096  /* sectors the write test owns (the host checks them) */
#define WRITE_COUNT 256

static bool pattern_ok(const uint8_t *p, uint64_t sector)
{
	uint64_t tag;
	memcpy(&tag, p, 8);
	if (tag != sector)
		return false;
	for (unsigned i = 8; i < SECTOR_SIZE; i++)
		if (p[i] != (uint8_t)((sector * 7 + i) & 0xff))
			return false;
	return true;
}

/* The written pattern: 'W', the sector, then (sector + i) & 0xff. */
static void fill_written(uint8_t *p, uint64_t sector)
{
	memset(p, 0, SECTOR_SIZE);
	p[0] = 'W';
	memcpy(p + 8, &sector, 8);
	for (unsigned i = 16; i < SECTOR_SIZE; i++)
		p[i] = (uint8_t)((sector + i) & 0xff);
}

/*
 * The disks the tests use, so that every driver runs the same suite: the pattern disk
 * (blktest.disk=sda on the command line; vda by default) and the blank one for the partition
 * rescan (blktest.blank=, vdd by default), as "/dev/NAME".
 */
static char disk_name[16] = "vda", blank_name[16] = "vdd";

static int param_disk(const char *val)
{
	if (!val || !*val || strlen(val) >= sizeof(disk_name))
		return -EINVAL;
	memcpy(disk_name, val, strlen(val) + 1);
	return 0;
}
KPARAM("blktest.disk", param_disk);

static int param_blank(const char *val)
{
	if (!val || !*val || strlen(val) >= sizeof(blank_name))
		return -EINVAL;
	memcpy(blank_name, val, strlen(val) + 1);
	return 0;
}
KPARAM("blktest.blank", param_blank);

static const char *test_disk(const char *name, char *path, size_t size)
{
	snprintf(path, size, "/dev/%s", name);
	return path;
}

static char disk_path[24], blank_path[24];

static struct block_device *vda(void)
{
	struct block_device *bd = NULL;
	if (blk_lookup_path(test_disk(disk_name, disk_path, sizeof(disk_path)), &bd) < 0)
		return NULL;
	blk_put(bd); /* the disk stays: nothing unplugs it during the ktests */
	return bd;
}

/* ktests run in reverse order of definition: this one last. */
/* Prints a procfs file line by line as "blk-proc: NAME: LINE" for the system test. */
static int dump_proc(const char *path, const char *tag)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	char *text = kzalloc(8192);
	ssize_t n = text ? vfs_read(f, text, 8191) : -ENOMEM;
	file_put(f);
	if (n < 0) {
		kfree(text);
		return (int)n;
	}
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		kprintf("blk-proc: %s: %s\n", tag, line);
		if (!nl)
			break;
		line = nl + 1;
	}
	kfree(text);
	return 0;
}

KTEST(blk_proc_files)
{
	KT_ASSERT_EQ(dump_proc("/proc/partitions", "partitions"), 0);
	KT_ASSERT_EQ(dump_proc("/proc/diskstats", "diskstats"), 0);
}

/* BLKRRPART on the blank fourth disk (vdd): write an MBR through /dev/vdd, re-read the table. */
KTEST(blk_rescan_partitions)
{
	struct block_device *bd;
	const char *blank = test_disk(blank_name, blank_path, sizeof(blank_path));
	if (blk_lookup_path(blank, &bd) < 0) {
		kprintf("ktest: blk_rescan_partitions: no %s; skipped\n", blank);
		return;
	}
	blk_put(bd);
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, blank, O_RDWR, 0, &f), 0);
	uint8_t mbr[SECTOR_SIZE] = { 0 };
	const uint32_t table[2][2] = { { 2048, 4096 }, { 8192, 2048 } };
	for (int i = 0; i < 2; i++) {
		uint8_t *e = mbr + 446 + 16 * i;
		e[4] = 0x83;
		memcpy(e + 8, &table[i][0], 4);
		memcpy(e + 12, &table[i][1], 4);
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	ssize_t n = vfs_pwrite(f, mbr, sizeof(mbr), 0);
	int rr = vfs_ioctl(f, 0x125f /* BLKRRPART */, 0);
	struct block_device *p1 = NULL, *p2 = NULL;
	/* Linux's partition names: sdd1, but nvme0n1p1 after a digit. */
	char part[32];
	const char *sep = blank[strlen(blank) - 1] >= '0' && blank[strlen(blank) - 1] <= '9' ? "p" : "";
	snprintf(part, sizeof(part), "%s%s1", blank, sep);
	int e1 = blk_lookup_path(part, &p1);
	snprintf(part, sizeof(part), "%s%s2", blank, sep);
	int e2 = blk_lookup_path(part, &p2);
	uint64_t s1 = p1 ? p1->start : 0, n1 = p1 ? p1->nr_sectors : 0, s2 = p2 ? p2->start : 0;
	/* A held partition makes a rescan EBUSY. */
	int busy = vfs_ioctl(f, 0x125f, 0);
	if (p1)
		blk_put(p1);
	if (p2)
		blk_put(p2);
	file_put(f);
	KT_ASSERT_EQ(n, SECTOR_SIZE);
	KT_ASSERT_EQ(rr, 0);
	KT_ASSERT_EQ(e1, 0);
	KT_ASSERT_EQ(e2, 0);
	KT_ASSERT_EQ(s1, 2048);
	KT_ASSERT_EQ(n1, 4096);
	KT_ASSERT_EQ(s2, 8192);
	KT_ASSERT_EQ(busy, -EBUSY);
}

KTEST(blk_virtio_read_pattern)
{
	struct block_device *bd = vda();
	if (!bd) {
		kprintf("ktest: blk_virtio_read_pattern: no %s; skipped\n", disk_path);
		return;
	}
	KT_ASSERT(bd->nr_sectors >= 8192);
	uint8_t *buf = kmalloc(64 * SECTOR_SIZE);
	KT_ASSERT(buf);
	/* Large reads (64 sectors at once) over the first 4096 sectors... */
	for (uint64_t s = 0; s < 4096; s += 64) {
		int err = blk_rw(bd, BLK_READ, s, 64, buf);
		if (err) {
			kfree(buf);
			KT_ASSERT_EQ(err, 0);
		}
		for (unsigned i = 0; i < 64; i++) {
			if (!pattern_ok(buf + i * SECTOR_SIZE, s + i)) {
				kfree(buf);
				ktest_fail_at(__FILE__, __LINE__, "sector %llu does not hold the pattern",
					      (unsigned long long)(s + i));
				return;
			}
		}
	}
	/* ...single sectors near the end, and a read past the end fails with EIO. */
	uint64_t last = bd->nr_sectors - 1;
	KT_ASSERT_EQ(blk_rw(bd, BLK_READ, last, 1, buf), 0);
	bool ok = pattern_ok(buf, last);
	int past = blk_rw(bd, BLK_READ, last, 2, buf);
	kfree(buf);
	KT_ASSERT(ok);
	KT_ASSERT_EQ(past, -EIO);
	/* The buffer cache: 4 KiB blocks see the same bytes. */
	struct buf *b = bread(bd, 3, 4096);
	KT_ASSERT(!IS_ERR(b));
	ok = pattern_ok(b->data, 24) && pattern_ok((uint8_t *)b->data + 7 * SECTOR_SIZE, 31);
	brelse(b);
	KT_ASSERT(ok);
	/* And /dev/vda through the VFS, at an odd offset. */
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, disk_path, O_RDONLY, 0, &f), 0);
	uint8_t small[16];
	KT_ASSERT_EQ(vfs_pread(f, small, sizeof(small), 1000 * SECTOR_SIZE + 8), (ssize_t)sizeof(small));
	file_put(f);
	for (unsigned i = 0; i < sizeof(small); i++)
		KT_ASSERT_EQ(small[i], (uint8_t)((1000 * 7 + 8 + i) & 0xff));
	kprintf("ktest: blk_virtio_read_pattern: %llu sectors, pattern verified\n",
		(unsigned long long)bd->nr_sectors);
}

struct wctx {
	struct completion done;
	int errors;
};

static void write_end(struct bio *bio)
{
	struct wctx *w = bio->private;
	if (bio->status)
		__atomic_fetch_add(&w->errors, 1, __ATOMIC_RELAXED);
	complete(&w->done);
}

KTEST(blk_virtio_write)
{
	struct block_device *bd = vda();
	if (!bd) {
		kprintf("ktest: blk_virtio_write: no %s; skipped\n", disk_path);
		return;
	}
	uint8_t *data = kmalloc(WRITE_COUNT * SECTOR_SIZE);
	struct bio *bios = kzalloc(WRITE_COUNT * sizeof(struct bio));
	static struct wctx w;
	if (!data || !bios) {
		kfree(data);
		kfree(bios);
		KT_ASSERT(false);
	}
	completion_init(&w.done);
	w.errors = 0;
	uint64_t merges0 = bd->stats.merges[1], ios0 = bd->stats.ios[1];
	/* One-sector bios submitted under a plug, in reverse order: the elevator sorts them and
	 * front merging joins them into requests as large as the queue allows. */
	blk_plug(bd);
	for (int i = WRITE_COUNT - 1; i >= 0; i--) {
		fill_written(data + i * SECTOR_SIZE, WRITE_START + (uint64_t)i);
		bios[i] = (struct bio){ .bdev = bd, .op = BLK_WRITE, .sector = WRITE_START + (uint64_t)i,
					.nr_sectors = 1, .buf = data + i * SECTOR_SIZE, .end_io = write_end,
					.private = &w };
		blk_submit_bio(&bios[i]);
	}
	blk_unplug(bd);
	for (int i = 0; i < WRITE_COUNT; i++)
		wait_for_completion(&w.done);
	int errors = w.errors;
	uint64_t merges = bd->stats.merges[1] - merges0, ios = bd->stats.ios[1] - ios0;
	int flush = blk_flush(bd);
	/* Read back through a fresh buffer. */
	memset(data, 0, WRITE_COUNT * SECTOR_SIZE);
	int rerr = blk_rw(bd, BLK_READ, WRITE_START, WRITE_COUNT, data);
	bool same = true;
	uint8_t expect[SECTOR_SIZE];
	for (int i = 0; i < WRITE_COUNT && same; i++) {
		fill_written(expect, WRITE_START + (uint64_t)i);
		same = memcmp(expect, data + i * SECTOR_SIZE, SECTOR_SIZE) == 0;
	}
	kfree(data);
	kfree(bios);
	KT_ASSERT_EQ(errors, 0);
	KT_ASSERT_EQ(flush, 0);
	KT_ASSERT_EQ(rerr, 0);
	KT_ASSERT(same);
	KT_ASSERT_EQ(ios, WRITE_COUNT);
	KT_ASSERT(merges > 0);
	/* Writes outside the device fail without touching it. */
	uint8_t one[SECTOR_SIZE];
	KT_ASSERT_EQ(blk_rw(bd, BLK_WRITE, bd->nr_sectors, 1, one), -EIO);
	kprintf("ktest: blk_virtio_write: %d one-sector writes, %llu merged, flushed\n", WRITE_COUNT,
		(unsigned long long)merges);
}


#define DIRECT_SECTOR 8192 /* 8 sectors the O_DIRECT test changes and puts back */

/*
 * O_DIRECT on the disk node: misaligned transfers are refused, a direct read sees the pattern,
 * a direct write replaces what the buffer cache held (a buffered read after it sees the new
 * bytes), and a direct read sees a buffered write that is still dirty in the cache. The sectors
 * end as they were, for the host's check of the whole pattern.
 */
KTEST(blk_direct_io)
{
	if (!vda()) {
		kprintf("ktest: blk_direct_io: no %s; skipped\n", disk_path);
		return;
	}
	struct file *d, *c;
	KT_ASSERT_EQ(vfs_open(NULL, disk_path, O_RDWR | O_DIRECT, 0, &d), 0);
	if (vfs_open(NULL, disk_path, O_RDWR, 0, &c)) {
		file_put(d);
		KT_ASSERT(false);
	}
	uint8_t *buf = kmalloc(65536), *orig = kmalloc(4096);
	ssize_t odd_pos = -1, odd_len = -1, big = -1, wr = -1, cached = -1, back = -1, reread = -1;
	bool pattern = true, fresh = false, dirty_seen = false;
	if (buf && orig) {
		odd_pos = vfs_pread(d, buf, 4096, 100);
		odd_len = vfs_pread(d, buf, 100, 0);
		big = vfs_pread(d, buf, 65536, 2048 * SECTOR_SIZE);
		for (unsigned i = 0; i < 128 && pattern; i++)
			pattern = pattern_ok(buf + i * SECTOR_SIZE, 2048 + i);
		/* The cache holds the 4 KiB block; the direct write goes around it. */
		cached = vfs_pread(c, orig, 4096, DIRECT_SECTOR * SECTOR_SIZE);
		memset(buf, 'D', 4096);
		wr = vfs_pwrite(d, buf, 4096, DIRECT_SECTOR * SECTOR_SIZE);
		memset(buf, 0, 4096);
		fresh = vfs_pread(c, buf, 4096, DIRECT_SECTOR * SECTOR_SIZE) == 4096 && buf[0] == 'D' && buf[4095] == 'D';
		/* The pattern back through the cache (dirty there), read directly. */
		back = vfs_pwrite(c, orig, 4096, DIRECT_SECTOR * SECTOR_SIZE);
		reread = vfs_pread(d, buf, 4096, DIRECT_SECTOR * SECTOR_SIZE);
		dirty_seen = memcmp(buf, orig, 4096) == 0 && pattern_ok(orig, DIRECT_SECTOR);
	}
	file_put(c);
	file_put(d);
	kfree(buf);
	kfree(orig);
	KT_ASSERT_EQ(odd_pos, -EINVAL);
	KT_ASSERT_EQ(odd_len, -EINVAL);
	KT_ASSERT_EQ(big, 65536);
	KT_ASSERT(pattern);
	KT_ASSERT_EQ(cached, 4096);
	KT_ASSERT_EQ(wr, 4096);
	KT_ASSERT(fresh);
	KT_ASSERT_EQ(back, 4096);
	KT_ASSERT_EQ(reread, 4096);
	KT_ASSERT(dirty_seen);
}

/*
 * The command timeout (tests/system/block/timeout.sh boots with blk.timeout=2): the driver
 * ignores the next completion, as if the device had never sent it; the block watchdog must
 * reset the device and the read fail with EIO within the timeout plus a few seconds, and the
 * disk must read correctly afterwards (the later ktests of the run use it too). Drivers
 * without a timeout op (virtio-blk, NVMe) skip it.
 */
KTEST(blk_timeout_reset)
{
	struct block_device *bd = vda();
	if (!bd || !bd->ops->timeout) {
		kprintf("ktest: blk_timeout_reset: no %s with a timeout handler; skipped\n", disk_path);
		return;
	}
	uint8_t *buf = kmalloc(4096);
	KT_ASSERT(buf);
	__atomic_store_n(&blkdrv_lose_completions, 1, __ATOMIC_RELAXED);
	uint64_t t0 = clock_monotonic_ns();
	int err = blk_rw(bd, BLK_READ, 64, 8, buf);
	uint64_t took_ms = (clock_monotonic_ns() - t0) / 1000000;
	int left = __atomic_exchange_n(&blkdrv_lose_completions, 0, __ATOMIC_RELAXED);
	memset(buf, 0, 4096);
	int again = blk_rw(bd, BLK_READ, 64, 8, buf);
	bool ok = pattern_ok(buf, 64) && pattern_ok(buf + 7 * SECTOR_SIZE, 71);
	kfree(buf);
	KT_ASSERT_EQ(left, 0);
	KT_ASSERT_EQ(err, -EIO);
	KT_ASSERT(took_ms >= 1500 && took_ms < 15000);
	KT_ASSERT_EQ(again, 0);
	KT_ASSERT(ok);
	kprintf("ktest: blk_timeout_reset: EIO after %llu ms, then the disk reads again\n",
		(unsigned long long)took_ms);
}
