/* kmain: the first C code. Parses what the loader handed over, brings up the consoles, reports. */
#include "net/unix/unix.h"
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
#include "drivers/block/virtio_blk.h"
#include "drivers/block/ahci.h"
#include "drivers/block/nvme.h"
#include "drivers/block/ata_piix.h"
#include "drivers/serial/uart16550.h"
#include "drivers/input/ps2kbd.h"
#include "drivers/net/netdrivers.h"
#include "drivers/pci/pci.h"
#include "drivers/video/fbcon.h"
#include "drivers/video/vgacon.h"
#include "fs/devfs.h"
#include "fs/ext2/ext2_fs.h"
#include "fs/fat/fat_fs.h"
#include "fs/initramfs.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "init/init.h"
#include "ipc/ipc.h"
#include "irq/irq_internal.h"
#include "lib/cmdline.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "lib/work.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "net/net.h"
#include "net/ipv4/af_inet.h"
#include "net/packet/packet.h"
#include "net/tcp/tcp.h"
#include "net/netlink/netlink.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"
#include "time/tick.h"
#include "tty/tty.h"

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


/* PID 1, as Linux picks it: rdinit= (default /init), then init=, then the usual places. */
static char rdinit_path[CMDLINE_VAL_MAX] = "/init";
static char init_path[CMDLINE_VAL_MAX];

static int param_rdinit(const char *val)
{
	if (!val || val[0] != '/')
		return -1;
	strlcpy(rdinit_path, val, sizeof(rdinit_path));
	return 0;
}
KPARAM("rdinit", param_rdinit);

static int param_init(const char *val)
{
	if (!val || val[0] != '/')
		return -1;
	strlcpy(init_path, val, sizeof(init_path));
	return 0;
}
KPARAM("init", param_init);

static void start_init(void)
{
	static const char *paths[8];
	int n = 0;
	paths[n++] = rdinit_path;
	if (init_path[0])
		paths[n++] = init_path;
	paths[n++] = "/sbin/init";
	paths[n++] = "/etc/init";
	paths[n++] = "/bin/init";
	paths[n++] = "/bin/sh";
	paths[n] = NULL;
	/* Words after a lone "--" are init's arguments, as on Linux (each parsed like an option). */
	static char words[62][CMDLINE_VAL_MAX + CMDLINE_KEY_MAX];
	static char *argv[64] = { "init" };
	int argc = 1;
	const char *pos = boot_info.cmdline;
	struct cmdline_param p;
	while (cmdline_next(&pos, &p))
		;
	while (argc < 63 && cmdline_next(&pos, &p)) {
		snprintf(words[argc - 1], sizeof(words[0]), p.has_val ? "%s=%s" : "%s", p.key, p.val);
		argv[argc] = words[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	static char *const envp[] = { "HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin", NULL };
	process_start_init(paths, argv, envp);
}

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
	unix_init();
	ext2_init();
	fat_init();
	ipc_init();
	unpack_initrd(&boot_info);
	if (irq_mode == IRQ_MODE_APIC)
		smp_init();
	ps2kbd_init();
	net_init(); /* before the drivers: they register their devices */
	inet_init();
	tcp_init();
	packet_init();
	netlink_init();
	pci_init();
	virtio_blk_init();
	ahci_init();
	nvme_init();
	ata_piix_init();
	e1000_init();
	virtio_net_init();
	/* After pci_init: hot-plug work must not run beside the boot-time slot set-up. */
	work_start_worker();
	proc_init();
	signal_init();
	futex_init();
	syscall_init();

	tty_init();

	if (ktest_requested)
		ktest_run(ktest_selection);

	start_init();
	for (;;) /* the boot thread's work is done; init and the worker carry on */
		thread_sleep_ns(1000000000ull);
}
