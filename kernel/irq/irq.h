/*
 * Device interrupts. Drivers ask for a global system interrupt (GSI; an ISA IRQ goes through
 * irq_isa_to_gsi first) or an MSI vector; the interrupt controller layer (IOAPIC, or the legacy
 * 8259 PIC with acpi=off/noapic) routes it to a CPU vector. Lines may be shared.
 */
#pragma once

#include "lib/types.h"

enum irq_return { IRQ_NONE, IRQ_HANDLED };
typedef enum irq_return (*irq_handler_t)(void *ctx);

#define IRQF_SHARED     0x1
#define IRQF_LEVEL      0x2 /* level-triggered (default: edge, or what ACPI says for ISA IRQs) */
#define IRQF_ACTIVE_LOW 0x4

#define IRQ_MAX_GSI 256

/* 0 or a negative errno (-EBUSY when the line is taken and not shared by both). */
int irq_request(unsigned gsi, irq_handler_t fn, void *ctx, unsigned flags, const char *name);
void irq_free(unsigned gsi, void *ctx);
/* Maps an ISA IRQ to its GSI and flags (MADT overrides: on QEMU, IRQ 0 is GSI 2). */
unsigned irq_isa_to_gsi(unsigned isa_irq, unsigned *flags);

/* MSI: a vector with its handler; the device is programmed with this address/data pair. */
struct msi_msg {
	uint64_t address;
	uint32_t data;
};
int irq_alloc_msi(irq_handler_t fn, void *ctx, const char *name, unsigned *vector, struct msi_msg *msg);
void irq_free_msi(unsigned vector);

/* For /proc/interrupts: per-vector counts on each CPU, and the name of what is attached. */
uint64_t irq_vector_count(unsigned vector, unsigned cpu);
const char *irq_vector_name(unsigned vector);
