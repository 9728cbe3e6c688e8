/*
 * Transmit offloads through the real netdev_xmit: a device without features gets a TSO
 * segment cut into MSS frames and partial checksums finished (every frame checked on the
 * bytes it received), one with NETIF_F_IP_CSUM gets partial checksums untouched, one with
 * NETIF_F_TSO the whole segment with its gso_size. (The pure parts: tests/unit/test_net.c.)
 */
#include "console/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ipv4/inet.h"
#include "test/ktest.h"

#define OFFL_MAX_FRAMES 16
#define OFFL_PAYLOAD 5000
#define OFFL_MSS 1000

static struct {
	unsigned n;
	size_t len[OFFL_MAX_FRAMES];
	uint8_t csum[OFFL_MAX_FRAMES];
	uint16_t gso[OFFL_MAX_FRAMES];
	bool sums_ok[OFFL_MAX_FRAMES]; /* the TCP/UDP checksum verifies on the bytes as they are */
	uint8_t data[OFFL_PAYLOAD];    /* TCP payloads concatenated */
	size_t data_len;
} rec;

static int offl_xmit(struct net_device *dev, struct sk_buff *skb)
{
	(void)dev;
	unsigned i = rec.n;
	if (i < OFFL_MAX_FRAMES && skb->len >= 34) {
		const struct ip_hdr *ih = (const struct ip_hdr *)(skb->data + 14);
		rec.len[i] = skb->len;
		rec.csum[i] = skb->csum;
		rec.gso[i] = skb->gso_size;
		rec.sums_ok[i] = inet_checksum(ih, 20) == 0 &&
				 inet_pseudo_checksum(ih->saddr, ih->daddr, ih->protocol, skb->data + 34, skb->len - 34) == 0;
		size_t hl = ih->protocol == 6 ? 20 : 8;
		size_t dl = skb->len - 34 - hl;
		if (rec.data_len + dl <= sizeof(rec.data)) {
			memcpy(rec.data + rec.data_len, skb->data + 34 + hl, dl);
			rec.data_len += dl;
		}
		rec.n++;
	}
	skb_free(skb);
	return 0;
}

static const struct net_device_ops offl_ops = { .xmit = offl_xmit };

/* An Ethernet + IPv4 + TCP (or UDP) frame with a partial checksum, as TCP/UDP and IP build it. */
static struct sk_buff *offl_frame(bool tcp, size_t paylen, uint16_t gso_size)
{
	size_t hl = tcp ? 20 : 8;
	struct sk_buff *skb = skb_alloc(14 + 20 + hl + paylen);
	if (!skb)
		return NULL;
	uint8_t *f = skb_put(skb, 14 + 20 + hl + paylen);
	memset(f, 0, 14 + 20 + hl);
	f[12] = 0x08;
	struct ip_hdr *ih = (struct ip_hdr *)(f + 14);
	ih->ver_ihl = 0x45;
	ih->tot_len = htons((uint16_t)(20 + hl + paylen));
	ih->ttl = 64;
	ih->protocol = tcp ? 6 : IPPROTO_UDP;
	ih->saddr = IPV4(192, 0, 2, 1);
	ih->daddr = IPV4(192, 0, 2, 9);
	ih->check = inet_checksum(ih, 20);
	uint8_t *l4 = f + 34;
	l4[0] = 0x30, l4[1] = 0x39, l4[2] = 0x00, l4[3] = 0x50;
	if (tcp) {
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* ACK PSH */
	} else {
		l4[4] = (uint8_t)((8 + paylen) >> 8), l4[5] = (uint8_t)(8 + paylen);
	}
	for (size_t i = 0; i < paylen; i++)
		l4[hl + i] = (uint8_t)(i * 31 + 7);
	uint16_t off = tcp ? 16 : 6;
	uint16_t p = inet_pseudo_partial(ih->saddr, ih->daddr, ih->protocol, hl + paylen);
	memcpy(l4 + off, &p, 2);
	skb_set_csum_partial(skb, l4, off);
	skb->gso_size = gso_size;
	return skb;
}

static bool offl_payload_ok(size_t paylen)
{
	if (rec.data_len != paylen)
		return false;
	for (size_t i = 0; i < paylen; i++)
		if (rec.data[i] != (uint8_t)(i * 31 + 7))
			return false;
	return true;
}

static int offl_send(struct net_device *d, bool tcp, size_t paylen, uint16_t gso)
{
	memset(&rec, 0, sizeof(rec));
	struct sk_buff *skb = offl_frame(tcp, paylen, gso);
	if (!skb)
		return -ENOMEM;
	skb->dev = d;
	return netdev_xmit(d, skb);
}

KTEST(net_offload_fallbacks)
{
	struct net_device *d = netdev_alloc(&offl_ops, NULL);
	KT_ASSERT(d != NULL);
	d->mac[0] = 0x02;
	d->mac[5] = 0x77;
	KT_ASSERT_EQ(netdev_register(d, "offl%d"), 0);

	/* No features: the segment is cut into MSS frames, every checksum finished. */
	d->features = 0;
	KT_ASSERT_EQ(offl_send(d, true, OFFL_PAYLOAD, OFFL_MSS), 0);
	unsigned n0 = rec.n;
	bool all_ok = true;
	for (unsigned i = 0; i < rec.n; i++)
		all_ok = all_ok && rec.sums_ok[i] && rec.csum[i] == SKB_CSUM_NONE && !rec.gso[i] &&
			 rec.len[i] == 14 + 20 + 20 + OFFL_MSS;
	bool data0 = offl_payload_ok(OFFL_PAYLOAD);
	/* A partial UDP checksum finished in software. */
	KT_ASSERT_EQ(offl_send(d, false, 333, 0), 0);
	bool udp0 = rec.n == 1 && rec.sums_ok[0] && rec.csum[0] == SKB_CSUM_NONE;

	/* Checksum offload without TSO: still cut (in software, checksummed there too). */
	d->features = NETIF_F_IP_CSUM;
	KT_ASSERT_EQ(offl_send(d, true, OFFL_PAYLOAD, OFFL_MSS), 0);
	unsigned n1 = rec.n;
	bool ok1 = rec.sums_ok[0] && offl_payload_ok(OFFL_PAYLOAD);
	/* An unsegmented partial frame reaches the driver partial, for the device to finish. */
	KT_ASSERT_EQ(offl_send(d, false, 333, 0), 0);
	bool udp1 = rec.n == 1 && rec.csum[0] == SKB_CSUM_PARTIAL && !rec.sums_ok[0];

	/* TSO: the whole segment, partial, with its gso_size. */
	d->features = NETIF_F_IP_CSUM | NETIF_F_TSO;
	KT_ASSERT_EQ(offl_send(d, true, OFFL_PAYLOAD, OFFL_MSS), 0);
	bool tso = rec.n == 1 && rec.csum[0] == SKB_CSUM_PARTIAL && rec.gso[0] == OFFL_MSS &&
		   rec.len[0] == 14 + 20 + 20 + OFFL_PAYLOAD;
	uint64_t txp = d->stats.tx_packets;

	netdev_unregister(d);
	netdev_free(d);
	kprintf("ktest: net_offload_fallbacks: %u and %u software pieces, TSO frame %s\n", n0, n1,
		tso ? "whole" : "wrong");
	KT_ASSERT_EQ(n0, OFFL_PAYLOAD / OFFL_MSS);
	KT_ASSERT(all_ok);
	KT_ASSERT(data0);
	KT_ASSERT(udp0);
	KT_ASSERT_EQ(n1, OFFL_PAYLOAD / OFFL_MSS);
	KT_ASSERT(ok1);
	KT_ASSERT(udp1);
	KT_ASSERT(tso);
	/* Counted per frame the driver took: 5 + 1 + 5 + 1 + 1. */
	KT_ASSERT_EQ(txp, 13);
}
