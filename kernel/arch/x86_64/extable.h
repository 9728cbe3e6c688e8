/*
 * Exception fixups: an instruction allowed to fault (a probe of an address that may not be
 * mapped, later every user-memory access) is listed in .extable with the address to resume at.
 * The #PF and #GP handlers consult the table before declaring a kernel bug.
 */
#pragma once

#include "lib/types.h"

struct extable_entry {
	uint64_t insn;  /* the instruction that may fault */
	uint64_t fixup; /* where to continue when it does */
};

/* Use inside an asm statement: registers label `insn` to continue at label `fixup`. */
#define EXTABLE_ENTRY(insn, fixup) \
	".pushsection .extable, \"a\"\n\t.balign 8\n\t.quad " #insn ", " #fixup "\n\t.popsection\n\t"

/* The fixup address for a faulting instruction, or 0. */
uint64_t extable_find(uint64_t rip);

/* Fault-safe accesses to kernel addresses: 0, or -EFAULT when the access faults. */
int probe_read_u64(const void *addr, uint64_t *out);
int probe_write_u64(void *addr, uint64_t value);

/* The last fault a fixup absorbed (for tests): vector, error code and CR2. */
struct fixup_record {
	uint64_t vector, error_code, cr2;
};
extern struct fixup_record last_fixup;

/* Installs the #PF and #GP handlers (extable, else report and panic). */
void fault_handlers_init(void);
