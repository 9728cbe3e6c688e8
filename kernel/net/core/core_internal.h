/* Between the files of net/core (and the one call it makes into IPv4 configuration). */
#pragma once

#include "net/net.h"

/* Registers lo with 127.0.0.1/8 (loopback.c). */
void loopback_init(void);
/* A device was registered: applies a pending ip= or starts DHCP for it (ipv4/ipconfig.c). */
void inet_device_added(struct net_device *dev);
/*
 * Finishes in software what dev cannot do of skb's offloads (segmentation, the partial
 * checksum), then calls the driver's xmit, counting what it sent (offload.c). Inside the ops
 * gate; consumes skb.
 */
int netdev_xmit_offloaded(struct net_device *dev, struct sk_buff *skb);
