/*
 * Inside the IPv4 stack: wire formats (packed, sizes asserted against RFC 826/791/792/768),
 * the pure helpers the host unit tests link (checksums, header parsing, routing table, ARP
 * cache, fragment reassembly) and the glue between the layers.
 */
#pragma once

#include "net/net.h"

/* ---- wire formats ---- */

#define ETH_P_IP  0x0800
#define ETH_P_ARP 0x0806

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type; /* EtherType, network order */
} __attribute__((packed));
_Static_assert(sizeof(struct eth_hdr) == ETH_HLEN, "Ethernet II header");

struct arp_hdr {
	uint16_t htype;  /* 1: Ethernet */
	uint16_t ptype;  /* 0x0800: IPv4 */
	uint8_t hlen, plen;
	uint16_t oper;   /* 1 request, 2 reply */
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];  /* unaligned in the frame: bytes */
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));
_Static_assert(sizeof(struct arp_hdr) == 28, "ARP for IPv4 over Ethernet");
_Static_assert(__builtin_offsetof(struct arp_hdr, tpa) == 24, "ARP target address");

struct ip_hdr {
	uint8_t ver_ihl;    /* version 4 << 4 | header length in 32-bit words */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;  /* flags (DF 0x4000, MF 0x2000) | offset in 8-byte units */
	uint8_t ttl;
	uint8_t protocol;
	uint16_t check;
	uint32_t saddr, daddr;
} __attribute__((packed));
_Static_assert(sizeof(struct ip_hdr) == 20, "IPv4 header without options");
_Static_assert(__builtin_offsetof(struct ip_hdr, daddr) == 16, "IPv4 destination");

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
#define IPPROTO_ICMP 1
#define IPPROTO_UDP 17
#define IP_DEFAULT_TTL 64
#define IP_MAX_PACKET 65535

struct icmp_hdr {
	uint8_t type, code;
	uint16_t check;
	uint16_t id, seq; /* echo; "unused"/next-hop MTU for errors */
} __attribute__((packed));
_Static_assert(sizeof(struct icmp_hdr) == 8, "ICMP header");

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4

struct udp_hdr {
	uint16_t source, dest;
	uint16_t len;
	uint16_t check;
} __attribute__((packed));
_Static_assert(sizeof(struct udp_hdr) == 8, "UDP header");

/* ---- checksums (checksum.c): RFC 1071 one's-complement sums ---- */

/* Adds len bytes to a running sum (big-endian 16-bit words; an odd tail byte padded with 0). */
uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len);
/* Folds to 16 bits and complements: the value for the header field (network order). */
uint16_t inet_csum_fold(uint64_t sum);
uint16_t inet_checksum(const void *data, size_t len);
/* UDP/TCP checksum over the pseudo-header and the segment (addresses network order). */
uint16_t inet_pseudo_checksum(in_addr_t saddr, in_addr_t daddr, uint8_t proto, const void *seg, size_t len);
/*
 * Checksum offload: the value a partial checksum field holds before the device (or
 * inet_csum_finish) completes it, the pseudo-header of a len-byte segment summed and folded
 * but not complemented (network order), as Linux's ~csum_tcpudp_magic.
 */
uint16_t inet_pseudo_partial(in_addr_t saddr, in_addr_t daddr, uint8_t proto, size_t len);
/* Completes a partial checksum: sums the len-byte segment (its field at offset holding the
 * pseudo-header sum) and stores the checksum there, 0xffff for 0. */
void inet_csum_finish(uint8_t *seg, size_t len, size_t offset);

/* ---- software segmentation (gso.c): a TCPv4 frame longer than one MSS cut as TSO would ---- */

struct gso_tcp4 {
	size_t l3, l4, payload; /* offsets of the IPv4 header, TCP header and data in the frame */
	size_t paylen;          /* data bytes */
	uint16_t mss;           /* data bytes per segment */
	unsigned nsegs;
};
/* Checks a whole Ethernet frame holding one IPv4/TCP segment and how it cuts into mss-byte
 * pieces: 0 and *g, or -EINVAL (not IPv4/TCP, fragmented, lengths inconsistent, mss 0). */
int gso_tcp4_parse(const uint8_t *frame, size_t len, uint16_t mss, struct gso_tcp4 *g);
/*
 * Writes piece i (< g->nsegs) of frame to out (room for g->payload + g->mss bytes) as a frame
 * of its own: the headers copied with the IPv4 length, id (+i) and checksum, the TCP sequence
 * (+i * mss) and checksum recomputed, FIN and PSH on the last piece only, CWR on the first
 * only. Returns its length.
 */
size_t gso_tcp4_segment(const uint8_t *frame, const struct gso_tcp4 *g, unsigned i, uint8_t *out);

/* ---- defensive parsing (parse.c) ---- */

struct ipv4_info {
	in_addr_t saddr, daddr;
	uint8_t protocol, ttl;
	uint16_t id;
	unsigned hdr_len;     /* bytes, options included */
	unsigned tot_len;     /* from the header; the bytes after it are link padding */
	unsigned frag_offset; /* bytes */
	bool more_fragments;
};

/* Why a packet was dropped (each has a counter). */
enum net_drop {
	DROP_SHORT = 1, DROP_VERSION, DROP_HDR_LEN, DROP_TOT_LEN, DROP_CHECKSUM, DROP_FRAG,
	DROP_PROTO, DROP_BAD_ADDR, DROP_NO_MEM,
};

/* Validates an IPv4 header at p (len bytes received): 0 and *out, or -enum net_drop. */
int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *out);
/*
 * Validates a UDP datagram of len bytes (the IP payload) from saddr to daddr: 0 with the
 * datagram's own length in *udp_len (payload = udp_len - 8), or -enum net_drop. csum_valid:
 * the device vouched for the checksum (it is not summed again).
 */
int udp_parse(const uint8_t *p, size_t len, in_addr_t saddr, in_addr_t daddr, bool csum_valid, size_t *udp_len);
/* Validates an ICMP message (length, checksum): 0 or -enum net_drop. */
int icmp_parse(const uint8_t *p, size_t len);
/* Validates an ARP packet for IPv4 over Ethernet: 0 or -enum net_drop. */
int arp_parse(const uint8_t *p, size_t len);

/* ---- routing (route.c): longest-prefix match ---- */

#define ROUTE_MAX 32

struct route {
	in_addr_t dst, mask, gateway; /* gateway 0: on-link */
	struct net_device *dev;
	bool used;
};

struct route_table {
	struct route r[ROUTE_MAX];
};

/* Masks must be contiguous (a prefix); replaces a route to the same dst/mask. 0 or -errno. */
int route_table_add(struct route_table *t, in_addr_t dst, in_addr_t mask, in_addr_t gw, struct net_device *dev);
int route_table_del(struct route_table *t, in_addr_t dst, in_addr_t mask);
/* Removes every route through dev. */
void route_table_flush_dev(struct route_table *t, struct net_device *dev);
/* The route with the longest prefix covering dst, or NULL. */
const struct route *route_table_lookup(const struct route_table *t, in_addr_t dst);
unsigned mask_prefix_len(in_addr_t mask); /* 33 when not contiguous */

/* ---- ports (inet_port.c) ---- */

#define INET_EPHEMERAL_FIRST 32768 /* Linux's net.ipv4.ip_local_port_range */
#define INET_EPHEMERAL_LAST  60999
#define INADDR_ANY_NET 0u

/*
 * A free port in [first, last], searching round-robin from *next (advanced past the result);
 * in_use(port, ctx) says whether a port is taken. 0 when every port is.
 */
uint16_t inet_port_pick(uint16_t *next, uint16_t first, uint16_t last,
			bool (*in_use)(uint16_t port, void *ctx), void *ctx);
/* Whether a binding of addr1 (network order; 0 = any) clashes with one of addr2 on the same
 * port, given each side's SO_REUSEADDR. */
bool inet_bind_conflict(in_addr_t addr1, bool reuse1, in_addr_t addr2, bool reuse2);

/* ---- IPPROTO_IP options of datagram sockets (inet_opts.c) ---- */

#define IP_TOS     1
#define IP_TTL     2
#define IP_RECVERR 11
#define IP_TTL_DEFAULT 64

struct inet_ip_opts {
	uint8_t ttl;    /* 0: the default */
	uint8_t tos;
	bool recverr;   /* every ICMP error becomes the pending error */
};
/* setsockopt/getsockopt(IPPROTO_IP, name) on o (kernel buffers): 0, -EINVAL for a bad value,
 * -ENOPROTOOPT for an option not kept here. */
int inet_ip_setsockopt(struct inet_ip_opts *o, int name, const void *val, int len);
int inet_ip_getsockopt(const struct inet_ip_opts *o, int name, void *val, int *len);

/* ---- ARP cache (arp_cache.c): entries, their timeouts and packets waiting on them ---- */

#define ARP_CACHE_SIZE 64
#define ARP_PENDING_MAX 8           /* packets queued per unresolved address */
#define ARP_REACHABLE_NS 60000000000ull /* an answer is trusted this long */
#define ARP_RETRY_NS 1000000000ull  /* an unanswered request is repeated after this */
#define ARP_MAX_TRIES 3

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	enum arp_state state;
	struct net_device *dev;
	in_addr_t ip;
	uint8_t mac[ETH_ALEN];
	uint64_t deadline_ns; /* REACHABLE: expiry; INCOMPLETE: next retry */
	unsigned tries;       /* requests sent */
	struct sk_buff *pending; /* INCOMPLETE: frames to send once resolved (linked by next) */
	unsigned npending;
};

struct arp_cache {
	struct arp_entry e[ARP_CACHE_SIZE];
};

struct arp_entry *arp_cache_find(struct arp_cache *c, struct net_device *dev, in_addr_t ip);
/*
 * Records ip -> mac (an answer or a request naming us): the entry becomes REACHABLE and its
 * pending frames are handed back (*pending, linked by next) for sending. create: make an entry
 * when none exists (when the packet was for us, as RFC 826 says). Returns the entry or NULL.
 */
struct arp_entry *arp_cache_update(struct arp_cache *c, struct net_device *dev, in_addr_t ip,
				   const uint8_t mac[ETH_ALEN], bool create, uint64_t now,
				   struct sk_buff **pending);
/*
 * Queues skb for ip, making an INCOMPLETE entry if needed (evicting the oldest REACHABLE one
 * when full). Returns 1 when the caller must send a request now (new entry), 0 when queued,
 * or -ENOBUFS when dropped (queue full or table full of unresolved entries; skb not taken).
 */
int arp_cache_queue(struct arp_cache *c, struct net_device *dev, in_addr_t ip, struct sk_buff *skb, uint64_t now);
/*
 * Timeouts at now: expired REACHABLE entries are freed; INCOMPLETE ones due for a retry call
 * resend(entry) while tries < ARP_MAX_TRIES, else are freed with their frames handed to
 * drop (linked by next in *dropped). Returns the number of entries freed.
 */
unsigned arp_cache_tick(struct arp_cache *c, uint64_t now, void (*resend)(struct arp_entry *e, void *ctx),
			void *ctx, struct sk_buff **dropped);
/* Frees every entry of dev; their pending frames go to *dropped. */
void arp_cache_flush_dev(struct arp_cache *c, struct net_device *dev, struct sk_buff **dropped);

/* ---- fragment reassembly (ip_reasm.c) ---- */

#define REASM_MAX_DATAGRAMS 8
#define REASM_MAX_FRAGS 64
#define REASM_TIMEOUT_NS 30000000000ull /* as Linux's ipfrag_time */

struct reasm_datagram {
	bool used;
	in_addr_t saddr, daddr;
	uint16_t id;
	uint8_t protocol;
	uint64_t deadline_ns;
	uint8_t *buf;          /* IP_MAX_PACKET bytes */
	unsigned total;        /* payload length once the last fragment arrived, else 0 */
	unsigned nfrags;
	uint32_t start[REASM_MAX_FRAGS], end[REASM_MAX_FRAGS]; /* received byte ranges [start, end) */
	bool have_first;       /* the offset-0 fragment came: first[] holds what ICMP quotes */
	uint8_t first[28];     /* its header (options dropped) and first 8 payload bytes */
};

struct reasm_table {
	struct reasm_datagram d[REASM_MAX_DATAGRAMS];
	uint64_t timeouts, overlaps, duplicates, failures, evictions;
};

enum { REASM_QUEUED = 0, REASM_DONE = 1 };
/*
 * Adds one fragment (header info, the raw header hdr (20+ bytes, or NULL) and its payload). REASM_DONE: *out is a kmalloc'd buffer with
 * the whole payload (*out_len bytes) for the caller to free; REASM_QUEUED: waiting for more;
 * a negative errno: the fragment (or its whole datagram, on an overlap) was dropped.
 */
int reasm_add(struct reasm_table *t, const struct ipv4_info *ip, const uint8_t *hdr, const uint8_t *payload,
	      size_t len, uint64_t now, uint8_t **out, size_t *out_len);
/*
 * Drops datagrams past their deadline; returns how many. For each whose first fragment had
 * come, expired(first, ctx) may send ICMP time exceeded (RFC 792, code 1) quoting it.
 */
unsigned reasm_expire(struct reasm_table *t, uint64_t now, void (*expired)(const uint8_t first[28], void *ctx),
		      void *ctx);
void reasm_clear(struct reasm_table *t);

/* ---- ip= (ipconfig.c) ---- */

struct ipconfig {
	bool set, dhcp;
	in_addr_t addr, gw, mask;
	char dev[NETDEV_NAME_MAX]; /* empty: the first ethN device */
};
/* Parses ip=client:server:gw:mask:host:dev:autoconf or ip=dhcp/on/any: 0 or -EINVAL. */
int ipconfig_parse(const char *val, struct ipconfig *out);
/* Configures dev by DHCP in a thread of its own (dhcp.c). */
void dhcp_start(struct net_device *dev);

/* ---- rate limiting (ratelimit.c) ---- */

struct ratelimit {
	uint64_t rate, burst; /* tokens per second, bucket size */
	uint64_t tokens, last_ns;
	bool started;
};
/* Takes a token at time now: true when allowed. */
bool ratelimit_take(struct ratelimit *r, uint64_t now);

/* ---- DHCP messages (dhcp_msg.c, RFC 2131/2132) ---- */

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t magic;
	uint8_t options[312];
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct dhcp_msg, options) == 240, "RFC 2131 figure 1");

enum { DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK };

struct dhcp_reply {
	uint8_t type;       /* DHCPOFFER, DHCPACK, DHCPNAK */
	in_addr_t yiaddr, server_id, mask, router;
	uint32_t lease_s;   /* 0 when absent */
};

/*
 * Builds a client message (DISCOVER, or REQUEST for req_ip from server_id) into m; returns its
 * length.
 */
size_t dhcp_build(struct dhcp_msg *m, uint8_t type, uint32_t xid, const uint8_t mac[ETH_ALEN],
		  in_addr_t req_ip, in_addr_t server_id);
/* Validates a server's reply to xid/mac (len bytes of UDP payload): 0 and *out, or -EINVAL. */
int dhcp_parse(const uint8_t *p, size_t len, uint32_t xid, const uint8_t mac[ETH_ALEN], struct dhcp_reply *out);

/* ---- the layers (kernel only) ---- */

#ifndef HOST_UNIT_TEST
void eth_input(struct sk_buff *skb);
/* Prepends the Ethernet header and sends; consumes skb. */
int eth_output(struct net_device *dev, struct sk_buff *skb, const uint8_t dst[ETH_ALEN], uint16_t type);

void arp_input(struct sk_buff *skb);
/* Sends an IPv4 packet to the neighbour nexthop on dev (resolving it first); consumes skb. */
int arp_output(struct net_device *dev, in_addr_t nexthop, struct sk_buff *skb);
void arp_announce(struct net_device *dev);
void arp_tick(uint64_t now);
void arp_flush_dev(struct net_device *dev);

void ip_input(struct sk_buff *skb);
/*
 * Sends skb (the transport header and payload at skb->data) to daddr: routes, prepends the IP
 * header, fragments to the device MTU. saddr 0 = the outgoing device's address. Consumes skb.
 */
int ip_output(struct sk_buff *skb, in_addr_t saddr, in_addr_t daddr, uint8_t protocol);
/* The same through dev to the neighbour nexthop, without routing (DHCP before an address). */
int ip_output_dev(struct sk_buff *skb, struct net_device *dev, in_addr_t nexthop, in_addr_t saddr,
		  in_addr_t daddr, uint8_t protocol);
/* The source address a packet to daddr would carry (0 when unroutable). */
in_addr_t ip_source_for(in_addr_t daddr);
bool ip_is_local(in_addr_t addr);
bool ip_is_broadcast(struct net_device *dev, in_addr_t addr);
/* Whether a packet to daddr would be a broadcast (limited, or its route's directed one). */
bool ip_route_is_broadcast(in_addr_t daddr);
/* The NETIF_F_* features of the device a datagram to daddr leaves by now (0: no route). */
unsigned ip_route_features(in_addr_t daddr);
void ip_tick(uint64_t now);
void ip_flush_dev(struct net_device *dev);

/* hdr_ip points at the offending datagram's IP header (skb->network of the one received). */
void icmp_input(struct sk_buff *skb, const struct ipv4_info *ip);
void icmp_send_error(struct sk_buff *orig, const struct ipv4_info *ip, uint8_t type, uint8_t code);
void udp_input(struct sk_buff *skb, const struct ipv4_info *ip);

/* Drop counters for /proc and tests. */
struct inet_counters {
	uint64_t ip_in, ip_in_dropped, ip_out, ip_frag_created, ip_reasm_ok, ip_bad_checksum,
		ip_bad_header, udp_in, udp_bad_checksum, udp_no_port, icmp_in, icmp_bad, icmp_errors_in,
		arp_in, arp_bad;
};
extern struct inet_counters inet_stats;
static inline void inet_count(uint64_t *c) { __atomic_fetch_add(c, 1, __ATOMIC_RELAXED); }
#endif
