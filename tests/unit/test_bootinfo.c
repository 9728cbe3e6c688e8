// unit-deps: kernel/boot/multiboot2.c kernel/boot/pvh.c kernel/boot/bootinfo.c kernel/lib/string.c
/*
 * Boot-protocol parsers against fake physical memory: realistic GRUB multiboot2 and QEMU PVH
 * structures, then hostile ones. Blobs sit at the very end of a malloc'd buffer so that any
 * read past what the reader handed out is caught by ASan.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "boot/bootinfo.h"
#include "lib/errno.h"
#include "lib/string.h"

/* ---- fake physical memory: [FM_BASE, FM_BASE + size) is readable, nothing else ---- */

#define FM_BASE 0x100000ull

static struct fakemem {
	uint8_t *buf;
	size_t size;
	unsigned maps; /* calls to map, to show loops stay bounded */
} fm;

static const void *fake_map(void *ctx, paddr_t pa, size_t len)
{
	struct fakemem *m = ctx;

	m->maps++;
	if (pa < FM_BASE || pa - FM_BASE > m->size || len > m->size - (pa - FM_BASE))
		return NULL;
	return m->buf + (pa - FM_BASE);
}

static const struct phys_reader rd = { fake_map, &fm };

/* A fresh zeroed memory of size bytes; the previous one is released. */
static void fm_new(size_t size)
{
	free(fm.buf);
	fm.buf = malloc(size);
	memset(fm.buf, 0, size);
	fm.size = size;
	fm.maps = 0;
}

__attribute__((destructor)) static void fm_release(void)
{
	free(fm.buf);
}

static uint8_t *fm_at(paddr_t pa)
{
	return fm.buf + (pa - FM_BASE);
}

/* Copies len bytes to physical address pa. */
static void fm_put(paddr_t pa, const void *src, size_t len)
{
	memcpy(fm_at(pa), src, len);
}

/* Copies a blob so that it ends exactly at the end of memory; returns its address. */
static paddr_t fm_put_end(const void *src, size_t len)
{
	paddr_t pa = FM_BASE + fm.size - len;
	fm_put(pa, src, len);
	return pa;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static struct bootinfo bi;

/* An RSDP as firmware lays it out; revision 0 is the 20-byte ACPI 1.0 form. */
static void make_rsdp(uint8_t r[36], uint8_t revision)
{
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	r[8] = 0x5a; /* checksum: not the parser's business */
	memcpy(r + 9, "BOCHS ", 6);
	r[15] = revision;
	put32(r + 16, 0x07fe14d5);
	if (revision >= 2) {
		put32(r + 20, 36);
		put64(r + 24, 0x07fe1591);
		r[32] = 0xa5;
	}
}

/* ---- multiboot2 builder ---- */

static uint8_t mb[32768];
static size_t mb_used;

static void mb_begin(void)
{
	memset(mb, 0, sizeof(mb));
	mb_used = 8;
}

/* A tag whose size field says `size`, followed by len payload bytes, padded to 8. */
static void mb_tag_sized(uint32_t type, uint32_t size, const void *payload, size_t len)
{
	put32(mb + mb_used, type);
	put32(mb + mb_used + 4, size);
	if (len)
		memcpy(mb + mb_used + 8, payload, len);
	mb_used = (mb_used + 8 + len + 7) & ~(size_t)7;
}

static void mb_tag(uint32_t type, const void *payload, size_t len)
{
	mb_tag_sized(type, (uint32_t)(8 + len), payload, len);
}

static void mb_str(uint32_t type, const char *s)
{
	mb_tag(type, s, strlen(s) + 1);
}

static void mb_module(uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[8 + 256];
	put32(p, start);
	put32(p + 4, end);
	memcpy(p + 8, name, strlen(name) + 1);
	mb_tag(3, p, 8 + strlen(name) + 1);
}

/* Ends the structure with an end tag and sets total_size to the length. */
static size_t mb_finish(void)
{
	mb_tag(0, NULL, 0);
	put32(mb, (uint32_t)mb_used);
	return mb_used;
}

/* Sets total_size to the length without adding an end tag. */
static size_t mb_finish_no_end(void)
{
	put32(mb, (uint32_t)mb_used);
	return mb_used;
}

struct e820 {
	uint64_t base, len;
	uint32_t type;
};

/* QEMU's q35 map with 128 MiB, as SeaBIOS reports it. */
static const struct e820 qemu_map[] = {
	{ 0x0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0xf0000, 0x10000, 2 },
	{ 0x100000, 0x7ee0000, 1 },
	{ 0x7fe0000, 0x20000, 2 },
	{ 0xb0000000, 0x10000000, 2 },
	{ 0xfffc0000, 0x40000, 2 },
};
#define QEMU_MAP_N (sizeof(qemu_map) / sizeof(qemu_map[0]))

/* A memory map tag with entries padded out to entry_size with 0xee filler. */
static void mb_mmap(uint32_t entry_size, const struct e820 *e, size_t n)
{
	static uint8_t p[8 + 512 * 64];
	memset(p, 0xee, sizeof(p));
	put32(p, entry_size);
	put32(p + 4, 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + 8 + i * entry_size;
		put64(q, e[i].base);
		put64(q + 8, e[i].len);
		put32(q + 16, e[i].type);
		put32(q + 20, 0);
	}
	mb_tag(6, p, 8 + n * entry_size);
}

enum { FB_RGB, FB_EGA, FB_INDEXED };

static void mb_framebuffer(int kind)
{
	uint8_t p[64] = { 0 };
	size_t len = 24;

	switch (kind) {
	case FB_RGB:
		put64(p, 0xfd000000);
		put32(p + 8, 4096);
		put32(p + 12, 1024);
		put32(p + 16, 768);
		p[20] = 32;
		p[21] = 1;
		p[24] = 16; p[25] = 8; /* red */
		p[26] = 8;  p[27] = 8; /* green */
		p[28] = 0;  p[29] = 8; /* blue */
		len = 30;
		break;
	case FB_EGA:
		put64(p, 0xb8000);
		put32(p + 8, 160);
		put32(p + 12, 80);
		put32(p + 16, 25);
		p[20] = 16;
		p[21] = 2;
		break;
	case FB_INDEXED:
		put64(p, 0xa0000);
		put32(p + 8, 320);
		put32(p + 12, 320);
		put32(p + 16, 200);
		p[20] = 8;
		p[21] = 0;
		put16(p + 24, 2); /* two palette colours follow */
		p[28] = 0xff; p[29] = 0xff; p[30] = 0xff;
		len = 32;
		break;
	}
	mb_tag(8, p, len);
}

/* Everything GRUB hands a kernel on a UEFI machine with a linear framebuffer. */
static size_t mb_grub_info(int fb_kind, uint32_t mmap_entry_size)
{
	uint8_t p[256];

	mb_begin();
	mb_str(1, "console=ttyS0 root=/dev/sda1 ferrite.test=all");
	mb_str(2, "GRUB 2.06-13+deb12u1");
	mb_module(0x200000, 0x200000 + 123456, "initrd");
	put32(p, 639);
	put32(p + 4, 130944);
	mb_tag(4, p, 8); /* basic meminfo */
	mb_mmap(mmap_entry_size, qemu_map, QEMU_MAP_N);
	mb_framebuffer(fb_kind);
	put64(p, 0x7f9be018);
	mb_tag(12, p, 8); /* EFI64 system table */
	make_rsdp(p, 0);
	mb_tag(14, p, 20);
	make_rsdp(p, 2);
	mb_tag(15, p, 36);
	/* EFI memory map: three 48-byte descriptors, version 1. */
	memset(p, 0, sizeof(p));
	put32(p, 48);
	put32(p + 4, 1);
	for (int i = 0; i < 3; i++) {
		put32(p + 8 + i * 48, 7);                    /* EfiConventionalMemory */
		put64(p + 8 + i * 48 + 8, 0x100000ull * i);  /* PhysicalStart */
		put64(p + 8 + i * 48 + 24, 16);              /* NumberOfPages */
	}
	mb_tag(17, p, 8 + 3 * 48);
	return mb_finish();
}

/* Offset of the first tag of the given type in mb[], or 0. */
static size_t mb_find(uint32_t type)
{
	for (size_t off = 8; off + 8 <= mb_used;) {
		uint32_t t, s;
		memcpy(&t, mb + off, 4);
		memcpy(&s, mb + off + 4, 4);
		if (t == type)
			return off;
		if (t == 0 || s < 8)
			return 0;
		off = (off + s + 7) & ~(size_t)7;
	}
	return 0;
}

static int parse_mb(size_t len)
{
	paddr_t pa = fm_put_end(mb, len);
	return bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, pa, &rd);
}

/* ---- multiboot2: well-formed ---- */

TEST(mb2_grub_rgb)
{
	fm_new(65536);
	size_t len = mb_grub_info(FB_RGB, 24);
	paddr_t pa = fm_put_end(mb, len);

	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, pa, &rd), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.protocol, BOOT_PROTO_MULTIBOOT2);
	CHECK_INT(bi.info_paddr, pa);
	CHECK_INT(bi.info_size, len);
	CHECK_STR(bi.cmdline, "console=ttyS0 root=/dev/sda1 ferrite.test=all");
	CHECK(!bi.cmdline_truncated);
	CHECK_STR(bi.loader, "GRUB 2.06-13+deb12u1");

	CHECK_INT(bi.module_count, 1);
	CHECK_INT(bi.modules[0].base, 0x200000);
	CHECK_INT(bi.modules[0].size, 123456);
	CHECK_STR(bi.modules[0].name, "initrd");

	CHECK_INT(bi.mmap_count, QEMU_MAP_N);
	for (size_t i = 0; i < QEMU_MAP_N; i++) {
		CHECK_INT(bi.mmap[i].base, qemu_map[i].base);
		CHECK_INT(bi.mmap[i].length, qemu_map[i].len);
		CHECK_INT(bi.mmap[i].type, qemu_map[i].type);
	}

	CHECK_INT(bi.fb.type, BOOT_FB_RGB);
	CHECK_INT(bi.fb.base, 0xfd000000);
	CHECK_INT(bi.fb.pitch, 4096);
	CHECK_INT(bi.fb.width, 1024);
	CHECK_INT(bi.fb.height, 768);
	CHECK_INT(bi.fb.bpp, 32);
	CHECK_INT(bi.fb.red_pos, 16);
	CHECK_INT(bi.fb.red_size, 8);
	CHECK_INT(bi.fb.green_pos, 8);
	CHECK_INT(bi.fb.green_size, 8);
	CHECK_INT(bi.fb.blue_pos, 0);
	CHECK_INT(bi.fb.blue_size, 8);

	uint8_t want[36];
	make_rsdp(want, 2);
	CHECK_INT(bi.rsdp_len, 36);
	CHECK(memcmp(bi.rsdp, want, 36) == 0);
	CHECK_INT(bi.rsdp_paddr, 0);

	CHECK(bi.efi_boot);
	CHECK_INT(bi.efi_mmap, pa + mb_find(17) + 16);
	CHECK_INT(bi.efi_mmap_size, 3 * 48);
	CHECK_INT(bi.efi_desc_size, 48);
	CHECK_INT(bi.efi_desc_version, 1);
	/* The EFI map is left in place: it really is where bootinfo says. */
	uint64_t start;
	memcpy(&start, fm_at(bi.efi_mmap + 48 + 8), 8);
	CHECK_INT(start, 0x100000);
}

TEST(mb2_mmap_larger_entry_size)
{
	fm_new(65536);
	CHECK_INT(parse_mb(mb_grub_info(FB_RGB, 40)), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.mmap_count, QEMU_MAP_N);
	for (size_t i = 0; i < QEMU_MAP_N; i++) {
		CHECK_INT(bi.mmap[i].base, qemu_map[i].base);
		CHECK_INT(bi.mmap[i].length, qemu_map[i].len);
		CHECK_INT(bi.mmap[i].type, qemu_map[i].type);
	}
}

TEST(mb2_ega_text)
{
	fm_new(65536);
	CHECK_INT(parse_mb(mb_grub_info(FB_EGA, 24)), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.fb.type, BOOT_FB_EGA_TEXT);
	CHECK_INT(bi.fb.base, 0xb8000);
	CHECK_INT(bi.fb.width, 80);
	CHECK_INT(bi.fb.height, 25);
	CHECK_INT(bi.fb.pitch, 160);
	CHECK_INT(bi.fb.bpp, 16);
}

TEST(mb2_indexed)
{
	fm_new(65536);
	CHECK_INT(parse_mb(mb_grub_info(FB_INDEXED, 24)), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.fb.type, BOOT_FB_INDEXED);
	CHECK_INT(bi.fb.width, 320);
	CHECK_INT(bi.fb.bpp, 8);
}

/* BIOS GRUB: no EFI tags, only the old RSDP, no framebuffer. */
TEST(mb2_bios_minimal)
{
	uint8_t r[36];

	fm_new(4096);
	mb_begin();
	mb_str(2, "GRUB 2.06");
	mb_mmap(24, qemu_map, 2);
	make_rsdp(r, 0);
	mb_tag(14, r, 20);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "");
	CHECK(!bi.efi_boot);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.rsdp_len, 20);
	CHECK(memcmp(bi.rsdp, r, 20) == 0);
	CHECK_INT(bi.mmap_count, 2);
	CHECK_INT(bi.module_count, 0);
}

/* The newer RSDP wins even when the old one comes after it. */
TEST(mb2_acpi_new_then_old)
{
	uint8_t r[36];

	fm_new(4096);
	mb_begin();
	make_rsdp(r, 2);
	mb_tag(15, r, 36);
	make_rsdp(r, 0);
	mb_tag(14, r, 20);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.rsdp_len, 36);
	CHECK_INT(bi.rsdp[15], 2);
}

TEST(mb2_efi_bs_not_terminated)
{
	fm_new(4096);
	mb_begin();
	mb_tag(18, NULL, 0);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK(bi.efi_boot);
	CHECK_INT(bi.efi_mmap, 0);
}

TEST(mb2_unknown_tags_ignored)
{
	uint8_t p[40] = { 1, 2, 3 };

	fm_new(4096);
	mb_begin();
	mb_tag(21, p, 4);   /* load base address */
	mb_tag(9, p, 40);   /* ELF sections */
	mb_tag(999, p, 13); /* from the future */
	mb_str(1, "x");
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "x");
}

TEST(mb2_tags_after_end_ignored)
{
	fm_new(4096);
	mb_begin();
	mb_str(1, "first");
	mb_tag(0, NULL, 0);
	mb_str(1, "after the end");
	CHECK_INT(parse_mb(mb_finish_no_end()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "first");
}

TEST(mb2_cmdline_truncated)
{
	static char longline[5000];

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	longline[0] = 'b';
	fm_new(8192);
	mb_begin();
	mb_str(1, longline);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK(bi.cmdline_truncated);
	CHECK_INT(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	CHECK_INT(bi.cmdline[0], 'b');

	/* Exactly the longest line that fits is not truncated. */
	longline[BOOT_CMDLINE_MAX - 1] = '\0';
	mb_begin();
	mb_str(1, longline);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK(!bi.cmdline_truncated);
	CHECK_INT(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
}

TEST(mb2_long_names_truncated)
{
	char name[300];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fm_new(4096);
	mb_begin();
	mb_str(2, name);
	mb_module(0x300000, 0x301000, name);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(strlen(bi.loader), sizeof(bi.loader) - 1);
	CHECK_INT(strlen(bi.modules[0].name), BOOT_MODNAME_MAX - 1);
}

/* ---- multiboot2: hostile ---- */

TEST(mb2_total_size_too_small)
{
	fm_new(4096);
	mb_begin();
	mb_finish();
	for (uint32_t total = 0; total < 16; total++) {
		put32(mb, total);
		CHECK_INT(parse_mb(32), -EINVAL);
	}
}

TEST(mb2_total_size_absurd)
{
	fm_new(4096);
	mb_begin();
	mb_finish();
	put32(mb, 0xfffffff8);
	CHECK_INT(parse_mb(16), -EINVAL);
	put32(mb, 0x7fffffff);
	CHECK_INT(parse_mb(16), -EINVAL);
}

TEST(mb2_total_size_past_memory)
{
	fm_new(4096);
	mb_begin();
	mb_str(1, "hello");
	size_t len = mb_finish();
	put32(mb, (uint32_t)len + 64); /* claims bytes after the end of memory */
	CHECK_INT(parse_mb(len), -EINVAL);
}

TEST(mb2_header_unreadable)
{
	uint8_t hdr[4] = { 16, 0, 0, 0 };

	fm_new(4096);
	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, 0x1000, &rd), -EINVAL);
	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, ~0ull - 3, &rd), -EINVAL);
	/* Only half the fixed header is inside memory. */
	paddr_t pa = fm_put_end(hdr, 4);
	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, pa, &rd), -EINVAL);
}

TEST(mb2_tag_size_zero)
{
	fm_new(4096);
	mb_begin();
	mb_str(1, "kept");
	mb_tag_sized(2, 0, NULL, 0);
	mb_str(2, "never reached");
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_STR(bi.cmdline, "kept");
	CHECK_STR(bi.loader, "");
	CHECK_INT(bi.warnings, 2); /* the bad tag, and no end tag reached */
	CHECK(fm.maps < 10);
}

TEST(mb2_tag_size_below_header)
{
	for (uint32_t size = 1; size < 8; size++) {
		fm_new(4096);
		mb_begin();
		mb_str(1, "kept");
		mb_tag_sized(1, size, NULL, 0);
		CHECK_INT(parse_mb(mb_finish()), 0);
		CHECK_STR(bi.cmdline, "kept");
		CHECK_INT(bi.warnings, 2);
	}
}

TEST(mb2_tag_past_total_size)
{
	fm_new(4096);
	mb_begin();
	mb_str(2, "GRUB");
	mb_tag_sized(1, 4000, "overlong", 9);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_STR(bi.loader, "GRUB");
	CHECK_STR(bi.cmdline, "");
	CHECK_INT(bi.warnings, 2);

	/* A size so large that off + size would wrap a 32-bit sum. */
	mb_begin();
	mb_tag_sized(1, 0xfffffff8, "x", 2);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.warnings, 2);
}

TEST(mb2_no_end_tag)
{
	fm_new(4096);
	mb_begin();
	mb_str(1, "quiet");
	CHECK_INT(parse_mb(mb_finish_no_end()), 0);
	CHECK_STR(bi.cmdline, "quiet");
	CHECK_INT(bi.warnings, 1);
}

/* total_size ends 4 bytes into a tag header. */
TEST(mb2_truncated_tag_header)
{
	fm_new(4096 + 4); /* keeps the 28-byte structure 8-byte aligned */
	mb_begin();
	mb_str(1, "quiet");
	put32(mb + mb_used, 2);
	mb_used += 4;
	CHECK_INT(parse_mb(mb_finish_no_end()), 0);
	CHECK_STR(bi.cmdline, "quiet");
	CHECK_INT(bi.warnings, 1);
}

/* A cmdline without NUL that is the last tag and ends at the last byte of memory. */
TEST(mb2_cmdline_no_nul_at_end_of_memory)
{
	fm_new(4096);
	mb_begin();
	mb_tag(1, "ABCDEFGH", 8); /* tag of 16 bytes, no terminator */
	CHECK_INT(parse_mb(mb_finish_no_end()), 0);
	CHECK_STR(bi.cmdline, "ABCDEFGH");
	CHECK_INT(bi.warnings, 2); /* no NUL, no end tag */

	/* Odd length: the padding byte is outside the tag (and outside memory). */
	fm_new(4096 + 7); /* keeps the 23-byte structure 8-byte aligned */
	mb_begin();
	mb_tag(1, "ABCDEFG", 7);
	mb_used = 8 + 15;
	put32(mb, (uint32_t)mb_used);
	CHECK_INT(parse_mb(mb_used), 0);
	CHECK_STR(bi.cmdline, "ABCDEFG");
	CHECK_INT(bi.warnings, 2);
}

TEST(mb2_empty_string_tags)
{
	fm_new(4096);
	mb_begin();
	mb_tag(1, NULL, 0);
	mb_tag(2, NULL, 0);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_STR(bi.loader, "");
	CHECK_INT(bi.warnings, 2);
}

TEST(mb2_mmap_entry_size_bad)
{
	static const uint32_t sizes[] = { 0, 1, 8, 16, 23 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t p[8 + 48] = { 0 };
		fm_new(4096);
		mb_begin();
		put32(p, sizes[i]);
		mb_tag(6, p, sizeof(p));
		CHECK_INT(parse_mb(mb_finish()), 0);
		CHECK_INT(bi.mmap_count, 0);
		CHECK_INT(bi.warnings, 1);
		CHECK(fm.maps < 10);
	}
}

/* entry_size larger than the whole tag: no entries, one warning, no read past the tag. */
TEST(mb2_mmap_entry_size_huge)
{
	uint8_t p[8 + 24] = { 0 };

	fm_new(4096);
	mb_begin();
	put32(p, 0xfffffff8);
	mb_tag(6, p, sizeof(p));
	CHECK_INT(parse_mb(mb_finish_no_end()), 0);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 2);
}

TEST(mb2_mmap_tag_too_short)
{
	fm_new(4096);
	mb_begin();
	mb_tag(6, "\x18\0\0", 3);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_mmap_partial_entry)
{
	fm_new(4096);
	mb_begin();
	mb_mmap(24, qemu_map, 3);
	/* Shrink the tag by 8 bytes: the third entry is cut in half. */
	size_t off = mb_find(6);
	put32(mb + off + 4, 8 + 8 + 3 * 24 - 8);
	mb_used = off + 8 + 8 + 3 * 24 - 8;
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.mmap_count, 2);
	CHECK_INT(bi.mmap[1].base, qemu_map[1].base);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_mmap_too_many_entries)
{
	static struct e820 many[300];

	for (size_t i = 0; i < 300; i++)
		many[i] = (struct e820){ 0x1000ull * i, 0x1000, 1 + (uint32_t)(i % 5) };
	fm_new(16384);
	mb_begin();
	mb_mmap(24, many, 300);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.mmap_count, BOOT_MMAP_MAX);
	CHECK_INT(bi.mmap[0].base, 0);
	CHECK_INT(bi.mmap[BOOT_MMAP_MAX - 1].base, 0x1000ull * (BOOT_MMAP_MAX - 1));
	CHECK_INT(bi.mmap[4].type, 5);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_mmap_entry_wraps)
{
	static const struct e820 e[] = {
		{ 0x100000, 0x1000, 1 },
		{ 0xfffffffffffff000ull, 0x2000, 2 },
		{ 0x200000, 0x1000, 1 },
	};

	fm_new(4096);
	mb_begin();
	mb_mmap(24, e, 3);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.mmap_count, 2);
	CHECK_INT(bi.mmap[1].base, 0x200000);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_second_mmap_ignored)
{
	fm_new(4096);
	mb_begin();
	mb_mmap(24, qemu_map, 2);
	mb_mmap(24, qemu_map + 3, 1);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.mmap_count, 2);
	CHECK_INT(bi.mmap[0].base, 0);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_too_many_modules)
{
	fm_new(8192);
	mb_begin();
	for (uint32_t i = 0; i < 20; i++) {
		char name[16] = "mod";
		if (i >= 10)
			name[3] = (char)('0' + i / 10);
		strlcat(name, (char[]){ (char)('0' + i % 10), '\0' }, sizeof(name));
		mb_module(0x400000 + i * 0x1000, 0x400800 + i * 0x1000, name);
	}
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.module_count, BOOT_MODULES_MAX);
	CHECK_STR(bi.modules[0].name, "mod0");
	CHECK_STR(bi.modules[15].name, "mod15");
	CHECK_INT(bi.modules[15].size, 0x800);
	CHECK_INT(bi.warnings, 20 - BOOT_MODULES_MAX);
}

TEST(mb2_module_bad)
{
	uint8_t p[16] = { 0 };

	fm_new(4096);
	mb_begin();
	mb_module(0x500000, 0x4ff000, "backwards");
	put32(p, 0x500000);
	mb_tag(3, p, 4); /* too short for mod_end */
	put32(p + 4, 0x500000);
	mb_tag(3, p, 8); /* no string at all: kept, unnamed */
	put32(p + 4, 0x501000);
	memcpy(p + 8, "NONULxyz", 8);
	mb_tag(3, p, 16); /* string without NUL */
	mb_module(0x600000, 0x600000, "empty");
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.module_count, 3);
	CHECK_INT(bi.modules[0].size, 0);
	CHECK_STR(bi.modules[0].name, "");
	CHECK_INT(bi.modules[1].size, 0x1000);
	CHECK_STR(bi.modules[1].name, "NONULxyz");
	CHECK_STR(bi.modules[2].name, "empty");
	CHECK_INT(bi.warnings, 4);
}

TEST(mb2_framebuffer_too_short)
{
	uint8_t save[64];

	fm_new(4096);
	/* RGB with the colour info cut off: size says 32 (common part only). */
	mb_begin();
	mb_framebuffer(FB_RGB);
	size_t off = mb_find(8);
	put32(mb + off + 4, 32);
	mb_used = off + 32; /* the end tag goes over the colour bytes */
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);

	/* One byte short of the last colour field. */
	mb_begin();
	mb_framebuffer(FB_RGB);
	put32(mb + off + 4, 37);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);

	/* Cut before the type byte: the common part itself is incomplete. */
	memcpy(save, mb + off, 40);
	mb_begin();
	memcpy(mb + 8, save, 40);
	put32(mb + 12, 29);
	mb_used = 8 + 32;
	mb_finish();
	CHECK_INT(parse_mb(mb_used), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);
}

/* A framebuffer tag at the very end of memory, sized to stop right after the type byte. */
TEST(mb2_framebuffer_ega_minimal_at_end)
{
	fm_new(4096);
	mb_begin();
	mb_framebuffer(FB_EGA);
	fm_new(4096 + 6); /* keeps the 38-byte structure 8-byte aligned */
	size_t off = mb_find(8);
	put32(mb + off + 4, 30);
	mb_used = off + 30;
	put32(mb, (uint32_t)mb_used);
	CHECK_INT(parse_mb(mb_used), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_EGA_TEXT);
	CHECK_INT(bi.warnings, 1); /* no end tag */
}

TEST(mb2_framebuffer_insane)
{
	fm_new(4096);

	/* pitch smaller than a line of pixels */
	mb_begin();
	mb_framebuffer(FB_RGB);
	size_t off = mb_find(8);
	put32(mb + off + 16, 1024);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);

	/* unknown type */
	mb_begin();
	mb_framebuffer(FB_RGB);
	mb[off + 29] = 7;
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);

	/* red field beyond the pixel */
	mb_begin();
	mb_framebuffer(FB_RGB);
	mb[off + 32] = 30;
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);

	/* zero height; then an address where the buffer would wrap */
	mb_begin();
	mb_framebuffer(FB_RGB);
	put32(mb + off + 24, 0);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	mb_begin();
	mb_framebuffer(FB_RGB);
	put64(mb + off + 8, 0xffffffffffff0000ull);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK_INT(bi.warnings, 1);
}

TEST(mb2_acpi_bad)
{
	uint8_t r[36];

	fm_new(4096);
	mb_begin();
	make_rsdp(r, 0);
	mb_tag(14, r, 20);
	make_rsdp(r, 2);
	mb_tag(15, r, 20); /* new tag too short for an ACPI 2.0 RSDP */
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.rsdp_len, 20);
	CHECK_INT(bi.warnings, 1);

	mb_begin();
	make_rsdp(r, 2);
	memcpy(r, "RSD PTX ", 8);
	mb_tag(15, r, 36);
	mb_tag(14, r, 12);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.rsdp_len, 0);
	CHECK_INT(bi.warnings, 2);
}

TEST(mb2_efi_mmap_bad)
{
	uint8_t p[8 + 96] = { 0 };
	static const uint32_t sizes[] = { 0, 8, 39, 44 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fm_new(4096);
		mb_begin();
		put32(p, sizes[i]);
		mb_tag(17, p, sizeof(p));
		CHECK_INT(parse_mb(mb_finish()), 0);
		CHECK(bi.efi_boot);
		CHECK_INT(bi.efi_mmap, 0);
		CHECK_INT(bi.efi_mmap_size, 0);
		CHECK_INT(bi.warnings, 1);
	}

	/* A tag too short for its own header; then a map with half a descriptor at the end. */
	mb_begin();
	mb_tag(17, p, 4);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK(bi.efi_boot);
	CHECK_INT(bi.warnings, 1);
	mb_begin();
	put32(p, 48);
	mb_tag(17, p, 8 + 72);
	CHECK_INT(parse_mb(mb_finish()), 0);
	CHECK_INT(bi.efi_mmap_size, 48);
	CHECK_INT(bi.warnings, 1);
}

/* The spec puts the info at an 8-byte boundary; a misplaced one still parses, with a warning. */
TEST(mb2_unaligned_info)
{
	fm_new(65536 + 3);
	size_t len = mb_grub_info(FB_RGB, 24);
	paddr_t pa = fm_put_end(mb, len);
	CHECK(pa % 8 == 3);
	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, pa, &rd), 0);
	CHECK_INT(bi.warnings, 1);
	CHECK_STR(bi.cmdline, "console=ttyS0 root=/dev/sda1 ferrite.test=all");
	CHECK_INT(bi.mmap_count, QEMU_MAP_N);
	CHECK_INT(bi.fb.type, BOOT_FB_RGB);
	CHECK_INT(bi.rsdp_len, 36);
}

/* Random garbage after a valid header: must terminate without reading out of bounds. */
TEST(mb2_garbage_fuzz)
{
	uint32_t seed = 12345;

	for (int round = 0; round < 2000; round++) {
		size_t len = 16 + (round % 64) * 8;
		fm_new(1024);
		mb_begin();
		for (size_t i = 8; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			mb[i] = (uint8_t)(seed >> 16);
		}
		/* Small tag types and sizes, so that real parsers run on the garbage. */
		for (size_t off = 8; off + 8 <= len; off += 8) {
			if (((seed >> (off % 24)) & 3) == 0) {
				put32(mb + off, (seed >> 3) % 20);
				put32(mb + off + 4, (seed >> 7) % 80);
			}
		}
		put32(mb, (uint32_t)len);
		CHECK_INT(parse_mb(len), 0);
		CHECK(bi.mmap_count <= BOOT_MMAP_MAX);
		CHECK(bi.module_count <= BOOT_MODULES_MAX);
	}
}

/* ---- PVH ---- */

/* Builds a start_info of the given version at pa (56 bytes for v1, 40 for v0). */
static void pvh_start_info(paddr_t pa, uint32_t version, uint32_t nr_modules, paddr_t modlist,
			   paddr_t cmdline, paddr_t rsdp, paddr_t memmap, uint32_t memmap_n)
{
	uint8_t s[56] = { 0 };
	put32(s, PVH_START_MAGIC);
	put32(s + 4, version);
	put32(s + 8, 0);
	put32(s + 12, nr_modules);
	put64(s + 16, modlist);
	put64(s + 24, cmdline);
	put64(s + 32, rsdp);
	put64(s + 40, memmap);
	put32(s + 48, memmap_n);
	fm_put(pa, s, version >= 1 ? 56 : 40);
}

static void pvh_module(paddr_t at, uint64_t paddr, uint64_t size, paddr_t cmdline)
{
	uint8_t e[32] = { 0 };
	put64(e, paddr);
	put64(e + 8, size);
	put64(e + 16, cmdline);
	fm_put(at, e, 32);
}

static void pvh_memmap(paddr_t at, const struct e820 *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[24] = { 0 };
		put64(b, e[i].base);
		put64(b + 8, e[i].len);
		put32(b + 16, e[i].type);
		fm_put(at + i * 24, b, 24);
	}
}

static void fm_str(paddr_t pa, const char *s)
{
	fm_put(pa, s, strlen(s) + 1);
}

/* What QEMU's -kernel PVH loader lays out: start_info, cmdline, one initrd, e820, RSDP. */
#define Q_INFO    (FM_BASE + 0x0)
#define Q_MODLIST (FM_BASE + 0x40)
#define Q_MEMMAP  (FM_BASE + 0x80)
#define Q_CMDLINE (FM_BASE + 0x200)
#define Q_MODCMD  (FM_BASE + 0x300)
#define Q_RSDP    (FM_BASE + 0x400)

static void pvh_qemu(uint32_t version)
{
	uint8_t r[36];

	fm_new(0x1000);
	pvh_start_info(Q_INFO, version, 1, Q_MODLIST, Q_CMDLINE, Q_RSDP, Q_MEMMAP, QEMU_MAP_N);
	pvh_module(Q_MODLIST, 0x7f00000, 0xc0000, Q_MODCMD);
	pvh_memmap(Q_MEMMAP, qemu_map, QEMU_MAP_N);
	fm_str(Q_CMDLINE, "console=ttyS0 ferrite.test=boot");
	fm_str(Q_MODCMD, "initrd");
	make_rsdp(r, 2);
	fm_put(Q_RSDP, r, 36);
}

TEST(pvh_qemu_v1)
{
	uint8_t want[36];

	pvh_qemu(1);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.protocol, BOOT_PROTO_PVH);
	CHECK_INT(bi.info_paddr, Q_INFO);
	CHECK_INT(bi.info_size, 56);
	CHECK_STR(bi.loader, "");
	CHECK_STR(bi.cmdline, "console=ttyS0 ferrite.test=boot");
	CHECK(!bi.cmdline_truncated);
	CHECK_INT(bi.module_count, 1);
	CHECK_INT(bi.modules[0].base, 0x7f00000);
	CHECK_INT(bi.modules[0].size, 0xc0000);
	CHECK_STR(bi.modules[0].name, "initrd");
	CHECK_INT(bi.mmap_count, QEMU_MAP_N);
	for (size_t i = 0; i < QEMU_MAP_N; i++) {
		CHECK_INT(bi.mmap[i].base, qemu_map[i].base);
		CHECK_INT(bi.mmap[i].length, qemu_map[i].len);
		CHECK_INT(bi.mmap[i].type, qemu_map[i].type);
	}
	CHECK_INT(bi.rsdp_paddr, Q_RSDP);
	CHECK_INT(bi.rsdp_len, 36);
	make_rsdp(want, 2);
	CHECK(memcmp(bi.rsdp, want, 36) == 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK(!bi.efi_boot);
	CHECK_INT(bi.efi_mmap, 0);
}

/* Version 0 is 40 bytes and has no memory map; placed at the end so a 56-byte read would fault. */
TEST(pvh_v0_at_end)
{
	pvh_qemu(0);
	paddr_t pa = FM_BASE + fm.size - 40;
	pvh_start_info(pa, 0, 1, Q_MODLIST, Q_CMDLINE, Q_RSDP, 0, 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, pa, &rd), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_INT(bi.info_size, 40);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.module_count, 1);
	CHECK_STR(bi.cmdline, "console=ttyS0 ferrite.test=boot");
	CHECK_INT(bi.rsdp_len, 36);
}

/* A v0 structure's memmap fields are never looked at, even if bytes follow it. */
TEST(pvh_v0_ignores_memmap_fields)
{
	pvh_qemu(1);
	put32(fm_at(Q_INFO + 4), 0);
	CHECK_INT(bootinfo_from_pvh(&bi, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 0);
}

/* Future versions are read as version 1. */
TEST(pvh_future_version)
{
	pvh_qemu(1);
	put32(fm_at(Q_INFO + 4), 7);
	CHECK_INT(bootinfo_from_pvh(&bi, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, QEMU_MAP_N);
	CHECK_INT(bi.info_size, 56);
	CHECK_INT(bi.warnings, 0);
}

TEST(pvh_bad_magic)
{
	pvh_qemu(1);
	put32(fm_at(Q_INFO), 0x336ec579);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), -EINVAL);
	CHECK_INT(bi.mmap_count, 0);
}

TEST(pvh_header_unreadable)
{
	pvh_qemu(1);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, 0x2000, &rd), -EINVAL);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, ~0ull - 8, &rd), -EINVAL);
	/* A version 1 header of which only the first 40 bytes are in memory. */
	paddr_t pa = FM_BASE + fm.size - 40;
	pvh_start_info(pa, 0, 0, 0, 0, 0, 0, 0);
	put32(fm_at(pa + 4), 1);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, pa, &rd), -EINVAL);
	/* Only the magic is in memory. */
	pa = FM_BASE + fm.size - 4;
	put32(fm_at(pa), PVH_START_MAGIC);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, pa, &rd), -EINVAL);
}

TEST(pvh_empty)
{
	fm_new(4096);
	pvh_start_info(FM_BASE, 1, 0, 0, 0, 0, 0, 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, FM_BASE, &rd), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "");
	CHECK(!bi.cmdline_truncated);
	CHECK_INT(bi.module_count + bi.mmap_count + bi.rsdp_len + bi.rsdp_paddr, 0);
}

TEST(pvh_cmdline_no_nul_to_end_of_memory)
{
	pvh_qemu(1);
	paddr_t pa = FM_BASE + fm.size - 10;
	memset(fm_at(pa), 'Z', 10);
	put64(fm_at(Q_INFO + 24), pa);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_STR(bi.cmdline, "ZZZZZZZZZZ");
	CHECK(bi.cmdline_truncated);
	CHECK_INT(bi.warnings, 1);
}

/* The NUL is the last byte of memory and the page-sized read around it fails. */
TEST(pvh_cmdline_ends_at_end_of_memory)
{
	fm_new(0x1000 + 100); /* memory ends mid-page */
	pvh_start_info(FM_BASE, 1, 0, 0, FM_BASE + fm.size - 6, 0, 0, 0);
	fm_put_end("quiet", 6);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, FM_BASE, &rd), 0);
	CHECK_STR(bi.cmdline, "quiet");
	CHECK(!bi.cmdline_truncated);
	CHECK_INT(bi.warnings, 0);
}

/* A command line that crosses several 4 KiB pages. */
TEST(pvh_cmdline_across_pages)
{
	char want[BOOT_CMDLINE_MAX];

	fm_new(0x3000);
	for (size_t i = 0; i < sizeof(want) - 1; i++)
		want[i] = (char)('a' + i % 26);
	want[sizeof(want) - 1] = '\0';
	paddr_t pa = FM_BASE + 0x1000 - 100;
	pvh_start_info(FM_BASE, 1, 0, 0, pa, 0, 0, 0);
	fm_str(pa, want);
	CHECK_INT(bootinfo_from_pvh(&bi, FM_BASE, &rd), 0);
	CHECK_STR(bi.cmdline, want);
	CHECK(!bi.cmdline_truncated);
	CHECK_INT(bi.warnings, 0);

	/* One more character does not fit. */
	memset(fm_at(pa + sizeof(want) - 1), 'Q', 1);
	CHECK_INT(bootinfo_from_pvh(&bi, FM_BASE, &rd), 0);
	CHECK_STR(bi.cmdline, want);
	CHECK(bi.cmdline_truncated);
	CHECK_INT(bi.warnings, 0);
}

TEST(pvh_cmdline_long_runs_off_memory)
{
	fm_new(8192);
	pvh_start_info(FM_BASE, 1, 0, 0, FM_BASE + 64, 0, 0, 0);
	memset(fm_at(FM_BASE + 64), 'x', fm.size - 64); /* no NUL anywhere */
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, FM_BASE, &rd), 0);
	CHECK(bi.cmdline_truncated);
	CHECK_INT(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	CHECK_INT(bi.warnings, 0); /* too long is not malformed: the scan stops at the limit */
	CHECK(fm.maps < 10);
}

TEST(pvh_cmdline_outside_memory)
{
	pvh_qemu(1);
	put64(fm_at(Q_INFO + 24), 0x42);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_INT(bi.warnings, 1);
	CHECK_INT(bi.module_count, 1);

	put64(fm_at(Q_INFO + 24), ~0ull - 2);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_INT(bi.warnings, 1);
}

TEST(pvh_nr_modules_huge)
{
	pvh_qemu(1);
	/* Two entries that end at the end of memory, and a count that says four billion. */
	paddr_t list = FM_BASE + fm.size - 64;
	pvh_module(list, 0x300000, 0x1000, Q_MODCMD);
	pvh_module(list + 32, 0x400000, 0x2000, 0);
	put32(fm_at(Q_INFO + 12), 0xffffffff);
	put64(fm_at(Q_INFO + 16), list);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 2);
	CHECK_STR(bi.modules[0].name, "initrd");
	CHECK_STR(bi.modules[1].name, "");
	CHECK_INT(bi.modules[1].size, 0x2000);
	CHECK_INT(bi.warnings, 2); /* count over the limit, then the unreadable third entry */
	CHECK(fm.maps < 100);
}

TEST(pvh_too_many_modules)
{
	fm_new(4096);
	pvh_start_info(FM_BASE, 1, 20, FM_BASE + 0x100, 0, 0, 0, 0);
	for (uint32_t i = 0; i < 20; i++)
		pvh_module(FM_BASE + 0x100 + i * 32, 0x1000000 + i * 0x10000, 0x100 + i, 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, FM_BASE, &rd), 0);
	CHECK_INT(bi.module_count, BOOT_MODULES_MAX);
	CHECK_INT(bi.modules[15].base, 0x1000000 + 15 * 0x10000);
	CHECK_INT(bi.modules[15].size, 0x100 + 15);
	CHECK_INT(bi.warnings, 1);
}

TEST(pvh_modules_bad)
{
	pvh_qemu(1);
	/* modlist absent but modules counted */
	put64(fm_at(Q_INFO + 16), 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 0);
	CHECK_INT(bi.warnings, 1);

	/* modlist outside memory, and at the top of the address space */
	put64(fm_at(Q_INFO + 16), 0x8000);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 0);
	CHECK_INT(bi.warnings, 1);
	put32(fm_at(Q_INFO + 12), 3);
	put64(fm_at(Q_INFO + 16), ~0ull - 40);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 0);
	CHECK_INT(bi.warnings, 1);

	/* entries: paddr 0, wrapping size, name outside memory, name without NUL at memory end */
	paddr_t list = FM_BASE + 0x800;
	paddr_t tail = FM_BASE + fm.size - 4;
	memcpy(fm_at(tail), "abcd", 4);
	put32(fm_at(Q_INFO + 12), 4);
	put64(fm_at(Q_INFO + 16), list);
	pvh_module(list, 0, 0x1000, 0);
	pvh_module(list + 32, 0x300000, ~0ull, 0);
	pvh_module(list + 64, 0x400000, 0x1000, 0xdead0000);
	pvh_module(list + 96, 0x500000, 0x1000, tail);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 2);
	CHECK_INT(bi.modules[0].base, 0x400000);
	CHECK_STR(bi.modules[0].name, "");
	CHECK_INT(bi.modules[1].base, 0x500000);
	CHECK_STR(bi.modules[1].name, "abcd");
	CHECK_INT(bi.warnings, 4);
}

TEST(pvh_memmap_too_many)
{
	fm_new(16384);
	pvh_start_info(FM_BASE, 1, 0, 0, 0, 0, FM_BASE + 64, 1000);
	for (uint32_t i = 0; i < 300; i++) {
		struct e820 e = { 0x1000ull * i, 0x1000, 1 };
		pvh_memmap(FM_BASE + 64 + i * 24, &e, 1);
	}
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, FM_BASE, &rd), 0);
	CHECK_INT(bi.mmap_count, BOOT_MMAP_MAX);
	CHECK_INT(bi.mmap[BOOT_MMAP_MAX - 1].base, 0x1000ull * (BOOT_MMAP_MAX - 1));
	CHECK_INT(bi.warnings, 1);
}

TEST(pvh_memmap_bad)
{
	pvh_qemu(1);
	/* entries but no table */
	put64(fm_at(Q_INFO + 40), 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 1);

	/* table that runs off the end of memory after two entries */
	paddr_t at = FM_BASE + fm.size - 2 * 24 - 8;
	pvh_memmap(at, qemu_map, 2);
	put64(fm_at(Q_INFO + 40), at);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, 2);
	CHECK_INT(bi.warnings, 1);

	/* a wrapping entry is dropped; the table near the top of the address space is refused */
	static const struct e820 wrap[] = { { ~0ull - 0xfff, 0x2000, 1 }, { 0x100000, 0x1000, 1 } };
	pvh_memmap(Q_MEMMAP, wrap, 2);
	put64(fm_at(Q_INFO + 40), Q_MEMMAP);
	put32(fm_at(Q_INFO + 48), 2);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, 1);
	CHECK_INT(bi.mmap[0].base, 0x100000);
	CHECK_INT(bi.warnings, 1);
	put64(fm_at(Q_INFO + 40), ~0ull - 30);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 1);
}

TEST(pvh_rsdp_variants)
{
	uint8_t r[36];

	/* ACPI 1.0: 20 bytes */
	pvh_qemu(1);
	make_rsdp(r, 0);
	fm_put(Q_RSDP, r, 36);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.rsdp_len, 20);
	CHECK_INT(bi.rsdp_paddr, Q_RSDP);
	CHECK(memcmp(bi.rsdp, r, 20) == 0);
	CHECK_INT(bi.warnings, 0);

	/* bad signature: the address is recorded, nothing copied */
	memcpy(fm_at(Q_RSDP), "RSD PTS ", 8);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.rsdp_paddr, Q_RSDP);
	CHECK_INT(bi.rsdp_len, 0);
	CHECK_INT(bi.warnings, 1);

	/* outside memory */
	put64(fm_at(Q_INFO + 32), 0xe0000);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.rsdp_paddr, 0xe0000);
	CHECK_INT(bi.rsdp_len, 0);
	CHECK_INT(bi.warnings, 1);

	/* revision 2 but only the first 20 bytes are in memory */
	make_rsdp(r, 2);
	paddr_t pa = fm_put_end(r, 20);
	put64(fm_at(Q_INFO + 32), pa);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.rsdp_len, 20);
	CHECK(memcmp(bi.rsdp, r, 20) == 0);
	CHECK_INT(bi.warnings, 1);

	/* the first 20 bytes are not all there */
	pa = fm_put_end(r, 12);
	put64(fm_at(Q_INFO + 32), pa);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.rsdp_len, 0);
	CHECK_INT(bi.warnings, 1);
}

/* Nothing in PVH promises alignment of the tables; reads must not assume it (UBSan checks). */
TEST(pvh_unaligned)
{
	uint8_t r[36];
	paddr_t info = FM_BASE + 0x101, list = FM_BASE + 0x203, map = FM_BASE + 0x305;

	fm_new(0x1000);
	pvh_start_info(info, 1, 1, list, FM_BASE + 0x801, FM_BASE + 0x903, map, 3);
	pvh_module(list, 0x300000, 0x1234, FM_BASE + 0xa07);
	pvh_memmap(map, qemu_map, 3);
	fm_str(FM_BASE + 0x801, "odd");
	fm_str(FM_BASE + 0xa07, "mod");
	make_rsdp(r, 2);
	fm_put(FM_BASE + 0x903, r, 36);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, info, &rd), 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "odd");
	CHECK_STR(bi.modules[0].name, "mod");
	CHECK_INT(bi.modules[0].size, 0x1234);
	CHECK_INT(bi.mmap_count, 3);
	CHECK_INT(bi.mmap[2].length, qemu_map[2].len);
	CHECK_INT(bi.rsdp_len, 36);
}

/* ---- dispatch and names ---- */

TEST(parse_unknown_magic)
{
	pvh_qemu(1);
	memset(&bi, 0xaa, sizeof(bi));
	CHECK_INT(bootinfo_parse(&bi, 0x2badb002, Q_INFO, &rd), -EINVAL); /* multiboot 1 */
	CHECK_INT(bi.mmap_count, 0);
	CHECK_INT(bi.warnings, 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_INT(fm.maps, 0);
}

/* Each parse starts from a clean slate: nothing survives from an earlier parse. */
TEST(parse_resets_state)
{
	fm_new(65536);
	CHECK_INT(parse_mb(mb_grub_info(FB_RGB, 24)), 0);
	CHECK_INT(bi.module_count, 1);
	pvh_qemu(1);
	put32(fm_at(Q_INFO + 12), 0);
	CHECK_INT(bootinfo_parse(&bi, PVH_START_MAGIC, Q_INFO, &rd), 0);
	CHECK_INT(bi.module_count, 0);
	CHECK_INT(bi.fb.type, BOOT_FB_NONE);
	CHECK(!bi.efi_boot);
	CHECK_STR(bi.loader, "");
}

/* The magic selects the parser: multiboot2 magic on a PVH structure is refused. */
TEST(parse_wrong_protocol)
{
	pvh_qemu(1);
	CHECK_INT(bootinfo_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, Q_INFO, &rd), -EINVAL);
}

TEST(mem_type_names)
{
	CHECK_STR(boot_mem_type_name(BOOT_MEM_USABLE), "usable");
	CHECK_STR(boot_mem_type_name(BOOT_MEM_RESERVED), "reserved");
	CHECK_STR(boot_mem_type_name(BOOT_MEM_ACPI_RECLAIMABLE), "ACPI reclaimable");
	CHECK_STR(boot_mem_type_name(BOOT_MEM_ACPI_NVS), "ACPI NVS");
	CHECK_STR(boot_mem_type_name(BOOT_MEM_BAD), "bad");
	CHECK_STR(boot_mem_type_name(0), "unknown");
	CHECK_STR(boot_mem_type_name(7), "unknown");
	CHECK_STR(boot_mem_type_name(0xffffffff), "unknown");
}
