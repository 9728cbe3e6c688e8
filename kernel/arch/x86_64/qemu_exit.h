/*
 * Ending a QEMU run from the guest through the isa-debug-exit device
 * (-device isa-debug-exit,iobase=0xf4,iosize=0x04): QEMU exits with status (code << 1) | 1.
 */
#pragma once

#include "lib/compiler.h"

#define QEMU_EXIT_PASS  0x10 /* QEMU exit status 33 */
#define QEMU_EXIT_FAIL  0x11 /* 35 */
#define QEMU_EXIT_PANIC 0x12 /* 37 */

__noreturn void qemu_exit(unsigned code);
