/*
 * virtio-blk (virtio spec 5.2) over the virtio PCI transport: one request queue, each block
 * layer request a descriptor chain (header, one buffer per bio, status byte), completion by the
 * queue's interrupt. Disks are named vda, vdb... as on Linux. A command the device never
 * completes (the block watchdog's timeout) resets the device and fails what it held with EIO.
 *
 * Locking: cmd_lock (interrupts off) guards cmds[], `resetting` and `dead`; a command is ended
 * by whoever clears its `busy` under it (the interrupt, a reset or hot-unplug), never twice.
 * reset_lock (a mutex) keeps a reset and hot-unplug apart.
 */
#include "block/block.h"
#include "console/console.h"
#include "drivers/block/blkdrv.h"
#include "drivers/virtio/virtio.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/wait.h"
#include "drivers/block/virtio_blk.h"

/* Feature bits (spec 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Device configuration offsets (struct virtio_blk_config). */
#define VBLK_CFG_CAPACITY 0  /* le64, 512-byte sectors */
#define VBLK_CFG_SIZE_MAX 8  /* le32 */
#define VBLK_CFG_SEG_MAX  12 /* le32 */

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "the request header is 16 bytes");
#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VBLK_QUEUE_MAX 128
#define VBLK_MAX_SEGS  32

/* One in-flight command: header and status live here (DMA-able kmalloc memory). */
struct vblk_cmd {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
	bool busy;
	struct request *rq;
};

struct vblk {
	struct virtio_dev vd;
	struct block_device disk;
	struct vblk_cmd *cmds;
	unsigned ncmds;
	spinlock_t cmd_lock;
	bool resetting;             /* a reset after a timeout: queue nothing (-EBUSY) */
	bool dead;                  /* the device did not come back from a reset: EIO */
	struct mutex reset_lock;
	uint64_t irqs;
};

static unsigned vblk_major;
static uint32_t vblk_used;  /* disk letters in use (a bit each), reused after hot-unplug */
static spinlock_t vblk_used_lock = SPINLOCK_INIT;

static int index_alloc(void)
{
	int index = -1;
	spin_lock(&vblk_used_lock);
	for (int i = 0; i < 26 && index < 0; i++)
		if (!(vblk_used & (1u << i)))
			index = i;
	if (index >= 0)
		vblk_used |= 1u << index;
	spin_unlock(&vblk_used_lock);
	return index;
}

static void index_free(unsigned index)
{
	spin_lock(&vblk_used_lock);
	vblk_used &= ~(1u << index);
	spin_unlock(&vblk_used_lock);
}

/* A free command slot (cmd_lock held), or NULL. */
static struct vblk_cmd *cmd_alloc(struct vblk *vb)
{
	for (unsigned i = 0; i < vb->ncmds; i++)
		if (!vb->cmds[i].busy)
			return &vb->cmds[i];
	return NULL;
}

/* Takes c's request if c is still outstanding, so that exactly one caller ends it. */
static struct request *cmd_take(struct vblk *vb, struct vblk_cmd *c)
{
	uint64_t irq = spin_lock_irqsave(&vb->cmd_lock);
	struct request *rq = c->busy ? c->rq : NULL;
	c->busy = false;
	c->rq = NULL;
	spin_unlock_irqrestore(&vb->cmd_lock, irq);
	return rq;
}

/* Ends every outstanding command with EIO (after a reset or teardown): how many there were. */
static unsigned fail_outstanding(struct vblk *vb)
{
	unsigned n = 0;
	for (unsigned i = 0; i < vb->ncmds; i++) {
		struct request *rq = cmd_take(vb, &vb->cmds[i]);
		if (rq) {
			blk_end_request(&vb->disk, rq, -EIO);
			n++;
		}
	}
	return n;
}

static int vblk_queue_rq(struct block_device *disk, struct request *rq)
{
	struct vblk *vb = disk->driver_data;
	if (!vb->vd.queues)
		return -EIO; /* torn down (hot-unplug) */
	struct virtqueue *vq = &vb->vd.queues[0];
	if (rq->op == BLK_FLUSH && !virtio_has(&vb->vd, VIRTIO_BLK_F_FLUSH))
		return -ENOTSUP;
	if (rq->nr_bios > VBLK_MAX_SEGS)
		return -EINVAL; /* the queue limits say this cannot happen */
	/* Under cmd_lock to the kick, so that a reset never finds a chain half queued. */
	uint64_t irq = spin_lock_irqsave(&vb->cmd_lock);
	int err = vb->dead ? -EIO : vb->resetting ? -EBUSY : 0;
	struct vblk_cmd *c = NULL;
	if (!err && (virtq_free_count(vq) < rq->nr_bios + 2 || !(c = cmd_alloc(vb))))
		err = -EBUSY;
	if (err) {
		spin_unlock_irqrestore(&vb->cmd_lock, irq);
		return err;
	}
	c->rq = rq;
	c->status = 0xff;
	c->hdr.type = rq->op == BLK_READ ? VIRTIO_BLK_T_IN : rq->op == BLK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
	c->hdr.reserved = 0;
	c->hdr.sector = rq->op == BLK_FLUSH ? 0 : rq->sector;

	struct virtq_buf bufs[VBLK_MAX_SEGS + 2];
	unsigned n = 0;
	bufs[n++] = (struct virtq_buf){ virtio_virt_to_phys(&c->hdr), sizeof(c->hdr), false };
	for (struct bio *b = rq->bios; b && rq->op != BLK_FLUSH; b = b->next)
		bufs[n++] = (struct virtq_buf){ virtio_virt_to_phys(b->buf), b->nr_sectors * SECTOR_SIZE,
						rq->op == BLK_READ };
	bufs[n++] = (struct virtq_buf){ virtio_virt_to_phys(&c->status), 1, true };
	if (virtq_add(vq, bufs, n, c)) {
		c->rq = NULL;
		spin_unlock_irqrestore(&vb->cmd_lock, irq);
		return -EBUSY;
	}
	c->busy = true;
	virtq_kick(vq);
	spin_unlock_irqrestore(&vb->cmd_lock, irq);
	return 0;
}

/*
 * A command the device has not completed within the block layer's timeout: reset the device
 * (virtio spec 2.4) and initialise it again with the same features and interrupts, its ring
 * emptied, then fail with EIO every command it held, as the AHCI, NVMe and IDE drivers do
 * after their resets. A device that does not come back is dead: later I/O gets EIO.
 */
static void vblk_timeout(struct block_device *disk)
{
	struct vblk *vb = disk->driver_data;
	mutex_lock(&vb->reset_lock);
	if (!vb->vd.queues) { /* hot-unplugged meanwhile: remove failed everything */
		mutex_unlock(&vb->reset_lock);
		return;
	}
	uint64_t irq = spin_lock_irqsave(&vb->cmd_lock);
	vb->resetting = true;
	spin_unlock_irqrestore(&vb->cmd_lock, irq);
	/* From the reset on the device completes nothing it was given: its ring starts empty. */
	int err = virtio_reset_reinit(&vb->vd);
	unsigned failed = fail_outstanding(vb);
	irq = spin_lock_irqsave(&vb->cmd_lock);
	vb->resetting = false;
	vb->dead = err != 0;
	spin_unlock_irqrestore(&vb->cmd_lock, irq);
	mutex_unlock(&vb->reset_lock);
	pr_warn("virtio-blk: %s: command timeout: device reset %s, %u commands failed\n", disk->dev.name,
		err ? "failed: the device is dead" : "done", failed);
	/* Requests told EBUSY meanwhile have no completion to restart them: kick the queue. */
	blk_plug(disk);
	blk_unplug(disk);
}

static const struct blk_ops vblk_ops = { .queue_rq = vblk_queue_rq, .timeout = vblk_timeout };
static void vblk_release(struct block_device *disk);

/* The request queue's interrupt: end every returned chain. */
static void vblk_done(struct virtqueue *vq, void *ctx)
{
	struct vblk *vb = ctx;
	__atomic_fetch_add(&vb->irqs, 1, __ATOMIC_RELAXED);
	struct vblk_cmd *c;
	while ((c = virtq_get_used(vq, NULL))) {
		if (blkdrv_lose_completion())
			continue; /* the ktest's "never completed": the command stays outstanding */
		uint8_t status = __atomic_load_n(&c->status, __ATOMIC_ACQUIRE);
		struct request *rq = cmd_take(vb, c);
		if (!rq)
			continue; /* a reset already failed it */
		int err = status == VIRTIO_BLK_S_OK ? 0 : status == VIRTIO_BLK_S_UNSUPP ? -ENOTSUP : -EIO;
		blk_end_request(&vb->disk, rq, err);
	}
}

static int vblk_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	struct vblk *vb = kzalloc(sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->cmd_lock = (spinlock_t)SPINLOCK_INIT;
	mutex_init(&vb->reset_lock);
	int err = virtio_pci_init(&vb->vd, pdev, "virtio-blk");
	if (!err)
		err = virtio_negotiate(&vb->vd, (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
						   (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
						   (1ull << VIRTIO_BLK_F_FLUSH));
	if (err)
		goto fail;
	uint64_t capacity = virtio_cfg_read64(&vb->vd, VBLK_CFG_CAPACITY);
	uint32_t seg_max = virtio_has(&vb->vd, VIRTIO_BLK_F_SEG_MAX) ? virtio_cfg_read32(&vb->vd, VBLK_CFG_SEG_MAX) : 1;
	uint32_t size_max = virtio_has(&vb->vd, VIRTIO_BLK_F_SIZE_MAX) ? virtio_cfg_read32(&vb->vd, VBLK_CFG_SIZE_MAX) : 0;
	virtq_callback_t cb[1] = { vblk_done };
	err = virtio_setup_queues(&vb->vd, 1, VBLK_QUEUE_MAX, cb, vb);
	if (err)
		goto fail;
	vb->ncmds = vb->vd.queues[0].size;
	vb->cmds = kzalloc(sizeof(struct vblk_cmd) * vb->ncmds);
	if (!vb->cmds) {
		err = -ENOMEM;
		goto fail_queues;
	}
	virtio_driver_ok(&vb->vd);

	if (!vblk_major)
		vblk_major = blk_alloc_major();
	int index = index_alloc();
	if (index < 0) {
		err = -ENOSPC;
		goto fail_queues;
	}
	struct block_device *disk = &vb->disk;
	disk->dev.name[0] = 'v';
	disk->dev.name[1] = 'd';
	disk->dev.name[2] = (char)('a' + index);
	disk->dev.parent = &pdev->dev;
	disk->dev.devt = MKDEV(vblk_major, index * (BLK_MAX_PARTS + 1));
	disk->nr_sectors = capacity;
	disk->read_only = virtio_has(&vb->vd, VIRTIO_BLK_F_RO);
	disk->ops = &vblk_ops;
	disk->driver_data = vb;
	disk->release = vblk_release;
	/* Each bio is one descriptor; a chain also needs the header and the status. */
	disk->queue.max_segments = MIN(MIN(seg_max ? seg_max : 1, (uint32_t)VBLK_MAX_SEGS), (uint32_t)vb->ncmds - 2);
	disk->queue.max_sectors = 256;
	(void)size_max; /* bios never exceed a page, far below any size_max QEMU offers */
	pdev->dev.driver_data = vb;
	pr_info("virtio-blk: %s: %s [%04x:%04x], %llu sectors, queue of %u, %s%s%s\n", disk->dev.name,
		pdev->dev.name, pdev->vendor, pdev->device, (unsigned long long)capacity, vb->ncmds,
		vb->vd.msix ? "MSI-X" : "INTx", virtio_has(&vb->vd, VIRTIO_BLK_F_FLUSH) ? ", flush" : "",
		disk->read_only ? ", read-only" : "");
	err = blk_add_disk(disk);
	if (err) {
		index_free((unsigned)index);
		goto fail_queues;
	}
	return 0;
fail_queues:
	virtio_teardown(&vb->vd);
fail:
	pr_warn("virtio-blk: %s: not bound (%d)\n", pdev->dev.name, err);
	pdev->dev.driver_data = NULL;
	kfree(vb->cmds);
	kfree(vb);
	return err;
}

/* The last reference to the disk is gone (see blk_put). */
static void vblk_release(struct block_device *disk)
{
	struct vblk *vb = disk->driver_data;
	kfree(vb->cmds);
	kfree(vb);
}

static void vblk_remove(struct pci_dev *pdev)
{
	struct vblk *vb = pdev->dev.driver_data;
	if (!vb)
		return;
	blk_del_disk(&vb->disk);
	/* After the reset the device completes nothing more: fail what it still had. */
	mutex_lock(&vb->reset_lock);
	virtio_teardown(&vb->vd);
	mutex_unlock(&vb->reset_lock);
	unsigned failed = fail_outstanding(vb);
	index_free(vb->disk.dev.name[2] - 'a');
	pr_info("virtio-blk: removed %s (%s, %llu interrupts, %u in flight ended with EIO)\n", vb->disk.dev.name,
		pdev->dev.name, (unsigned long long)vb->irqs, failed);
	pdev->dev.driver_data = NULL;
	blk_put(&vb->disk);
}

static const struct pci_device_id vblk_ids[] = {
	{ VIRTIO_PCI_VENDOR, 0x1001, 0, 0 }, /* transitional (also has the modern interface) */
	{ VIRTIO_PCI_VENDOR, 0x1040 + VIRTIO_ID_BLOCK, 0, 0 },
	{ 0 },
};

static struct pci_driver vblk_driver = {
	.driver = { .name = "virtio-blk" },
	.id_table = vblk_ids,
	.probe = vblk_probe,
	.remove = vblk_remove,
};

void virtio_blk_init(void)
{
	int err = pci_register_driver(&vblk_driver);
	if (err < 0)
		pr_err("virtio-blk: driver registration failed (%d)\n", err);
}
