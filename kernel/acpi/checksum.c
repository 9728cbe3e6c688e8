/* The ACPI checksum rule shared by the RSDP and every table: all bytes sum to zero (mod 256). */
#include "acpi/acpi.h"

bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	if (!p)
		return false;
	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}
