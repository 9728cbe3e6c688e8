/*
 * DHCP messages (RFC 2131, options from RFC 2132): building a client's DISCOVER/REQUEST and
 * checking a server's reply. Options are walked with every length checked against the packet.
 */
#include "net/ipv4/inet.h"

#include "lib/errno.h"
#include "lib/string.h"

#define OPT_PAD 0
#define OPT_MASK 1
#define OPT_ROUTER 3
#define OPT_REQ_IP 50
#define OPT_LEASE 51
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAMS 55
#define OPT_END 255

size_t dhcp_build(struct dhcp_msg *m, uint8_t type, uint32_t xid, const uint8_t mac[ETH_ALEN],
		  in_addr_t req_ip, in_addr_t server_id)
{
	memset(m, 0, sizeof(*m));
	m->op = 1; /* BOOTREQUEST */
	m->htype = 1;
	m->hlen = ETH_ALEN;
	m->xid = xid;
	m->flags = htons(0x8000); /* answer by broadcast: we cannot take unicast before having the address */
	memcpy(m->chaddr, mac, ETH_ALEN);
	m->magic = htonl(DHCP_MAGIC);
	uint8_t *o = m->options;
	*o++ = OPT_MSG_TYPE; *o++ = 1; *o++ = type;
	if (req_ip) {
		*o++ = OPT_REQ_IP; *o++ = 4;
		memcpy(o, &req_ip, 4); o += 4;
	}
	if (server_id) {
		*o++ = OPT_SERVER_ID; *o++ = 4;
		memcpy(o, &server_id, 4); o += 4;
	}
	*o++ = OPT_PARAMS; *o++ = 3; *o++ = OPT_MASK; *o++ = OPT_ROUTER; *o++ = OPT_LEASE;
	*o++ = OPT_END;
	/* BOOTP's minimum message is 300 bytes; some servers insist on it. */
	size_t len = (size_t)(o - (uint8_t *)m);
	return len < 300 ? 300 : len;
}

int dhcp_parse(const uint8_t *p, size_t len, uint32_t xid, const uint8_t mac[ETH_ALEN], struct dhcp_reply *out)
{
	if (len < __builtin_offsetof(struct dhcp_msg, options))
		return -EINVAL;
	const struct dhcp_msg *m = (const struct dhcp_msg *)p;
	if (m->op != 2 || m->htype != 1 || m->hlen != ETH_ALEN || m->xid != xid ||
	    memcmp(m->chaddr, mac, ETH_ALEN) != 0 || ntohl(m->magic) != DHCP_MAGIC)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->yiaddr = m->yiaddr;
	const uint8_t *o = p + __builtin_offsetof(struct dhcp_msg, options), *end = p + len;
	while (o < end && *o != OPT_END) {
		if (*o == OPT_PAD) {
			o++;
			continue;
		}
		if (end - o < 2 || end - o - 2 < o[1])
			return -EINVAL; /* an option running past the packet */
		uint8_t code = o[0], l = o[1];
		const uint8_t *v = o + 2;
		if (code == OPT_MSG_TYPE && l == 1)
			out->type = v[0];
		else if (code == OPT_MASK && l == 4)
			memcpy(&out->mask, v, 4);
		else if (code == OPT_ROUTER && l >= 4)
			memcpy(&out->router, v, 4); /* the first router of the list */
		else if (code == OPT_SERVER_ID && l == 4)
			memcpy(&out->server_id, v, 4);
		else if (code == OPT_LEASE && l == 4)
			out->lease_s = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
		o = v + l;
	}
	if (out->type != DHCPOFFER && out->type != DHCPACK && out->type != DHCPNAK)
		return -EINVAL;
	if (out->type != DHCPNAK) {
		uint32_t y = ntohl(out->yiaddr);
		/* An address must be a unicast one; a mask must be a prefix. */
		if (y == 0 || y >= 0xe0000000u || (y >> 24) == 127 || (out->mask && mask_prefix_len(out->mask) > 32))
			return -EINVAL;
	}
	return 0;
}
