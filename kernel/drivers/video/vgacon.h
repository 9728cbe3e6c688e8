/* Console on the EGA/VGA text screen (usually 80x25 at 0xb8000). */
#pragma once

#include "boot/bootinfo.h"

/*
 * Takes over the text screen described by fb (type BOOT_FB_EGA_TEXT; width and height in
 * characters), clears it and registers console "vga0". Logs a warning and does nothing when
 * fb is not a usable text screen.
 */
void vgacon_init(const struct boot_framebuffer *fb);
