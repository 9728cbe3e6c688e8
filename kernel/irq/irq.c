/*
 * The IRQ layer: lines (GSIs) with chains of handlers, routed through the IOAPIC to the boot
 * CPU, or through the 8259 PIC when there is no MADT (acpi=off) or the command line says noapic;
 * MSI vectors; per-CPU counts of every vector.
 */
#include "irq/irq.h"

#include "acpi/acpi.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "console/console.h"
#include "irq/irq_internal.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "mm/slab.h"

struct irq_action {
	irq_handler_t fn;
	void *ctx;
	const char *name;
	unsigned flags;
	struct irq_action *next;
};

struct msi_slot {
	irq_handler_t fn;
	void *ctx;
	const char *name;
};

enum irq_mode irq_mode;
static bool noapic;
static struct irq_action *lines[IRQ_MAX_GSI];
static struct msi_slot msis[VEC_MSI_LAST - VEC_MSI_FIRST + 1];
static const char *vector_names[256];
static uint64_t counts[MAX_CPUS][256];
static spinlock_t irq_lock = SPINLOCK_INIT;
static unsigned gsi_limit; /* lines the controller can route */

static int param_noapic(const char *val)
{
	(void)val;
	noapic = true;
	return 0;
}
KPARAM("noapic", param_noapic);

void irq_account(unsigned vector)
{
	counts[cpu_id()][vector & 0xff]++;
}

uint64_t irq_vector_count(unsigned vector, unsigned cpu)
{
	return cpu < MAX_CPUS && vector < 256 ? counts[cpu][vector] : 0;
}

const char *irq_vector_name(unsigned vector)
{
	return vector < 256 ? vector_names[vector] : NULL;
}

void irq_set_vector_name(unsigned vector, const char *name)
{
	if (vector < 256)
		vector_names[vector] = name;
}

static void run_actions(unsigned gsi)
{
	/* The chain only grows under irq_lock and entries are freed after unlinking. */
	for (struct irq_action *a = lines[gsi]; a; a = a->next)
		a->fn(a->ctx);
}

static void gsi_interrupt(struct trap_frame *tf)
{
	run_actions((unsigned)tf->vector - VEC_GSI_BASE);
	lapic_eoi();
}

static void pic_interrupt(struct trap_frame *tf)
{
	unsigned irq = (unsigned)tf->vector - VEC_PIC_BASE;
	if ((irq == 7 || irq == 15) && pic_spurious(irq))
		return;
	run_actions(irq);
	pic_eoi(irq);
}

static void msi_interrupt(struct trap_frame *tf)
{
	struct msi_slot *s = &msis[tf->vector - VEC_MSI_FIRST];
	if (s->fn)
		s->fn(s->ctx);
	lapic_eoi();
}

void irq_init(void)
{
	pic_init(); /* remapped and fully masked even when the APIC takes over */
	if (acpi.has_madt && acpi.madt.ioapic_count && !noapic) {
		lapic_init(acpi.madt.lapic_addr);
		gsi_limit = ioapic_init();
		if (gsi_limit > VEC_GSI_LAST - VEC_GSI_BASE + 1)
			gsi_limit = VEC_GSI_LAST - VEC_GSI_BASE + 1;
		for (unsigned g = 0; g < gsi_limit; g++)
			trap_set_handler(VEC_GSI_BASE + g, gsi_interrupt);
		irq_mode = IRQ_MODE_APIC;
	} else {
		gsi_limit = 16;
		for (unsigned i = 0; i < 16; i++)
			trap_set_handler(VEC_PIC_BASE + i, pic_interrupt);
		irq_mode = IRQ_MODE_PIC;
	}
	for (unsigned v = VEC_MSI_FIRST; v <= VEC_MSI_LAST; v++)
		trap_set_handler(v, msi_interrupt);
	pr_info("irq: %s, %u lines\n",
		irq_mode == IRQ_MODE_APIC ? "IOAPIC + local APIC" :
		noapic ? "8259 PIC (noapic)" : "8259 PIC (no MADT)", gsi_limit);
}

unsigned irq_isa_to_gsi(unsigned isa_irq, unsigned *flags)
{
	*flags = 0;
	if (irq_mode != IRQ_MODE_APIC)
		return isa_irq;
	uint16_t acpi_flags;
	unsigned gsi = acpi_isa_irq_to_gsi((uint8_t)isa_irq, &acpi_flags);
	if ((acpi_flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW)
		*flags |= IRQF_ACTIVE_LOW;
	if ((acpi_flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL)
		*flags |= IRQF_LEVEL;
	return gsi;
}

int irq_request(unsigned gsi, irq_handler_t fn, void *ctx, unsigned flags, const char *name)
{
	if (!fn || gsi >= gsi_limit)
		return -EINVAL;
	struct irq_action *a = kmalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct irq_action){ fn, ctx, name, flags, NULL };

	uint64_t irq = spin_lock_irqsave(&irq_lock);
	struct irq_action *head = lines[gsi];
	if (head && !((head->flags & flags) & IRQF_SHARED)) {
		spin_unlock_irqrestore(&irq_lock, irq);
		kfree(a);
		return -EBUSY;
	}
	a->next = head;
	lines[gsi] = a;
	if (!head) {
		unsigned vector = (irq_mode == IRQ_MODE_APIC ? VEC_GSI_BASE : VEC_PIC_BASE) + gsi;
		vector_names[vector] = name;
		if (irq_mode == IRQ_MODE_APIC) {
			ioapic_route(gsi, (uint8_t)vector, cpus[0].apic_id, flags);
			ioapic_mask(gsi, false);
		} else {
			pic_mask(gsi, false);
		}
	}
	spin_unlock_irqrestore(&irq_lock, irq);
	return 0;
}

void irq_free(unsigned gsi, void *ctx)
{
	if (gsi >= gsi_limit)
		return;
	uint64_t irq = spin_lock_irqsave(&irq_lock);
	struct irq_action *gone = NULL;
	for (struct irq_action **p = &lines[gsi]; *p; p = &(*p)->next) {
		if ((*p)->ctx == ctx) {
			gone = *p;
			*p = gone->next;
			break;
		}
	}
	if (!lines[gsi]) {
		if (irq_mode == IRQ_MODE_APIC)
			ioapic_mask(gsi, true);
		else
			pic_mask(gsi, true);
	}
	spin_unlock_irqrestore(&irq_lock, irq);
	kfree(gone);
}

int irq_alloc_msi(irq_handler_t fn, void *ctx, const char *name, unsigned *vector, struct msi_msg *msg)
{
	if (irq_mode != IRQ_MODE_APIC)
		return -ENODEV;
	uint64_t irq = spin_lock_irqsave(&irq_lock);
	for (unsigned i = 0; i < sizeof(msis) / sizeof(msis[0]); i++) {
		if (msis[i].fn)
			continue;
		msis[i] = (struct msi_slot){ fn, ctx, name };
		*vector = VEC_MSI_FIRST + i;
		vector_names[*vector] = name;
		/* Fixed delivery, edge, physical destination: the boot CPU. */
		msg->address = 0xfee00000ull | ((uint64_t)(cpus[0].apic_id & 0xff) << 12);
		msg->data = *vector;
		spin_unlock_irqrestore(&irq_lock, irq);
		return 0;
	}
	spin_unlock_irqrestore(&irq_lock, irq);
	return -ENOSPC;
}

void irq_free_msi(unsigned vector)
{
	if (vector < VEC_MSI_FIRST || vector > VEC_MSI_LAST)
		return;
	uint64_t irq = spin_lock_irqsave(&irq_lock);
	msis[vector - VEC_MSI_FIRST] = (struct msi_slot){ 0 };
	vector_names[vector] = NULL;
	spin_unlock_irqrestore(&irq_lock, irq);
}
