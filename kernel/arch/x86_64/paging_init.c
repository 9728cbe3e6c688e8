/*
 * Boot-time construction of the kernel's page tables, replacing the 4 GiB identity + direct
 * map that boot.S set up: RAM direct-mapped with the largest pages that fit, the kernel image
 * mapped section by section with its own permissions, guard pages left out.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "boot/bootinfo.h"
#include "console/console.h"
#include "debug/panic.h"
#include "lib/compiler.h"
#include "lib/string.h"
#include "mm/memmap.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

extern paddr_t (*pt_alloc_page)(void);

extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern const char __data_start[], __bss_end[];
extern const vaddr_t __guard_pages_start[], __guard_pages_end[];

#define MSR_PAT  0x277
#define CR4_PGE  (1ull << 7)
#define CR4_UMIP (1ull << 11)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

static struct memmap *early_map;

static paddr_t early_pt_page(void)
{
	/* The boot tables only map the first 4 GiB, so new tables must come from there. */
	paddr_t pa = memmap_alloc(early_map, PAGE_SIZE, PAGE_SIZE, BOOT_DIRECT_MAP_SIZE);
	if (!pa)
		panic("paging: out of memory for page tables");
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

static paddr_t buddy_pt_page(void)
{
	struct page *p = pmm_alloc_pages(0, 0);
	return p ? page_to_phys(p) : 0;
}

void paging_use_page_allocator(void)
{
	pt_alloc_page = buddy_pt_page;
}

static void detect_features(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	paging_features.pge = d & (1u << 13);
	paging_features.pat = d & (1u << 16);
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	paging_features.nx = d & (1u << 20);
	paging_features.gbpages = d & (1u << 26);
	cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		paging_features.smep = b & (1u << 7);
		paging_features.smap = b & (1u << 20);
		paging_features.umip = c & (1u << 2);
	}
}

/* Direct-maps [start, end) with 1 GiB, 2 MiB or 4 KiB pages, whichever fit the alignment. */
static void map_direct(paddr_t start, paddr_t end, uint64_t attrs)
{
	uint64_t *pml4 = phys_to_virt(kernel_pml4);
	for (paddr_t pa = start; pa < end;) {
		vaddr_t va = (vaddr_t)phys_to_virt(pa);
		uint64_t *e = &pml4[(va >> 39) & 511];
		if (!(*e & PTE_P))
			*e = early_pt_page() | PTE_P | PTE_W;
		uint64_t *pdpt = phys_to_virt(*e & PTE_ADDR);
		e = &pdpt[(va >> 30) & 511];
		if (paging_features.gbpages && !(pa & ((1ull << 30) - 1)) && end - pa >= (1ull << 30) &&
		    !(*e & PTE_P)) {
			*e = pa | attrs | PTE_PS;
			pa += 1ull << 30;
			continue;
		}
		if (!(*e & PTE_P))
			*e = early_pt_page() | PTE_P | PTE_W;
		if (*e & PTE_PS) { /* already covered by a 1 GiB page */
			pa = ALIGN_UP(pa + 1, 1ull << 30);
			continue;
		}
		uint64_t *pd = phys_to_virt(*e & PTE_ADDR);
		e = &pd[(va >> 21) & 511];
		if (!(pa & ((1ull << 21) - 1)) && end - pa >= (1ull << 21) && !(*e & PTE_P)) {
			*e = pa | attrs | PTE_PS;
			pa += 1ull << 21;
			continue;
		}
		if (*e & PTE_PS) {
			pa = ALIGN_UP(pa + 1, 1ull << 21);
			continue;
		}
		if (!(*e & PTE_P))
			*e = early_pt_page() | PTE_P | PTE_W;
		uint64_t *pt = phys_to_virt(*e & PTE_ADDR);
		pt[(va >> 12) & 511] = pa | attrs;
		pa += PAGE_SIZE;
	}
}

static bool is_guard_page(vaddr_t va)
{
	for (const vaddr_t *g = __guard_pages_start; g < __guard_pages_end; g++)
		if (*g == va)
			return true;
	return false;
}

static void map_image_section(const char *start, const char *end, unsigned flags)
{
	for (vaddr_t va = (vaddr_t)start; va < ALIGN_UP((vaddr_t)end, PAGE_SIZE); va += PAGE_SIZE) {
		if (is_guard_page(va))
			continue;
		if (vmm_map(kernel_pml4, va, va - KERNEL_VMA, PAGE_SIZE, flags | VM_GLOBAL) < 0)
			panic("paging: cannot map the kernel image");
	}
}

static bool ram_like(uint32_t type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI_RECLAIMABLE || type == BOOT_MEM_ACPI_NVS;
}

static void program_pat(void)
{
	if (!paging_features.pat)
		return;
	/* PAT1 becomes write-combining (it was write-through); the rest keep their reset values. */
	uint64_t pat = rdmsr(MSR_PAT);
	pat = (pat & ~(0xffull << 8)) | (0x01ull << 8);
	wrmsr(MSR_PAT, pat);
}

static void enable_cr4_features(void)
{
	uint64_t cr4 = read_cr4();
	if (paging_features.pge)
		cr4 |= CR4_PGE;
	if (paging_features.smep)
		cr4 |= CR4_SMEP;
	if (paging_features.smap)
		cr4 |= CR4_SMAP;
	if (paging_features.umip)
		cr4 |= CR4_UMIP;
	write_cr4(cr4);
}

void paging_init_ap(void)
{
	if (paging_features.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	program_pat();
	enable_cr4_features();
}

void paging_init(const struct bootinfo *bi, struct memmap *early)
{
	early_map = early;
	pt_alloc_page = early_pt_page;
	detect_features();
	if (paging_features.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE); /* before any table sets NX */
	program_pat();

	kernel_pml4 = early_pt_page();

	uint64_t nx = paging_features.nx ? PTE_NX : 0;
	uint64_t g = paging_features.pge ? PTE_G : 0;
	uint64_t ram = PTE_P | PTE_W | nx | g;

	/* Low 1 MiB whole (BIOS data, EBDA, VGA text), then every RAM-like range of the map. */
	map_direct(0, 1ull << 20, ram);
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (!ram_like(e->type) || e->base + e->length < e->base)
			continue;
		map_direct(ALIGN_DOWN(e->base, PAGE_SIZE), ALIGN_UP(e->base + e->length, PAGE_SIZE), ram);
	}

	/*
	 * Boot modules (the initrd) wherever the loader put them: QEMU's -initrd can end inside a
	 * range the memory map calls reserved (firmware tables grow with the device count).
	 */
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		if (m->size && m->base + m->size > m->base)
			map_direct(ALIGN_DOWN(m->base, PAGE_SIZE), ALIGN_UP(m->base + m->size, PAGE_SIZE), ram);
	}

	/* The kernel image, section by section. */
	map_image_section(__text_start, __text_end, VM_EXEC);
	map_image_section(__rodata_start, __rodata_end, 0);
	map_image_section(__data_start, __bss_end, VM_WRITE);

	/* The framebuffer stays at its direct-map address, now write-combining. */
	if (bi->fb.type == BOOT_FB_RGB || bi->fb.type == BOOT_FB_INDEXED)
		ioremap(bi->fb.base, (size_t)bi->fb.pitch * bi->fb.height, VM_CACHE_WC);

	/*
	 * Every kernel-half top-level entry exists from now on: user address spaces copy these 256
	 * slots once (pgt_create), and later kernel mappings land in tables they already share.
	 */
	uint64_t *pml4 = phys_to_virt(kernel_pml4);
	for (int i = 256; i < 512; i++)
		if (!(pml4[i] & PTE_P))
			pml4[i] = early_pt_page() | PTE_P | PTE_W;

	write_cr3(kernel_pml4);
	enable_cr4_features();

	pr_info("paging: kernel tables at 0x%llx; NX %s, global pages %s, 1 GiB pages %s, PAT %s, "
		"SMEP %s, SMAP %s, UMIP %s\n",
		(unsigned long long)kernel_pml4, paging_features.nx ? "on" : "absent",
		paging_features.pge ? "on" : "absent", paging_features.gbpages ? "used" : "absent",
		paging_features.pat ? "WC" : "absent", paging_features.smep ? "on" : "absent",
		paging_features.smap ? "on" : "absent", paging_features.umip ? "on" : "absent");
}
