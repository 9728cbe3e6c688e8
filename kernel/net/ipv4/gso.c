/*
 * Software TCP segmentation: what a TSO device does to a TCPv4 frame longer than one MSS, done
 * by netdev_xmit for a device without NETIF_F_TSO (TCP builds such frames only for a route whose
 * device had it; the route may change under a connection). Pure, host-tested (test_net.c).
 */
#include "net/ipv4/inet.h"

#include "lib/errno.h"
#include "lib/string.h"

#define GSO_PROTO_TCP 6
#define TCP_OFF_SEQ 4
#define TCP_OFF_FLAGS 13
#define TCP_OFF_CHECK 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

int gso_tcp4_parse(const uint8_t *frame, size_t len, uint16_t mss, struct gso_tcp4 *g)
{
	const size_t l3 = ETH_HLEN;
	if (!mss || len < l3 + sizeof(struct ip_hdr))
		return -EINVAL;
	const struct eth_hdr *eh = (const struct eth_hdr *)frame;
	const struct ip_hdr *ih = (const struct ip_hdr *)(frame + l3);
	size_t ihl = (ih->ver_ihl & 0xf) * 4u;
	if (eh->type != htons(ETH_P_IP) || ih->ver_ihl >> 4 != 4 || ihl < sizeof(*ih) ||
	    ih->protocol != GSO_PROTO_TCP || (ntohs(ih->frag_off) & (IP_MF | IP_OFFMASK)))
		return -EINVAL;
	size_t l4 = l3 + ihl;
	if (len < l4 + 20 || ntohs(ih->tot_len) != len - l3)
		return -EINVAL;
	size_t thl = (frame[l4 + 12] >> 4) * 4u;
	if (thl < 20 || len < l4 + thl)
		return -EINVAL;
	g->l3 = l3;
	g->l4 = l4;
	g->payload = l4 + thl;
	g->paylen = len - g->payload;
	g->mss = mss;
	g->nsegs = g->paylen ? (unsigned)((g->paylen + mss - 1) / mss) : 1;
	return 0;
}

size_t gso_tcp4_segment(const uint8_t *frame, const struct gso_tcp4 *g, unsigned i, uint8_t *out)
{
	size_t off = (size_t)i * g->mss;
	size_t n = g->paylen - off < g->mss ? g->paylen - off : g->mss;
	bool last = i + 1 == g->nsegs;
	memcpy(out, frame, g->payload);
	memcpy(out + g->payload, frame + g->payload + off, n);
	size_t seglen = g->payload + n;

	struct ip_hdr *ih = (struct ip_hdr *)(out + g->l3);
	ih->tot_len = htons((uint16_t)(seglen - g->l3));
	ih->id = htons((uint16_t)(ntohs(ih->id) + i));
	ih->check = 0;
	ih->check = inet_checksum(ih, g->l4 - g->l3);

	uint8_t *th = out + g->l4;
	uint32_t seq;
	memcpy(&seq, th + TCP_OFF_SEQ, 4);
	seq = htonl(ntohl(seq) + (uint32_t)off);
	memcpy(th + TCP_OFF_SEQ, &seq, 4);
	if (!last)
		th[TCP_OFF_FLAGS] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i)
		th[TCP_OFF_FLAGS] &= (uint8_t)~TCP_CWR;
	th[TCP_OFF_CHECK] = th[TCP_OFF_CHECK + 1] = 0;
	uint16_t c = inet_pseudo_checksum(ih->saddr, ih->daddr, GSO_PROTO_TCP, th, seglen - g->l4);
	memcpy(th + TCP_OFF_CHECK, &c, 2);
	return seglen;
}
