/*
 * Intel 8254x (e1000) registers and descriptors, from the "PCI/PCI-X Family of Gigabit
 * Ethernet Controllers Software Developer's Manual" (8254x SDM, rev. 4.0): register offsets
 * from section 13, the legacy receive descriptor (3.2.3, table 3-1) and the legacy transmit
 * descriptor (3.3.3, table 3-8). The 82574L (e1000e) keeps these registers and, with
 * RCTL.DTYP = 0 and RFCTL.EXSTEN = 0 (their reset values), the same legacy descriptors
 * (82574 datasheet 7.1.4.1 and 7.2.10.1); only what differs is marked E1000E.
 */
#pragma once

#include "lib/types.h"

/* Registers (byte offsets into BAR 0). */
#define E1000_CTRL   0x0000 /* device control */
#define E1000_STATUS 0x0008
#define E1000_EECD   0x0010 /* EEPROM control */
#define E1000_EERD   0x0014 /* EEPROM read */
#define E1000_ICR    0x00c0 /* interrupt cause read (reading clears it) */
#define E1000_ICS    0x00c8 /* interrupt cause set */
#define E1000_IMS    0x00d0 /* interrupt mask set */
#define E1000_IMC    0x00d8 /* interrupt mask clear */
#define E1000_RCTL   0x0100
#define E1000_TCTL   0x0400
#define E1000_TIPG   0x0410
#define E1000_RDBAL  0x2800
#define E1000_RDBAH  0x2804
#define E1000_RDLEN  0x2808
#define E1000_RDH    0x2810
#define E1000_RDT    0x2818
#define E1000_RDTR   0x2820 /* receive delay timer */
#define E1000_TDBAL  0x3800
#define E1000_TDBAH  0x3804
#define E1000_TDLEN  0x3808
#define E1000_TDH    0x3810
#define E1000_TDT    0x3818
#define E1000_MTA    0x5200 /* multicast table, 128 registers */
#define E1000_RAL0   0x5400 /* receive address 0, low */
#define E1000_RAH0   0x5404 /* receive address 0, high; bit 31 = address valid */
#define E1000_CRCERRS 0x4000 /* statistics (clear on read) */
#define E1000_MPC    0x4010 /* missed packets */

#define E1000_CTRL_FD   (1u << 0)
#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU  (1u << 6)  /* set link up */
#define E1000_CTRL_RST  (1u << 26)
#define E1000_CTRL_PHY_RST (1u << 31)

#define E1000_STATUS_FD (1u << 0)
#define E1000_STATUS_LU (1u << 1)
#define E1000_STATUS_SPEED_SHIFT 6 /* 00 10, 01 100, 1x 1000 Mb/s */

#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE  (1u << 4)  /* 82540EM/82545: bit 4; data in bits 31:16, address 15:8 */
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16
/* 82574L (e1000e) EERD: done is bit 1 and the word address sits in bits 15:2 (82574 DS 10.2.2.5). */
#define E1000E_EERD_DONE (1u << 1)
#define E1000E_EERD_ADDR_SHIFT 2

#define E1000_ICR_TXDW   (1u << 0)
#define E1000_ICR_LSC    (1u << 2)  /* link status change */
#define E1000_ICR_RXSEQ  (1u << 3)
#define E1000_ICR_RXDMT0 (1u << 4)  /* receive descriptors running low */
#define E1000_ICR_RXO    (1u << 6)  /* receiver overrun */
#define E1000_ICR_RXT0   (1u << 7)  /* receive timer: frames arrived */

#define E1000_RCTL_EN    (1u << 1)
#define E1000_RCTL_SBP   (1u << 2)
#define E1000_RCTL_UPE   (1u << 3)
#define E1000_RCTL_MPE   (1u << 4)
#define E1000_RCTL_LPE   (1u << 5)
#define E1000_RCTL_BAM   (1u << 15) /* accept broadcast */
#define E1000_RCTL_BSIZE_2048 (0u << 16)
#define E1000_RCTL_SECRC (1u << 26) /* strip the Ethernet CRC */

#define E1000_TCTL_EN    (1u << 1)
#define E1000_TCTL_PSP   (1u << 3)  /* pad short packets */
#define E1000_TCTL_CT_SHIFT 4       /* collision threshold */
#define E1000_TCTL_COLD_SHIFT 12    /* collision distance */

/* Legacy receive descriptor (SDM table 3-1). */
struct e1000_rx_desc {
	uint64_t addr;    /* buffer's physical address */
	uint16_t length;  /* bytes stored (CRC stripped with RCTL.SECRC) */
	uint16_t csum;    /* packet checksum */
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __attribute__((packed));
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "8254x SDM 3.2.3");
_Static_assert(__builtin_offsetof(struct e1000_rx_desc, status) == 12, "8254x SDM table 3-1");

#define E1000_RXD_STAT_DD  (1u << 0) /* descriptor done */
#define E1000_RXD_STAT_EOP (1u << 1) /* end of packet */
/* Errors: CRC/alignment (CE), symbol (SE), sequence (SEQ), carrier extension (CXE), RX data (RXE). */
#define E1000_RXD_ERR_FRAME 0x97

/* Legacy transmit descriptor (SDM table 3-8). */
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;     /* checksum offset */
	uint8_t cmd;
	uint8_t status;
	uint8_t css;     /* checksum start */
	uint16_t special;
} __attribute__((packed));
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "8254x SDM 3.3.3");
_Static_assert(__builtin_offsetof(struct e1000_tx_desc, cmd) == 11, "8254x SDM table 3-8");

#define E1000_TXD_CMD_EOP  (1u << 0) /* end of packet */
#define E1000_TXD_CMD_IFCS (1u << 1) /* insert the FCS */
#define E1000_TXD_CMD_RS   (1u << 3) /* report status (sets DD) */
#define E1000_TXD_STAT_DD  (1u << 0)
