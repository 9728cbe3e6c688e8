// unit-deps: kernel/drivers/pci/hotplug_state.c kernel/drivers/pci/intx_swizzle.c kernel/lib/string.c
/*
 * Host tests for the pure parts of PCI interrupts and hot-plug: the bridge swizzle against the
 * PCI-to-PCI bridge spec's table, the PIIX3 and ICH9 PIRQ wiring against QEMU's formulas,
 * PIRQ route register decoding, and the hot-plug slot state machine, both case by case and
 * driven by a model of QEMU's pcie-root-port slot through many add/remove cycles.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "drivers/pci/pci_internal.h"
#include "lib/string.h"

TEST(swizzle_matches_bridge_spec_table)
{
	/* PCI-to-PCI Bridge Architecture 1.2, table 9-1: rows are device numbers mod 4, columns
	 * the device's INTA#..INTD#, entries the bridge's pin. */
	static const unsigned table[4][4] = {
		{ 1, 2, 3, 4 }, /* device 0, 4, 8, ... */
		{ 2, 3, 4, 1 },
		{ 3, 4, 1, 2 },
		{ 4, 1, 2, 3 },
	};
	for (unsigned slot = 0; slot < 32; slot++)
		for (unsigned pin = 1; pin <= 4; pin++)
			CHECK_INT(pci_swizzle_pin(slot, pin), table[slot % 4][pin - 1]);
}

TEST(swizzle_through_two_bridges)
{
	/* INTB# of device 2 behind a bridge at device 1, itself behind a bridge at device 3. */
	unsigned pin = pci_swizzle_pin(2, 2);  /* at the inner bridge: INTD# */
	CHECK_INT(pin, 4);
	pin = pci_swizzle_pin(1, pin);         /* at the outer bridge: INTA# */
	CHECK_INT(pin, 1);
}

TEST(piix_pirq_is_qemus_wiring)
{
	/* QEMU's pc: PIRQ = (intx + slot - 1) & 3 with intx 0-based. */
	for (unsigned slot = 0; slot < 32; slot++)
		for (unsigned pin = 1; pin <= 4; pin++)
			CHECK_INT(pci_piix_pirq(slot, pin), ((pin - 1) + slot - 1) & 3);
	CHECK_INT(pci_piix_pirq(1, 1), 0); /* slot 1 INTA#: PIRQA */
	CHECK_INT(pci_piix_pirq(3, 1), 2); /* the NIC at 00:03.0: PIRQC (IRQ 11 under SeaBIOS) */
	CHECK_INT(pci_piix_pirq(0, 1), 3);
}

TEST(ich9_pirq_rotation_and_dir_registers)
{
	/* Devices outside 25-31: (slot + intx) % 4 + 4, i.e. PIRQE-H. */
	for (unsigned slot = 0; slot < 25; slot++)
		for (unsigned pin = 1; pin <= 4; pin++)
			CHECK_INT(pci_ich9_pirq(slot, pin, 0x3210), (slot + pin - 1) % 4 + 4);
	CHECK_INT(pci_ich9_pirq(2, 1, 0), 6); /* 00:02.0 INTA#: PIRQG */
	/* 25-31 (not 30): the DxxIR register, reset value INTA..D -> PIRQA..D. */
	for (unsigned pin = 1; pin <= 4; pin++) {
		CHECK_INT(pci_ich9_pirq(31, pin, 0x3210), pin - 1);
		CHECK_INT(pci_ich9_pirq(29, pin, 0x3210), pin - 1);
	}
	/* A reprogrammed register: INTA# -> PIRQH, INTB# -> PIRQE, INTC# -> PIRQB, INTD# -> PIRQA. */
	CHECK_INT(pci_ich9_pirq(31, 1, 0x0147), 7);
	CHECK_INT(pci_ich9_pirq(31, 2, 0x0147), 4);
	CHECK_INT(pci_ich9_pirq(31, 3, 0x0147), 1);
	CHECK_INT(pci_ich9_pirq(31, 4, 0x0147), 0);
	/* Reserved bit 3 of each field is ignored. */
	CHECK_INT(pci_ich9_pirq(25, 1, 0x000f), 7);
	/* Device 30 (DMI-to-PCI bridge): INTA..D -> PIRQE..H whatever dir says. */
	for (unsigned pin = 1; pin <= 4; pin++)
		CHECK_INT(pci_ich9_pirq(30, pin, 0x3210), pin + 3);
}

TEST(pirq_route_register_decoding)
{
	CHECK_INT(pci_pirq_rout_irq(0x0b), 11);
	CHECK_INT(pci_pirq_rout_irq(0x0a), 10);
	CHECK_INT(pci_pirq_rout_irq(0x03), 3);
	CHECK_INT(pci_pirq_rout_irq(0x0f), 15);
	CHECK_INT(pci_pirq_rout_irq(0x80), -1); /* the reset value: routing off */
	CHECK_INT(pci_pirq_rout_irq(0x8b), -1);
	CHECK_INT(pci_pirq_rout_irq(0x00), -1);
	CHECK_INT(pci_pirq_rout_irq(0x02), -1);
	CHECK_INT(pci_pirq_rout_irq(0x08), -1);
	CHECK_INT(pci_pirq_rout_irq(0x0d), -1);
	CHECK_INT(pci_pirq_rout_irq(0x7b), 11); /* reserved bits 6:4 */
}

TEST(decide_cases)
{
	const uint16_t ABP = PCIHP_EV_ABP, PDC = PCIHP_EV_PDC, DLL = PCIHP_EV_DLLSC, CC = PCIHP_EV_CC;
	static const struct {
		enum pcihp_state state;
		uint16_t events;
		bool present;
		enum pcihp_action want;
	} cases[] = {
		/* QEMU's insertion: presence changed + button, card present. */
		{ PCIHP_EMPTY, PDC | ABP, true, PCIHP_ENABLE },
		{ PCIHP_EMPTY, PDC, true, PCIHP_ENABLE },
		{ PCIHP_EMPTY, DLL, true, PCIHP_ENABLE },
		{ PCIHP_EMPTY, PDC, false, PCIHP_NONE },     /* a bounce: gone again */
		{ PCIHP_EMPTY, ABP, false, PCIHP_NONE },     /* button on an empty slot */
		{ PCIHP_EMPTY, CC, true, PCIHP_NONE },       /* a command completing is not an event */
		{ PCIHP_EMPTY, 0, true, PCIHP_NONE },
		/* Removal request (device_del) and surprise removal. */
		{ PCIHP_ON, ABP, true, PCIHP_DISABLE },
		{ PCIHP_ON, PDC, false, PCIHP_DISABLE },
		{ PCIHP_ON, DLL, false, PCIHP_DISABLE },
		{ PCIHP_ON, PDC | DLL, false, PCIHP_DISABLE },
		{ PCIHP_ON, PDC, true, PCIHP_NONE },         /* link/presence flap, card still there */
		{ PCIHP_ON, DLL, true, PCIHP_NONE },
		{ PCIHP_ON, CC, true, PCIHP_NONE },
		{ PCIHP_ON, PCIHP_EV_PFD | PCIHP_EV_MRLSC, true, PCIHP_NONE },
		/* A card in a powered-off slot: the button or a new presence event brings it up. */
		{ PCIHP_OFF, ABP, true, PCIHP_ENABLE },
		{ PCIHP_OFF, PDC, true, PCIHP_ENABLE },
		{ PCIHP_OFF, PDC, false, PCIHP_NONE },       /* pulled: the caller marks it empty */
		{ PCIHP_OFF, CC, true, PCIHP_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pcihp_action got = pcihp_decide(cases[i].state, cases[i].events, cases[i].present);
		if (got != cases[i].want) {
			unit_fail(__FILE__, __LINE__, "case %zu: state %s events %#x present %d: action %d, want %d",
				  i, pcihp_state_name(cases[i].state), cases[i].events, cases[i].present,
				  got, cases[i].want);
			return;
		}
	}
}

TEST(state_names)
{
	CHECK_STR(pcihp_state_name(PCIHP_EMPTY), "empty");
	CHECK_STR(pcihp_state_name(PCIHP_OFF), "off");
	CHECK_STR(pcihp_state_name(PCIHP_ON), "on");
}

/*
 * A model of QEMU 7.2's pcie-root-port slot (hw/pci/pcie.c behaviour): device_add sets presence
 * and raises PDC|ABP; device_del raises ABP; a Slot Control write that turns power controller
 * and power indicator off with a card present removes the card and raises PDC. The driver side
 * follows hotplug.c: gather events, decide, act, set the next state.
 */
struct model {
	bool card;       /* QEMU has a device in the slot */
	bool powered;
	bool deleted;    /* DEVICE_DELETED was emitted */
	uint16_t status; /* pending Slot Status events */
	enum pcihp_state state;
	unsigned enabled, disabled; /* actions the driver took */
};

static void model_run_driver(struct model *m)
{
	/* The work loops until Slot Status reads clear, like hotplug.c's slot_work. */
	for (int round = 0; round < 8 && m->status; round++) {
		uint16_t ev = m->status & (uint16_t)~PCIHP_EV_CC;
		m->status = 0;
		switch (pcihp_decide(m->state, ev, m->card)) {
		case PCIHP_ENABLE:
			m->powered = true;
			m->status |= PCIHP_EV_CC;
			m->enabled++;
			m->state = PCIHP_ON;
			break;
		case PCIHP_DISABLE:
			m->disabled++;
			/* power off: QEMU unplugs at once and reports the presence change */
			m->powered = false;
			m->status |= PCIHP_EV_CC;
			if (m->card) {
				m->card = false;
				m->deleted = true;
				m->status |= PCIHP_EV_PDC;
			}
			m->state = m->card ? PCIHP_OFF : PCIHP_EMPTY;
			break;
		case PCIHP_NONE:
			if (!m->card && m->state == PCIHP_OFF)
				m->state = PCIHP_EMPTY;
			break;
		}
	}
}

TEST(qemu_slot_model_add_remove_cycles)
{
	struct model m = { .state = PCIHP_EMPTY };
	for (int cycle = 0; cycle < 50; cycle++) {
		/* device_add */
		m.card = true;
		m.deleted = false;
		m.status |= PCIHP_EV_PDC | PCIHP_EV_ABP;
		model_run_driver(&m);
		CHECK(m.powered);
		CHECK_INT(m.state, PCIHP_ON);
		CHECK_INT(m.enabled, cycle + 1);
		/* a stray button press would remove it: none comes here. Then device_del: */
		m.status |= PCIHP_EV_ABP;
		model_run_driver(&m);
		CHECK(m.deleted);
		CHECK(!m.powered);
		CHECK_INT(m.state, PCIHP_EMPTY);
		CHECK_INT(m.disabled, cycle + 1);
		CHECK_INT(m.status, 0);
	}
}

TEST(qemu_slot_model_surprise_removal_and_reinsert)
{
	struct model m = { .state = PCIHP_EMPTY };
	m.card = true;
	m.status = PCIHP_EV_PDC | PCIHP_EV_ABP;
	model_run_driver(&m);
	CHECK_INT(m.state, PCIHP_ON);
	/* the card vanishes without a button press */
	m.card = false;
	m.status = PCIHP_EV_PDC | PCIHP_EV_DLLSC;
	model_run_driver(&m);
	CHECK_INT(m.disabled, 1);
	CHECK_INT(m.state, PCIHP_EMPTY);
	CHECK(!m.deleted); /* nothing left for QEMU to delete */
	/* and comes back */
	m.card = true;
	m.status = PCIHP_EV_PDC;
	model_run_driver(&m);
	CHECK_INT(m.enabled, 2);
	CHECK_INT(m.state, PCIHP_ON);
}

TEST(random_event_sequences_keep_invariants)
{
	/* Whatever arrives, the driver never enables a slot that is on, never disables one that is
	 * not, and ends empty-or-off whenever the card is gone. */
	srand(12345);
	for (int run = 0; run < 2000; run++) {
		enum pcihp_state state = PCIHP_EMPTY;
		bool card = false;
		for (int step = 0; step < 40; step++) {
			if (rand() % 3 == 0)
				card = !card;
			uint16_t ev = (uint16_t)(rand() & PCIHP_EV_ALL);
			enum pcihp_action a = pcihp_decide(state, ev, card);
			if (a == PCIHP_ENABLE) {
				CHECK(state != PCIHP_ON);
				CHECK(card);
				state = PCIHP_ON;
			} else if (a == PCIHP_DISABLE) {
				CHECK_INT(state, PCIHP_ON);
				state = card ? PCIHP_OFF : PCIHP_EMPTY;
			} else if (!card && state == PCIHP_OFF) {
				state = PCIHP_EMPTY;
			}
			if (!card && state == PCIHP_ON && (ev & (PCIHP_EV_PDC | PCIHP_EV_DLLSC)))
				CHECK(false); /* a presence event with no card must have disabled it */
		}
	}
}
