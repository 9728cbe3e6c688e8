/*
 * AF_PACKET sockets (see packet.h). Each socket has a protocol (an EtherType, ETH_P_ALL for
 * every frame, 0 for none yet), an optional device it is bound to, an optional classic BPF
 * filter (SO_ATTACH_FILTER, net/core/bpf.c) and a dgram receive queue. The net core calls
 * packet_deliver for each frame it receives (before Ethernet demultiplexing) and sends (from
 * netdev_xmit); each matching socket gets a copy, with the sockaddr_ll facts kept in the
 * copy's headroom. Creating one needs root (CAP_NET_RAW). Memberships (promiscuous and
 * multicast reception) live in packet_mc.c.
 *
 * packet_lock guards the socket list and each socket's binding and filter; the queues have
 * their own locks (taken inside packet_lock).
 */
#include "net/packet/packet.h"
#include "net/packet/packet_mc.h"

#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/core/bpf.h"
#include "net/core/dgram.h"
#include "net/core/if_ioctl.h"
#include "net/ipv4/inet.h"
#include "net/socket.h"
#include "proc/process.h"

#define FIONREAD 0x541b

struct packet_sock {
	struct socket *sock;
	uint16_t proto;           /* network order; 0: receives nothing */
	int ifindex;              /* bound device; 0: every device */
	bool auxdata;             /* PACKET_AUXDATA: each receive carries a tpacket_auxdata */
	struct bpf_prog *filter;  /* NULL: everything passes */
	struct dgram_queue rx;    /* skb->data at the Ethernet header (SOCK_RAW) or after it */
	struct packet_mclist mc;  /* PACKET_ADD_MEMBERSHIP */
	struct packet_sock *next;
};

/* What recvfrom reports about a queued frame; kept at the copy's head (its headroom). */
struct packet_meta {
	uint32_t orig_len; /* the length the filter saw, before it cut */
	int32_t ifindex;
	uint16_t proto;  /* network order */
	uint16_t hatype;
	uint8_t pkttype;
	uint8_t src[ETH_ALEN];
};
_Static_assert(sizeof(struct packet_meta) <= SKB_HEADROOM, "packet_meta fits the headroom");

static spinlock_t packet_lock = SPINLOCK_INIT;
static struct packet_sock *packet_socks;

static struct packet_sock *pk_of(struct socket *sock)
{
	return sock->sk;
}

static uint8_t packet_type_of(const struct net_device *dev, const struct eth_hdr *eh, bool outgoing)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (outgoing)
		return PACKET_OUTGOING;
	if (eh->dst[0] & 1)
		return memcmp(eh->dst, bcast, ETH_ALEN) == 0 ? PACKET_BROADCAST : PACKET_MULTICAST;
	return memcmp(eh->dst, dev->mac, ETH_ALEN) == 0 ? PACKET_HOST : PACKET_OTHERHOST;
}

/* Queues a copy of frame[off..len) (or the part the filter keeps) on p; under packet_lock. */
static void packet_queue_copy(struct packet_sock *p, const uint8_t *frame, size_t len,
			      const struct packet_meta *meta)
{
	size_t off = p->sock->type == SOCK_RAW ? 0 : ETH_HLEN;
	size_t n = len - off;
	if (p->filter) {
		uint32_t keep = bpf_run(p->filter, frame + off, n);
		if (keep == 0) {
			__atomic_fetch_add(&p->rx.drops, 1, __ATOMIC_RELAXED);
			return;
		}
		if (keep < n)
			n = keep;
	}
	if (p->rx.queued > p->sock->rcvbuf) {
		/* Full: dropped before copying, as dgram_enqueue would. */
		__atomic_fetch_add(&p->rx.drops, 1, __ATOMIC_RELAXED);
		return;
	}
	struct sk_buff *c = skb_alloc(n);
	if (!c)
		return;
	memcpy(skb_put(c, n), frame + off, n);
	memcpy(c->head, meta, sizeof(*meta));
	((struct packet_meta *)c->head)->orig_len = (uint32_t)(len - off);
	if (!dgram_enqueue(&p->rx, c, p->sock->rcvbuf))
		skb_free(c);
}

void packet_deliver(const struct sk_buff *skb, bool outgoing)
{
	if (!__atomic_load_n(&packet_socks, __ATOMIC_ACQUIRE) || skb->len < ETH_HLEN)
		return;
	const struct eth_hdr *eh = (const struct eth_hdr *)skb->data;
	struct net_device *dev = skb->dev;
	struct packet_meta meta = {
		.ifindex = dev->ifindex,
		.proto = eh->type,
		.hatype = (dev->flags & IFF_LOOPBACK) ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
		.pkttype = packet_type_of(dev, eh, outgoing),
	};
	memcpy(meta.src, eh->src, ETH_ALEN);
	/*
	 * A frame whose TCP/UDP checksum the device is to finish (or, received, was vouched for
	 * but left partial) is given to sockets with the checksum completed, in a copy made for
	 * the first one that takes it. Linux hands it over unfinished with TP_STATUS_CSUMNOTREADY;
	 * a finished one is right for every reader.
	 */
	struct sk_buff *done = NULL;
	const uint8_t *data = skb->data;
	uint64_t fl = spin_lock_irqsave(&packet_lock);
	for (struct packet_sock *p = packet_socks; p; p = p->next) {
		bool all = p->proto == htons(ETH_P_ALL);
		if (!p->proto || (!all && (outgoing || p->proto != eh->type)) ||
		    (p->ifindex && p->ifindex != dev->ifindex) || p->rx.rcv_shut)
			continue;
		/* As Linux, a socket never sees its own frame leave (it may see it come back on lo). */
		if (outgoing && skb->origin == p)
			continue;
		if (skb->csum == SKB_CSUM_PARTIAL && !done) {
			done = skb_copy(skb);
			if (!done || skb_csum_complete(done) < 0)
				break;
			data = done->data;
		}
		packet_queue_copy(p, data, skb->len, &meta);
	}
	spin_unlock_irqrestore(&packet_lock, fl);
	skb_free(done);
}

static void packet_release(struct socket *sock)
{
	struct packet_sock *p = pk_of(sock);
	if (!p)
		return;
	uint64_t fl = spin_lock_irqsave(&packet_lock);
	for (struct packet_sock **pp = &packet_socks; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	spin_unlock_irqrestore(&packet_lock, fl);
	packet_mc_clear(&p->mc);
	dgram_purge(&p->rx);
	kfree(p->filter);
	kfree(p);
}

/* Reads a sockaddr_ll of at least need bytes (the rest zeroed): 0 or -EINVAL. */
static int packet_addr_parse(const void *addr, int len, int need, struct sockaddr_ll *out)
{
	if (!addr || len < need)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out, addr, (size_t)len < sizeof(*out) ? (size_t)len : sizeof(*out));
	return out->sll_family == AF_PACKET ? 0 : -EINVAL;
}

static int packet_bind(struct socket *sock, const void *addr, int len)
{
	struct packet_sock *p = pk_of(sock);
	struct sockaddr_ll sll;
	int err = packet_addr_parse(addr, len, (int)sizeof(sll), &sll);
	if (err)
		return err;
	if (sll.sll_ifindex < 0 || (sll.sll_ifindex && !netdev_exists(sll.sll_ifindex)))
		return -ENODEV;
	uint64_t fl = spin_lock_irqsave(&packet_lock);
	p->ifindex = sll.sll_ifindex;
	if (sll.sll_protocol)
		p->proto = sll.sll_protocol; /* 0 keeps the socket's protocol, as Linux */
	spin_unlock_irqrestore(&packet_lock, fl);
	return 0;
}

/* Sends m's data through dev (the caller's reference): 0 or a negative errno. dst is the
 * destination hardware address of a SOCK_DGRAM socket. */
static int packet_send_on(struct net_device *dev, struct packet_sock *p, const struct msg_k *m, bool dgram,
			  const uint8_t *dst, uint16_t proto)
{
	/* Without a destination only lo and NOARP devices can build the header (all zeros). */
	if (dgram && !m->name && !(dev->flags & (IFF_LOOPBACK | IFF_NOARP)))
		return -EINVAL;
	if (!(dev->flags & IFF_UP))
		return -ENETDOWN;
	size_t room = dev->mtu + (dgram ? 0 : ETH_HLEN);
	if (m->len > room)
		return -EMSGSIZE;
	if (!dgram && m->len < ETH_HLEN)
		return -EINVAL;
	struct sk_buff *skb = skb_alloc(m->len);
	if (!skb)
		return -ENOBUFS;
	memcpy(skb_put(skb, m->len), m->buf, m->len);
	skb->origin = p;
	int err;
	if (dgram) {
		err = eth_output(dev, skb, dst, ntohs(proto));
	} else {
		skb->dev = dev;
		err = netdev_xmit(dev, skb);
	}
	return err;
}

static ssize_t packet_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct packet_sock *p = pk_of(sock);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	bool dgram = sock->type == SOCK_DGRAM;
	int ifindex = p->ifindex;
	uint16_t proto = p->proto;
	struct sockaddr_ll sll = { 0 };
	if (m->name) {
		/* SOCK_DGRAM needs the destination's hardware address; SOCK_RAW's is in the frame. */
		int need = (int)__builtin_offsetof(struct sockaddr_ll, sll_addr) + (dgram ? ETH_ALEN : 0);
		int err = packet_addr_parse(m->name, m->namelen, need, &sll);
		if (err)
			return err;
		if (dgram && sll.sll_halen < ETH_ALEN)
			return -EINVAL;
		ifindex = sll.sll_ifindex;
		proto = sll.sll_protocol;
	}
	struct net_device *dev = ifindex > 0 ? netdev_get_by_index(ifindex) : NULL;
	if (!dev)
		return -ENXIO;
	int err = packet_send_on(dev, p, m, dgram, sll.sll_addr, proto);
	netdev_put(dev);
	return err < 0 ? err : (ssize_t)m->len;
}

static size_t packet_fill(struct socket *sock, const struct sk_buff *skb, struct msg_k *m)
{
	size_t n = dgram_copy_data(skb, m);
	struct packet_meta meta;
	memcpy(&meta, skb->head, sizeof(meta));
	if (m->scm && pk_of(sock)->auxdata) {
		struct tpacket_auxdata aux = {
			.tp_status = TP_STATUS_USER,
			.tp_len = meta.orig_len,
			.tp_snaplen = (uint32_t)skb->len,
			.tp_net = sock->type == SOCK_RAW ? ETH_HLEN : 0,
		};
		_Static_assert(sizeof(aux) <= sizeof(m->scm->proto_data), "auxdata fits");
		m->scm->proto_level = SOL_PACKET;
		m->scm->proto_type = PACKET_AUXDATA;
		m->scm->proto_len = sizeof(aux);
		memcpy(m->scm->proto_data, &aux, sizeof(aux));
	}
	if (m->name) {
		struct sockaddr_ll sll = {
			.sll_family = AF_PACKET,
			.sll_protocol = meta.proto,
			.sll_ifindex = meta.ifindex,
			.sll_hatype = meta.hatype,
			.sll_pkttype = meta.pkttype,
			.sll_halen = ETH_ALEN,
		};
		memcpy(sll.sll_addr, meta.src, ETH_ALEN);
		memcpy(m->name, &sll, sizeof(sll));
		m->namelen = (int)sizeof(sll);
	}
	return n;
}

static ssize_t packet_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	return dgram_recvmsg(sock, &pk_of(sock)->rx, m, flags, packet_fill);
}

static int packet_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct packet_sock *p = pk_of(sock);
	if (peer)
		return -EOPNOTSUPP;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = p->proto,
				   .sll_ifindex = p->ifindex };
	struct net_device *dev = p->ifindex ? netdev_get_by_index(p->ifindex) : NULL;
	if (dev) {
		sll.sll_hatype = (dev->flags & IFF_LOOPBACK) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
		sll.sll_halen = ETH_ALEN;
		memcpy(sll.sll_addr, dev->mac, ETH_ALEN);
		netdev_put(dev);
	}
	int room = *len < 0 ? 0 : *len;
	memcpy(addr, &sll, (size_t)room < sizeof(sll) ? (size_t)room : sizeof(sll));
	*len = (int)__builtin_offsetof(struct sockaddr_ll, sll_addr) + sll.sll_halen;
	return 0;
}

static unsigned packet_poll(struct socket *sock, struct poll_table *pt)
{
	return dgram_poll(sock, &pk_of(sock)->rx, pt);
}

static int packet_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	if (cmd != FIONREAD)
		return -ENOTTY;
	return dgram_ioctl_fionread(&pk_of(sock)->rx, 0, arg);
}

static int packet_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	struct packet_sock *p = pk_of(sock);
	if (level == SOL_SOCKET && (name == SO_ATTACH_FILTER || name == SO_DETACH_FILTER)) {
		/* The socket layer checked the program; it hands us its ownership. */
		struct bpf_prog *prog = NULL;
		if (name == SO_ATTACH_FILTER)
			memcpy(&prog, val, sizeof(prog));
		uint64_t fl = spin_lock_irqsave(&packet_lock);
		struct bpf_prog *old = p->filter;
		p->filter = prog;
		spin_unlock_irqrestore(&packet_lock, fl);
		kfree(old);
		return name == SO_DETACH_FILTER && !old ? -ENOENT : 0;
	}
	if (level != SOL_PACKET)
		return -ENOPROTOOPT;
	if (name == PACKET_ADD_MEMBERSHIP || name == PACKET_DROP_MEMBERSHIP) {
		struct packet_mreq mr;
		if (len < (int)sizeof(mr))
			return -EINVAL;
		memcpy(&mr, val, sizeof(mr));
		return name == PACKET_ADD_MEMBERSHIP ? packet_mc_add(&p->mc, &mr) : packet_mc_drop(&p->mc, &mr);
	}
	if (name == PACKET_AUXDATA) {
		int v;
		if (len < (int)sizeof(v))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		p->auxdata = v != 0;
		return 0;
	}
	return -ENOPROTOOPT; /* FIXME: PACKET_RX_RING and the other ring options, fanout */
}

static int packet_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	struct packet_sock *p = pk_of(sock);
	if (level != SOL_PACKET || name != PACKET_AUXDATA)
		return -ENOPROTOOPT;
	int v = p->auxdata;
	if (*len < (int)sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = (int)sizeof(v);
	return 0;
}

static const struct proto_ops packet_ops = {
	.family = AF_PACKET,
	.release = packet_release,
	.bind = packet_bind,
	.sendmsg = packet_sendmsg,
	.recvmsg = packet_recvmsg,
	.getname = packet_getname,
	.poll = packet_poll,
	.ioctl = packet_ioctl,
	.setsockopt = packet_setsockopt,
	.getsockopt = packet_getsockopt,
};

static int packet_create(struct socket *sock, int protocol)
{
	if (sock->type != SOCK_RAW && sock->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (current_uthread() && !privileged())
		return -EPERM; /* CAP_NET_RAW; kernel callers (ktests) have no credentials to check */
	if (protocol < 0 || protocol > 0xffff)
		return -EINVAL;
	struct packet_sock *p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sock = sock;
	p->proto = (uint16_t)protocol; /* already network order, as the caller passed htons() */
	dgram_init(&p->rx);
	packet_mc_init(&p->mc);
	sock->sk = p;
	sock->ops = &packet_ops;
	uint64_t fl = spin_lock_irqsave(&packet_lock);
	p->next = packet_socks;
	__atomic_store_n(&packet_socks, p, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&packet_lock, fl);
	return 0;
}

size_t net_format_proc_packet(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	/* Linux's columns; the socket pointer hidden as under kptr_restrict, the reference count
	 * Linux shows for an open socket, R whether a protocol is set (it receives). */
	sb_printf(&s, "%-17sRefCnt Type Proto  Iface R Rmem   User   Inode\n", "sk");
	uint64_t fl = spin_lock_irqsave(&packet_lock);
	for (struct packet_sock *p = packet_socks; p; p = p->next) {
		struct inode *ino = p->sock->file ? p->sock->file->inode : NULL;
		sb_printf(&s, "%016llx %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6lu\n", 0ull, 3, p->sock->type,
		    (unsigned)ntohs(p->proto), p->ifindex, p->proto != 0, (unsigned)p->rx.queued,
		    ino ? (unsigned)ino->uid : 0u, ino ? (unsigned long)ino->ino : 0ul);
	}
	spin_unlock_irqrestore(&packet_lock, fl);
	return sb_done(&s);
}

static const struct net_family packet_family = { .family = AF_PACKET, .create = packet_create };

void packet_init(void)
{
	net_register_family(&packet_family);
}
