/* ICMP echo sockets (ping.c): what ICMP hands them and their protocol switch entry. */
#pragma once

#include "net/ipv4/inet.h"

/* An echo reply (skb->data at the ICMP header): queued on the ping socket whose identifier it
 * carries; true when one took it (the kernel's own pings then need not look). */
bool ping_input(const struct sk_buff *skb, const struct ipv4_info *ip);
void ping_init(void);
