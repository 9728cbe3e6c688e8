/* AHCI 1.3.1 register and memory layouts (HBA registers, port registers, command list, FISes). */
#pragma once

#include "drivers/block/blkdrv.h"
#include "lib/compiler.h"
#include "lib/types.h"

/* Generic host control (§3.1). */
#define AHCI_CAP      0x00
#define AHCI_GHC      0x04
#define AHCI_IS       0x08
#define AHCI_PI       0x0c
#define AHCI_VS       0x10
#define AHCI_CAP_S64A (1u << 31)
#define AHCI_CAP_SNCQ (1u << 30)
#define AHCI_GHC_HR   (1u << 0)
#define AHCI_GHC_IE   (1u << 1)
#define AHCI_GHC_AE   (1u << 31)
#define AHCI_PORT_BASE 0x100
#define AHCI_PORT_SIZE 0x80
#define AHCI_MAX_PORTS 32

/* Port registers (§3.3), offsets from the port's base, in 32-bit words. */
#define PX_CLB   (0x00 / 4)
#define PX_CLBU  (0x04 / 4)
#define PX_FB    (0x08 / 4)
#define PX_FBU   (0x0c / 4)
#define PX_IS    (0x10 / 4)
#define PX_IE    (0x14 / 4)
#define PX_CMD   (0x18 / 4)
#define PX_TFD   (0x20 / 4)
#define PX_SIG   (0x24 / 4)
#define PX_SSTS  (0x28 / 4)
#define PX_SCTL  (0x2c / 4)
#define PX_SERR  (0x30 / 4)
#define PX_SACT  (0x34 / 4)
#define PX_CI    (0x38 / 4)

#define PX_CMD_ST  (1u << 0)
#define PX_CMD_SUD (1u << 1)
#define PX_CMD_POD (1u << 2)
#define PX_CMD_FRE (1u << 4)
#define PX_CMD_FR  (1u << 14)
#define PX_CMD_CR  (1u << 15)

#define PX_IS_DHRS (1u << 0)  /* D2H register FIS */
#define PX_IS_PSS  (1u << 1)  /* PIO setup FIS */
#define PX_IS_DSS  (1u << 2)
#define PX_IS_SDBS (1u << 3)
#define PX_IS_PCS  (1u << 6)  /* port connect change */
#define PX_IS_PRCS (1u << 22) /* PhyRdy change */
#define PX_IS_IFS  (1u << 27)
#define PX_IS_HBDS (1u << 28)
#define PX_IS_HBFS (1u << 29)
#define PX_IS_TFES (1u << 30)
#define PX_IS_ERRORS (PX_IS_IFS | PX_IS_HBDS | PX_IS_HBFS | PX_IS_TFES)

#define PX_TFD_ERR 0x01
#define PX_TFD_DRQ 0x08
#define PX_TFD_BSY 0x80

#define AHCI_SIG_ATA   0x00000101
#define AHCI_SIG_ATAPI 0xeb140101

/* Command header (§4.2.2): one of 32 in the 1 KiB command list. */
struct ahci_cmd_hdr {
	uint16_t flags;   /* bits 4:0 CFL (FIS length in dwords), 6 W (write), 7 P, 10 C */
	uint16_t prdtl;   /* PRDT entries */
	uint32_t prdbc;   /* bytes transferred (the HBA writes it) */
	uint32_t ctba, ctbau; /* command table, 128-byte aligned */
	uint32_t reserved[4];
};
_Static_assert(sizeof(struct ahci_cmd_hdr) == 32, "an AHCI command header is 32 bytes");
#define AHCI_HDR_WRITE (1u << 6)

/* Register host-to-device FIS (SATA 3.x §10.5.5). */
struct fis_reg_h2d {
	uint8_t type;     /* 0x27 */
	uint8_t flags;    /* bit 7: command (not control) */
	uint8_t command, feature_lo;
	uint8_t lba0, lba1, lba2, device;
	uint8_t lba3, lba4, lba5, feature_hi;
	uint8_t count_lo, count_hi, icc, control;
	uint8_t reserved[4];
} __packed;
_Static_assert(sizeof(struct fis_reg_h2d) == 20, "a register H2D FIS is 5 dwords");
#define FIS_TYPE_REG_H2D 0x27

/* Command table (§4.2.3): the FIS area, ATAPI command, then the PRDT at 0x80. */
#define AHCI_PRDT_PER_CMD 56
struct ahci_cmd_table {
	uint8_t cfis[64];
	uint8_t acmd[16];
	uint8_t reserved[48];
	struct ahci_prd prdt[AHCI_PRDT_PER_CMD];
};
_Static_assert(__builtin_offsetof(struct ahci_cmd_table, prdt) == 0x80, "the PRDT starts at 0x80");
_Static_assert(sizeof(struct ahci_cmd_table) % 128 == 0, "command tables stay 128-byte aligned in an array");

/* Received FIS area (§4.2.1): 256 bytes, 256-byte aligned. */
#define AHCI_RFIS_SIZE 256
#define AHCI_CMDLIST_SIZE 1024
