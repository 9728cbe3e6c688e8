/*
 * AF_NETLINK sockets for NETLINK_ROUTE: a request sent is answered at once (rtnl.c) and the
 * replies queue on the socket as datagrams of whole messages, at most NL_CHUNK bytes each, for
 * recvmsg. Port ids: bind with 0 (or the first send or getsockname) picks the process id when
 * free, else a negative number, as Linux. FIXME: multicast groups (notifications) are
 * accepted but nothing is ever sent to them.
 *
 * nl_lock guards the socket list and every queue.
 */
#include "net/netlink/netlink.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/socket.h"
#include "proc/process.h"
#include "sched/wait.h"

#define NL_CHUNK 4096          /* one datagram of replies, as Linux's NLMSG_GOODSIZE */
#define NL_REPLY_MAX 65536     /* the most one request may produce */

struct nl_dgram {
	struct nl_dgram *next;
	size_t len;
	char data[];
};

struct nl_sock {
	struct socket *sock;
	uint32_t portid;        /* 0: not bound yet */
	struct nl_dgram *head, *tail;
	size_t queued;          /* bytes waiting, held to the receive buffer */
	struct waitqueue wq;
	struct nl_sock *next;
};

static spinlock_t nl_lock = SPINLOCK_INIT;
static struct nl_sock *nl_socks;
static int32_t nl_next_negative = -4096;

static bool nl_port_used(uint32_t portid)
{
	for (struct nl_sock *n = nl_socks; n; n = n->next)
		if (n->portid == portid)
			return true;
	return false;
}

/* Under nl_lock: gives n a port id (want, or one picked when want is 0). */
static int nl_assign(struct nl_sock *n, uint32_t want)
{
	if (n->portid)
		return want && want != n->portid ? -EINVAL : 0;
	if (!want) {
		struct process *p = current_process();
		want = p ? (uint32_t)p->pid : 0;
		while (!want || nl_port_used(want))
			want = (uint32_t)nl_next_negative--;
	} else if (nl_port_used(want)) {
		return -EADDRINUSE;
	}
	n->portid = want;
	return 0;
}

static struct nl_sock *nl_of(struct socket *sock)
{
	return sock->sk;
}

static void nl_release(struct socket *sock)
{
	struct nl_sock *n = nl_of(sock);
	if (!n)
		return;
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	for (struct nl_sock **pp = &nl_socks; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	struct nl_dgram *d = n->head;
	spin_unlock_irqrestore(&nl_lock, fl);
	while (d) {
		struct nl_dgram *next = d->next;
		kfree(d);
		d = next;
	}
	kfree(n);
}

static int nl_bind(struct socket *sock, const void *addr, int len)
{
	struct sockaddr_nl_k a;
	if (len < (int)sizeof(a))
		return -EINVAL;
	memcpy(&a, addr, sizeof(a));
	if (a.family != AF_NETLINK)
		return -EINVAL;
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	int err = nl_assign(nl_of(sock), a.pid);
	spin_unlock_irqrestore(&nl_lock, fl);
	return err;
}

static int nl_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	(void)flags;
	struct sockaddr_nl_k a;
	if (len < (int)sizeof(uint16_t))
		return -EINVAL;
	memcpy(&a, addr, len < (int)sizeof(a) ? (size_t)len : sizeof(a));
	if (a.family == AF_UNSPEC)
		return 0;
	if (len < (int)sizeof(a) || a.family != AF_NETLINK)
		return -EINVAL;
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	int err = nl_assign(nl_of(sock), 0);
	spin_unlock_irqrestore(&nl_lock, fl);
	return err; /* FIXME: only the kernel (port 0) is a peer; others are not checked */
}

static int nl_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct nl_sock *n = nl_of(sock);
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	if (!peer)
		nl_assign(n, 0);
	struct sockaddr_nl_k a = { AF_NETLINK, 0, peer ? 0 : n->portid, 0 };
	spin_unlock_irqrestore(&nl_lock, fl);
	int room = *len < 0 ? 0 : *len;
	memcpy(addr, &a, (size_t)room < sizeof(a) ? (size_t)room : sizeof(a));
	*len = sizeof(a);
	return 0;
}

/* Queues the replies in b as datagrams of whole messages. A reader that never reads cannot
 * make the kernel hold more than its receive buffer: past it replies are dropped and the
 * socket's error becomes ENOBUFS, as Linux reports a netlink overrun. */
static int nl_queue(struct nl_sock *n, const struct nl_buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		size_t take = 0;
		while (off + take < b->len) {
			const struct nlmsghdr_k *h = (const struct nlmsghdr_k *)(b->p + off + take);
			size_t m = NLMSG_ALIGN(h->len);
			if (take && take + m > NL_CHUNK)
				break;
			take += m;
		}
		struct nl_dgram *d = kmalloc(sizeof(*d) + take);
		if (!d)
			return -ENOBUFS;
		d->next = NULL;
		d->len = take;
		memcpy(d->data, b->p + off, take);
		uint64_t fl = spin_lock_irqsave(&nl_lock);
		bool full = n->queued > n->sock->rcvbuf;
		if (!full) {
			if (n->tail)
				n->tail->next = d;
			else
				n->head = d;
			n->tail = d;
			n->queued += take;
		}
		spin_unlock_irqrestore(&nl_lock, fl);
		if (full) {
			kfree(d);
			__atomic_store_n(&n->sock->error, -ENOBUFS, __ATOMIC_RELEASE);
			break;
		}
		off += take;
	}
	wake_up_all(&n->wq);
	return 0;
}

static ssize_t nl_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	(void)flags;
	struct nl_sock *n = nl_of(sock);
	if (m->name) {
		struct sockaddr_nl_k a;
		if (m->namelen < (int)sizeof(a))
			return -EINVAL;
		memcpy(&a, m->name, sizeof(a));
		if (a.family != AF_NETLINK)
			return -EINVAL;
		if (a.pid != 0 || a.groups)
			return -EPERM; /* FIXME: only the kernel takes messages; no multicast sends */
	}
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	int err = nl_assign(n, 0);
	uint32_t portid = n->portid;
	spin_unlock_irqrestore(&nl_lock, fl);
	if (err)
		return err;
	struct nl_buf b = { .p = kmalloc(NL_REPLY_MAX), .cap = NL_REPLY_MAX };
	if (!b.p)
		return -ENOBUFS;
	/* Each well-formed message is answered; a malformed tail is ignored, as Linux does. */
	for (size_t off = 0; off + sizeof(struct nlmsghdr_k) <= m->len;) {
		struct nlmsghdr_k h;
		memcpy(&h, m->buf + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > m->len - off)
			break;
		rtnl_handle(&h, m->buf + off + sizeof(h), h.len - sizeof(h), portid, &b);
		off += NLMSG_ALIGN(h.len);
	}
	err = b.len ? nl_queue(n, &b) : 0;
	kfree(b.p);
	return err ? err : (ssize_t)m->len;
}

static bool nl_readable(void *arg)
{
	struct nl_sock *n = arg;
	return __atomic_load_n(&n->head, __ATOMIC_ACQUIRE) != NULL;
}

static ssize_t nl_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct nl_sock *n = nl_of(sock);
	struct nl_dgram *d;
	for (;;) {
		int err = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
		if (err)
			return err; /* an overrun: replies were lost */
		uint64_t fl = spin_lock_irqsave(&nl_lock);
		d = n->head;
		if (d && !(flags & MSG_PEEK)) {
			n->head = d->next;
			if (!n->head)
				n->tail = NULL;
			n->queued -= d->len;
		}
		size_t len = d ? d->len : 0;
		if (d && (flags & MSG_PEEK))
			memcpy(m->buf, d->data, len < m->len ? len : m->len); /* stays queued */
		spin_unlock_irqrestore(&nl_lock, fl);
		if (d)
			break;
		if (flags & MSG_DONTWAIT)
			return -EAGAIN;
		err = sock_wait(&n->wq, nl_readable, n, sock->rcvtimeo_ns);
		if (err)
			return err;
	}
	size_t len = d->len;
	if (!(flags & MSG_PEEK)) {
		memcpy(m->buf, d->data, len < m->len ? len : m->len);
		kfree(d);
	}
	if (len > m->len)
		m->flags_out |= MSG_TRUNC;
	if (m->name) {
		struct sockaddr_nl_k a = { AF_NETLINK, 0, 0, 0 }; /* from the kernel */
		memcpy(m->name, &a, sizeof(a));
		m->namelen = sizeof(a);
	}
	return (flags & MSG_TRUNC) || len <= m->len ? (ssize_t)len : (ssize_t)m->len;
}

static unsigned nl_poll(struct socket *sock, struct poll_table *pt)
{
	struct nl_sock *n = nl_of(sock);
	poll_wait(pt, &n->wq);
	return POLLOUT | POLLWRNORM | (nl_readable(n) ? POLLIN | POLLRDNORM : 0) |
	       (__atomic_load_n(&sock->error, __ATOMIC_ACQUIRE) ? POLLERR : 0);
}

static int nl_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	(void)sock, (void)name, (void)val, (void)len;
	/* FIXME: NETLINK_ADD_MEMBERSHIP and friends (SOL_NETLINK 270) are accepted and ignored. */
	return level == 270 ? 0 : -ENOPROTOOPT;
}

static const struct proto_ops nl_ops = {
	.family = AF_NETLINK,
	.release = nl_release,
	.bind = nl_bind,
	.connect = nl_connect,
	.sendmsg = nl_sendmsg,
	.recvmsg = nl_recvmsg,
	.getname = nl_getname,
	.poll = nl_poll,
	.setsockopt = nl_setsockopt,
};

static int nl_create(struct socket *sock, int protocol)
{
	if (sock->type != SOCK_RAW && sock->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nl_sock *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sock = sock;
	waitqueue_init(&n->wq);
	sock->sk = n;
	sock->ops = &nl_ops;
	uint64_t fl = spin_lock_irqsave(&nl_lock);
	n->next = nl_socks;
	nl_socks = n;
	spin_unlock_irqrestore(&nl_lock, fl);
	return 0;
}

static const struct net_family nl_family = { .family = AF_NETLINK, .create = nl_create };

void netlink_init(void)
{
	net_register_family(&nl_family);
}
