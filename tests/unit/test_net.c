// unit-deps: kernel/net/ipv4/checksum.c kernel/net/ipv4/parse.c kernel/net/ipv4/route.c kernel/net/ipv4/arp_cache.c kernel/net/ipv4/ip_reasm.c kernel/lib/string.c kernel/net/ipv4/dhcp_msg.c kernel/net/ipv4/ratelimit.c kernel/net/ipv4/ipconfig.c kernel/net/core/skbuff.c kernel/net/ipv4/gso.c
/*
 * Host tests for the pure parts of the IPv4 stack: the Internet checksum against known vectors
 * and a naive reference, header validation of malformed packets (short, bad lengths, bad
 * checksums, bad fragments), the routing table's longest-prefix match, the ARP cache's
 * queueing, retries and expiry, and fragment reassembly (in order, out of order, duplicates,
 * overlaps, timeouts, random permutations); checksum offload (partial checksums finished in
 * software, packet buffers carrying the state) and software TCP segmentation.
 */
#include "unit.h"

#include <stdlib.h>

static int host_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

#include "host_prefix.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "net/ipv4/inet.h"

void *kmalloc(size_t size) { return malloc(size ? size : 1); }
void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(const void *p) { free((void *)p); }

/* ipconfig.c's kernel neighbours: the tests only call its parser. */
void klog(int level, const char *fmt, ...) { (void)level; (void)fmt; }
int inet_set_addr(struct net_device *dev, in_addr_t addr, in_addr_t mask) { (void)dev; (void)addr; (void)mask; return 0; }
int inet_route_add(in_addr_t dst, in_addr_t mask, in_addr_t gw, struct net_device *dev)
{
	(void)dst; (void)mask; (void)gw; (void)dev;
	return 0;
}
void dhcp_start(struct net_device *dev) { (void)dev; }

/* ---- checksums ---- */

/* The obvious definition: 32-bit sum of big-endian words, folded, complemented. */
static uint16_t ref_checksum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

TEST(checksum_rfc1071_example)
{
	/* RFC 1071 section 3: these eight bytes sum to 0xddf2 (one's complement). */
	const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	CHECK_INT(ntohs(inet_checksum(b, sizeof(b))), 0xffff - 0xddf2);
}

TEST(checksum_ipv4_header_vector)
{
	/* A captured header (192.168.0.1 -> 192.168.0.199, UDP) whose checksum field is 0xb861. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	CHECK_INT(inet_checksum(h, 20), 0); /* a valid header sums to zero */
	h[10] = h[11] = 0;
	CHECK_INT(ntohs(inet_checksum(h, 20)), 0xb861);
}

TEST(checksum_matches_reference)
{
	srand(1);
	static uint8_t buf[70000];
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)rand() % (round < 100 ? 64 : sizeof(buf));
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(round % 3 == 0 ? 0xff : rand());
		CHECK_INT(ntohs(inet_checksum(buf, n)), ref_checksum(buf, n));
	}
}

TEST(checksum_udp_pseudo_header)
{
	/* Filled in by our checksum, a datagram verifies to zero with the reference over the pseudo-header. */
	uint8_t seg[8 + 11] = { 0x30, 0x39, 0x00, 0x35, 0x00, 19, 0, 0, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd' };
	in_addr_t s = IPV4(10, 0, 2, 15), d = IPV4(10, 0, 2, 2);
	uint16_t c = inet_pseudo_checksum(s, d, IPPROTO_UDP, seg, sizeof(seg));
	memcpy(seg + 6, &c, 2);
	uint8_t all[12 + sizeof(seg)] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 17, 0, sizeof(seg) };
	memcpy(all + 12, seg, sizeof(seg));
	CHECK_INT(ref_checksum(all, sizeof(all)), 0);
	size_t ul;
	CHECK_INT(udp_parse(seg, sizeof(seg), s, d, false, &ul), 0);
	CHECK_INT(ul, sizeof(seg));
}

/* ---- header parsing ---- */

static size_t make_ip(uint8_t *p, size_t payload, uint16_t frag, uint8_t proto)
{
	struct ip_hdr *h = (struct ip_hdr *)p;
	memset(h, 0, sizeof(*h));
	h->ver_ihl = 0x45;
	h->tot_len = htons((uint16_t)(20 + payload));
	h->id = htons(0x1234);
	h->frag_off = htons(frag);
	h->ttl = 64;
	h->protocol = proto;
	h->saddr = IPV4(10, 0, 2, 2);
	h->daddr = IPV4(10, 0, 2, 15);
	h->check = inet_checksum(h, 20);
	return 20 + payload;
}

static void refresh(uint8_t *p)
{
	struct ip_hdr *h = (struct ip_hdr *)p;
	h->check = 0;
	h->check = inet_checksum(h, (h->ver_ihl & 15) * 4u);
}

TEST(ipv4_parse_valid_and_padded)
{
	uint8_t p[64] = { 0 };
	size_t n = make_ip(p, 8, 0, IPPROTO_UDP);
	struct ipv4_info ip;
	CHECK_INT(ipv4_parse(p, n, &ip), 0);
	CHECK_INT(ip.tot_len, 28);
	CHECK_INT(ip.hdr_len, 20);
	CHECK_INT(ip.protocol, IPPROTO_UDP);
	CHECK(ip.daddr == IPV4(10, 0, 2, 15));
	/* Ethernet pads to 60 bytes: more received than tot_len is fine. */
	CHECK_INT(ipv4_parse(p, 46, &ip), 0);
	CHECK_INT(ip.tot_len, 28);
}

TEST(ipv4_parse_malformed)
{
	uint8_t p[64];
	struct ipv4_info ip;
	size_t n = make_ip(p, 8, 0, IPPROTO_UDP);
	CHECK_INT(ipv4_parse(p, 19, &ip), -DROP_SHORT);
	CHECK_INT(ipv4_parse(p, 0, &ip), -DROP_SHORT);
	CHECK_INT(ipv4_parse(p, 27, &ip), -DROP_TOT_LEN); /* truncated below tot_len */
	p[0] = 0x65; refresh(p);
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_VERSION);
	p[0] = 0x44; refresh(p);
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_HDR_LEN); /* IHL below 5 */
	p[0] = 0x4f;
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_HDR_LEN); /* 60-byte header in 28 bytes */
	n = make_ip(p, 8, 0, IPPROTO_UDP);
	((struct ip_hdr *)p)->tot_len = htons(19); refresh(p);
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_TOT_LEN);
	n = make_ip(p, 8, 0, IPPROTO_UDP);
	p[8] ^= 1; /* TTL changed, checksum not */
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_CHECKSUM);
	n = make_ip(p, 8, 0x8000, IPPROTO_UDP); /* reserved flag */
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_FRAG);
	n = make_ip(p, 7, IP_MF, IPPROTO_UDP); /* a non-final fragment not a multiple of 8 */
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_FRAG);
	n = make_ip(p, 8, IP_OFFMASK, IPPROTO_UDP); /* would end beyond 65535 */
	CHECK_INT(ipv4_parse(p, n, &ip), -DROP_FRAG);
	n = make_ip(p, 8, IP_MF | 10, IPPROTO_UDP);
	CHECK_INT(ipv4_parse(p, n, &ip), 0);
	CHECK_INT(ip.frag_offset, 80);
	CHECK(ip.more_fragments);
}

TEST(udp_icmp_arp_parse_malformed)
{
	in_addr_t s = IPV4(1, 2, 3, 4), d = IPV4(5, 6, 7, 8);
	uint8_t u[16] = { 0, 1, 0, 2, 0, 16, 0, 0 };
	size_t ul;
	CHECK_INT(udp_parse(u, 7, s, d, false, &ul), -DROP_SHORT);
	CHECK_INT(udp_parse(u, 16, s, d, false, &ul), 0); /* checksum 0: none */
	u[5] = 7;
	CHECK_INT(udp_parse(u, 16, s, d, false, &ul), -DROP_TOT_LEN); /* length below the header */
	u[5] = 17;
	CHECK_INT(udp_parse(u, 16, s, d, false, &ul), -DROP_TOT_LEN); /* longer than received */
	u[5] = 12;
	uint16_t c = inet_pseudo_checksum(s, d, IPPROTO_UDP, u, 12);
	memcpy(u + 6, &c, 2);
	CHECK_INT(udp_parse(u, 16, s, d, false, &ul), 0);
	CHECK_INT(ul, 12);
	CHECK_INT(udp_parse(u, 16, s, IPV4(5, 6, 7, 9), false, &ul), -DROP_CHECKSUM); /* pseudo-header counts */

	uint8_t icmp[12] = { 8, 0, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c', 'd' };
	c = inet_checksum(icmp, 12);
	memcpy(icmp + 2, &c, 2);
	CHECK_INT(icmp_parse(icmp, 12), 0);
	CHECK_INT(icmp_parse(icmp, 7), -DROP_SHORT);
	icmp[11] ^= 0x40;
	CHECK_INT(icmp_parse(icmp, 12), -DROP_CHECKSUM);

	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	CHECK_INT(arp_parse(arp, 28), 0);
	CHECK_INT(arp_parse(arp, 27), -DROP_SHORT);
	arp[7] = 3;
	CHECK_INT(arp_parse(arp, 28), -DROP_PROTO);
	arp[7] = 2; arp[5] = 16; /* IPv6-sized protocol addresses */
	CHECK_INT(arp_parse(arp, 28), -DROP_PROTO);
	arp[5] = 4; arp[1] = 6; /* IEEE 802 hardware type */
	CHECK_INT(arp_parse(arp, 28), -DROP_PROTO);
}

/* ---- routing ---- */

static struct net_device dev_a, dev_b;

TEST(route_longest_prefix)
{
	static struct route_table t;
	memset(&t, 0, sizeof(t));
	CHECK(route_table_lookup(&t, IPV4(10, 0, 2, 2)) == NULL);
	CHECK_INT(route_table_add(&t, 0, 0, IPV4(10, 0, 2, 2), &dev_a), 0);
	CHECK_INT(route_table_add(&t, IPV4(10, 0, 2, 0), IPV4(255, 255, 255, 0), 0, &dev_a), 0);
	CHECK_INT(route_table_add(&t, IPV4(10, 0, 0, 0), IPV4(255, 0, 0, 0), IPV4(10, 0, 2, 9), &dev_b), 0);
	CHECK_INT(route_table_add(&t, IPV4(10, 0, 2, 129), IPV4(255, 255, 255, 128), 0, &dev_b), 0); /* host bits dropped */
	const struct route *r = route_table_lookup(&t, IPV4(10, 0, 2, 5));
	CHECK(r && r->mask == IPV4(255, 255, 255, 0) && r->gateway == 0 && r->dev == &dev_a);
	r = route_table_lookup(&t, IPV4(10, 0, 2, 200));
	CHECK(r && r->dst == IPV4(10, 0, 2, 128) && r->dev == &dev_b);
	r = route_table_lookup(&t, IPV4(10, 9, 9, 9));
	CHECK(r && r->gateway == IPV4(10, 0, 2, 9));
	r = route_table_lookup(&t, IPV4(8, 8, 8, 8));
	CHECK(r && r->mask == 0 && r->gateway == IPV4(10, 0, 2, 2));
	CHECK_INT(route_table_add(&t, 0, IPV4(255, 0, 255, 0), 0, &dev_a), -EINVAL); /* not a prefix */
	CHECK_INT(route_table_add(&t, 0, 0, IPV4(10, 0, 2, 3), &dev_a), 0); /* replaces the default */
	CHECK(route_table_lookup(&t, IPV4(8, 8, 8, 8))->gateway == IPV4(10, 0, 2, 3));
	CHECK_INT(route_table_del(&t, IPV4(10, 0, 2, 0), IPV4(255, 255, 255, 0)), 0);
	CHECK(route_table_lookup(&t, IPV4(10, 0, 2, 5))->dev == &dev_b); /* now the /8 */
	route_table_flush_dev(&t, &dev_b);
	CHECK(route_table_lookup(&t, IPV4(10, 0, 2, 200))->mask == 0);
	CHECK_INT(mask_prefix_len(IPV4(255, 255, 255, 255)), 32);
	CHECK_INT(mask_prefix_len(0), 0);
	CHECK_INT(mask_prefix_len(IPV4(255, 255, 254, 0)), 23);
	for (int i = 0; i < ROUTE_MAX; i++)
		route_table_add(&t, IPV4(20, 0, i, 0), IPV4(255, 255, 255, 0), 0, &dev_a);
	CHECK_INT(route_table_add(&t, IPV4(30, 0, 0, 0), IPV4(255, 0, 0, 0), 0, &dev_a), -ENOSPC);
}

/* ---- ARP cache ---- */

static unsigned resent;
static void count_resend(struct arp_entry *e, void *ctx) { (void)e; (void)ctx; resent++; }

static unsigned list_len(struct sk_buff *s)
{
	unsigned n = 0;
	for (; s; s = s->next)
		n++;
	return n;
}

TEST(arp_cache_resolution_and_timeouts)
{
	static struct arp_cache c;
	memset(&c, 0, sizeof(c));
	static struct sk_buff skbs[ARP_PENDING_MAX + 1];
	in_addr_t gw = IPV4(10, 0, 2, 2);
	const uint8_t mac[6] = { 0x52, 0x55, 10, 0, 2, 2 };
	uint64_t t = 1000;
	CHECK_INT(arp_cache_queue(&c, &dev_a, gw, &skbs[0], t), 1); /* new: send a request */
	for (int i = 1; i < ARP_PENDING_MAX; i++)
		CHECK_INT(arp_cache_queue(&c, &dev_a, gw, &skbs[i], t), 0);
	CHECK_INT(arp_cache_queue(&c, &dev_a, gw, &skbs[ARP_PENDING_MAX], t), -ENOBUFS);
	/* Not for us and unknown: no entry made for another address. */
	struct sk_buff *pending;
	CHECK(arp_cache_update(&c, &dev_a, IPV4(10, 0, 2, 3), mac, false, t, &pending) == NULL);
	/* The answer releases the queue, in order. */
	struct arp_entry *e = arp_cache_update(&c, &dev_a, gw, mac, false, t + 5, &pending);
	CHECK(e && e->state == ARP_REACHABLE);
	CHECK(pending == &skbs[0]);
	CHECK_INT(list_len(pending), ARP_PENDING_MAX);
	CHECK(skbs[ARP_PENDING_MAX - 1].next == NULL);
	CHECK(arp_cache_find(&c, &dev_b, gw) == NULL); /* per device */
	struct sk_buff *dropped = NULL;
	CHECK_INT(arp_cache_tick(&c, t + ARP_REACHABLE_NS, NULL, NULL, &dropped), 0);
	CHECK_INT(arp_cache_tick(&c, t + 5 + ARP_REACHABLE_NS, NULL, NULL, &dropped), 1); /* expired */
	CHECK(arp_cache_find(&c, &dev_a, gw) == NULL);

	/* Unanswered: retried until ARP_MAX_TRIES requests went out, then dropped with its frames. */
	memset(skbs, 0, sizeof(skbs));
	CHECK_INT(arp_cache_queue(&c, &dev_a, gw, &skbs[0], t), 1);
	CHECK_INT(arp_cache_queue(&c, &dev_a, gw, &skbs[1], t), 0);
	resent = 0;
	uint64_t now = t;
	unsigned freed = 0;
	for (int i = 0; i < 10 && !freed; i++) {
		now += ARP_RETRY_NS;
		freed = arp_cache_tick(&c, now, count_resend, NULL, &dropped);
	}
	CHECK_INT(resent, ARP_MAX_TRIES - 1);
	CHECK_INT(freed, 1);
	CHECK_INT(list_len(dropped), 2);
}

TEST(arp_cache_full_evicts_oldest_resolved)
{
	static struct arp_cache c;
	memset(&c, 0, sizeof(c));
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct sk_buff *pending;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		CHECK(arp_cache_update(&c, &dev_a, htonl(0x0a000100 + i), mac, true, 100 + i, &pending) != NULL);
	/* Full of resolved entries: the one expiring first (10.0.1.0) makes room. */
	static struct sk_buff s;
	CHECK_INT(arp_cache_queue(&c, &dev_a, IPV4(10, 0, 9, 9), &s, 500), 1);
	CHECK(arp_cache_find(&c, &dev_a, IPV4(10, 0, 1, 0)) == NULL);
	CHECK(arp_cache_find(&c, &dev_a, IPV4(10, 0, 1, 1)) != NULL);
	struct sk_buff *dropped = NULL;
	arp_cache_flush_dev(&c, &dev_a, &dropped);
	CHECK(dropped == &s);
	CHECK(arp_cache_find(&c, &dev_a, IPV4(10, 0, 1, 1)) == NULL);
}

/* ---- reassembly ---- */

static struct ipv4_info frag_info(uint16_t id, unsigned off, bool more)
{
	struct ipv4_info ip = { .saddr = IPV4(10, 0, 2, 2), .daddr = IPV4(10, 0, 2, 15), .protocol = IPPROTO_UDP,
				.id = id, .frag_offset = off, .more_fragments = more };
	return ip;
}

static uint8_t payload[IP_MAX_PACKET];

static int add(struct reasm_table *t, uint16_t id, unsigned off, unsigned len, bool more, uint64_t now,
	       uint8_t **out, size_t *out_len)
{
	struct ipv4_info ip = frag_info(id, off, more);
	return reasm_add(t, &ip, NULL, payload + off, len, now, out, out_len);
}

TEST(reasm_in_order_out_of_order_duplicates)
{
	static struct reasm_table t;
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	uint8_t *out = NULL;
	size_t len = 0;
	CHECK_INT(add(&t, 1, 0, 1480, true, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 1, 1480, 1480, true, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 1, 2960, 48, false, 0, &out, &len), REASM_DONE);
	CHECK_INT(len, 3008);
	CHECK(host_memcmp(out, payload, 3008) == 0);
	free(out);
	/* Last first, then the middle twice (a duplicate is ignored), then the first. */
	CHECK_INT(add(&t, 2, 2960, 48, false, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 2, 1480, 1480, true, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 2, 1480, 1480, true, 0, &out, &len), -EEXIST);
	CHECK_INT(add(&t, 2, 0, 1480, true, 0, &out, &len), REASM_DONE);
	CHECK_INT(len, 3008);
	CHECK(host_memcmp(out, payload, 3008) == 0);
	free(out);
	CHECK_INT(t.duplicates, 1);
	for (int i = 0; i < REASM_MAX_DATAGRAMS; i++)
		CHECK(!t.d[i].used);
}

TEST(reasm_overlap_and_inconsistent_end_drop_the_datagram)
{
	static struct reasm_table t;
	memset(&t, 0, sizeof(t));
	uint8_t *out;
	size_t len;
	CHECK_INT(add(&t, 3, 0, 1480, true, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 3, 1472, 16, true, 0, &out, &len), -EINVAL); /* overlaps the first */
	CHECK_INT(t.overlaps, 1);
	CHECK_INT(add(&t, 3, 1480, 8, false, 0, &out, &len), REASM_QUEUED); /* a fresh datagram now */
	CHECK_INT(add(&t, 3, 2000, 8, true, 0, &out, &len), -EINVAL); /* beyond the known end */
	CHECK_INT(add(&t, 4, 800, 8, false, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(add(&t, 4, 1600, 8, false, 0, &out, &len), -EINVAL); /* a second, different end */
	CHECK_INT(add(&t, 5, 65512, 8, false, 0, &out, &len), -EINVAL); /* past 65515 bytes */
	reasm_clear(&t);
}

TEST(reasm_timeout_and_table_full)
{
	static struct reasm_table t;
	memset(&t, 0, sizeof(t));
	uint8_t *out;
	size_t len;
	for (int id = 0; id < REASM_MAX_DATAGRAMS; id++)
		CHECK_INT(add(&t, (uint16_t)id, 0, 8, true, 1000 + (uint64_t)id, &out, &len), REASM_QUEUED);
	/* Full: the oldest (id 0) gives way to a new datagram, which can still complete. */
	CHECK_INT(add(&t, 99, 0, 8, true, 2000, &out, &len), REASM_QUEUED);
	CHECK_INT(t.evictions, 1);
	CHECK_INT(add(&t, 99, 8, 8, false, 2000, &out, &len), REASM_DONE);
	free(out);
	CHECK_INT(add(&t, 0, 8, 8, false, 2000, &out, &len), REASM_QUEUED); /* id 0 starts over */
	CHECK_INT(reasm_expire(&t, 1001 + REASM_TIMEOUT_NS, NULL, NULL), 1); /* id 1 only */
	CHECK_INT(reasm_expire(&t, 2000 + REASM_TIMEOUT_NS, NULL, NULL), REASM_MAX_DATAGRAMS - 1);
	CHECK_INT(t.timeouts, REASM_MAX_DATAGRAMS);
	/* The rest of an expired datagram starts over and cannot complete alone. */
	CHECK_INT(add(&t, 3, 8, 8, false, 3000 + REASM_TIMEOUT_NS, &out, &len), REASM_QUEUED);
	reasm_clear(&t);
}

TEST(reasm_random_permutations)
{
	static struct reasm_table t;
	memset(&t, 0, sizeof(t));
	srand(7);
	for (int round = 0; round < 50; round++) {
		unsigned total = 1 + (unsigned)rand() % 30000, chunk = 8 * (1 + (unsigned)rand() % 185);
		unsigned n = (total + chunk - 1) / chunk, order[64];
		if (n > 40)
			continue;
		for (unsigned i = 0; i < n; i++)
			order[i] = i;
		for (unsigned i = n - 1; i > 0; i--) {
			unsigned j = (unsigned)rand() % (i + 1), tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		uint8_t *out = NULL;
		size_t len = 0;
		int r = REASM_QUEUED;
		for (unsigned k = 0; k < n; k++) {
			unsigned off = order[k] * chunk, l = off + chunk > total ? total - off : chunk;
			CHECK_INT(r, REASM_QUEUED);
			r = add(&t, (uint16_t)round, off, l, off + l < total, 0, &out, &len);
			if (k + 1 < n && rand() % 4 == 0) /* a duplicate now and then */
				CHECK_INT(add(&t, (uint16_t)round, off, l, off + l < total, 0, &out, &len), -EEXIST);
		}
		CHECK_INT(r, REASM_DONE);
		CHECK_INT(len, total);
		CHECK(host_memcmp(out, payload, total) == 0);
		free(out);
	}
}

/* ---- DHCP messages ---- */

static const uint8_t client_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

/* A server reply to xid 0x11223344 with the given options after the magic cookie. */
static size_t make_reply(uint8_t *buf, const uint8_t *opts, size_t optlen)
{
	struct dhcp_msg *m = (struct dhcp_msg *)buf;
	memset(m, 0, sizeof(*m));
	m->op = 2;
	m->htype = 1;
	m->hlen = 6;
	m->xid = 0x11223344;
	m->yiaddr = IPV4(10, 0, 2, 15);
	memcpy(m->chaddr, client_mac, 6);
	m->magic = htonl(DHCP_MAGIC);
	memcpy(m->options, opts, optlen);
	return 240 + optlen;
}

TEST(dhcp_build_discover_and_request)
{
	static struct dhcp_msg m;
	size_t n = dhcp_build(&m, DHCPDISCOVER, 0xabcd, client_mac, 0, 0);
	CHECK_INT(n, 300);
	CHECK_INT(m.op, 1);
	CHECK_INT(ntohs(m.flags), 0x8000);
	CHECK_INT(ntohl(m.magic), DHCP_MAGIC);
	CHECK(m.options[0] == 53 && m.options[1] == 1 && m.options[2] == DHCPDISCOVER);
	n = dhcp_build(&m, DHCPREQUEST, 0xabcd, client_mac, IPV4(10, 0, 2, 15), IPV4(10, 0, 2, 2));
	const uint8_t want[] = { 53, 1, 3, 50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2 };
	CHECK(host_memcmp(m.options, want, sizeof(want)) == 0);
}

TEST(dhcp_parse_replies)
{
	static uint8_t buf[600];
	struct dhcp_reply r;
	const uint8_t offer[] = { 0, 53, 1, 2, 1, 4, 255, 255, 255, 0, 3, 8, 10, 0, 2, 2, 10, 0, 2, 3,
				  54, 4, 10, 0, 2, 2, 51, 4, 0, 1, 0x51, 0x80, 255 };
	size_t n = make_reply(buf, offer, sizeof(offer));
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), 0);
	CHECK_INT(r.type, DHCPOFFER);
	CHECK(r.yiaddr == IPV4(10, 0, 2, 15) && r.mask == IPV4(255, 255, 255, 0));
	CHECK(r.router == IPV4(10, 0, 2, 2) && r.server_id == IPV4(10, 0, 2, 2));
	CHECK_INT(r.lease_s, 86400);
	/* Someone else's transaction or client. */
	CHECK_INT(dhcp_parse(buf, n, 0x11223345, client_mac, &r), -EINVAL);
	const uint8_t other_mac[6] = { 2, 0, 0, 0, 0, 2 };
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, other_mac, &r), -EINVAL);
	/* Truncated: below the fixed part, or an option running past the end. */
	CHECK_INT(dhcp_parse(buf, 239, 0x11223344, client_mac, &r), -EINVAL);
	CHECK_INT(dhcp_parse(buf, 240 + 9, 0x11223344, client_mac, &r), -EINVAL);
	/* No message type, a request's type, a bad cookie. */
	const uint8_t untyped[] = { 1, 4, 255, 255, 255, 0, 255 };
	CHECK_INT(dhcp_parse(buf, make_reply(buf, untyped, sizeof(untyped)), 0x11223344, client_mac, &r), -EINVAL);
	const uint8_t discover[] = { 53, 1, 1, 255 };
	CHECK_INT(dhcp_parse(buf, make_reply(buf, discover, sizeof(discover)), 0x11223344, client_mac, &r), -EINVAL);
	const uint8_t ack[] = { 53, 1, 5, 1, 4, 255, 0, 255, 0, 255 }; /* a mask that is no prefix */
	CHECK_INT(dhcp_parse(buf, make_reply(buf, ack, sizeof(ack)), 0x11223344, client_mac, &r), -EINVAL);
	const uint8_t ack_ok[] = { 53, 1, 5, 255 };
	n = make_reply(buf, ack_ok, sizeof(ack_ok));
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), 0);
	((struct dhcp_msg *)buf)->yiaddr = IPV4(224, 0, 0, 1); /* multicast: never a host's */
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), -EINVAL);
	((struct dhcp_msg *)buf)->yiaddr = 0;
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), -EINVAL);
	((struct dhcp_msg *)buf)->magic = 0;
	const uint8_t nak[] = { 53, 1, 6, 255 };
	n = make_reply(buf, nak, sizeof(nak));
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), 0);
	CHECK_INT(r.type, DHCPNAK);
	((struct dhcp_msg *)buf)->magic = 0;
	CHECK_INT(dhcp_parse(buf, n, 0x11223344, client_mac, &r), -EINVAL);
}

/* ---- the ICMP error rate limit's bucket ---- */

TEST(ratelimit_bucket)
{
	struct ratelimit r = { .rate = 1000, .burst = 50 };
	uint64_t t = 5000000000ull;
	unsigned ok = 0;
	for (int i = 0; i < 200; i++)
		ok += ratelimit_take(&r, t);
	CHECK_INT(ok, 50); /* the burst, then nothing at the same instant */
	CHECK(!ratelimit_take(&r, t + 999999)); /* not a whole token yet */
	CHECK(ratelimit_take(&r, t + 1000000));
	CHECK(!ratelimit_take(&r, t + 1000000));
	/* 10.5 ms later: 10 tokens; the half token is kept for later. */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += ratelimit_take(&r, t + 11500000);
	CHECK_INT(ok, 10);
	CHECK(ratelimit_take(&r, t + 12000000));
	/* A long pause refills only up to the burst. */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += ratelimit_take(&r, t + 60000000000ull);
	CHECK_INT(ok, 50);
	/* A steady stream for one simulated second: the burst plus the rate. */
	struct ratelimit s = { .rate = 1000, .burst = 50 };
	ok = 0;
	for (uint64_t ns = 0; ns <= 1000000000ull; ns += 100000) /* 10000 attempts */
		ok += ratelimit_take(&s, ns);
	CHECK_INT(ok, 1050);
}

/* ---- ip= ---- */

TEST(ipconfig_parse_forms)
{
	struct ipconfig c;
	CHECK_INT(ipconfig_parse("10.0.2.15::10.0.2.2:255.255.255.0", &c), 0);
	CHECK(c.addr == IPV4(10, 0, 2, 15) && c.gw == IPV4(10, 0, 2, 2) && c.mask == IPV4(255, 255, 255, 0));
	CHECK(!c.dhcp && c.dev[0] == 0);
	CHECK_INT(ipconfig_parse("10.0.2.15::10.0.2.2:255.255.255.0:ferrite:eth1:off", &c), 0);
	CHECK_STR(c.dev, "eth1");
	CHECK_INT(ipconfig_parse("192.168.1.7", &c), 0); /* classful masks when none is given */
	CHECK(c.mask == IPV4(255, 255, 255, 0) && c.gw == 0);
	CHECK_INT(ipconfig_parse("172.16.0.9", &c), 0);
	CHECK(c.mask == IPV4(255, 255, 0, 0));
	CHECK_INT(ipconfig_parse("10.1.2.3:::", &c), 0);
	CHECK(c.mask == IPV4(255, 0, 0, 0));
	CHECK_INT(ipconfig_parse("dhcp", &c), 0);
	CHECK(c.dhcp);
	CHECK_INT(ipconfig_parse("on", &c), 0);
	CHECK(c.dhcp);
	const char *bad[] = { "", "10.0.2", "10.0.2.15.1", "10.0.2.256", "10.0.2.1x", "10..2.15", "1000.0.2.15",
			      "10.0.2.15::10.0.2:255.255.255.0", "10.0.2.15:::255.0.255.0",
			      "10.0.2.15::::h:averyveryverylongname:off", ":10.0.2.15" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(ipconfig_parse(bad[i], &c), -EINVAL);
	CHECK_INT(ipconfig_parse(NULL, &c), -EINVAL);
}

static unsigned expired_calls;
static uint8_t expired_first[28];
static void on_expired(const uint8_t first[28], void *ctx)
{
	(void)ctx;
	expired_calls++;
	memcpy(expired_first, first, 28);
}

TEST(reasm_timeout_reports_only_with_first_fragment)
{
	static struct reasm_table t;
	memset(&t, 0, sizeof(t));
	uint8_t hdr[24];
	make_ip(hdr, 8, IP_MF, IPPROTO_UDP);
	hdr[0] = 0x46; /* with one word of options, which the quote leaves out */
	uint8_t *out;
	size_t len;
	struct ipv4_info first = frag_info(1, 0, true), later = frag_info(2, 8, true);
	CHECK_INT(reasm_add(&t, &first, hdr, payload, 8, 0, &out, &len), REASM_QUEUED);
	CHECK_INT(reasm_add(&t, &later, hdr, payload + 8, 8, 0, &out, &len), REASM_QUEUED);
	expired_calls = 0;
	CHECK_INT(reasm_expire(&t, REASM_TIMEOUT_NS, on_expired, NULL), 2);
	CHECK_INT(expired_calls, 1); /* datagram 2 never had its first fragment */
	CHECK_INT(expired_first[0], 0x45);
	CHECK(host_memcmp(expired_first + 1, hdr + 1, 19) == 0);
	CHECK(host_memcmp(expired_first + 20, payload, 8) == 0);
}

/* ---- packet buffers ---- */

TEST(skb_bounds_and_queue)
{
	struct sk_buff *skb = skb_alloc(100);
	CHECK(skb != NULL);
	CHECK_INT(skb_headroom(skb), SKB_HEADROOM);
	CHECK_INT(skb_tailroom(skb), 100);
	CHECK(skb_put(skb, 101) == NULL); /* no more than the tailroom */
	uint8_t *p = skb_put(skb, 60);
	CHECK(p == skb->data && skb->len == 60);
	memset(p, 0xab, 60);
	CHECK(skb_push(skb, SKB_HEADROOM + 1) == NULL);
	CHECK(skb_push(skb, 14) == p - 14);
	CHECK_INT(skb->len, 74);
	CHECK(skb_pull(skb, 75) == NULL); /* more than there is */
	CHECK(skb_pull(skb, 14) == p);
	skb_trim(skb, 20);
	CHECK_INT(skb->len, 20);
	skb_trim(skb, 40); /* never grows */
	CHECK_INT(skb->len, 20);
	struct sk_buff *c = skb_copy(skb);
	CHECK(c && c->len == 20 && c->data[19] == 0xab && skb_headroom(c) == SKB_HEADROOM);
	CHECK(skb_alloc(1u << 20) == NULL); /* beyond any datagram */

	struct skb_queue q;
	skb_queue_init(&q);
	CHECK(skb_dequeue(&q) == NULL);
	skb_queue_tail(&q, skb);
	skb_queue_tail(&q, c);
	CHECK_INT(q.len, 2);
	CHECK(skb_dequeue(&q) == skb);
	CHECK(skb_dequeue(&q) == c);
	CHECK(skb_dequeue(&q) == NULL && q.len == 0 && q.tail == NULL);
	skb_queue_tail(&q, skb);
	skb_queue_tail(&q, c);
	skb_queue_purge(&q); /* frees both (ASan would see a leak otherwise) */
	CHECK(q.head == NULL);
}

/* ---- checksum offload and segmentation ---- */

TEST(partial_checksum_finishes_to_full)
{
	/* The pseudo-header sum in the field, summed over the segment, gives exactly the checksum
	 * computed in one go, for TCP and UDP, every length parity, random contents. */
	srand(7);
	static uint8_t seg[66000], ref[66000];
	for (int round = 0; round < 300; round++) {
		uint8_t proto = round & 1 ? IPPROTO_UDP : 6;
		size_t off = proto == IPPROTO_UDP ? 6 : 16;
		size_t n = off + 2 + (size_t)rand() % (round < 200 ? 200 : 65000);
		in_addr_t s = (in_addr_t)rand(), d = (in_addr_t)rand();
		for (size_t i = 0; i < n; i++)
			seg[i] = (uint8_t)(round % 5 == 0 ? 0 : rand());
		seg[off] = seg[off + 1] = 0;
		memcpy(ref, seg, n);
		uint16_t full = inet_pseudo_checksum(s, d, proto, ref, n);
		uint16_t partial = inet_pseudo_partial(s, d, proto, n);
		memcpy(seg + off, &partial, 2);
		inet_csum_finish(seg, n, off);
		uint16_t got;
		memcpy(&got, seg + off, 2);
		CHECK_INT(got, full ? full : 0xffff);
		/* And the finished segment verifies as a received one would. */
		CHECK_INT(inet_pseudo_checksum(s, d, proto, seg, n), 0);
	}
}

TEST(partial_checksum_zero_becomes_ffff)
{
	/* A UDP datagram whose checksum comes out 0 must go out as 0xffff (RFC 768). Find one by
	 * choosing the last payload word so that the sum is all ones. */
	in_addr_t s = IPV4(10, 0, 0, 1), d = IPV4(10, 0, 0, 2);
	uint8_t u[10] = { 0x12, 0x34, 0x00, 0x35, 0x00, 10, 0, 0, 0, 0 };
	uint16_t c = inet_pseudo_checksum(s, d, IPPROTO_UDP, u, sizeof(u));
	/* Adding the checksum value as data makes the complemented sum 0. */
	memcpy(u + 8, &c, 2);
	CHECK_INT(inet_pseudo_checksum(s, d, IPPROTO_UDP, u, sizeof(u)), 0);
	uint16_t p = inet_pseudo_partial(s, d, IPPROTO_UDP, sizeof(u));
	memcpy(u + 6, &p, 2);
	inet_csum_finish(u, sizeof(u), 6);
	CHECK_INT(u[6], 0xff);
	CHECK_INT(u[7], 0xff);
	size_t ul;
	CHECK_INT(udp_parse(u, sizeof(u), s, d, false, &ul), 0);
}

TEST(skb_csum_state_follows_copies)
{
	struct sk_buff *skb = skb_alloc(40);
	uint8_t *h = skb_put(skb, 28);
	memset(h, 0x5a, 28);
	in_addr_t s = IPV4(192, 0, 2, 1), d = IPV4(192, 0, 2, 2);
	uint16_t p = inet_pseudo_partial(s, d, IPPROTO_UDP, 28);
	memcpy(h + 6, &p, 2);
	skb_set_csum_partial(skb, h, 6);
	skb_push(skb, 20); /* an IP header in front: the offsets still name the UDP checksum */
	CHECK(skb_csum_valid(skb));
	struct sk_buff *c = skb_copy(skb);
	skb_pull(c, 20);
	c->data[0] = 0x5a; /* untouched bytes, just the same data */
	CHECK_INT(c->csum, SKB_CSUM_PARTIAL);
	CHECK_INT(skb_csum_complete(c), 0);
	CHECK_INT(c->csum, SKB_CSUM_NONE);
	CHECK_INT(inet_pseudo_checksum(s, d, IPPROTO_UDP, c->data, 28), 0);
	CHECK_INT(skb_csum_complete(c), 0); /* nothing left to do */
	/* Offsets outside the data are refused, not written through. */
	skb_pull(skb, 30);
	CHECK_INT(skb_csum_complete(skb), -EINVAL);
	CHECK_INT(skb->csum, SKB_CSUM_PARTIAL);
	skb_free(skb);
	skb_free(c);
}

/* A TCP frame: Ethernet, IPv4 (id 0x100), TCP from seq with flags and optlen bytes of options,
 * paylen bytes of a counting pattern; returns its length. */
static size_t make_tcp_frame(uint8_t *f, uint32_t seq, uint8_t flags, size_t optlen, size_t paylen)
{
	size_t thl = 20 + optlen, len = 14 + 20 + thl + paylen;
	memset(f, 0, 14 + 20 + thl);
	f[12] = 0x08;
	struct ip_hdr *ih = (struct ip_hdr *)(f + 14);
	ih->ver_ihl = 0x45;
	ih->tot_len = htons((uint16_t)(len - 14));
	ih->id = htons(0x100);
	ih->ttl = 64;
	ih->protocol = 6;
	ih->saddr = IPV4(192, 168, 77, 2);
	ih->daddr = IPV4(192, 168, 77, 1);
	ih->check = inet_checksum(ih, 20);
	uint8_t *th = f + 34;
	th[0] = 0x13, th[1] = 0x89, th[2] = 0xc0, th[3] = 0x01;
	uint32_t nseq = htonl(seq);
	memcpy(th + 4, &nseq, 4);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	th[14] = 0xff, th[15] = 0xff;
	for (size_t i = 0; i < optlen; i++)
		th[20 + i] = 1; /* NOPs */
	for (size_t i = 0; i < paylen; i++)
		f[14 + 20 + thl + i] = (uint8_t)(i * 7 + i / 251);
	return len;
}

TEST(gso_tcp4_segments_like_tso)
{
	static uint8_t f[14 + 65535], out[14 + 20 + 60 + 1460], joined[65535];
	const uint8_t flags = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
	for (size_t optlen = 0; optlen <= 12; optlen += 12) {
		size_t paylen = 10 * 1448 + 100, mss = 1448 - optlen;
		size_t len = make_tcp_frame(f, 0xfffff000u, flags, optlen, paylen); /* the sequence wraps */
		struct gso_tcp4 g;
		CHECK_INT(gso_tcp4_parse(f, len, (uint16_t)mss, &g), 0);
		CHECK_INT(g.nsegs, (paylen + mss - 1) / mss);
		size_t total = 0;
		for (unsigned i = 0; i < g.nsegs; i++) {
			size_t n = gso_tcp4_segment(f, &g, i, out);
			bool last = i + 1 == g.nsegs;
			CHECK(n <= 14 + 20 + 20 + optlen + mss);
			struct ipv4_info ip;
			CHECK_INT(ipv4_parse(out + 14, n - 14, &ip), 0); /* header checksum and lengths */
			CHECK_INT(ip.tot_len, n - 14);
			CHECK_INT(ip.id, 0x100 + i);
			CHECK_INT(inet_pseudo_checksum(ip.saddr, ip.daddr, 6, out + 34, n - 34), 0);
			uint32_t seq;
			memcpy(&seq, out + 34 + 4, 4);
			CHECK_INT(ntohl(seq), (uint32_t)(0xfffff000u + i * mss));
			CHECK_INT(out[34 + 13], (uint8_t)((last ? flags : (flags & ~0x09)) & (i ? ~0x80 : 0xff)));
			CHECK(host_memcmp(out + 34 + 20, f + 34 + 20, optlen) == 0); /* options copied */
			size_t data = n - (34 + 20 + optlen);
			CHECK(last ? data <= mss : data == mss);
			memcpy(joined + total, out + 34 + 20 + optlen, data);
			total += data;
		}
		CHECK_INT(total, paylen);
		CHECK(host_memcmp(joined, f + 34 + 20 + optlen, paylen) == 0);
	}
}

TEST(gso_tcp4_refuses_what_it_cannot_cut)
{
	static uint8_t f[2000];
	struct gso_tcp4 g;
	size_t len = make_tcp_frame(f, 1, 0x10, 0, 1000);
	CHECK_INT(gso_tcp4_parse(f, len, 0, &g), -EINVAL);        /* no MSS */
	CHECK_INT(gso_tcp4_parse(f, len - 1, 500, &g), -EINVAL);  /* IP length disagrees */
	CHECK_INT(gso_tcp4_parse(f, 40, 500, &g), -EINVAL);       /* cut inside TCP */
	f[34 + 12] = 0x40;                                        /* data offset 4 words */
	CHECK_INT(gso_tcp4_parse(f, len, 500, &g), -EINVAL);
	len = make_tcp_frame(f, 1, 0x10, 0, 1000);
	f[14 + 9] = 17;                                           /* UDP */
	CHECK_INT(gso_tcp4_parse(f, len, 500, &g), -EINVAL);
	len = make_tcp_frame(f, 1, 0x10, 0, 1000);
	f[14 + 6] = 0x20;                                         /* a fragment */
	CHECK_INT(gso_tcp4_parse(f, len, 500, &g), -EINVAL);
	len = make_tcp_frame(f, 1, 0x10, 0, 1000);
	f[12] = 0x86;                                             /* not IPv4 */
	CHECK_INT(gso_tcp4_parse(f, len, 500, &g), -EINVAL);
	len = make_tcp_frame(f, 1, 0x10, 0, 0);                   /* a bare ACK: one piece */
	CHECK_INT(gso_tcp4_parse(f, len, 500, &g), 0);
	CHECK_INT(g.nsegs, 1);
}
