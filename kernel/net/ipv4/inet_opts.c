/*
 * The IPPROTO_IP socket options every AF_INET datagram socket shares (IP_TTL, IP_TOS,
 * IP_RECVERR), kept in a struct inet_ip_opts by each protocol. Pure, so the host unit tests
 * link it; the values reach the wire through skb->ip_ttl and skb->ip_tos.
 */
#include "net/ipv4/inet.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Linux reads an int, or a single byte when that is all the caller gave. */
static int opt_value(const void *val, int len)
{
	int v = 0;
	if (len >= (int)sizeof(int))
		memcpy(&v, val, sizeof(v));
	else if (len >= 1)
		v = *(const uint8_t *)val;
	return v;
}

int inet_ip_setsockopt(struct inet_ip_opts *o, int name, const void *val, int len)
{
	int v = opt_value(val, len);
	switch (name) {
	case IP_TTL:
		if (v == -1)
			v = 0; /* back to the default */
		else if (v < 1 || v > 255)
			return -EINVAL;
		o->ttl = (uint8_t)v;
		return 0;
	case IP_TOS:
		o->tos = (uint8_t)v;
		return 0;
	case IP_RECVERR:
		o->recverr = v != 0;
		return 0;
	}
	return -ENOPROTOOPT;
}

int inet_ip_getsockopt(const struct inet_ip_opts *o, int name, void *val, int *len)
{
	int v;
	switch (name) {
	case IP_TTL: v = o->ttl ? o->ttl : IP_TTL_DEFAULT; break;
	case IP_TOS: v = o->tos; break;
	case IP_RECVERR: v = o->recverr; break;
	default: return -ENOPROTOOPT;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}
