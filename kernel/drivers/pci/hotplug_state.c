/*
 * The PCIe hot-plug slot state machine (pure, host-tested): which action a batch of Slot
 * Status events calls for. hotplug.c gathers the events and carries the actions out.
 */
#include "drivers/pci/pci_internal.h"

enum pcihp_action pcihp_decide(enum pcihp_state state, uint16_t events, bool present)
{
	bool changed = events & (PCIHP_EV_PDC | PCIHP_EV_DLLSC);
	switch (state) {
	case PCIHP_ON:
		/* A button press asks for removal (QEMU's device_del presses it); a card that has
		 * gone (surprise removal) must be unregistered too. */
		if (events & PCIHP_EV_ABP)
			return PCIHP_DISABLE;
		if (changed && !present)
			return PCIHP_DISABLE;
		return PCIHP_NONE;
	case PCIHP_EMPTY:
	case PCIHP_OFF:
		/* A new card, or the button pressed on a powered-off slot holding one. QEMU signals
		 * an insertion with presence-changed and a button press together. */
		if ((changed || (events & PCIHP_EV_ABP)) && present)
			return PCIHP_ENABLE;
		return PCIHP_NONE;
	}
	return PCIHP_NONE;
}

const char *pcihp_state_name(enum pcihp_state state)
{
	switch (state) {
	case PCIHP_EMPTY:
		return "empty";
	case PCIHP_OFF:
		return "off";
	case PCIHP_ON:
		return "on";
	}
	return "?";
}
