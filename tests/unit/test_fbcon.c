// unit-deps: kernel/drivers/video/fbcon.c kernel/drivers/video/font8x16.c kernel/lib/string.c kernel/drivers/video/vtparse.c
/* The framebuffer console's drawing core, run on malloc'd pixel buffers. */
#include "unit.h"
#include "host_prefix.h"

#include <stdlib.h>

#include "drivers/video/fbcon.h"
#include "drivers/video/font.h"
#include "lib/string.h"

#define WHITE 0xffffff
#define BLACK 0x000000

/* A framebuffer of cols x rows cells plus extra pixels, in the given pixel format. */
struct fakefb {
	struct boot_framebuffer desc;
	uint8_t *mem;
	size_t size;
};

static void fake_init(struct fakefb *f, uint32_t w, uint32_t h, uint8_t bpp, uint32_t pad)
{
	memset(f, 0, sizeof(*f));
	f->desc.type = BOOT_FB_RGB;
	f->desc.width = w;
	f->desc.height = h;
	f->desc.bpp = bpp;
	f->desc.pitch = w * ((bpp + 7u) / 8) + pad;
	if (bpp == 16) {
		f->desc.red_pos = 11, f->desc.red_size = 5;
		f->desc.green_pos = 5, f->desc.green_size = 6;
		f->desc.blue_pos = 0, f->desc.blue_size = 5;
	} else {
		f->desc.red_pos = 16, f->desc.red_size = 8;
		f->desc.green_pos = 8, f->desc.green_size = 8;
		f->desc.blue_pos = 0, f->desc.blue_size = 8;
	}
	f->size = (size_t)f->desc.pitch * h;
	f->mem = malloc(f->size ? f->size : 1); /* exact size: ASan catches any overrun */
	memset(f->mem, 0x5a, f->size);
}

static uint32_t pixel(const struct fakefb *f, uint32_t x, uint32_t y)
{
	const uint8_t *p = f->mem + (size_t)y * f->desc.pitch + (size_t)x * ((f->desc.bpp + 7) / 8);
	switch ((f->desc.bpp + 7) / 8) {
	case 4: return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	case 3: return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	default: return (uint32_t)p[0] | (uint32_t)p[1] << 8;
	}
}

/*
 * Does cell (col, row) show character c in fg on bg? Compares the first nrows pixel rows, so a
 * caller can leave out the rows the cursor underline covers. Returns -1 on a match, else the
 * first mismatching pixel index (y * 8 + x) for the failure message.
 */
static int cell_diff(const struct fakefb *f, uint32_t col, uint32_t row, unsigned char c,
		     uint32_t fg, uint32_t bg, int nrows)
{
	const uint8_t *g = font_glyph(c);
	for (int y = 0; y < nrows; y++)
		for (int x = 0; x < FONT_WIDTH; x++) {
			uint32_t want = g[y] & (0x80 >> x) ? fg : bg;
			if (pixel(f, col * FONT_WIDTH + x, row * FONT_HEIGHT + y) != want)
				return y * FONT_WIDTH + x;
		}
	return -1;
}

#define CHECK_CELL(f, col, row, c, fg, bg) CHECK_INT(cell_diff(f, col, row, c, fg, bg, FONT_HEIGHT), -1)

static void puts_fc(struct fbcon *fc, const char *s)
{
	fbcon_write(fc, s, strlen(s));
}

TEST(font_covers_ascii_with_distinct_glyphs)
{
	static const uint8_t blank[FONT_HEIGHT];
	CHECK(memcmp(font_glyph(' '), blank, FONT_HEIGHT) == 0);
	for (int c = 0x21; c <= 0x7e; c++) {
		CHECK(memcmp(font_glyph((unsigned char)c), blank, FONT_HEIGHT) != 0);
		for (int d = c + 1; d <= 0x7e; d++)
			CHECK(memcmp(font_glyph((unsigned char)c), font_glyph((unsigned char)d), FONT_HEIGHT) != 0);
		/* Column 7 is the gap between characters; only '_' draws into it. */
		if (c != '_')
			for (int y = 0; y < FONT_HEIGHT; y++)
				CHECK_INT(font_glyph((unsigned char)c)[y] & 1, 0);
	}
	/* Anything outside printable ASCII is the box, never a real character. */
	CHECK(font_glyph(0x80) == font_glyph(0x7f));
	CHECK(font_glyph(0xff) == font_glyph(0x7f));
	CHECK(font_glyph('\n') == font_glyph(0x7f));
	CHECK(font_glyph('A') != font_glyph(0x7f));
}

TEST(font_descenders_only_where_expected)
{
	for (int c = 'a'; c <= 'z'; c++) {
		const uint8_t *g = font_glyph((unsigned char)c);
		bool below = g[13] | g[14] | g[15];
		bool expect = c == 'g' || c == 'j' || c == 'p' || c == 'q' || c == 'y';
		CHECK_INT(below, expect);
	}
	/* Capitals and digits sit on the baseline (row 12) and start at row 3. */
	for (int c = 'A'; c <= 'Z'; c++) {
		CHECK(font_glyph((unsigned char)c)[12] != 0);
		CHECK(font_glyph((unsigned char)c)[3] != 0);
		CHECK_INT(font_glyph((unsigned char)c)[13], 0);
	}
}

TEST(renders_A_in_32bpp)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 80, 32, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	CHECK_INT(fc.cols, 10);
	CHECK_INT(fc.rows, 2);
	fbcon_set_colors(&fc, 0x123456, 0x000080);
	puts_fc(&fc, "A");
	CHECK_INT(fc.cx, 1);
	CHECK_INT(fc.cy, 0);
	CHECK_CELL(&f, 0, 0, 'A', 0x123456, 0x000080);
	/* setup cleared everything else to the background... */
	CHECK_INT(pixel(&f, 79, 31), 0x000000); /* cleared with the default black, before set_colors */
	/* ...and the cursor is an underline in the cell after the 'A'. */
	CHECK_INT(cell_diff(&f, 1, 0, ' ', 0, 0, FONT_HEIGHT - 2), -1);
	CHECK_INT(pixel(&f, 8, 14), 0x123456 ^ 0x000080 ^ 0x000000);
	fbcon_set_cursor(&fc, false);
	CHECK_CELL(&f, 1, 0, ' ', 0, 0);
	fbcon_set_cursor(&fc, true);
	CHECK(pixel(&f, 15, 15) != 0);
	free(f.mem);
}

TEST(packs_16bpp_565_and_24bpp)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 16, 16, 16, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	CHECK_INT(fbcon_pack_rgb(&fc, 0xffffff), 0xffff);
	CHECK_INT(fbcon_pack_rgb(&fc, 0xff0000), 0xf800);
	CHECK_INT(fbcon_pack_rgb(&fc, 0x00ff00), 0x07e0);
	CHECK_INT(fbcon_pack_rgb(&fc, 0x0000ff), 0x001f);
	CHECK_INT(fbcon_pack_rgb(&fc, 0xff8040), 0xfc08);
	fbcon_set_colors(&fc, 0xff8040, 0x0000ff);
	fbcon_set_cursor(&fc, false);
	puts_fc(&fc, "x");
	CHECK_CELL(&f, 0, 0, 'x', 0xfc08, 0x001f);

	/* 15 bpp (5:5:5) is stored in 16-bit pixels. */
	struct fakefb g;
	fake_init(&g, 8, 16, 15, 0);
	g.desc.red_pos = 10, g.desc.red_size = 5;
	g.desc.green_pos = 5, g.desc.green_size = 5;
	CHECK_INT(fbcon_setup(&fc, g.mem, &g.desc), 0);
	CHECK_INT(fbcon_pack_rgb(&fc, 0x00ff00), 0x03e0);

	/* 24 bpp, blue in the first byte: each pixel is three bytes B, G, R. */
	struct fakefb h;
	fake_init(&h, 16, 16, 24, 0);
	CHECK_INT(fbcon_setup(&fc, h.mem, &h.desc), 0);
	fbcon_set_colors(&fc, 0x102030, 0x405060);
	fbcon_set_cursor(&fc, false);
	puts_fc(&fc, "#");
	CHECK_CELL(&h, 0, 0, '#', 0x102030, 0x405060);
	CHECK_INT(h.mem[(size_t)6 * h.desc.pitch + 0], 0x30); /* row 6 of '#' is inked from x = 0 */
	CHECK_INT(h.mem[(size_t)6 * h.desc.pitch + 2], 0x10);
	free(f.mem);
	free(g.mem);
	free(h.mem);
}

TEST(wraps_at_right_edge)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 3 * 8 + 5, 3 * 16, 32, 0); /* 3 columns and a few spare pixels */
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	CHECK_INT(fc.cols, 3);
	fbcon_set_colors(&fc, WHITE, BLACK);
	fbcon_set_cursor(&fc, false);
	puts_fc(&fc, "abc");
	/* A full line leaves the cursor pending on it, so a newline right after adds no blank line. */
	CHECK_INT(fc.cx, 3);
	CHECK_INT(fc.cy, 0);
	puts_fc(&fc, "d");
	CHECK_INT(fc.cx, 1);
	CHECK_INT(fc.cy, 1);
	CHECK_CELL(&f, 2, 0, 'c', WHITE, BLACK);
	CHECK_CELL(&f, 0, 1, 'd', WHITE, BLACK);
	puts_fc(&fc, "ef\n");
	CHECK_INT(fc.cx, 0);
	CHECK_INT(fc.cy, 2);
	/* The spare pixels right of the last column are never drawn on. */
	for (uint32_t y = 0; y < f.desc.height; y++)
		CHECK_INT(pixel(&f, 3 * 8 + 4, y), 0);
	free(f.mem);
}

TEST(scrolls_up_and_clears_last_line)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 4 * 8, 3 * 16 + 5, 32, 12); /* 4x3 cells, padded pitch, spare rows below */
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	CHECK_INT(fc.rows, 3);
	fbcon_set_colors(&fc, WHITE, 0x101010);
	fbcon_set_cursor(&fc, false);
	puts_fc(&fc, "a\nb\ncWXY");
	CHECK_INT(fc.cy, 2);
	/* Paint the spare pixel rows below the text area; scrolling must not touch them. */
	uint8_t *spare = f.mem + (size_t)3 * 16 * f.desc.pitch;
	memset(spare, 0x77, (size_t)5 * f.desc.pitch);

	puts_fc(&fc, "\n");
	CHECK_INT(fc.cx, 0);
	CHECK_INT(fc.cy, 2);
	CHECK_CELL(&f, 0, 0, 'b', WHITE, 0x101010);
	CHECK_CELL(&f, 0, 1, 'c', WHITE, 0x101010);
	CHECK_CELL(&f, 3, 1, 'Y', WHITE, 0x101010);
	for (uint32_t x = 0; x < 4; x++)
		CHECK_CELL(&f, x, 2, ' ', WHITE, 0x101010);
	for (size_t i = 0; i < (size_t)5 * f.desc.pitch; i++)
		CHECK_INT(spare[i], 0x77);

	/* Wrapping on the bottom line scrolls too. */
	puts_fc(&fc, "12345");
	CHECK_CELL(&f, 0, 0, 'c', WHITE, 0x101010);
	CHECK_CELL(&f, 3, 1, '4', WHITE, 0x101010);
	CHECK_CELL(&f, 0, 2, '5', WHITE, 0x101010);
	CHECK_CELL(&f, 1, 2, ' ', WHITE, 0x101010);

	/* Many scrolls in a row with the cursor on: the cursor leaves no trail. */
	fbcon_set_cursor(&fc, true);
	for (int i = 0; i < 10; i++)
		puts_fc(&fc, "z\n");
	fbcon_set_cursor(&fc, false);
	CHECK_CELL(&f, 0, 0, 'z', WHITE, 0x101010);
	CHECK_CELL(&f, 0, 1, 'z', WHITE, 0x101010);
	CHECK_CELL(&f, 0, 2, ' ', WHITE, 0x101010);
	CHECK_CELL(&f, 1, 1, ' ', WHITE, 0x101010);
	free(f.mem);
}

TEST(control_characters_move_the_cursor)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 20 * 8, 4 * 16, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	fbcon_set_colors(&fc, WHITE, BLACK);
	fbcon_set_cursor(&fc, false);

	puts_fc(&fc, "\tx");
	CHECK_INT(fc.cx, 9);
	CHECK_CELL(&f, 8, 0, 'x', WHITE, BLACK);
	puts_fc(&fc, "\t");
	CHECK_INT(fc.cx, 16);
	puts_fc(&fc, "\t"); /* the last stop is the right edge */
	CHECK_INT(fc.cx, 20);
	puts_fc(&fc, "\t");
	CHECK_INT(fc.cx, 20);
	CHECK_INT(fc.cy, 0);

	puts_fc(&fc, "\nab\bc");
	CHECK_INT(fc.cy, 1);
	CHECK_INT(fc.cx, 2);
	CHECK_CELL(&f, 0, 1, 'a', WHITE, BLACK);
	CHECK_CELL(&f, 1, 1, 'c', WHITE, BLACK);
	puts_fc(&fc, "\b\b\b\b"); /* stops at column 0, does not climb to the line above */
	CHECK_INT(fc.cx, 0);
	CHECK_INT(fc.cy, 1);

	puts_fc(&fc, "hello\rJ");
	CHECK_INT(fc.cx, 1);
	CHECK_CELL(&f, 0, 1, 'J', WHITE, BLACK);
	CHECK_CELL(&f, 1, 1, 'e', WHITE, BLACK);

	/* Other control bytes draw nothing; one box per UTF-8 character ("é" is two bytes). */
	puts_fc(&fc, "\n\a\x1b\x7f" "\xc3\xa9!");
	CHECK_INT(fc.cy, 2);
	CHECK_INT(fc.cx, 2);
	CHECK_CELL(&f, 0, 2, 0x7f, WHITE, BLACK);
	CHECK_CELL(&f, 1, 2, '!', WHITE, BLACK);

	/* A full line then '\b' lands on the last column, so "\b \b" erases it. */
	puts_fc(&fc, "\n01234567890123456789");
	CHECK_INT(fc.cx, 20);
	puts_fc(&fc, "\b \b");
	CHECK_INT(fc.cx, 19);
	CHECK_INT(fc.cy, 3);
	CHECK_CELL(&f, 19, 3, ' ', WHITE, BLACK);
	CHECK_CELL(&f, 18, 3, '8', WHITE, BLACK);

	fbcon_putc(&fc, 'Q');
	CHECK_CELL(&f, 19, 3, 'Q', WHITE, BLACK);
	free(f.mem);
}

TEST(clear_homes_cursor)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 16, 32, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	fbcon_set_cursor(&fc, false);
	puts_fc(&fc, "ab\ncd");
	fbcon_clear(&fc);
	CHECK_INT(fc.cx, 0);
	CHECK_INT(fc.cy, 0);
	for (size_t i = 0; i < f.size; i++)
		CHECK_INT(f.mem[i], 0);
	free(f.mem);
}

TEST(refuses_what_it_cannot_draw)
{
	struct fakefb f;
	struct fbcon fc;

	/* Smaller than one cell in either direction: refused, and writing is harmless. */
	fake_init(&f, 7, 100, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	CHECK_INT(fc.cols, 0);
	puts_fc(&fc, "hello\nworld\n\b\t");
	fbcon_putc(&fc, 'x');
	fbcon_set_colors(&fc, WHITE, WHITE);
	fbcon_set_cursor(&fc, true);
	fbcon_clear(&fc);
	for (size_t i = 0; i < f.size; i++)
		CHECK_INT(f.mem[i], 0x5a);
	free(f.mem);

	fake_init(&f, 100, 15, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	puts_fc(&fc, "hello\n");
	free(f.mem);

	fake_init(&f, 0, 0, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	puts_fc(&fc, "x");
	free(f.mem);

	fake_init(&f, 16, 16, 32, 0);
	f.desc.bpp = 8;
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	f.desc.bpp = 32;
	f.desc.pitch = 16 * 4 - 1; /* narrower than a row of pixels */
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	f.desc.pitch = 16 * 4;
	f.desc.type = BOOT_FB_EGA_TEXT;
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	f.desc.type = BOOT_FB_RGB;
	CHECK_INT(fbcon_setup(&fc, f.mem + 2, &f.desc), -22); /* misaligned 32-bit pixels */
	f.desc.red_pos = 30; /* field outside the pixel */
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), -22);
	/* Empty colour masks at 32 bpp fall back to x:R:G:B. */
	f.desc.red_pos = f.desc.red_size = f.desc.green_pos = f.desc.green_size = 0;
	f.desc.blue_pos = f.desc.blue_size = 0;
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	CHECK_INT(fbcon_pack_rgb(&fc, 0x123456), 0x123456);
	free(f.mem);
}

/* The escape sequences busybox's line editing sends: cursor moves and erases, colours. */
TEST(escape_sequences_move_and_erase)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 20 * 8, 4 * 16, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	fbcon_set_colors(&fc, WHITE, BLACK);
	fbcon_set_cursor(&fc, false);

	puts_fc(&fc, "abcdef\x1b[3D");
	CHECK_INT(fc.cx, 3);
	puts_fc(&fc, "\x1b[K"); /* erase to the end of the line */
	CHECK_CELL(&f, 2, 0, 'c', WHITE, BLACK);
	CHECK_CELL(&f, 3, 0, ' ', WHITE, BLACK);
	CHECK_CELL(&f, 5, 0, ' ', WHITE, BLACK);
	puts_fc(&fc, "\x1b[2CX"); /* forward two, then draw */
	CHECK_CELL(&f, 5, 0, 'X', WHITE, BLACK);
	puts_fc(&fc, "\x1b[99C");  /* clamped to the last column */
	CHECK_INT(fc.cx, 19);
	puts_fc(&fc, "\x1b[3;4HY"); /* row 3, column 4 (1-based) */
	CHECK_INT(fc.cy, 2);
	CHECK_CELL(&f, 3, 2, 'Y', WHITE, BLACK);
	puts_fc(&fc, "\x1b[A\x1b[1K"); /* up one, erase from the line start through the cursor */
	CHECK_INT(fc.cy, 1);
	puts_fc(&fc, "\x1b[H");
	CHECK_INT(fc.cx, 0);
	CHECK_INT(fc.cy, 0);
	CHECK_CELL(&f, 0, 0, 'a', WHITE, BLACK);
	puts_fc(&fc, "\x1b[2J"); /* the whole screen, the cursor stays */
	CHECK_CELL(&f, 0, 0, ' ', WHITE, BLACK);
	CHECK_CELL(&f, 3, 2, ' ', WHITE, BLACK);
	/* Colours: red on the default background, then reset; unknown sequences draw nothing, nor
	 * does a status request without a report callback. */
	puts_fc(&fc, "\x1b[31mR\x1b[0m\x1b[?1049h\x1b[6nN");
	CHECK_CELL(&f, 0, 0, 'R', 0xaa0000, BLACK);
	CHECK_CELL(&f, 1, 0, 'N', 0xc0c0c0, BLACK);
	CHECK_INT(fc.cx, 2);
	free(f.mem);
}

static char reported[64];
static size_t reported_len;

static void capture_report(const char *s, size_t n)
{
	memcpy(reported + reported_len, s, n);
	reported_len += n;
}

/* ESC [ 6 n asks where the cursor is: the answer (1-based row;column) goes to report. */
TEST(cursor_position_report)
{
	struct fakefb f;
	struct fbcon fc;
	fake_init(&f, 20 * 8, 4 * 16, 32, 0);
	CHECK_INT(fbcon_setup(&fc, f.mem, &f.desc), 0);
	fc.report = capture_report;
	reported_len = 0;
	puts_fc(&fc, "\nabc\x1b[6n");
	CHECK_INT(reported_len, 6);
	CHECK(memcmp(reported, "\x1b[2;4R", 6) == 0);
	reported_len = 0;
	puts_fc(&fc, "\x1b[5n\x1b[?6n");
	CHECK_INT(reported_len, 4);
	CHECK(memcmp(reported, "\x1b[0n", 4) == 0);
	free(f.mem);
}
