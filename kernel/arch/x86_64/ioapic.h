/* I/O APICs: route global system interrupts to CPU vectors. */
#pragma once

#include "lib/types.h"

/* Maps every IOAPIC of the MADT, masks all its pins; returns how many GSIs they cover. */
unsigned ioapic_init(void);
/* Routes gsi to vector on the CPU with apic_id; flags are IRQF_LEVEL/IRQF_ACTIVE_LOW. */
int ioapic_route(unsigned gsi, uint8_t vector, uint32_t apic_id, unsigned flags);
void ioapic_mask(unsigned gsi, bool masked);
