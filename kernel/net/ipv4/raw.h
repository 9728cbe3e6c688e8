/* Raw AF_INET sockets (raw.c): what IP hands them and their protocol switch entry. */
#pragma once

#include "net/ipv4/inet.h"

/* A received datagram for ip->protocol (skb->network at its IP header, skb->data at the
 * payload): copied to every raw socket of that protocol that wants it. skb is not taken. */
void raw_input(const struct sk_buff *skb, const struct ipv4_info *ip);
void raw_init(void);
