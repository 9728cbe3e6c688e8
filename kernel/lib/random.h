/*
 * The kernel's CSPRNG: ChaCha20 (lib/chacha20.c) keyed from RDSEED/RDRAND when the CPU has them,
 * mixed with TSC timing jitter. Fast key erasure: every request ends by replacing the key with
 * fresh key stream, so a later compromise of the state does not reveal earlier output. Reseeded
 * from the hardware and jitter every RANDOM_RESEED_BYTES of output or RANDOM_RESEED_TSC cycles.
 */
#pragma once

#include "lib/types.h"

/* Seeds the generator (idempotent; get_random_bytes also seeds on first use). */
void random_init(void);
void get_random_bytes(void *buf, size_t n);
/* Mixes caller data into the key (writes to /dev/random); credits no entropy. */
void random_mix(const void *buf, size_t n);
/* Which hardware sources the last seeding used (for log lines and tests). */
bool random_has_rdrand(void);
bool random_has_rdseed(void);
