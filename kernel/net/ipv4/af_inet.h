/*
 * AF_INET sockets: the family's entry point and its protocol switch. Each protocol (UDP, TCP,
 * ICMP echo, raw) registers the socket types it serves with inet_register_protosw from its init
 * function; socket(AF_INET, type, protocol) finds the entry whose type matches and whose
 * protocol matches (protocol 0 picks the type's default entry) and lets it create the socket.
 * The socket layer copies addresses into kernel memory, so the helpers here only ever see
 * kernel buffers.
 */
#pragma once

#include "net/net.h"
#include "net/socket.h"

#define IPPROTO_IP   0
#define IPPROTO_TCP  6
#define IPPROTO_RAW  255

struct sockaddr_in {
	uint16_t sin_family; /* AF_INET */
	uint16_t sin_port;   /* network order */
	in_addr_t sin_addr;  /* network order */
	uint8_t sin_zero[8];
};
_Static_assert(sizeof(struct sockaddr_in) == 16, "struct sockaddr_in as Linux");

#define INADDR_ANY       0u
#define INADDR_BROADCAST 0xffffffffu

/* One protocol's claim on a socket type. */
struct inet_protosw {
	int type;        /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
	int protocol;    /* IPPROTO_*; IPPROTO_IP (0) is not allowed here */
	bool is_default; /* socket(AF_INET, type, 0) picks this one */
	/* Sets sock->ops and sock->sk (sock->protocol is already the resolved protocol). */
	int (*create)(struct socket *sock, int protocol);
};

/* 0, -EEXIST for a second entry of the same type and protocol, -ENOSPC when the switch is full. */
int inet_register_protosw(const struct inet_protosw *p);

/*
 * Reads a struct sockaddr_in of len bytes at addr (kernel memory): 0 with *ip and *port in
 * network order, -EINVAL when too short, -EAFNOSUPPORT when not AF_INET (AF_UNSPEC is
 * accepted when allow_unspec: connect() uses it to dissolve an association).
 */
int inet_addr_parse(const void *addr, int len, bool allow_unspec, in_addr_t *ip, uint16_t *port);
/* Writes ip:port (network order) as a struct sockaddr_in to addr (room: *len bytes, at least
 * 16 or the name is truncated as Linux does); *len becomes 16. */
void inet_addr_fill(void *addr, int *len, in_addr_t ip, uint16_t port);

/* Registers the AF_INET family (after net_init). */
void inet_init(void);
