/*
 * PVH boot (QEMU -kernel, Xen): struct hvm_start_info -> struct bootinfo. Every pointer in the
 * start info is checked through the phys_reader; bad pieces are skipped and counted.
 */
#include "boot/bootinfo.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Layouts from Xen's public arch-x86/hvm/start_info.h. All addresses: 0 means absent. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* Version 1 and later. */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
} __packed;

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} __packed;

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* same numbering as E820 */
	uint32_t reserved;
} __packed;

#define HVM_START_INFO_V0_SIZE offsetof(struct hvm_start_info, memmap_paddr)

_Static_assert(offsetof(struct hvm_start_info, nr_modules) == 12, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 24, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "hvm_start_info");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");
_Static_assert(offsetof(struct hvm_modlist_entry, cmdline_paddr) == 16, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(offsetof(struct hvm_memmap_table_entry, type) == 16, "hvm_memmap_table_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");

#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36
#define ACPI_RSDP_REVISION_OFF 15

/* Strings are read in pieces that never cross this boundary, the reader's likely granularity. */
#define PVH_STR_CHUNK 4096

/* rd->map with the range checked for wrapping past the top of the address space. */
static const void *pvh_map(const struct phys_reader *rd, paddr_t pa, size_t len)
{
	if (pa + len < pa)
		return NULL;
	return rd->map(rd->ctx, pa, len);
}

/*
 * Copies the NUL-terminated string at pa into dst (size dstsz > 0). At most dstsz bytes are
 * scanned. *cut is set when the string was not captured whole (too long, or it ran into
 * unreadable memory); the latter also returns -EFAULT. dst always ends up terminated.
 */
static int pvh_copy_string(const struct phys_reader *rd, paddr_t pa, char *dst, size_t dstsz,
			   bool *cut)
{
	size_t n = 0; /* bytes scanned so far, none of them NUL */
	int ret = 0;

	*cut = true;
	while (n < dstsz) {
		paddr_t p = pa + n;
		size_t want = MIN(dstsz - n, PVH_STR_CHUNK - (size_t)(p % PVH_STR_CHUNK));
		const char *s = NULL, *nul;
		size_t take, at;

		if (p >= pa) {
			s = pvh_map(rd, p, want);
			if (!s) { /* the string may end just before the unreadable part */
				want = 1;
				s = pvh_map(rd, p, 1);
			}
		}
		if (!s) {
			ret = -EFAULT;
			break;
		}
		nul = memchr(s, 0, want);
		take = nul ? (size_t)(nul - s) : want;
		at = MIN(n, dstsz - 1);
		memcpy(dst + at, s, MIN(take, dstsz - 1 - at));
		n += take;
		if (nul) {
			*cut = false;
			break;
		}
	}
	dst[MIN(n, dstsz - 1)] = '\0';
	return ret;
}

static void pvh_modules(struct bootinfo *bi, const struct hvm_start_info *si,
			const struct phys_reader *rd)
{
	uint32_t n = si->nr_modules;
	bool cut;

	if (!n)
		return;
	if (n > BOOT_MODULES_MAX) {
		n = BOOT_MODULES_MAX;
		bi->warnings++;
	}
	if (!si->modlist_paddr) {
		bi->warnings++;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct hvm_modlist_entry *e;
		struct boot_module *m;
		uint64_t off = (uint64_t)i * sizeof(*e);

		if (si->modlist_paddr + off < si->modlist_paddr ||
		    !(e = pvh_map(rd, si->modlist_paddr + off, sizeof(*e)))) {
			bi->warnings++; /* the rest of the list is no more readable */
			return;
		}
		if (!e->paddr || e->paddr + e->size < e->paddr) {
			bi->warnings++;
			continue;
		}
		m = &bi->modules[bi->module_count++];
		m->base = e->paddr;
		m->size = e->size;
		if (e->cmdline_paddr &&
		    pvh_copy_string(rd, e->cmdline_paddr, m->name, sizeof(m->name), &cut) < 0)
			bi->warnings++;
	}
}

static void pvh_memmap(struct bootinfo *bi, const struct hvm_start_info *si,
		       const struct phys_reader *rd)
{
	uint32_t n = si->memmap_entries;

	if (!n)
		return;
	if (n > BOOT_MMAP_MAX) {
		n = BOOT_MMAP_MAX;
		bi->warnings++;
	}
	if (!si->memmap_paddr) {
		bi->warnings++;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct hvm_memmap_table_entry *e;
		uint64_t off = (uint64_t)i * sizeof(*e);

		if (si->memmap_paddr + off < si->memmap_paddr ||
		    !(e = pvh_map(rd, si->memmap_paddr + off, sizeof(*e)))) {
			bi->warnings++;
			return;
		}
		if (e->addr + e->size < e->addr) {
			bi->warnings++;
			continue;
		}
		bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){
			.base = e->addr, .length = e->size, .type = e->type,
		};
	}
}

static void pvh_rsdp(struct bootinfo *bi, paddr_t pa, const struct phys_reader *rd)
{
	const uint8_t *r;
	size_t len = ACPI_RSDP_V1_LEN;

	if (!pa)
		return;
	bi->rsdp_paddr = pa;
	r = pvh_map(rd, pa, ACPI_RSDP_V1_LEN);
	if (!r || memcmp(r, "RSD PTR ", 8) != 0) {
		bi->warnings++;
		return;
	}
	if (r[ACPI_RSDP_REVISION_OFF] >= 2) {
		const uint8_t *r2 = pvh_map(rd, pa, ACPI_RSDP_V2_LEN);
		if (r2) {
			r = r2;
			len = ACPI_RSDP_V2_LEN;
		} else {
			bi->warnings++; /* keep the ACPI 1.0 part */
		}
	}
	memcpy(bi->rsdp, r, len);
	bi->rsdp_len = len;
}

int bootinfo_from_pvh(struct bootinfo *bi, paddr_t info, const struct phys_reader *rd)
{
	struct hvm_start_info si = { 0 };
	const struct hvm_start_info *p;
	size_t size;
	bool cut;

	memset(bi, 0, sizeof(*bi));
	bi->protocol = BOOT_PROTO_PVH;

	p = pvh_map(rd, info, HVM_START_INFO_V0_SIZE);
	if (!p || p->magic != PVH_START_MAGIC)
		return -EINVAL;
	/* Later versions only append fields: read what version 1 defines. */
	size = p->version >= 1 ? sizeof(si) : HVM_START_INFO_V0_SIZE;
	p = pvh_map(rd, info, size);
	if (!p)
		return -EINVAL;
	memcpy(&si, p, size);
	bi->info_paddr = info;
	bi->info_size = size;

	if (si.cmdline_paddr) {
		if (pvh_copy_string(rd, si.cmdline_paddr, bi->cmdline, sizeof(bi->cmdline), &cut) < 0)
			bi->warnings++;
		bi->cmdline_truncated = cut;
	}
	pvh_modules(bi, &si, rd);
	pvh_memmap(bi, &si, rd);
	pvh_rsdp(bi, si.rsdp_paddr, rd);
	return 0;
}
