/*
 * IDE (parallel ATA) on Intel PIIX/ICH IDE functions (QEMU's -machine pc: PIIX3 at 0:01.1) in
 * compatibility mode: the two channels at 1F0h/3F6h (IRQ 14) and 170h/376h (IRQ 15), up to two
 * disks each, IDENTIFY, and one command at a time per channel: bus-master DMA with a PRD table
 * (READ/WRITE DMA, EXT when the disk has LBA48), or PIO a sector per interrupt when there is
 * no bus master (or with ide.pio on the command line). Disks are sda... as libata names them.
 */
#include "drivers/block/ata_piix.h"
#include "drivers/block/blkdrv.h"
#include "arch/x86_64/cpu.h"
#include "block/block.h"
#include "console/console.h"
#include "drivers/pci/pci.h"
#include "irq/irq.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "time/clock.h"

/* Task file registers (offsets from the command block) and bits. */
#define ATA_DATA     0
#define ATA_ERROR    1
#define ATA_COUNT    2
#define ATA_LBA_LO   3
#define ATA_LBA_MID  4
#define ATA_LBA_HI   5
#define ATA_DEVICE   6
#define ATA_STATUS   7 /* reading acknowledges the interrupt */
#define ATA_COMMAND  7
#define ATA_SR_ERR   0x01
#define ATA_SR_DRQ   0x08
#define ATA_SR_DF    0x20
#define ATA_SR_BSY   0x80
#define ATA_CTL_NIEN 0x02
/* Bus-master registers (SFF-8038i), per channel. */
#define BM_COMMAND   0
#define BM_STATUS    2
#define BM_PRDT      4
#define BM_CMD_START 0x01
#define BM_CMD_READ  0x08 /* the controller writes memory */
#define BM_ST_ERR    0x02
#define BM_ST_IRQ    0x04

#define IDE_PRD_MAX  (4096 / sizeof(struct ide_prd))
#define IDE_MAX_BIOS 64

struct ide_chan;

struct ide_disk {
	struct ide_chan *ch;
	unsigned unit;              /* 0 master, 1 slave */
	struct ata_identity id;
	struct block_device disk;
	int sd_index;
	struct request *head, *tail; /* accepted, not started (linked through driver_data) */
};

struct ide_chan {
	uint16_t cmd, ctl, bm;      /* bm 0: no bus master */
	unsigned isa_irq;
	int gsi;
	spinlock_t lock;            /* everything below; interrupts off */
	struct ide_disk *disks[2];
	unsigned next_unit;         /* round robin between the two disks' queues */
	struct ide_disk *cur_disk;
	struct request *cur;
	bool cur_dma;
	struct bio *pio_bio;        /* PIO: where the next sector goes, and how many are left */
	uint32_t pio_off, pio_left;
	struct ide_prd *prd;
	bool resetting;             /* a software reset after a timeout: start nothing */
	uint64_t irqs, dma_cmds, pio_cmds, resets;
};

struct ide_host {
	struct pci_dev *pdev;
	struct ide_chan ch[2];
};

static bool force_pio;
static int param_pio(const char *val)
{
	(void)val;
	force_pio = true;
	return 0;
}
KPARAM("ide.pio", param_pio);

static void ins16(uint16_t port, void *buf, unsigned words)
{
	__asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static void outs16(uint16_t port, const void *buf, unsigned words)
{
	__asm__ volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

/* The 400 ns a device needs after being selected: four reads of the alternate status. */
static void ide_delay(struct ide_chan *ch)
{
	for (int i = 0; i < 4; i++)
		inb(ch->ctl);
}

/* Polls until BSY clears (and, with want_drq, DRQ or an error shows): the status, or -1. */
static int ide_wait(struct ide_chan *ch, bool want_drq, unsigned ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)ms * 1000000;
	for (;;) {
		uint8_t st = inb(ch->ctl);
		if (st == 0xff)
			return -1; /* floating bus: nothing there */
		if (!(st & ATA_SR_BSY) && (!want_drq || (st & (ATA_SR_DRQ | ATA_SR_ERR | ATA_SR_DF))))
			return st;
		if (clock_monotonic_ns() > deadline)
			return -1;
		cpu_pause();
	}
}

/* IDENTIFY DEVICE, polled with the channel's interrupt off: 0, or -ENODEV for no ATA disk. */
static int ide_identify(struct ide_chan *ch, unsigned unit, uint16_t *id)
{
	outb(ch->ctl, ATA_CTL_NIEN);
	outb(ch->cmd + ATA_DEVICE, (uint8_t)(0xa0 | unit << 4));
	ide_delay(ch);
	outb(ch->cmd + ATA_COUNT, 0);
	outb(ch->cmd + ATA_LBA_LO, 0);
	outb(ch->cmd + ATA_LBA_MID, 0);
	outb(ch->cmd + ATA_LBA_HI, 0);
	uint8_t st0 = inb(ch->ctl);
	if (st0 == 0 || st0 == 0xff)
		return -ENODEV;
	outb(ch->cmd + ATA_COMMAND, ATA_CMD_IDENTIFY);
	ide_delay(ch);
	if (inb(ch->ctl) == 0 || ide_wait(ch, false, 1000) < 0)
		return -ENODEV;
	/* ATAPI and SATA bridges put their signature in LBA mid/high and abort IDENTIFY. */
	if (inb(ch->cmd + ATA_LBA_MID) || inb(ch->cmd + ATA_LBA_HI))
		return -ENODEV;
	int st = ide_wait(ch, true, 1000);
	if (st < 0 || (st & (ATA_SR_ERR | ATA_SR_DF)) || !(st & ATA_SR_DRQ))
		return -ENODEV;
	ins16(ch->cmd + ATA_DATA, id, 256);
	inb(ch->cmd + ATA_STATUS);
	return 0;
}

/* The task file for a transfer or a flush, then the command (LBA48 when the disk has it). */
static void ide_issue(struct ide_chan *ch, struct ide_disk *d, uint8_t command, uint64_t lba, uint32_t count)
{
	bool lba48 = d->id.lba48;
	outb(ch->cmd + ATA_DEVICE, (uint8_t)(0xe0 | d->unit << 4 | (lba48 ? 0 : (lba >> 24) & 0x0f)));
	ide_delay(ch);
	if (lba48) {
		outb(ch->cmd + ATA_COUNT, (uint8_t)(count >> 8));
		outb(ch->cmd + ATA_LBA_LO, (uint8_t)(lba >> 24));
		outb(ch->cmd + ATA_LBA_MID, (uint8_t)(lba >> 32));
		outb(ch->cmd + ATA_LBA_HI, (uint8_t)(lba >> 40));
	}
	outb(ch->cmd + ATA_COUNT, (uint8_t)count);
	outb(ch->cmd + ATA_LBA_LO, (uint8_t)lba);
	outb(ch->cmd + ATA_LBA_MID, (uint8_t)(lba >> 8));
	outb(ch->cmd + ATA_LBA_HI, (uint8_t)(lba >> 16));
	outb(ch->cmd + ATA_COMMAND, command);
}

/* Fills the PRD table for rq: true when DMA can do it (every buffer below 4 GiB...). */
static bool ide_map_dma(struct ide_chan *ch, struct request *rq)
{
	if (!ch->bm || force_pio || rq->nr_bios > IDE_MAX_BIOS)
		return false;
	struct blkdrv_seg segs[IDE_MAX_BIOS];
	unsigned n = 0;
	for (struct bio *b = rq->bios; b; b = b->next)
		segs[n++] = (struct blkdrv_seg){ blkdrv_dma_addr(b->buf), b->nr_sectors * SECTOR_SIZE };
	return ide_build_prd(ch->prd, IDE_PRD_MAX, segs, n) > 0;
}

/* PIO: moves the next sector between the data port and the request's bios. */
static void ide_pio_sector(struct ide_chan *ch, bool rd)
{
	uint8_t *p = (uint8_t *)ch->pio_bio->buf + ch->pio_off;
	if (rd)
		ins16(ch->cmd + ATA_DATA, p, SECTOR_SIZE / 2);
	else
		outs16(ch->cmd + ATA_DATA, p, SECTOR_SIZE / 2);
	ch->pio_left--;
	ch->pio_off += SECTOR_SIZE;
	if (ch->pio_off >= ch->pio_bio->nr_sectors * SECTOR_SIZE && ch->pio_bio->next) {
		ch->pio_bio = ch->pio_bio->next;
		ch->pio_off = 0;
	}
}

/* Starts rq on the channel (lock held): 0, or -EIO when the device is stuck busy. */
static int ide_start(struct ide_chan *ch, struct ide_disk *d, struct request *rq)
{
	outb(ch->cmd + ATA_DEVICE, (uint8_t)(0xe0 | d->unit << 4));
	ide_delay(ch);
	if (ide_wait(ch, false, 100) < 0)
		return -EIO;
	ch->cur = rq;
	ch->cur_disk = d;
	ch->cur_dma = false;
	bool lba48 = d->id.lba48;
	if (rq->op == BLK_FLUSH) {
		ide_issue(ch, d, d->id.flush_ext ? ATA_CMD_FLUSH_EXT : ATA_CMD_FLUSH, 0, 0);
		return 0;
	}
	bool rd = rq->op == BLK_READ;
	if (ide_map_dma(ch, rq)) {
		ch->cur_dma = true;
		ch->dma_cmds++;
		outb(ch->bm + BM_COMMAND, rd ? BM_CMD_READ : 0);
		outl(ch->bm + BM_PRDT, (uint32_t)blkdrv_dma_addr(ch->prd));
		outb(ch->bm + BM_STATUS, inb(ch->bm + BM_STATUS) | BM_ST_IRQ | BM_ST_ERR); /* write 1 to clear */
		ide_issue(ch, d, rd ? (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA)
				    : (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA),
			  rq->sector, rq->nr_sectors);
		outb(ch->bm + BM_COMMAND, (uint8_t)((rd ? BM_CMD_READ : 0) | BM_CMD_START));
		return 0;
	}
	ch->pio_cmds++;
	ch->pio_bio = rq->bios;
	ch->pio_off = 0;
	ch->pio_left = rq->nr_sectors;
	ide_issue(ch, d, rd ? (lba48 ? ATA_CMD_READ_PIO_EXT : ATA_CMD_READ_PIO)
			    : (lba48 ? ATA_CMD_WRITE_PIO_EXT : ATA_CMD_WRITE_PIO),
		  rq->sector, rq->nr_sectors);
	if (!rd) {
		/* The first sector goes when the device asks (DRQ); the rest after each interrupt. */
		int st = ide_wait(ch, true, 100);
		if (st < 0 || !(st & ATA_SR_DRQ)) {
			ch->cur = NULL;
			return -EIO;
		}
		ide_pio_sector(ch, false);
	}
	return 0;
}

/* Requests that ended without reaching the device, ended after the lock is dropped. */
struct ide_done {
	struct request *rq[4];
	struct ide_disk *d[4];
	int err[4];
	unsigned n;
};

/*
 * Starts the next request of either disk, round robin (lock held). A request the device would
 * not take goes to failed, or, without failed (queue_rq runs under the block layer's queue
 * lock, where ending a request would deadlock), back to its queue for the next try.
 */
static void ide_start_next(struct ide_chan *ch, struct ide_done *failed)
{
	while (!ch->cur && !ch->resetting) {
		struct ide_disk *d = NULL;
		for (unsigned i = 0; i < 2 && !d; i++) {
			struct ide_disk *c = ch->disks[(ch->next_unit + i) & 1];
			if (c && c->head)
				d = c;
		}
		if (!d)
			return;
		ch->next_unit = d->unit ^ 1;
		struct request *rq = d->head;
		d->head = rq->driver_data;
		if (!d->head)
			d->tail = NULL;
		int err = ide_start(ch, d, rq);
		if (err) {
			if (!failed || failed->n == ARRAY_SIZE(failed->rq)) {
				/* Put it back; the next completion retries. */
				rq->driver_data = d->head;
				d->head = rq;
				if (!d->tail)
					d->tail = rq;
				return;
			}
			failed->rq[failed->n] = rq;
			failed->d[failed->n] = d;
			failed->err[failed->n++] = err;
		}
	}
}

static void ide_end_all(struct ide_done *done)
{
	for (unsigned i = 0; i < done->n; i++)
		blk_end_request(&done->d[i]->disk, done->rq[i], done->err[i]);
}

static int ide_queue_rq(struct block_device *disk, struct request *rq)
{
	struct ide_disk *d = disk->driver_data;
	struct ide_chan *ch = d->ch;
	uint64_t irq = spin_lock_irqsave(&ch->lock);
	rq->driver_data = NULL;
	if (d->tail)
		d->tail->driver_data = rq;
	else
		d->head = rq;
	d->tail = rq;
	ide_start_next(ch, NULL);
	spin_unlock_irqrestore(&ch->lock, irq);
	return 0;
}

#define ATA_CTL_SRST 0x04

/*
 * A command the device never completed (the block watchdog): stop the bus master, software
 * reset the channel (SRST for at least 5 us, then BSY must clear: both devices reset), fail the
 * request with EIO and go on with the queues.
 */
static void ide_timeout(struct block_device *disk)
{
	struct ide_disk *d = disk->driver_data;
	struct ide_chan *ch = d->ch;
	struct ide_done done = { .n = 0 };
	uint64_t irq = spin_lock_irqsave(&ch->lock);
	struct request *rq = ch->cur;
	struct ide_disk *rd = ch->cur_disk;
	ch->cur = NULL;
	ch->resetting = true;
	ch->resets++;
	if (ch->bm) {
		outb(ch->bm + BM_COMMAND, 0);
		outb(ch->bm + BM_STATUS, inb(ch->bm + BM_STATUS) | BM_ST_IRQ | BM_ST_ERR);
	}
	outb(ch->ctl, ATA_CTL_SRST | ATA_CTL_NIEN);
	spin_unlock_irqrestore(&ch->lock, irq);
	thread_sleep_ns(10 * 1000);
	outb(ch->ctl, ATA_CTL_NIEN);
	thread_sleep_ns(2 * 1000 * 1000); /* ATA: BSY may take 2 ms to show */
	uint64_t deadline = clock_monotonic_ns() + 5000ull * 1000 * 1000;
	int st;
	while ((st = inb(ch->ctl)) & ATA_SR_BSY && clock_monotonic_ns() < deadline)
		thread_sleep_ns(1000 * 1000);
	irq = spin_lock_irqsave(&ch->lock);
	outb(ch->ctl, 0); /* interrupts on again */
	ch->resetting = false;
	ide_start_next(ch, &done);
	spin_unlock_irqrestore(&ch->lock, irq);
	pr_warn("ide: %s: command timeout: channel reset, %s\n", disk->dev.name,
		st & ATA_SR_BSY ? "the device stays busy" : "the device is ready");
	if (rq)
		blk_end_request(&rd->disk, rq, -EIO);
	ide_end_all(&done);
}

static const struct blk_ops ide_blk_ops = { .queue_rq = ide_queue_rq, .timeout = ide_timeout };

static enum irq_return ide_irq(void *ctx)
{
	struct ide_chan *ch = ctx;
	struct ide_done done = { .n = 0 };
	uint64_t irq = spin_lock_irqsave(&ch->lock);
	ch->irqs++;
	struct request *rq = ch->cur;
	if (!rq) {
		inb(ch->cmd + ATA_STATUS);
		spin_unlock_irqrestore(&ch->lock, irq);
		return IRQ_NONE;
	}
	if (blkdrv_lose_completion()) {
		/* The ktest's "never completed": acknowledge the device, keep the request. */
		inb(ch->cmd + ATA_STATUS);
		if (ch->cur_dma)
			outb(ch->bm + BM_STATUS, inb(ch->bm + BM_STATUS) | BM_ST_IRQ);
		spin_unlock_irqrestore(&ch->lock, irq);
		return IRQ_HANDLED;
	}
	int err = 0;
	bool finished = true;
	if (ch->cur_dma) {
		uint8_t bmst = inb(ch->bm + BM_STATUS);
		if (!(bmst & BM_ST_IRQ)) {
			spin_unlock_irqrestore(&ch->lock, irq);
			return IRQ_NONE;
		}
		outb(ch->bm + BM_COMMAND, rq->op == BLK_READ ? BM_CMD_READ : 0); /* stop */
		uint8_t st = inb(ch->cmd + ATA_STATUS);
		outb(ch->bm + BM_STATUS, bmst | BM_ST_IRQ | BM_ST_ERR);
		if ((st & (ATA_SR_ERR | ATA_SR_DF)) || (bmst & BM_ST_ERR))
			err = -EIO;
	} else {
		uint8_t st = inb(ch->cmd + ATA_STATUS);
		if (st & ATA_SR_BSY) {
			spin_unlock_irqrestore(&ch->lock, irq);
			return IRQ_HANDLED; /* not done yet */
		}
		if (st & (ATA_SR_ERR | ATA_SR_DF)) {
			err = -EIO;
		} else if (rq->op == BLK_READ) {
			if (!(st & ATA_SR_DRQ))
				err = -EIO;
			else {
				ide_pio_sector(ch, true);
				finished = ch->pio_left == 0;
			}
		} else if (rq->op == BLK_WRITE && ch->pio_left) {
			if (!(st & ATA_SR_DRQ))
				err = -EIO;
			else {
				ide_pio_sector(ch, false);
				finished = false; /* one more interrupt after the last sector */
			}
		}
	}
	if (finished) {
		done.rq[0] = rq;
		done.d[0] = ch->cur_disk;
		done.err[0] = err;
		done.n = 1;
		ch->cur = NULL;
		ide_start_next(ch, &done);
	}
	spin_unlock_irqrestore(&ch->lock, irq);
	ide_end_all(&done);
	return IRQ_HANDLED;
}

static void ide_release(struct block_device *disk)
{
	kfree(disk->driver_data);
}

static void ide_add_disk(struct ide_host *h, struct ide_chan *ch, unsigned chan_no, unsigned unit, uint16_t *id)
{
	struct ide_disk *d = kzalloc(sizeof(*d));
	if (!d)
		return;
	if (ata_parse_identify(id, &d->id) < 0 || (d->sd_index = sd_alloc_index()) < 0) {
		kfree(d);
		return;
	}
	d->ch = ch;
	d->unit = unit;
	struct block_device *disk = &d->disk;
	sd_format_name(disk->dev.name, d->sd_index);
	disk->dev.parent = &h->pdev->dev;
	disk->dev.devt = MKDEV(sd_major(), (unsigned)d->sd_index * (BLK_MAX_PARTS + 1));
	disk->nr_sectors = d->id.sectors;
	disk->ops = &ide_blk_ops;
	disk->driver_data = d;
	disk->release = ide_release;
	disk->queue.max_segments = IDE_MAX_BIOS;
	/* LBA28's count register says 256 as 0; LBA48's takes up to 65536. 1 MiB with LBA48: one
	 * command per channel, so large ones are what keeps the disk busy (17 PRD entries). */
	disk->queue.max_sectors = d->id.lba48 ? 2048 : 256;
	ch->disks[unit] = d;
	pr_info("ata_piix: %s: ata%u.%02u \"%s\" serial \"%s\" fw \"%s\", %llu sectors, %s, %s%s\n", disk->dev.name,
		chan_no + 1, unit, d->id.model, d->id.serial, d->id.firmware, (unsigned long long)d->id.sectors,
		d->id.lba48 ? "LBA48" : "LBA28", ch->bm && !force_pio ? "bus-master DMA" : "PIO",
		d->id.flush_ext ? ", flush ext" : d->id.flush ? ", flush" : "");
}

static int ide_probe(struct pci_dev *pdev, const struct pci_device_id *pid)
{
	(void)pid;
	struct ide_host *h = kzalloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pdev = pdev;
	pci_enable_device(pdev, true);
	uint16_t bm = pdev->bars[4].io && pdev->bars[4].base && (pdev->prog_if & 0x80) ? (uint16_t)pdev->bars[4].base : 0;
	uint16_t *id = pmm_alloc_virt(0, GFP_ZERO);
	if (!id) {
		kfree(h);
		return -ENOMEM;
	}
	static const uint16_t cmd_base[2] = { 0x1f0, 0x170 }, ctl_base[2] = { 0x3f6, 0x376 };
	unsigned ndisks = 0;
	for (unsigned c = 0; c < 2; c++) {
		struct ide_chan *ch = &h->ch[c];
		ch->lock = (spinlock_t)SPINLOCK_INIT;
		ch->gsi = -1;
		if (pdev->prog_if & (1u << (2 * c))) {
			/* FIXME: native-PCI mode channels (BARs 0-3 and INTx). */
			pr_info("ata_piix: %s: channel %u in native mode; not supported\n", pdev->dev.name, c);
			continue;
		}
		ch->cmd = cmd_base[c];
		ch->ctl = ctl_base[c];
		ch->isa_irq = 14 + c;
		ch->bm = bm ? (uint16_t)(bm + 8 * c) : 0;
		for (unsigned unit = 0; unit < 2; unit++)
			if (ide_identify(ch, unit, id) == 0)
				ide_add_disk(h, ch, c, unit, id);
		if (!ch->disks[0] && !ch->disks[1])
			continue;
		if (ch->bm && !(ch->prd = pmm_alloc_virt(0, GFP_ZERO | GFP_DMA32)))
			ch->bm = 0;
		unsigned flags = 0;
		unsigned gsi = irq_isa_to_gsi(ch->isa_irq, &flags);
		if (irq_request(gsi, ide_irq, ch, flags, c ? "ide1" : "ide0") < 0) {
			pr_warn("ata_piix: %s: IRQ %u busy; channel %u unused\n", pdev->dev.name, ch->isa_irq, c);
			for (unsigned unit = 0; unit < 2; unit++)
				if (ch->disks[unit]) {
					sd_free_index(ch->disks[unit]->sd_index);
					kfree(ch->disks[unit]);
					ch->disks[unit] = NULL;
				}
			continue;
		}
		ch->gsi = (int)gsi;
		outb(ch->ctl, 0); /* interrupts on (nIEN clear) */
		inb(ch->cmd + ATA_STATUS);
		ndisks += (ch->disks[0] != NULL) + (ch->disks[1] != NULL);
	}
	pmm_free_virt(id, 0);
	pr_info("ata_piix: %s [%04x:%04x], bus master %s, %u disks\n", pdev->dev.name, pdev->vendor, pdev->device,
		bm ? "at I/O" : "none", ndisks);
	pdev->dev.driver_data = h;
	for (unsigned c = 0; c < 2; c++)
		for (unsigned unit = 0; unit < 2; unit++)
			if (h->ch[c].disks[unit] && blk_add_disk(&h->ch[c].disks[unit]->disk) < 0)
				pr_warn("ata_piix: %s: not registered\n", h->ch[c].disks[unit]->disk.dev.name);
	return 0;
}

static void ide_remove(struct pci_dev *pdev)
{
	struct ide_host *h = pdev->dev.driver_data;
	if (!h)
		return;
	for (unsigned c = 0; c < 2; c++) {
		struct ide_chan *ch = &h->ch[c];
		for (unsigned unit = 0; unit < 2; unit++)
			if (ch->disks[unit])
				blk_del_disk(&ch->disks[unit]->disk);
		if (ch->gsi >= 0) {
			outb(ch->ctl, ATA_CTL_NIEN);
			irq_free((unsigned)ch->gsi, ch);
		}
		if (ch->bm)
			outb(ch->bm + BM_COMMAND, 0);
		/* Fail the request on the wire and everything accepted behind it. */
		uint64_t irq = spin_lock_irqsave(&ch->lock);
		struct request *cur = ch->cur;
		struct ide_disk *cur_disk = ch->cur_disk;
		ch->cur = NULL;
		struct request *queued[2];
		for (unsigned unit = 0; unit < 2; unit++) {
			queued[unit] = ch->disks[unit] ? ch->disks[unit]->head : NULL;
			if (ch->disks[unit])
				ch->disks[unit]->head = ch->disks[unit]->tail = NULL;
		}
		spin_unlock_irqrestore(&ch->lock, irq);
		if (cur)
			blk_end_request(&cur_disk->disk, cur, -EIO);
		for (unsigned unit = 0; unit < 2; unit++)
			for (struct request *rq = queued[unit], *nx; rq; rq = nx) {
				nx = rq->driver_data;
				blk_end_request(&ch->disks[unit]->disk, rq, -EIO);
			}
		for (unsigned unit = 0; unit < 2; unit++)
			if (ch->disks[unit]) {
				sd_free_index(ch->disks[unit]->sd_index);
				blk_put(&ch->disks[unit]->disk);
			}
		if (ch->prd)
			pmm_free_virt(ch->prd, 0);
	}
	pdev->dev.driver_data = NULL;
	kfree(h);
}

static const struct pci_device_id ide_ids[] = {
	{ 0x8086, 0x7010, 0, 0 }, /* PIIX3 IDE (QEMU -machine pc) */
	{ 0x8086, 0x7111, 0, 0 }, /* PIIX4 IDE */
	{ 0x8086, 0x1230, 0, 0 }, /* PIIX IDE */
	{ 0 },
};

static struct pci_driver ide_driver = {
	.driver = { .name = "ata_piix" },
	.id_table = ide_ids,
	.probe = ide_probe,
	.remove = ide_remove,
};

void ata_piix_init(void)
{
	int err = pci_register_driver(&ide_driver);
	if (err < 0)
		pr_err("ata_piix: driver registration failed (%d)\n", err);
}
