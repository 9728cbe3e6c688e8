/*
 * The ChaCha20 block function (RFC 8439, section 2.3): 256-bit key, 32-bit block counter, 96-bit
 * nonce, 64 bytes of key stream out. Pure computation, no state; the CSPRNG (lib/random.c) and a
 * host unit test use it.
 */
#pragma once

#include "lib/types.h"

#define CHACHA20_KEY_WORDS   8
#define CHACHA20_NONCE_WORDS 3
#define CHACHA20_BLOCK_SIZE  64

/* Key and nonce are little-endian 32-bit words, as RFC 8439 reads them from bytes. */
void chacha20_block(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
		    const uint32_t nonce[CHACHA20_NONCE_WORDS], uint8_t out[CHACHA20_BLOCK_SIZE]);
/* Helper: a little-endian 32-bit word from 4 bytes. */
static inline uint32_t chacha20_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
