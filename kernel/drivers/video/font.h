/* The kernel's built-in 8x16 bitmap font, shared by the framebuffer console and anything else
 * that draws text on pixels. */
#pragma once

#include "lib/types.h"

#define FONT_WIDTH  8
#define FONT_HEIGHT 16

/*
 * The FONT_HEIGHT row bitmaps of character c, top row first, bit 7 = leftmost pixel.
 * ASCII 0x20..0x7e have their own glyph; every other byte gets a hollow box.
 */
const uint8_t *font_glyph(unsigned char c);
