/*
 * FPU/SSE/AVX state. The kernel itself never touches these registers (-mgeneral-regs-only), so
 * only user threads need them; the state is switched eagerly on every context switch with
 * XSAVE/XRSTOR (all components the CPU has and the OS enabled), or FXSAVE/FXRSTOR without XSAVE.
 */
#pragma once

#include "lib/types.h"

extern size_t fpu_state_size; /* bytes per thread (64-byte aligned buffer) */
extern bool fpu_uses_xsave;

/* Enables SSE (and XSAVE with x87/SSE/AVX when present) on this CPU; the boot CPU sizes it. */
void fpu_init_cpu(void);
/* A freshly initialised state (what a new thread starts with). */
void fpu_init_state(void *area);
void fpu_save(void *area);
void fpu_restore(const void *area);
