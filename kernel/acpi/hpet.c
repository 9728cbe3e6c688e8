/* HPET description table parser: where the event timer block is and its minimum tick. */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "lib/errno.h"
#include "lib/string.h"

int acpi_parse_hpet(const void *table, size_t len, struct acpi_hpet *out)
{
	memset(out, 0, sizeof(*out));
	if (!acpi_table_len(table, len, "HPET", sizeof(struct acpi_hpet_raw)))
		return -EINVAL;

	const struct acpi_hpet_raw *t = table;
	/* The timer block is memory-mapped; anything else cannot be driven. */
	if (t->base.space_id != ACPI_SPACE_MEMORY || t->base.address == 0)
		return -EINVAL;
	out->base = t->base.address;
	out->number = t->number;
	out->min_tick = t->min_tick;
	out->event_timer_block_id = t->event_timer_block_id;
	return 0;
}
