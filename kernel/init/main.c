/* kmain: the first C code. Parses what the loader handed over, brings up the consoles, reports. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "acpi/acpi.h"
#include "boot/bootinfo.h"
#include "console/console.h"
#include "debug/panic.h"
#include "drivers/serial/uart16550.h"
#include "drivers/input/ps2kbd.h"
#include "drivers/pci/pci.h"
#include "drivers/video/fbcon.h"
#include "drivers/video/vgacon.h"
#include "fs/devfs.h"
#include "fs/initramfs.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "init/init.h"
#include "irq/irq_internal.h"
#include "lib/cmdline.h"
#include "lib/random.h"
#include "lib/string.h"
#include "lib/work.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"
#include "time/tick.h"

struct bootinfo boot_info;

extern const struct kparam __kparam_start[], __kparam_end[];

static const void *boot_phys_map(void *ctx, paddr_t pa, size_t len)
{
	(void)ctx;
	if (pa + len < pa || pa + len > BOOT_DIRECT_MAP_SIZE)
		return NULL;
	return phys_to_virt(pa);
}

static void report_unknown_param(const char *key)
{
	pr_warn("cmdline: unknown option '%s' ignored\n", key);
}

static void report_invalid_param(const char *key, const char *val)
{
	pr_warn("cmdline: bad value '%s' for option '%s' ignored\n", val, key);
}

static void consoles_init(struct bootinfo *bi)
{
	/* PVH gives no video information; QEMU's BIOS leaves VGA text mode set up. */
	if (bi->fb.type == BOOT_FB_NONE && bi->protocol == BOOT_PROTO_PVH) {
		bi->fb = (struct boot_framebuffer){
			.type = BOOT_FB_EGA_TEXT, .base = 0xb8000, .width = 80, .height = 25, .pitch = 160, .bpp = 16,
		};
	}
	if (bi->fb.type == BOOT_FB_RGB)
		fbcon_init(&bi->fb);
	else if (bi->fb.type == BOOT_FB_EGA_TEXT)
		vgacon_init(&bi->fb);
}

static void report_memory_map(const struct bootinfo *bi)
{
	uint64_t usable = 0;
	kprintf("memory map from the %s (%zu entries):\n",
		bi->protocol == BOOT_PROTO_PVH ? "PVH start info" : "multiboot2 info", bi->mmap_count);
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		const char *type = boot_mem_type_name(e->type);
		if (strcmp(type, "unknown") == 0)
			kprintf("  [mem 0x%016llx-0x%016llx] type %u\n", (unsigned long long)e->base,
				(unsigned long long)(e->base + e->length - 1), e->type);
		else
			kprintf("  [mem 0x%016llx-0x%016llx] %s\n", (unsigned long long)e->base,
				(unsigned long long)(e->base + e->length - 1), type);
		if (e->type == BOOT_MEM_USABLE)
			usable += e->length;
	}
	kprintf("memory: %llu MiB usable (%llu KiB)\n", (unsigned long long)(usable >> 20),
		(unsigned long long)(usable >> 10));
	if (bi->efi_mmap)
		kprintf("efi: memory map with %u descriptors of %u bytes at 0x%llx\n",
			bi->efi_desc_size ? bi->efi_mmap_size / bi->efi_desc_size : 0, bi->efi_desc_size,
			(unsigned long long)bi->efi_mmap);
}

static void report_boot(const struct bootinfo *bi)
{
	kprintf("boot: %s%s%s%s, %s firmware\n",
		bi->protocol == BOOT_PROTO_PVH ? "PVH direct boot" : "multiboot2",
		bi->loader[0] ? " from \"" : "", bi->loader, bi->loader[0] ? "\"" : "",
		bi->efi_boot ? "UEFI" : "BIOS");
	kprintf("cmdline: \"%s\"%s\n", bi->cmdline, bi->cmdline_truncated ? " (truncated)" : "");
	if (bi->warnings)
		pr_warn("boot: %u malformed pieces of boot information skipped\n", bi->warnings);
	report_memory_map(bi);
	for (size_t i = 0; i < bi->module_count; i++)
		kprintf("initrd: module %zu \"%s\" at 0x%llx, %llu bytes\n", i, bi->modules[i].name,
			(unsigned long long)bi->modules[i].base, (unsigned long long)bi->modules[i].size);
	if (bi->module_count == 0)
		kprintf("initrd: none\n");

	const struct boot_framebuffer *fb = &bi->fb;
	switch (fb->type) {
	case BOOT_FB_RGB:
		kprintf("fb: %ux%u, %u bpp RGB (r%u:%u g%u:%u b%u:%u), pitch %u, at 0x%llx\n", fb->width,
			fb->height, fb->bpp, fb->red_pos, fb->red_size, fb->green_pos, fb->green_size,
			fb->blue_pos, fb->blue_size, fb->pitch, (unsigned long long)fb->base);
		break;
	case BOOT_FB_EGA_TEXT:
		kprintf("fb: EGA text %ux%u at 0x%llx\n", fb->width, fb->height, (unsigned long long)fb->base);
		break;
	case BOOT_FB_INDEXED:
		kprintf("fb: %ux%u, %u bpp indexed colour (not used for the console)\n", fb->width,
			fb->height, fb->bpp);
		break;
	default:
		kprintf("fb: none\n");
		break;
	}

}

/* The first boot module is the initrd: unpacked into the root tmpfs, like Linux's initramfs. */
static void unpack_initrd(const struct bootinfo *bi)
{
	if (bi->module_count == 0)
		return;
	const struct boot_module *m = &bi->modules[0];
	initramfs_unpack(phys_to_virt(m->base), m->size);
	/* FIXME: give the initrd's pages to the page allocator once unpacked, as Linux does. */
}

static char ktest_selection[CMDLINE_VAL_MAX];
static bool ktest_requested;

static int param_ktest(const char *val)
{
	ktest_requested = true;
	strlcpy(ktest_selection, val ? val : "", sizeof(ktest_selection));
	return 0;
}
KPARAM("ktest", param_ktest);

/* Options owned by later subsystems, accepted now so they are not reported as unknown. */
static int param_accept(const char *val)
{
	(void)val;
	return 0;
}
KPARAM("console", param_accept);
KPARAM("init", param_accept);
KPARAM("rdinit", param_accept);

__noreturn void kmain(uint32_t magic, paddr_t info)
{
	percpu_init(0);
	serial_console_init();
	gdt_init();
	idt_init();
	fault_handlers_init();

	static const struct phys_reader reader = { boot_phys_map, NULL };
	int err = bootinfo_parse(&boot_info, magic, info, &reader);
	if (err)
		panic("boot: not started by a multiboot2 or PVH loader (magic 0x%x, error %d)", magic, err);

	cmdline_apply(boot_info.cmdline, __kparam_start, __kparam_end, report_unknown_param,
		      report_invalid_param);
	consoles_init(&boot_info);

	kprintf("\nFerrite " FERRITE_VERSION " (x86_64), built with gcc " __VERSION__ "\n");
	report_boot(&boot_info);

	struct memmap *early = pmm_early_init(&boot_info);
	paging_init(&boot_info, early);
	pmm_init();
	paging_use_page_allocator();
	kheap_init();

	acpi_init(&boot_info);
	irq_init();
	clock_init();
	tick_init();
	sched_init();
	irq_enable();
	vfs_init();
	random_init();
	devfs_init();
	procfs_init();
	unpack_initrd(&boot_info);
	if (irq_mode == IRQ_MODE_APIC)
		smp_init();
	ps2kbd_init();
	pci_init();

	if (ktest_requested)
		ktest_run(ktest_selection);

	kprintf("Ferrite: nothing more to start yet (no init: user processes come with the VFS and ELF loader); idling.\n");
	for (;;) { /* FIXME: a worker thread woken by work_queue replaces this polling */
		work_run_pending();
		thread_sleep_ns(10000000);
	}
}
