/*
 * AHCI SATA host controllers (AHCI 1.3.1; QEMU's ICH9 at 0:1f.2 on q35 and -device ahci):
 * HBA reset into AHCI mode, one disk per port with an ATA device, IDENTIFY, and a block layer
 * request per command slot (READ/WRITE DMA EXT with a PRDT entry per bio, FLUSH CACHE EXT),
 * completed from the HBA's interrupt (MSI, or the INTx line). Disks are sda, sdb... as libata
 * names them.
 */
#include "drivers/block/ahci.h"
#include "drivers/block/ahci_hw.h"
#include "drivers/block/blkdrv.h"
#include "block/block.h"
#include "console/console.h"
#include "drivers/pci/pci.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "sched/sched.h"

#define AHCI_TABLES_ORDER 3 /* 32 command tables of 1 KiB */

struct ahci_host;

struct ahci_port {
	struct ahci_host *host;
	unsigned no;
	volatile uint32_t *regs;
	struct ahci_cmd_hdr *cl;        /* command list (1 KiB) then the received-FIS area */
	struct ahci_cmd_table *tables;  /* one per slot */
	spinlock_t lock;                /* active, slots[], issuing; taken with interrupts off */
	uint32_t active;                /* slots issued and not yet completed */
	struct request *slots[32];
	struct ata_identity id;
	struct block_device disk;
	int sd_index;
	uint64_t irqs, errors, resets;
	bool resetting;                 /* a COMRESET after a timeout: issue nothing, ignore irqs */
};

struct ahci_host {
	struct pci_dev *pdev;
	volatile uint32_t *abar;
	unsigned nslots;
	bool msi;
	struct ahci_port *ports[AHCI_MAX_PORTS];
};

static void ahci_port_free(struct ahci_port *p)
{
	if (p->cl)
		pmm_free_virt(p->cl, 0);
	if (p->tables)
		pmm_free_virt(p->tables, AHCI_TABLES_ORDER);
	kfree(p);
}

/* Stops the command engine and FIS reception (§10.1.2): false when the port will not stop. */
static bool port_stop(struct ahci_port *p)
{
	p->regs[PX_CMD] &= ~PX_CMD_ST;
	bool ok = blkdrv_wait32(&p->regs[PX_CMD], PX_CMD_CR, 0, 500);
	p->regs[PX_CMD] &= ~PX_CMD_FRE;
	return blkdrv_wait32(&p->regs[PX_CMD], PX_CMD_FR, 0, 500) && ok;
}

/* Fills slot's header, FIS and PRDT. */
static int port_prepare(struct ahci_port *p, unsigned slot, uint8_t command, uint64_t lba, uint32_t count,
			const struct blkdrv_seg *segs, unsigned nsegs, bool write)
{
	struct ahci_cmd_table *t = &p->tables[slot];
	int n = nsegs ? ahci_build_prdt(t->prdt, AHCI_PRDT_PER_CMD, segs, nsegs) : 0;
	if (n < 0)
		return n;
	struct fis_reg_h2d *fis = (struct fis_reg_h2d *)t->cfis;
	memset(fis, 0, sizeof(*fis));
	fis->type = FIS_TYPE_REG_H2D;
	fis->flags = 0x80;
	fis->command = command;
	fis->device = command == ATA_CMD_IDENTIFY ? 0 : 0x40; /* LBA mode */
	fis->lba0 = (uint8_t)lba;
	fis->lba1 = (uint8_t)(lba >> 8);
	fis->lba2 = (uint8_t)(lba >> 16);
	fis->lba3 = (uint8_t)(lba >> 24);
	fis->lba4 = (uint8_t)(lba >> 32);
	fis->lba5 = (uint8_t)(lba >> 40);
	if (command == ATA_CMD_READ_DMA || command == ATA_CMD_WRITE_DMA)
		fis->device |= (uint8_t)((lba >> 24) & 0x0f); /* LBA28 keeps bits 27:24 here */
	fis->count_lo = (uint8_t)count;
	fis->count_hi = (uint8_t)(count >> 8);
	struct ahci_cmd_hdr *h = &p->cl[slot];
	h->flags = (uint16_t)(sizeof(*fis) / 4) | (write ? AHCI_HDR_WRITE : 0);
	h->prdtl = (uint16_t)n;
	h->prdbc = 0;
	return 0;
}

/* A polled command on slot 0 before the disk is live (interrupts off for the port): 0 or -EIO. */
static int port_exec_sync(struct ahci_port *p, uint8_t command, void *buf, uint32_t len)
{
	struct blkdrv_seg seg = { blkdrv_dma_addr(buf), len };
	int err = port_prepare(p, 0, command, 0, 0, &seg, len ? 1 : 0, false);
	if (err)
		return err;
	p->regs[PX_IS] = ~0u;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	p->regs[PX_CI] = 1;
	uint64_t spins = 0;
	while (!blkdrv_wait32(&p->regs[PX_CI], 1, 0, 10)) {
		if (p->regs[PX_IS] & PX_IS_ERRORS)
			return -EIO;
		if (++spins > 500)
			return -ETIMEDOUT;
	}
	if ((p->regs[PX_IS] & PX_IS_ERRORS) || (p->regs[PX_TFD] & PX_TFD_ERR))
		return -EIO;
	return 0;
}

/* Brings a port up and identifies its device: 0 with p->id filled, or -ENODEV/-EIO. */
static int port_setup(struct ahci_port *p)
{
	if (!port_stop(p))
		return -EIO;
	p->cl = pmm_alloc_virt(0, GFP_ZERO | GFP_DMA32);
	p->tables = pmm_alloc_virt(AHCI_TABLES_ORDER, GFP_ZERO | GFP_DMA32);
	if (!p->cl || !p->tables)
		return -ENOMEM;
	uint64_t clb = blkdrv_dma_addr(p->cl), fb = clb + AHCI_CMDLIST_SIZE;
	for (unsigned s = 0; s < 32; s++) {
		uint64_t ct = blkdrv_dma_addr(&p->tables[s]);
		p->cl[s].ctba = (uint32_t)ct;
		p->cl[s].ctbau = (uint32_t)(ct >> 32);
	}
	p->regs[PX_CLB] = (uint32_t)clb;
	p->regs[PX_CLBU] = (uint32_t)(clb >> 32);
	p->regs[PX_FB] = (uint32_t)fb;
	p->regs[PX_FBU] = (uint32_t)(fb >> 32);
	p->regs[PX_IE] = 0;
	p->regs[PX_SERR] = ~0u;
	p->regs[PX_IS] = ~0u;
	p->regs[PX_CMD] |= PX_CMD_FRE | PX_CMD_SUD | PX_CMD_POD;
	/* DET = 3: a device is present and the PHY link is up. */
	if (!blkdrv_wait32(&p->regs[PX_SSTS], 0xf, 3, 50))
		return -ENODEV;
	if (!blkdrv_wait32(&p->regs[PX_TFD], PX_TFD_BSY | PX_TFD_DRQ, 0, 2000))
		return -EIO;
	uint32_t sig = p->regs[PX_SIG];
	if (sig != AHCI_SIG_ATA) {
		pr_info("ahci: %s port %u: signature %08x (%s), not a disk; skipped\n", p->host->pdev->dev.name,
			p->no, sig, sig == AHCI_SIG_ATAPI ? "ATAPI" : "unknown");
		return -ENODEV;
	}
	p->regs[PX_SERR] = ~0u;
	p->regs[PX_CMD] |= PX_CMD_ST;
	uint16_t *id = pmm_alloc_virt(0, GFP_ZERO | GFP_DMA32);
	if (!id)
		return -ENOMEM;
	int err = port_exec_sync(p, ATA_CMD_IDENTIFY, id, 512);
	if (!err)
		err = ata_parse_identify(id, &p->id);
	pmm_free_virt(id, 0);
	return err;
}

/* Stops and restarts a port after an error (§6.2.2.2): what was issued is lost. */
static void port_recover(struct ahci_port *p)
{
	p->regs[PX_CMD] &= ~PX_CMD_ST;
	blkdrv_wait32(&p->regs[PX_CMD], PX_CMD_CR, 0, 500);
	p->regs[PX_SERR] = ~0u;
	p->regs[PX_IS] = ~0u;
	blkdrv_wait32(&p->regs[PX_TFD], PX_TFD_BSY | PX_TFD_DRQ, 0, 500);
	p->regs[PX_CMD] |= PX_CMD_ST;
}

/*
 * COMRESET (§10.4.2) with the command engine stopped: DET=1 for at least 1 ms, then 0; the link
 * comes back (DET=3), the device sends its signature FIS and clears BSY. Whether it came back.
 */
static bool port_comreset(struct ahci_port *p)
{
	p->regs[PX_CMD] &= ~PX_CMD_ST;
	blkdrv_wait32(&p->regs[PX_CMD], PX_CMD_CR, 0, 500);
	p->regs[PX_SCTL] = (p->regs[PX_SCTL] & ~0xfu) | 1;
	thread_sleep_ns(2 * 1000 * 1000);
	p->regs[PX_SCTL] &= ~0xfu;
	bool up = blkdrv_wait32(&p->regs[PX_SSTS], 0xf, 3, 1000);
	p->regs[PX_SERR] = ~0u;
	bool ready = up && blkdrv_wait32(&p->regs[PX_TFD], PX_TFD_BSY | PX_TFD_DRQ, 0, 5000);
	p->regs[PX_IS] = ~0u;
	p->regs[PX_CMD] |= PX_CMD_ST;
	return ready;
}

/* A command the disk never completed (the block watchdog): reset the port, fail what was issued. */
static void ahci_timeout(struct block_device *disk)
{
	struct ahci_port *p = disk->driver_data;
	struct request *failed[32];
	unsigned n = 0;
	uint64_t irq = spin_lock_irqsave(&p->lock);
	p->resetting = true;
	uint32_t ie = p->regs[PX_IE];
	p->regs[PX_IE] = 0;
	for (uint32_t m = p->active; m; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);
		failed[n++] = p->slots[s];
		p->slots[s] = NULL;
	}
	p->active = 0;
	p->resets++;
	spin_unlock_irqrestore(&p->lock, irq);
	bool ok = port_comreset(p); /* sleeps: not under the lock */
	irq = spin_lock_irqsave(&p->lock);
	p->resetting = false;
	p->regs[PX_IE] = ie;
	spin_unlock_irqrestore(&p->lock, irq);
	pr_warn("ahci: %s: command timeout: COMRESET, link %s, %u commands failed\n", disk->dev.name,
		ok ? "back" : "did not come back", n);
	/* Ending them dispatches what waited (queue_rq said EBUSY meanwhile). */
	for (unsigned i = 0; i < n; i++)
		blk_end_request(disk, failed[i], -EIO);
}

static int ahci_queue_rq(struct block_device *disk, struct request *rq)
{
	struct ahci_port *p = disk->driver_data;
	struct blkdrv_seg segs[AHCI_PRDT_PER_CMD];
	unsigned nsegs = 0;
	uint8_t cmd;
	bool lba48 = p->id.lba48;
	if (rq->op == BLK_FLUSH) {
		cmd = p->id.flush_ext ? ATA_CMD_FLUSH_EXT : ATA_CMD_FLUSH;
	} else {
		if (rq->nr_bios > AHCI_PRDT_PER_CMD)
			return -EINVAL; /* the queue limits say this cannot happen */
		for (struct bio *b = rq->bios; b; b = b->next)
			segs[nsegs++] = (struct blkdrv_seg){ blkdrv_dma_addr(b->buf), b->nr_sectors * SECTOR_SIZE };
		cmd = rq->op == BLK_READ ? (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA)
					 : (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA);
	}
	uint64_t irq = spin_lock_irqsave(&p->lock);
	uint32_t free = ~p->active & (p->host->nslots >= 32 ? ~0u : (1u << p->host->nslots) - 1);
	if (!free || p->resetting) {
		spin_unlock_irqrestore(&p->lock, irq);
		return -EBUSY;
	}
	unsigned slot = (unsigned)__builtin_ctz(free);
	int err = port_prepare(p, slot, cmd, rq->op == BLK_FLUSH ? 0 : rq->sector,
			       rq->op == BLK_FLUSH ? 0 : rq->nr_sectors, segs, nsegs, rq->op == BLK_WRITE);
	if (err) {
		spin_unlock_irqrestore(&p->lock, irq);
		return err;
	}
	p->slots[slot] = rq;
	p->active |= 1u << slot;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the table before the doorbell */
	p->regs[PX_CI] = 1u << slot;
	spin_unlock_irqrestore(&p->lock, irq);
	return 0;
}

static const struct blk_ops ahci_blk_ops = { .queue_rq = ahci_queue_rq, .timeout = ahci_timeout };

/* One port's share of the interrupt: end what completed (and, on an error, what was lost). */
static void port_irq(struct ahci_port *p)
{
	uint32_t is = p->regs[PX_IS];
	p->regs[PX_IS] = is;
	struct request *done[32], *failed[32];
	unsigned ndone = 0, nfailed = 0;
	uint64_t irq = spin_lock_irqsave(&p->lock);
	p->irqs++;
	if (p->resetting) {
		spin_unlock_irqrestore(&p->lock, irq);
		return;
	}
	uint32_t ci = p->regs[PX_CI];
	uint32_t finished = p->active & ~ci, lost = 0;
	if (finished && blkdrv_lose_completion())
		finished &= finished - 1; /* the ktest's "never completed": the slot stays issued */
	if (is & PX_IS_ERRORS) {
		/* The HBA stopped at the failing command: what is still issued gets EIO. */
		p->errors++;
		lost = p->active & ci;
		port_recover(p);
	}
	for (uint32_t m = finished | lost; m; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);
		if (finished & (1u << s))
			done[ndone++] = p->slots[s];
		else
			failed[nfailed++] = p->slots[s];
		p->slots[s] = NULL;
	}
	p->active &= ~(finished | lost);
	spin_unlock_irqrestore(&p->lock, irq);
	/* Outside the port lock: ending a request dispatches the next through ahci_queue_rq. */
	for (unsigned i = 0; i < ndone; i++)
		blk_end_request(&p->disk, done[i], 0);
	for (unsigned i = 0; i < nfailed; i++)
		blk_end_request(&p->disk, failed[i], -EIO);
	if (is & PX_IS_ERRORS)
		pr_warn("ahci: %s: error (PxIS %08x, TFD %08x), %u commands failed\n", p->disk.dev.name, is,
			p->regs[PX_TFD], nfailed);
}

static enum irq_return ahci_irq(void *ctx)
{
	struct ahci_host *h = ctx;
	uint32_t is = h->abar[AHCI_IS / 4];
	if (!is || is == ~0u)
		return IRQ_NONE; /* not ours, or the controller is gone */
	for (uint32_t m = is; m; m &= m - 1) {
		unsigned no = (unsigned)__builtin_ctz(m);
		if (h->ports[no])
			port_irq(h->ports[no]);
		else
			h->abar[(AHCI_PORT_BASE + no * AHCI_PORT_SIZE) / 4 + PX_IS] = ~0u;
	}
	/* Port status first, then the HBA's (§10.7.2.1). */
	h->abar[AHCI_IS / 4] = is;
	return IRQ_HANDLED;
}

static void ahci_release(struct block_device *disk)
{
	ahci_port_free(disk->driver_data);
}

static void ahci_disk_init(struct ahci_port *p)
{
	struct block_device *disk = &p->disk;
	sd_format_name(disk->dev.name, p->sd_index);
	disk->dev.parent = &p->host->pdev->dev;
	disk->dev.devt = MKDEV(sd_major(), (unsigned)p->sd_index * (BLK_MAX_PARTS + 1));
	disk->nr_sectors = p->id.sectors;
	disk->ops = &ahci_blk_ops;
	disk->driver_data = p;
	disk->release = ahci_release;
	disk->queue.max_segments = AHCI_PRDT_PER_CMD;
	disk->queue.max_sectors = p->id.lba48 ? 1024 : 256;
}

static int ahci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	struct pci_bar *bar = &pdev->bars[5];
	if (!bar->base || bar->io || bar->size < AHCI_PORT_BASE)
		return -ENODEV;
	struct ahci_host *h = kzalloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pdev = pdev;
	pci_enable_device(pdev, true);
	h->abar = ioremap(bar->base, MIN(bar->size, (uint64_t)0x1100), VM_CACHE_UC);
	if (!h->abar) {
		kfree(h);
		return -ENOMEM;
	}
	/* AHCI mode, then a full HBA reset (which clears AE on some HBAs: set it again). */
	h->abar[AHCI_GHC / 4] |= AHCI_GHC_AE;
	h->abar[AHCI_GHC / 4] |= AHCI_GHC_HR;
	if (!blkdrv_wait32(&h->abar[AHCI_GHC / 4], AHCI_GHC_HR, 0, 1000)) {
		pr_warn("ahci: %s: HBA reset did not finish\n", pdev->dev.name);
		kfree(h);
		return -EIO;
	}
	h->abar[AHCI_GHC / 4] |= AHCI_GHC_AE;
	uint32_t cap = h->abar[AHCI_CAP / 4], pi = h->abar[AHCI_PI / 4], vs = h->abar[AHCI_VS / 4];
	h->nslots = ((cap >> 8) & 0x1f) + 1;
	unsigned ports_max = MIN((unsigned)(bar->size - AHCI_PORT_BASE) / AHCI_PORT_SIZE, (unsigned)AHCI_MAX_PORTS);
	unsigned ndisks = 0, ports_impl = 0;
	for (uint32_t m = pi; m; m &= m - 1)
		ports_impl++;
	for (unsigned no = 0; no < ports_max; no++) {
		if (!(pi & (1u << no)))
			continue;
		struct ahci_port *p = kzalloc(sizeof(*p));
		if (!p)
			break;
		p->host = h;
		p->no = no;
		p->lock = (spinlock_t)SPINLOCK_INIT;
		p->regs = &h->abar[(AHCI_PORT_BASE + no * AHCI_PORT_SIZE) / 4];
		p->sd_index = -1;
		int err = port_setup(p);
		if (!err && (p->sd_index = sd_alloc_index()) < 0)
			err = -ENOSPC;
		if (err) {
			if (err != -ENODEV)
				pr_warn("ahci: %s port %u: not usable (%d)\n", pdev->dev.name, no, err);
			port_stop(p);
			ahci_port_free(p);
			continue;
		}
		h->ports[no] = p;
		ndisks++;
	}
	if (pci_enable_msi(pdev, ahci_irq, h, "ahci") == 0)
		h->msi = true;
	else if (pci_request_intx(pdev, ahci_irq, h, "ahci") < 0)
		pr_warn("ahci: %s: no interrupt; I/O will hang\n", pdev->dev.name);
	pr_info("ahci: %s [%04x:%04x] AHCI %x.%x, %u slots, %u ports (PI %08x), %s%s, %u disks\n", pdev->dev.name,
		pdev->vendor, pdev->device, vs >> 16, (vs >> 8) & 0xff, h->nslots, ports_impl, pi,
		h->msi ? "MSI" : "INTx", (cap & AHCI_CAP_S64A) ? ", 64-bit" : "", ndisks);
	pdev->dev.driver_data = h;
	for (unsigned no = 0; no < AHCI_MAX_PORTS; no++) {
		struct ahci_port *p = h->ports[no];
		if (!p)
			continue;
		p->regs[PX_IS] = ~0u;
		p->regs[PX_IE] = PX_IS_DHRS | PX_IS_PSS | PX_IS_DSS | PX_IS_SDBS | PX_IS_ERRORS;
	}
	h->abar[AHCI_IS / 4] = ~0u;
	h->abar[AHCI_GHC / 4] |= AHCI_GHC_IE;
	for (unsigned no = 0; no < AHCI_MAX_PORTS; no++) {
		struct ahci_port *p = h->ports[no];
		if (!p)
			continue;
		ahci_disk_init(p);
		pr_info("ahci: %s: port %u, \"%s\" serial \"%s\" fw \"%s\", %llu sectors, %s%s%s\n", p->disk.dev.name,
			no, p->id.model, p->id.serial, p->id.firmware, (unsigned long long)p->id.sectors,
			p->id.lba48 ? "LBA48" : "LBA28", p->id.flush_ext ? ", flush ext" : p->id.flush ? ", flush" : "",
			p->id.ncq ? ", NCQ (unused)" : "");
		if (blk_add_disk(&p->disk) < 0) {
			pr_warn("ahci: %s: not registered\n", p->disk.dev.name);
			/* FIXME: the port stays allocated and idle. */
		}
	}
	return 0;
}

static void ahci_remove(struct pci_dev *pdev)
{
	struct ahci_host *h = pdev->dev.driver_data;
	if (!h)
		return;
	for (unsigned no = 0; no < AHCI_MAX_PORTS; no++)
		if (h->ports[no])
			blk_del_disk(&h->ports[no]->disk);
	/* No more completions after this: fail what was still issued. */
	h->abar[AHCI_GHC / 4] &= ~AHCI_GHC_IE;
	if (h->msi)
		pci_disable_msi(pdev);
	else
		pci_free_intx(pdev, h);
	for (unsigned no = 0; no < AHCI_MAX_PORTS; no++) {
		struct ahci_port *p = h->ports[no];
		if (!p)
			continue;
		port_stop(p);
		uint64_t irq = spin_lock_irqsave(&p->lock);
		struct request *lost[32];
		unsigned n = 0;
		for (uint32_t m = p->active; m; m &= m - 1) {
			unsigned s = (unsigned)__builtin_ctz(m);
			lost[n++] = p->slots[s];
			p->slots[s] = NULL;
		}
		p->active = 0;
		spin_unlock_irqrestore(&p->lock, irq);
		for (unsigned i = 0; i < n; i++)
			blk_end_request(&p->disk, lost[i], -EIO);
		pr_info("ahci: removed %s (%llu interrupts, %u in flight ended with EIO)\n", p->disk.dev.name,
			(unsigned long long)p->irqs, n);
		sd_free_index(p->sd_index);
		p->host = NULL;
		blk_put(&p->disk);
	}
	pdev->dev.driver_data = NULL;
	kfree(h);
}

static const struct pci_device_id ahci_ids[] = {
	{ PCI_ANY_ID, PCI_ANY_ID, 0xffffff, 0x010601 }, /* SATA controller, AHCI 1.0 interface */
	{ 0 },
};

static struct pci_driver ahci_driver = {
	.driver = { .name = "ahci" },
	.id_table = ahci_ids,
	.probe = ahci_probe,
	.remove = ahci_remove,
};

void ahci_init(void)
{
	int err = pci_register_driver(&ahci_driver);
	if (err < 0)
		pr_err("ahci: driver registration failed (%d)\n", err);
}
