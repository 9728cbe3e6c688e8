/*
 * AF_INET SOCK_DGRAM sockets over UDP: each socket owns one udp_endpoint (udp.c), bound on
 * bind() or on its first send/connect (an ephemeral port), connected by connect() (the
 * endpoint then receives only from its peer and sends to it by default). The socket layer
 * hands us kernel buffers; blocking waits go through sock_wait.
 *
 * us->lock (a mutex) serialises bind, connect and autobind on one socket; the datagrams
 * themselves move under udp.c's locks.
 */
#include "net/ipv4/udp.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/ipv4/af_inet.h"
#include "proc/process.h"

#define FIONREAD 0x541b
#define MSG_ERRQUEUE 0x2000
#define SIOCOUTQ 0x5411
#define PROT_SOCK 1024 /* ports below this need privilege */

struct udp_sock {
	struct udp_endpoint *ep;
	struct mutex lock;
};

static struct udp_sock *us_of(struct socket *sock)
{
	return sock->sk;
}

static void udp_sock_release(struct socket *sock)
{
	struct udp_sock *us = us_of(sock);
	if (!us)
		return;
	udp_ep_free(us->ep);
	kfree(us);
}

/* Binds to an ephemeral port on the wildcard address when not bound yet (us->lock held). */
static int udp_autobind(struct socket *sock, struct udp_sock *us)
{
	if (us->ep->hashed)
		return 0;
	return udp_ep_bind(us->ep, INADDR_ANY_NET, 0, sock->reuseaddr);
}

static int udp_sock_bind(struct socket *sock, const void *addr, int len)
{
	struct udp_sock *us = us_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, false, &ip, &port);
	if (err)
		return err;
	port = ntohs(port);
	/* Only our own addresses, the wildcard or a broadcast one can be bound (Linux without
	 * ip_nonlocal_bind). */
	if (ip != INADDR_ANY_NET && !ip_is_local(ip) && !ip_route_is_broadcast(ip))
		return -EADDRNOTAVAIL;
	if (port && port < PROT_SOCK && !privileged())
		return -EACCES;
	mutex_lock(&us->lock);
	err = us->ep->hashed ? -EINVAL : udp_ep_bind(us->ep, ip, port, sock->reuseaddr);
	if (!err)
		us->ep->addr_locked = ip != INADDR_ANY_NET;
	mutex_unlock(&us->lock);
	return err;
}

/* SO_DONTROUTE or MSG_DONTROUTE: only this host, broadcasts and hosts on a connected subnet
 * can be reached (Linux looks up link-scope routes only); ENETUNREACH for the rest. */
static int udp_dontroute_check(struct socket *sock, unsigned flags, in_addr_t dst)
{
	if (!sock->dontroute && !(flags & MSG_DONTROUTE))
		return 0;
	if (ip_is_local(dst) || ip_route_is_broadcast(dst))
		return 0;
	struct net_device *dev = inet_onlink_dev(dst);
	if (!dev)
		return -ENETUNREACH;
	netdev_put(dev);
	return 0;
}

static int udp_sock_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	(void)flags;
	struct udp_sock *us = us_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, true, &ip, &port);
	if (err)
		return err;
	mutex_lock(&us->lock);
	struct udp_endpoint *ep = us->ep;
	if (ip == INADDR_ANY_NET && port == 0 && ((const uint16_t *)addr)[0] == AF_UNSPEC) {
		/* Dissolving the association: an address chosen by connect goes with it. */
		udp_ep_set_peer(ep, ep->addr_locked ? ep->laddr : INADDR_ANY_NET, 0, 0);
		mutex_unlock(&us->lock);
		return 0;
	}
	if (ip == INADDR_ANY_NET)
		ip = IPV4(127, 0, 0, 1); /* Linux: connecting to 0.0.0.0 means this host */
	in_addr_t src = ep->laddr ? ep->laddr : ip_source_for(ip);
	if (!src || udp_dontroute_check(sock, 0, ip))
		err = -ENETUNREACH;
	else if (ip_route_is_broadcast(ip) && !sock->broadcast)
		err = -EACCES;
	else
		err = udp_autobind(sock, us);
	if (!err)
		udp_ep_set_peer(ep, src, ip, ntohs(port));
	mutex_unlock(&us->lock);
	return err;
}

/* The pending asynchronous error (an ICMP report), taken once. */
static int udp_take_error(struct socket *sock)
{
	return __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
}

static ssize_t udp_sock_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct udp_sock *us = us_of(sock);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	in_addr_t dst;
	uint16_t dport;
	if (m->name) {
		struct sockaddr_in sin;
		if (m->namelen < (int)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, m->name, sizeof(sin));
		/* Linux takes AF_UNSPEC here as AF_INET (old programs leave the family 0). */
		if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		dst = sin.sin_addr;
		dport = ntohs(sin.sin_port);
		if (dport == 0)
			return -EINVAL;
		if (dst == INADDR_ANY_NET)
			dst = IPV4(127, 0, 0, 1);
	} else {
		if (!us->ep->raddr)
			return -EDESTADDRREQ;
		dst = us->ep->raddr;
		dport = us->ep->rport;
	}
	if (us->ep->rx.snd_shut)
		return -EPIPE;
	int err = udp_take_error(sock);
	if (err)
		return err;
	if (ip_route_is_broadcast(dst) && !sock->broadcast)
		return -EACCES;
	err = udp_dontroute_check(sock, flags, dst);
	if (err)
		return err;
	mutex_lock(&us->lock);
	err = udp_autobind(sock, us);
	in_addr_t src = us->ep->laddr;
	mutex_unlock(&us->lock);
	if (err)
		return err;
	/* A socket bound to a broadcast address sends from its route's own address. */
	if (src && !ip_is_local(src))
		src = 0;
	err = udp_ep_send(us->ep, src, dst, dport, m->buf, m->len);
	return err < 0 ? err : (ssize_t)m->len;
}

/* Copies a datagram into m (kernel memory, so this may run under the queue lock); its length. */
static size_t udp_fill_msg(struct socket *sock, const struct sk_buff *skb, struct msg_k *m)
{
	(void)sock;
	const struct udp_hdr *h = (const struct udp_hdr *)skb->data;
	size_t n = skb->len - sizeof(*h);
	memcpy(m->buf, h + 1, n < m->len ? n : m->len);
	if (n > m->len)
		m->flags_out |= MSG_TRUNC;
	if (m->name) {
		const struct ip_hdr *ih = (const struct ip_hdr *)skb->network;
		m->namelen = SOCK_ADDR_MAX;
		inet_addr_fill(m->name, &m->namelen, ih->saddr, h->source);
	}
	return n;
}

static ssize_t udp_sock_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	/* FIXME: no error queue; errors come as the pending error instead. */
	if ((flags & MSG_ERRQUEUE) && !(flags & MSG_OOB))
		return -EAGAIN;
	return dgram_recvmsg(sock, &us_of(sock)->ep->rx, m, flags, udp_fill_msg);
}

static int udp_sock_shutdown(struct socket *sock, int how)
{
	struct udp_endpoint *ep = us_of(sock)->ep;
	return dgram_shutdown(&ep->rx, how, ep->raddr != 0);
}

static int udp_sock_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct udp_endpoint *ep = us_of(sock)->ep;
	if (peer) {
		if (!ep->raddr)
			return -ENOTCONN;
		inet_addr_fill(addr, len, ep->raddr, htons(ep->rport));
	} else {
		inet_addr_fill(addr, len, ep->laddr, htons(ep->port));
	}
	return 0;
}

static unsigned udp_sock_poll(struct socket *sock, struct poll_table *pt)
{
	return dgram_poll(sock, &us_of(sock)->ep->rx, pt);
}

static int udp_sock_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	/* Linux: FIONREAD is the payload length of the next datagram; nothing waits to be sent. */
	if (cmd == FIONREAD)
		return dgram_ioctl_fionread(&us_of(sock)->ep->rx, sizeof(struct udp_hdr), arg);
	if (cmd != SIOCOUTQ)
		return -ENOTTY;
	return put_user(0, (int *)arg);
}

static int udp_sock_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	if (level == SOL_SOCKET)
		return dgram_filter_setsockopt(&us_of(sock)->ep->rx, name, val);
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT; /* FIXME: IP_PKTINFO, the multicast options, UDP_CORK */
	return inet_ip_setsockopt(&us_of(sock)->ep->opts, name, val, len);
}

static int udp_sock_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT;
	return inet_ip_getsockopt(&us_of(sock)->ep->opts, name, val, len);
}

static const struct proto_ops udp_sock_ops = {
	.family = AF_INET,
	.release = udp_sock_release,
	.bind = udp_sock_bind,
	.connect = udp_sock_connect,
	.sendmsg = udp_sock_sendmsg,
	.recvmsg = udp_sock_recvmsg,
	.shutdown = udp_sock_shutdown,
	.getname = udp_sock_getname,
	.poll = udp_sock_poll,
	.ioctl = udp_sock_ioctl,
	.setsockopt = udp_sock_setsockopt,
	.getsockopt = udp_sock_getsockopt,
};

static int udp_sock_create(struct socket *sock, int protocol)
{
	(void)protocol;
	struct udp_sock *us = kzalloc(sizeof(*us));
	if (!us)
		return -ENOMEM;
	us->ep = udp_ep_alloc(sock);
	if (!us->ep) {
		kfree(us);
		return -ENOMEM;
	}
	mutex_init(&us->lock);
	sock->sk = us;
	sock->ops = &udp_sock_ops;
	return 0;
}

static const struct inet_protosw udp_protosw = {
	.type = SOCK_DGRAM,
	.protocol = IPPROTO_UDP,
	.is_default = true,
	.create = udp_sock_create,
};

void udp_sock_init(void)
{
	inet_register_protosw(&udp_protosw);
}
