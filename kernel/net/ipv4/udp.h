/*
 * Inside UDP: the endpoint every UDP user sits on, kernel services (DHCP, tests) and
 * AF_INET datagram sockets (udp_sock.c) alike. udp.c owns the table of bound endpoints and
 * demultiplexes to them; udp_sock.c turns an endpoint into a socket.
 *
 * udp_lock (udp.c) guards the table and each endpoint's address fields while it is in the
 * table; the receive queue has its own lock.
 */
#pragma once

#include "net/core/dgram.h"
#include "net/ipv4/af_inet.h"
#include "net/ipv4/inet.h"
#include "net/socket.h"
#include "sched/wait.h"

struct udp_endpoint {
	in_addr_t laddr;          /* bound or connected-from address (0: any) */
	in_addr_t raddr;          /* connected peer (0: unconnected) */
	uint16_t port, rport;     /* host order; port 0: not bound yet */
	bool reuse;               /* SO_REUSEADDR when bound */
	bool hashed;              /* in the table */
	bool addr_locked;         /* bound explicitly: disconnect keeps laddr */
	struct inet_ip_opts opts; /* IP_TTL, IP_TOS, IP_RECVERR (sockets only) */
	struct socket *sock;      /* NULL for a kernel endpoint */
	struct dgram_queue rx;    /* datagrams, skb->data at the UDP header; rx.drops counts
				   * the ones refused for a full buffer */
	struct udp_endpoint *next;
};

/* A fresh, unbound endpoint (sock may be NULL); NULL if out of memory. */
struct udp_endpoint *udp_ep_alloc(struct socket *sock);
/* Binds ep to laddr:port (port host order, 0: ephemeral). 0, -EINVAL when already bound,
 * -EADDRINUSE, or -EAGAIN when no ephemeral port is free. */
int udp_ep_bind(struct udp_endpoint *ep, in_addr_t laddr, uint16_t port, bool reuse);
/* Sets (raddr != 0) or clears the peer and, when given, the local address, under the lock. */
void udp_ep_set_peer(struct udp_endpoint *ep, in_addr_t laddr, in_addr_t raddr, uint16_t rport);
/* Takes ep out of the table (its port becomes free); ep stays allocated. */
void udp_ep_unhash(struct udp_endpoint *ep);
/* Unhashes and frees ep with whatever is queued. */
void udp_ep_free(struct udp_endpoint *ep);
/* Sends len bytes from src (0: routed source) to dst:dport from ep's port. */
int udp_ep_send(struct udp_endpoint *ep, in_addr_t src, in_addr_t dst, uint16_t dport, const void *data,
		size_t len);
/* The largest payload one datagram carries (65535 - IP and UDP headers). */
#define UDP_MAX_PAYLOAD (IP_MAX_PACKET - sizeof(struct ip_hdr) - sizeof(struct udp_hdr))

/* The socket side's protocol switch entry (udp_sock.c). */
void udp_sock_init(void);
/* An ICMP error quoting q (the offending IP header) and uh (its UDP header): err (-errno)
 * becomes the pending error of the socket that sent it when that socket is connected and the
 * error hard (Linux's rule without IP_RECVERR), or when it asked for every error. */
void udp_icmp_error(const struct ip_hdr *q, const struct udp_hdr *uh, int err, bool hard);
