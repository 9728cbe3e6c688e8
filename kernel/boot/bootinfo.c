/* Picks the boot-protocol parser from the magic the entry stub passed, and names memory types. */
#include "boot/bootinfo.h"
#include "lib/errno.h"
#include "lib/string.h"

int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info, const struct phys_reader *rd)
{
	memset(bi, 0, sizeof(*bi));
	switch (magic) {
	case MULTIBOOT2_BOOTLOADER_MAGIC:
		bi->protocol = BOOT_PROTO_MULTIBOOT2;
		return bootinfo_from_multiboot2(bi, info, rd);
	case PVH_START_MAGIC: /* the PVH stub passes the start_info magic as the protocol magic */
		bi->protocol = BOOT_PROTO_PVH;
		return bootinfo_from_pvh(bi, info, rd);
	default:
		return -EINVAL;
	}
}

const char *boot_mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE:
		return "usable";
	case BOOT_MEM_RESERVED:
		return "reserved";
	case BOOT_MEM_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case BOOT_MEM_ACPI_NVS:
		return "ACPI NVS";
	case BOOT_MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}
