/*
 * FADT parser: the fixed hardware (SCI, PM1 blocks, PM timer, reset register), boot
 * architecture flags and where the DSDT and FACS are. Tables of any revision are accepted;
 * fields past a table's length are absent and read as zero.
 */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Whether the table (of length len) holds the whole of a field. */
#define FADT_HAS(len, field) \
	((len) >= __builtin_offsetof(struct acpi_fadt_raw, field) + sizeof(((struct acpi_fadt_raw *)0)->field))

static struct acpi_gas gas_from_raw(const struct acpi_gas_raw *r)
{
	return (struct acpi_gas){
		.space_id = r->space_id, .bit_width = r->bit_width, .bit_offset = r->bit_offset,
		.access_size = r->access_size, .address = r->address,
	};
}

/* A 64-bit GAS when the table has it and it is filled in, else the ACPI 1.0 32-bit port. */
static uint64_t fadt_block(const struct acpi_gas_raw *x, bool have_x, uint32_t legacy)
{
	return have_x && x->address ? x->address : legacy;
}

int acpi_parse_fadt(const void *table, size_t len, struct acpi_fadt *out)
{
	memset(out, 0, sizeof(*out));
	size_t tlen = acpi_table_len(table, len, "FACP", ACPI_FADT_V1_LEN);
	if (!tlen)
		return -EINVAL;

	/* Work on a zero-padded copy so a short (older) table reads as "field absent". */
	struct acpi_fadt_raw f;
	memset(&f, 0, sizeof(f));
	memcpy(&f, table, MIN(tlen, sizeof(f)));

	out->sci_irq = f.sci_int;
	out->smi_cmd = f.smi_cmd;
	out->acpi_enable = f.acpi_enable;
	out->acpi_disable = f.acpi_disable;
	out->pm1a_evt = fadt_block(&f.x_pm1a_evt_blk, FADT_HAS(tlen, x_pm1a_evt_blk), f.pm1a_evt_blk);
	out->pm1b_evt = fadt_block(&f.x_pm1b_evt_blk, FADT_HAS(tlen, x_pm1b_evt_blk), f.pm1b_evt_blk);
	out->pm1a_cnt = fadt_block(&f.x_pm1a_cnt_blk, FADT_HAS(tlen, x_pm1a_cnt_blk), f.pm1a_cnt_blk);
	out->pm1b_cnt = fadt_block(&f.x_pm1b_cnt_blk, FADT_HAS(tlen, x_pm1b_cnt_blk), f.pm1b_cnt_blk);
	out->pm1_evt_len = f.pm1_evt_len;
	out->pm1_cnt_len = f.pm1_cnt_len;
	out->flags = f.flags;
	out->hw_reduced = f.flags & FADT_HW_REDUCED;
	out->pm_timer_32bit = f.flags & FADT_TMR_VAL_EXT;
	out->century = f.century;
	/* Reserved in ACPI 1.0 (FADT revision 1) tables. */
	if (f.hdr.revision >= 2)
		out->iapc_boot_arch = f.iapc_boot_arch;

	if (FADT_HAS(tlen, x_pm_tmr_blk) && f.x_pm_tmr_blk.address)
		out->pm_timer = gas_from_raw(&f.x_pm_tmr_blk);
	else if (f.pm_tmr_blk && f.pm_tmr_len == 4)
		out->pm_timer = (struct acpi_gas){
			.space_id = ACPI_SPACE_IO, .bit_width = 32, .access_size = 3, .address = f.pm_tmr_blk,
		};

	if ((f.flags & FADT_RESET_REG_SUP) && FADT_HAS(tlen, reset_value) && f.reset_reg.address) {
		out->reset_supported = true;
		out->reset_reg = gas_from_raw(&f.reset_reg);
		out->reset_value = f.reset_value;
	}

	out->dsdt = FADT_HAS(tlen, x_dsdt) && f.x_dsdt ? f.x_dsdt : f.dsdt;
	out->facs = FADT_HAS(tlen, x_firmware_ctrl) && f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
	return 0;
}
