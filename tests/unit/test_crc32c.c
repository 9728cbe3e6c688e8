// unit-deps: kernel/lib/crc32c.c kernel/lib/string.c
/*
 * CRC-32C against published vectors (RFC 3720 appendix B.4, the "123456789" check value) and
 * a bitwise reference, plus chaining: updating in pieces equals updating at once.
 */
#include "unit.h"

#include "host_prefix.h"

#include "lib/string.h"

#include "lib/crc32c.h"

static uint32_t reference(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (crc & 1 ? 0x82f63b78u : 0);
	}
	return crc;
}

TEST(check_value)
{
	CHECK_INT(crc32c("123456789", 9), 0xe3069283u);
	CHECK_INT(crc32c("", 0), 0);
}

TEST(rfc3720_vectors)
{
	uint8_t buf[32];
	memset(buf, 0, sizeof(buf));
	CHECK_INT(crc32c(buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	CHECK_INT(crc32c(buf, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK_INT(crc32c(buf, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	CHECK_INT(crc32c(buf, 32), 0x113fdb5cu);
}

TEST(matches_bitwise_and_chains)
{
	uint8_t buf[1000];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t n = 0; n <= sizeof(buf); n += 37)
		CHECK_INT(crc32c_update(~0u, buf, n), reference(~0u, buf, n));
	uint32_t a = crc32c_update(0x1234u, buf, 400);
	a = crc32c_update(a, buf + 400, 600);
	CHECK_INT(a, crc32c_update(0x1234u, buf, 1000));
}
