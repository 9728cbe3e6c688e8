/* ICMP echo sockets (ping.c): what ICMP hands them and their protocol switch entry. */
#pragma once

#include "net/ipv4/inet.h"

/* An echo reply (skb->data at the ICMP header): queued on the ping socket whose identifier it
 * carries; true when one took it (the kernel's own pings then need not look). */
bool ping_input(const struct sk_buff *skb, const struct ipv4_info *ip);
/* An ICMP error quoting q and the echo request echo: err (-errno) becomes the pending error
 * of the ping socket with that identifier, by UDP's rule (hard and connected, or IP_RECVERR). */
void ping_icmp_error(const struct ip_hdr *q, const struct icmp_hdr *echo, int err, bool hard);
void ping_init(void);
