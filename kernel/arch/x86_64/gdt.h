/* Global descriptor table and task state segment for one CPU. */
#pragma once

#include "lib/types.h"

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x1b /* 0x18 | RPL 3: SYSRET wants user data right before user code */
#define GDT_USER_CODE   0x23 /* 0x20 | RPL 3 */
#define GDT_TSS         0x28

/* Interrupt stack table slots (1-based as the IDT encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS is 104 bytes (Intel SDM vol. 3, 8.7)");

/* Loads the boot CPU's GDT and TSS (with IST stacks for #DF, NMI and #MC). */
void gdt_init(void);
/* The same for an application processor, with IST stacks from vmalloc; -1 without memory. */
int gdt_init_ap(unsigned id);
/* Sets the stack this CPU switches to on an interrupt from ring 3. */
void tss_set_kernel_stack(uint64_t rsp0);
