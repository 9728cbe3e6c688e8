/*
 * The DHCP client for ip=dhcp: a kernel thread per configured device runs DISCOVER -> OFFER ->
 * REQUEST -> ACK (RFC 2131 section 3.1) and applies the address, mask and router.
 * The thread holds a reference on the device and gives up if it is unregistered meanwhile.
 * FIXME: the lease is not renewed (QEMU's server leases for a day); no DECLINE after an ARP probe.
 */
#include "net/ipv4/inet.h"

#include "console/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "time/clock.h"

#define DHCP_TRIES 6
#define DHCP_WAIT_NS 2000000000ull

/* Sends msg_type and waits for a reply of one of the wanted types; 0 or -ETIMEDOUT. */
static int dhcp_exchange(struct udp_endpoint *ep, struct net_device *dev, struct dhcp_msg *m, uint8_t type,
			 uint32_t xid, in_addr_t req_ip, in_addr_t server, struct dhcp_reply *r)
{
	for (int attempt = 0; attempt < DHCP_TRIES && dev->registered; attempt++) {
		size_t len = dhcp_build(m, type, xid, dev->mac, req_ip, server);
		udp_sendto_dev(ep, dev, 0xffffffffu, DHCP_SERVER_PORT, m, len);
		uint64_t deadline = clock_monotonic_ns() + DHCP_WAIT_NS;
		uint64_t now;
		while ((now = clock_monotonic_ns()) < deadline) {
			ssize_t n = udp_recvfrom(ep, m, sizeof(*m), NULL, NULL, deadline - now);
			if (n < 0)
				break;
			if (dhcp_parse((const uint8_t *)m, (size_t)n < sizeof(*m) ? (size_t)n : sizeof(*m), xid,
				       dev->mac, r) < 0)
				continue;
			if ((type == DHCPDISCOVER && r->type == DHCPOFFER) ||
			    (type == DHCPREQUEST && (r->type == DHCPACK || r->type == DHCPNAK)))
				return 0;
		}
	}
	return -ETIMEDOUT;
}

static void fmt(char *s, size_t n, in_addr_t a)
{
	uint32_t v = ntohl(a);
	snprintf(s, n, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

static void dhcp_thread(void *arg)
{
	struct net_device *dev = arg;
	int err;
	struct udp_endpoint *ep = udp_open(DHCP_CLIENT_PORT, &err);
	struct dhcp_msg *m = kmalloc(sizeof(*m));
	if (!ep || !m) {
		pr_err("dhcp: %s: cannot start (%d)\n", dev->name, ep ? -ENOMEM : err);
		goto out;
	}
	for (int round = 0; round < 3 && dev->registered; round++) {
		uint32_t xid;
		get_random_bytes(&xid, sizeof(xid));
		struct dhcp_reply offer, ack;
		if (dhcp_exchange(ep, dev, m, DHCPDISCOVER, xid, 0, 0, &offer) < 0) {
			pr_warn("dhcp: %s: no offer\n", dev->name);
			continue;
		}
		if (dhcp_exchange(ep, dev, m, DHCPREQUEST, xid, offer.yiaddr, offer.server_id, &ack) < 0 ||
		    ack.type == DHCPNAK)
			continue;
		in_addr_t mask = ack.mask;
		if (!mask) {
			uint32_t a = ntohl(ack.yiaddr);
			mask = htonl(a < 0x80000000u ? 0xff000000u : a < 0xc0000000u ? 0xffff0000u : 0xffffff00u);
		}
		char a[16], s[16];
		fmt(a, sizeof(a), ack.yiaddr);
		fmt(s, sizeof(s), ack.server_id);
		pr_info("dhcp: %s: lease of %s/%u from %s for %u s\n", dev->name, a, mask_prefix_len(mask), s,
			ack.lease_s);
		if (!dev->registered)
			break; /* unplugged meanwhile */
		inet_set_addr(dev, ack.yiaddr, mask);
		if (ack.router) {
			inet_route_add(0, 0, ack.router, dev);
			fmt(a, sizeof(a), ack.router);
			pr_info("dhcp: %s: default route via %s\n", dev->name, a);
		}
		goto out;
	}
	pr_warn("dhcp: %s: giving up\n", dev->name);
out:
	kfree(m);
	if (ep)
		udp_close(ep);
	netdev_put(dev);
}

void dhcp_start(struct net_device *dev)
{
	netdev_hold(dev); /* the thread's, dropped when it ends */
	struct thread *t = thread_create("dhcp", dhcp_thread, dev, NULL);
	if (t) {
		thread_detach(t);
	} else {
		netdev_put(dev);
		pr_err("dhcp: %s: no thread\n", dev->name);
	}
}
