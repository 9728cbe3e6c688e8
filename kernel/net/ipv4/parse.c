/*
 * Header validation for everything that arrives from the wire: lengths against what was really
 * received, versions, checksums. Nothing here trusts a length field before checking it.
 */
#include "net/ipv4/inet.h"

int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *out)
{
	if (len < sizeof(struct ip_hdr))
		return -DROP_SHORT;
	const struct ip_hdr *h = (const struct ip_hdr *)p;
	if (h->ver_ihl >> 4 != 4)
		return -DROP_VERSION;
	unsigned hl = (h->ver_ihl & 0xf) * 4u;
	if (hl < sizeof(struct ip_hdr) || hl > len)
		return -DROP_HDR_LEN;
	unsigned tot = ntohs(h->tot_len);
	if (tot < hl || tot > len)
		return -DROP_TOT_LEN;
	if (inet_checksum(p, hl) != 0)
		return -DROP_CHECKSUM;
	uint16_t fo = ntohs(h->frag_off);
	if (fo & 0x8000) /* the reserved ("evil") bit */
		return -DROP_FRAG;
	out->saddr = h->saddr;
	out->daddr = h->daddr;
	out->protocol = h->protocol;
	out->ttl = h->ttl;
	out->id = ntohs(h->id);
	out->hdr_len = hl;
	out->tot_len = tot;
	out->frag_offset = (fo & IP_OFFMASK) * 8u;
	out->more_fragments = fo & IP_MF;
	/* A fragment's payload must fit below 64 KiB, and all but the last carry multiples of 8. */
	if (out->frag_offset + (tot - hl) > IP_MAX_PACKET - 20)
		return -DROP_FRAG;
	if (out->more_fragments && ((tot - hl) % 8 != 0 || tot == hl))
		return -DROP_FRAG;
	return 0;
}

int udp_parse(const uint8_t *p, size_t len, in_addr_t saddr, in_addr_t daddr, bool csum_valid, size_t *udp_len)
{
	if (len < sizeof(struct udp_hdr))
		return -DROP_SHORT;
	const struct udp_hdr *h = (const struct udp_hdr *)p;
	size_t ul = ntohs(h->len);
	if (ul < sizeof(struct udp_hdr) || ul > len)
		return -DROP_TOT_LEN;
	/* Zero means "no checksum" (RFC 768); otherwise the sum over everything must come out 0. */
	if (h->check != 0 && !csum_valid && inet_pseudo_checksum(saddr, daddr, IPPROTO_UDP, p, ul) != 0)
		return -DROP_CHECKSUM;
	*udp_len = ul;
	return 0;
}

int icmp_parse(const uint8_t *p, size_t len)
{
	if (len < sizeof(struct icmp_hdr))
		return -DROP_SHORT;
	if (inet_checksum(p, len) != 0)
		return -DROP_CHECKSUM;
	return 0;
}

int arp_parse(const uint8_t *p, size_t len)
{
	if (len < sizeof(struct arp_hdr))
		return -DROP_SHORT;
	const struct arp_hdr *a = (const struct arp_hdr *)p;
	if (ntohs(a->htype) != 1 || ntohs(a->ptype) != ETH_P_IP || a->hlen != ETH_ALEN || a->plen != 4)
		return -DROP_PROTO;
	uint16_t op = ntohs(a->oper);
	if (op != 1 && op != 2)
		return -DROP_PROTO;
	return 0;
}
