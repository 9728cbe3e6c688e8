/*
 * Multiboot2 boot information (GRUB) -> struct bootinfo. The loader's structure is treated as
 * hostile: every tag is bounds-checked against total_size, and a bad tag is skipped and counted.
 */
#include "boot/bootinfo.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Largest info structure accepted; GRUB's is a few KiB even with a big EFI memory map. */
#define MB2_INFO_MAX (1u << 20)

enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_EFI32_ST = 11,
	MB2_TAG_EFI64_ST = 12,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
};

enum {
	MB2_FB_INDEXED = 0,
	MB2_FB_RGB = 1,
	MB2_FB_EGA_TEXT = 2,
};

/* Layouts from the Multiboot2 specification (framebuffer as GRUB lays it out: u16 reserved). */
struct mb2_info_header {
	uint32_t total_size;
	uint32_t reserved;
} __packed;

struct mb2_tag {
	uint32_t type;
	uint32_t size;
} __packed;

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end; /* first byte after the module */
	char string[];
} __packed;

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
} __packed;

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
} __packed;

struct mb2_tag_framebuffer {
	struct mb2_tag tag;
	uint64_t addr;
	uint32_t pitch;
	uint32_t width;
	uint32_t height;
	uint8_t bpp;
	uint8_t fb_type;
	uint16_t reserved;
} __packed;

struct mb2_fb_rgb {
	uint8_t red_pos, red_size;
	uint8_t green_pos, green_size;
	uint8_t blue_pos, blue_size;
} __packed;

struct mb2_tag_efi_mmap {
	struct mb2_tag tag;
	uint32_t desc_size;
	uint32_t desc_version;
} __packed;

_Static_assert(sizeof(struct mb2_info_header) == 8, "mb2 info header");
_Static_assert(sizeof(struct mb2_tag) == 8, "mb2 tag header");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "mb2 module tag");
_Static_assert(offsetof(struct mb2_tag_module, mod_end) == 12, "mb2 module tag");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "mb2 mmap tag");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "mb2 mmap entry");
_Static_assert(offsetof(struct mb2_mmap_entry, type) == 16, "mb2 mmap entry");
_Static_assert(offsetof(struct mb2_tag_framebuffer, addr) == 8, "mb2 framebuffer tag");
_Static_assert(offsetof(struct mb2_tag_framebuffer, bpp) == 28, "mb2 framebuffer tag");
_Static_assert(offsetof(struct mb2_tag_framebuffer, fb_type) == 29, "mb2 framebuffer tag");
_Static_assert(sizeof(struct mb2_tag_framebuffer) == 32, "mb2 framebuffer tag");
_Static_assert(sizeof(struct mb2_fb_rgb) == 6, "mb2 framebuffer RGB info");
_Static_assert(sizeof(struct mb2_tag_efi_mmap) == 16, "mb2 EFI mmap tag");

#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36
#define EFI_MEMORY_DESC_MIN 40 /* sizeof(EFI_MEMORY_DESCRIPTOR) in UEFI 2.x */

/* rd->map with the range checked for wrapping past the top of the address space. */
static const void *mb2_map(const struct phys_reader *rd, paddr_t pa, size_t len)
{
	if (pa + len < pa)
		return NULL;
	return rd->map(rd->ctx, pa, len);
}

/*
 * Copies the string in [src, src+len) into dst (size dstsz), stopping at its NUL. Returns false
 * when there is no NUL within len (the bytes present are still copied). *cut is set when the
 * string did not fit in dst.
 */
static bool mb2_copy_string(char *dst, size_t dstsz, const char *src, size_t len, bool *cut)
{
	const char *nul = memchr(src, 0, len);
	size_t n = nul ? (size_t)(nul - src) : len;

	*cut = n >= dstsz;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return nul != NULL;
}

static void mb2_cmdline(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
	bool cut;

	if (!mb2_copy_string(bi->cmdline, sizeof(bi->cmdline), (const char *)tag + 8, size - 8, &cut))
		bi->warnings++;
	bi->cmdline_truncated = cut;
}

static void mb2_loader_name(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
	bool cut;

	if (!mb2_copy_string(bi->loader, sizeof(bi->loader), (const char *)tag + 8, size - 8, &cut))
		bi->warnings++;
}

static void mb2_module(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
	const struct mb2_tag_module *t = (const void *)tag;
	struct boot_module *m;
	bool cut;

	if (size < sizeof(*t) || t->mod_end < t->mod_start || bi->module_count >= BOOT_MODULES_MAX) {
		bi->warnings++;
		return;
	}
	m = &bi->modules[bi->module_count++];
	m->base = t->mod_start;
	m->size = t->mod_end - t->mod_start;
	/* A module tag without any string bytes is out of spec but harmless: the name stays "". */
	if (size == sizeof(*t) ||
	    !mb2_copy_string(m->name, sizeof(m->name), t->string, size - sizeof(*t), &cut))
		bi->warnings++;
}

static void mb2_mmap(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
	const struct mb2_tag_mmap *t = (const void *)tag;
	size_t n;

	if (size < sizeof(*t) || t->entry_size < sizeof(struct mb2_mmap_entry) || bi->mmap_count) {
		bi->warnings++; /* also a second mmap tag: keep the first */
		return;
	}
	/* entry_size is honoured so later versions can append fields to each entry. */
	n = (size - sizeof(*t)) / t->entry_size;
	if ((size - sizeof(*t)) % t->entry_size)
		bi->warnings++;
	if (n > BOOT_MMAP_MAX) {
		n = BOOT_MMAP_MAX;
		bi->warnings++;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mb2_mmap_entry *e =
			(const void *)(tag + sizeof(*t) + i * t->entry_size);
		if (e->base + e->length < e->base) {
			bi->warnings++; /* wraps past 2^64 */
			continue;
		}
		bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){
			.base = e->base, .length = e->length, .type = e->type,
		};
	}
}

/* Rejects geometry a console could not draw into without running off the framebuffer. */
static bool mb2_fb_sane(const struct boot_framebuffer *fb)
{
	uint64_t bytes_pp = (fb->bpp + 7u) / 8u;

	if (!fb->base || !fb->width || !fb->height || !fb->bpp)
		return false;
	if ((uint64_t)fb->pitch < fb->width * bytes_pp)
		return false;
	/* pitch * height fits in 64 bits (both are 32-bit); check the end does not wrap. */
	if (fb->base + (uint64_t)fb->pitch * fb->height < fb->base)
		return false;
	return true;
}

static bool mb2_fb_field_ok(uint8_t pos, uint8_t size, uint8_t bpp)
{
	return size > 0 && (unsigned)pos + size <= bpp;
}

static void mb2_framebuffer(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
	const struct mb2_tag_framebuffer *t = (const void *)tag;
	struct boot_framebuffer fb = { 0 };

	/* Everything up to and including the type byte; the reserved field is never read. */
	if (size < offsetof(struct mb2_tag_framebuffer, reserved)) {
		bi->warnings++;
		return;
	}
	fb.base = t->addr;
	fb.pitch = t->pitch;
	fb.width = t->width;
	fb.height = t->height;
	fb.bpp = t->bpp;

	switch (t->fb_type) {
	case MB2_FB_INDEXED:
		fb.type = BOOT_FB_INDEXED; /* the palette is not needed: indexed is never drawn on */
		break;
	case MB2_FB_RGB: {
		const struct mb2_fb_rgb *c = (const void *)(tag + sizeof(*t));
		if (size < sizeof(*t) + sizeof(*c)) {
			bi->warnings++;
			return;
		}
		if (!mb2_fb_field_ok(c->red_pos, c->red_size, fb.bpp) ||
		    !mb2_fb_field_ok(c->green_pos, c->green_size, fb.bpp) ||
		    !mb2_fb_field_ok(c->blue_pos, c->blue_size, fb.bpp)) {
			bi->warnings++;
			return;
		}
		fb.type = BOOT_FB_RGB;
		fb.red_pos = c->red_pos;
		fb.red_size = c->red_size;
		fb.green_pos = c->green_pos;
		fb.green_size = c->green_size;
		fb.blue_pos = c->blue_pos;
		fb.blue_size = c->blue_size;
		break;
	}
	case MB2_FB_EGA_TEXT:
		fb.type = BOOT_FB_EGA_TEXT; /* GRUB reports bpp 16: a character and an attribute */
		break;
	default:
		bi->warnings++;
		return;
	}
	if (!mb2_fb_sane(&fb)) {
		bi->warnings++;
		return;
	}
	bi->fb = fb;
}

static void mb2_acpi(struct bootinfo *bi, const uint8_t *tag, uint32_t size, size_t len)
{
	if (size < 8 + len || memcmp(tag + 8, "RSD PTR ", 8) != 0) {
		bi->warnings++;
		return;
	}
	/* Prefer the ACPI 2.0 copy whichever order the tags come in. */
	if (bi->rsdp_len > len)
		return;
	memcpy(bi->rsdp, tag + 8, len);
	bi->rsdp_len = len;
}

static void mb2_efi_mmap(struct bootinfo *bi, const uint8_t *tag, uint32_t size, paddr_t tag_paddr)
{
	const struct mb2_tag_efi_mmap *t = (const void *)tag;
	uint32_t bytes;

	bi->efi_boot = true; /* even a malformed EFI map says the firmware was UEFI */
	if (size < sizeof(*t) || t->desc_size < EFI_MEMORY_DESC_MIN || t->desc_size % 8) {
		bi->warnings++;
		return;
	}
	bytes = size - sizeof(*t);
	if (bytes % t->desc_size) {
		bi->warnings++;
		bytes -= bytes % t->desc_size;
	}
	bi->efi_mmap = tag_paddr + sizeof(*t);
	bi->efi_mmap_size = bytes;
	bi->efi_desc_size = t->desc_size;
	bi->efi_desc_version = t->desc_version;
}

static void mb2_tag(struct bootinfo *bi, const uint8_t *tag, uint32_t type, uint32_t size,
		    paddr_t tag_paddr)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		mb2_cmdline(bi, tag, size);
		break;
	case MB2_TAG_LOADER_NAME:
		mb2_loader_name(bi, tag, size);
		break;
	case MB2_TAG_MODULE:
		mb2_module(bi, tag, size);
		break;
	case MB2_TAG_MMAP:
		mb2_mmap(bi, tag, size);
		break;
	case MB2_TAG_FRAMEBUFFER:
		mb2_framebuffer(bi, tag, size);
		break;
	case MB2_TAG_EFI32_ST:
	case MB2_TAG_EFI64_ST:
	case MB2_TAG_EFI_BS:
		bi->efi_boot = true;
		break;
	case MB2_TAG_ACPI_OLD:
		mb2_acpi(bi, tag, size, ACPI_RSDP_V1_LEN);
		break;
	case MB2_TAG_ACPI_NEW:
		mb2_acpi(bi, tag, size, ACPI_RSDP_V2_LEN);
		break;
	case MB2_TAG_EFI_MMAP:
		mb2_efi_mmap(bi, tag, size, tag_paddr);
		break;
	case MB2_TAG_BASIC_MEMINFO: /* superseded by the memory map */
	default:                    /* the spec says unknown tags must be ignored */
		break;
	}
}

int bootinfo_from_multiboot2(struct bootinfo *bi, paddr_t info, const struct phys_reader *rd)
{
	const struct mb2_info_header *hdr;
	const uint8_t *base;
	uint32_t total;
	size_t off;
	bool ended = false;

	memset(bi, 0, sizeof(*bi));
	bi->protocol = BOOT_PROTO_MULTIBOOT2;

	hdr = mb2_map(rd, info, sizeof(*hdr));
	if (!hdr)
		return -EINVAL;
	total = hdr->total_size;
	if (total < sizeof(*hdr) + sizeof(struct mb2_tag) || total > MB2_INFO_MAX)
		return -EINVAL;
	base = mb2_map(rd, info, total);
	if (!base)
		return -EINVAL;
	/* The spec places the info 8-byte aligned; tags are walked relative to its start anyway. */
	if (info % 8)
		bi->warnings++;
	bi->info_paddr = info;
	bi->info_size = total;

	/* Each step advances by at least 8 bytes and stays below total: the walk terminates. */
	for (off = sizeof(*hdr); off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *t = (const void *)(base + off);
		uint32_t type = t->type, size = t->size;

		if (type == MB2_TAG_END) {
			ended = true;
			break;
		}
		if (size < sizeof(*t) || size > total - off) {
			/* The next tag's position is unknowable: stop, keep what was parsed. */
			bi->warnings++;
			break;
		}
		mb2_tag(bi, base + off, type, size, info + off);
		off += ALIGN_UP((size_t)size, 8);
	}
	if (!ended)
		bi->warnings++;
	return 0;
}
