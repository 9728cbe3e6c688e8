/*
 * PCIe native hot-plug: a driver for root and downstream ports whose slot is hot-plug capable.
 * Slot events arrive by MSI/MSI-X (INTx otherwise); the interrupt only queues work, and the
 * work (run by the idle loop) powers a new card's slot on, waits for its link and enumerates
 * it, or on an attention-button press (QEMU's device_del) unregisters what is below the slot
 * and powers it off, which lets QEMU finish the removal.
 */
#include "drivers/pci/pci_internal.h"

#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/work.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "time/clock.h"

/* PCI Express capability registers (PCIe Base spec, 7.5.3), offsets from the capability. */
#define PCIE_FLAGS             0x02
#define PCIE_FLAGS_TYPE(f)     (((f) >> 4) & 0xf)
#define PCIE_FLAGS_SLOT        0x0100 /* slot implemented */
#define PCIE_FLAGS_IRQ(f)      (((f) >> 9) & 0x1f) /* MSI/MSI-X vector of slot events */
#define PCIE_TYPE_ROOT_PORT    0x4
#define PCIE_TYPE_DOWNSTREAM   0x6
#define PCIE_LNKCAP            0x0c
#define PCIE_LNKCAP_DLLLARC    (1u << 20) /* data link layer link active reporting */
#define PCIE_LNKSTA            0x12
#define PCIE_LNKSTA_DLLLA      0x2000
#define PCIE_SLTCAP            0x14
#define PCIE_SLTCAP_ABP        0x00000001 /* attention button present */
#define PCIE_SLTCAP_PCP        0x00000002 /* power controller present */
#define PCIE_SLTCAP_AIP        0x00000008 /* attention indicator present */
#define PCIE_SLTCAP_PIP        0x00000010 /* power indicator present */
#define PCIE_SLTCAP_HPC        0x00000040 /* hot-plug capable */
#define PCIE_SLTCAP_NCCS       0x00040000 /* no command completed support */
#define PCIE_SLTCAP_PSN(c)     ((c) >> 19) /* physical slot number */
#define PCIE_SLTCTL            0x18
#define PCIE_SLTCTL_ABPE       0x0001
#define PCIE_SLTCTL_PDCE       0x0008
#define PCIE_SLTCTL_CCIE       0x0010
#define PCIE_SLTCTL_HPIE       0x0020
#define PCIE_SLTCTL_AIC        0x00c0 /* attention indicator: 01 on, 10 blink, 11 off */
#define PCIE_SLTCTL_AIC_ON     0x0040
#define PCIE_SLTCTL_AIC_OFF    0x00c0
#define PCIE_SLTCTL_PIC        0x0300 /* power indicator: 01 on, 10 blink, 11 off */
#define PCIE_SLTCTL_PIC_ON     0x0100
#define PCIE_SLTCTL_PIC_OFF    0x0300
#define PCIE_SLTCTL_PCC        0x0400 /* power controller: 0 on, 1 off */
#define PCIE_SLTCTL_DLLSCE     0x1000
#define PCIE_SLTCTL_EVENTS     (PCIE_SLTCTL_ABPE | PCIE_SLTCTL_PDCE | PCIE_SLTCTL_CCIE | \
				PCIE_SLTCTL_HPIE | PCIE_SLTCTL_DLLSCE | 0x0006 /* PFDE, MRLSCE */)
#define PCIE_SLTSTA            0x1a
#define PCIE_SLTSTA_PDS        0x0040 /* presence detect state */

#define CMD_TIMEOUT_MS  1000 /* a slot command must complete within this */
#define LINK_TIMEOUT_MS 1000 /* the link must train within this after power-on */
#define LINK_SETTLE_MS  100  /* config requests wait this long after the link is up */

struct pcihp_slot {
	struct pci_dev *port;
	uint8_t cap;               /* PCI Express capability offset */
	uint32_t sltcap;
	bool dll;                  /* the link reports Data Link Layer Link Active */
	bool msi;                  /* slot events by MSI/MSI-X, else INTx */
	enum pcihp_state state;    /* changed only by the work */
	uint16_t events;           /* gathered by the INTx handler for the work (atomic) */
	bool dead;                 /* port removed while the work was queued: the work frees */
	struct work work;
	struct pcihp_slot *next;
};

static struct pcihp_slot *slots; /* changed only in probe/remove (work or boot context) */

static uint16_t slot_read16(struct pcihp_slot *s, unsigned reg)
{
	return pci_read16(s->port, s->cap + reg);
}

static void slot_write16(struct pcihp_slot *s, unsigned reg, uint16_t v)
{
	pci_write16(s->port, s->cap + reg, v);
}

static unsigned slot_number(struct pcihp_slot *s)
{
	return PCIE_SLTCAP_PSN(s->sltcap);
}

static bool slot_present(struct pcihp_slot *s)
{
	if (slot_read16(s, PCIE_SLTSTA) & PCIE_SLTSTA_PDS)
		return true;
	return s->dll && (slot_read16(s, PCIE_LNKSTA) & PCIE_LNKSTA_DLLLA);
}

/* Clears the events set in Slot Status (write 1 to clear, only bits seen set). */
static uint16_t slot_take_events(struct pcihp_slot *s)
{
	uint16_t ev = slot_read16(s, PCIE_SLTSTA) & PCIHP_EV_ALL;
	if (ev)
		slot_write16(s, PCIE_SLTSTA, ev);
	return ev;
}

/*
 * One Slot Control write is one command; the next must wait until this one completed (PCIe
 * 6.7.3.2). The INTx handler may have seen the completion first and left it in s->events.
 */
static void slot_command(struct pcihp_slot *s, uint16_t mask, uint16_t val)
{
	uint16_t ctl = slot_read16(s, PCIE_SLTCTL);
	slot_write16(s, PCIE_SLTCTL, (uint16_t)((ctl & ~mask) | val));
	if (s->sltcap & PCIE_SLTCAP_NCCS)
		return;
	for (unsigned ms = 0; ms < CMD_TIMEOUT_MS; ms++) {
		if (__atomic_fetch_and(&s->events, (uint16_t)~PCIHP_EV_CC, __ATOMIC_ACQ_REL) & PCIHP_EV_CC)
			return;
		if (slot_read16(s, PCIE_SLTSTA) & PCIHP_EV_CC) {
			slot_write16(s, PCIE_SLTSTA, PCIHP_EV_CC);
			return;
		}
		clock_delay_us(1000);
	}
	pr_warn("pcihp: %s slot %u: slot command %#x not completed\n", s->port->dev.name,
		slot_number(s), (ctl & ~mask) | val);
}

static uint16_t indicators(struct pcihp_slot *s, uint16_t power, uint16_t attention)
{
	uint16_t v = 0;
	if (s->sltcap & PCIE_SLTCAP_PIP)
		v |= power;
	if (s->sltcap & PCIE_SLTCAP_AIP)
		v |= attention;
	return v;
}

static uint16_t indicator_mask(struct pcihp_slot *s)
{
	return indicators(s, PCIE_SLTCTL_PIC, PCIE_SLTCTL_AIC);
}

/*
 * Power off (power controller off, power indicator off; the attention indicator on when the
 * card failed). QEMU completes a pending removal at this write: it needs the power controller
 * and the power indicator to go off together with a card present.
 */
static void slot_power_off(struct pcihp_slot *s, bool failed)
{
	slot_command(s, PCIE_SLTCTL_PCC | indicator_mask(s),
		     PCIE_SLTCTL_PCC | indicators(s, PCIE_SLTCTL_PIC_OFF,
						 failed ? PCIE_SLTCTL_AIC_ON : PCIE_SLTCTL_AIC_OFF));
}

static bool wait_link(struct pcihp_slot *s)
{
	if (!s->dll) { /* nothing to watch: give the card the time the spec allows */
		clock_delay_us(LINK_TIMEOUT_MS * 1000ull);
		return slot_present(s);
	}
	for (unsigned ms = 0; ms <= LINK_TIMEOUT_MS; ms++) {
		if (slot_read16(s, PCIE_LNKSTA) & PCIE_LNKSTA_DLLLA) {
			clock_delay_us(LINK_SETTLE_MS * 1000ull);
			return true;
		}
		clock_delay_us(1000);
	}
	return false;
}

/* A function directly below the port (the core links each function to its bridge). */
static struct pci_dev *first_child(struct pcihp_slot *s)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->upstream == s->port)
			return d;
	return NULL;
}

static void log_free_pages(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	pr_info("pcihp: free pages %llu\n", (unsigned long long)st.free_pages);
}

static void slot_enable(struct pcihp_slot *s)
{
	const char *port = s->port->dev.name;
	if (first_child(s)) { /* enumerated at boot, before this driver bound */
		s->state = PCIHP_ON;
		return;
	}
	uint16_t ctl = slot_read16(s, PCIE_SLTCTL);
	if ((s->sltcap & PCIE_SLTCAP_PCP) && (ctl & PCIE_SLTCTL_PCC))
		slot_command(s, PCIE_SLTCTL_PCC | indicator_mask(s),
			     indicators(s, PCIE_SLTCTL_PIC_ON, PCIE_SLTCTL_AIC_OFF));
	else
		slot_command(s, indicator_mask(s), indicators(s, PCIE_SLTCTL_PIC_ON, PCIE_SLTCTL_AIC_OFF));

	if (!wait_link(s)) {
		pr_warn("pcihp: %s slot %u: card present, link down after %u ms; slot off\n", port,
			slot_number(s), LINK_TIMEOUT_MS);
		slot_power_off(s, true);
		s->state = slot_present(s) ? PCIHP_OFF : PCIHP_EMPTY;
		return;
	}
	pr_info("pcihp: %s slot %u: card present, link up\n", port, slot_number(s));
	int n = pci_scan_bus_under(s->port);
	if (n <= 0) {
		pr_warn("pcihp: %s slot %u: no function found below the port (%d); slot off\n", port,
			slot_number(s), n);
		slot_power_off(s, true);
		s->state = slot_present(s) ? PCIHP_OFF : PCIHP_EMPTY;
		return;
	}
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->upstream == s->port)
			pr_info("pcihp: %s slot %u: added %s %04x:%04x (%s)\n", port, slot_number(s),
				d->dev.name, d->vendor, d->device,
				d->dev.driver ? d->dev.driver->name : "no driver");
	s->state = PCIHP_ON;
}

static void slot_disable(struct pcihp_slot *s, uint16_t events)
{
	const char *port = s->port->dev.name;
	pr_info("pcihp: %s slot %u: %s\n", port, slot_number(s),
		events & PCIHP_EV_ABP ? "attention button: removing" : "card gone");
	for (struct pci_dev *d; (d = first_child(s));) {
		char name[DEVICE_NAME_MAX];
		strlcpy(name, d->dev.name, sizeof(name));
		pci_remove_dev(d);
		pr_info("pcihp: %s slot %u: removed %s\n", port, slot_number(s), name);
	}
	slot_power_off(s, false);
	s->state = slot_present(s) ? PCIHP_OFF : PCIHP_EMPTY;
	log_free_pages();
}

static void slot_work(struct work *w)
{
	struct pcihp_slot *s = container_of(w, struct pcihp_slot, work);
	if (s->dead) {
		kfree(s);
		return;
	}
	/* Events the INTx handler cleared, then whatever is pending now (MSI: the work clears
	 * them; a new event after the last clear raises a new message). */
	uint16_t ev = __atomic_exchange_n(&s->events, 0, __ATOMIC_ACQ_REL);
	for (unsigned i = 0; i < 16; i++) {
		uint16_t more = slot_take_events(s);
		if (!more)
			break;
		ev |= more;
	}
	ev &= (uint16_t)~PCIHP_EV_CC;
	if (!ev)
		return;
	bool present = slot_present(s);
	switch (pcihp_decide(s->state, ev, present)) {
	case PCIHP_ENABLE:
		slot_enable(s);
		break;
	case PCIHP_DISABLE:
		slot_disable(s, ev);
		break;
	case PCIHP_NONE:
		if (!present && s->state == PCIHP_OFF)
			s->state = PCIHP_EMPTY;
		break;
	}
}

static enum irq_return slot_msi(void *ctx)
{
	struct pcihp_slot *s = ctx;
	work_queue(&s->work);
	return IRQ_HANDLED;
}

/* INTx is level-triggered: the events must be cleared here, or the line stays asserted. */
static enum irq_return slot_intx(void *ctx)
{
	struct pcihp_slot *s = ctx;
	uint16_t ev = slot_take_events(s);
	if (!ev)
		return IRQ_NONE;
	__atomic_fetch_or(&s->events, ev, __ATOMIC_ACQ_REL);
	work_queue(&s->work);
	return IRQ_HANDLED;
}

static int slot_irq_setup(struct pcihp_slot *s, uint16_t flags)
{
	struct pci_dev *d = s->port;
	unsigned msgnum = PCIE_FLAGS_IRQ(flags);
	int err;
	if (!d->msi_cap && d->msix_cap && msgnum > 0) {
		/* Slot events use MSI-X entry msgnum: give every entry up to it the handler. */
		irq_handler_t fns[32];
		void *ctxs[32];
		for (unsigned i = 0; i <= msgnum; i++) {
			fns[i] = slot_msi;
			ctxs[i] = s;
		}
		err = pci_enable_msix(d, msgnum + 1, fns, ctxs, "pciehp");
		if (err > 0 && (unsigned)err <= msgnum) {
			pci_disable_msi(d);
			err = -ENOSPC;
		}
	} else {
		err = pci_enable_msi(d, slot_msi, s, "pciehp");
	}
	if (err >= 0) {
		s->msi = true;
		return 0;
	}
	err = pci_request_intx(d, slot_intx, s, "pciehp");
	if (err < 0)
		return err;
	s->msi = false;
	return 0;
}

static int pcihp_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	(void)id;
	uint8_t cap = d->pcie_cap ? d->pcie_cap : pci_find_capability(d, PCI_CAP_ID_EXP);
	if (!cap)
		return -ENODEV;
	uint16_t flags = pci_read16(d, cap + PCIE_FLAGS);
	unsigned type = PCIE_FLAGS_TYPE(flags);
	if ((type != PCIE_TYPE_ROOT_PORT && type != PCIE_TYPE_DOWNSTREAM) || !(flags & PCIE_FLAGS_SLOT))
		return -ENODEV;
	uint32_t sltcap = pci_read32(d, cap + PCIE_SLTCAP);
	if (!(sltcap & PCIE_SLTCAP_HPC))
		return -ENODEV;

	struct pcihp_slot *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->port = d;
	s->cap = cap;
	s->sltcap = sltcap;
	s->dll = pci_read32(d, cap + PCIE_LNKCAP) & PCIE_LNKCAP_DLLLARC;
	s->work.fn = slot_work;
	pci_enable_device(d, true); /* bus mastering: messages are memory writes */

	/* Quiet first: no slot interrupts, no stale events. */
	slot_command(s, PCIE_SLTCTL_EVENTS, 0);
	slot_take_events(s);
	int err = slot_irq_setup(s, flags);
	if (err < 0) {
		pr_warn("pcihp: %s slot %u: no interrupt for slot events (%d); hot-plug off\n",
			d->dev.name, slot_number(s), err);
		kfree(s);
		return err;
	}
	d->dev.driver_data = s;
	s->next = slots;
	slots = s;

	bool present = slot_present(s);
	uint16_t ctl = slot_read16(s, PCIE_SLTCTL);
	bool powered = !(sltcap & PCIE_SLTCAP_PCP) || !(ctl & PCIE_SLTCTL_PCC);
	s->state = present && powered && first_child(s) ? PCIHP_ON : present ? PCIHP_OFF : PCIHP_EMPTY;

	uint16_t enable = PCIE_SLTCTL_PDCE | PCIE_SLTCTL_HPIE;
	if (sltcap & PCIE_SLTCAP_ABP)
		enable |= PCIE_SLTCTL_ABPE;
	if (!(sltcap & PCIE_SLTCAP_NCCS))
		enable |= PCIE_SLTCTL_CCIE;
	if (s->dll)
		enable |= PCIE_SLTCTL_DLLSCE;
	slot_command(s, PCIE_SLTCTL_EVENTS, enable);

	pr_info("pcihp: %s slot %u: native hot-plug%s%s%s%s, events by %s, %s\n", d->dev.name,
		slot_number(s), sltcap & PCIE_SLTCAP_PCP ? ", power controller" : "",
		sltcap & PCIE_SLTCAP_ABP ? ", attention button" : "",
		sltcap & PCIE_SLTCAP_PIP ? ", power indicator" : "",
		s->dll ? ", link reporting" : "",
		!s->msi ? "INTx" : d->msi_cap ? "MSI" : "MSI-X",
		s->state == PCIHP_OFF ? "card present, slot off: bringing it up" :
		pcihp_state_name(s->state));
	if (s->state == PCIHP_OFF) { /* a card waiting at boot: handle it as an insertion */
		__atomic_fetch_or(&s->events, PCIHP_EV_PDC, __ATOMIC_ACQ_REL);
		work_queue(&s->work);
	}
	return 0;
}

static void pcihp_remove(struct pci_dev *d)
{
	struct pcihp_slot *s = d->dev.driver_data;
	if (!s)
		return;
	if (pci_read16(d, 0) != 0xffff) /* still there: no more slot interrupts */
		slot_command(s, PCIE_SLTCTL_EVENTS, 0);
	if (s->msi)
		pci_disable_msi(d);
	else
		pci_free_intx(d, s);
	for (struct pcihp_slot **p = &slots; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	d->dev.driver_data = NULL;
	if (s->work.queued)
		s->dead = true; /* the queued work frees it */
	else
		kfree(s);
}

static const struct pci_device_id pcihp_ids[] = {
	{ PCI_ANY_ID, PCI_ANY_ID, 0xffff00, 0x060400 }, /* PCI-to-PCI bridges (PCIe ports) */
	{ 0 },
};

static struct pci_driver pcihp_driver = {
	.driver = { .name = "pciehp" },
	.id_table = pcihp_ids,
	.probe = pcihp_probe,
	.remove = pcihp_remove,
};

void pcie_hotplug_init(void)
{
	int err = pci_register_driver(&pcihp_driver);
	if (err < 0)
		pr_err("pcihp: driver registration failed (%d)\n", err);
}
