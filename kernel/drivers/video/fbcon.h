/*
 * Text console drawn with the built-in font on a linear RGB framebuffer (16, 24 or 32 bpp).
 * The drawing core works on any memory buffer, so it is host-tested; fbcon_init() is the kernel
 * glue that maps the boot framebuffer and registers it as console "fb0".
 */
#pragma once

#include "boot/bootinfo.h"
#include "drivers/video/vtparse.h"
#include "lib/types.h"

struct fbcon {
	uint8_t *pixels;        /* top-left pixel */
	uint32_t pitch;         /* bytes per pixel row */
	uint32_t width, height; /* pixels */
	uint8_t bytes_pp;       /* 2, 3 or 4 */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;

	uint32_t cols, rows; /* text cells; both 0 when fbcon_setup() failed */
	uint32_t cx, cy;     /* cursor cell; cx == cols means "the next character wraps first" */
	uint32_t fg, bg;     /* pixel values in the framebuffer's own format */

	/* The cursor is an underline XORed in, so hiding it needs no copy of what was beneath. */
	bool cursor_enabled;
	bool cursor_drawn;
	uint32_t cursor_col, cursor_row, cursor_mask;

	struct vtparse vtp;  /* escape sequences of the Linux console (cursor moves, erases, colours) */
	/* Where answers to device status requests (ESC [ 6 n: the cursor position) go: the
	 * keyboard's input, as a terminal's reply. NULL: none are given. */
	void (*report)(const char *s, size_t n);
};

/*
 * Takes over the framebuffer described by fb whose first pixel is at pixels: clears it to the
 * background colour and puts the cursor top left. Returns 0, or -EINVAL for a format that cannot
 * be drawn on (not RGB, unsupported bpp, pitch too small, misaligned, or smaller than one
 * character cell); then every other call is a harmless no-op.
 */
int fbcon_setup(struct fbcon *fc, void *pixels, const struct boot_framebuffer *fb);

/* 0xRRGGBB converted to this framebuffer's pixel format. */
uint32_t fbcon_pack_rgb(const struct fbcon *fc, uint32_t rgb);
/* Colours (0xRRGGBB) for text written from now on; default light grey on black. */
void fbcon_set_colors(struct fbcon *fc, uint32_t fg_rgb, uint32_t bg_rgb);
void fbcon_set_cursor(struct fbcon *fc, bool visible);
/* Clears the whole screen to the background colour and homes the cursor. */
void fbcon_clear(struct fbcon *fc);

/*
 * Writes text: '\n' starts a new line (it implies '\r', as on every kernel console), '\r',
 * '\t' (stops every 8 columns), '\b' (moves left, does not erase). Other control bytes are
 * ignored; bytes outside ASCII draw the font's box, one per UTF-8 sequence. The escape
 * sequences shells use are obeyed: CSI A/B/C/D/G/H/f/d (cursor), J/K (erase), m (the eight
 * colours), ?25l/?25h (cursor off/on), 5n/6n (status and cursor position, answered through
 * fc->report); others are swallowed.
 */
void fbcon_write(struct fbcon *fc, const char *s, size_t n);
void fbcon_putc(struct fbcon *fc, char c);

/*
 * Kernel only: maps the boot framebuffer through the direct map and registers console "fb0".
 * Logs a warning and does nothing when the framebuffer cannot be used.
 */
void fbcon_init(const struct boot_framebuffer *fb);
