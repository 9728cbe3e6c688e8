// unit-deps: kernel/drivers/block/blkdrv_lists.c kernel/lib/string.c
/*
 * The disk drivers' pure parts: AHCI PRDTs (4 MiB split, odd addresses refused, overflow),
 * IDE bus-master PRDs (64 KiB boundaries, the end-of-table bit, addresses above 4 GiB), NVMe
 * PRPs and SGLs (one page, two pages, a list), the NVMe queue index arithmetic, and ATA
 * IDENTIFY parsing with good, malformed and random data.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define BLKDRV_PURE
#include "drivers/block/blkdrv.h"
#include "drivers/block/nvme_hw.h"
#include "lib/errno.h"

TEST(ahci_prdt)
{
	struct ahci_prd prdt[4];
	struct blkdrv_seg segs[2] = { { 0x123400, 4096 }, { 0x1000000000ull, 9u << 20 } };
	int n = ahci_build_prdt(prdt, 4, segs, 2);
	CHECK_INT(n, 4); /* 4 KiB, then 9 MiB as 4 + 4 + 1 */
	CHECK_INT(prdt[0].dba, 0x123400);
	CHECK_INT(prdt[0].dbc_i, 4095);
	CHECK_INT(prdt[1].dba, 0);
	CHECK_INT(prdt[1].dbau, 0x10);
	CHECK_INT(prdt[1].dbc_i, (4u << 20) - 1);
	CHECK_INT(prdt[3].dba, 8u << 20);
	CHECK_INT(prdt[3].dbc_i, (1u << 20) - 1);
	CHECK_INT(ahci_build_prdt(prdt, 3, segs, 2), -EINVAL); /* does not fit */
	struct blkdrv_seg odd = { 0x1001, 512 }, oddlen = { 0x1000, 511 }, empty = { 0x1000, 0 };
	CHECK_INT(ahci_build_prdt(prdt, 4, &odd, 1), -EINVAL);
	CHECK_INT(ahci_build_prdt(prdt, 4, &oddlen, 1), -EINVAL);
	CHECK_INT(ahci_build_prdt(prdt, 4, &empty, 1), -EINVAL);
}

TEST(ide_prd)
{
	struct ide_prd prd[8];
	/* 0xf000..0x21000 crosses two 64 KiB boundaries: 4 KiB, 64 KiB (count 0), 4 KiB. */
	struct blkdrv_seg s = { 0xf000, 0x12000 };
	int n = ide_build_prd(prd, 8, &s, 1);
	CHECK_INT(n, 3);
	CHECK_INT(prd[0].addr, 0xf000);
	CHECK_INT(prd[0].count, 0x1000);
	CHECK_INT(prd[0].flags, 0);
	CHECK_INT(prd[1].addr, 0x10000);
	CHECK_INT(prd[1].count, 0); /* 0 means 64 KiB */
	CHECK_INT(prd[2].addr, 0x20000);
	CHECK_INT(prd[2].count, 0x1000);
	CHECK_INT(prd[2].flags, IDE_PRD_EOT);
	CHECK_INT(ide_build_prd(prd, 2, &s, 1), -EINVAL);
	struct blkdrv_seg high = { 0xfffff000ull, 0x2000 }, odd = { 0x1000, 3 };
	CHECK_INT(ide_build_prd(prd, 8, &high, 1), -EINVAL); /* ends above 4 GiB */
	CHECK_INT(ide_build_prd(prd, 8, &odd, 1), -EINVAL);
	CHECK_INT(ide_build_prd(prd, 8, &s, 0), -EINVAL);
}

TEST(nvme_prps)
{
	uint64_t p1, p2, list[8];
	CHECK_INT(nvme_build_prps(0x5200, 512, 4096, &p1, &p2, list, 0x9000, 8), 0);
	CHECK(p1 == 0x5200 && p2 == 0);
	CHECK_INT(nvme_build_prps(0x5e00, 1024, 4096, &p1, &p2, list, 0x9000, 8), 0); /* two pages */
	CHECK(p1 == 0x5e00 && p2 == 0x6000);
	CHECK_INT(nvme_build_prps(0x5e00, 16384, 4096, &p1, &p2, list, 0x9000, 8), 0); /* a list */
	CHECK(p1 == 0x5e00 && p2 == 0x9000);
	CHECK(list[0] == 0x6000 && list[1] == 0x7000 && list[2] == 0x8000 && list[3] == 0x9000);
	CHECK_INT(nvme_build_prps(0x5000, 64 * 4096, 4096, &p1, &p2, list, 0x9000, 8), -EINVAL);
	CHECK_INT(nvme_build_prps(0x5001, 512, 4096, &p1, &p2, list, 0x9000, 8), -EINVAL);
	CHECK_INT(nvme_build_prps(0x5000, 0, 4096, &p1, &p2, list, 0x9000, 8), -EINVAL);
}

TEST(nvme_sgl)
{
	struct nvme_sgl_desc d, list[4];
	struct blkdrv_seg one = { 0x7000, 4096 };
	CHECK_INT(nvme_build_sgl(&one, 1, &d, list, 0xa000, 4), 0);
	CHECK(d.addr == 0x7000 && d.len == 4096 && d.type == NVME_SGL_DATA_BLOCK);
	/* Adjacent pieces join; a gap starts a new descriptor; more than one needs the list. */
	struct blkdrv_seg segs[4] = { { 0x7000, 512 }, { 0x7200, 512 }, { 0x9000, 1024 }, { 0x9400, 512 } };
	CHECK_INT(nvme_build_sgl(segs, 4, &d, list, 0xa000, 4), 0);
	CHECK(d.addr == 0xa000 && d.len == 32 && d.type == NVME_SGL_LAST_SEGMENT);
	CHECK(list[0].addr == 0x7000 && list[0].len == 1024);
	CHECK(list[1].addr == 0x9000 && list[1].len == 1536);
	struct blkdrv_seg apart[3] = { { 0x1000, 512 }, { 0x3000, 512 }, { 0x5000, 512 } };
	CHECK_INT(nvme_build_sgl(apart, 3, &d, list, 0xa000, 2), -EINVAL);
	CHECK_INT(nvme_build_sgl(apart, 0, &d, list, 0xa000, 2), -EINVAL);
}

TEST(nvme_queues)
{
	CHECK_INT(nvme_doorbell(0, false, 0), 0x1000);
	CHECK_INT(nvme_doorbell(0, true, 0), 0x1004);
	CHECK_INT(nvme_doorbell(1, false, 0), 0x1008);
	CHECK_INT(nvme_doorbell(1, true, 2), 0x1000 + 3 * 16);
	uint16_t head = 0;
	uint8_t phase = 1;
	for (int i = 0; i < 5; i++)
		nvme_cq_next(&head, &phase, 4);
	CHECK_INT(head, 1);
	CHECK_INT(phase, 0); /* wrapped once */
	for (int i = 0; i < 3; i++)
		nvme_cq_next(&head, &phase, 4);
	CHECK_INT(head, 0);
	CHECK_INT(phase, 1);
	CHECK_INT(nvme_sq_next(3, 4), 0);
	CHECK(nvme_sq_full(2, 3, 4));
	CHECK(nvme_sq_full(3, 0, 4));
	CHECK(!nvme_sq_full(0, 0, 4));
}

static void put_string(uint16_t *id, unsigned word, unsigned nwords, const char *s)
{
	char buf[80];
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, s, strlen(s));
	for (unsigned i = 0; i < nwords; i++)
		id[word + i] = (uint16_t)((uint8_t)buf[2 * i] << 8 | (uint8_t)buf[2 * i + 1]);
}

static void qemu_like(uint16_t *id)
{
	memset(id, 0, 512);
	put_string(id, 10, 10, "QM00001");
	put_string(id, 23, 4, "2.5+");
	put_string(id, 27, 20, "QEMU HARDDISK");
	id[49] = 1u << 9 | 1u << 8;  /* LBA, DMA */
	id[53] = 1u << 2;
	id[60] = 16384;
	id[75] = 31;
	id[76] = 1u << 8;           /* NCQ */
	id[83] = 0x4000 | 1u << 10 | 1u << 12 | 1u << 13;
	id[88] = 0x3f | 1u << (8 + 5);
	id[100] = 16384;
}

TEST(ata_identify)
{
	uint16_t id[256];
	struct ata_identity a;
	qemu_like(id);
	CHECK_INT(ata_parse_identify(id, &a), 0);
	CHECK_STR(a.model, "QEMU HARDDISK");
	CHECK_STR(a.serial, "QM00001");
	CHECK_STR(a.firmware, "2.5+");
	CHECK_INT(a.sectors, 16384);
	CHECK(a.lba48 && a.flush && a.flush_ext && a.ncq && a.dma);
	CHECK_INT(a.queue_depth, 32);
	CHECK_INT(a.udma_mode, 5);
	/* A 3 TB disk: LBA28 says 0x0fffffff, LBA48 the truth. */
	id[60] = 0xffff;
	id[61] = 0x0fff;
	id[100] = 0x5e00;
	id[101] = 0x5d50;
	id[102] = 0x1;
	CHECK_INT(ata_parse_identify(id, &a), 0);
	CHECK(a.sectors == 0x15d505e00ull);
	/* Words 82-87 not valid: no LBA48, so the LBA28 count. */
	id[83] = 0xffff;
	CHECK_INT(ata_parse_identify(id, &a), 0);
	CHECK(!a.lba48 && !a.flush && a.sectors == 0x0fffffff);
	/* Malformed: ATAPI, no LBA, no capacity, a wrong checksum, a capacity over 2^48. */
	qemu_like(id);
	id[0] = 0x8580;
	CHECK_INT(ata_parse_identify(id, &a), -EINVAL);
	qemu_like(id);
	id[49] = 0;
	CHECK_INT(ata_parse_identify(id, &a), -EINVAL);
	qemu_like(id);
	id[60] = 0;
	id[100] = 0;
	CHECK_INT(ata_parse_identify(id, &a), -EINVAL);
	qemu_like(id);
	id[255] = 0x12a5;
	CHECK_INT(ata_parse_identify(id, &a), -EINVAL);
	qemu_like(id);
	uint8_t sum = 0;
	id[255] = 0xa5;
	for (int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
	id[255] = (uint16_t)((uint8_t)-sum << 8 | 0xa5);
	CHECK_INT(ata_parse_identify(id, &a), 0); /* a correct checksum passes */
	qemu_like(id);
	id[103] = 0x0002;
	CHECK_INT(ata_parse_identify(id, &a), -EINVAL);
	/* Control characters in strings are replaced, strings stay terminated. */
	qemu_like(id);
	id[27] = 0x0107;
	CHECK_INT(ata_parse_identify(id, &a), 0);
	CHECK(a.model[0] == '?' && a.model[1] == '?' && strlen(a.model) <= 40);
	/* Random words never crash and never give zero sectors on success. */
	srand(12);
	for (int round = 0; round < 20000; round++) {
		for (int i = 0; i < 256; i++)
			id[i] = (uint16_t)rand();
		if (ata_parse_identify(id, &a) == 0)
			CHECK(a.sectors > 0 && strlen(a.model) <= 40 && strlen(a.serial) <= 20 &&
			      strlen(a.firmware) <= 8 && (!a.ncq || (a.queue_depth >= 1 && a.queue_depth <= 32)));
	}
}
