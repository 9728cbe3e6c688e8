/*
 * Transmit offloads, decided in one place: netdev_xmit hands a frame to the driver as the stack
 * built it (a partial TCP/UDP checksum, a TCP segment longer than one MSS) when the device's
 * features say it finishes that work, and finishes it here in software otherwise. So TCP and
 * UDP always build the cheap form and never need to know which device a route leads to.
 */
#include "net/core/core_internal.h"

#include "lib/errno.h"
#include "net/ipv4/inet.h"

/* Cuts a TCP frame with gso_size into MSS-sized frames and sends each; consumes skb. */
static int xmit_gso_soft(struct net_device *dev, struct sk_buff *skb)
{
	struct gso_tcp4 g;
	int err = gso_tcp4_parse(skb->data, skb->len, skb->gso_size, &g);
	for (unsigned i = 0; !err && i < g.nsegs; i++) {
		struct sk_buff *seg = skb_alloc(g.payload + g.mss);
		if (!seg) {
			err = -ENOBUFS;
			break;
		}
		size_t n = gso_tcp4_segment(skb->data, &g, i, seg->data);
		skb_put(seg, n);
		seg->dev = dev;
		seg->origin = skb->origin;
		err = dev->ops->xmit(dev, seg);
		if (!err) {
			netdev_stat_add(&dev->stats.tx_packets, 1);
			netdev_stat_add(&dev->stats.tx_bytes, n);
		}
	}
	if (err)
		netdev_stat_add(&dev->stats.tx_dropped, 1);
	skb_free(skb);
	return err;
}

int netdev_xmit_offloaded(struct net_device *dev, struct sk_buff *skb)
{
	if (skb->gso_size && !(dev->features & NETIF_F_TSO))
		return xmit_gso_soft(dev, skb);
	if (skb->csum == SKB_CSUM_PARTIAL && !(dev->features & NETIF_F_IP_CSUM) && skb_csum_complete(skb)) {
		netdev_stat_add(&dev->stats.tx_errors, 1);
		skb_free(skb);
		return -EINVAL;
	}
	size_t len = skb->len;
	int err = dev->ops->xmit(dev, skb);
	if (!err) {
		netdev_stat_add(&dev->stats.tx_packets, 1);
		netdev_stat_add(&dev->stats.tx_bytes, len);
	}
	return err;
}
