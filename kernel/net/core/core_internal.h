/* Between the files of net/core (and the one call it makes into IPv4 configuration). */
#pragma once

#include "net/net.h"

/* Registers lo with 127.0.0.1/8 (loopback.c). */
void loopback_init(void);
/* A device was registered: applies a pending ip= or starts DHCP for it (ipv4/ipconfig.c). */
void inet_device_added(struct net_device *dev);
