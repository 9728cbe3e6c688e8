/*
 * AF_NETLINK, NETLINK_ROUTE only (rtnetlink), read-only: dumps of links, IPv4 addresses and
 * routes, what `ip link`, `ip addr` and `ip route` list. Changes answer EOPNOTSUPP; the
 * interface ioctls (net/core/dev_ioctl.c) are how ifconfig and route make them.
 */
#pragma once

#include "lib/types.h"

#define AF_NETLINK     16
#define NETLINK_ROUTE  0

#define NLMSG_NOOP     1
#define NLMSG_ERROR    2
#define NLMSG_DONE     3

#define NLM_F_REQUEST  0x001
#define NLM_F_MULTI    0x002
#define NLM_F_ACK      0x004
#define NLM_F_ROOT     0x100
#define NLM_F_MATCH    0x200
#define NLM_F_DUMP     (NLM_F_ROOT | NLM_F_MATCH)

#define RTM_NEWLINK  16
#define RTM_GETLINK  18
#define RTM_NEWADDR  20
#define RTM_GETADDR  22
#define RTM_NEWROUTE 24
#define RTM_GETROUTE 26

struct nlmsghdr_k {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
_Static_assert(sizeof(struct nlmsghdr_k) == 16, "struct nlmsghdr");

struct sockaddr_nl_k {
	uint16_t family, pad;
	uint32_t pid, groups;
};
_Static_assert(sizeof(struct sockaddr_nl_k) == 12, "struct sockaddr_nl");

#define NLMSG_ALIGN(n) (((n) + 3u) & ~3u)

/* A reply being built: whole messages appended to a kmalloc'd buffer. */
struct nl_buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

/*
 * Answers one request (hdr, then len bytes of payload) for the socket whose port id is
 * portid: appends the reply messages (a dump and its NLMSG_DONE, or an NLMSG_ERROR) to b.
 */
void rtnl_handle(const struct nlmsghdr_k *hdr, const char *payload, size_t len, uint32_t portid,
		 struct nl_buf *b);

/* The 4-byte attributes (addresses, indexes) of a request, by type (types below 16). */
struct nl_attrs {
	bool have[16];
	uint32_t val[16];
};
/*
 * Parses the attributes following a fixed header of hdrlen bytes in a payload of len bytes
 * (hostile: every length is checked): 0, or -EINVAL when the header or an attribute does not
 * fit. Attributes of other sizes or types are skipped.
 */
int nl_attr_parse(const char *payload, size_t len, size_t hdrlen, struct nl_attrs *a);
/* The netmask of a prefix length (0-32), network order. */
uint32_t nl_prefix_mask(unsigned len);

void netlink_init(void);
