/* Kernel glue for the framebuffer console: maps the boot framebuffer and registers "fb0". */
#include "drivers/video/fbcon.h"

#include "arch/x86_64/memlayout.h"
#include "console/console.h"
#include "console/input.h"

static struct fbcon fb0;

static void fb0_write(struct console *con, const char *s, size_t n)
{
	(void)con;
	fbcon_write(&fb0, s, n);
}

/* Status answers go where the keyboard's characters go: the screen's terminal reads them. */
static void fb0_report(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_input_push(s[i]);
}

static struct console fb0_console = { .name = "fb0", .write = fb0_write };

void fbcon_init(const struct boot_framebuffer *fb)
{
	static bool registered;

	if (registered || fb->type == BOOT_FB_NONE)
		return;
	if (fb->type != BOOT_FB_RGB) {
		pr_warn("fbcon: framebuffer type %d is not direct-colour RGB, not used\n", fb->type);
		return;
	}
	/* Until the memory manager maps more, only the boot direct map can reach the pixels. */
	uint64_t size = (uint64_t)fb->pitch * fb->height;
	if (fb->base >= BOOT_DIRECT_MAP_SIZE || size > BOOT_DIRECT_MAP_SIZE - fb->base) {
		pr_warn("fbcon: framebuffer at %#llx (%llu bytes) is beyond the boot direct map, not used\n",
			(unsigned long long)fb->base, (unsigned long long)size);
		return;
	}
	int err = fbcon_setup(&fb0, phys_to_virt(fb->base), fb);
	if (err) {
		pr_warn("fbcon: %ux%u %ubpp pitch %u framebuffer not supported (%d)\n", fb->width,
			fb->height, fb->bpp, fb->pitch, err);
		return;
	}
	fb0.report = fb0_report;
	fb0_console.rows = fb0.rows;
	fb0_console.cols = fb0.cols;
	console_register(&fb0_console);
	registered = true;
	pr_info("fbcon: fb0: %ux%u %ubpp at %#llx, %ux%u text cells\n", fb->width, fb->height,
		fb->bpp, (unsigned long long)fb->base, fb0.cols, fb0.rows);
}
