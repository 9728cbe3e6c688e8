/*
 * ACPI static tables: found from the RSDP, walked through the XSDT (or RSDT), every table's
 * length and checksum verified before use; MADT, FADT, MCFG and HPET parsed into plain structs.
 * The DSDT and SSDTs are only located (for an AML interpreter later).
 */
#pragma once

#include "lib/types.h"

struct bootinfo;

#define ACPI_MAX_CPUS      256
#define ACPI_MAX_IOAPICS   16
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_NMIS      32
#define ACPI_MAX_MCFG      16
#define ACPI_MAX_SSDTS     16

/* MPS INTI flags (interrupt source overrides, NMI entries). */
#define ACPI_POLARITY_MASK   0x3 /* 0 bus default, 1 active high, 3 active low */
#define ACPI_TRIGGER_MASK    0xc /* 0 bus default, 4 edge, 0xc level */
#define ACPI_POLARITY_LOW    0x3
#define ACPI_TRIGGER_LEVEL   0xc

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;        /* usable now */
	bool online_capable; /* may be hot-added later (not started at boot) */
	bool x2apic;         /* came from an x2APIC entry */
};

struct acpi_ioapic {
	uint8_t id;
	paddr_t addr;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus;    /* 0 = ISA */
	uint8_t source; /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags; /* polarity and trigger (ACPI_*_MASK) */
};

struct acpi_lapic_nmi {
	uint32_t acpi_uid; /* 0xff (or 0xffffffff for x2APIC entries) = all processors */
	uint8_t lint;      /* LINT0 or LINT1 */
	uint16_t flags;
};

struct acpi_nmi_source {
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_madt {
	paddr_t lapic_addr; /* after any LAPIC address override entry */
	uint32_t flags;     /* bit 0: PC/AT-compatible dual 8259s present */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	size_t cpu_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	size_t ioapic_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	size_t override_count;
	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_NMIS];
	size_t lapic_nmi_count;
	struct acpi_nmi_source nmi_sources[ACPI_MAX_NMIS];
	size_t nmi_source_count;
	unsigned skipped; /* malformed or unknown entries skipped */
};

/* A Generic Address Structure (ACPI 5.2.3.2). */
struct acpi_gas {
	uint8_t space_id; /* 0 system memory, 1 system I/O */
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
};

struct acpi_fadt {
	uint32_t sci_irq;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable;
	uint64_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt; /* I/O ports or addresses */
	uint8_t pm1_evt_len, pm1_cnt_len;
	struct acpi_gas pm_timer;   /* address 0 when absent */
	bool pm_timer_32bit;        /* flags.TMR_VAL_EXT: 32-bit counter, else 24-bit */
	struct acpi_gas reset_reg;  /* valid when reset_supported */
	uint8_t reset_value;
	bool reset_supported;       /* flags.RESET_REG_SUP */
	uint8_t century;            /* CMOS index of the century, 0 when absent */
	uint16_t iapc_boot_arch;    /* bit 1: 8042 present; bit 2: VGA not present; ... */
	uint32_t flags;
	bool hw_reduced;
	paddr_t dsdt;
	paddr_t facs;
};

struct acpi_mcfg_segment {
	paddr_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_mcfg {
	struct acpi_mcfg_segment segments[ACPI_MAX_MCFG];
	size_t count;
};

struct acpi_hpet {
	paddr_t base;
	uint8_t number;
	uint16_t min_tick;
	uint32_t event_timer_block_id;
};

struct acpi_info {
	bool present;      /* an RSDP was found and its root table verified */
	uint8_t revision;  /* RSDP revision: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */
	char oem_id[7];
	bool has_madt, has_fadt, has_mcfg, has_hpet;
	struct acpi_madt madt;
	struct acpi_fadt fadt;
	struct acpi_mcfg mcfg;
	struct acpi_hpet hpet;
	paddr_t dsdt;                  /* 0 when absent */
	uint32_t dsdt_len;
	paddr_t ssdts[ACPI_MAX_SSDTS];
	size_t ssdt_count;
	unsigned bad_tables;           /* tables skipped for a bad checksum or length */
};

/* What acpi_init found (zeroed when ACPI is absent or disabled with acpi=off). */
extern struct acpi_info acpi;

/* Finds and parses the tables, logging one line per table. 0 or a negative errno. */
int acpi_init(const struct bootinfo *bi);

/* Pure parsers (unit-tested): table points at the whole table including its 36-byte header. */
bool acpi_checksum_ok(const void *p, size_t len);
int acpi_parse_madt(const void *table, size_t len, struct acpi_madt *out);
int acpi_parse_fadt(const void *table, size_t len, struct acpi_fadt *out);
int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg *out);
int acpi_parse_hpet(const void *table, size_t len, struct acpi_hpet *out);

/* The GSI and flags an ISA IRQ is wired to (identity, edge, active high, unless overridden). */
uint32_t acpi_isa_irq_to_gsi(uint8_t isa_irq, uint16_t *flags);

/* Restart (FADT reset register, 8042, triple fault) and power-off (ACPI S5). */
__attribute__((noreturn)) void machine_restart(void);
__attribute__((noreturn)) void machine_power_off(void);
