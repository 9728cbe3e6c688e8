/*
 * packet: AF_PACKET sockets on lo (root only, as CAP_NET_RAW): creation rules, bind with
 * struct sockaddr_ll, SOCK_DGRAM (link header stripped) and SOCK_RAW (whole frames) receipt
 * with the sender's sockaddr_ll (ifindex, protocol, hatype, pkttype), ETH_P_ALL seeing a
 * frame both leave (PACKET_OUTGOING) and arrive, sending both kinds, classic BPF filters
 * (busybox udhcpc's, a truncating one, hostile ones refused), PACKET_AUXDATA, /proc/net/packet,
 * poll/FIONREAD/MSG_PEEK/MSG_TRUNC/MSG_DONTWAIT, SO_RCVBUF limits and the send errors. On a
 * busy host lo other traffic passes too, so every receive looks for this run's own marker or
 * EtherType.
 */
#include "t.h"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* <linux/filter.h>, which musl does not ship. */
struct sock_filter {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};
struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};
#define BPF_LD 0x00
#define BPF_LDX 0x01
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MSH 0xa0
#define BPF_DIV 0x30
#define BPF_JEQ 0x10
#define BPF_JSET 0x40
#define BPF_K 0x00
#define BPF_STMT(code, k) { (unsigned short)(code), 0, 0, k }
#define BPF_JUMP(code, k, jt, jf) { (unsigned short)(code), jt, jf, k }
#ifndef SO_ATTACH_FILTER
#define SO_ATTACH_FILTER 26
#define SO_DETACH_FILTER 27
#endif

/* struct tpacket_auxdata (<linux/if_packet.h>). */
struct aux {
	unsigned int tp_status, tp_len, tp_snaplen;
	unsigned short tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid;
};
#ifndef TP_STATUS_USER
#define TP_STATUS_USER 1
#endif

#define ETH_P_TEST1 0x88b5 /* IEEE local experimental EtherTypes */
#define ETH_P_TEST2 0x88b6

static int lo_index;
static char marker[32];

static int wait_readable(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static int packet_socket(int type, int proto)
{
	int s = socket(AF_PACKET, type, htons(proto));
	if (s < 0)
		return -1;
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = lo_index };
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Sends one UDP datagram to 127.0.0.1:port carrying tag; returns the socket listening there
 * (so that no ICMP port unreachable quotes the tag again), for the caller to close. */
static int udp_send(int port, const char *tag)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(r, (struct sockaddr *)&to, sizeof(to));
	sendto(u, tag, strlen(tag), 0, (struct sockaddr *)&to, sizeof(to));
	close(u);
	return r;
}

/* What a packet socket caught of this run's frames carrying one tag. */
struct catch {
	char buf[2048];          /* the first frame's bytes */
	ssize_t n;               /* its length */
	struct sockaddr_ll from; /* its source */
	int found, outgoing;     /* frames with the tag, and how many of them were PACKET_OUTGOING */
};

/* Reads frames from s for up to ms, keeping count of those containing tag. */
static void collect(int s, const char *tag, int ms, struct catch *c)
{
	memset(c, 0, sizeof(*c));
	while (wait_readable(s, ms)) {
		char tmp[2048];
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, tmp, sizeof(tmp), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			break;
		if (!memmem(tmp, (size_t)n, tag, strlen(tag)))
			continue;
		if (from.sll_pkttype == PACKET_OUTGOING)
			c->outgoing++;
		if (!c->found++) {
			memcpy(c->buf, tmp, (size_t)n);
			c->n = n;
			c->from = from;
		}
	}
}

/* Sends a UDP datagram with this run's marker and suffix to 127.0.0.1:port and collects what
 * s sees of it. */
static void catch_udp(int s, int port, const char *suffix, struct catch *c)
{
	char tag[64];
	snprintf(tag, sizeof(tag), "%s-%s", marker, suffix);
	int r = udp_send(port, tag);
	collect(s, tag, 500, c);
	close(r);
}

static void test_create_and_bind(void)
{
	CHECK_ERR("create.stream_refused", socket(AF_PACKET, SOCK_STREAM, 0), ESOCKTNOSUPPORT);
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) < 0)
			_exit(2);
		int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		_exit(s < 0 && errno == EPERM ? 0 : 1);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK("create.needs_root", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	int s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (!NEED("create.dgram", s))
		return;
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = lo_index };
	CHECK_ERR("bind.short", bind(s, (struct sockaddr *)&a, 10), EINVAL);
	struct sockaddr_ll bad = a;
	bad.sll_ifindex = 99999;
	CHECK_ERR("bind.no_such_device", bind(s, (struct sockaddr *)&bad, sizeof(bad)), ENODEV);
	bad = a;
	bad.sll_family = AF_INET;
	CHECK_ERR("bind.wrong_family", bind(s, (struct sockaddr *)&bad, sizeof(bad)), EINVAL);
	CHECK_OK("bind.lo", bind(s, (struct sockaddr *)&a, sizeof(a)));
	struct sockaddr_ll me;
	socklen_t ml = sizeof(me);
	memset(&me, 0xee, sizeof(me));
	CHECK_OK("getsockname.ok", getsockname(s, (struct sockaddr *)&me, &ml));
	CHECK("getsockname.fields", me.sll_family == AF_PACKET && me.sll_ifindex == lo_index &&
					    me.sll_protocol == htons(ETH_P_IP) && me.sll_hatype == ARPHRD_LOOPBACK);
	int one = 1, v = 0;
	socklen_t vl = sizeof(v);
	CHECK_OK("auxdata.set", setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)));
	CHECK("auxdata.get", getsockopt(s, SOL_PACKET, PACKET_AUXDATA, &v, &vl) == 0 && v == 1);
	close(s);
}

/* /proc/net/packet lists the socket as Linux does: type, protocol, device, inode. */
static void test_proc(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_IP);
	if (!NEED("proc.socket", s))
		return;
	struct stat st;
	NEED("proc.fstat", fstat(s, &st));
	FILE *f = fopen("/proc/net/packet", "r");
	if (!CHECK("proc.open", f != NULL))
		goto out;
	char line[256];
	int header = fgets(line, sizeof(line), f) && strncmp(line, "sk               RefCnt Type Proto  Iface R Rmem", 48) == 0;
	CHECK("proc.header", header);
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long sk;
		int ref, type, iface, running;
		unsigned proto, rmem, user;
		unsigned long ino;
		if (sscanf(line, "%llx %d %d %x %d %d %u %u %lu", &sk, &ref, &type, &proto, &iface, &running, &rmem,
			   &user, &ino) == 9 && ino == st.st_ino)
			found = type == SOCK_DGRAM && proto == ETH_P_IP && iface == lo_index && running == 1 && user == 0;
	}
	fclose(f);
	CHECK("proc.socket_listed", found);
out:
	close(s);
}

static void test_dgram_receive(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_IP);
	if (!NEED("dgram.socket", s))
		return;
	struct catch c;
	catch_udp(s, 40001, "dgram", &c);
	/* ETH_P_IP sockets get incoming frames only: one copy, as Linux. */
	CHECK_EQ("dgram.one_copy", c.found, 1);
	CHECK("dgram.ip_header_first", c.n >= 28 && (c.buf[0] & 0xf0) == 0x40 && c.buf[9] == IPPROTO_UDP &&
					       ((unsigned char)c.buf[22] << 8 | (unsigned char)c.buf[23]) == 40001);
	CHECK("dgram.sockaddr_ll", c.from.sll_family == AF_PACKET && c.from.sll_ifindex == lo_index &&
					   c.from.sll_protocol == htons(ETH_P_IP) && c.from.sll_hatype == ARPHRD_LOOPBACK &&
					   c.from.sll_pkttype == PACKET_HOST && c.from.sll_halen == 6);
	close(s);
}

static void test_raw_all(void)
{
	int s = packet_socket(SOCK_RAW, ETH_P_ALL);
	if (!NEED("raw.socket", s))
		return;
	struct catch c;
	catch_udp(s, 40002, "all", &c);
	/* ETH_P_ALL on lo: the frame leaving and the frame arriving. */
	CHECK_EQ("raw.all_two_copies", c.found, 2);
	CHECK_EQ("raw.all_one_outgoing", c.outgoing, 1);
	CHECK("raw.ethernet_header", c.n >= 14 + 28 && c.buf[12] == 0x08 && c.buf[13] == 0x00 &&
					     (c.buf[14] & 0xf0) == 0x40);

	/* Sending a whole frame: another socket for that EtherType sees it without the header. */
	int d = packet_socket(SOCK_DGRAM, ETH_P_TEST1);
	if (!NEED("raw.dgram_listener", d))
		goto out;
	unsigned char frame[64] = { 0 };
	frame[12] = ETH_P_TEST1 >> 8;
	frame[13] = ETH_P_TEST1 & 0xff;
	snprintf((char *)frame + 14, sizeof(frame) - 14, "%s-rawsend", marker);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = lo_index };
	CHECK_EQ("raw.sendto", sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)), sizeof(frame));
	collect(d, (char *)frame + 14, 500, &c);
	CHECK_EQ("raw.sent_frame_arrives", c.found, 1);
	CHECK("raw.sent_frame_payload", c.n == 50 && memcmp(c.buf, frame + 14, 50) == 0 &&
						c.from.sll_protocol == htons(ETH_P_TEST1) && c.from.sll_pkttype == PACKET_HOST);
	/* The sender (ETH_P_ALL) does not see its own frame leave, only come back through lo. */
	collect(s, (char *)frame + 14, 300, &c);
	CHECK("raw.sender_skips_own_outgoing", c.found == 1 && c.outgoing == 0);

	/* SOCK_DGRAM send: the kernel writes the Ethernet header from sll_addr and sll_protocol. */
	char payload[80];
	snprintf(payload, sizeof(payload), "%s-dgramsend", marker);
	struct sockaddr_ll dto = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_TEST1),
				   .sll_ifindex = lo_index, .sll_halen = 6 };
	CHECK_EQ("dgram_send.sendto", sendto(d, payload, strlen(payload), 0, (struct sockaddr *)&dto, sizeof(dto)),
		 strlen(payload));
	collect(s, payload, 500, &c);
	CHECK("dgram_send.seen_whole", c.found == 2 && c.n == 14 + (ssize_t)strlen(payload) &&
					       (unsigned char)c.buf[12] == ETH_P_TEST1 >> 8 &&
					       (unsigned char)c.buf[13] == (ETH_P_TEST1 & 0xff));

	/* Send errors. */
	struct sockaddr_ll nodev = dto;
	nodev.sll_ifindex = 99999;
	CHECK_ERR("send.no_device", sendto(d, "x", 1, 0, (struct sockaddr *)&nodev, sizeof(nodev)), ENXIO);
	CHECK_ERR("send.short_name", sendto(d, "x", 1, 0, (struct sockaddr *)&dto, 8), EINVAL);
	static char big[70000];
	CHECK_ERR("send.too_big", sendto(d, big, sizeof(big), 0, (struct sockaddr *)&dto, sizeof(dto)), EMSGSIZE);
	/* Without a name: the bound device (lo builds an all-zero header); none bound is ENXIO. */
	CHECK_EQ("send.bound_no_name", send(d, "x", 1, 0), 1);
	CHECK_ERR("send.raw_short", send(s, frame, 5, 0), EINVAL);
	int u = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_TEST1));
	int ur = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_TEST1));
	if (NEED("send.unbound_socket", u) && NEED("send.unbound_raw", ur)) {
		CHECK_ERR("send.unbound_dgram", send(u, "x", 1, 0), ENXIO);
		CHECK_ERR("send.unbound_raw", send(ur, frame, sizeof(frame), 0), ENXIO);
	}
	close(u);
	close(ur);
	close(d);
out:
	close(s);
}

static void test_filters(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_IP);
	if (!NEED("filter.socket", s))
		return;
	/* busybox udhcpc's filter with port 40003 in place of 68. */
	struct sock_filter udhcpc[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 40003, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x7fffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog fp = { sizeof(udhcpc) / sizeof(udhcpc[0]), udhcpc };
	CHECK_OK("filter.attach", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)));
	char tag[64], buf[2048];
	snprintf(tag, sizeof(tag), "%s-filter", marker);
	int r1 = udp_send(40004, tag); /* filtered out */
	int r2 = udp_send(40003, tag);
	CHECK("filter.arrives", wait_readable(s, 1000));
	ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK("filter.only_matching_port", n >= 28 && ((unsigned char)buf[22] << 8 | (unsigned char)buf[23]) == 40003);
	CHECK("filter.nothing_else", !wait_readable(s, 300));
	close(r1);
	close(r2);

	/* A filter's return value cuts the packet. */
	struct sock_filter cut[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 22),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 40005, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 20),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog cfp = { 4, cut };
	CHECK_OK("filter.replace", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &cfp, sizeof(cfp)));
	int r3 = udp_send(40005, tag);
	struct msghdr mh = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	n = wait_readable(s, 1000) ? recvmsg(s, &mh, MSG_DONTWAIT) : -1;
	CHECK("filter.truncates", n == 20 && !(mh.msg_flags & MSG_TRUNC));
	close(r3);

	/* Hostile programs are refused and leave the old filter in place. */
	struct sock_filter jump_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 0), BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog bad = { 2, jump_out };
	CHECK_ERR("filter.jump_out_of_range", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof(bad)), EINVAL);
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0) };
	bad.filter = div0;
	CHECK_ERR("filter.div_by_zero", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof(bad)), EINVAL);
	struct sock_filter noret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IMM, 1) };
	bad.filter = noret;
	bad.len = 1;
	CHECK_ERR("filter.no_return", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof(bad)), EINVAL);
	bad.len = 0;
	CHECK_ERR("filter.empty", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof(bad)), EINVAL);
	bad.len = 1;
	bad.filter = (struct sock_filter *)8;
	CHECK_ERR("filter.bad_pointer", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof(bad)), EFAULT);
	int dummy = 0;
	CHECK_OK("filter.detach", setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy)));
	CHECK_ERR("filter.detach_again", setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy)), ENOENT);
	close(s);
}

/* PACKET_ADD/DROP_MEMBERSHIP on lo: counted repeats, errors as Linux; and ifconfig's way,
 * SIOCSIFFLAGS with IFF_PROMISC, which SIOCGIFFLAGS then reports (packet sockets' requests
 * it does not show, as Linux's dev_get_flags). */
static void test_membership(void)
{
	int s = packet_socket(SOCK_RAW, ETH_P_ALL);
	if (!NEED("mreq.socket", s))
		return;
	struct packet_mreq mr = { .mr_ifindex = lo_index, .mr_type = PACKET_MR_PROMISC };
	CHECK_OK("mreq.add_promisc", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	CHECK_OK("mreq.add_again", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	CHECK("mreq.flags_hide_socket_promisc", ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_PROMISC));
	CHECK_OK("mreq.drop", setsockopt(s, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	CHECK_OK("mreq.drop_second", setsockopt(s, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	/* Linux answers 0 for a membership that is not there. */
	CHECK_OK("mreq.drop_none_left", setsockopt(s, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	struct packet_mreq multi = { .mr_ifindex = lo_index, .mr_type = PACKET_MR_MULTICAST, .mr_alen = 6,
				     .mr_address = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x7b } };
	CHECK_OK("mreq.add_multicast", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &multi, sizeof(multi)));
	struct packet_mreq bad = mr;
	bad.mr_ifindex = 99999;
	CHECK_ERR("mreq.no_device", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &bad, sizeof(bad)), ENODEV);
	bad = multi;
	bad.mr_alen = 9;
	CHECK_ERR("mreq.long_address", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &bad, sizeof(bad)), EINVAL);
	CHECK_ERR("mreq.short", setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, 8), EINVAL);
	close(s); /* drops the multicast membership */

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!NEED("mreq.inet_socket", u))
		return;
	NEED("mreq.getflags", ioctl(u, SIOCGIFFLAGS, &ifr));
	short before = ifr.ifr_flags;
	ifr.ifr_flags = (short)(before | IFF_PROMISC);
	CHECK_OK("ifflags.promisc_on", ioctl(u, SIOCSIFFLAGS, &ifr));
	CHECK("ifflags.promisc_shown", ioctl(u, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_PROMISC));
	ifr.ifr_flags = (short)(before & ~IFF_PROMISC);
	CHECK_OK("ifflags.promisc_off", ioctl(u, SIOCSIFFLAGS, &ifr));
	CHECK("ifflags.promisc_gone", ioctl(u, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_PROMISC));
	close(u);
}

static void send_test2(int raw, size_t len)
{
	unsigned char frame[1500] = { 0 };
	frame[12] = ETH_P_TEST2 >> 8;
	frame[13] = ETH_P_TEST2 & 0xff;
	memset(frame + 14, 'q', len - 14);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = lo_index };
	sendto(raw, frame, len, 0, (struct sockaddr *)&to, sizeof(to));
}

/* PACKET_AUXDATA: each receive carries the frame's length before a filter cut it, what was
 * kept, and where the network header starts. */
static void test_auxdata(int s, int raw)
{
	int one = 1;
	NEED("auxdata.on", setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)));
	struct sock_filter cut[] = { BPF_STMT(BPF_RET | BPF_K, 40) };
	struct sock_fprog fp = { 1, cut };
	NEED("auxdata.filter", setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)));
	send_test2(raw, 14 + 100);
	char buf[256];
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(struct aux))];
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n = wait_readable(s, 1000) ? recvmsg(s, &mh, MSG_DONTWAIT) : -1;
	CHECK_EQ("auxdata.cut_by_filter", n, 40);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct aux a = { 0 };
	if (c && c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA && c->cmsg_len >= CMSG_LEN(sizeof(a)))
		memcpy(&a, CMSG_DATA(c), sizeof(a));
	CHECK("auxdata.cmsg", c && c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA);
	CHECK("auxdata.fields", (a.tp_status & TP_STATUS_USER) && a.tp_len == 100 && a.tp_snaplen == 40 && a.tp_net == 0);
	int zero = 0;
	setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero));
	setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &zero, sizeof(zero));
}

static void test_queue(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_TEST2);
	int raw = packet_socket(SOCK_RAW, 0);
	if (!NEED("queue.socket", s) || !NEED("queue.raw", raw))
		return;
	char buf[2048];
	struct pollfd p = { .fd = s, .events = POLLIN | POLLOUT };
	CHECK("queue.poll_empty", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	CHECK_ERR("queue.dontwait_empty", recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	send_test2(raw, 14 + 100);
	CHECK("queue.poll_readable", wait_readable(s, 1000));
	int avail = -1;
	CHECK("queue.fionread", ioctl(s, FIONREAD, &avail) == 0 && avail == 100);
	CHECK_EQ("queue.peek", recv(s, buf, sizeof(buf), MSG_PEEK), 100);
	CHECK_EQ("queue.trunc_real_length", recv(s, buf, 10, MSG_TRUNC), 100);
	CHECK_ERR("queue.consumed", recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	test_auxdata(s, raw);

	/* A small receive buffer drops what does not fit. */
	int small = 0;
	CHECK_OK("queue.rcvbuf_set", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	for (int i = 0; i < 50; i++)
		send_test2(raw, 14 + 1000);
	int got = 0;
	while (wait_readable(s, 300) && recv(s, buf, sizeof(buf), MSG_DONTWAIT) == 1000)
		got++;
	CHECK("queue.rcvbuf_limits", got >= 1 && got < 50);
	close(raw);
	close(s);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("packet", argv);
	if (geteuid() != 0) {
		t_skip("all", "AF_PACKET needs root");
		return t_done();
	}
	lo_index = (int)if_nametoindex("lo");
	snprintf(marker, sizeof(marker), "ferrite-pkt-%d", (int)getpid());
	CHECK("setup.lo_index", lo_index > 0);
	test_create_and_bind();
	test_proc();
	test_dgram_receive();
	test_raw_all();
	test_filters();
	test_queue();
	test_membership();
	return t_done();
}
