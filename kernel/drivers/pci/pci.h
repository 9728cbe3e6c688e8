/*
 * PCI and PCI Express: configuration space (legacy 0xCF8/0xCFC ports, or ECAM from the MCFG),
 * enumeration through bridges, BARs, capabilities, MSI/MSI-X and INTx, and the PCI bus of the
 * driver model (drivers match by vendor/device/class with masks).
 */
#pragma once

#include "drivers/base/device.h"
#include "irq/irq.h"
#include "lib/types.h"

#define PCI_ANY_ID 0xffffffffu

struct pci_bar {
	uint64_t base;   /* bus address (= physical on x86), 0 when unimplemented */
	uint64_t size;
	bool io;         /* I/O space */
	bool mem64;      /* 64-bit memory BAR (uses the next BAR slot too) */
	bool prefetch;
};

struct pci_dev {
	struct device dev;          /* in the driver model; name "SSSS:BB:DD.F" */
	uint16_t segment;
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;        /* 0 device, 1 PCI-to-PCI bridge (multi-function bit masked) */
	struct pci_bar bars[6];
	uint8_t irq_pin;            /* 1 = INTA# ... 4 = INTD#, 0 none */
	int gsi;                    /* routed INTx GSI, -1 unknown */
	uint8_t msi_cap, msix_cap, pcie_cap; /* capability offsets, 0 when absent */
	uint8_t secondary_bus, subordinate_bus; /* bridges */
	struct pci_dev *upstream;   /* the bridge above, NULL on the root bus */
	struct pci_dev *next;       /* all PCI devices */
};

struct pci_device_id {
	uint32_t vendor, device;    /* PCI_ANY_ID matches any */
	uint32_t class_mask, class; /* (class_code << 16 | subclass << 8 | prog_if) & mask == class */
};

struct pci_driver {
	struct driver driver;       /* driver.name is the driver's name */
	const struct pci_device_id *id_table; /* ends with an all-zero entry */
	int (*probe)(struct pci_dev *pdev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *pdev);
};

/* Enumerates every segment/bus the MCFG lists (or bus 0.. through ports), registers devices. */
void pci_init(void);
int pci_register_driver(struct pci_driver *drv);
void pci_unregister_driver(struct pci_driver *drv);
struct pci_dev *pci_first(void);

uint8_t pci_read8(struct pci_dev *d, unsigned off);
uint16_t pci_read16(struct pci_dev *d, unsigned off);
uint32_t pci_read32(struct pci_dev *d, unsigned off);
void pci_write8(struct pci_dev *d, unsigned off, uint8_t v);
void pci_write16(struct pci_dev *d, unsigned off, uint16_t v);
void pci_write32(struct pci_dev *d, unsigned off, uint32_t v);

/* Capability offsets (classic list, or PCIe extended list from 0x100); 0 when absent. */
uint8_t pci_find_capability(struct pci_dev *d, uint8_t id);
uint16_t pci_find_ext_capability(struct pci_dev *d, uint16_t id);
/* Memory/I/O decoding and bus mastering on. */
void pci_enable_device(struct pci_dev *d, bool bus_master);

/* One MSI vector (or the first MSI-X entry when there is no MSI); 0 or a negative errno. */
int pci_enable_msi(struct pci_dev *d, irq_handler_t fn, void *ctx, const char *name);
/* nvec MSI-X vectors, entry i to handler fns[i]; the count enabled or a negative errno. */
int pci_enable_msix(struct pci_dev *d, unsigned nvec, irq_handler_t *fns, void **ctxs, const char *name);
void pci_disable_msi(struct pci_dev *d);
/* The legacy INTx line (shared): 0 or a negative errno. */
int pci_request_intx(struct pci_dev *d, irq_handler_t fn, void *ctx, const char *name);
void pci_free_intx(struct pci_dev *d, void *ctx);

/* Class name for listings ("Ethernet controller", "SATA controller", ...). */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);

/*
 * Linux's /proc/bus/pci/devices text (one line per function: bus+devfn, vendor+device, IRQ,
 * 7 base addresses with their flag bits, 7 sizes, the bound driver's name). Writes at most
 * size - 1 bytes and a NUL (size > 0); returns the length of the whole text, like snprintf.
 */
size_t pci_format_proc_devices(char *buf, size_t size);
