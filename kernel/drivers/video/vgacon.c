/*
 * Console on the EGA/VGA text screen: light grey on black, scrolling, and the hardware cursor
 * kept under the next character. Each cell is a 16-bit word: attribute byte, then CP437 code.
 */
#include "drivers/video/vgacon.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "console/console.h"
#include "console/input.h"
#include "drivers/video/vtparse.h"
#include "lib/compiler.h"

#define VGA_ATTR  0x07 /* light grey on black */
#define VGA_BOX   0xfe /* CP437 small square: stands for any non-ASCII character */
#define VGA_TAB   8

/* CRT controller registers, reached through an index port and the data port after it. */
#define CRTC_COLOUR     0x3d4
#define CRTC_MONO       0x3b4 /* monochrome adapters, text at 0xb0000 */
#define CRTC_CUR_START  0x0a  /* bit 5 disables the cursor; bits 0-4 first scan line */
#define CRTC_CUR_END    0x0b  /* bits 0-4 last scan line */
#define CRTC_CUR_HIGH   0x0e
#define CRTC_CUR_LOW    0x0f

static struct vgacon {
	volatile uint16_t *cells;
	uint32_t stride;     /* cells per screen row, from the pitch */
	uint32_t cols, rows;
	uint32_t cx, cy;     /* cx == cols: the next character wraps first */
	uint16_t crtc;
	uint8_t attr;        /* colours of text written now (SGR) */
	struct vtparse vtp;  /* the Linux console's escape sequences */
} vga;

static inline uint16_t cell(unsigned char c)
{
	return (uint16_t)((vga.attr ? vga.attr : VGA_ATTR) << 8 | c);
}

static void crtc_write(uint8_t reg, uint8_t v)
{
	outb(vga.crtc, reg);
	outb((uint16_t)(vga.crtc + 1), v);
}

static uint8_t crtc_read(uint8_t reg)
{
	outb(vga.crtc, reg);
	return inb((uint16_t)(vga.crtc + 1));
}

static void clear_row(uint32_t y)
{
	volatile uint16_t *row = vga.cells + (size_t)y * vga.stride;
	for (uint32_t x = 0; x < vga.cols; x++)
		row[x] = cell(' ');
}

/* Text memory is tiny (4 KiB), so a word-by-word copy is fast enough even when emulated. */
static void scroll_up(void)
{
	for (uint32_t y = 1; y < vga.rows; y++) {
		volatile uint16_t *dst = vga.cells + (size_t)(y - 1) * vga.stride;
		volatile uint16_t *src = dst + vga.stride;
		for (uint32_t x = 0; x < vga.cols; x++)
			dst[x] = src[x];
	}
	clear_row(vga.rows - 1);
}

static void line_feed(void)
{
	if (vga.cy + 1 < vga.rows)
		vga.cy++;
	else
		scroll_up();
}

static void update_cursor(void)
{
	uint32_t pos = vga.cy * vga.stride + MIN(vga.cx, vga.cols - 1);
	crtc_write(CRTC_CUR_HIGH, (uint8_t)(pos >> 8));
	crtc_write(CRTC_CUR_LOW, (uint8_t)pos);
}

static void emit(unsigned char c)
{
	switch (c) {
	case '\n':
		vga.cx = 0;
		line_feed();
		return;
	case '\r':
		vga.cx = 0;
		return;
	case '\t':
		vga.cx = MIN((vga.cx / VGA_TAB + 1) * VGA_TAB, vga.cols);
		return;
	case '\b':
		if (vga.cx > 0)
			vga.cx--;
		return;
	}
	if (c < 0x20 || c == 0x7f)
		return;
	/* UTF-8 continuation bytes belong to the character whose lead byte drew the box. */
	if (c >= 0x80 && c < 0xc0)
		return;
	if (c >= 0x80)
		c = VGA_BOX; /* the screen's code page is CP437, not Unicode */
	if (vga.cx >= vga.cols) {
		vga.cx = 0;
		line_feed();
	}
	vga.cells[(size_t)vga.cy * vga.stride + vga.cx] = cell(c);
	vga.cx++;
}

static void erase_cells(uint32_t y, uint32_t x0, uint32_t x1)
{
	for (uint32_t x = x0; x < x1 && x < vga.cols; x++)
		vga.cells[(size_t)y * vga.stride + x] = cell(' ');
}

/* ANSI colour order (black, red, green, yellow...) to the VGA palette's. */
static const uint8_t ansi_to_vga[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

static void select_graphic(const struct vt_seq *s)
{
	uint8_t a = vga.attr ? vga.attr : VGA_ATTR;
	for (unsigned i = 0; i < (s->nparams ? s->nparams : 1); i++) {
		unsigned p = s->nparams ? s->params[i] : 0;
		if (p == 0)
			a = VGA_ATTR;
		else if (p >= 30 && p <= 37)
			a = (uint8_t)((a & 0xf0) | ansi_to_vga[p - 30]);
		else if (p == 39)
			a = (uint8_t)((a & 0xf0) | (VGA_ATTR & 0x0f));
		else if (p >= 40 && p <= 47)
			a = (uint8_t)((a & 0x0f) | ansi_to_vga[p - 40] << 4);
		else if (p == 49)
			a = (uint8_t)(a & 0x0f);
	}
	vga.attr = a;
}

/* The same subset as fbcon: cursor moves, erases, colours. */
static void do_sequence(const struct vt_seq *s)
{
	if (!s->csi || s->private_)
		return;
	uint32_t cx = MIN(vga.cx, vga.cols - 1), cy = vga.cy;
	unsigned n = vt_seq_param(s, 0, 1), mode = s->nparams ? s->params[0] : 0;
	switch (s->final) {
	case 'A': vga.cy = cy > n ? cy - n : 0; vga.cx = cx; break;
	case 'B': vga.cy = MIN(cy + n, vga.rows - 1); vga.cx = cx; break;
	case 'C': vga.cx = MIN(cx + n, vga.cols - 1); break;
	case 'D': vga.cx = cx > n ? cx - n : 0; break;
	case 'G': vga.cx = MIN(n, vga.cols) - 1; break;
	case 'd': vga.cy = MIN(n, vga.rows) - 1; break;
	case 'H':
	case 'f':
		vga.cy = MIN(n, vga.rows) - 1;
		vga.cx = MIN(vt_seq_param(s, 1, 1), vga.cols) - 1;
		break;
	case 'K':
		erase_cells(cy, mode == 0 ? cx : 0, mode == 1 ? cx + 1 : vga.cols);
		break;
	case 'J':
		for (uint32_t y = 0; y < vga.rows; y++) {
			if ((mode == 0 && y > cy) || (mode == 1 && y < cy) || mode >= 2)
				erase_cells(y, 0, vga.cols);
			else if (y == cy && mode < 2)
				erase_cells(y, mode == 0 ? cx : 0, mode == 1 ? cx + 1 : vga.cols);
		}
		break;
	case 'm': select_graphic(s); break;
	case 'n': { /* status reports: answered as typed input, like a terminal */
		char reply[24];
		size_t len = vt_status_reply(s, cx, cy, reply);
		for (size_t i = 0; i < len; i++)
			console_input_push(reply[i]);
		break;
	}
	default: break;
	}
}

static void vga0_write(struct console *con, const char *s, size_t n)
{
	(void)con;
	for (size_t i = 0; i < n; i++) {
		struct vt_seq seq;
		switch (vtparse_feed(&vga.vtp, (uint8_t)s[i], &seq)) {
		case VTP_PRINT: emit((unsigned char)s[i]); break;
		case VTP_SEQ: do_sequence(&seq); break;
		case VTP_NONE: break;
		}
	}
	update_cursor();
}

static struct console vga0_console = { .name = "vga0", .write = vga0_write };

void vgacon_init(const struct boot_framebuffer *fb)
{
	if (vga.cells || fb->type == BOOT_FB_NONE)
		return;
	if (fb->type != BOOT_FB_EGA_TEXT) {
		pr_warn("vgacon: framebuffer type %d is not a text screen, not used\n", fb->type);
		return;
	}
	uint32_t stride = fb->pitch ? fb->pitch / 2 : fb->width;
	uint64_t size = (uint64_t)stride * 2 * fb->height;
	if (fb->width == 0 || fb->height == 0 || stride < fb->width ||
	    fb->base >= BOOT_DIRECT_MAP_SIZE || size > BOOT_DIRECT_MAP_SIZE - fb->base) {
		pr_warn("vgacon: %ux%u text screen at %#llx pitch %u is not usable\n", fb->width,
			fb->height, (unsigned long long)fb->base, fb->pitch);
		return;
	}

	vga.cells = phys_to_virt(fb->base);
	vga.stride = stride;
	vga.cols = fb->width;
	vga.rows = fb->height;
	vga.crtc = fb->base == 0xb0000 ? CRTC_MONO : CRTC_COLOUR;
	for (uint32_t y = 0; y < vga.rows; y++)
		clear_row(y);
	vga.cx = vga.cy = 0;

	/* Firmware may have hidden the cursor; show it as an underline on scan lines 14-15. */
	crtc_write(CRTC_CUR_START, (uint8_t)((crtc_read(CRTC_CUR_START) & 0xc0) | 14));
	crtc_write(CRTC_CUR_END, (uint8_t)((crtc_read(CRTC_CUR_END) & 0xe0) | 15));
	update_cursor();

	console_register(&vga0_console);
	pr_info("vgacon: vga0: %ux%u text at %#llx\n", vga.cols, vga.rows,
		(unsigned long long)fb->base);
}
