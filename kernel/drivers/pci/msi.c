/*
 * Device interrupts for PCI functions: MSI and MSI-X programmed with vectors from the IRQ
 * layer, and legacy INTx routed through the chipset's PIRQ links (until ACPI _PRT tables can
 * be read, which needs the AML interpreter).
 */
#include "drivers/pci/pci_internal.h"

#include "acpi/acpi.h"
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "irq/irq.h"
#include "irq/irq_internal.h" /* irq_mode: the INTx route differs between IOAPIC and 8259 */
#include "lib/cmdline.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define PCI_CMD_INTX_OFF       0x0400 /* command register: INTx disable */

/* MSI capability (PCI Local Bus 3.0, 6.8.1): offsets from the capability. */
#define MSI_CTRL               0x02
#define MSI_CTRL_ENABLE        0x0001
#define MSI_CTRL_MME_MASK      0x0070 /* multiple message enable: 0 = one vector */
#define MSI_CTRL_64BIT         0x0080
#define MSI_CTRL_MASKABLE      0x0100 /* per-vector masking */
#define MSI_ADDR_LO            0x04
#define MSI_ADDR_HI            0x08   /* 64-bit variant only */
#define MSI_DATA_32            0x08
#define MSI_MASK_32            0x0c
#define MSI_DATA_64            0x0c
#define MSI_MASK_64            0x10

/* MSI-X capability (PCI Local Bus 3.0, 6.8.2). */
#define MSIX_CTRL              0x02
#define MSIX_CTRL_SIZE_MASK    0x07ff /* table size - 1 */
#define MSIX_CTRL_MASKALL      0x4000
#define MSIX_CTRL_ENABLE       0x8000
#define MSIX_TABLE             0x04   /* BIR in bits 2:0, offset in the rest */
#define MSIX_BIR_MASK          0x7

/* One MSI-X table entry, in the BAR the capability names. */
struct msix_entry {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl;
};
#define MSIX_ENTRY_MASKED 0x1
_Static_assert(sizeof(struct msix_entry) == 16, "MSI-X table entries are 16 bytes");
_Static_assert(__builtin_offsetof(struct msix_entry, data) == 8, "MSI-X message data at 8");
_Static_assert(__builtin_offsetof(struct msix_entry, ctrl) == 12, "MSI-X vector control at 12");

/* What a function has enabled, so that pci_disable_msi can undo it. */
struct msi_state {
	struct pci_dev *dev;
	bool msix;
	unsigned nvec;
	volatile struct msix_entry *table; /* MSI-X: the mapped table */
	struct msi_state *next;
	unsigned vectors[];
};

static spinlock_t msi_lock = SPINLOCK_INIT; /* protects msi_states */
static struct msi_state *msi_states;

/* "pci_nomsi" (Linux: pci=nomsi): no MSI/MSI-X at all, so that drivers fall back to INTx. */
static bool nomsi;
static int param_nomsi(const char *val)
{
	(void)val;
	nomsi = true;
	return 0;
}
KPARAM("pci_nomsi", param_nomsi);

static struct msi_state *state_find(struct pci_dev *d)
{
	for (struct msi_state *s = msi_states; s; s = s->next)
		if (s->dev == d)
			return s;
	return NULL;
}

static void state_add(struct msi_state *st)
{
	uint64_t irq = spin_lock_irqsave(&msi_lock);
	st->next = msi_states;
	msi_states = st;
	spin_unlock_irqrestore(&msi_lock, irq);
}

static struct msi_state *state_take(struct pci_dev *d)
{
	uint64_t irq = spin_lock_irqsave(&msi_lock);
	struct msi_state *found = NULL;
	for (struct msi_state **p = &msi_states; *p; p = &(*p)->next) {
		if ((*p)->dev == d) {
			found = *p;
			*p = found->next;
			break;
		}
	}
	spin_unlock_irqrestore(&msi_lock, irq);
	return found;
}

static bool msi_active(struct pci_dev *d)
{
	uint64_t irq = spin_lock_irqsave(&msi_lock);
	bool active = state_find(d) != NULL;
	spin_unlock_irqrestore(&msi_lock, irq);
	return active;
}

/* A message is a memory write by the function: it needs bus mastering, and INTx must be off. */
static void command_for_msi(struct pci_dev *d, uint16_t extra)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd | PCI_CMD_MASTER | PCI_CMD_INTX_OFF | extra);
}

static uint8_t cap_msi(struct pci_dev *d)
{
	return d->msi_cap ? d->msi_cap : pci_find_capability(d, PCI_CAP_ID_MSI);
}

static uint8_t cap_msix(struct pci_dev *d)
{
	return d->msix_cap ? d->msix_cap : pci_find_capability(d, PCI_CAP_ID_MSIX);
}

static int msi_program(struct pci_dev *d, uint8_t cap, irq_handler_t fn, void *ctx, const char *name)
{
	uint16_t ctrl = pci_read16(d, cap + MSI_CTRL);
	bool is64 = ctrl & MSI_CTRL_64BIT;
	unsigned vector;
	struct msi_msg msg;
	int err = irq_alloc_msi(fn, ctx, name, &vector, &msg);
	if (err < 0)
		return err;
	if ((msg.address >> 32) && !is64) {
		irq_free_msi(vector);
		return -ERANGE;
	}
	struct msi_state *st = kzalloc(sizeof(*st) + sizeof(unsigned));
	if (!st) {
		irq_free_msi(vector);
		return -ENOMEM;
	}

	/* Off while the message changes; one vector (multiple message enable = 0). */
	ctrl &= (uint16_t)~(MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK);
	pci_write16(d, cap + MSI_CTRL, ctrl);
	pci_write32(d, cap + MSI_ADDR_LO, (uint32_t)msg.address);
	if (is64) {
		pci_write32(d, cap + MSI_ADDR_HI, (uint32_t)(msg.address >> 32));
		pci_write16(d, cap + MSI_DATA_64, (uint16_t)msg.data);
	} else {
		pci_write16(d, cap + MSI_DATA_32, (uint16_t)msg.data);
	}
	if (ctrl & MSI_CTRL_MASKABLE) /* vector 0 unmasked, the rest (never enabled) masked */
		pci_write32(d, cap + (is64 ? MSI_MASK_64 : MSI_MASK_32), ~1u);
	command_for_msi(d, 0);
	pci_write16(d, cap + MSI_CTRL, ctrl | MSI_CTRL_ENABLE);

	st->dev = d;
	st->msix = false;
	st->nvec = 1;
	st->vectors[0] = vector;
	state_add(st);
	return 0;
}

static void msix_disable_table(volatile struct msix_entry *table, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		table[i].ctrl = MSIX_ENTRY_MASKED;
}

int pci_enable_msix(struct pci_dev *d, unsigned nvec, irq_handler_t *fns, void **ctxs, const char *name)
{
	uint8_t cap = cap_msix(d);
	if (!cap || nomsi)
		return -ENOTSUP;
	if (!nvec || !fns)
		return -EINVAL;
	if (msi_active(d))
		return -EBUSY;

	uint16_t ctrl = pci_read16(d, cap + MSIX_CTRL);
	unsigned size = (ctrl & MSIX_CTRL_SIZE_MASK) + 1u;
	unsigned n = MIN(nvec, size);
	uint32_t where = pci_read32(d, cap + MSIX_TABLE);
	unsigned bir = where & MSIX_BIR_MASK;
	uint64_t offset = where & ~(uint32_t)MSIX_BIR_MASK;
	if (bir > 5)
		return -ENXIO;
	struct pci_bar *bar = &d->bars[bir];
	if (!bar->base || bar->io || offset + (uint64_t)size * sizeof(struct msix_entry) > bar->size) {
		pr_warn("pci: %s: MSI-X table in BAR%u (offset %#llx) is not in an assigned memory BAR\n",
			d->dev.name, bir, (unsigned long long)offset);
		return -ENXIO;
	}
	volatile struct msix_entry *table =
		ioremap(bar->base + offset, size * sizeof(struct msix_entry), VM_CACHE_UC);
	if (!table)
		return -ENOMEM;

	struct msi_state *st = kzalloc(sizeof(*st) + n * sizeof(unsigned));
	if (!st)
		return -ENOMEM;

	/* MSI and MSI-X never both on. Enable with every entry masked by the function mask, so
	 * that half-programmed entries cannot fire. */
	uint8_t msicap = cap_msi(d);
	if (msicap) {
		uint16_t mctrl = pci_read16(d, msicap + MSI_CTRL);
		pci_write16(d, msicap + MSI_CTRL, mctrl & (uint16_t)~MSI_CTRL_ENABLE);
	}
	command_for_msi(d, PCI_CMD_MEM);
	pci_write16(d, cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	msix_disable_table(table, size);

	unsigned got = 0;
	for (; got < n && fns[got]; got++) {
		struct msi_msg msg;
		if (irq_alloc_msi(fns[got], ctxs ? ctxs[got] : NULL, name, &st->vectors[got], &msg) < 0)
			break;
		table[got].addr_lo = (uint32_t)msg.address;
		table[got].addr_hi = (uint32_t)(msg.address >> 32);
		table[got].data = msg.data;
		table[got].ctrl = 0; /* unmasked */
	}
	if (!got) {
		pci_write16(d, cap + MSIX_CTRL, ctrl & (uint16_t)~(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL));
		kfree(st);
		return -ENOSPC;
	}
	pci_write16(d, cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & (uint16_t)~MSIX_CTRL_MASKALL);

	st->dev = d;
	st->msix = true;
	st->nvec = got;
	st->table = table;
	state_add(st);
	return (int)got;
}

int pci_enable_msi(struct pci_dev *d, irq_handler_t fn, void *ctx, const char *name)
{
	if (!fn)
		return -EINVAL;
	if (nomsi)
		return -ENOTSUP;
	if (msi_active(d))
		return -EBUSY;
	uint8_t cap = cap_msi(d);
	if (cap)
		return msi_program(d, cap, fn, ctx, name);
	int n = pci_enable_msix(d, 1, &fn, &ctx, name);
	return n < 0 ? n : 0;
}

void pci_disable_msi(struct pci_dev *d)
{
	struct msi_state *st = state_take(d);
	if (!st)
		return;
	/* A function pulled out by surprise reads as all ones; there is nothing left to turn off. */
	bool gone = pci_read16(d, 0) == 0xffff;
	if (st->msix) {
		uint8_t cap = cap_msix(d);
		msix_disable_table(st->table, st->nvec);
		if (!gone && cap) {
			uint16_t ctrl = pci_read16(d, cap + MSIX_CTRL);
			pci_write16(d, cap + MSIX_CTRL, ctrl & (uint16_t)~(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL));
		}
	} else if (!gone) {
		uint8_t cap = cap_msi(d);
		uint16_t ctrl = pci_read16(d, cap + MSI_CTRL);
		if (ctrl & MSI_CTRL_MASKABLE)
			pci_write32(d, cap + (ctrl & MSI_CTRL_64BIT ? MSI_MASK_64 : MSI_MASK_32), ~0u);
		pci_write16(d, cap + MSI_CTRL, ctrl & (uint16_t)~MSI_CTRL_ENABLE);
	}
	if (!gone) { /* INTx back on, as the function was before */
		uint16_t cmd = pci_read16(d, PCI_COMMAND);
		pci_write16(d, PCI_COMMAND, cmd & (uint16_t)~PCI_CMD_INTX_OFF);
	}
	/* The vectors go last: a message still in flight finds no handler, which is harmless. */
	for (unsigned i = 0; i < st->nvec; i++)
		irq_free_msi(st->vectors[i]);
	kfree(st);
}

/* ---- INTx ---- */

#define PCI_VENDOR_INTEL  0x8086
#define PIIX3_ISA         0x7000 /* 00:01.0 on pc */
#define PIIX4_ISA         0x7110
#define PIIX4_ACPI        0x7113 /* 00:01.3: its pin is the SCI, not a PIRQ link */
#define ICH9_LPC          0x2918 /* 00:1f.0 on q35 */
#define PIIX_PIRQRC       0x60   /* PIRQA-D route control */
#define ICH9_PIRQA_ROUT   0x60   /* PIRQA-D */
#define ICH9_PIRQE_ROUT   0x68   /* PIRQE-H */
#define ICH9_RCBA         0xf0   /* root complex base address: bits 31:14, bit 0 enable */
#define ICH9_RCBA_EN      0x1
#define ICH9_D31IR        0x3140 /* D31IR..D25IR at 0x3140, 42, 44, 46, 48, 4c, 50 */

enum chipset { CHIPSET_UNKNOWN, CHIPSET_NONE, CHIPSET_PIIX, CHIPSET_ICH9 };

/* Config space of a bus-0 function by address: the chipset may not have a struct pci_dev yet
 * while the core enumerates (it routes each device as it finds it). */
static uint32_t bus0_read32(unsigned slot, unsigned func, unsigned off)
{
	if (!pci_cfg)
		return 0xffffffff;
	return pci_cfg->read(0, 0, PCI_DEVFN(slot, func), off, 4);
}

static enum chipset chipset_find(void)
{
	static enum chipset found = CHIPSET_UNKNOWN;
	if (found != CHIPSET_UNKNOWN)
		return found;
	if (!pci_cfg) /* no configuration access yet: ask again later */
		return CHIPSET_NONE;
	uint32_t id = bus0_read32(31, 0, 0);
	uint32_t piix = bus0_read32(1, 0, 0);
	if (id == ((uint32_t)ICH9_LPC << 16 | PCI_VENDOR_INTEL))
		found = CHIPSET_ICH9;
	else if (piix == ((uint32_t)PIIX3_ISA << 16 | PCI_VENDOR_INTEL) ||
		 piix == ((uint32_t)PIIX4_ISA << 16 | PCI_VENDOR_INTEL))
		found = CHIPSET_PIIX;
	else
		found = CHIPSET_NONE;
	return found;
}

/* The DxxIR register of an ICH9 integrated device (25-31), through the RCBA window. */
static uint16_t ich9_dir(unsigned slot)
{
	static const uint16_t off[] = { 0x3150, 0x314c, 0x3148, 0x3146, 0x3144, 0x3142, ICH9_D31IR };
	static volatile uint8_t *rcrb; /* the root complex register block, mapped once */
	if (slot < 25 || slot > 31)
		return 0;
	if (!rcrb) {
		uint32_t rcba = bus0_read32(31, 0, ICH9_RCBA);
		if (rcba & ICH9_RCBA_EN)
			rcrb = ioremap(rcba & ~0x3fffu, 0x4000, VM_CACHE_UC);
	}
	if (!rcrb)
		return 0x3210; /* the reset value: INTA#-INTD# to PIRQA-D */
	return *(volatile uint16_t *)(rcrb + off[slot - 25]);
}

/* The bus-0 slot and pin that d's pin reaches through the bridges above it. */
static void intx_at_root(struct pci_dev *d, unsigned *slot, unsigned *pin)
{
	*pin = d->irq_pin;
	*slot = d->slot;
	for (struct pci_dev *up = d; up->upstream; up = up->upstream) {
		*pin = pci_swizzle_pin(up->slot, *pin);
		*slot = up->upstream->slot;
	}
}

/* The PIRQ link (0 = A ..) d's pin ends on, or -1. */
static int intx_pirq(struct pci_dev *d, enum chipset *cs)
{
	*cs = chipset_find();
	if (!d->irq_pin || d->irq_pin > 4 || d->segment != 0)
		return -1;
	unsigned slot, pin;
	intx_at_root(d, &slot, &pin);
	switch (*cs) {
	case CHIPSET_PIIX:
		return (int)pci_piix_pirq(slot, pin);
	case CHIPSET_ICH9:
		return (int)pci_ich9_pirq(slot, pin, ich9_dir(slot));
	default:
		return -1;
	}
}

int pci_intx_isa_irq(struct pci_dev *d)
{
	enum chipset cs;
	int pirq = intx_pirq(d, &cs);
	if (cs == CHIPSET_PIIX && d->vendor == PCI_VENDOR_INTEL && d->device == PIIX4_ACPI && !d->upstream)
		return acpi.has_fadt && acpi.fadt.sci_irq < 16 ? (int)acpi.fadt.sci_irq : 9;
	if (pirq < 0)
		return -1;
	unsigned reg = cs == CHIPSET_PIIX ? PIIX_PIRQRC : pirq < 4 ? ICH9_PIRQA_ROUT : ICH9_PIRQE_ROUT;
	unsigned fn_slot = cs == CHIPSET_PIIX ? 1 : 31;
	return pci_pirq_rout_irq((uint8_t)(bus0_read32(fn_slot, 0, reg) >> (8 * (pirq & 3))));
}

/*
 * What is used (no _PRT yet; the AML interpreter will bring it):
 *  - pc (PIIX3/PIIX4 at 00:01.0): the slot/pin's PIRQ link by QEMU's board wiring, the ISA IRQ
 *    in PIRQRC[A-D] (0x60-0x63), then that IRQ's GSI through the MADT overrides (QEMU declares
 *    IRQ 10 and 11 level, active high). The PIIX4 power-management function (00:01.3) raises
 *    the SCI instead: the FADT's SCI_INT.
 *  - q35 (ICH9 LPC at 00:1f.0): the PIRQ link from DxxIR for devices 25-31, else QEMU's
 *    rotation over PIRQE-H. With the IOAPIC, ICH9 wires PIRQA-H to IOAPIC inputs 16-23 (level;
 *    active high on QEMU, as its ACPI tables say): GSI 16 + link. With the 8259, the ISA IRQ in
 *    PIRQx_ROUT (0x60-0x63, 0x68-0x6b).
 * Devices behind bridges reach bus 0 through the standard swizzle.
 */
int pci_intx_route(struct pci_dev *d)
{
	enum chipset cs;
	int pirq = intx_pirq(d, &cs);
	if (pirq < 0)
		return -1;
	if (cs == CHIPSET_ICH9 && irq_mode == IRQ_MODE_APIC)
		return 16 + pirq;
	int isa = pci_intx_isa_irq(d);
	if (isa < 0)
		return -1;
	unsigned flags;
	return (int)irq_isa_to_gsi((unsigned)isa, &flags);
}

unsigned pci_intx_flags(struct pci_dev *d)
{
	unsigned flags = IRQF_SHARED | IRQF_LEVEL;
	enum chipset cs;
	if (intx_pirq(d, &cs) < 0 || (cs == CHIPSET_ICH9 && irq_mode == IRQ_MODE_APIC))
		return flags;
	int isa = pci_intx_isa_irq(d);
	unsigned isa_flags = 0;
	if (isa >= 0)
		irq_isa_to_gsi((unsigned)isa, &isa_flags);
	return flags | (isa_flags & IRQF_ACTIVE_LOW);
}

int pci_request_intx(struct pci_dev *d, irq_handler_t fn, void *ctx, const char *name)
{
	if (!d->irq_pin)
		return -ENODEV;
	if (d->gsi < 0)
		d->gsi = pci_intx_route(d);
	if (d->gsi < 0)
		return -ENXIO;
	unsigned flags = d->gsi == pci_intx_route(d) ? pci_intx_flags(d) : IRQF_SHARED | IRQF_LEVEL;
	int err = irq_request((unsigned)d->gsi, fn, ctx, flags, name);
	if (err < 0)
		return err;
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & (uint16_t)~PCI_CMD_INTX_OFF);
	return 0;
}

void pci_free_intx(struct pci_dev *d, void *ctx)
{
	if (d->gsi >= 0)
		irq_free((unsigned)d->gsi, ctx);
}
