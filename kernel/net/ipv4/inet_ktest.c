/*
 * Network ktests. net_loopback runs everywhere (no traffic leaves the machine). The others are
 * manual: they need a NIC on QEMU's user network configured with ip=10.0.2.15::10.0.2.2:
 * 255.255.255.0, and the tests in tests/system/net/ drives them (net_udp_echo serves the host's
 * datagrams until it says "quit").
 */
#include "console/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/ipv4/inet.h"
#include "net/net.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return true;
	return false;
}

static char text[4096];

/* Waits are long (10 s) only so that a host starved of CPU cannot fail them; they end at once. */
KTEST(net_loopback)
{
	struct net_device *lo = netdev_loopback; /* never unregistered: no reference needed */
	KT_ASSERT(lo != NULL);
	KT_ASSERT(lo->flags & IFF_UP);
	KT_ASSERT_EQ(lo->ipv4_addr, IPV4(127, 0, 0, 1));
	uint64_t rx0 = lo->stats.rx_packets;

	uint64_t rtt = 0;
	KT_ASSERT_EQ(icmp_ping(IPV4(127, 0, 0, 1), 0x1234, 1, 56, 10000000000ull, &rtt), 0);
	/* Any 127/8 address is ours. */
	KT_ASSERT_EQ(icmp_ping(IPV4(127, 1, 2, 3), 0x1234, 2, 0, 10000000000ull, &rtt), 0);
	KT_ASSERT(lo->stats.rx_packets >= rx0 + 4); /* two requests, two replies */

	/* UDP: 3000 bytes each way and a port nobody listens on. */
	int err;
	struct udp_endpoint *a = udp_open(0, &err), *b = udp_open(5555, &err);
	KT_ASSERT(a && b);
	struct udp_endpoint *dup = udp_open(5555, &err);
	KT_ASSERT(dup == NULL);
	KT_ASSERT_EQ(err, -EADDRINUSE);
	uint8_t *buf = kmalloc(3000), *got = kmalloc(3000);
	KT_ASSERT(buf && got);
	for (int i = 0; i < 3000; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	KT_ASSERT_EQ(udp_sendto(a, IPV4(127, 0, 0, 1), 5555, buf, 3000), 0);
	in_addr_t src;
	uint16_t sport;
	ssize_t n = udp_recvfrom(b, got, 3000, &src, &sport, 10000000000ull);
	bool same = n == 3000 && memcmp(buf, got, 3000) == 0;
	bool from = src == IPV4(127, 0, 0, 1) && sport == udp_local_port(a);
	/* Port 5555 = 0x15B3 in /proc/net/udp, bound to any address. */
	static char udp_text[2048];
	net_format_proc_udp(udp_text, sizeof(udp_text));
	n = udp_recvfrom(b, got, 3000, &src, &sport, 50000000ull);
	kfree(buf);
	kfree(got);
	udp_close(a);
	udp_close(b);
	KT_ASSERT(same);
	KT_ASSERT(from);
	KT_ASSERT(contains(udp_text, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"));
	KT_ASSERT(contains(udp_text, ": 00000000:15B3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 0"));
	KT_ASSERT_EQ(n, -ETIMEDOUT);

	net_format_proc_dev(text, sizeof(text));
	KT_ASSERT(contains(text, "    lo:"));
	KT_ASSERT(contains(text, " face |bytes    packets errs drop fifo frame compressed multicast|"));
}

static void inject(struct net_device *lo, const uint8_t *frame, size_t len)
{
	struct sk_buff *skb = skb_alloc(len);
	if (!skb)
		return;
	memcpy(skb_put(skb, len), frame, len);
	skb->dev = lo;
	netif_rx(skb);
}

/*
 * A ping through lo once everything queued before it was processed (the backlog is FIFO). A
 * flood may have filled the backlog, which then rightly drops the request: try again.
 */
static int ping_lo_after_flood(uint16_t id)
{
	uint64_t rtt;
	int err = -1;
	for (uint16_t seq = 1; seq <= 5 && err; seq++)
		err = icmp_ping(IPV4(127, 0, 0, 1), id, seq, 32, 2000000000ull, &rtt);
	return err;
}

static uint64_t fuzz_state = 0x9e3779b97f4a7c15ull;
static uint32_t fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (uint32_t)fuzz_state;
}

/*
 * Hostile frames through lo's receive path: truncated, bad lengths, bad checksums, a bad UDP
 * datagram for a bound port, then thousands of random ones. Every one is dropped and counted;
 * nothing reaches the endpoint, and the stack still answers afterwards.
 */
KTEST(net_malformed_frames)
{
	struct net_device *lo = netdev_loopback; /* never unregistered: no reference needed */
	KT_ASSERT(lo != NULL);
	int err;
	struct udp_endpoint *ep = udp_open(5556, &err);
	KT_ASSERT(ep != NULL);
	static uint8_t f[1600];
	uint64_t bad_ip = inet_stats.ip_bad_checksum + inet_stats.ip_bad_header, bad_udp = inet_stats.udp_bad_checksum;

	memset(f, 0, sizeof(f));
	f[12] = 0x08; /* IPv4 */
	inject(lo, f, 0);
	inject(lo, f, 13);
	inject(lo, f, 14 + 19);
	/* A valid UDP datagram to 127.0.0.1:5556, then spoiled in several ways. */
	struct ip_hdr *ih = (struct ip_hdr *)(f + 14);
	struct udp_hdr *uh = (struct udp_hdr *)(ih + 1);
	ih->ver_ihl = 0x45;
	ih->tot_len = htons(20 + 8 + 4);
	ih->ttl = 64;
	ih->protocol = IPPROTO_UDP;
	ih->saddr = ih->daddr = IPV4(127, 0, 0, 1);
	uh->source = htons(9);
	uh->dest = htons(5556);
	uh->len = htons(12);
	memcpy(uh + 1, "evil", 4);
	uh->check = inet_pseudo_checksum(ih->saddr, ih->daddr, IPPROTO_UDP, uh, 12);
	uh->check ^= 0x0101; /* wrong UDP checksum */
	ih->check = inet_checksum(ih, 20);
	inject(lo, f, 14 + 32);
	ih->check ^= 1; /* wrong IP checksum */
	inject(lo, f, 14 + 32);
	ih->tot_len = htons(2000); /* longer than the frame */
	ih->check = 0;
	ih->check = inet_checksum(ih, 20);
	inject(lo, f, 14 + 32);
	for (int i = 0; i < 3000; i++) {
		size_t len = fuzz_rand() % sizeof(f);
		for (size_t j = 14; j < len; j++)
			f[j] = (uint8_t)fuzz_rand();
		f[12] = 0x08;
		f[13] = (i & 1) ? 0x06 : 0x00; /* ARP or IPv4 */
		if (len > 34 && (i & 2)) { /* mostly valid IPv4 header, random rest */
			ih->ver_ihl = 0x45;
			ih->tot_len = htons((uint16_t)(len - 14 - fuzz_rand() % 8));
			ih->frag_off &= htons(0x3fff);
			ih->daddr = IPV4(127, 0, 0, 1);
			ih->check = 0;
			ih->check = inet_checksum(ih, 20);
		}
		inject(lo, f, len);
		if (i % 100 == 0) /* let the net thread keep up, so the frames are parsed, not dropped */
			thread_sleep_ns(1000000ull);
	}
	int ping = ping_lo_after_flood(0x7777);
	ssize_t n = udp_recvfrom(ep, f, sizeof(f), NULL, NULL, 0);
	udp_close(ep);
	KT_ASSERT_EQ(ping, 0);
	/* The spoiled datagram never arrives (the random ones, from a fixed seed, miss the port). */
	KT_ASSERT_EQ(n, -ETIMEDOUT);
	KT_ASSERT(inet_stats.ip_bad_checksum + inet_stats.ip_bad_header >= bad_ip + 3);
	KT_ASSERT(inet_stats.udp_bad_checksum >= bad_udp + 1);
}

extern uint64_t icmp_errors_limited, icmp_errors_sent; /* icmp.c */

/*
 * A first fragment whose rest never comes: when reassembly gives up, the sender gets ICMP time
 * exceeded (code 1). The net thread's clock is skipped ahead by calling ip_tick with a later time.
 */
KTEST(net_reasm_timeout)
{
	struct net_device *lo = netdev_loopback; /* never unregistered: no reference needed */
	KT_ASSERT(lo != NULL);
	static uint8_t f[14 + 20 + 16];
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	struct ip_hdr *ih = (struct ip_hdr *)(f + 14);
	ih->ver_ihl = 0x45;
	ih->tot_len = htons(20 + 16);
	ih->id = htons(0xbeef);
	ih->frag_off = htons(IP_MF);
	ih->ttl = 64;
	ih->protocol = IPPROTO_UDP;
	ih->saddr = ih->daddr = IPV4(127, 0, 0, 1);
	ih->check = inet_checksum(ih, 20);
	inject(lo, f, sizeof(f));
	KT_ASSERT_EQ(ping_lo_after_flood(0x4444), 0); /* the fragment is queued for reassembly now */
	thread_sleep_ns(60000000ull); /* the ICMP error bucket refills after earlier tests */
	uint64_t sent0 = icmp_errors_sent, in0 = inet_stats.icmp_errors_in;
	ip_tick(clock_monotonic_ns() + REASM_TIMEOUT_NS + 1);
	KT_ASSERT_EQ(ping_lo_after_flood(0x4445), 0); /* the error went through lo before this */
	KT_ASSERT(icmp_errors_sent > sent0);
	KT_ASSERT(inet_stats.icmp_errors_in > in0);
}

/* 2000 datagrams to a closed port: port unreachables go out at most 50 + 1 per ms elapsed. */
KTEST(net_icmp_ratelimit)
{
	int err;
	struct udp_endpoint *ep = udp_open(0, &err);
	KT_ASSERT(ep != NULL);
	struct net_device *lo = netdev_loopback; /* never unregistered: no reference needed */
	KT_ASSERT(lo != NULL);
	uint64_t limited0 = icmp_errors_limited, sent0 = icmp_errors_sent, t0 = clock_monotonic_ns();
	uint64_t dropped0 = lo->stats.rx_dropped, noport0 = inet_stats.udp_no_port;
	for (int i = 0; i < 2000; i++) {
		udp_sendto(ep, IPV4(127, 0, 0, 1), 9, "x", 1); /* port 9 (discard): nobody here */
		if (i % 200 == 0)
			thread_yield();
	}
	int ping = ping_lo_after_flood(0x5151);
	uint64_t ms = (clock_monotonic_ns() - t0) / 1000000, limited = icmp_errors_limited - limited0;
	uint64_t errors = icmp_errors_sent - sent0, noport = inet_stats.udp_no_port - noport0;
	udp_close(ep);
	KT_ASSERT_EQ(ping, 0);
	KT_ASSERT(errors <= 50 + ms + 1);
	/* Limiting happened, unless an overloaded host fed the datagrams slower than the refill. */
	KT_ASSERT(limited > 0 || noport <= 50 + ms + 1);
	/* Each datagram that reached UDP was answered or limited; the rest a full backlog dropped. */
	KT_ASSERT_EQ(errors + limited, noport);
	KT_ASSERT(noport + (lo->stats.rx_dropped - dropped0) >= 2000);
}

/* A device whose frames go nowhere: it counts ARP requests, keeps the last IPv4 frame. */
static unsigned dummy_arp_requests;
static uint8_t dummy_last[1600];
static size_t dummy_last_len;

static int dummy_xmit(struct net_device *dev, struct sk_buff *skb)
{
	(void)dev;
	const struct eth_hdr *eh = (const struct eth_hdr *)skb->data;
	if (skb->len >= ETH_HLEN + sizeof(struct arp_hdr) && ntohs(eh->type) == ETH_P_ARP &&
	    ntohs(((const struct arp_hdr *)(eh + 1))->oper) == 1)
		__atomic_fetch_add(&dummy_arp_requests, 1, __ATOMIC_RELAXED);
	if (ntohs(eh->type) == ETH_P_IP && skb->len <= sizeof(dummy_last)) {
		memcpy(dummy_last, skb->data, skb->len);
		dummy_last_len = skb->len;
	}
	skb_free(skb);
	return 0;
}

static const struct net_device_ops dummy_ops = { .xmit = dummy_xmit };

static struct net_device *dummy_up(in_addr_t addr)
{
	struct net_device *d = netdev_alloc(&dummy_ops, NULL);
	if (!d)
		return NULL;
	d->mac[0] = 0x02;
	d->mac[5] = 0x01;
	d->link_up = true;
	if (netdev_register(d, "dummy%d") < 0) {
		netdev_free(d);
		return NULL;
	}
	inet_set_addr(d, addr, IPV4(255, 255, 255, 0));
	return d;
}

static void dummy_down(struct net_device *d)
{
	netdev_unregister(d);
	netdev_free(d);
}

/*
 * UDP broadcast on a link: sending to the subnet's broadcast address goes to ff:ff:ff:ff:ff:ff
 * without ARP, with a valid checksum; 255.255.255.255 through a chosen device likewise; a
 * broadcast datagram arriving is delivered to the bound port and draws no port unreachable.
 */
KTEST(net_udp_broadcast)
{
	struct net_device *d = dummy_up(IPV4(192, 0, 2, 1));
	KT_ASSERT(d != NULL);
	int err;
	struct udp_endpoint *ep = udp_open(6767, &err);
	if (!ep) {
		dummy_down(d);
		KT_ASSERT(ep != NULL);
	}
	unsigned arp0 = dummy_arp_requests;
	dummy_last_len = 0;
	int sent = udp_sendto(ep, IPV4(192, 0, 2, 255), 6768, "all of you", 10);
	size_t len1 = dummy_last_len;
	static uint8_t frame[1600];
	memcpy(frame, dummy_last, sizeof(frame));
	dummy_last_len = 0;
	int sent_dev = udp_sendto_dev(ep, d, 0xffffffffu, 6768, "everyone", 8);
	size_t len2 = dummy_last_len;
	unsigned arp_requests = dummy_arp_requests - arp0;

	/* An incoming broadcast (from 192.0.2.7 to 192.0.2.255:6767), as if received on the link. */
	static uint8_t in[14 + 20 + 8 + 5];
	memset(in, 0xff, 6);
	in[6] = 0x02; in[11] = 0x07;
	in[12] = 0x08;
	struct ip_hdr *ih = (struct ip_hdr *)(in + 14);
	struct udp_hdr *uh = (struct udp_hdr *)(ih + 1);
	memset(ih, 0, sizeof(*ih) + sizeof(*uh));
	ih->ver_ihl = 0x45;
	ih->tot_len = htons(sizeof(in) - 14);
	ih->ttl = 64;
	ih->protocol = IPPROTO_UDP;
	ih->saddr = IPV4(192, 0, 2, 7);
	ih->daddr = IPV4(192, 0, 2, 255);
	ih->check = inet_checksum(ih, 20);
	uh->source = htons(5000);
	uh->dest = htons(6767);
	uh->len = htons(8 + 5);
	memcpy(uh + 1, "hello", 5);
	uh->check = inet_pseudo_checksum(ih->saddr, ih->daddr, IPPROTO_UDP, uh, 13);
	uint64_t sent_errors0 = icmp_errors_sent;
	inject(d, in, sizeof(in));
	char got[16];
	in_addr_t src;
	uint16_t sport;
	ssize_t n = udp_recvfrom(ep, got, sizeof(got), &src, &sport, 10000000000ull);
	uh->dest = htons(6769); /* nobody listens: still no ICMP error for a broadcast */
	uh->check = 0;
	inject(d, in, sizeof(in));
	int ping = ping_lo_after_flood(0x6767);
	udp_close(ep);
	dummy_down(d);

	KT_ASSERT_EQ(sent, 0);
	KT_ASSERT_EQ(sent_dev, 0);
	KT_ASSERT_EQ(arp_requests, 0);
	KT_ASSERT_EQ(len1, 14 + 20 + 8 + 10);
	const struct eth_hdr *eh = (const struct eth_hdr *)frame;
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	KT_ASSERT(memcmp(eh->dst, bcast, ETH_ALEN) == 0);
	struct ipv4_info ip;
	KT_ASSERT_EQ(ipv4_parse(frame + 14, len1 - 14, &ip), 0);
	KT_ASSERT(ip.saddr == IPV4(192, 0, 2, 1) && ip.daddr == IPV4(192, 0, 2, 255));
	size_t ul;
	KT_ASSERT_EQ(udp_parse(frame + 34, len1 - 34, ip.saddr, ip.daddr, false, &ul), 0);
	KT_ASSERT(((const struct udp_hdr *)(frame + 34))->check != 0);
	KT_ASSERT_EQ(len2, 14 + 20 + 8 + 8);
	KT_ASSERT(memcmp(dummy_last, bcast, ETH_ALEN) == 0);
	KT_ASSERT(((const struct ip_hdr *)(dummy_last + 14))->daddr == 0xffffffffu);
	KT_ASSERT_EQ(n, 5);
	KT_ASSERT(memcmp(got, "hello", 5) == 0 && src == IPV4(192, 0, 2, 7) && sport == 5000);
	KT_ASSERT_EQ(ping, 0);
	KT_ASSERT_EQ(icmp_errors_sent, sent_errors0);
}


/*
 * Nobody answers ARP on a link (TEST-NET-1 on a device that sends nothing anywhere): the
 * request is repeated every second, three in all, then the queued echo request is dropped and
 * its sender gets host unreachable, which ends the ping with -EHOSTUNREACH well before its
 * timeout. Unregistering the device takes its routes with it.
 */
KTEST_MANUAL(net_arp_unanswered) /* 3 s of ARP retries: run by tests/system/net/e1000_q35.sh */
{
	dummy_arp_requests = 0;
	struct net_device *d = dummy_up(IPV4(192, 0, 2, 1)); /* one gratuitous request */
	KT_ASSERT(d != NULL);
	thread_sleep_ns(60000000ull); /* a full ICMP error bucket */
	uint64_t t0 = clock_monotonic_ns(), rtt;
	int err = icmp_ping(IPV4(192, 0, 2, 2), 0x7171, 1, 16, 10000000000ull, &rtt);
	uint64_t took_ms = (clock_monotonic_ns() - t0) / 1000000;
	unsigned requests = dummy_arp_requests;
	netdev_unregister(d);
	in_addr_t src_after = ip_source_for(IPV4(192, 0, 2, 2));
	netdev_free(d);
	KT_ASSERT_EQ(err, -EHOSTUNREACH);
	KT_ASSERT_EQ(requests, 1 + ARP_MAX_TRIES);
	KT_ASSERT(took_ms >= (ARP_MAX_TRIES - 1) * 1000 && took_ms < 9000);
	KT_ASSERT(src_after != IPV4(192, 0, 2, 1)); /* its route went with it (a default route may remain) */
}

/* eth0 with QEMU's guest address, by ip= or once DHCP got it (waiting up to 20 s). */
static struct net_device *configured_eth0(void)
{
	struct net_device *d = netdev_get_by_name("eth0");
	if (!d)
		return NULL;
	for (int i = 0; i < 200 && !d->ipv4_addr; i++)
		thread_sleep_ns(100000000ull);
	bool ok = d->ipv4_addr == IPV4(10, 0, 2, 15);
	/* Nothing unplugs eth0 during these tests, so the caller may use it unreferenced. */
	netdev_put(d);
	return ok ? d : NULL;
}

/* ip=dhcp: QEMU's server leases 10.0.2.15/24 (no router under restrict=on); then a ping. */
KTEST_MANUAL(net_dhcp)
{
	struct net_device *eth = configured_eth0();
	KT_ASSERT(eth != NULL);
	KT_ASSERT_EQ(eth->ipv4_mask, IPV4(255, 255, 255, 0));
	uint64_t rtt;
	int err = -1;
	for (uint16_t seq = 1; seq <= 3 && err; seq++)
		err = icmp_ping(IPV4(10, 0, 2, 2), 0x4343, seq, 56, 2000000000ull, &rtt);
	KT_ASSERT_EQ(err, 0);
}

/* ARP for QEMU's gateway 10.0.2.2, then an echo request answered by it. */
KTEST_MANUAL(net_ping_gateway)
{
	struct net_device *eth = configured_eth0();
	KT_ASSERT(eth != NULL);
	/* Wait for the link (QEMU's user network reports it up at once). */
	for (int i = 0; i < 100 && !eth->link_up; i++)
		thread_sleep_ns(10000000ull);
	KT_ASSERT(eth->link_up);
	uint64_t rtt = 0;
	int err = -1;
	for (uint16_t seq = 1; seq <= 3 && err; seq++)
		err = icmp_ping(IPV4(10, 0, 2, 2), 0x4242, seq, 56, 2000000000ull, &rtt);
	KT_ASSERT_EQ(err, 0);
	pr_info("net: ping 10.0.2.2: reply in %llu us\n", (unsigned long long)(rtt / 1000));
	/* A second ping uses the cached neighbour. */
	KT_ASSERT_EQ(icmp_ping(IPV4(10, 0, 2, 2), 0x4242, 9, 1400, 10000000000ull, &rtt), 0);
	pr_info("net: ping 10.0.2.2 (1400 bytes, neighbour cached): reply in %llu us\n", (unsigned long long)(rtt / 1000));
	net_format_proc_arp(text, sizeof(text));
	KT_ASSERT(contains(text, "10.0.2.2         0x1         0x2         52:55:0a:00:02:02     *        eth0"));
	net_format_proc_route(text, sizeof(text));
	KT_ASSERT(contains(text, "eth0\t0002000A\t00000000\t0001\t"));
	KT_ASSERT(contains(text, "eth0\t00000000\t0202000A\t0003\t"));
	KT_ASSERT(eth->stats.rx_packets >= 3 && eth->stats.tx_packets >= 3);
}

/* FNV-1a 64: the host computes the same over what it sent, to compare byte for byte. */
static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/*
 * A new MAC after the gateway learnt the old one: only the gratuitous ARP can teach it the new
 * one (we have the gateway cached and send no request), and the card must take the reply
 * addressed to it (its receive-address filter changed), or the second ping fails.
 */
KTEST_MANUAL(net_set_mac)
{
	struct net_device *eth = configured_eth0();
	KT_ASSERT(eth != NULL);
	uint64_t rtt;
	int err = -1;
	for (uint16_t seq = 1; seq <= 3 && err; seq++)
		err = icmp_ping(IPV4(10, 0, 2, 2), 0x6160, seq, 32, 2000000000ull, &rtt);
	KT_ASSERT_EQ(err, 0);
	uint8_t old[ETH_ALEN], mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0xfe, 0xed, 0x01 };
	memcpy(old, eth->mac, ETH_ALEN);
	const uint8_t mcast[ETH_ALEN] = { 0x01, 0, 0x5e, 0, 0, 1 };
	KT_ASSERT_EQ(netdev_set_mac(eth, mcast), -EADDRNOTAVAIL);
	KT_ASSERT_EQ(netdev_set_mac(eth, mac), 0);
	KT_ASSERT(memcmp(eth->mac, mac, ETH_ALEN) == 0);
	err = icmp_ping(IPV4(10, 0, 2, 2), 0x6161, 1, 32, 10000000000ull, &rtt);
	netdev_set_mac(eth, old);
	KT_ASSERT_EQ(err, 0);
}

/*
 * Logs the length and FNV-1a hash of every datagram to UDP port 7777 (the host sends them
 * through hostfwd and checks the lines) until one says "quit" or 90 s pass. Each is also
 * echoed to its sender, though QEMU's user network with restrict=on drops every UDP datagram
 * a guest sends except to its DHCP and TFTP servers, so the echoes never reach the host.
 */
KTEST_MANUAL(net_udp_sink)
{
	KT_ASSERT(configured_eth0() != NULL);
	int err;
	struct udp_endpoint *ep = udp_open(7777, &err);
	KT_ASSERT(ep != NULL);
	uint8_t *buf = kmalloc(65536);
	if (!buf) {
		udp_close(ep);
		KT_ASSERT(buf != NULL);
	}
	pr_info("net: udp sink: listening on port 7777\n");
	unsigned got = 0;
	bool quit = false;
	uint64_t deadline = clock_monotonic_ns() + 90000000000ull;
	while (!quit && clock_monotonic_ns() < deadline) {
		in_addr_t src;
		uint16_t sport;
		ssize_t n = udp_recvfrom(ep, buf, 65536, &src, &sport, 1000000000ull);
		if (n < 0)
			continue;
		got++;
		quit = n == 4 && memcmp(buf, "quit", 4) == 0;
		pr_info("net: udp sink: %zd bytes fnv1a64 %016llx\n", n, (unsigned long long)fnv1a64(buf, (size_t)n));
		udp_sendto(ep, src, sport, buf, (size_t)n);
	}
	kfree(buf);
	udp_close(ep);
	pr_info("net: udp sink: %u datagrams, %llu reassembled\n", got, (unsigned long long)inet_stats.ip_reasm_ok);
	KT_ASSERT(quit);
	KT_ASSERT(inet_stats.ip_reasm_ok >= 1);
}

/*
 * Guest to host: a TFTP read (RFC 1350, blksize from RFC 2348) from QEMU's built-in server at
 * 10.0.2.2:69, the one UDP service restrict=on lets a guest reach. The request is padded with
 * an option the server ignores to 3000 bytes, so it leaves in three fragments that the server
 * must reassemble and checksum before it answers at all. The file's length and hash are
 * logged for the host to compare with what it wrote.
 */
#define TFTP_FILE "ferrite-tftp.bin"
KTEST_MANUAL(net_tftp_fetch)
{
	KT_ASSERT(configured_eth0() != NULL);
	int err;
	struct udp_endpoint *ep = udp_open(0, &err);
	KT_ASSERT(ep != NULL);
	uint8_t *req = kzalloc(3000), *pkt = kmalloc(2048), *file = kmalloc(65536);
	if (!req || !pkt || !file) {
		kfree(req); kfree(pkt); kfree(file);
		udp_close(ep);
		KT_ASSERT(false);
	}
	/* opcode 1 (RRQ), name, mode, blksize 1428, then "pad" with a filler value. */
	size_t k = 0;
	req[k++] = 0; req[k++] = 1;
	static const char fixed[] = TFTP_FILE "\0octet\0blksize\0" "1428\0pad";
	memcpy(req + k, fixed, sizeof(fixed));
	k += sizeof(fixed);
	memset(req + k, 'p', 3000 - k - 1);
	req[2999] = 0;
	uint64_t frags0 = inet_stats.ip_frag_created;
	int sent = udp_sendto(ep, IPV4(10, 0, 2, 2), 69, req, 3000);
	uint64_t frags = inet_stats.ip_frag_created - frags0;
	size_t have = 0;
	bool done = false, oack = false;
	unsigned expect = 1, tries = 0;
	while (!done && sent == 0 && tries < 10) {
		in_addr_t src;
		uint16_t sport;
		ssize_t n = udp_recvfrom(ep, pkt, 2048, &src, &sport, 2000000000ull);
		if (n < 0) {
			tries++;
			continue;
		}
		if (n < 4 || src != IPV4(10, 0, 2, 2))
			continue;
		unsigned op = (unsigned)pkt[0] << 8 | pkt[1], blk = (unsigned)pkt[2] << 8 | pkt[3];
		uint8_t ack[4] = { 0, 4, 0, 0 };
		if (op == 6) { /* OACK: the options were understood; acknowledge block 0 */
			oack = true;
		} else if (op == 3 && blk == expect) {
			size_t len = (size_t)n - 4;
			if (have + len > 65536)
				break;
			memcpy(file + have, pkt + 4, len);
			have += len;
			ack[2] = pkt[2];
			ack[3] = pkt[3];
			expect++;
			done = len < 1428;
		} else if (op == 5) {
			pr_info("net: tftp: error %u from the server\n", blk);
			break;
		} else {
			continue;
		}
		udp_sendto(ep, src, sport, ack, sizeof(ack));
	}
	uint64_t h = fnv1a64(file, have);
	kfree(req); kfree(pkt); kfree(file);
	udp_close(ep);
	pr_info("net: tftp: " TFTP_FILE ": %zu bytes fnv1a64 %016llx (request in %llu fragments)\n", have,
		(unsigned long long)h, (unsigned long long)frags);
	KT_ASSERT_EQ(sent, 0);
	KT_ASSERT_EQ(frags, 3);
	KT_ASSERT(oack);
	KT_ASSERT(done);
}
