/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum of ext4's metadata_csum,
 * iSCSI and virtio. crc32c_update is the raw register update: no inversion on entry or exit,
 * so callers chain it the way ext4 does (seed ~0, stored value not inverted). crc32c() is the
 * conventional checksum (init ~0, final inversion): crc32c("123456789") == 0xe3069283.
 */
#pragma once

#include "lib/types.h"

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);

static inline uint32_t crc32c(const void *data, size_t len)
{
	return ~crc32c_update(~0u, data, len);
}
