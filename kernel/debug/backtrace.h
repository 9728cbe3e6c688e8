/* Kernel symbol lookup and frame-pointer backtraces. */
#pragma once

#include "lib/types.h"

struct trap_frame;

/* Finds the function containing addr; returns its name and sets *offset, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
/* Formats "<name+0xoff>" (or "<?>") into buf. */
void ksym_format(uint64_t addr, char *buf, size_t size);
/* Looks a symbol up by name (ktests use this to check backtraces); 0 when absent. */
uint64_t ksym_address(const char *name);

/* Prints the frame at pc, then walks the saved frame pointers from rbp. */
void backtrace_print(uint64_t pc, uint64_t rbp);
/* The same for an exception: also right when the faulting function has no frame (yet). */
void backtrace_print_trap(const struct trap_frame *tf);
/* Prints every general register and CR0/CR2/CR3/CR4. */
void regs_dump(const struct trap_frame *tf);
