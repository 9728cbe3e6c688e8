/* Ethernet II framing: the 14-byte header in and out, dispatch by EtherType. */
#include "net/ipv4/inet.h"

#include "lib/errno.h"
#include "lib/string.h"

void eth_input(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	if (skb->len < ETH_HLEN) {
		netdev_stat_add(&dev->stats.rx_frame_errors, 1);
		netdev_stat_add(&dev->stats.rx_errors, 1);
		skb_free(skb);
		return;
	}
	const struct eth_hdr *eh = (const struct eth_hdr *)skb->data;
	bool bcast = memcmp(eh->dst, dev->broadcast, ETH_ALEN) == 0;
	/* Not ours and not broadcast (the card may be promiscuous or the frame multicast): ignore. */
	if (!(dev->flags & IFF_LOOPBACK) && !bcast && memcmp(eh->dst, dev->mac, ETH_ALEN) != 0) {
		if (eh->dst[0] & 1)
			netdev_stat_add(&dev->stats.multicast, 1);
		skb_free(skb);
		return;
	}
	skb->protocol = ntohs(eh->type);
	skb_pull(skb, ETH_HLEN);
	switch (skb->protocol) {
	case ETH_P_IP:
		ip_input(skb);
		break;
	case ETH_P_ARP:
		arp_input(skb);
		break;
	default:
		skb_free(skb);
		break;
	}
}

int eth_output(struct net_device *dev, struct sk_buff *skb, const uint8_t dst[ETH_ALEN], uint16_t type)
{
	struct eth_hdr *eh = (struct eth_hdr *)skb_push(skb, ETH_HLEN);
	if (!eh) {
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return -ENOBUFS;
	}
	memcpy(eh->dst, dst, ETH_ALEN);
	memcpy(eh->src, dev->mac, ETH_ALEN);
	eh->type = htons(type);
	skb->dev = dev;
	return netdev_xmit(dev, skb);
}
