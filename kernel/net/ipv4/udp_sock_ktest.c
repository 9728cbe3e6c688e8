/*
 * ktest inet_udp_sockets (automatic: only 127.0.0.1): AF_INET datagram sockets beside the
 * kernel's own UDP endpoints, through the socket operations with kernel buffers: a socket
 * cannot take a kernel endpoint's port (not even with SO_REUSEADDR), endpoints and sockets
 * exchange datagrams, a connected socket drops strangers, and ICMP port unreachable becomes
 * the connected socket's pending ECONNREFUSED. inet_ping_socket: an ICMP echo socket pings
 * 127.0.0.1 (the kernel sets the identifier and checksum), refuses what is not an echo, and,
 * connected, takes a destination unreachable quoting its request as its pending error.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ipv4/af_inet.h"
#include "net/ipv4/udp.h"
#include "net/net.h"
#include "sched/sched.h"
#include "test/ktest.h"

static struct socket *ks_udp(struct file **f)
{
	if (sock_create(AF_INET, SOCK_DGRAM, 0, 0, f) < 0)
		return NULL;
	return sock_from_file(*f);
}

static int ks_bind(struct socket *s, in_addr_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ip };
	return s->ops->bind(s, &a, sizeof(a));
}

static uint16_t ks_port(struct socket *s)
{
	struct sockaddr_in a;
	int len = sizeof(a);
	s->ops->getname(s, &a, &len, false);
	return ntohs(a.sin_port);
}

/* A non-blocking receive retried for up to 5 s: its length, or the last error. */
static ssize_t ks_recv(struct socket *s, char *buf, size_t len, uint16_t *from_port)
{
	struct sockaddr_in a;
	ssize_t r = -EAGAIN;
	for (int i = 0; i < 500 && r == -EAGAIN; i++) {
		struct msg_k m = { .name = &a, .namelen = sizeof(a), .buf = buf, .len = len };
		r = s->ops->recvmsg(s, &m, MSG_DONTWAIT);
		if (r == -EAGAIN)
			thread_sleep_ns(10000000ull);
		else if (r >= 0 && from_port)
			*from_port = ntohs(a.sin_port);
	}
	return r;
}

KTEST(inet_udp_sockets)
{
	int err;
	struct file *fa = NULL, *fb = NULL;
	struct udp_endpoint *ep = udp_open(6101, &err), *other = udp_open(0, &err);
	struct socket *a = ks_udp(&fa), *b = ks_udp(&fb);
	int taken = -1, taken_reuse = -1, bound = -1, conn = -1, sent = -1, refused = 0;
	ssize_t got_a = -1, got_ep = -1, stranger = -1, got_peer = -1;
	uint16_t port_a = 0, from = 0, ep_from = 0;
	char buf[32];
	if (!ep || !other || !a || !b)
		goto out;
	taken = ks_bind(a, 0, 6101);
	a->reuseaddr = true;
	taken_reuse = ks_bind(a, 0, 6101);
	bound = ks_bind(a, IPV4(127, 0, 0, 1), 0);
	port_a = ks_port(a);
	/* Kernel endpoint to socket, and back. */
	udp_sendto(ep, IPV4(127, 0, 0, 1), port_a, "to socket", 9);
	got_a = ks_recv(a, buf, sizeof(buf), &from);
	struct sockaddr_in to_ep = { .sin_family = AF_INET, .sin_port = htons(6101), .sin_addr = IPV4(127, 0, 0, 1) };
	struct msg_k m = { .name = &to_ep, .namelen = sizeof(to_ep), .buf = "to endpoint", .len = 11 };
	sent = (int)a->ops->sendmsg(a, &m, 0);
	in_addr_t src;
	got_ep = udp_recvfrom(ep, buf, sizeof(buf), &src, &ep_from, 5000000000ull);
	/* Connected to ep: a datagram from another port is not for it. */
	conn = a->ops->connect(a, &to_ep, sizeof(to_ep), 0);
	udp_sendto(other, IPV4(127, 0, 0, 1), port_a, "stranger", 8);
	udp_sendto(ep, IPV4(127, 0, 0, 1), port_a, "peer", 4);
	got_peer = ks_recv(a, buf, sizeof(buf), NULL);
	struct msg_k m2 = { .buf = buf, .len = sizeof(buf) };
	stranger = a->ops->recvmsg(a, &m2, MSG_DONTWAIT);
	/* b connected to a port nobody has: the ICMP error comes back as ECONNREFUSED. */
	struct sockaddr_in nobody = { .sin_family = AF_INET, .sin_port = htons(6109), .sin_addr = IPV4(127, 0, 0, 1) };
	b->ops->connect(b, &nobody, sizeof(nobody), 0);
	struct msg_k m3 = { .buf = "hello?", .len = 6 };
	b->ops->sendmsg(b, &m3, 0);
	for (int i = 0; i < 500 && !refused; i++) {
		refused = __atomic_load_n(&b->error, __ATOMIC_ACQUIRE);
		if (!refused)
			thread_sleep_ns(10000000ull);
	}
out:
	if (fa)
		file_put(fa);
	if (fb)
		file_put(fb);
	if (ep)
		udp_close(ep);
	if (other)
		udp_close(other);
	KT_ASSERT(a && b && ep && other);
	KT_ASSERT_EQ(taken, -EADDRINUSE);
	KT_ASSERT_EQ(taken_reuse, -EADDRINUSE);
	KT_ASSERT_EQ(bound, 0);
	KT_ASSERT(port_a >= INET_EPHEMERAL_FIRST && port_a <= INET_EPHEMERAL_LAST);
	KT_ASSERT_EQ(got_a, 9);
	KT_ASSERT_EQ(from, 6101);
	KT_ASSERT_EQ(sent, 11);
	KT_ASSERT_EQ(got_ep, 11);
	KT_ASSERT_EQ(ep_from, port_a);
	KT_ASSERT_EQ(conn, 0);
	KT_ASSERT_EQ(got_peer, 4);
	KT_ASSERT_EQ(stranger, -EAGAIN);
	KT_ASSERT_EQ(refused, -ECONNREFUSED);
}

KTEST(inet_ping_socket)
{
	struct file *f = NULL;
	struct socket *s = NULL;
	if (sock_create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0, &f) == 0)
		s = sock_from_file(f);
	KT_ASSERT(s != NULL);
	char req[8 + 24], buf[64];
	memset(req, 0, sizeof(req));
	req[0] = 8; /* echo request; id and checksum left 0 for the kernel */
	req[7] = 5; /* sequence 5 */
	for (int i = 8; i < (int)sizeof(req); i++)
		req[i] = (char)i;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = IPV4(127, 0, 0, 1) };
	struct msg_k m = { .name = &to, .namelen = sizeof(to), .buf = req, .len = sizeof(req) };
	ssize_t sent = s->ops->sendmsg(s, &m, 0);
	uint16_t ident = ks_port(s);
	uint16_t from_port = 1;
	ssize_t got = ks_recv(s, buf, sizeof(buf), &from_port);
	uint16_t id;
	memcpy(&id, buf + 4, 2);
	bool reply = got == (ssize_t)sizeof(req) && buf[0] == 0 && ntohs(id) == ident && buf[7] == 5 &&
		     memcmp(buf + 8, req + 8, sizeof(req) - 8) == 0;
	req[0] = 13; /* a timestamp request: not for a ping socket */
	struct msg_k bad = { .name = &to, .namelen = sizeof(to), .buf = req, .len = sizeof(req) };
	ssize_t refused = s->ops->sendmsg(s, &bad, 0);
	struct msg_k tiny = { .name = &to, .namelen = sizeof(to), .buf = req, .len = 4 };
	ssize_t too_short = s->ops->sendmsg(s, &tiny, 0);
	/* Connected, a port unreachable quoting one of its echo requests (forged here and sent
	 * through lo) becomes its pending ECONNREFUSED. */
	int conn = s->ops->connect(s, &to, sizeof(to), 0);
	struct sk_buff *e = skb_alloc(8 + 20 + 8);
	int pending = 0;
	if (e) {
		uint8_t *p = skb_put(e, 36);
		memset(p, 0, 36);
		p[0] = 3; /* destination unreachable */
		p[1] = 3; /* port */
		p[8] = 0x45;
		p[8 + 8] = 64;           /* TTL */
		p[8 + 9] = 1;            /* protocol ICMP */
		in_addr_t lo = IPV4(127, 0, 0, 1);
		memcpy(p + 8 + 12, &lo, 4);
		memcpy(p + 8 + 16, &lo, 4);
		p[28] = 8; /* the quoted echo request */
		uint16_t nid = htons(ident);
		memcpy(p + 28 + 4, &nid, 2);
		uint16_t c = inet_checksum(p, 36);
		memcpy(p + 2, &c, 2);
		ip_output(e, lo, lo, IPPROTO_ICMP);
		for (int i = 0; i < 500 && !pending; i++) {
			pending = __atomic_load_n(&s->error, __ATOMIC_ACQUIRE);
			if (!pending)
				thread_sleep_ns(10000000ull);
		}
	}
	file_put(f);
	KT_ASSERT_EQ(conn, 0);
	KT_ASSERT_EQ(pending, -ECONNREFUSED);
	KT_ASSERT_EQ(sent, (ssize_t)sizeof(req));
	KT_ASSERT(ident != 0);
	KT_ASSERT_EQ(from_port, 0);
	KT_ASSERT(reply);
	KT_ASSERT_EQ(refused, -EINVAL);
	KT_ASSERT_EQ(too_short, -EINVAL);
}
