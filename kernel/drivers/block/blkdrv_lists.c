/*
 * Pure parts of the disk drivers, shared with the host unit tests: the scatter lists each
 * controller reads (AHCI PRDT, IDE bus-master PRD table, NVMe PRPs) and ATA IDENTIFY parsing.
 * Nothing here trusts its input: a device's IDENTIFY data is as hostile as a disk image.
 */
#define BLKDRV_PURE
#include "drivers/block/blkdrv.h"
#include "lib/errno.h"
#include "lib/string.h"

int ahci_build_prdt(struct ahci_prd *prdt, unsigned max, const struct blkdrv_seg *segs, unsigned nsegs)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		uint64_t addr = segs[i].addr;
		uint32_t left = segs[i].len;
		if ((addr & 1) || (left & 1) || !left)
			return -EINVAL;
		while (left) {
			uint32_t chunk = left < AHCI_PRD_MAX_BYTES ? left : AHCI_PRD_MAX_BYTES;
			if (n >= max)
				return -EINVAL;
			prdt[n++] = (struct ahci_prd){ (uint32_t)addr, (uint32_t)(addr >> 32), 0, chunk - 1 };
			addr += chunk;
			left -= chunk;
		}
	}
	return (int)n;
}

int ide_build_prd(struct ide_prd *prd, unsigned max, const struct blkdrv_seg *segs, unsigned nsegs)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		uint64_t addr = segs[i].addr;
		uint64_t left = segs[i].len;
		if ((addr & 1) || (left & 1) || !left || addr + left > (1ull << 32))
			return -EINVAL;
		while (left) {
			/* Up to the next 64 KiB boundary. */
			uint64_t room = 0x10000 - (addr & 0xffff);
			uint64_t chunk = left < room ? left : room;
			if (n >= max)
				return -EINVAL;
			prd[n++] = (struct ide_prd){ (uint32_t)addr, (uint16_t)chunk /* 0x10000 -> 0 */, 0 };
			addr += chunk;
			left -= chunk;
		}
	}
	if (!n)
		return -EINVAL;
	prd[n - 1].flags = IDE_PRD_EOT;
	return (int)n;
}

int nvme_build_prps(uint64_t addr, uint32_t len, uint32_t page_size, uint64_t *prp1, uint64_t *prp2,
		    uint64_t *list, uint64_t list_phys, unsigned list_max)
{
	if (!len || (addr & 3) || !page_size || (page_size & (page_size - 1)))
		return -EINVAL;
	uint64_t mask = page_size - 1;
	uint64_t first_end = (addr & ~mask) + page_size; /* end of the first page */
	uint64_t end = addr + len;
	*prp1 = addr;
	*prp2 = 0;
	if (end <= first_end)
		return 0;
	if (end <= first_end + page_size) {
		*prp2 = first_end;
		return 0;
	}
	/* Every page after the first goes into the list (one list page: no chaining). */
	unsigned n = 0;
	for (uint64_t p = first_end; p < end; p += page_size) {
		if (n >= list_max)
			return -EINVAL;
		list[n++] = p;
	}
	*prp2 = list_phys;
	return 0;
}

int nvme_build_sgl(const struct blkdrv_seg *segs, unsigned nsegs, struct nvme_sgl_desc *dptr,
		   struct nvme_sgl_desc *list, uint64_t list_phys, unsigned list_max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		if (!segs[i].len)
			return -EINVAL;
		/* Physically adjacent pieces (small bios of one buffer) become one descriptor. */
		if (n && list[n - 1].addr + list[n - 1].len == segs[i].addr &&
		    (uint64_t)list[n - 1].len + segs[i].len <= 0xffffffffu) {
			list[n - 1].len += segs[i].len;
			continue;
		}
		if (n >= list_max)
			return -EINVAL;
		list[n++] = (struct nvme_sgl_desc){ .addr = segs[i].addr, .len = segs[i].len,
						    .type = NVME_SGL_DATA_BLOCK };
	}
	if (!n)
		return -EINVAL;
	if (n == 1)
		*dptr = list[0];
	else
		*dptr = (struct nvme_sgl_desc){ .addr = list_phys, .len = n * (uint32_t)sizeof(*list),
						.type = NVME_SGL_LAST_SEGMENT };
	return 0;
}

/* ATA strings are big-endian byte pairs padded with spaces. */
static void ata_string(char *out, const uint16_t *words, unsigned nwords)
{
	unsigned len = 0;
	for (unsigned i = 0; i < nwords; i++) {
		out[len++] = (char)(words[i] >> 8);
		out[len++] = (char)(words[i] & 0xff);
	}
	for (unsigned i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	while (len && (out[len - 1] == ' ' || out[len - 1] == 0))
		len--;
	out[len] = 0;
	/* Leading spaces too (some devices right-align their serial). */
	unsigned lead = 0;
	while (out[lead] == ' ')
		lead++;
	if (lead)
		memmove(out, out + lead, len - lead + 1);
}

int ata_parse_identify(const uint16_t id[256], struct ata_identity *out)
{
	memset(out, 0, sizeof(*out));
	out->udma_mode = -1;
	if (id[0] & 0x8000)
		return -EINVAL; /* ATAPI (packet device) */
	/* Word 255: signature A5h in the low byte, then a checksum that makes the bytes sum to 0. */
	if ((id[255] & 0xff) == 0xa5) {
		uint8_t sum = 0;
		for (unsigned i = 0; i < 256; i++)
			sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
		if (sum)
			return -EINVAL;
	}
	if (!(id[49] & (1u << 9)))
		return -EINVAL; /* no LBA */
	ata_string(out->serial, id + 10, 10);
	ata_string(out->firmware, id + 23, 4);
	ata_string(out->model, id + 27, 20);
	/* Words 82-87 are valid when bit 14 is set and bit 15 clear (0x0000/0xffff: not reported). */
	bool cmdsets = (id[83] & 0xc000) == 0x4000;
	out->lba48 = cmdsets && (id[83] & (1u << 10));
	uint64_t lba28 = (uint64_t)id[60] | (uint64_t)id[61] << 16;
	uint64_t lba48 = (uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
			 (uint64_t)id[103] << 48;
	out->sectors = out->lba48 && lba48 ? lba48 : lba28;
	if (out->lba48 && lba48 > (1ull << 48))
		return -EINVAL;
	if (!out->sectors)
		return -EINVAL;
	out->flush = cmdsets && (id[83] & (1u << 12));
	out->flush_ext = out->lba48 && (id[83] & (1u << 13));
	/* Word 76 (SATA capabilities): 0 or ffff when not a SATA device. */
	if (id[76] != 0 && id[76] != 0xffff && (id[76] & (1u << 8))) {
		out->ncq = true;
		out->queue_depth = (id[75] & 0x1f) + 1u;
	}
	out->dma = (id[49] & (1u << 8)) != 0;
	if (id[53] & (1u << 2))
		for (int m = 6; m >= 0; m--)
			if (id[88] & (1u << (8 + m))) {
				out->udma_mode = m;
				break;
			}
	return 0;
}
