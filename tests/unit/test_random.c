// unit-deps: kernel/lib/chacha20.c kernel/lib/string.c
/* Host tests for the ChaCha20 block function (kernel/lib/chacha20.c) against RFC 8439. */
#include "unit.h"

#include "host_prefix.h"

#include "lib/chacha20.h"
#include "lib/string.h"

static void key_from_bytes(const uint8_t *b, uint32_t *key, int words)
{
	for (int i = 0; i < words; i++)
		key[i] = chacha20_le32(b + 4 * i);
}

/* RFC 8439 section 2.3.2: key 00:01:..:1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1. */
TEST(rfc8439_2_3_2)
{
	uint8_t kb[32];
	for (int i = 0; i < 32; i++)
		kb[i] = (uint8_t)i;
	const uint8_t nb[12] = { 0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
	uint32_t key[8], nonce[3];
	key_from_bytes(kb, key, 8);
	key_from_bytes(nb, nonce, 3);
	const uint8_t expect[64] = {
		0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
		0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
		0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
		0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
	};
	uint8_t out[64];
	chacha20_block(key, 1, nonce, out);
	for (int i = 0; i < 64; i++)
		CHECK_INT(out[i], expect[i]);
}

/* RFC 8439 appendix A.1, test vector #1: all-zero key and nonce, counter 0. */
TEST(rfc8439_a1_zero_key)
{
	uint32_t key[8] = { 0 }, nonce[3] = { 0 };
	const uint8_t expect[16] = { 0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90,
				     0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28 };
	uint8_t out[64];
	chacha20_block(key, 0, nonce, out);
	for (int i = 0; i < 16; i++)
		CHECK_INT(out[i], expect[i]);
}

/* Different counters give different blocks; the same inputs the same block. */
TEST(counter_changes_block)
{
	uint32_t key[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, nonce[3] = { 9, 10, 11 };
	uint8_t a[64], b[64], c[64];
	chacha20_block(key, 7, nonce, a);
	chacha20_block(key, 8, nonce, b);
	chacha20_block(key, 7, nonce, c);
	CHECK(memcmp(a, b, 64) != 0);
	CHECK(memcmp(a, c, 64) == 0);
}
