/*
 * AF_INET SOCK_RAW sockets for ICMP (what busybox ping opens as root): every ICMP datagram
 * the host receives is copied, IP header included, to each raw ICMP socket (bound or connected
 * ones only get what matches); a send is one ICMP message the user built (checksum included),
 * to which IP adds its header (no IP_HDRINCL). Creating one needs root (CAP_NET_RAW).
 *
 * raw_lock guards the socket list; each socket's queue has its own lock.
 */
#include "net/ipv4/inet.h"
#include "net/core/dgram.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/ipv4/af_inet.h"
#include "net/ipv4/raw.h"
#include "proc/process.h"
#include "sched/wait.h"

#define FIONREAD 0x541b

struct raw_sock {
	struct socket *sock;
	struct inet_ip_opts opts;  /* IP_TTL, IP_TOS */
	in_addr_t laddr, raddr;   /* 0: any */
	struct dgram_queue rx;    /* whole IP datagrams, skb->data at the IP header */
	struct raw_sock *next;
};

static spinlock_t raw_lock = SPINLOCK_INIT;
static struct raw_sock *raw_socks;

void raw_input(const struct sk_buff *skb, const struct ipv4_info *ip)
{
	if (!__atomic_load_n(&raw_socks, __ATOMIC_ACQUIRE))
		return;
	size_t hdr = (size_t)(skb->data - skb->network);
	uint64_t fl = spin_lock_irqsave(&raw_lock);
	for (struct raw_sock *r = raw_socks; r; r = r->next) {
		if (r->sock->protocol != ip->protocol || (r->laddr && r->laddr != ip->daddr) ||
		    (r->raddr && r->raddr != ip->saddr) || r->rx.rcv_shut)
			continue;
		int bound = __atomic_load_n(&r->sock->bound_ifindex, __ATOMIC_RELAXED);
		if (bound && bound != skb->dev->ifindex)
			continue; /* SO_BINDTODEVICE: another device's */
		if (r->rx.queued > r->sock->rcvbuf)
			continue; /* full: dropped, as Linux past its receive buffer */
		/* FIXME: a copy per socket allocated under raw_lock; few raw sockets exist. */
		struct sk_buff *c = skb_alloc(hdr + skb->len);
		if (!c)
			break;
		memcpy(skb_put(c, hdr + skb->len), skb->network, hdr + skb->len);
		if (!dgram_enqueue(&r->rx, c, r->sock->rcvbuf))
			skb_free(c);
	}
	spin_unlock_irqrestore(&raw_lock, fl);
}

static struct raw_sock *rs_of(struct socket *sock)
{
	return sock->sk;
}

static void raw_release(struct socket *sock)
{
	struct raw_sock *r = rs_of(sock);
	if (!r)
		return;
	uint64_t fl = spin_lock_irqsave(&raw_lock);
	for (struct raw_sock **pp = &raw_socks; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	spin_unlock_irqrestore(&raw_lock, fl);
	dgram_purge(&r->rx);
	kfree(r);
}

static int raw_bind(struct socket *sock, const void *addr, int len)
{
	struct raw_sock *r = rs_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, false, &ip, &port);
	if (err)
		return err;
	if (ip && !ip_is_local(ip) && !ip_route_is_broadcast(ip))
		return -EADDRNOTAVAIL;
	uint64_t fl = spin_lock_irqsave(&raw_lock);
	r->laddr = ip;
	spin_unlock_irqrestore(&raw_lock, fl);
	return 0;
}

static int raw_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	(void)flags;
	struct raw_sock *r = rs_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, true, &ip, &port);
	if (err)
		return err;
	if (ip && ip_route_is_broadcast(ip) && !sock->broadcast)
		return -EACCES;
	uint64_t fl = spin_lock_irqsave(&raw_lock);
	r->raddr = ip;
	spin_unlock_irqrestore(&raw_lock, fl);
	return 0;
}

static ssize_t raw_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct raw_sock *r = rs_of(sock);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->len > IP_MAX_PACKET - sizeof(struct ip_hdr))
		return -EMSGSIZE;
	if (sock->protocol == IPPROTO_RAW)
		return -EOPNOTSUPP; /* FIXME: IP_HDRINCL (the user's own IP header) */
	in_addr_t dst;
	uint16_t port;
	if (m->name) {
		int err = inet_addr_parse(m->name, m->namelen, false, &dst, &port);
		if (err)
			return err;
	} else if (r->raddr) {
		dst = r->raddr;
	} else {
		return -EDESTADDRREQ;
	}
	if (r->rx.snd_shut)
		return -EPIPE;
	if (ip_route_is_broadcast(dst) && !sock->broadcast)
		return -EACCES;
	in_addr_t src = r->laddr && ip_is_local(r->laddr) ? r->laddr : ip_source_for(dst);
	if (!src)
		return -ENETUNREACH;
	struct sk_buff *skb = skb_alloc(m->len);
	if (!skb)
		return -ENOBUFS;
	memcpy(skb_put(skb, m->len), m->buf, m->len);
	skb->ip_ttl = r->opts.ttl;
	skb->ip_tos = r->opts.tos;
	int err = ip_output(skb, src, dst, (uint8_t)sock->protocol);
	return err < 0 ? err : (ssize_t)m->len;
}

/* Copies a datagram (IP header first) into m; its length. */
static size_t raw_fill(struct socket *sock, const struct sk_buff *skb, struct msg_k *m)
{
	(void)sock;
	size_t n = dgram_copy_data(skb, m);
	if (m->name) {
		const struct ip_hdr *ih = (const struct ip_hdr *)skb->data;
		m->namelen = SOCK_ADDR_MAX;
		inet_addr_fill(m->name, &m->namelen, ih->saddr, 0);
	}
	return n;
}

/* raw sockets never get a pending error (no ICMP error reaches them), so dgram's check of
 * sock->error changes nothing here. */
static ssize_t raw_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	return dgram_recvmsg(sock, &rs_of(sock)->rx, m, flags, raw_fill);
}

static int raw_shutdown(struct socket *sock, int how)
{
	struct raw_sock *r = rs_of(sock);
	return dgram_shutdown(&r->rx, how, r->raddr != 0);
}

static int raw_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct raw_sock *r = rs_of(sock);
	if (peer && !r->raddr)
		return -ENOTCONN;
	/* Linux shows the protocol number where a port would be. */
	inet_addr_fill(addr, len, peer ? r->raddr : r->laddr, peer ? 0 : htons((uint16_t)sock->protocol));
	return 0;
}

static unsigned raw_poll(struct socket *sock, struct poll_table *pt)
{
	return dgram_poll(sock, &rs_of(sock)->rx, pt);
}

static int raw_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	if (cmd != FIONREAD)
		return -ENOTTY;
	return dgram_ioctl_fionread(&rs_of(sock)->rx, 0, arg);
}

static int raw_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	if (level == SOL_SOCKET)
		return dgram_filter_setsockopt(&rs_of(sock)->rx, name, val);
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT; /* FIXME: ICMP_FILTER (SOL_RAW), IP_HDRINCL */
	return inet_ip_setsockopt(&rs_of(sock)->opts, name, val, len);
}

static int raw_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT;
	return inet_ip_getsockopt(&rs_of(sock)->opts, name, val, len);
}

static const struct proto_ops raw_ops = {
	.family = AF_INET,
	.release = raw_release,
	.bind = raw_bind,
	.connect = raw_connect,
	.sendmsg = raw_sendmsg,
	.recvmsg = raw_recvmsg,
	.shutdown = raw_shutdown,
	.getname = raw_getname,
	.poll = raw_poll,
	.ioctl = raw_ioctl,
	.setsockopt = raw_setsockopt,
	.getsockopt = raw_getsockopt,
};

static int raw_create(struct socket *sock, int protocol)
{
	(void)protocol;
	if (!privileged())
		return -EPERM; /* CAP_NET_RAW */
	struct raw_sock *r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->sock = sock;
	dgram_init(&r->rx);
	r->rx.filter_min = 1; /* Linux's sk_filter keeps at least a byte */
	sock->sk = r;
	sock->ops = &raw_ops;
	uint64_t fl = spin_lock_irqsave(&raw_lock);
	r->next = raw_socks;
	__atomic_store_n(&raw_socks, r, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&raw_lock, fl);
	return 0;
}

static const struct inet_protosw raw_icmp_protosw = {
	.type = SOCK_RAW,
	.protocol = IPPROTO_ICMP,
	.is_default = false,
	.create = raw_create,
};

/* IPPROTO_RAW: what busybox udhcpc opens only for the interface ioctls. Nothing arrives on
 * it (no IP protocol 255), and sending needs IP_HDRINCL, which is missing. */
static const struct inet_protosw raw_raw_protosw = {
	.type = SOCK_RAW,
	.protocol = IPPROTO_RAW,
	.is_default = false,
	.create = raw_create,
};

void raw_init(void)
{
	inet_register_protosw(&raw_icmp_protosw);
	inet_register_protosw(&raw_raw_protosw);
}
