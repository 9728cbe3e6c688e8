/* The boot stack's guard page (the stack itself is defined in boot.S). */
#include "arch/x86_64/paging.h"

extern char boot_stack_guard[];
KERNEL_GUARD_PAGE(boot_stack_guard);
