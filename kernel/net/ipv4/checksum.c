/* The Internet checksum (RFC 1071): a one's-complement sum of big-endian 16-bit words. */
#include "net/ipv4/inet.h"

uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	/* A 64-bit accumulator cannot overflow for any packet size, so folding waits until the end. */
	while (len >= 2) {
		sum += (uint64_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint64_t)p[0] << 8;
	return sum;
}

uint16_t inet_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

uint16_t inet_checksum(const void *data, size_t len)
{
	return inet_csum_fold(inet_csum_add(0, data, len));
}

/* The unfolded sum of the TCP/UDP pseudo-header (RFC 793/768): addresses, protocol, length. */
static uint64_t pseudo_sum(in_addr_t saddr, in_addr_t daddr, uint8_t proto, size_t len)
{
	uint8_t pseudo[12];
	__builtin_memcpy(pseudo, &saddr, 4);
	__builtin_memcpy(pseudo + 4, &daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = proto;
	pseudo[10] = (uint8_t)(len >> 8);
	pseudo[11] = (uint8_t)len;
	return inet_csum_add(0, pseudo, sizeof(pseudo));
}

uint16_t inet_pseudo_checksum(in_addr_t saddr, in_addr_t daddr, uint8_t proto, const void *seg, size_t len)
{
	return inet_csum_fold(inet_csum_add(pseudo_sum(saddr, daddr, proto, len), seg, len));
}

uint16_t inet_pseudo_partial(in_addr_t saddr, in_addr_t daddr, uint8_t proto, size_t len)
{
	/* The folded sum uncomplemented (inet_csum_fold complements, so undo that): summing the
	 * segment over it later gives the whole checksum (RFC 1071's incremental property). */
	return (uint16_t)~inet_csum_fold(pseudo_sum(saddr, daddr, proto, len));
}

void inet_csum_finish(uint8_t *seg, size_t len, size_t offset)
{
	uint16_t c = inet_csum_fold(inet_csum_add(0, seg, len));
	/* 0 would mean "no checksum" to UDP (RFC 768); 0xffff is the same one's-complement value. */
	if (!c)
		c = 0xffff;
	__builtin_memcpy(seg + offset, &c, 2);
}
