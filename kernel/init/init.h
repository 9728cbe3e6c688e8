/* Kernel start-up: the boot information every subsystem reads. */
#pragma once

#include "boot/bootinfo.h"

#define FERRITE_VERSION "0.1.0"

/* Filled by kmain from the loader's data before anything else runs. */
extern struct bootinfo boot_info;

/* Subsystem start-up entry points called by kmain, in order. */
void kheap_init(void);
