/* The IRQ layer's interface to the rest of the kernel core (not for drivers). */
#pragma once

enum irq_mode { IRQ_MODE_NONE, IRQ_MODE_PIC, IRQ_MODE_APIC };
extern enum irq_mode irq_mode;

/* Chooses IOAPIC+LAPIC or the PIC, masks everything, installs the vector handlers. */
void irq_init(void);
/* Counts one interrupt on this CPU (called for every vector >= 32). */
void irq_account(unsigned vector);
void irq_set_vector_name(unsigned vector, const char *name);
