/*
 * The loopback device "lo" (127.0.0.1/8): a frame it sends comes straight back through the
 * backlog, so it is received in the net thread like any other. It needs no ARP.
 */
#include "net/net.h"
#include "net/core/core_internal.h"

#include "console/console.h"
#include "lib/string.h"
#include "net/ipv4/inet.h"

struct net_device *netdev_loopback;

static int loopback_xmit(struct net_device *dev, struct sk_buff *skb)
{
	skb->dev = dev;
	netif_rx(skb);
	return 0;
}

static const struct net_device_ops loopback_ops = {
	.xmit = loopback_xmit,
};

void loopback_init(void)
{
	struct net_device *lo = netdev_alloc(&loopback_ops, NULL);
	if (!lo)
		return;
	lo->flags = IFF_LOOPBACK;
	lo->mtu = 65536;
	/* Nothing on lo can corrupt a frame: TCP and UDP checksums are neither summed on the way
	 * out nor checked on the way in (a partial checksum counts as good on receipt), as on
	 * Linux; packet sockets still see them completed. */
	lo->features = NETIF_F_IP_CSUM;
	lo->link_up = true;
	memset(lo->broadcast, 0, ETH_ALEN);
	if (netdev_register(lo, "lo") < 0) {
		netdev_free(lo);
		return;
	}
	netdev_loopback = lo;
	inet_set_addr(lo, IPV4(127, 0, 0, 1), IPV4(255, 0, 0, 0));
}
