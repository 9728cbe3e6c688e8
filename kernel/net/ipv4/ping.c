/*
 * ICMP echo sockets (SOCK_DGRAM/IPPROTO_ICMP, Linux's "ping sockets"): an unprivileged ping.
 * The socket's port is its echo identifier: bind or the first send picks one; a send must be
 * an echo request (the kernel writes the identifier and the checksum), and only echo replies
 * carrying the identifier come back, as ICMP header and data without the IP header. Linux
 * lets only the groups of net.ipv4.ping_group_range create one; here everyone may (FIXME: no
 * sysctl). ICMP errors quoting one of its requests follow UDP's rule: the hard ones reach a
 * connected socket, every one a socket with IP_RECVERR, as its pending error.
 *
 * ping_lock guards the socket list and identifiers; each queue has its own lock.
 */
#include "net/ipv4/inet.h"
#include "net/core/dgram.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/ipv4/af_inet.h"
#include "net/ipv4/ping.h"
#include "sched/wait.h"

#define FIONREAD 0x541b

struct ping_sock {
	struct socket *sock;
	struct inet_ip_opts opts;  /* IP_TTL, IP_TOS */
	in_addr_t laddr, raddr;
	uint16_t ident;           /* host order; 0: not bound yet */
	struct dgram_queue rx;    /* echo replies, skb->data at the ICMP header */
	struct ping_sock *next;
};

static spinlock_t ping_sock_lock = SPINLOCK_INIT;
static struct ping_sock *ping_socks;
static uint16_t ping_next_ident = 1;

static bool ping_ident_used(uint16_t ident, void *ctx)
{
	(void)ctx;
	for (struct ping_sock *p = ping_socks; p; p = p->next)
		if (p->ident == ident)
			return true;
	return false;
}

bool ping_input(const struct sk_buff *skb, const struct ipv4_info *ip)
{
	const struct icmp_hdr *h = (const struct icmp_hdr *)skb->data;
	if (h->type != ICMP_ECHOREPLY || !__atomic_load_n(&ping_socks, __ATOMIC_ACQUIRE))
		return false;
	bool taken = false;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	for (struct ping_sock *p = ping_socks; p && !taken; p = p->next) {
		int bound = __atomic_load_n(&p->sock->bound_ifindex, __ATOMIC_RELAXED);
		if (!p->ident || p->ident != ntohs(h->id) || (p->laddr && p->laddr != ip->daddr) ||
		    (p->raddr && p->raddr != ip->saddr) || p->rx.rcv_shut || (bound && bound != skb->dev->ifindex))
			continue;
		taken = true;
		if (p->rx.queued > p->sock->rcvbuf)
			break; /* full: dropped */
		struct sk_buff *c = skb_copy(skb);
		if (!c)
			break;
		c->network = NULL;
		memcpy(c->head, &ip->saddr, sizeof(in_addr_t)); /* the sender, in the headroom */
		if (!dgram_enqueue(&p->rx, c, p->sock->rcvbuf))
			skb_free(c);
	}
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	return taken;
}

void ping_icmp_error(const struct ip_hdr *q, const struct icmp_hdr *echo, int err, bool hard)
{
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	for (struct ping_sock *p = ping_socks; p; p = p->next) {
		if (!p->ident || p->ident != ntohs(echo->id) || (p->laddr && p->laddr != q->saddr) ||
		    (p->raddr && p->raddr != q->daddr))
			continue;
		if (!p->opts.recverr && (!hard || !p->raddr))
			break;
		__atomic_store_n(&p->sock->error, err, __ATOMIC_RELEASE);
		wake_up_all(&p->rx.wq);
		break;
	}
	spin_unlock_irqrestore(&ping_sock_lock, fl);
}

static struct ping_sock *ps_of(struct socket *sock)
{
	return sock->sk;
}

static void ping_release(struct socket *sock)
{
	struct ping_sock *p = ps_of(sock);
	if (!p)
		return;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	for (struct ping_sock **pp = &ping_socks; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	dgram_purge(&p->rx);
	kfree(p);
}

/* Gives p an identifier (want, or a free one when 0), under ping_sock_lock. */
static int ping_bind_ident(struct ping_sock *p, uint16_t want)
{
	if (p->ident)
		return want ? -EINVAL : 0;
	if (!want)
		want = inet_port_pick(&ping_next_ident, 1, 65535, ping_ident_used, NULL);
	else if (ping_ident_used(want, NULL))
		return -EADDRINUSE;
	if (!want)
		return -EAGAIN;
	p->ident = want;
	return 0;
}

static int ping_bind(struct socket *sock, const void *addr, int len)
{
	struct ping_sock *p = ps_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, false, &ip, &port);
	if (err)
		return err;
	if (ip && !ip_is_local(ip))
		return -EADDRNOTAVAIL;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	err = p->ident ? -EINVAL : ping_bind_ident(p, ntohs(port));
	if (!err)
		p->laddr = ip;
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	return err;
}

static int ping_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	(void)flags;
	struct ping_sock *p = ps_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, true, &ip, &port);
	if (err)
		return err;
	if (ip && ip_route_is_broadcast(ip) && !sock->broadcast)
		return -EACCES;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	err = ping_bind_ident(p, 0);
	if (!err)
		p->raddr = ip;
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	return err;
}

static ssize_t ping_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct ping_sock *p = ps_of(sock);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->len < sizeof(struct icmp_hdr) || m->len > IP_MAX_PACKET - sizeof(struct ip_hdr))
		return m->len < sizeof(struct icmp_hdr) ? -EINVAL : -EMSGSIZE;
	struct icmp_hdr h;
	memcpy(&h, m->buf, sizeof(h));
	if (h.type != ICMP_ECHO || h.code != 0)
		return -EINVAL; /* Linux: only echo requests */
	in_addr_t dst;
	uint16_t port;
	if (m->name) {
		int err = inet_addr_parse(m->name, m->namelen, false, &dst, &port);
		if (err)
			return err;
	} else if (p->raddr) {
		dst = p->raddr;
	} else {
		return -EDESTADDRREQ;
	}
	if (p->rx.snd_shut)
		return -EPIPE;
	int perr = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
	if (perr)
		return perr;
	if (ip_route_is_broadcast(dst) && !sock->broadcast)
		return -EACCES;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	int err = ping_bind_ident(p, 0);
	uint16_t ident = p->ident;
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	if (err)
		return err;
	in_addr_t src = p->laddr ? p->laddr : ip_source_for(dst);
	if (!src)
		return -ENETUNREACH;
	struct sk_buff *skb = skb_alloc(m->len);
	if (!skb)
		return -ENOBUFS;
	struct icmp_hdr *out = (struct icmp_hdr *)skb_put(skb, m->len);
	memcpy(out, m->buf, m->len);
	out->id = htons(ident);
	out->check = 0;
	out->check = inet_checksum(out, m->len);
	skb->ip_ttl = p->opts.ttl;
	skb->ip_tos = p->opts.tos;
	err = ip_output(skb, src, dst, IPPROTO_ICMP);
	return err < 0 ? err : (ssize_t)m->len;
}

static size_t ping_fill(struct socket *sock, const struct sk_buff *skb, struct msg_k *m)
{
	(void)sock;
	size_t n = dgram_copy_data(skb, m);
	if (m->name) {
		in_addr_t from;
		memcpy(&from, skb->head, sizeof(from));
		m->namelen = SOCK_ADDR_MAX;
		inet_addr_fill(m->name, &m->namelen, from, 0);
	}
	return n;
}

static ssize_t ping_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	return dgram_recvmsg(sock, &ps_of(sock)->rx, m, flags, ping_fill);
}

static int ping_shutdown(struct socket *sock, int how)
{
	struct ping_sock *p = ps_of(sock);
	return dgram_shutdown(&p->rx, how, p->raddr != 0);
}

static int ping_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct ping_sock *p = ps_of(sock);
	if (peer && !p->raddr)
		return -ENOTCONN;
	inet_addr_fill(addr, len, peer ? p->raddr : p->laddr, peer ? 0 : htons(p->ident));
	return 0;
}

static unsigned ping_poll(struct socket *sock, struct poll_table *pt)
{
	return dgram_poll(sock, &ps_of(sock)->rx, pt);
}

static int ping_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	if (cmd != FIONREAD)
		return -ENOTTY;
	return dgram_ioctl_fionread(&ps_of(sock)->rx, 0, arg);
}

static int ping_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	if (level == SOL_SOCKET)
		return dgram_filter_setsockopt(&ps_of(sock)->rx, name, val);
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT; /* FIXME: IP_RECVTTL */
	return inet_ip_setsockopt(&ps_of(sock)->opts, name, val, len);
}

static int ping_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT;
	return inet_ip_getsockopt(&ps_of(sock)->opts, name, val, len);
}

static const struct proto_ops ping_ops = {
	.family = AF_INET,
	.release = ping_release,
	.bind = ping_bind,
	.connect = ping_connect,
	.sendmsg = ping_sendmsg,
	.recvmsg = ping_recvmsg,
	.shutdown = ping_shutdown,
	.getname = ping_getname,
	.poll = ping_poll,
	.ioctl = ping_ioctl,
	.setsockopt = ping_setsockopt,
	.getsockopt = ping_getsockopt,
};

static int ping_create(struct socket *sock, int protocol)
{
	(void)protocol;
	struct ping_sock *p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sock = sock;
	dgram_init(&p->rx);
	p->rx.filter_min = 1; /* Linux's sk_filter keeps at least a byte */
	sock->sk = p;
	sock->ops = &ping_ops;
	uint64_t fl = spin_lock_irqsave(&ping_sock_lock);
	p->next = ping_socks;
	__atomic_store_n(&ping_socks, p, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&ping_sock_lock, fl);
	return 0;
}

static const struct inet_protosw ping_protosw = {
	.type = SOCK_DGRAM,
	.protocol = IPPROTO_ICMP,
	.is_default = false,
	.create = ping_create,
};

void ping_init(void)
{
	inet_register_protosw(&ping_protosw);
}
