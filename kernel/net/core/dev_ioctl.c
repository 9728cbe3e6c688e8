/*
 * The interface and routing ioctls Linux answers on any socket (what ifconfig and route use):
 * listing interfaces and their addresses, flags, MTU, hardware address and index; setting
 * the address, netmask, flags, MTU and MAC; adding and deleting routes. Setting needs root
 * (CAP_NET_ADMIN). FIXME: rtnetlink (what ip(8) speaks) is not done.
 *
 * The net configuration lock serialises changes; readers look at the device fields as they are.
 */
#include "net/core/if_ioctl.h"
#include "net/net.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "net/ipv4/inet.h"
#include "proc/process.h"
#include "sched/wait.h"

#define IP_MIN_MTU 68 /* RFC 791: every host takes datagrams this large */

static struct mutex netcfg_lock = MUTEX_INIT;

void net_config_lock(void)
{
	mutex_lock(&netcfg_lock);
}

void net_config_unlock(void)
{
	mutex_unlock(&netcfg_lock);
}

/* SIOCGIFCONF: an ifreq with the address of each device that has one (Linux lists only those).
 * A NULL buffer asks for the room needed. */
static int dev_ifconf(uint64_t arg)
{
	struct ifconf_k ifc;
	if (copy_from_user(&ifc, (const void *)arg, sizeof(ifc)))
		return -EFAULT;
	if (ifc.len < 0)
		return -EINVAL;
	int used = 0;
	for (struct net_device *d = netdev_next(0); d; d = netdev_next_put(d)) {
		if (!d->ipv4_addr)
			continue;
		if (ifc.buf) {
			if (used + (int)sizeof(struct ifreq_k) > ifc.len) {
				netdev_put(d);
				break;
			}
			struct ifreq_k r;
			memset(&r, 0, sizeof(r));
			memcpy(r.name, d->name, IFNAMSIZ - 1);
			if_sockaddr_fill(&r.u.addr, d->ipv4_addr);
			if (copy_to_user((void *)(ifc.buf + (uint64_t)used), &r, sizeof(r))) {
				netdev_put(d);
				return -EFAULT;
			}
		}
		used += (int)sizeof(struct ifreq_k);
	}
	ifc.len = used;
	return copy_to_user((void *)arg, &ifc, sizeof(ifc)) ? -EFAULT : 0;
}

/* SIOCSIFFLAGS: up and down. Down takes the device's routes with it; up brings back the route
 * to its own subnet (Linux does the same; other routes must be added again). */
static int dev_set_flags(struct net_device *d, unsigned flags)
{
	if ((flags & IFF_UP) && !(d->flags & IFF_UP)) {
		int err = netdev_up(d);
		if (err)
			return err;
		if (d->ipv4_addr)
			inet_route_add(d->ipv4_addr & d->ipv4_mask, d->ipv4_mask, 0, d);
	} else if (!(flags & IFF_UP) && (d->flags & IFF_UP)) {
		netdev_down(d);
		ip_flush_dev(d);
	}
	/* The user's promiscuous and all-multicast requests count once each, beside packet
	 * sockets' (Linux keeps them apart the same way). */
	bool promisc = flags & IFF_PROMISC, allmulti = flags & IFF_ALLMULTI;
	if (promisc != d->user_promisc && netdev_set_promisc(d, promisc ? 1 : -1) == 0)
		d->user_promisc = promisc;
	if (allmulti != d->user_allmulti && netdev_set_allmulti(d, allmulti ? 1 : -1) == 0)
		d->user_allmulti = allmulti;
	/* FIXME: IFF_NOARP and the other flags are ignored. */
	return 0;
}

static int dev_set_addr(struct net_device *d, unsigned cmd, in_addr_t a)
{
	switch (cmd) {
	case SIOCSIFADDR:
		/* A new address gets its classful mask, as on Linux; 0 removes the address. */
		if (a == d->ipv4_addr)
			return 0;
		inet_clear_addr(d);
		return a ? inet_set_addr(d, a, if_classful_mask(a)) : 0;
	case SIOCSIFNETMASK: {
		if (!d->ipv4_addr)
			return -EADDRNOTAVAIL;
		uint32_t host = ~ntohl(a);
		if (host & (host + 1))
			return -EADDRNOTAVAIL; /* not a prefix */
		if (a == d->ipv4_mask)
			return 0;
		in_addr_t addr = d->ipv4_addr;
		inet_clear_addr(d);
		return inet_set_addr(d, addr, a);
	}
	case SIOCSIFBRDADDR:
		/* FIXME: the broadcast address is always the subnet's (addr | ~mask). */
		return d->ipv4_addr ? 0 : -EADDRNOTAVAIL;
	}
	return -ENOTTY;
}

static int dev_ifreq(unsigned cmd, uint64_t arg)
{
	struct ifreq_k r;
	if (copy_from_user(&r, (const void *)arg, sizeof(r)))
		return -EFAULT;
	r.name[IFNAMSIZ - 1] = '\0';
	if (cmd == SIOCGIFNAME) {
		struct net_device *d = netdev_get_by_index(r.u.ivalue);
		if (!d)
			return -ENODEV;
		memset(r.name, 0, IFNAMSIZ);
		memcpy(r.name, d->name, IFNAMSIZ - 1);
		netdev_put(d);
		return copy_to_user((void *)arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	struct net_device *d = netdev_get_by_name(r.name);
	if (!d)
		return -ENODEV;
	bool set = cmd == SIOCSIFFLAGS || cmd == SIOCSIFADDR || cmd == SIOCSIFNETMASK ||
		   cmd == SIOCSIFBRDADDR || cmd == SIOCSIFMTU || cmd == SIOCSIFHWADDR;
	if (set && !privileged()) {
		netdev_put(d);
		return -EPERM;
	}
	int err = 0;
	bool loop = d->flags & IFF_LOOPBACK;
	mutex_lock(&netcfg_lock);
	switch (cmd) {
	case SIOCGIFFLAGS:
		r.u.flags = (int16_t)netdev_user_flags(d);
		break;
	case SIOCSIFFLAGS:
		err = dev_set_flags(d, (uint16_t)r.u.flags);
		break;
	case SIOCGIFADDR:
	case SIOCGIFDSTADDR: /* not point-to-point: the "destination" is our own address */
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		if (!d->ipv4_addr) {
			err = -EADDRNOTAVAIL;
			break;
		}
		if_sockaddr_fill(&r.u.addr, cmd == SIOCGIFNETMASK ? d->ipv4_mask
					    : cmd == SIOCGIFBRDADDR ? (loop ? 0 : d->ipv4_addr | ~d->ipv4_mask)
								    : d->ipv4_addr);
		break;
	case SIOCSIFADDR:
	case SIOCSIFNETMASK:
	case SIOCSIFBRDADDR: {
		in_addr_t a;
		err = if_sockaddr_ipv4(&r.u.addr, &a);
		if (!err)
			err = dev_set_addr(d, cmd, a);
		break;
	}
	case SIOCGIFMTU:
		r.u.ivalue = (int32_t)d->mtu;
		break;
	case SIOCSIFMTU:
		/* FIXME: Ethernet drivers here take no jumbo frames. */
		if (r.u.ivalue < IP_MIN_MTU || r.u.ivalue > (loop ? 65536 : ETH_DATA_LEN))
			err = -EINVAL;
		else
			d->mtu = (unsigned)r.u.ivalue;
		break;
	case SIOCGIFHWADDR:
		memset(&r.u.addr, 0, sizeof(r.u.addr));
		r.u.addr.family = loop ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
		memcpy(r.u.addr.data, d->mac, ETH_ALEN);
		break;
	case SIOCSIFHWADDR:
		if (r.u.addr.family != ARPHRD_ETHER || loop)
			err = -EINVAL;
		else
			err = netdev_set_mac(d, r.u.addr.data);
		break;
	case SIOCGIFINDEX:
		r.u.ivalue = d->ifindex;
		break;
	case SIOCGIFMETRIC:
		r.u.ivalue = 0;
		break;
	case SIOCGIFTXQLEN:
		r.u.ivalue = 1000; /* Linux's default txqueuelen */
		break;
	case SIOCGIFMAP:
		memset(&r.u.map, 0, sizeof(r.u.map));
		break;
	default:
		err = -ENOTTY;
		break;
	}
	mutex_unlock(&netcfg_lock);
	netdev_put(d);
	if (err || set)
		return err;
	return copy_to_user((void *)arg, &r, sizeof(r)) ? -EFAULT : 0;
}

/* SIOCADDRT/SIOCDELRT with a struct rtentry, as route(8) sends them. */
static int dev_route(unsigned cmd, uint64_t arg)
{
	if (!privileged())
		return -EPERM;
	struct rtentry_k rt;
	if (copy_from_user(&rt, (const void *)arg, sizeof(rt)))
		return -EFAULT;
	in_addr_t dst, mask, gw = 0;
	int err = if_route_target(&rt, &dst, &mask);
	if (err)
		return err;
	if (cmd == SIOCDELRT) {
		mutex_lock(&netcfg_lock);
		err = inet_route_del(dst, mask);
		mutex_unlock(&netcfg_lock);
		return err;
	}
	if ((rt.flags & RTF_GATEWAY) && if_sockaddr_ipv4(&rt.gateway, &gw) < 0)
		return -EINVAL;
	struct net_device *d = NULL;
	if (rt.dev) {
		char name[IFNAMSIZ];
		long n = strncpy_from_user(name, (const char *)rt.dev, sizeof(name));
		if (n < 0)
			return (int)n;
		if (n >= (long)sizeof(name))
			return -ENODEV;
		d = netdev_get_by_name(name);
		if (!d)
			return -ENODEV;
	}
	mutex_lock(&netcfg_lock);
	if (gw) {
		/* The gateway must be a neighbour: on the link of the device, or of some device. */
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
		err = inet_route_add(dst, mask, gw, d);
	mutex_unlock(&netcfg_lock);
	if (d)
		netdev_put(d);
	return err;
}

int net_dev_ioctl(unsigned cmd, uint64_t arg)
{
	switch (cmd) {
	case SIOCGIFCONF:
		return dev_ifconf(arg);
	case SIOCADDRT:
	case SIOCDELRT:
		return dev_route(cmd, arg);
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCSIFFLAGS:
	case SIOCGIFADDR:
	case SIOCSIFADDR:
	case SIOCGIFDSTADDR:
	case SIOCGIFBRDADDR:
	case SIOCSIFBRDADDR:
	case SIOCGIFNETMASK:
	case SIOCSIFNETMASK:
	case SIOCGIFMETRIC:
	case SIOCGIFMTU:
	case SIOCSIFMTU:
	case SIOCSIFHWADDR:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
	case SIOCGIFTXQLEN:
	case SIOCGIFMAP:
		return dev_ifreq(cmd, arg);
	}
	return -ENOTTY;
}
