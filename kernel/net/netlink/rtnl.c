/*
 * rtnetlink: dumps (RTM_NEWLINK per device, RTM_NEWADDR per IPv4 address, RTM_NEWROUTE per
 * route: the main table, with lo's routes in the local table as Linux keeps them) and the
 * changes `ip addr add/del` and `ip route add/del` send, in the message and attribute layouts
 * of <linux/rtnetlink.h>, <linux/if_link.h> and <linux/if_addr.h>. Attributes come from user
 * memory (copied, but hostile): every length is checked before use.
 */
#include "net/netlink/netlink.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/core/if_ioctl.h"
#include "net/ipv4/inet.h"
#include "net/net.h"
#include "proc/process.h"

#define AF_INET_K 2
#define AF_INET6_K 10
#define IFF_LOWER_UP 0x10000

struct ifinfomsg_k {
	uint8_t family, pad;
	uint16_t type;
	int32_t index;
	uint32_t flags, change;
};
_Static_assert(sizeof(struct ifinfomsg_k) == 16, "struct ifinfomsg");

struct ifaddrmsg_k {
	uint8_t family, prefixlen, flags, scope;
	uint32_t index;
};
_Static_assert(sizeof(struct ifaddrmsg_k) == 8, "struct ifaddrmsg");

struct rtmsg_k {
	uint8_t family, dst_len, src_len, tos, table, protocol, scope, type;
	uint32_t flags;
};
_Static_assert(sizeof(struct rtmsg_k) == 12, "struct rtmsg");

enum { IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_TXQLEN = 13,
       IFLA_OPERSTATE = 16 };
enum { IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4 };
enum { RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7, RTA_TABLE = 15 };
#define RT_TABLE_MAIN 254
#define RT_TABLE_LOCAL 255
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define RTPROT_KERNEL 2
#define RTPROT_BOOT 3
#define RTN_UNICAST 1
#define IF_OPER_DOWN 2
#define IF_OPER_UP 6
#define IF_OPER_UNKNOWN 0

/* Starts a message; NULL (and overflow set) when the buffer is full. */
static struct nlmsghdr_k *nl_begin(struct nl_buf *b, uint16_t type, uint16_t flags, uint32_t seq,
				   uint32_t pid)
{
	if (b->len + sizeof(struct nlmsghdr_k) > b->cap) {
		b->overflow = true;
		return NULL;
	}
	struct nlmsghdr_k *h = (struct nlmsghdr_k *)(b->p + b->len);
	*h = (struct nlmsghdr_k){ sizeof(*h), type, flags, seq, pid };
	b->len += sizeof(*h);
	return h;
}

/* Appends n bytes (padded to 4) to the message h, which must be the last one. */
static void *nl_put(struct nl_buf *b, struct nlmsghdr_k *h, const void *data, size_t n)
{
	size_t pad = NLMSG_ALIGN(n);
	if (!h || b->len + pad > b->cap) {
		b->overflow = true;
		return NULL;
	}
	char *at = b->p + b->len;
	memset(at, 0, pad);
	if (data)
		memcpy(at, data, n);
	b->len += pad;
	h->len += (uint32_t)pad;
	return at;
}

static void nl_attr(struct nl_buf *b, struct nlmsghdr_k *h, uint16_t type, const void *data, size_t n)
{
	uint16_t hdr[2] = { (uint16_t)(4 + n), type };
	if (b->len + 4 + NLMSG_ALIGN(n) > b->cap) {
		b->overflow = true;
		return;
	}
	nl_put(b, h, hdr, sizeof(hdr));
	nl_put(b, h, data, n);
}

static void dump_links(struct nl_buf *b, uint32_t seq, uint32_t pid)
{
	for (struct net_device *d = netdev_next(0); d; d = netdev_next_put(d)) {
		bool loop = d->flags & IFF_LOOPBACK;
		struct ifinfomsg_k ifi = { .family = 0, .type = loop ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
					   .index = d->ifindex, .flags = netdev_user_flags(d),
					   .change = 0xffffffffu };
		if (d->flags & IFF_RUNNING)
			ifi.flags |= IFF_LOWER_UP;
		struct nlmsghdr_k *h = nl_begin(b, RTM_NEWLINK, NLM_F_MULTI, seq, pid);
		nl_put(b, h, &ifi, sizeof(ifi));
		nl_attr(b, h, IFLA_IFNAME, d->name, strlen(d->name) + 1);
		uint32_t mtu = d->mtu, txq = 1000;
		nl_attr(b, h, IFLA_MTU, &mtu, 4);
		nl_attr(b, h, IFLA_TXQLEN, &txq, 4);
		uint8_t oper = loop ? IF_OPER_UNKNOWN : (d->flags & IFF_RUNNING) ? IF_OPER_UP : IF_OPER_DOWN;
		nl_attr(b, h, IFLA_OPERSTATE, &oper, 1);
		nl_attr(b, h, IFLA_ADDRESS, d->mac, ETH_ALEN);
		nl_attr(b, h, IFLA_BROADCAST, d->broadcast, ETH_ALEN);
	}
}

static uint8_t prefix_len(in_addr_t mask)
{
	unsigned n = mask_prefix_len(mask);
	return (uint8_t)(n > 32 ? 32 : n);
}

static void dump_addrs(struct nl_buf *b, uint32_t seq, uint32_t pid)
{
	for (struct net_device *d = netdev_next(0); d; d = netdev_next_put(d)) {
		in_addr_t a = d->ipv4_addr, m = d->ipv4_mask;
		if (!a)
			continue;
		bool loop = d->flags & IFF_LOOPBACK;
		struct ifaddrmsg_k ifa = { AF_INET_K, prefix_len(m), 0x80 /* IFA_F_PERMANENT */,
					   loop ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, (uint32_t)d->ifindex };
		struct nlmsghdr_k *h = nl_begin(b, RTM_NEWADDR, NLM_F_MULTI, seq, pid);
		nl_put(b, h, &ifa, sizeof(ifa));
		nl_attr(b, h, IFA_ADDRESS, &a, 4);
		nl_attr(b, h, IFA_LOCAL, &a, 4);
		if (!loop && m != 0xffffffffu) {
			in_addr_t bc = a | ~m;
			nl_attr(b, h, IFA_BROADCAST, &bc, 4);
		}
		nl_attr(b, h, IFA_LABEL, d->name, strlen(d->name) + 1);
	}
}

static void dump_routes(struct nl_buf *b, uint32_t seq, uint32_t pid)
{
	struct inet_route_info r[32];
	unsigned n = inet_route_snapshot(r, 32);
	for (unsigned i = 0; i < n; i++) {
		struct net_device *d = netdev_get_by_index(r[i].ifindex);
		struct rtmsg_k rm = { .family = AF_INET_K, .dst_len = prefix_len(r[i].mask),
				      .table = r[i].loopback ? RT_TABLE_LOCAL : RT_TABLE_MAIN,
				      .protocol = r[i].gateway ? RTPROT_BOOT : RTPROT_KERNEL,
				      .scope = r[i].gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
				      .type = RTN_UNICAST };
		struct nlmsghdr_k *h = nl_begin(b, RTM_NEWROUTE, NLM_F_MULTI, seq, pid);
		nl_put(b, h, &rm, sizeof(rm));
		uint32_t table = rm.table;
		nl_attr(b, h, RTA_TABLE, &table, 4);
		if (rm.dst_len)
			nl_attr(b, h, RTA_DST, &r[i].dst, 4);
		if (r[i].gateway)
			nl_attr(b, h, RTA_GATEWAY, &r[i].gateway, 4);
		else if (d && d->ipv4_addr)
			nl_attr(b, h, RTA_PREFSRC, &d->ipv4_addr, 4);
		if (d)
			netdev_put(d);
		uint32_t oif = (uint32_t)r[i].ifindex;
		nl_attr(b, h, RTA_OIF, &oif, 4);
	}
}

static void nl_error(struct nl_buf *b, const struct nlmsghdr_k *req, int err, uint32_t pid)
{
	struct nlmsghdr_k *h = nl_begin(b, NLMSG_ERROR, 0, req->seq, pid);
	int32_t e = err;
	nl_put(b, h, &e, 4);
	nl_put(b, h, req, sizeof(*req)); /* the request's header, as Linux without NLM_F_CAPPED... */
}

#define RTM_DELADDR  21
#define RTM_DELROUTE 25
#define NLM_F_EXCL   0x200 /* on a new request (a dump's NLM_F_MATCH elsewhere) */

/* RTM_NEWADDR/RTM_DELADDR. FIXME: one address per device, so a second one is refused. */
static int rtnl_addr(const struct nlmsghdr_k *hdr, const char *payload, size_t len)
{
	struct ifaddrmsg_k ifa;
	struct nl_attrs a;
	if (nl_attr_parse(payload, len, sizeof(ifa), &a) < 0)
		return -EINVAL;
	memcpy(&ifa, payload, sizeof(ifa));
	if (ifa.family != AF_INET_K)
		return -EAFNOSUPPORT;
	bool add = hdr->type == RTM_NEWADDR;
	in_addr_t addr = a.have[IFA_LOCAL] ? a.val[IFA_LOCAL] : a.val[IFA_ADDRESS];
	if (ifa.prefixlen > 32 || (add && !a.have[IFA_LOCAL] && !a.have[IFA_ADDRESS]))
		return -EINVAL;
	struct net_device *d = netdev_get_by_index((int)ifa.index);
	if (!d)
		return -ENODEV;
	in_addr_t mask = nl_prefix_mask(ifa.prefixlen);
	int err = 0;
	net_config_lock();
	if (!add) {
		if (!d->ipv4_addr || (addr && addr != d->ipv4_addr))
			err = -EADDRNOTAVAIL;
		else
			inet_clear_addr(d);
	} else if (d->ipv4_addr == addr && d->ipv4_mask == mask) {
		err = (hdr->flags & NLM_F_EXCL) ? -EEXIST : 0;
	} else if (d->ipv4_addr) {
		err = -EOPNOTSUPP;
	} else {
		err = inet_set_addr(d, addr, mask);
	}
	net_config_unlock();
	netdev_put(d);
	return err;
}

/* RTM_NEWROUTE/RTM_DELROUTE in the main table. */
static int rtnl_route(const struct nlmsghdr_k *hdr, const char *payload, size_t len)
{
	struct rtmsg_k rm;
	struct nl_attrs a;
	if (nl_attr_parse(payload, len, sizeof(rm), &a) < 0)
		return -EINVAL;
	memcpy(&rm, payload, sizeof(rm));
	if (rm.family != AF_INET_K)
		return -EAFNOSUPPORT;
	uint32_t table = a.have[RTA_TABLE] ? a.val[RTA_TABLE] : rm.table;
	if (rm.dst_len > 32 || (table != 0 && table != RT_TABLE_MAIN))
		return -EINVAL; /* FIXME: only the main table can be changed */
	in_addr_t mask = nl_prefix_mask(rm.dst_len), dst = a.have[RTA_DST] ? a.val[RTA_DST] : 0;
	if (dst & ~mask)
		return -EINVAL;
	if (hdr->type == RTM_DELROUTE) {
		net_config_lock();
		int err = inet_route_del(dst, mask);
		net_config_unlock();
		return err;
	}
	struct net_device *d = a.have[RTA_OIF] ? netdev_get_by_index((int)a.val[RTA_OIF]) : NULL;
	if (a.have[RTA_OIF] && !d)
		return -ENODEV;
	in_addr_t gw = a.have[RTA_GATEWAY] ? a.val[RTA_GATEWAY] : 0;
	int err = 0;
	net_config_lock();
	if (gw) {
		struct net_device *via = inet_onlink_dev(gw);
		if (!via || (d && via != d))
			err = -ENETUNREACH;
		if (d)
			netdev_put(d);
		d = via;
	} else if (!d) {
		err = -ENODEV;
	}
	if (!err)
		err = inet_route_add(dst, mask, gw, d); /* FIXME: replaces an equal route, no EEXIST */
	net_config_unlock();
	if (d)
		netdev_put(d);
	return err;
}

void rtnl_handle(const struct nlmsghdr_k *hdr, const char *payload, size_t len, uint32_t portid,
		 struct nl_buf *b)
{
	/* The family a dump asks for is the first byte of its payload (rtgenmsg and the others). */
	uint8_t family = len ? (uint8_t)payload[0] : 0;
	bool dump = (hdr->flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (!(hdr->flags & NLM_F_REQUEST))
		return;
	if (dump && (hdr->type == RTM_GETLINK || hdr->type == RTM_GETADDR || hdr->type == RTM_GETROUTE)) {
		bool v4 = family == 0 || family == AF_INET_K;
		if (hdr->type == RTM_GETLINK)
			dump_links(b, hdr->seq, portid);
		else if (v4 && hdr->type == RTM_GETADDR)
			dump_addrs(b, hdr->seq, portid);
		else if (v4)
			dump_routes(b, hdr->seq, portid);
		struct nlmsghdr_k *h = nl_begin(b, NLMSG_DONE, NLM_F_MULTI, hdr->seq, portid);
		int32_t zero = 0;
		nl_put(b, h, &zero, 4);
		return;
	}
	int err;
	switch (hdr->type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		err = privileged() ? rtnl_addr(hdr, payload, len) : -EPERM;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		err = privileged() ? rtnl_route(hdr, payload, len) : -EPERM;
		break;
	default:
		/* FIXME: RTM_NEWLINK/SETLINK and single-object gets (busybox ip link set uses the
		 * ioctls instead). */
		err = hdr->type < RTM_NEWLINK ? -EINVAL : -EOPNOTSUPP;
		break;
	}
	/* Errors always answer; success only when an acknowledgement was asked for. */
	if (err || (hdr->flags & NLM_F_ACK))
		nl_error(b, hdr, err, portid);
}
