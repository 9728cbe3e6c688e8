/*
 * ktest packet_sockets (automatic: lo only): AF_PACKET through the socket operations with
 * kernel buffers. A SOCK_DGRAM socket sends two frames of a local EtherType on lo; an ETH_P_ALL
 * SOCK_RAW socket sees each leave and arrive (whole frames, PACKET_OUTGOING then PACKET_HOST);
 * a SOCK_DGRAM listener with a filter that keeps only payloads starting with 'A' gets just that
 * one, without the Ethernet header. Runt frames handed to packet_deliver are ignored.
 * packet_hostile: random frames under random filters (below).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/core/bpf.h"
#include "net/ipv4/inet.h"
#include "net/net.h"
#include "net/packet/packet.h"
#include "net/socket.h"
#include "sched/sched.h"
#include "test/ktest.h"

#define ETH_P_KTEST 0x88b5

static struct socket *kp_open(int type, uint16_t proto, struct file **f)
{
	if (sock_create(AF_PACKET, type, htons(proto), 0, f) < 0)
		return NULL;
	struct socket *s = sock_from_file(*f);
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(proto),
				 .sll_ifindex = netdev_loopback->ifindex };
	if (s->ops->bind(s, &a, sizeof(a)) < 0)
		return NULL;
	return s;
}

/* Whether the checker takes in[0..n). */
static bool j_ok(const struct bpf_insn *in, unsigned n)
{
	return bpf_check(in, n) == 0;
}

/* A non-blocking receive retried for up to 2 s. */
static ssize_t kp_recv(struct socket *s, char *buf, size_t len, struct sockaddr_ll *from)
{
	ssize_t r = -EAGAIN;
	for (int i = 0; i < 200 && r == -EAGAIN; i++) {
		struct msg_k m = { .name = from, .namelen = sizeof(*from), .buf = buf, .len = len };
		r = s->ops->recvmsg(s, &m, MSG_DONTWAIT);
		if (r == -EAGAIN)
			thread_sleep_ns(10000000ull);
	}
	return r;
}

KTEST(packet_sockets)
{
	struct file *fs, *fr, *fl;
	struct socket *snd = kp_open(SOCK_DGRAM, ETH_P_KTEST, &fs);
	struct socket *all = kp_open(SOCK_RAW, ETH_P_ALL, &fr);
	struct socket *lis = kp_open(SOCK_DGRAM, ETH_P_KTEST, &fl);
	KT_ASSERT(snd && all && lis);

	/* ld [0] (byte); jeq #'A' ? ret #0xffff : ret #0 */
	static const struct bpf_insn only_a[] = {
		{ 0x30, 0, 0, 0 }, { 0x15, 0, 1, 'A' }, { 0x06, 0, 0, 0xffff }, { 0x06, 0, 0, 0 },
	};
	struct bpf_prog *prog = kmalloc(sizeof(*prog) + sizeof(only_a));
	KT_ASSERT(prog);
	prog->len = 4;
	memcpy(prog->insns, only_a, sizeof(only_a));
	KT_ASSERT(bpf_check(prog->insns, prog->len) == 0);
	KT_ASSERT(lis->ops->setsockopt(lis, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0);

	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_KTEST),
				  .sll_ifindex = netdev_loopback->ifindex, .sll_halen = ETH_ALEN };
	char b[] = "B-frame", a[] = "A-frame";
	struct msg_k m1 = { .name = &to, .namelen = sizeof(to), .buf = b, .len = sizeof(b) };
	KT_ASSERT(snd->ops->sendmsg(snd, &m1, 0) == (ssize_t)sizeof(b));
	struct msg_k m2 = { .name = &to, .namelen = sizeof(to), .buf = a, .len = sizeof(a) };
	KT_ASSERT(snd->ops->sendmsg(snd, &m2, 0) == (ssize_t)sizeof(a));

	char buf[256];
	struct sockaddr_ll from;
	int outgoing = 0, host = 0;
	for (int i = 0; i < 4; i++) {
		ssize_t n = kp_recv(all, buf, sizeof(buf), &from);
		KT_ASSERT(n == ETH_HLEN + (ssize_t)sizeof(b));
		KT_ASSERT((uint8_t)buf[12] == ETH_P_KTEST >> 8 && (uint8_t)buf[13] == (ETH_P_KTEST & 0xff));
		outgoing += from.sll_pkttype == PACKET_OUTGOING;
		host += from.sll_pkttype == PACKET_HOST;
	}
	KT_ASSERT(outgoing == 2 && host == 2);

	ssize_t n = kp_recv(lis, buf, sizeof(buf), &from);
	KT_ASSERT(n == (ssize_t)sizeof(a) && memcmp(buf, a, sizeof(a)) == 0);
	KT_ASSERT(from.sll_family == AF_PACKET && from.sll_pkttype == PACKET_HOST &&
		  from.sll_protocol == htons(ETH_P_KTEST) && from.sll_ifindex == netdev_loopback->ifindex);
	struct msg_k m3 = { .buf = buf, .len = sizeof(buf) };
	KT_ASSERT(lis->ops->recvmsg(lis, &m3, MSG_DONTWAIT) == -EAGAIN); /* the B frame was filtered */

	/* A runt frame reaches no socket and breaks nothing. */
	struct sk_buff *runt = skb_alloc(5);
	KT_ASSERT(runt);
	memset(skb_put(runt, 5), 0xff, 5);
	runt->dev = netdev_loopback;
	packet_deliver(runt, false);
	skb_free(runt);
	struct msg_k m4 = { .buf = buf, .len = sizeof(buf) };
	KT_ASSERT(all->ops->recvmsg(all, &m4, MSG_DONTWAIT) == -EAGAIN);

	file_put(fs);
	file_put(fr);
	file_put(fl);
}

static uint32_t kp_seed = 0x2545f491;
static uint32_t kp_rand(void)
{
	kp_seed ^= kp_seed << 13;
	kp_seed ^= kp_seed >> 17;
	kp_seed ^= kp_seed << 5;
	return kp_seed;
}

/*
 * ktest packet_hostile (automatic): 4000 random frames of 0-300 bytes through packet_deliver,
 * both directions, to sockets whose filters are random programs the checker accepted (replaced
 * as the run goes); whatever each filter keeps, every queued copy is at most the frame, and the
 * queues stay within SO_RCVBUF.
 */
KTEST(packet_hostile)
{
	struct file *fr, *fd;
	struct socket *raw = kp_open(SOCK_RAW, ETH_P_ALL, &fr);
	struct socket *dg = kp_open(SOCK_DGRAM, ETH_P_ALL, &fd);
	KT_ASSERT(raw && dg);
	static uint8_t frame[300];
	unsigned accepted = 0;
	for (int i = 0; i < 4000; i++) {
		if (i % 50 == 0) {
			/* A random short program; most are refused, the rest are attached. */
			/* Opcodes mostly from the valid ones (loads of each size and mode, ALU, jumps,
			 * returns), now and then any byte; the checker has the last word. */
			static const uint16_t codes[] = { 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00,
							  0xb1, 0x01, 0x04, 0x14, 0x24, 0x34, 0x54, 0x74,
							  0x84, 0x3c, 0x15, 0x25, 0x35, 0x45, 0x05, 0x07,
							  0x87, 0x02, 0x60, 0x06, 0x16 };
			struct bpf_insn in[6];
			unsigned n = 1 + kp_rand() % 6;
			for (unsigned j = 0; j < n; j++) {
				in[j].code = kp_rand() % 8 ? codes[kp_rand() % (sizeof(codes) / sizeof(codes[0]))]
							  : (uint16_t)(kp_rand() & 0xff);
				in[j].jt = (uint8_t)(kp_rand() % 4);
				in[j].jf = (uint8_t)(kp_rand() % 4);
				in[j].k = kp_rand() % 3 ? kp_rand() % 320 : kp_rand();
			}
			in[n - 1].code = kp_rand() & 1 ? 0x06 : 0x16; /* ret #k or ret a */
			if (j_ok(in, n)) {
				struct bpf_prog *prog = kmalloc(sizeof(*prog) + n * sizeof(in[0]));
				KT_ASSERT(prog);
				prog->len = (uint16_t)n;
				memcpy(prog->insns, in, n * sizeof(in[0]));
				struct socket *s = (i / 50) & 1 ? raw : dg;
				KT_ASSERT(s->ops->setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0);
				accepted++;
			}
		}
		size_t len = kp_rand() % sizeof(frame);
		for (size_t j = 0; j < len; j++)
			frame[j] = (uint8_t)kp_rand();
		struct sk_buff *skb = skb_alloc(len);
		KT_ASSERT(skb);
		memcpy(skb_put(skb, len), frame, len);
		skb->dev = netdev_loopback;
		packet_deliver(skb, i & 1);
		skb_free(skb);
		/* Drain now and then, checking every copy's size. */
		if (i % 7 == 0) {
			char buf[400];
			for (struct socket *s = raw; s; s = s == raw ? dg : NULL) {
				struct msg_k m = { .buf = buf, .len = sizeof(buf) };
				ssize_t r;
				while ((r = s->ops->recvmsg(s, &m, MSG_DONTWAIT)) >= 0)
					KT_ASSERT(r <= (ssize_t)sizeof(frame));
				KT_ASSERT(r == -EAGAIN);
			}
		}
	}
	KT_ASSERT(accepted >= 10); /* of 80 programs offered */
	file_put(fr);
	file_put(fd);
}
