/*
 * NVMe controllers (NVMe 1.4; QEMU's -device nvme): controller reset and enable, the admin
 * queue (used polled, at probe time only), IDENTIFY controller and namespaces, one I/O
 * completion/submission queue pair, READ/WRITE/FLUSH with PRPs, completion by MSI-X (INTx
 * when there is none). A namespace with 512-byte LBAs is a disk nvme<C>n<N>.
 */
#include "drivers/block/nvme.h"
#include "drivers/block/nvme_hw.h"
#include "drivers/block/blkdrv.h"
#include "block/block.h"
#include "console/console.h"
#include "drivers/pci/pci.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "time/clock.h"
#include "arch/x86_64/cpu.h"

#define NVME_ADMIN_DEPTH 16
#define NVME_IO_DEPTH    64   /* commands in flight; the queues have one slot more */
#define NVME_MAX_NS      8
#define NVME_SGL_SEGS    32   /* bios per request when the controller takes SGLs */
#define NVME_PSDT_SGL    0x40 /* CDW0 PSDT = 01b: SGLs, MPTR an address */
#define NVME_MAJOR       259 /* Linux's blkext major, where its NVMe namespaces live */
#define NVME_CMD_MASK    (NVME_IO_DEPTH >= 64 ? ~0ull : (1ull << (NVME_IO_DEPTH & 63)) - 1)
#define NVME_MAX_SECTORS 1024 /* 512 KiB: 129 PRP entries, within one list page; or MDTS's limit */

struct nvme_ctrl;

struct nvme_ns {
	struct nvme_ctrl *ctrl;
	uint32_t nsid;
	int minor_slot;             /* the disk's 16 minors start at minor_slot * 16 */
	struct block_device disk;
};

struct nvme_queue {
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	uint16_t size, sq_tail, sq_head, cq_head;
	uint8_t phase;
	volatile uint32_t *sq_db, *cq_db;
};

struct nvme_ctrl {
	struct pci_dev *pdev;
	volatile uint8_t *bar;
	uint64_t cap;
	unsigned dstrd, index;
	uint32_t timeout_ms;
	struct nvme_queue admin, io;
	spinlock_t lock;                 /* the I/O queue, cmds[]; interrupts off */
	struct request *cmds[NVME_IO_DEPTH];
	struct nvme_ns *cmd_ns[NVME_IO_DEPTH];
	uint64_t *prp_lists[NVME_IO_DEPTH]; /* one page each */
	uint64_t busy;                   /* a bit per command id in use */
	struct nvme_ns *ns[NVME_MAX_NS];
	unsigned nns, refs;              /* refs: namespaces' disks plus the driver's own */
	bool msix, intx, dead;
	bool resetting;                  /* a controller reset after a timeout: issue nothing */
	bool sgl;                        /* SGLs for I/O commands (SGLS in IDENTIFY) */
	uint32_t max_sectors;            /* per command: NVME_MAX_SECTORS or less (MDTS) */
	bool io_ready;                   /* the I/O queues exist: the handler may look */
	uint64_t irqs;
	char model[41], serial[21], firmware[9];
};

static uint32_t nvme_used;     /* controller numbers (nvme0, nvme1...) */
static uint64_t nvme_minors;   /* blocks of 16 minors, one per namespace, shared by controllers */
static spinlock_t nvme_used_lock = SPINLOCK_INIT;
static unsigned nvme_major;

static uint32_t rd32(struct nvme_ctrl *c, unsigned off) { return *(volatile uint32_t *)(c->bar + off); }
static void wr32(struct nvme_ctrl *c, unsigned off, uint32_t v) { *(volatile uint32_t *)(c->bar + off) = v; }
static uint64_t rd64(struct nvme_ctrl *c, unsigned off)
{
	return (uint64_t)rd32(c, off) | (uint64_t)rd32(c, off + 4) << 32;
}
static void wr64(struct nvme_ctrl *c, unsigned off, uint64_t v)
{
	wr32(c, off, (uint32_t)v);
	wr32(c, off + 4, (uint32_t)(v >> 32));
}

static void ctrl_put(struct nvme_ctrl *c)
{
	if (--c->refs)
		return;
	for (unsigned i = 0; i < NVME_IO_DEPTH; i++)
		if (c->prp_lists[i])
			pmm_free_virt(c->prp_lists[i], 0);
	if (c->admin.sq)
		pmm_free_virt(c->admin.sq, 0);
	if (c->admin.cq)
		pmm_free_virt(c->admin.cq, 0);
	if (c->io.sq)
		pmm_free_virt(c->io.sq, 1);
	if (c->io.cq)
		pmm_free_virt(c->io.cq, 0);
	kfree(c);
}

static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q, unsigned qid, uint16_t size)
{
	/* 64-byte SQ entries: 65 need two pages; 16-byte CQ entries fit one. */
	unsigned sq_order = size * sizeof(struct nvme_sqe) > 4096 ? 1 : 0;
	/* After a controller reset the queues are made again in the same (cleared) pages. */
	if (q->sq)
		memset(q->sq, 0, 4096u << sq_order);
	else
		q->sq = pmm_alloc_virt(sq_order, GFP_ZERO);
	if (q->cq)
		memset(q->cq, 0, 4096);
	else
		q->cq = pmm_alloc_virt(0, GFP_ZERO);
	if (!q->sq || !q->cq)
		return -ENOMEM;
	q->size = size;
	q->phase = 1;
	q->sq_tail = q->sq_head = q->cq_head = 0;
	q->sq_db = (volatile uint32_t *)(c->bar + nvme_doorbell(qid, false, c->dstrd));
	q->cq_db = (volatile uint32_t *)(c->bar + nvme_doorbell(qid, true, c->dstrd));
	return 0;
}

static bool wait_ready(struct nvme_ctrl *c, bool ready)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)c->timeout_ms * 1000000;
	for (;;) {
		uint32_t csts = rd32(c, NVME_REG_CSTS);
		if (csts == ~0u || (csts & NVME_CSTS_CFS))
			return false;
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return true;
		if (clock_monotonic_ns() > deadline)
			return false;
		cpu_pause();
	}
}

/* An admin command, polled: 0, -EIO (the status code is printed) or -ETIMEDOUT. */
static int admin_exec(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *result)
{
	struct nvme_queue *q = &c->admin;
	cmd->cid = q->sq_tail;
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = nvme_sq_next(q->sq_tail, q->size);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->sq_db = q->sq_tail;
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)c->timeout_ms * 1000000;
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];
	while ((e->status & NVME_CQE_PHASE) != q->phase) {
		if (clock_monotonic_ns() > deadline)
			return -ETIMEDOUT;
		cpu_pause();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint16_t status = e->status;
	if (result)
		*result = e->dw0;
	q->sq_head = e->sq_head;
	nvme_cq_next(&q->cq_head, &q->phase, q->size);
	*q->cq_db = q->cq_head;
	if (NVME_CQE_SC(status)) {
		pr_warn("nvme: %s: admin command %02x failed, status %03x\n", c->pdev->dev.name, cmd->opcode,
			NVME_CQE_SC(status));
		return -EIO;
	}
	return 0;
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid, void *page)
{
	struct nvme_sqe cmd = { .opcode = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = blkdrv_dma_addr(page),
				.cdw10 = cns };
	return admin_exec(c, &cmd, NULL);
}

static void copy_id_string(char *out, const uint8_t *in, unsigned len)
{
	unsigned n = 0;
	for (unsigned i = 0; i < len; i++)
		out[n++] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

/* PRPs (one bio: pages in the middle of a request must be whole, which merged bios are not). */
static int map_prps(struct nvme_ctrl *c, unsigned cid, struct request *rq, struct nvme_sqe *cmd)
{
	uint64_t *list = c->prp_lists[cid];
	return nvme_build_prps(blkdrv_dma_addr(rq->bios->buf), rq->nr_sectors * SECTOR_SIZE, 4096, &cmd->prp1,
			       &cmd->prp2, list, blkdrv_dma_addr(list), 4096 / 8);
}

/* An SGL: a data block descriptor per bio (adjacent ones joined), in the command's list page. */
static int map_sgl(struct nvme_ctrl *c, unsigned cid, struct request *rq, struct nvme_sqe *cmd)
{
	struct blkdrv_seg segs[NVME_SGL_SEGS];
	unsigned n = 0;
	for (struct bio *b = rq->bios; b; b = b->next)
		segs[n++] = (struct blkdrv_seg){ blkdrv_dma_addr(b->buf), b->nr_sectors * SECTOR_SIZE };
	struct nvme_sgl_desc dptr, *list = (struct nvme_sgl_desc *)c->prp_lists[cid];
	int err = nvme_build_sgl(segs, n, &dptr, list, blkdrv_dma_addr(list), 4096 / sizeof(*list));
	if (err)
		return err;
	memcpy(&cmd->prp1, &dptr, sizeof(dptr)); /* PRP1 and PRP2 are the 16-byte SGL1 */
	cmd->flags = NVME_PSDT_SGL;
	return 0;
}

static int nvme_queue_rq(struct block_device *disk, struct request *rq)
{
	struct nvme_ns *ns = disk->driver_data;
	struct nvme_ctrl *c = ns->ctrl;
	if (rq->op != BLK_FLUSH && rq->nr_bios > (c->sgl ? NVME_SGL_SEGS : 1u))
		return -EINVAL; /* the queue limits say this cannot happen */
	uint64_t irq = spin_lock_irqsave(&c->lock);
	if (c->dead) {
		spin_unlock_irqrestore(&c->lock, irq);
		return -EIO;
	}
	uint64_t free = ~c->busy & NVME_CMD_MASK;
	if (!free || c->resetting || nvme_sq_full(c->io.sq_tail, c->io.sq_head, c->io.size)) {
		spin_unlock_irqrestore(&c->lock, irq);
		return -EBUSY;
	}
	unsigned cid = (unsigned)__builtin_ctzll(free);
	struct nvme_sqe cmd = { .nsid = ns->nsid, .cid = (uint16_t)cid };
	if (rq->op == BLK_FLUSH) {
		cmd.opcode = NVME_CMD_FLUSH;
	} else {
		cmd.opcode = rq->op == BLK_READ ? NVME_CMD_READ : NVME_CMD_WRITE;
		int err = c->sgl ? map_sgl(c, cid, rq, &cmd) : map_prps(c, cid, rq, &cmd);
		if (err) {
			spin_unlock_irqrestore(&c->lock, irq);
			return err;
		}
		cmd.cdw10 = (uint32_t)rq->sector;
		cmd.cdw11 = (uint32_t)(rq->sector >> 32);
		cmd.cdw12 = rq->nr_sectors - 1; /* 0's based */
	}
	c->busy |= 1ull << cid;
	c->cmds[cid] = rq;
	c->cmd_ns[cid] = ns;
	c->io.sq[c->io.sq_tail] = cmd;
	c->io.sq_tail = nvme_sq_next(c->io.sq_tail, c->io.size);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the entry before the doorbell */
	*c->io.sq_db = c->io.sq_tail;
	spin_unlock_irqrestore(&c->lock, irq);
	return 0;
}

static int ctrl_enable(struct nvme_ctrl *c);
static int create_io_queues(struct nvme_ctrl *c, uint16_t size);

/*
 * A command the controller never completed (the block watchdog): reset the controller (CC.EN
 * off and on, the admin queue and the I/O queue pair made again in their pages) and fail every
 * command it held with EIO. A controller that does not come back is dead: later I/O gets EIO.
 */
static void nvme_timeout(struct block_device *disk)
{
	struct nvme_ns *ns = disk->driver_data;
	struct nvme_ctrl *c = ns->ctrl;
	struct request *failed[NVME_IO_DEPTH];
	struct nvme_ns *fns[NVME_IO_DEPTH];
	unsigned n = 0;
	uint64_t irq = spin_lock_irqsave(&c->lock);
	c->resetting = true;
	c->io_ready = false;
	for (unsigned cid = 0; cid < NVME_IO_DEPTH; cid++) {
		if (c->busy & (1ull << cid)) {
			failed[n] = c->cmds[cid];
			fns[n++] = c->cmd_ns[cid];
			c->cmds[cid] = NULL;
		}
	}
	c->busy = 0;
	spin_unlock_irqrestore(&c->lock, irq);
	int err = ctrl_enable(c); /* polls: not under the lock */
	if (!err)
		err = create_io_queues(c, c->io.size);
	if (!err && c->intx)
		wr32(c, NVME_REG_INTMC, ~0u);
	irq = spin_lock_irqsave(&c->lock);
	c->resetting = false;
	c->io_ready = !err;
	if (err)
		c->dead = true;
	spin_unlock_irqrestore(&c->lock, irq);
	pr_warn("nvme: %s: command timeout: controller reset %s, %u commands failed\n", disk->dev.name,
		err ? "failed: the controller is dead" : "done", n);
	for (unsigned i = 0; i < n; i++)
		blk_end_request(&fns[i]->disk, failed[i], -EIO);
	/* Namespaces told EBUSY meanwhile have nothing in flight to restart them: kick each. */
	for (unsigned i = 0; i < c->nns; i++) {
		blk_plug(&c->ns[i]->disk);
		blk_unplug(&c->ns[i]->disk);
	}
}

static const struct blk_ops nvme_blk_ops = { .queue_rq = nvme_queue_rq, .timeout = nvme_timeout };

static enum irq_return nvme_irq(void *ctx)
{
	struct nvme_ctrl *c = ctx;
	struct request *done[NVME_IO_DEPTH];
	struct nvme_ns *dns[NVME_IO_DEPTH];
	int status[NVME_IO_DEPTH];
	unsigned n = 0;
	uint64_t irq = spin_lock_irqsave(&c->lock);
	struct nvme_queue *q = &c->io;
	for (; c->io_ready;) {
		volatile struct nvme_cqe *e = &q->cq[q->cq_head];
		if ((e->status & NVME_CQE_PHASE) != q->phase)
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint16_t cid = e->cid, st = e->status;
		if (e->sq_head < q->size)
			q->sq_head = e->sq_head;
		nvme_cq_next(&q->cq_head, &q->phase, q->size);
		/* A completion for an id we did not issue is the device's bug: ignore it. */
		if (cid >= NVME_IO_DEPTH || !(c->busy & (1ull << cid)) || n >= NVME_IO_DEPTH)
			continue;
		if (blkdrv_lose_completion())
			continue; /* the ktest's "never completed": the command id stays busy */
		done[n] = c->cmds[cid];
		dns[n] = c->cmd_ns[cid];
		status[n++] = NVME_CQE_SC(st) ? -EIO : 0;
		c->busy &= ~(1ull << cid);
		c->cmds[cid] = NULL;
	}
	if (n)
		*q->cq_db = q->cq_head;
	c->irqs++;
	spin_unlock_irqrestore(&c->lock, irq);
	for (unsigned i = 0; i < n; i++)
		blk_end_request(&dns[i]->disk, done[i], status[i]);
	/* INTx is shared: say whether this was ours. */
	return n || c->msix ? IRQ_HANDLED : IRQ_NONE;
}

static int minor_slot_alloc(void)
{
	int slot = -ENOSPC;
	spin_lock(&nvme_used_lock);
	for (int i = 0; i < 64 && slot < 0; i++)
		if (!(nvme_minors & (1ull << i))) {
			nvme_minors |= 1ull << i;
			slot = i;
		}
	spin_unlock(&nvme_used_lock);
	return slot;
}

static void minor_slot_free(int slot)
{
	if (slot < 0)
		return;
	spin_lock(&nvme_used_lock);
	nvme_minors &= ~(1ull << slot);
	spin_unlock(&nvme_used_lock);
}

static void nvme_release(struct block_device *disk)
{
	struct nvme_ns *ns = disk->driver_data;
	struct nvme_ctrl *c = ns->ctrl;
	minor_slot_free(ns->minor_slot);
	kfree(ns);
	ctrl_put(c);
}

/* Reset, admin queue, enable (§7.6.1): 0 or -errno. */
static int ctrl_enable(struct nvme_ctrl *c)
{
	if (rd32(c, NVME_REG_CC) & NVME_CC_EN) {
		wr32(c, NVME_REG_CC, 0);
		if (!wait_ready(c, false))
			return -EIO;
	}
	int err = queue_alloc(c, &c->admin, 0, NVME_ADMIN_DEPTH);
	if (err)
		return err;
	wr32(c, NVME_REG_AQA, (uint32_t)(NVME_ADMIN_DEPTH - 1) << 16 | (NVME_ADMIN_DEPTH - 1));
	wr64(c, NVME_REG_ASQ, blkdrv_dma_addr(c->admin.sq));
	wr64(c, NVME_REG_ACQ, blkdrv_dma_addr(c->admin.cq));
	wr32(c, NVME_REG_INTMS, ~0u); /* no interrupts until the I/O queue exists (INTx) */
	/* NVM command set, 4 KiB pages (MPS 0), 64-byte SQ and 16-byte CQ entries. */
	wr32(c, NVME_REG_CC, NVME_CC_EN | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4));
	return wait_ready(c, true) ? 0 : -EIO;
}

static int create_io_queues(struct nvme_ctrl *c, uint16_t size)
{
	/* One queue pair (Number of Queues, 0's based counts). */
	uint32_t granted;
	struct nvme_sqe nq = { .opcode = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES, .cdw11 = 0 };
	int err = admin_exec(c, &nq, &granted);
	if (err)
		return err;
	err = queue_alloc(c, &c->io, 1, size);
	if (err)
		return err;
	struct nvme_sqe cq = { .opcode = NVME_ADMIN_CREATE_CQ, .prp1 = blkdrv_dma_addr(c->io.cq),
			       .cdw10 = (uint32_t)(size - 1) << 16 | 1, .cdw11 = 0u << 16 | 1u << 1 | 1u };
	err = admin_exec(c, &cq, NULL);
	if (err)
		return err;
	struct nvme_sqe sq = { .opcode = NVME_ADMIN_CREATE_SQ, .prp1 = blkdrv_dma_addr(c->io.sq),
			       .cdw10 = (uint32_t)(size - 1) << 16 | 1, .cdw11 = 1u << 16 | 1u };
	return admin_exec(c, &sq, NULL);
}

/* Identifies namespace nsid and, when usable, registers it as a disk. */
static void ns_add(struct nvme_ctrl *c, uint32_t nsid, uint8_t *page)
{
	memset(page, 0, 4096);
	if (identify(c, NVME_ID_CNS_NS, nsid, page) < 0)
		return;
	uint64_t nsze;
	memcpy(&nsze, page + NVME_IDNS_NSZE, 8);
	if (!nsze)
		return; /* inactive */
	unsigned fmt = page[NVME_IDNS_FLBAS] & 0xf;
	uint32_t lbaf;
	memcpy(&lbaf, page + NVME_IDNS_LBAF + 4 * fmt, 4);
	unsigned lbads = (lbaf >> 16) & 0xff;
	if (fmt > page[NVME_IDNS_NLBAF] || lbads != SECTOR_SHIFT) {
		pr_warn("nvme%un%u: %u-byte blocks not supported; skipped\n", c->index, nsid,
			lbads < 32 ? 1u << lbads : 0);
		return; /* FIXME: 4 KiB logical blocks */
	}
	if (c->nns >= NVME_MAX_NS)
		return;
	struct nvme_ns *ns = kzalloc(sizeof(*ns));
	if (!ns)
		return;
	ns->minor_slot = minor_slot_alloc();
	if (ns->minor_slot < 0) {
		kfree(ns);
		return;
	}
	ns->ctrl = c;
	ns->nsid = nsid;
	unsigned slot = c->nns++;
	c->ns[slot] = ns;
	struct block_device *disk = &ns->disk;
	snprintf(disk->dev.name, sizeof(disk->dev.name), "nvme%un%u", c->index, nsid);
	disk->dev.parent = &c->pdev->dev;
	disk->dev.devt = MKDEV(nvme_major, (unsigned)ns->minor_slot * (BLK_MAX_PARTS + 1));
	disk->nr_sectors = nsze;
	disk->ops = &nvme_blk_ops;
	disk->driver_data = ns;
	disk->release = nvme_release;
	disk->queue.max_segments = c->sgl ? NVME_SGL_SEGS : 1;
	disk->queue.max_sectors = c->max_sectors;
	c->refs++;
	pr_info("nvme: %s: %llu sectors\n", disk->dev.name, (unsigned long long)nsze);
}

static int nvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	struct pci_bar *bar = &pdev->bars[0];
	if (!bar->base || bar->io || bar->size < 0x2000)
		return -ENODEV;
	struct nvme_ctrl *c = kzalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pdev = pdev;
	c->refs = 1;
	c->lock = (spinlock_t)SPINLOCK_INIT;
	pci_enable_device(pdev, true);
	c->bar = ioremap(bar->base, MIN(bar->size, (uint64_t)0x4000), VM_CACHE_UC);
	uint8_t *page = pmm_alloc_virt(0, GFP_ZERO);
	int err = -ENOMEM;
	if (!c->bar || !page)
		goto fail;
	c->cap = rd64(c, NVME_REG_CAP);
	c->dstrd = NVME_CAP_DSTRD(c->cap);
	c->timeout_ms = MAX(NVME_CAP_TO_MS(c->cap), 500u);
	err = -ENODEV;
	if (!NVME_CAP_CSS_NVM(c->cap) || NVME_CAP_MPSMIN(c->cap) != 0 ||
	    nvme_doorbell(1, true, c->dstrd) + 4 > MIN(bar->size, (uint64_t)0x4000))
		goto fail; /* no NVM command set, no 4 KiB pages, or doorbells outside the map */
	err = ctrl_enable(c);
	if (err)
		goto fail;
	err = identify(c, NVME_ID_CNS_CTRL, 0, page);
	if (err)
		goto fail;
	copy_id_string(c->serial, page + NVME_IDC_SN, 20);
	copy_id_string(c->model, page + NVME_IDC_MN, 40);
	copy_id_string(c->firmware, page + NVME_IDC_FR, 8);
	uint32_t nn, sgls;
	memcpy(&nn, page + NVME_IDC_NN, 4);
	memcpy(&sgls, page + NVME_IDC_SGLS, 4);
	c->sgl = (sgls & 3) != 0; /* 01b any alignment, 10b dword-aligned: our buffers are both */
	/* MDTS: the largest transfer is 2^MDTS pages of CAP.MPSMIN (4 KiB here); 0: no limit. Large
	 * commands matter for throughput: QEMU's is 7 (512 KiB). */
	uint8_t mdts = page[NVME_IDC_MDTS];
	c->max_sectors = NVME_MAX_SECTORS;
	if (mdts && mdts < 8)
		c->max_sectors = MIN((uint32_t)NVME_MAX_SECTORS, (4096u << mdts) / SECTOR_SIZE);
	/*
	 * MSI-X before the I/O completion queue exists: the controller binds a queue's vector when
	 * the queue is created (QEMU ignores vectors of queues made with MSI-X off). Entry 0 serves
	 * the admin queue too; its completions are polled and ignored by the handler.
	 */
	irq_handler_t fn = nvme_irq;
	void *ctx = c;
	if (pci_enable_msix(pdev, 1, &fn, &ctx, "nvme") == 1)
		c->msix = true;
	uint16_t depth = (uint16_t)MIN((uint32_t)NVME_IO_DEPTH + 1, NVME_CAP_MQES(c->cap));
	err = create_io_queues(c, depth);
	if (err)
		goto fail;
	uint64_t flags = spin_lock_irqsave(&c->lock);
	c->io_ready = true;
	spin_unlock_irqrestore(&c->lock, flags);
	for (unsigned i = 0; i < NVME_IO_DEPTH; i++)
		if (!(c->prp_lists[i] = pmm_alloc_virt(0, 0))) {
			err = -ENOMEM;
			goto fail;
		}
	spin_lock(&nvme_used_lock);
	c->index = 32;
	for (unsigned i = 0; i < 32 && c->index == 32; i++)
		if (!(nvme_used & (1u << i)))
			c->index = i;
	if (c->index < 32)
		nvme_used |= 1u << c->index;
	bool first = !nvme_major;
	nvme_major = NVME_MAJOR;
	spin_unlock(&nvme_used_lock);
	if (first)
		blk_register_major(NVME_MAJOR);
	err = -ENOSPC;
	if (c->index >= 32)
		goto fail;
	for (uint32_t nsid = 1; nsid <= MIN(nn, 64u); nsid++)
		ns_add(c, nsid, page);
	pmm_free_virt(page, 0);
	page = NULL;
	/* INTx only now: the admin queue's completions (polled) would hold the shared line up. */
	if (!c->msix) {
		if (pci_request_intx(pdev, nvme_irq, c, "nvme") == 0)
			c->intx = true;
		else
			pr_warn("nvme: %s: no interrupt; I/O will hang\n", pdev->dev.name);
		wr32(c, NVME_REG_INTMC, ~0u);
	}
	uint32_t vs = rd32(c, NVME_REG_VS);
	pr_info("nvme%u: %s [%04x:%04x] NVMe %u.%u, \"%s\" serial \"%s\" fw \"%s\", %u of %u namespaces, I/O queue of %u, doorbell stride %u, %s, %s\n",
		c->index, pdev->dev.name, pdev->vendor, pdev->device, vs >> 16, (vs >> 8) & 0xff, c->model, c->serial,
		c->firmware, c->nns, nn, depth, 4u << c->dstrd, c->sgl ? "SGL" : "PRP",
		c->msix ? "MSI-X" : c->intx ? "INTx" : "no IRQ");
	pdev->dev.driver_data = c;
	for (unsigned i = 0; i < c->nns; i++)
		if (blk_add_disk(&c->ns[i]->disk) < 0)
			pr_warn("nvme: %s: not registered\n", c->ns[i]->disk.dev.name);
	return 0;
fail:
	pr_warn("nvme: %s: not bound (%d)\n", pdev->dev.name, err);
	if (c->msix)
		pci_disable_msi(pdev);
	if (page)
		pmm_free_virt(page, 0);
	if (c->bar)
		wr32(c, NVME_REG_CC, 0);
	for (unsigned i = 0; i < c->nns; i++) {
		minor_slot_free(c->ns[i]->minor_slot);
		kfree(c->ns[i]);
	}
	c->refs = 1;
	ctrl_put(c);
	return err;
}

static void nvme_remove(struct pci_dev *pdev)
{
	struct nvme_ctrl *c = pdev->dev.driver_data;
	if (!c)
		return;
	for (unsigned i = 0; i < c->nns; i++)
		blk_del_disk(&c->ns[i]->disk);
	if (c->msix)
		pci_disable_msi(pdev);
	else if (c->intx)
		pci_free_intx(pdev, c);
	/* Disabling the controller aborts everything; fail what it still had. */
	if (rd32(c, NVME_REG_CSTS) != ~0u)
		wr32(c, NVME_REG_CC, 0);
	uint64_t irq = spin_lock_irqsave(&c->lock);
	c->dead = true;
	struct request *lost[NVME_IO_DEPTH];
	struct nvme_ns *lns[NVME_IO_DEPTH];
	unsigned n = 0;
	for (uint64_t m = c->busy; m; m &= m - 1) {
		unsigned cid = (unsigned)__builtin_ctzll(m);
		lost[n] = c->cmds[cid];
		lns[n++] = c->cmd_ns[cid];
		c->cmds[cid] = NULL;
	}
	c->busy = 0;
	spin_unlock_irqrestore(&c->lock, irq);
	for (unsigned i = 0; i < n; i++)
		blk_end_request(&lns[i]->disk, lost[i], -EIO);
	pr_info("nvme%u: removed %s (%llu interrupts, %u in flight ended with EIO)\n", c->index, pdev->dev.name,
		(unsigned long long)c->irqs, n);
	spin_lock(&nvme_used_lock);
	nvme_used &= ~(1u << c->index);
	spin_unlock(&nvme_used_lock);
	pdev->dev.driver_data = NULL;
	unsigned nns = c->nns;
	struct nvme_ns *nss[NVME_MAX_NS];
	memcpy(nss, c->ns, sizeof(nss));
	ctrl_put(c); /* the driver's reference; each disk holds one more until its release */
	for (unsigned i = 0; i < nns; i++)
		blk_put(&nss[i]->disk);
}

static const struct pci_device_id nvme_ids[] = {
	{ PCI_ANY_ID, PCI_ANY_ID, 0xffffff, 0x010802 }, /* mass storage, NVM, NVMe I/O controller */
	{ 0 },
};

static struct pci_driver nvme_driver = {
	.driver = { .name = "nvme" },
	.id_table = nvme_ids,
	.probe = nvme_probe,
	.remove = nvme_remove,
};

void nvme_init(void)
{
	int err = pci_register_driver(&nvme_driver);
	if (err < 0)
		pr_err("nvme: driver registration failed (%d)\n", err);
}
