/*
 * rtnetlink: AF_NETLINK/NETLINK_ROUTE dumps as `ip` reads them: port ids from bind and
 * getsockname, RTM_GETLINK listing lo (index, name, flags, MTU), RTM_GETADDR listing 127.0.0.1/8
 * on lo, RTM_GETROUTE ending in NLMSG_DONE with every message carrying the request's sequence
 * number, an unknown request answered by NLMSG_ERROR, bad arguments failing cleanly, and (as
 * root) changes that must fail before changing anything: a bad prefix length, a missing device,
 * deleting a route nobody added.
 */
#include "t.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

/* <linux/netlink.h> and <linux/rtnetlink.h>, which musl does not ship: the parts used here. */
struct sockaddr_nl {
	unsigned short nl_family, nl_pad;
	unsigned nl_pid, nl_groups;
};
struct nlmsghdr {
	unsigned nlmsg_len;
	unsigned short nlmsg_type, nlmsg_flags;
	unsigned nlmsg_seq, nlmsg_pid;
};
struct rtgenmsg { unsigned char rtgen_family; };
struct ifinfomsg {
	unsigned char ifi_family, ifi_pad;
	unsigned short ifi_type;
	int ifi_index;
	unsigned ifi_flags, ifi_change;
};
struct ifaddrmsg { unsigned char ifa_family, ifa_prefixlen, ifa_flags, ifa_scope; unsigned ifa_index; };
struct rtattr { unsigned short rta_len, rta_type; };
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 1
#define NLM_F_DUMP 0x300
#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_GETROUTE 26
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFA_LOCAL 2
#define RTM_NEWADDR_T 20
#define RTM_DELROUTE_T 25
#define NLM_F_ACK 4
#define NLM_F_CREATE 0x400
#define NLM_F_EXCL 0x200
struct rtmsg { unsigned char rtm_family, rtm_dst_len, rtm_src_len, rtm_tos, rtm_table, rtm_protocol,
	rtm_scope, rtm_type; unsigned rtm_flags; };
#define RTA_DST 1
#define NLMSG_ALIGN(len) (((len) + 3u) & ~3u)
#define NLMSG_HDRLEN ((int)NLMSG_ALIGN(sizeof(struct nlmsghdr)))
#define NLMSG_LENGTH(len) ((len) + NLMSG_HDRLEN)
#define NLMSG_DATA(h) ((void *)((char *)(h) + NLMSG_HDRLEN))
#define NLMSG_OK(h, len) ((len) >= (int)sizeof(struct nlmsghdr) && (h)->nlmsg_len >= sizeof(struct nlmsghdr) && \
			  (h)->nlmsg_len <= (unsigned)(len))
#define NLMSG_NEXT(h, len) ((len) -= NLMSG_ALIGN((h)->nlmsg_len), \
			    (struct nlmsghdr *)((char *)(h) + NLMSG_ALIGN((h)->nlmsg_len)))
#define RTA_ALIGN(len) (((len) + 3u) & ~3u)
#define RTA_OK(rta, len) ((len) >= (int)sizeof(struct rtattr) && (rta)->rta_len >= sizeof(struct rtattr) && \
			  (rta)->rta_len <= (len))
#define RTA_NEXT(rta, len) ((len) -= (int)RTA_ALIGN((rta)->rta_len), \
			    (struct rtattr *)((char *)(rta) + RTA_ALIGN((rta)->rta_len)))
#define RTA_DATA(rta) ((void *)((char *)(rta) + sizeof(struct rtattr)))
#define IFLA_RTA(r) ((struct rtattr *)((char *)(r) + NLMSG_ALIGN(sizeof(struct ifinfomsg))))
#define IFLA_PAYLOAD(h) ((h)->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg))))
#define IFA_RTA(r) ((struct rtattr *)((char *)(r) + NLMSG_ALIGN(sizeof(struct ifaddrmsg))))
#define IFA_PAYLOAD(h) ((h)->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifaddrmsg))))

static int nl_open(void)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -1;
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int dump_request(int s, int type, int family, unsigned seq)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg));
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.g.rtgen_family = (unsigned char)family;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	return (int)sendto(s, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k));
}

struct dump_result {
	int messages, done, bad_seq, errors, lo_link, lo_flags_ok, lo_mtu, lo_addr, routes;
};

/* Reads one dump to its NLMSG_DONE (or an error), noting what the checks need. */
static void read_dump(int s, unsigned seq, int lo_index, struct dump_result *r)
{
	memset(r, 0, sizeof(*r));
	static char buf[32768];
	while (!r->done && !r->errors) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 3000) != 1)
			return;
		struct sockaddr_nl from;
		struct iovec v = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &v, .msg_iovlen = 1 };
		ssize_t n = recvmsg(s, &mh, 0);
		if (n <= 0 || from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
			return;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			r->messages++;
			if (h->nlmsg_seq != seq)
				r->bad_seq++;
			if (h->nlmsg_type == NLMSG_DONE) {
				r->done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				r->errors++;
				break;
			}
			if (h->nlmsg_type == RTM_NEWLINK) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				int len = (int)IFLA_PAYLOAD(h);
				int named_lo = 0;
				for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
					if (a->rta_type == IFLA_IFNAME && strcmp(RTA_DATA(a), "lo") == 0)
						named_lo = 1;
					if (a->rta_type == IFLA_MTU && ifi->ifi_index == lo_index)
						r->lo_mtu = *(int *)RTA_DATA(a);
				}
				if (named_lo && ifi->ifi_index == lo_index) {
					r->lo_link = 1;
					r->lo_flags_ok = (ifi->ifi_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK);
				}
			} else if (h->nlmsg_type == RTM_NEWADDR) {
				struct ifaddrmsg *ifa = NLMSG_DATA(h);
				int len = (int)IFA_PAYLOAD(h);
				for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
					if (a->rta_type == IFA_LOCAL && ifa->ifa_family == AF_INET &&
					    (int)ifa->ifa_index == lo_index && ifa->ifa_prefixlen == 8 &&
					    *(in_addr_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK))
						r->lo_addr = 1;
			} else if (h->nlmsg_type == RTM_NEWROUTE) {
				r->routes++;
			}
		}
	}
}

/* Sends a change request (fixed header fhdr, one 4-byte attribute) and returns the error its
 * NLMSG_ERROR carries (0: acknowledged), or 1 when none came. */
static int change(int s, int type, const void *fhdr, size_t flen, int atype, uint32_t aval, unsigned seq)
{
	char req[64];
	memset(req, 0, sizeof(req));
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	h->nlmsg_len = (unsigned)(NLMSG_HDRLEN + NLMSG_ALIGN(flen) + 8);
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_DELROUTE_T ? 0 : NLM_F_CREATE | NLM_F_EXCL);
	h->nlmsg_seq = seq;
	memcpy(req + NLMSG_HDRLEN, fhdr, flen);
	struct rtattr *a = (struct rtattr *)(req + NLMSG_HDRLEN + NLMSG_ALIGN(flen));
	a->rta_len = 8;
	a->rta_type = (unsigned short)atype;
	memcpy(a + 1, &aval, 4);
	if (send(s, req, h->nlmsg_len, 0) < 0)
		return 1;
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[4096];
	if (poll(&p, 1, 3000) != 1 || recv(s, buf, sizeof(buf), 0) < (ssize_t)(NLMSG_HDRLEN + 4))
		return 1;
	struct nlmsghdr *r = (struct nlmsghdr *)buf;
	if (r->nlmsg_type != NLMSG_ERROR || r->nlmsg_seq != seq)
		return 1;
	int err;
	memcpy(&err, buf + NLMSG_HDRLEN, 4);
	return err;
}

static void test_changes_refused(int s, int lo_index)
{
	if (geteuid() != 0) {
		t_skip("changes", "changing addresses and routes needs root");
		return;
	}
	struct ifaddrmsg ifa = { AF_INET, 40, 0, 0, (unsigned)lo_index };
	CHECK_EQ("newaddr_bad_prefix", change(s, RTM_NEWADDR_T, &ifa, sizeof(ifa), IFA_LOCAL,
					       htonl(0xcb007107), 201), -EINVAL);
	ifa.ifa_prefixlen = 24;
	ifa.ifa_index = 99999;
	CHECK_EQ("newaddr_no_device", change(s, RTM_NEWADDR_T, &ifa, sizeof(ifa), IFA_LOCAL,
					      htonl(0xcb007107), 202), -ENODEV);
	struct rtmsg rm = { .rtm_family = AF_INET, .rtm_dst_len = 24, .rtm_table = 254, .rtm_scope = 255, .rtm_type = 1 };
	CHECK_EQ("delroute_missing", change(s, RTM_DELROUTE_T, &rm, sizeof(rm), RTA_DST, htonl(0xcb007100), 203),
		 -ESRCH);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("rtnetlink", argv);
	int lo_index = (int)if_nametoindex("lo");
	if (!NEED("lo_index", lo_index > 0 ? 0 : -1))
		return t_done();
	int s = nl_open();
	if (!NEED("socket", s))
		return t_done();
	struct sockaddr_nl me;
	socklen_t len = sizeof(me);
	CHECK_OK("getsockname", getsockname(s, (struct sockaddr *)&me, &len));
	CHECK("getsockname_portid", len == sizeof(me) && me.nl_family == AF_NETLINK && me.nl_pid != 0);
	int s2 = nl_open();
	struct sockaddr_nl me2;
	len = sizeof(me2);
	getsockname(s2, (struct sockaddr *)&me2, &len);
	CHECK("distinct_portids", me2.nl_pid != me.nl_pid && me2.nl_pid != 0);
	struct sockaddr_nl clash = { .nl_family = AF_NETLINK, .nl_pid = me.nl_pid };
	int s3 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	CHECK_ERR("bind_taken_portid", bind(s3, (struct sockaddr *)&clash, sizeof(clash)), EADDRINUSE);
	close(s3);
	close(s2);

	struct dump_result r;
	CHECK("getlink_sent", dump_request(s, RTM_GETLINK, AF_UNSPEC, 101) > 0);
	read_dump(s, 101, lo_index, &r);
	CHECK("getlink_done", r.done && !r.errors && !r.bad_seq);
	CHECK("getlink_lo", r.lo_link && r.lo_flags_ok);
	CHECK_EQ("getlink_lo_mtu", r.lo_mtu, 65536);

	CHECK("getaddr_sent", dump_request(s, RTM_GETADDR, AF_INET, 102) > 0);
	read_dump(s, 102, lo_index, &r);
	CHECK("getaddr_done", r.done && !r.errors && !r.bad_seq);
	CHECK("getaddr_lo_127", r.lo_addr);

	CHECK("getroute_sent", dump_request(s, RTM_GETROUTE, AF_INET, 103) > 0);
	read_dump(s, 103, lo_index, &r);
	CHECK("getroute_done", r.done && !r.errors && !r.bad_seq);

	/* A request type nobody knows: NLMSG_ERROR. */
	CHECK("unknown_sent", dump_request(s, 0x7ff0, AF_UNSPEC, 104) > 0);
	read_dump(s, 104, lo_index, &r);
	CHECK("unknown_error", r.errors == 1 && !r.bad_seq);

	test_changes_refused(s, lo_index);

	/* A reader that never reads: the replies it does not collect are dropped once its receive
	 * buffer is full, and it hears ENOBUFS (Linux's overrun), not an ever-growing queue. */
	int flood = nl_open();
	int small = 4096;
	setsockopt(flood, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (unsigned i = 0; i < 300; i++)
		dump_request(flood, RTM_GETLINK, AF_UNSPEC, 1000 + i);
	int overrun = 0;
	char big[32768];
	for (int i = 0; i < 2000; i++) {
		ssize_t n = recv(flood, big, sizeof(big), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			overrun = 1;
		if (n < 0 && errno == EAGAIN)
			break;
	}
	CHECK("overrun_enobufs", overrun);
	close(flood);

	/* Hostile arguments. */
	CHECK_ERR("bad_family", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
	struct sockaddr_nl shortaddr = { .nl_family = AF_NETLINK };
	int s4 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	CHECK_ERR("bind_short", bind(s4, (struct sockaddr *)&shortaddr, 4), EINVAL);
	CHECK_ERR("send_bad_buffer", send(s4, (void *)16, 64, 0), EFAULT);
	close(s4);
	char junk[64];
	memset(junk, 0xff, sizeof(junk));
	CHECK_OK("send_junk_ignored", send(s, junk, sizeof(junk), 0));
	close(s);
	return t_done();
}
