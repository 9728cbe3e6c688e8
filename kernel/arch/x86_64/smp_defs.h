/* Constants shared by the AP trampoline (assembly) and smp.c. */
#pragma once

#define TRAMPOLINE_PHYS 0x8000 /* startup IPI vector 0x08 */
#define AP_STACK_SIZE   0x4000
