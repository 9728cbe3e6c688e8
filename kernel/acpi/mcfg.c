/* MCFG parser: where each PCI segment's memory-mapped (ECAM) configuration space lies. */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "lib/errno.h"
#include "lib/string.h"

int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg *out)
{
	memset(out, 0, sizeof(*out));
	size_t tlen = acpi_table_len(table, len, "MCFG", sizeof(struct acpi_mcfg_raw));
	if (!tlen)
		return -EINVAL;

	/* A partial allocation at the end is ignored; so are ones past the array and bad ranges. */
	const uint8_t *p = (const uint8_t *)table + sizeof(struct acpi_mcfg_raw);
	size_t n = (tlen - sizeof(struct acpi_mcfg_raw)) / sizeof(struct mcfg_alloc);
	for (size_t i = 0; i < n && out->count < ACPI_MAX_MCFG; i++) {
		const struct mcfg_alloc *a = (const void *)(p + i * sizeof(*a));
		if (a->bus_start > a->bus_end || a->base == 0)
			continue;
		out->segments[out->count++] = (struct acpi_mcfg_segment){
			.base = a->base, .segment = a->segment, .bus_start = a->bus_start, .bus_end = a->bus_end,
		};
	}
	return 0;
}
