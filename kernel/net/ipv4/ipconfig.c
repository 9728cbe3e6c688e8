/*
 * Static configuration from the kernel command line, Linux's form:
 *   ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>
 * (fields may be empty; a missing netmask is the address's class mask), or ip=dhcp (also "on",
 * "any"), which starts the DHCP client (dhcp.c). It is applied when the
 * named device (or the first "eth" one) registers, so a late or hot-plugged card works.
 */
#include "net/ipv4/inet.h"
#include "net/core/core_internal.h"

#include "console/console.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"

static struct ipconfig ipconf;
static bool ipconf_applied;

/* Parses a dotted quad of exactly len characters; false on anything else. */
static bool parse_ipv4(const char *s, size_t len, in_addr_t *out)
{
	uint32_t v = 0;
	unsigned part = 0, parts = 0, digits = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!digits || part > 255 || parts == 4)
				return false;
			v = v << 8 | part;
			parts++;
			part = digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
			part = part * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return false;
		}
	}
	if (parts != 4)
		return false;
	*out = htonl(v);
	return true;
}

int ipconfig_parse(const char *val, struct ipconfig *out)
{
	memset(out, 0, sizeof(*out));
	if (!val)
		return -EINVAL;
	if (strcmp(val, "dhcp") == 0 || strcmp(val, "on") == 0 || strcmp(val, "any") == 0) {
		out->dhcp = true;
		return 0;
	}
	const char *field[7] = { 0 };
	size_t flen[7] = { 0 };
	const char *p = val;
	for (unsigned i = 0; i < 7; i++) {
		const char *c = strchr(p, ':');
		field[i] = p;
		flen[i] = c ? (size_t)(c - p) : strlen(p);
		if (!c)
			break;
		p = c + 1;
	}
	in_addr_t addr, gw = 0, mask = 0;
	if (!parse_ipv4(field[0], flen[0], &addr))
		return -EINVAL;
	if (field[2] && flen[2] && !parse_ipv4(field[2], flen[2], &gw))
		return -EINVAL;
	if (field[3] && flen[3]) {
		if (!parse_ipv4(field[3], flen[3], &mask) || mask_prefix_len(mask) > 32)
			return -EINVAL;
	} else {
		uint32_t a = ntohl(addr);
		mask = htonl(a < 0x80000000u ? 0xff000000u : a < 0xc0000000u ? 0xffff0000u : 0xffffff00u);
	}
	if (field[5] && flen[5]) {
		if (flen[5] >= NETDEV_NAME_MAX)
			return -EINVAL;
		memcpy(out->dev, field[5], flen[5]);
		out->dev[flen[5]] = '\0';
	}
	out->addr = addr;
	out->gw = gw;
	out->mask = mask;
	return 0;
}

static int param_ip(const char *val)
{
	struct ipconfig c;
	int err = ipconfig_parse(val, &c);
	if (err)
		return err;
	ipconf = c;
	ipconf.set = true;
	return 0;
}
KPARAM("ip", param_ip);

void inet_device_added(struct net_device *dev)
{
	if (!ipconf.set || ipconf_applied || (dev->flags & IFF_LOOPBACK))
		return;
	/* Named: that device; otherwise the first Ethernet card (not a test's dummy device). */
	if (ipconf.dev[0] ? strcmp(ipconf.dev, dev->name) != 0 : strncmp(dev->name, "eth", 3) != 0)
		return;
	ipconf_applied = true;
	if (ipconf.dhcp) {
		dhcp_start(dev);
		return;
	}
	inet_set_addr(dev, ipconf.addr, ipconf.mask);
	if (ipconf.gw)
		inet_route_add(0, 0, ipconf.gw, dev);
}
