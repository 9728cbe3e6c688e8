/*
 * Inside the PCI core (config.c, enumerate.c, pci_bus.c, proc_format.c, their tests): the
 * configuration-access operations the enumeration runs over (hardware, or a host test's fake),
 * register offsets, the platform's root buses and address windows, and the bridge windows
 * kept beside each struct pci_dev.
 */
#pragma once

#include "drivers/pci/pci.h"
#include "lib/compiler.h"

/* ---- configuration header (PCI Local Bus 3.0, 6.1; PCI-to-PCI Bridge 1.2, 3.2) ---- */
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_REVISION        0x08
#define PCI_PROG_IF         0x09
#define PCI_SUBCLASS        0x0a
#define PCI_CLASS           0x0b
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_SUBSYS_VENDOR   0x2c /* header type 0 */
#define PCI_SUBSYS_ID       0x2e
#define PCI_CAP_PTR         0x34 /* header types 0 and 1 */
#define PCI_CB_CAP_PTR      0x14 /* header type 2 (CardBus) */
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d

/* Header type 1 (PCI-to-PCI bridge). */
#define PCI_PRIMARY_BUS     0x18
#define PCI_SECONDARY_BUS   0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_IO_BASE         0x1c
#define PCI_IO_LIMIT        0x1d
#define PCI_MEM_BASE        0x20
#define PCI_MEM_LIMIT       0x22
#define PCI_PREF_BASE       0x24
#define PCI_PREF_LIMIT      0x26
#define PCI_PREF_BASE_HI    0x28
#define PCI_PREF_LIMIT_HI   0x2c
#define PCI_IO_BASE_HI      0x30
#define PCI_IO_LIMIT_HI     0x32

#define PCI_CMD_IO          0x0001
#define PCI_CMD_MEM         0x0002
#define PCI_CMD_MASTER      0x0004
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_HEADER_MULTI    0x80
#define PCI_BAR_IO          0x1
#define PCI_BAR_MEM_TYPE    0x6 /* 0: 32-bit, 2 (<< 1): 64-bit */
#define PCI_BAR_MEM_64      0x4
#define PCI_BAR_PREFETCH    0x8

#define PCI_CAP_ID_MSI      0x05
#define PCI_CAP_ID_EXP      0x10
#define PCI_CAP_ID_MSIX     0x11
#define PCI_EXT_CAP_START   0x100

#define PCI_CFG_SIZE        4096
#define PCI_LEGACY_CFG_SIZE 256
/* Entries a list can hold without revisiting a dword: more means it loops (a backstop; the
 * walkers notice the revisit first). */
#define PCI_CAP_MAX         ((PCI_LEGACY_CFG_SIZE - 0x40) / 4)
#define PCI_EXT_CAP_MAX     ((PCI_CFG_SIZE - PCI_EXT_CAP_START) / 4)

#define PCI_DEVFN(slot, func) ((uint8_t)(((slot) << 3) | (func)))

/* ---- configuration access ---- */

/*
 * width is 1, 2 or 4 and off a multiple of it below 4096. A read nothing answers gives all
 * ones (of that width). The hardware version (config.c) takes ECAM where the MCFG covers the
 * segment and bus, the 0xCF8/0xCFC ports otherwise; host tests install a fake.
 */
struct pci_cfg_ops {
	uint32_t (*read)(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width);
	void (*write)(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width, uint32_t v);
};

/* The access method in use (pci_bus.c owns it; config.c or a test sets it). */
extern const struct pci_cfg_ops *pci_cfg;

/* ---- the platform: which buses to scan, where unassigned BARs may go ---- */

struct pci_window {
	uint64_t base, limit; /* inclusive; empty when base > limit */
};

#define PCI_MAX_ROOTS 16
#define PCI_MAX_BUSY  300

struct pci_root {
	uint16_t segment;
	uint8_t bus, bus_end; /* root bus, and the last bus number below it that may be used */
};

struct pci_platform {
	struct pci_root roots[PCI_MAX_ROOTS];
	size_t root_count;
	struct pci_window io;    /* I/O ports for unassigned I/O BARs */
	struct pci_window mem32; /* the hole below 4 GiB (and below the IOAPIC) */
	struct pci_window mem64; /* above the highest RAM, for 64-bit BARs that miss the hole */
	struct pci_window busy[PCI_MAX_BUSY]; /* memory that is something else: RAM, firmware, ECAM */
	size_t busy_count;
	const char *method;      /* "ECAM" / "ports 0xcf8/0xcfc", for the summary line */
};

/* config.c: chooses the access method, fills in the roots and windows; 0 or -ENODEV. */
int pci_platform_init(struct pci_platform *p);
/* config.c, for the ktests: does ECAM serve this bus, and the legacy path on its own. */
bool pci_ecam_covers(uint16_t seg, uint8_t bus);
bool pci_legacy_available(void);
uint32_t pci_legacy_read(uint8_t bus, uint8_t devfn, unsigned off, unsigned width);

/* ---- enumeration (enumerate.c, pure over pci_cfg) ---- */

/*
 * Each struct pci_dev sits in one of these; the windows are what a bridge forwards (read from
 * it, or programmed by us). A window at 0 is unassigned: nothing legitimate lives there.
 */
struct pci_node {
	struct pci_dev pdev;
	struct pci_window io_win, mem_win, pref_win;
	bool pref64;    /* the prefetchable window has upper 32-bit registers */
	bool io32;      /* the I/O window has upper 16-bit registers */
	bool numbered;  /* we gave this bridge its bus numbers (firmware had not) */
	bool fresh;     /* found by the scan in progress, not registered yet */
};

static inline struct pci_node *pci_node_of(struct pci_dev *d)
{
	return container_of(d, struct pci_node, pdev);
}

/*
 * Scans every root depth-first, sizes BARs, assigns what firmware left unassigned from the
 * platform's windows, registers the devices on the "pci" bus and logs one line per device.
 * Returns the number of functions found.
 */
size_t pci_enumerate(const struct pci_platform *plat);
/* Unregisters and frees every device (host tests start each case from nothing). */
void pci_remove_all(void);

/*
 * Walkers over the capability lists: the offset of the first capability with ID want, 0 when
 * absent. They stop at a loop. With warn they walk the whole list and log a loop, naming d.
 */
uint8_t pci_cap_walk(struct pci_dev *d, uint8_t want, bool warn);
uint16_t pci_ext_cap_walk(struct pci_dev *d, uint16_t want, bool warn);

/* The low BAR flag bits (I/O, 64-bit, prefetchable) as the BAR register holds them. */
unsigned pci_bar_flags(const struct pci_bar *b);
/* "16 MiB", "32 bytes": exact for the power-of-two sizes BARs have. */
void pci_format_size(char *buf, size_t size, uint64_t bytes);

/* ---- the bus (pci_bus.c) ---- */

extern struct bus_type pci_bus_type;
/* Registers the "pci" bus once; later calls do nothing. */
void pci_bus_init(void);
/* The first id-table entry matching d, or NULL. */
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, const struct pci_dev *d);
/* The head of the device list (enumerate.c owns it). */
extern struct pci_dev *pci_devices;

/*
 * INTx routing, filled in when the interrupt side of the PCI core provides it (a weak default
 * returns -1 = unknown): the GSI that d's interrupt pin arrives on.
 */
int pci_intx_route(struct pci_dev *d);
