/*
 * Symbol lookup in the table tools/ksymgen.sh embeds on the second link pass: addresses
 * sorted ascending, with offsets into a packed string table.
 */
#include "debug/backtrace.h"

#include "lib/printf.h"
#include "lib/string.h"

extern const uint64_t ksym_count;
extern const uint64_t ksym_addrs[];
extern const uint32_t ksym_name_offsets[];
extern const char ksym_names[];
extern const char __text_start[], __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	if (ksym_count == 0 || addr < ksym_addrs[0] || addr >= (uint64_t)__text_end)
		return NULL;
	/* Last symbol whose address is <= addr. */
	uint64_t lo = 0, hi = ksym_count;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addrs[lo];
	return &ksym_names[ksym_name_offsets[lo]];
}

void ksym_format(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		snprintf(buf, size, "<%s+0x%llx>", name, (unsigned long long)off);
	else
		snprintf(buf, size, "<?>");
}

uint64_t ksym_address(const char *name)
{
	for (uint64_t i = 0; i < ksym_count; i++)
		if (strcmp(&ksym_names[ksym_name_offsets[i]], name) == 0)
			return ksym_addrs[i];
	return 0;
}
