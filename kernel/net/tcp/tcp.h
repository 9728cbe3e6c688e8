/*
 * TCP's public face: the AF_INET SOCK_STREAM protocol (registered by tcp_init), segment input
 * from IPv4, and /proc/net/tcp.
 */
#pragma once

#include "net/ipv4/af_inet.h"

struct sk_buff;
struct ipv4_info;

/* Registers SOCK_STREAM/IPPROTO_TCP with AF_INET and starts the timer thread (after inet_init). */
void tcp_init(void);
/* A segment for us (skb->data at the TCP header); consumes skb. Net thread. */
void tcp_input(struct sk_buff *skb, const struct ipv4_info *ip);
/* Linux's /proc/net/tcp text (snprintf-like). */
size_t net_format_proc_tcp(char *buf, size_t size);
