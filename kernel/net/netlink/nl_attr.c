/*
 * Netlink attribute parsing for rtnetlink requests (struct rtattr: a 16-bit length with the
 * header, a 16-bit type, the data padded to 4 bytes). Pure, so the host unit tests fuzz it.
 */
#include "net/netlink/netlink.h"
#include "lib/errno.h"
#include "lib/string.h"

int nl_attr_parse(const char *payload, size_t len, size_t hdrlen, struct nl_attrs *a)
{
	memset(a, 0, sizeof(*a));
	if (len < hdrlen)
		return -EINVAL;
	for (size_t off = NLMSG_ALIGN(hdrlen); off + 4 <= len;) {
		uint16_t alen, type;
		memcpy(&alen, payload + off, 2);
		memcpy(&type, payload + off + 2, 2);
		if (alen < 4 || alen > len - off)
			return -EINVAL;
		if (type < 16 && alen == 8) {
			a->have[type] = true;
			memcpy(&a->val[type], payload + off + 4, 4);
		}
		off += NLMSG_ALIGN(alen);
	}
	return 0;
}

uint32_t nl_prefix_mask(unsigned len)
{
	if (len == 0)
		return 0;
	if (len > 32)
		len = 32;
	return __builtin_bswap32(0xffffffffu << (32 - len));
}
