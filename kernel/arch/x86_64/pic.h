/* The legacy pair of 8259 PICs: remapped and masked under the APIC, or used with acpi=off. */
#pragma once

#include "lib/types.h"

/* Remaps IRQ 0-15 to VEC_PIC_BASE.. and masks every line. */
void pic_init(void);
void pic_mask(unsigned irq, bool masked);
void pic_eoi(unsigned irq);
/* True when the interrupt on irq (7 or 15) was spurious (not in the in-service register). */
bool pic_spurious(unsigned irq);
