/* NVMe 1.4 controller registers, queue entries and the admin/NVM commands the driver uses. */
#pragma once

#include "lib/types.h"

/* Controller registers (§3.1), byte offsets into BAR0. */
#define NVME_REG_CAP   0x00 /* 64-bit */
#define NVME_REG_VS    0x08
#define NVME_REG_INTMS 0x0c
#define NVME_REG_INTMC 0x10
#define NVME_REG_CC    0x14
#define NVME_REG_CSTS  0x1c
#define NVME_REG_AQA   0x24
#define NVME_REG_ASQ   0x28 /* 64-bit */
#define NVME_REG_ACQ   0x30 /* 64-bit */
#define NVME_REG_DBS   0x1000

#define NVME_CAP_MQES(cap)   ((uint32_t)((cap) & 0xffff) + 1)
#define NVME_CAP_TO_MS(cap)  ((uint32_t)(((cap) >> 24) & 0xff) * 500)
#define NVME_CAP_DSTRD(cap)  ((unsigned)(((cap) >> 32) & 0xf))
#define NVME_CAP_CSS_NVM(cap) (((cap) >> 37) & 1)
#define NVME_CAP_MPSMIN(cap) ((unsigned)(((cap) >> 48) & 0xf))

#define NVME_CC_EN         (1u << 0)
#define NVME_CC_IOSQES(n)  ((uint32_t)(n) << 16)
#define NVME_CC_IOCQES(n)  ((uint32_t)(n) << 20)
#define NVME_CSTS_RDY      (1u << 0)
#define NVME_CSTS_CFS      (1u << 1)

/* Submission queue entry (§4.2). */
struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;      /* fused, PSDT (0: PRPs) */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "a submission queue entry is 64 bytes");
_Static_assert(__builtin_offsetof(struct nvme_sqe, prp1) == 24, "PRP1 at byte 24");
_Static_assert(__builtin_offsetof(struct nvme_sqe, cdw10) == 40, "CDW10 at byte 40");

/* Completion queue entry (§4.6). */
struct nvme_cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id;
	uint16_t cid;
	uint16_t status;    /* bit 0 phase tag, 15:1 status field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "a completion queue entry is 16 bytes");
#define NVME_CQE_PHASE 1u
#define NVME_CQE_SC(status) ((uint16_t)((status) >> 1) & 0x7ff) /* type and code */

/* Admin commands (§5). */
#define NVME_ADMIN_CREATE_SQ  0x01
#define NVME_ADMIN_CREATE_CQ  0x05
#define NVME_ADMIN_IDENTIFY   0x06
#define NVME_ADMIN_SET_FEATURES 0x09
#define NVME_FEAT_NUM_QUEUES  0x07
#define NVME_ID_CNS_NS        0x00
#define NVME_ID_CNS_CTRL      0x01

/* NVM commands (§6). */
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ  0x02

/* Identify Controller fields used (byte offsets in the 4 KiB structure). */
#define NVME_IDC_SN    4   /* 20 bytes ASCII */
#define NVME_IDC_MN    24  /* 40 bytes */
#define NVME_IDC_FR    64  /* 8 bytes */
#define NVME_IDC_MDTS  77
#define NVME_IDC_NN    516 /* le32 */
#define NVME_IDC_VWC   525
#define NVME_IDC_SGLS  536 /* le32: bits 1:0 SGL support */
/* Identify Namespace. */
#define NVME_IDNS_NSZE  0   /* le64 */
#define NVME_IDNS_NLBAF 25
#define NVME_IDNS_FLBAS 26
#define NVME_IDNS_LBAF  128 /* 16 x le32: bits 23:16 LBADS */

/*
 * Doorbell offsets (§3.1.24, 3.1.25): SQ y tail at 1000h + (2y) * (4 << DSTRD), CQ y head at
 * 1000h + (2y + 1) * (4 << DSTRD).
 */
static inline uint64_t nvme_doorbell(unsigned qid, bool cq, unsigned dstrd)
{
	return NVME_REG_DBS + (uint64_t)(2 * qid + (cq ? 1 : 0)) * (4u << dstrd);
}

/* The next completion slot: the head wraps at size and the expected phase flips with it. */
static inline void nvme_cq_next(uint16_t *head, uint8_t *phase, uint16_t size)
{
	if (++*head >= size) {
		*head = 0;
		*phase ^= 1;
	}
}

/* The next submission slot, and whether the queue is full (one slot always stays empty). */
static inline uint16_t nvme_sq_next(uint16_t tail, uint16_t size)
{
	return (uint16_t)(tail + 1 >= size ? 0 : tail + 1);
}
static inline bool nvme_sq_full(uint16_t tail, uint16_t head, uint16_t size)
{
	return nvme_sq_next(tail, size) == head;
}
