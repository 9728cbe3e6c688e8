/*
 * The AF_INET family: socket() resolves (type, protocol) through the protocol switch that the
 * transport protocols fill in at boot. Everything else is the protocols' own proto_ops.
 */
#include "net/ipv4/af_inet.h"
#include "net/ipv4/ping.h"
#include "net/ipv4/raw.h"
#include "net/ipv4/udp.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/spinlock.h"

#define INET_PROTOSW_MAX 8

static const struct inet_protosw *protosw[INET_PROTOSW_MAX];
static unsigned nprotosw;
static spinlock_t protosw_lock = SPINLOCK_INIT;

int inet_register_protosw(const struct inet_protosw *p)
{
	int err = 0;
	if (p->protocol == IPPROTO_IP || !p->create)
		return -EINVAL;
	spin_lock(&protosw_lock);
	for (unsigned i = 0; i < nprotosw; i++)
		if (protosw[i]->type == p->type && protosw[i]->protocol == p->protocol)
			err = -EEXIST;
	if (!err && nprotosw == INET_PROTOSW_MAX)
		err = -ENOSPC;
	if (!err)
		protosw[nprotosw++] = p;
	spin_unlock(&protosw_lock);
	return err;
}

/* Linux's answers: an unknown type is ESOCKTNOSUPPORT, a known type with a protocol it does
 * not carry EPROTONOSUPPORT. */
static const struct inet_protosw *protosw_find(int type, int protocol, int *err)
{
	const struct inet_protosw *found = NULL;
	bool type_known = false;
	spin_lock(&protosw_lock);
	for (unsigned i = 0; i < nprotosw && !found; i++) {
		if (protosw[i]->type != type)
			continue;
		type_known = true;
		if (protocol == protosw[i]->protocol || (protocol == IPPROTO_IP && protosw[i]->is_default))
			found = protosw[i];
	}
	spin_unlock(&protosw_lock);
	*err = found ? 0 : type_known ? -EPROTONOSUPPORT : -ESOCKTNOSUPPORT;
	return found;
}

static int inet_create(struct socket *sock, int protocol)
{
	if (protocol < 0 || protocol > 255)
		return -EINVAL;
	int err;
	const struct inet_protosw *p = protosw_find(sock->type, protocol, &err);
	if (!p)
		return err;
	sock->protocol = p->protocol;
	return p->create(sock, p->protocol);
}

int inet_addr_parse(const void *addr, int len, bool allow_unspec, in_addr_t *ip, uint16_t *port)
{
	struct sockaddr_in sin;
	if (!addr || len < (int)sizeof(uint16_t))
		return -EINVAL;
	uint16_t family;
	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC && allow_unspec) {
		*ip = INADDR_ANY;
		*port = 0;
		return 0;
	}
	if (len < (int)sizeof(sin))
		return -EINVAL;
	memcpy(&sin, addr, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = sin.sin_addr;
	*port = sin.sin_port;
	return 0;
}

void inet_addr_fill(void *addr, int *len, in_addr_t ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port, .sin_addr = ip };
	int room = *len < 0 ? 0 : *len;
	memcpy(addr, &sin, (size_t)room < sizeof(sin) ? (size_t)room : sizeof(sin));
	*len = (int)sizeof(sin);
}

static const struct net_family inet_family = { .family = AF_INET, .create = inet_create };

void inet_init(void)
{
	net_register_family(&inet_family);
	udp_sock_init();
	raw_init();
	ping_init();
}
