/*
 * Framebuffer text console: glyph drawing, cursor, wrapping and scrolling on a pixel buffer.
 * No kernel dependencies beyond the font and string functions (see fbcon_console.c for those).
 */
#include "drivers/video/fbcon.h"

#include "drivers/video/font.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

#define FBCON_DEFAULT_FG 0xc0c0c0 /* light grey */
#define FBCON_DEFAULT_BG 0x000000
#define FBCON_TAB        8
#define CURSOR_LINES     2 /* underline: the bottom two pixel rows of the cell */

static uint32_t pack_channel(uint32_t v8, uint8_t pos, uint8_t size)
{
	if (size == 0)
		return 0;
	uint32_t v = size <= 8 ? v8 >> (8 - size) : v8 << (size - 8);
	return v << pos;
}

uint32_t fbcon_pack_rgb(const struct fbcon *fc, uint32_t rgb)
{
	return pack_channel((rgb >> 16) & 0xff, fc->red_pos, fc->red_size) |
	       pack_channel((rgb >> 8) & 0xff, fc->green_pos, fc->green_size) |
	       pack_channel(rgb & 0xff, fc->blue_pos, fc->blue_size);
}

static bool field_ok(uint8_t pos, uint8_t size, unsigned bits)
{
	return size <= 16 && pos + size <= bits;
}

/* Fills pixel rows [y, y + n) across the whole width with pixel value v. */
static void fill_rows(struct fbcon *fc, uint32_t y, uint32_t n, uint32_t v)
{
	uint8_t *line = fc->pixels + (size_t)y * fc->pitch;
	for (uint32_t r = 0; r < n; r++, line += fc->pitch) {
		if (fc->bytes_pp == 4) {
			uint32_t *p = (uint32_t *)line;
			for (uint32_t x = 0; x < fc->width; x++)
				p[x] = v;
		} else if (fc->bytes_pp == 2) {
			uint16_t *p = (uint16_t *)line;
			for (uint32_t x = 0; x < fc->width; x++)
				p[x] = (uint16_t)v;
		} else {
			uint8_t *p = line;
			for (uint32_t x = 0; x < fc->width; x++, p += 3) {
				p[0] = (uint8_t)v;
				p[1] = (uint8_t)(v >> 8);
				p[2] = (uint8_t)(v >> 16);
			}
		}
	}
}

static void draw_glyph(struct fbcon *fc, uint32_t col, uint32_t row, unsigned char c)
{
	const uint8_t *g = font_glyph(c);
	uint8_t *line = fc->pixels + (size_t)row * FONT_HEIGHT * fc->pitch +
			(size_t)col * FONT_WIDTH * fc->bytes_pp;
	uint32_t fg = fc->fg, bg = fc->bg;

	for (int y = 0; y < FONT_HEIGHT; y++, line += fc->pitch) {
		unsigned bits = g[y];
		if (fc->bytes_pp == 4) {
			uint32_t *p = (uint32_t *)line;
			for (int x = 0; x < FONT_WIDTH; x++)
				p[x] = bits & (0x80u >> x) ? fg : bg;
		} else if (fc->bytes_pp == 2) {
			uint16_t *p = (uint16_t *)line;
			for (int x = 0; x < FONT_WIDTH; x++)
				p[x] = (uint16_t)(bits & (0x80u >> x) ? fg : bg);
		} else {
			uint8_t *p = line;
			for (int x = 0; x < FONT_WIDTH; x++, p += 3) {
				uint32_t v = bits & (0x80u >> x) ? fg : bg;
				p[0] = (uint8_t)v;
				p[1] = (uint8_t)(v >> 8);
				p[2] = (uint8_t)(v >> 16);
			}
		}
	}
}

/*
 * Copies n bytes down to dst from src above it; forward order is safe for that overlap.
 * Eight words per iteration because under QEMU TCG each loop step (or each step of a rep movs)
 * costs about the same whatever it moves, and a scroll moves the whole screen. The empty asm
 * hides the pattern from GCC, which would otherwise turn the loop back into memmove().
 */
static void copy_down(uint8_t *dst, const uint8_t *src, size_t n)
{
	while (n >= 64) {
		uint64_t a, b, c, d, e, f, g, h;
		__asm__("" : "+r"(dst), "+r"(src));
		__builtin_memcpy(&a, src, 8), __builtin_memcpy(&b, src + 8, 8);
		__builtin_memcpy(&c, src + 16, 8), __builtin_memcpy(&d, src + 24, 8);
		__builtin_memcpy(&e, src + 32, 8), __builtin_memcpy(&f, src + 40, 8);
		__builtin_memcpy(&g, src + 48, 8), __builtin_memcpy(&h, src + 56, 8);
		__builtin_memcpy(dst, &a, 8), __builtin_memcpy(dst + 8, &b, 8);
		__builtin_memcpy(dst + 16, &c, 8), __builtin_memcpy(dst + 24, &d, 8);
		__builtin_memcpy(dst + 32, &e, 8), __builtin_memcpy(dst + 40, &f, 8);
		__builtin_memcpy(dst + 48, &g, 8), __builtin_memcpy(dst + 56, &h, 8);
		dst += 64;
		src += 64;
		n -= 64;
	}
	while (n--)
		*dst++ = *src++;
}

/* Moves every text line up by one and clears the new bottom line. */
static void scroll_up(struct fbcon *fc)
{
	size_t line_bytes = (size_t)FONT_HEIGHT * fc->pitch;
	copy_down(fc->pixels, fc->pixels + line_bytes, (fc->rows - 1) * line_bytes);
	fill_rows(fc, (fc->rows - 1) * FONT_HEIGHT, FONT_HEIGHT, fc->bg);
}

static void line_feed(struct fbcon *fc)
{
	if (fc->cy + 1 < fc->rows)
		fc->cy++;
	else
		scroll_up(fc);
}

/* XORing with fg ^ bg swaps the two colours, so doing it twice restores the cell exactly. */
static void cursor_xor(struct fbcon *fc)
{
	uint8_t *line = fc->pixels +
			((size_t)fc->cursor_row * FONT_HEIGHT + FONT_HEIGHT - CURSOR_LINES) * fc->pitch +
			(size_t)fc->cursor_col * FONT_WIDTH * fc->bytes_pp;
	for (int y = 0; y < CURSOR_LINES; y++, line += fc->pitch)
		for (int i = 0; i < FONT_WIDTH * fc->bytes_pp; i++)
			line[i] ^= (uint8_t)(fc->cursor_mask >> (8 * (i % fc->bytes_pp)));
}

static void cursor_hide(struct fbcon *fc)
{
	if (fc->cursor_drawn) {
		cursor_xor(fc);
		fc->cursor_drawn = false;
	}
}

static void cursor_show(struct fbcon *fc)
{
	if (!fc->cursor_enabled || fc->cursor_drawn)
		return;
	/* In the pending-wrap state the cursor stays on the last column, like a terminal's. */
	fc->cursor_col = MIN(fc->cx, fc->cols - 1);
	fc->cursor_row = fc->cy;
	fc->cursor_mask = fc->fg ^ fc->bg;
	cursor_xor(fc);
	fc->cursor_drawn = true;
}

int fbcon_setup(struct fbcon *fc, void *pixels, const struct boot_framebuffer *fb)
{
	memset(fc, 0, sizeof(*fc));
	if (!pixels || fb->type != BOOT_FB_RGB)
		return -EINVAL;
	if (fb->bpp != 15 && fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32)
		return -EINVAL;
	unsigned bytes = (fb->bpp + 7u) / 8;
	unsigned bits = bytes * 8;
	if ((uint64_t)fb->width * bytes > fb->pitch)
		return -EINVAL;
	/* Glyph rows are written as whole 16- or 32-bit pixels. */
	if (bytes != 3 && ((uintptr_t)pixels % bytes || fb->pitch % bytes))
		return -EINVAL;

	struct fbcon f = {
		.pixels = pixels, .pitch = fb->pitch, .width = fb->width, .height = fb->height,
		.bytes_pp = (uint8_t)bytes,
		.red_pos = fb->red_pos, .red_size = fb->red_size,
		.green_pos = fb->green_pos, .green_size = fb->green_size,
		.blue_pos = fb->blue_pos, .blue_size = fb->blue_size,
		.cols = fb->width / FONT_WIDTH, .rows = fb->height / FONT_HEIGHT,
		.cursor_enabled = true,
	};
	if (!f.red_size && !f.green_size && !f.blue_size) {
		/* Some loaders leave the masks empty; 24/32 bpp is then almost always x:R:G:B. */
		if (bytes < 3)
			return -EINVAL;
		f.red_pos = 16, f.green_pos = 8, f.blue_pos = 0;
		f.red_size = f.green_size = f.blue_size = 8;
	}
	if (!field_ok(f.red_pos, f.red_size, bits) || !field_ok(f.green_pos, f.green_size, bits) ||
	    !field_ok(f.blue_pos, f.blue_size, bits))
		return -EINVAL;
	if (f.cols == 0 || f.rows == 0)
		return -EINVAL;

	f.fg = fbcon_pack_rgb(&f, FBCON_DEFAULT_FG);
	f.bg = fbcon_pack_rgb(&f, FBCON_DEFAULT_BG);
	*fc = f;
	fbcon_clear(fc);
	return 0;
}

void fbcon_set_colors(struct fbcon *fc, uint32_t fg_rgb, uint32_t bg_rgb)
{
	if (!fc->cols)
		return;
	cursor_hide(fc);
	fc->fg = fbcon_pack_rgb(fc, fg_rgb);
	fc->bg = fbcon_pack_rgb(fc, bg_rgb);
	cursor_show(fc);
}

void fbcon_set_cursor(struct fbcon *fc, bool visible)
{
	if (!fc->cols)
		return;
	cursor_hide(fc);
	fc->cursor_enabled = visible;
	cursor_show(fc);
}

void fbcon_clear(struct fbcon *fc)
{
	if (!fc->cols)
		return;
	fc->cursor_drawn = false; /* about to be painted over */
	fill_rows(fc, 0, fc->height, fc->bg);
	fc->cx = fc->cy = 0;
	cursor_show(fc);
}

static void emit(struct fbcon *fc, unsigned char c)
{
	switch (c) {
	case '\n':
		fc->cx = 0;
		line_feed(fc);
		return;
	case '\r':
		fc->cx = 0;
		return;
	case '\t':
		fc->cx = MIN((fc->cx / FBCON_TAB + 1) * FBCON_TAB, fc->cols);
		return;
	case '\b':
		if (fc->cx > 0)
			fc->cx--;
		return;
	}
	if (c < 0x20 || c == 0x7f)
		return;
	/* A UTF-8 continuation byte: its lead byte already drew the box for this character. */
	if (c >= 0x80 && c < 0xc0)
		return;
	if (fc->cx >= fc->cols) {
		fc->cx = 0;
		line_feed(fc);
	}
	draw_glyph(fc, fc->cx, fc->cy, c);
	fc->cx++;
}

/* Blanks cells [x0, x1) of a text row in the background colour. */
static void erase_cells(struct fbcon *fc, uint32_t row, uint32_t x0, uint32_t x1)
{
	for (uint32_t x = x0; x < x1 && x < fc->cols; x++)
		draw_glyph(fc, x, row, ' ');
}

static const uint32_t ansi_rgb[8] = {
	0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xc0c0c0,
};

static void select_graphic(struct fbcon *fc, const struct vt_seq *s)
{
	for (unsigned i = 0; i < (s->nparams ? s->nparams : 1); i++) {
		unsigned p = s->nparams ? s->params[i] : 0;
		if (p == 0) {
			fc->fg = fbcon_pack_rgb(fc, FBCON_DEFAULT_FG);
			fc->bg = fbcon_pack_rgb(fc, FBCON_DEFAULT_BG);
		} else if (p >= 30 && p <= 37) {
			fc->fg = fbcon_pack_rgb(fc, ansi_rgb[p - 30]);
		} else if (p == 39) {
			fc->fg = fbcon_pack_rgb(fc, FBCON_DEFAULT_FG);
		} else if (p >= 40 && p <= 47) {
			fc->bg = fbcon_pack_rgb(fc, ansi_rgb[p - 40]);
		} else if (p == 49) {
			fc->bg = fbcon_pack_rgb(fc, FBCON_DEFAULT_BG);
		} /* FIXME: bold, underline, reverse and 256 colours are ignored */
	}
}

static void do_sequence(struct fbcon *fc, const struct vt_seq *s)
{
	if (!s->csi)
		return; /* FIXME: ESC 7/8 (save/restore) and ESC c (reset) are swallowed */
	uint32_t cx = MIN(fc->cx, fc->cols - 1), cy = fc->cy;
	unsigned n = vt_seq_param(s, 0, 1);
	if (s->private_) {
		if (s->nparams == 1 && s->params[0] == 25 && (s->final == 'h' || s->final == 'l'))
			fc->cursor_enabled = s->final == 'h';
		return;
	}
	switch (s->final) {
	case 'A': fc->cy = cy > n ? cy - n : 0; fc->cx = cx; break;
	case 'B': fc->cy = MIN(cy + n, fc->rows - 1); fc->cx = cx; break;
	case 'C': fc->cx = MIN(cx + n, fc->cols - 1); break;
	case 'D': fc->cx = cx > n ? cx - n : 0; break;
	case 'G': fc->cx = MIN(n, fc->cols) - 1; break;
	case 'd': fc->cy = MIN(n, fc->rows) - 1; break;
	case 'H':
	case 'f':
		fc->cy = MIN(n, fc->rows) - 1;
		fc->cx = MIN(vt_seq_param(s, 1, 1), fc->cols) - 1;
		break;
	case 'K': {
		unsigned mode = s->nparams ? s->params[0] : 0;
		if (mode == 0)
			erase_cells(fc, cy, cx, fc->cols);
		else if (mode == 1)
			erase_cells(fc, cy, 0, cx + 1);
		else if (mode == 2)
			erase_cells(fc, cy, 0, fc->cols);
		break;
	}
	case 'J': {
		unsigned mode = s->nparams ? s->params[0] : 0;
		if (mode == 0) {
			erase_cells(fc, cy, cx, fc->cols);
			if (cy + 1 < fc->rows)
				fill_rows(fc, (cy + 1) * FONT_HEIGHT, (fc->rows - cy - 1) * FONT_HEIGHT, fc->bg);
		} else if (mode == 1) {
			fill_rows(fc, 0, cy * FONT_HEIGHT, fc->bg);
			erase_cells(fc, cy, 0, cx + 1);
		} else {
			fill_rows(fc, 0, fc->rows * FONT_HEIGHT, fc->bg);
		}
		break;
	}
	case 'm': select_graphic(fc, s); break;
	case 'n': {
		char reply[24];
		size_t len = vt_status_reply(s, cx, cy, reply);
		if (len && fc->report)
			fc->report(reply, len);
		break;
	}
	default: break; /* FIXME: scroll regions, insert/delete are not done */
	}
}

void fbcon_write(struct fbcon *fc, const char *s, size_t n)
{
	if (!fc->cols)
		return;
	cursor_hide(fc);
	for (size_t i = 0; i < n; i++) {
		struct vt_seq seq;
		switch (vtparse_feed(&fc->vtp, (uint8_t)s[i], &seq)) {
		case VTP_PRINT: emit(fc, (unsigned char)s[i]); break;
		case VTP_SEQ: do_sequence(fc, &seq); break;
		case VTP_NONE: break;
		}
	}
	cursor_show(fc);
}

void fbcon_putc(struct fbcon *fc, char c)
{
	fbcon_write(fc, &c, 1);
}
