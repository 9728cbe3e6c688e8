/*
 * One description of what the boot loader handed over, whatever the protocol (multiboot2 from
 * GRUB, PVH from QEMU -kernel). Parsed once in early boot into a kernel-owned copy, so nothing
 * later depends on the loader's memory or knows which protocol was used.
 */
#pragma once

#include "lib/types.h"

#define BOOT_MMAP_MAX     256
#define BOOT_MODULES_MAX  16
#define BOOT_CMDLINE_MAX  2048
#define BOOT_MODNAME_MAX  128

/* E820 / multiboot memory types. */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_ACPI_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
};

struct boot_module {
	paddr_t base;
	uint64_t size;
	char name[BOOT_MODNAME_MAX]; /* the module's command line (GRUB) or "" */
};

enum boot_fb_type {
	BOOT_FB_NONE = 0,
	BOOT_FB_RGB,      /* linear framebuffer with direct colour */
	BOOT_FB_EGA_TEXT, /* 80x25-style text mode: width/height in characters */
	BOOT_FB_INDEXED,  /* palette framebuffer: reported, not drawn on */
};

struct boot_framebuffer {
	enum boot_fb_type type;
	paddr_t base;
	uint32_t pitch;  /* bytes per line */
	uint32_t width;  /* pixels, or characters for text mode */
	uint32_t height;
	uint8_t bpp;
	uint8_t red_pos, red_size;
	uint8_t green_pos, green_size;
	uint8_t blue_pos, blue_size;
};

enum boot_protocol {
	BOOT_PROTO_MULTIBOOT2 = 1,
	BOOT_PROTO_PVH = 2,
};

struct bootinfo {
	enum boot_protocol protocol;
	char loader[64]; /* boot loader name, when the loader says */
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_truncated;

	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	size_t mmap_count;

	struct boot_module modules[BOOT_MODULES_MAX];
	size_t module_count;

	struct boot_framebuffer fb;

	/* ACPI: the RSDP as the loader gave it (multiboot2 copies it into its tag). */
	paddr_t rsdp_paddr; /* 0 when the loader only gave a copy */
	uint8_t rsdp[36];
	size_t rsdp_len;    /* 20 (ACPI 1.0) or 36 (2.0+), 0 when absent */

	/* The firmware's EFI memory map (multiboot2 on UEFI), left in place in the loader's data. */
	paddr_t efi_mmap;
	uint32_t efi_mmap_size;
	uint32_t efi_desc_size;
	uint32_t efi_desc_version;
	bool efi_boot; /* booted through UEFI (an EFI system table or memory map tag was seen) */

	/* Where the loader's own structure lives, so the memory manager can keep it until parsed. */
	paddr_t info_paddr;
	uint64_t info_size;

	unsigned warnings; /* malformed pieces that were skipped */
};

/*
 * How a parser reads physical memory: returns a pointer to [paddr, paddr+len) or NULL when
 * that range cannot be read. The kernel uses its boot direct map; unit tests use fake memory.
 */
struct phys_reader {
	const void *(*map)(void *ctx, paddr_t paddr, size_t len);
	void *ctx;
};

#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289u
#define PVH_START_MAGIC             0x336ec578u

/* Each returns 0 or a negative errno (-EINVAL for a structure that cannot be trusted at all). */
int bootinfo_from_multiboot2(struct bootinfo *bi, paddr_t info, const struct phys_reader *rd);
int bootinfo_from_pvh(struct bootinfo *bi, paddr_t info, const struct phys_reader *rd);
int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info, const struct phys_reader *rd);

const char *boot_mem_type_name(uint32_t type);
