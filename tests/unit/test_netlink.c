// unit-deps: kernel/net/netlink/nl_attr.c kernel/lib/string.c
/*
 * Host tests for rtnetlink request parsing (kernel/net/netlink/nl_attr.c): attributes after a
 * fixed header, padding, attributes that overrun the message or claim less than their own
 * header, and random buffers (under ASan nothing may be read past the payload); prefix masks.
 */
#include "unit.h"

#include <stdlib.h>

#include "lib/errno.h"
#include "net/netlink/netlink.h"

static size_t put_attr(char *buf, size_t off, uint16_t type, const void *data, uint16_t n)
{
	uint16_t len = (uint16_t)(4 + n);
	memcpy(buf + off, &len, 2);
	memcpy(buf + off + 2, &type, 2);
	memcpy(buf + off + 4, data, n);
	return off + NLMSG_ALIGN(len);
}

TEST(attributes_found)
{
	char buf[64];
	memset(buf, 0, sizeof(buf));
	uint32_t addr = 0x0f02000a, oif = 2;
	size_t off = put_attr(buf, 12, 2, &addr, 4); /* after a 12-byte rtmsg */
	off = put_attr(buf, off, 3, "eth0", 5);       /* a label: skipped, padded to 12 */
	off = put_attr(buf, off, 4, &oif, 4);
	struct nl_attrs a;
	CHECK_INT(nl_attr_parse(buf, off, 12, &a), 0);
	CHECK(a.have[2] && a.val[2] == addr);
	CHECK(!a.have[3]);
	CHECK(a.have[4] && a.val[4] == oif);
}

TEST(attributes_rejected)
{
	char buf[64];
	memset(buf, 0, sizeof(buf));
	struct nl_attrs a;
	CHECK_INT(nl_attr_parse(buf, 4, 8, &a), -EINVAL); /* shorter than its fixed header */
	uint32_t v = 1;
	size_t off = put_attr(buf, 8, 1, &v, 4);
	CHECK_INT(nl_attr_parse(buf, off + 3, 8, &a), 0); /* a tail shorter than a header is ignored... */
	CHECK(a.have[1] && a.val[1] == 1);
	CHECK_INT(nl_attr_parse(buf, off - 1, 8, &a), -EINVAL); /* ...one cut short is not */
	uint16_t big = 200;
	memcpy(buf + 8, &big, 2);
	CHECK_INT(nl_attr_parse(buf, off, 8, &a), -EINVAL); /* ...but one overrunning the message is */
	uint16_t tiny = 2;
	memcpy(buf + 8, &tiny, 2);
	CHECK_INT(nl_attr_parse(buf, off, 8, &a), -EINVAL); /* shorter than its own header */
}

TEST(random_buffers)
{
	srand(11);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % 96);
		char *buf = malloc(len ? len : 1);
		for (size_t j = 0; j < len; j++)
			buf[j] = (char)(rand() % 4 == 0 ? rand() % 16 : rand());
		struct nl_attrs a;
		int r = nl_attr_parse(buf, len, (size_t)(rand() % 20), &a);
		CHECK(r == 0 || r == -EINVAL);
		free(buf);
	}
}

TEST(prefix_masks)
{
	CHECK_INT(nl_prefix_mask(0), 0);
	CHECK_INT(nl_prefix_mask(8), __builtin_bswap32(0xff000000u));
	CHECK_INT(nl_prefix_mask(24), __builtin_bswap32(0xffffff00u));
	CHECK_INT(nl_prefix_mask(32), 0xffffffffu);
	CHECK_INT(nl_prefix_mask(40), 0xffffffffu);
}
