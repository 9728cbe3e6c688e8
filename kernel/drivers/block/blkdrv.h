/*
 * What the disk controller drivers (AHCI, NVMe, IDE) share: DMA addresses of kernel buffers,
 * the sd* disk names that libata's disks (AHCI and IDE) share, ATA IDENTIFY parsing, and the
 * pure builders of the hardware's scatter lists (blkdrv_lists.c, host-tested).
 */
#pragma once

#include "lib/types.h"

/* A DMA segment: a bus address and a length in bytes. */
struct blkdrv_seg {
	uint64_t addr;
	uint32_t len;
};

/* ---- scatter lists (pure) ---- */

/* AHCI PRDT entry (AHCI 1.3.1 §4.2.3.3): 16 bytes; dbc = byte count - 1 (bit 0 set: even). */
struct ahci_prd {
	uint32_t dba, dbau, reserved, dbc_i; /* dbc_i: bits 21:0 byte count - 1, bit 31 interrupt */
};
_Static_assert(sizeof(struct ahci_prd) == 16, "an AHCI PRD entry is 16 bytes");
#define AHCI_PRD_MAX_BYTES (4u << 20)
/*
 * Fills prdt from segs, splitting segments at 4 MiB: the number of entries, or -EINVAL for an
 * odd address or length (AHCI moves words) or a list longer than max.
 */
int ahci_build_prdt(struct ahci_prd *prdt, unsigned max, const struct blkdrv_seg *segs, unsigned nsegs);

/* IDE bus-master PRD (SFF-8038i): 32-bit address, 16-bit count (0 = 64 KiB), bit 31 end of table. */
struct ide_prd {
	uint32_t addr;
	uint16_t count;
	uint16_t flags;
};
_Static_assert(sizeof(struct ide_prd) == 8, "a bus-master PRD is 8 bytes");
#define IDE_PRD_EOT 0x8000
/*
 * Fills prd from segs, splitting wherever a 64 KiB boundary is crossed (the controller's
 * counter wraps there) and marking the last entry: the count, or -EINVAL when an address is
 * above 4 GiB, a length odd, or the list longer than max.
 */
int ide_build_prd(struct ide_prd *prd, unsigned max, const struct blkdrv_seg *segs, unsigned nsegs);

/*
 * NVMe PRPs for one physically contiguous buffer (NVMe 1.4 §4.3): prp1 the first address, prp2
 * the second page or a PRP list (list_phys, filled into list with up to list_max entries) when
 * more than two pages are touched. 0, or -EINVAL (odd address / empty / list too short).
 */
int nvme_build_prps(uint64_t addr, uint32_t len, uint32_t page_size, uint64_t *prp1, uint64_t *prp2,
		    uint64_t *list, uint64_t list_phys, unsigned list_max);

/* NVMe SGL descriptor (NVMe 1.4 §4.4): a data block, or a (last) segment pointing at a list. */
struct nvme_sgl_desc {
	uint64_t addr;
	uint32_t len;
	uint8_t reserved[3];
	uint8_t type;  /* descriptor type << 4 | subtype */
};
_Static_assert(sizeof(struct nvme_sgl_desc) == 16, "an SGL descriptor is 16 bytes");
#define NVME_SGL_DATA_BLOCK   0x00
#define NVME_SGL_LAST_SEGMENT 0x30
/*
 * The command's data pointer for segs: one data block descriptor in place, or a last-segment
 * descriptor pointing at list (list_phys) holding one data block per segment, adjacent segments
 * joined. 0 or -EINVAL (a length over 4 GiB, an empty list, more than list_max).
 */
int nvme_build_sgl(const struct blkdrv_seg *segs, unsigned nsegs, struct nvme_sgl_desc *dptr,
		   struct nvme_sgl_desc *list, uint64_t list_phys, unsigned list_max);

/* ---- ATA IDENTIFY DEVICE (ATA8-ACS §7.16) ---- */
struct ata_identity {
	char model[41], serial[21], firmware[9]; /* byte-swapped, trailing spaces removed */
	uint64_t sectors;      /* addressable 512-byte sectors */
	bool lba48;
	bool flush, flush_ext; /* FLUSH CACHE (E7h), FLUSH CACHE EXT (EAh) */
	bool ncq;
	unsigned queue_depth;  /* NCQ depth, 1..32 */
	bool dma;              /* multiword or UDMA */
	int udma_mode;         /* highest selected UDMA mode, -1 none */
};
/*
 * Parses the 256 words IDENTIFY returned: 0, or -EINVAL when they do not describe a usable
 * ATA disk (ATAPI, no LBA, no capacity, a bad integrity checksum).
 */
int ata_parse_identify(const uint16_t id[256], struct ata_identity *out);

/* ATA commands the drivers use. */
#define ATA_CMD_READ_DMA        0xc8
#define ATA_CMD_READ_DMA_EXT    0x25
#define ATA_CMD_WRITE_DMA       0xca
#define ATA_CMD_WRITE_DMA_EXT   0x35
#define ATA_CMD_READ_PIO        0x20
#define ATA_CMD_READ_PIO_EXT    0x24
#define ATA_CMD_WRITE_PIO       0x30
#define ATA_CMD_WRITE_PIO_EXT   0x34
#define ATA_CMD_FLUSH           0xe7
#define ATA_CMD_FLUSH_EXT       0xea
#define ATA_CMD_IDENTIFY        0xec
#define ATA_CMD_SET_FEATURES    0xef

/* ---- kernel-only helpers (blkdrv.c) ---- */
#ifndef BLKDRV_PURE
struct block_device;
/* The bus address of a kernel buffer (direct map or the kernel image). */
uint64_t blkdrv_dma_addr(const void *va);
/* sd disk names, shared by AHCI and IDE (Linux's libata): index (0 = sda) or -ENOSPC. */
int sd_alloc_index(void);
void sd_free_index(int index);
/* "sda".."sdz", "sdaa"...: fills name (at least 8 bytes). */
void sd_format_name(char *name, int index);
/* Major 8, 16 minors per disk, as Linux's sd. */
unsigned sd_major(void);
/* Spins until (read32(reg) & mask) == want or timeout_ms passes: true when it matched. */
bool blkdrv_wait32(volatile uint32_t *reg, uint32_t mask, uint32_t want, unsigned timeout_ms);
/*
 * Fault injection for the command-timeout ktest (blkdrv_ktest.c): while positive, a driver with
 * a timeout op ignores the next completion it sees, as if the device had never sent it, and
 * takes one off. Returns whether to ignore this one.
 */
extern int blkdrv_lose_completions;
bool blkdrv_lose_completion(void);
#endif
