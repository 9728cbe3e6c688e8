/*
 * ACPI table layouts as the specification gives them (ACPI 6.5, chapter 5.2), packed, with every
 * offset checked. Private to kernel/acpi/; the rest of the kernel sees the parsed structs in
 * acpi.h.
 */
#pragma once

#include "lib/compiler.h"
#include "lib/types.h"

#define ACPI_HDR_LEN        36
#define ACPI_TABLE_MAX_LEN  (1u << 20) /* no sane static table is larger; the DSDT is the biggest */

/* Root System Description Pointer (5.2.5.3). */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;  /* 0 = ACPI 1.0; 2 = ACPI 2.0+ */
	uint32_t rsdt;
	/* ACPI 2.0+ */
	uint32_t length;   /* of the whole structure */
	uint64_t xsdt;
	uint8_t ext_checksum; /* over `length` bytes */
	uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, revision) == 15, "RSDP revision");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, length) == 20, "RSDP length");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, xsdt) == 24, "RSDP xsdt");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, ext_checksum) == 32, "RSDP ext_checksum");

#define ACPI_RSDP_V1_LEN 20

/* System Description Table header, common to every table but the FACS (5.2.6). */
struct acpi_sdt_hdr {
	char signature[4];
	uint32_t length; /* including this header */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_sdt_hdr) == ACPI_HDR_LEN, "SDT header");
_Static_assert(__builtin_offsetof(struct acpi_sdt_hdr, checksum) == 9, "SDT checksum");
_Static_assert(__builtin_offsetof(struct acpi_sdt_hdr, oem_table_id) == 16, "SDT OEM table id");

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas_raw {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;
_Static_assert(sizeof(struct acpi_gas_raw) == 12, "GAS");

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO     1
#define ACPI_SPACE_PCI    2

/* MADT (5.2.12): the header, then interrupt controller structures of type and length. */
struct acpi_madt_raw {
	struct acpi_sdt_hdr hdr;
	uint32_t lapic_addr;
	uint32_t flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt_raw) == 44, "MADT");

enum {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_NMI_SOURCE = 3,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 0xa,
};

#define MADT_CPU_ENABLED        0x1
#define MADT_CPU_ONLINE_CAPABLE 0x2

struct madt_lapic {
	uint8_t type, length;
	uint8_t acpi_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC");

struct madt_ioapic {
	uint8_t type, length;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __packed;
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC");

struct madt_override {
	uint8_t type, length;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __packed;
_Static_assert(sizeof(struct madt_override) == 10, "MADT override");

struct madt_nmi_source {
	uint8_t type, length;
	uint16_t flags;
	uint32_t gsi;
} __packed;
_Static_assert(sizeof(struct madt_nmi_source) == 8, "MADT NMI source");

struct madt_lapic_nmi {
	uint8_t type, length;
	uint8_t acpi_uid;
	uint16_t flags;
	uint8_t lint;
} __packed;
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");

struct madt_lapic_addr {
	uint8_t type, length;
	uint16_t reserved;
	uint64_t addr;
} __packed;
_Static_assert(sizeof(struct madt_lapic_addr) == 12, "MADT LAPIC address override");

struct madt_x2apic {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t apic_id;
	uint32_t flags;
	uint32_t acpi_uid;
} __packed;
_Static_assert(sizeof(struct madt_x2apic) == 16, "MADT x2APIC");

struct madt_x2apic_nmi {
	uint8_t type, length;
	uint16_t flags;
	uint32_t acpi_uid;
	uint8_t lint;
	uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct madt_x2apic_nmi) == 12, "MADT x2APIC NMI");

/* FADT (5.2.9). ACPI 1.0 tables end after `flags` (116 bytes); later fields may be absent. */
struct acpi_fadt_raw {
	struct acpi_sdt_hdr hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t int_model; /* ACPI 1.0 only, reserved since */
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk;
	uint32_t pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat;
	uint16_t flush_size, flush_stride;
	uint8_t duty_offset, duty_width;
	uint8_t day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch; /* ACPI 2.0+ (FADT revision 2+) */
	uint8_t reserved1;
	uint32_t flags;
	/* ACPI 2.0+ */
	struct acpi_gas_raw reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas_raw x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct acpi_gas_raw x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas_raw x_pm2_cnt_blk;
	struct acpi_gas_raw x_pm_tmr_blk;
	struct acpi_gas_raw x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas_raw sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor;
} __packed;
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, dsdt) == 40, "FADT DSDT");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, sci_int) == 46, "FADT SCI_INT");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, pm_tmr_len) == 91, "FADT PM_TMR_LEN");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, century) == 108, "FADT CENTURY");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, flags) == 112, "FADT Flags");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt_raw, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(sizeof(struct acpi_fadt_raw) == 276, "FADT");

#define ACPI_FADT_V1_LEN 116

#define FADT_TMR_VAL_EXT   (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED    (1u << 20)

/* MCFG (PCI Firmware Specification 3.0, 4.1.2): header, 8 reserved bytes, allocations. */
struct acpi_mcfg_raw {
	struct acpi_sdt_hdr hdr;
	uint8_t reserved[8];
} __packed;
_Static_assert(sizeof(struct acpi_mcfg_raw) == 44, "MCFG");

struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct mcfg_alloc) == 16, "MCFG allocation");

/* HPET description table (IA-PC HPET specification 1.0a, 3.2.4). */
struct acpi_hpet_raw {
	struct acpi_sdt_hdr hdr;
	uint32_t event_timer_block_id;
	struct acpi_gas_raw base;
	uint8_t number;
	uint16_t min_tick;
	uint8_t page_protection;
} __packed;
_Static_assert(__builtin_offsetof(struct acpi_hpet_raw, base) == 40, "HPET base");
_Static_assert(__builtin_offsetof(struct acpi_hpet_raw, number) == 52, "HPET number");
_Static_assert(__builtin_offsetof(struct acpi_hpet_raw, min_tick) == 53, "HPET min tick");
_Static_assert(sizeof(struct acpi_hpet_raw) == 56, "HPET");

/*
 * Checks a table handed to a parser: at least min_len bytes, the given signature, and a length
 * field that neither undercuts min_len nor runs past the buffer. Returns the usable length
 * (the length field) or 0 when the table cannot be used.
 */
static inline size_t acpi_table_len(const void *table, size_t len, const char sig[4], size_t min_len)
{
	const struct acpi_sdt_hdr *h = table;
	if (!table || len < ACPI_HDR_LEN || len < min_len)
		return 0;
	if (h->signature[0] != sig[0] || h->signature[1] != sig[1] || h->signature[2] != sig[2] ||
	    h->signature[3] != sig[3])
		return 0;
	if (h->length < min_len || h->length > len)
		return 0;
	return h->length;
}
