/*
 * Networking's public face: packet buffers (struct sk_buff), network devices and their
 * operations, and the kernel-side IPv4 calls other subsystems (tests, later the AF_INET socket
 * family) use. Drivers call netdev_register and hand received frames to netif_receive from the
 * net thread (their poll op); everything above Ethernet runs in that thread or in the caller of
 * an output function.
 */
#pragma once

#include "lib/spinlock.h"
#include "lib/types.h"

/* ---- byte order (the wire is big-endian, x86 little-endian) ---- */

static inline uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }

/* An IPv4 address in network byte order, as it sits in headers. */
typedef uint32_t in_addr_t;

#define IPV4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* ---- packet buffers ---- */

/* Room kept in front of the data so that lower layers prepend headers without copying. */
#define SKB_HEADROOM 128

struct net_device;

struct sk_buff {
	struct sk_buff *next;   /* queues (device backlog, ARP pending list, socket queues) */
	struct net_device *dev; /* received on / to be sent through */
	uint8_t *head;          /* start of the buffer */
	uint8_t *data;          /* start of the valid bytes */
	size_t len;             /* valid bytes from data */
	size_t size;            /* buffer size from head */
	uint16_t protocol;      /* EtherType of a received frame, host order */
	uint8_t *network;       /* the IPv4/ARP header once parsed */
	uint8_t *transport;     /* the ICMP/UDP header once parsed */
	uint8_t ip_ttl, ip_tos; /* to send: the socket's IP_TTL (0: the default) and IP_TOS */
	const void *origin;     /* to send: the packet socket that built the frame (it does not
				 * see its own frame leave); never copied */
	/*
	 * Checksum offload state (Linux's ip_summed). SKB_CSUM_PARTIAL: the TCP/UDP checksum at
	 * csum_start + csum_offset holds only the pseudo-header sum; whoever sends the frame (a
	 * device with NETIF_F_IP_CSUM, else netdev_xmit in software) sums from csum_start to the
	 * end and stores the result there. A received frame in that state, or SKB_CSUM_UNNECESSARY,
	 * had its transport checksum vouched for by the device (or comes from this host through
	 * lo), so TCP and UDP skip verifying it.
	 */
	uint8_t csum;
	uint16_t csum_offset;   /* from csum_start: 16 for TCP, 6 for UDP */
	uint32_t csum_start;    /* offset from head (stays valid across push and pull) */
	/* A TCPv4 segment longer than one MSS for a device with NETIF_F_TSO to cut into
	 * gso_size-byte segments (netdev_xmit cuts it in software for any other); 0: none. */
	uint16_t gso_size;
};

enum { SKB_CSUM_NONE = 0, SKB_CSUM_UNNECESSARY, SKB_CSUM_PARTIAL };

/* A buffer with SKB_HEADROOM before data and room for len bytes after it; NULL if out of memory. */
struct sk_buff *skb_alloc(size_t len);
void skb_free(struct sk_buff *skb);
/* Adds n bytes at the end (returns where they start); NULL without tailroom. */
uint8_t *skb_put(struct sk_buff *skb, size_t n);
/* Prepends n bytes (returns the new data); NULL without headroom. */
uint8_t *skb_push(struct sk_buff *skb, size_t n);
/* Drops n bytes from the front (returns the new data); NULL if fewer than n are there. */
uint8_t *skb_pull(struct sk_buff *skb, size_t n);
/* Cuts the data to len bytes (len <= skb->len). */
void skb_trim(struct sk_buff *skb, size_t len);
/* A copy of the valid bytes with the usual headroom; NULL if out of memory. */
struct sk_buff *skb_copy(const struct sk_buff *skb);
static inline size_t skb_headroom(const struct sk_buff *skb) { return (size_t)(skb->data - skb->head); }
/* Marks skb's transport checksum at start + offset as holding the pseudo-header sum only. */
static inline void skb_set_csum_partial(struct sk_buff *skb, const uint8_t *start, uint16_t offset)
{
	skb->csum = SKB_CSUM_PARTIAL;
	skb->csum_start = (uint32_t)(start - skb->head);
	skb->csum_offset = offset;
}
/* Whether a received frame's transport checksum is known good without summing it. */
static inline bool skb_csum_valid(const struct sk_buff *skb) { return skb->csum != SKB_CSUM_NONE; }
/*
 * Finishes a partial checksum in software (sums from csum_start to the end of the data and
 * stores it); the state becomes SKB_CSUM_NONE. 0, or -EINVAL when csum_start/offset do not lie
 * inside the data (nothing written).
 */
int skb_csum_complete(struct sk_buff *skb);
static inline size_t skb_tailroom(const struct sk_buff *skb)
{
	return skb->size - skb_headroom(skb) - skb->len;
}

/* A FIFO of buffers (its own lock; safe from interrupt handlers). */
struct skb_queue {
	spinlock_t lock;
	struct sk_buff *head, *tail;
	unsigned len;
};
void skb_queue_init(struct skb_queue *q);
void skb_queue_tail(struct skb_queue *q, struct sk_buff *skb);
struct sk_buff *skb_dequeue(struct skb_queue *q);
void skb_queue_purge(struct skb_queue *q);

/* ---- network devices ---- */

#define NETDEV_NAME_MAX 16
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_DATA_LEN 1500
#define ETH_ZLEN 60 /* shortest frame without the FCS */

/* Flags as Linux's IFF_* (shown by ifconfig/ip later). */
#define IFF_UP        0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK  0x8
#define IFF_RUNNING   0x40
#define IFF_NOARP     0x80
#define IFF_PROMISC   0x100 /* receives every unicast frame (while promisc_count > 0) */
#define IFF_ALLMULTI  0x200 /* receives every multicast frame (while allmulti_count > 0) */

/* What a device does for the stack (dev->features), Linux's NETIF_F_* in spirit. */
#define NETIF_F_IP_CSUM 0x1 /* fills in the TCP/UDP checksum of an IPv4 SKB_CSUM_PARTIAL frame */
#define NETIF_F_TSO     0x2 /* cuts a TCPv4 frame with gso_size into segments (needs IP_CSUM) */

/* Counters in /proc/net/dev's order; updated with atomic adds. */
struct net_device_stats {
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped, rx_fifo_errors, rx_frame_errors,
		rx_compressed, multicast;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped, tx_fifo_errors, collisions,
		tx_carrier_errors, tx_compressed;
};

struct net_device_ops {
	int (*open)(struct net_device *dev);   /* brings the hardware up */
	void (*stop)(struct net_device *dev);
	/*
	 * Sends one whole frame (Ethernet header included) and owns skb from then on, sent or not.
	 * 0, or a negative errno when it was dropped (counted by the driver).
	 */
	int (*xmit)(struct net_device *dev, struct sk_buff *skb);
	int (*set_mac)(struct net_device *dev, const uint8_t mac[ETH_ALEN]);
	/* Called in the net thread after netdev_schedule_poll: hands received frames to netif_receive. */
	void (*poll)(struct net_device *dev);
	/* Applies IFF_PROMISC/IFF_ALLMULTI in dev->flags to the hardware filter. NULL: the device
	 * filters nothing (lo, virtio-net without a control queue), so there is nothing to do. */
	void (*set_rx_mode)(struct net_device *dev);
};

struct net_device {
	char name[NETDEV_NAME_MAX]; /* "lo", "eth0", ... */
	int ifindex;
	unsigned flags;             /* IFF_* */
	bool link_up;               /* carrier, as the hardware reports it */
	unsigned mtu;
	unsigned features;          /* NETIF_F_*: set by the driver before registering */
	uint8_t mac[ETH_ALEN];
	uint8_t broadcast[ETH_ALEN];
	const struct net_device_ops *ops;
	void *priv;                 /* the driver's */
	struct net_device_stats stats;
	in_addr_t ipv4_addr, ipv4_mask; /* 0 until configured */
	bool poll_pending;          /* the driver asked for a poll (interrupt seen) */
	bool registered;            /* on the list; cleared (atomically) by netdev_unregister */
	int refcount;               /* the driver's reference plus every lookup's; freed at zero */
	int ops_active;             /* driver ops in progress through the gate (netdev.c) */
	int promisc_count, allmulti_count; /* users of each mode (packet sockets, ifconfig) */
	bool user_promisc, user_allmulti;  /* what SIOCSIFFLAGS asked (counted once above) */
	struct net_device *next;
};

/* A zeroed device with Ethernet defaults (MTU 1500, broadcast ff:ff:...); NULL if out of memory. */
struct net_device *netdev_alloc(const struct net_device_ops *ops, void *priv);
/*
 * Adds dev under its name; a name ending in "%d" ("eth%d") gets the lowest free number. Applies
 * a pending ip= configuration meant for it. 0 or a negative errno.
 */
int netdev_register(struct net_device *dev, const char *name_pattern);
/*
 * Takes dev off the list (lookups fail from then on), waits for driver ops already in progress
 * (xmit, open, set_mac, set_rx_mode) to return and refuses new ones, stops it and drops its
 * routes and ARP entries. The driver then frees its own state and calls netdev_free; the struct
 * itself lives until the last reference is put.
 */
void netdev_unregister(struct net_device *dev);
void netdev_free(struct net_device *dev); /* drops the driver's reference */
/* Keeps dev's memory alive past unregistering (a thread working on it checks dev->registered). */
void netdev_hold(struct net_device *dev);
void netdev_put(struct net_device *dev);
/* Both -ENODEV (or nothing) on a device already unregistered. */
int netdev_up(struct net_device *dev);
void netdev_down(struct net_device *dev);
/* Lookups of registered devices. Each returns a counted reference (NULL: none) that the
 * caller drops with netdev_put once done with the device. */
struct net_device *netdev_get_by_name(const char *name);
struct net_device *netdev_get_by_index(int ifindex);
/* The registered device with the smallest ifindex above after (NULL: none); walks the list
 * in ifindex order without holding a lock across the walk:
 *   for (d = netdev_next(0); d; d = netdev_next_put(d)) ... (netdev_put(d) before a break) */
struct net_device *netdev_next(int after);
/* Puts prev and returns (counted) the device after it. */
struct net_device *netdev_next_put(struct net_device *prev);
/* Whether a device with this index is registered now. */
bool netdev_exists(int ifindex);
/* Whether a registered device has the IPv4 address addr. */
bool netdev_has_ipv4_addr(in_addr_t addr);
extern struct net_device *netdev_loopback;
/* Changes dev's station address (hardware filter included) and announces it if configured. */
int netdev_set_mac(struct net_device *dev, const uint8_t mac[ETH_ALEN]);
/* Link state from the driver (logged on change). */
void netdev_set_link(struct net_device *dev, bool up);
/* Adds (1) or drops (-1) a user of promiscuous or all-multicast reception; the hardware filter
 * changes when the first comes or the last goes (Linux's dev_set_promiscuity/allmulti). 0 or
 * -EINVAL for a count that would go negative. */
int netdev_set_promisc(struct net_device *dev, int inc);
int netdev_set_allmulti(struct net_device *dev, int inc);
/* The flags as SIOCGIFFLAGS and rtnetlink report them: IFF_PROMISC and IFF_ALLMULTI only as
 * the user asked (Linux's dev_get_flags hides packet sockets' requests). */
static inline unsigned netdev_user_flags(const struct net_device *dev)
{
	return (dev->flags & ~(unsigned)(IFF_PROMISC | IFF_ALLMULTI)) | (dev->user_promisc ? IFF_PROMISC : 0) |
	       (dev->user_allmulti ? IFF_ALLMULTI : 0);
}

/* Hands a frame to the stack: queued, processed in the net thread. Safe from interrupts. */
void netif_rx(struct sk_buff *skb);
/* Processes a frame now (net thread only: drivers' poll ops call this). */
void netif_receive(struct sk_buff *skb);
/* Asks the net thread to call dev->ops->poll. Safe from interrupts. */
void netdev_schedule_poll(struct net_device *dev);
/* Sends a whole frame through dev, counting it; consumes skb. */
int netdev_xmit(struct net_device *dev, struct sk_buff *skb);

static inline void netdev_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Brings up lo, starts the net thread. Before the drivers probe (pci_init). */
void net_init(void);
/* Linux's /proc/net/dev, route, arp and udp texts (snprintf-like). */
size_t net_format_proc_dev(char *buf, size_t size);
size_t net_format_proc_route(char *buf, size_t size);
size_t net_format_proc_arp(char *buf, size_t size);
size_t net_format_proc_udp(char *buf, size_t size);
size_t net_format_proc_packet(char *buf, size_t size); /* net/packet/af_packet.c */

/* ---- IPv4 for kernel users (tests, the socket layer later) ---- */

/* Gives dev the address addr/mask (network order), adds the connected route, announces it. */
int inet_set_addr(struct net_device *dev, in_addr_t addr, in_addr_t mask);
int inet_route_add(in_addr_t dst, in_addr_t mask, in_addr_t gateway, struct net_device *dev);
/* Removes the route to dst/mask: 0 or -ESRCH. */
int inet_route_del(in_addr_t dst, in_addr_t mask);
/* A copy of one route for listing (rtnetlink). */
struct inet_route_info {
	in_addr_t dst, mask, gateway;
	int ifindex;
	bool loopback; /* through lo: Linux keeps these in the local table */
};
/* Copies up to max routes into out; how many. */
unsigned inet_route_snapshot(struct inet_route_info *out, unsigned max);
/* Takes dev's IPv4 address away with its connected route. */
void inet_clear_addr(struct net_device *dev);
/* The device on whose link addr lies (a connected route covers it), counted (netdev_put), or NULL. */
struct net_device *inet_onlink_dev(in_addr_t addr);
/* The interface and routing ioctls (SIOCGIFCONF, SIOCSIFADDR, SIOCADDRT...) that every socket
 * answers (net/core/dev_ioctl.c); -ENOTTY for another command. */
int net_dev_ioctl(unsigned cmd, uint64_t arg);
/* Serialises configuration changes (addresses, routes, flags) from ioctls and rtnetlink. */
void net_config_lock(void);
void net_config_unlock(void);

/*
 * Sends an ICMP echo request to dst and waits for the matching reply; 0 with the round trip
 * in *rtt_ns (may be NULL); -ETIMEDOUT without a reply; -ENETUNREACH without a route; when a
 * destination unreachable answers instead (an unanswered ARP makes one locally, as on Linux),
 * -ENETUNREACH, -EHOSTUNREACH, -ENOPROTOOPT or -ECONNREFUSED by its code.
 */
int icmp_ping(in_addr_t dst, uint16_t id, uint16_t seq, size_t payload_len, uint64_t timeout_ns,
	      uint64_t *rtt_ns);

/* A kernel UDP endpoint: datagrams for its port queue up until read. */
struct udp_endpoint;
/* Binds port (host order; 0 picks an ephemeral one): NULL with *err set when taken/out of memory. */
struct udp_endpoint *udp_open(uint16_t port, int *err);
void udp_close(struct udp_endpoint *ep);
uint16_t udp_local_port(const struct udp_endpoint *ep);
/* Sends len bytes to dst:dport (port host order); len up to 65507 (fragmented as needed). */
int udp_sendto(struct udp_endpoint *ep, in_addr_t dst, uint16_t dport, const void *data, size_t len);
/* Sends through dev to dst without routing, from dev's address (0.0.0.0 before it has one). */
int udp_sendto_dev(struct udp_endpoint *ep, struct net_device *dev, in_addr_t dst, uint16_t dport,
		   const void *data, size_t len);
/*
 * Waits up to timeout_ns for a datagram; copies at most size bytes (the rest is dropped, as
 * recvfrom without MSG_TRUNC), returns its full length, or -ETIMEDOUT.
 */
ssize_t udp_recvfrom(struct udp_endpoint *ep, void *buf, size_t size, in_addr_t *src,
		     uint16_t *sport, uint64_t timeout_ns);
