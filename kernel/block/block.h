/*
 * The block layer: block devices (whole disks and their partitions) in the driver model and
 * /dev, bios submitted through a per-disk request queue (merging, a C-LOOK elevator with a
 * deadline against starvation), completion by the driver's interrupt, a buffer cache for
 * block-sized I/O, MBR/GPT partitions, and the /proc/partitions and /proc/diskstats texts.
 */
#pragma once

#include "block/partition.h"
#include "block/request.h"
#include "drivers/base/device.h"
#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "sched/wait.h"

#define SECTOR_SIZE  512
#define SECTOR_SHIFT 9
#define BLK_MAX_PARTS 15 /* minors per disk: the disk plus 15 partitions, as Linux's sd/vd */

struct blk_ops {
	/* Starts rq on the hardware: 0 when taken, -EBUSY when the device is full now (the queue
	 * retries after the next completion). Called with the queue lock held, interrupts off. */
	int (*queue_rq)(struct block_device *disk, struct request *rq);
	/*
	 * Optional: a request has been with the driver longer than the command timeout
	 * (blk.timeout=, 30 s by default, as Linux's). The driver resets the device, which loses what
	 * was issued, and ends those requests with -EIO. Called from the block watchdog thread
	 * (may sleep), never with the queue lock held.
	 */
	void (*timeout)(struct block_device *disk);
};

/* The counters /proc/diskstats shows (index 0 reads, 1 writes). */
struct blk_stats {
	uint64_t ios[2], merges[2], sectors[2], ticks_ms[2];
	uint64_t flushes;
	uint32_t in_flight;
	uint64_t io_ticks_ms, time_in_queue_ms;
	uint64_t busy_since_ns;
};

struct blk_queue {
	spinlock_t lock;            /* everything below; taken with interrupts off */
	struct request *pending;    /* sorted by sector */
	unsigned nr_pending;
	unsigned in_flight;
	uint64_t head_pos;          /* where the elevator's sweep stands */
	unsigned plugged;           /* >0: hold requests back so that a batch can merge */
	struct request *inflight;   /* taken by the driver, not yet ended (newest first) */
	uint32_t max_sectors, max_segments;
};

struct block_device {
	struct device dev;          /* "vda", "vda1"; class block */
	struct block_device *whole; /* the disk itself for a disk */
	uint64_t start;             /* first sector on the disk */
	uint64_t nr_sectors;
	unsigned partno;            /* 0 for the disk */
	bool read_only;
	struct blk_stats stats;
	/* Disks only: */
	const struct blk_ops *ops;
	void *driver_data;
	struct blk_queue queue;
	struct block_device *parts[BLK_MAX_PARTS + 1];
	struct block_device *next;  /* all disks */
	int refs;                   /* the driver's, plus one per blk_lookup_* user */
	bool dead;                  /* unplugged: new I/O fails with EIO */
	/* Frees the driver's memory once the last reference is gone (after blk_del_disk). */
	void (*release)(struct block_device *disk);
};

/*
 * Disks: the driver fills dev.name, nr_sectors, ops, driver_data, queue limits, sets dev.parent
 * and dev.devt, then adds the disk; partitions are scanned and registered as children.
 */
int blk_add_disk(struct block_device *disk);
/*
 * Hot-unplug: the disk and its partitions leave /dev and the disk list, later I/O fails with
 * EIO, pending requests are failed. Users holding references (a mounted file system, an open
 * node) keep the structures until their blk_put; the driver drops its own reference last
 * (after failing what it still had in flight), and release runs at the last put.
 */
void blk_del_disk(struct block_device *disk);
void blk_get(struct block_device *bdev);
void blk_put(struct block_device *bdev);
/* Reads disk's partition table again (BLKRRPART): 0, or -EBUSY while it is in use. */
int blk_rescan(struct block_device *disk);
/* A major number for a driver's disks (Linux's dynamic range, from 254 down). */
unsigned blk_alloc_major(void);
/* A fixed major for a driver's disks (sd's 8), once. */
void blk_register_major(unsigned major);
/* The block device with this dev_t with a reference (blk_put it), or NULL. */
struct block_device *blk_lookup_devt(dev_t devt);
/* The block device a path names (an S_IFBLK node) with a reference, for file systems' mount:
 * 0 or -errno (-ENOTBLK not a block device, -ENXIO no such device). Callable with vfs_lock held. */
int blk_lookup_path(const char *path, struct block_device **out);

/* Queues bio (bounds-checked: -EIO through end_io when outside the device). */
void blk_submit_bio(struct bio *bio);
/* The driver's completion of rq (interrupt context allowed): ends every bio, starts more. */
void blk_end_request(struct block_device *disk, struct request *rq, int status);
/* Synchronous I/O to a physically contiguous buffer: 0 or -errno. */
int blk_rw(struct block_device *bdev, enum blk_op op, uint64_t sector, uint32_t nr_sectors, void *buf);
int blk_flush(struct block_device *bdev);
/*
 * Plugging (as Linux's blk_start_plug): between blk_plug and blk_unplug the queue only collects
 * and merges; unplugging hands the batch to the driver. Nests.
 */
void blk_plug(struct block_device *bdev);
/* Whether a request has been with disk's driver for longer than limit_ns (the watchdog's test). */
bool blk_timed_out(struct block_device *disk, uint64_t now, uint64_t limit_ns);
/* Marks the disk dead and fails its pending requests (blk_del_disk does it). */
void blk_kill_queue(struct block_device *disk);
void blk_unplug(struct block_device *bdev);

/* ---- the buffer cache: block-sized pieces of a device, shared and written back ---- */
struct buf {
	struct block_device *disk;  /* the whole disk */
	uint64_t sector;            /* on the disk */
	uint32_t size;              /* 512 .. 4096, a multiple of 512 */
	void *data;
	bool valid, dirty;
	int refcount;               /* under the cache lock */
	struct mutex io_lock;       /* held while the buffer is read in */
	struct buf *hash_next, *lru_prev, *lru_next;
};
/* Block `block` of size bytes on bdev (a reference, contents valid) or ERR_PTR(-EIO...). */
struct buf *bread(struct block_device *bdev, uint64_t block, uint32_t size);
/* The same without reading (the caller overwrites it whole): valid and zero-filled. */
struct buf *bget_zero(struct block_device *bdev, uint64_t block, uint32_t size);
void bdirty(struct buf *b);
void brelse(struct buf *b);
/* Writes b now if dirty: 0 or -errno. */
int bwrite(struct buf *b);
/* Writes every dirty buffer of bdev's disk, then flushes the disk's cache: 0 or -errno. */
int bsync(struct block_device *bdev);
/* Dirty buffers in the cache (the flusher's test). */
unsigned bcache_dirty_count(void);
/* Writes back every disk (sync(2); the flusher every 5 s): 0 or the first error. */
int blk_sync_all(void);
/* Writes back the disk holding devt (fsync, syncfs); 0 when devt is no block device. */
int blk_sync_devt(dev_t devt);
/* Drops every buffer of a released disk, dirty ones too (nothing can write them now). */
void bcache_forget(struct block_device *disk);
/* Drops bdev's disk's clean unreferenced buffers (after unmount, so the disk is re-read). */
void binvalidate(struct block_device *bdev);

/* Makes the cache safe for O_DIRECT I/O to a range of the disk (bcache.c): 0 or -errno. */
int bcache_direct_range(struct block_device *disk, uint64_t sector, uint64_t nr, bool write);
/*
 * O_DIRECT read (wbuf NULL, into kbuf) or write (from wbuf) of len bytes at byte pos of bdev,
 * past the buffer cache: pos and len multiples of 512 (else -EINVAL), the buffer a physically
 * contiguous direct-map one (the syscall layer's chunk). Bytes moved, 0 at the end, or -errno.
 */
ssize_t blk_direct_rw(struct block_device *bdev, void *kbuf, const void *wbuf, size_t len, uint64_t pos);

/* procfs: Linux's /proc/partitions and /proc/diskstats text (snprintf-like return). */
size_t blk_format_partitions(char *buf, size_t size);
size_t blk_format_diskstats(char *buf, size_t size);
