/*
 * AF_PACKET sockets (Linux's packet(7)): SOCK_RAW sees and sends whole Ethernet frames,
 * SOCK_DGRAM the payload with the link header taken off on receipt and built by the kernel
 * from struct sockaddr_ll on send. What busybox udhcpc needs to speak DHCP before the
 * interface has an address.
 */
#pragma once

#include "net/net.h"

#define AF_PACKET  17
#define SOL_PACKET 263
#define ETH_P_ALL  0x0003

#define PACKET_HOST      0
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3
#define PACKET_OUTGOING  4

#define PACKET_ADD_MEMBERSHIP 1
#define PACKET_DROP_MEMBERSHIP 2
#define PACKET_AUXDATA 8

#define PACKET_MR_MULTICAST 0
#define PACKET_MR_PROMISC   1
#define PACKET_MR_ALLMULTI  2
#define PACKET_MR_UNICAST   3

/* struct packet_mreq: PACKET_ADD_MEMBERSHIP's argument. */
struct packet_mreq {
	int32_t mr_ifindex;
	uint16_t mr_type;    /* PACKET_MR_* */
	uint16_t mr_alen;
	uint8_t mr_address[8];
};
_Static_assert(sizeof(struct packet_mreq) == 16, "struct packet_mreq");

struct sockaddr_ll {
	uint16_t sll_family;
	uint16_t sll_protocol; /* EtherType, network order */
	int32_t sll_ifindex;
	uint16_t sll_hatype;   /* ARPHRD_* */
	uint8_t sll_pkttype;   /* PACKET_* */
	uint8_t sll_halen;
	uint8_t sll_addr[8];
};
_Static_assert(sizeof(struct sockaddr_ll) == 20, "struct sockaddr_ll");

/* The PACKET_AUXDATA control message. */
struct tpacket_auxdata {
	uint32_t tp_status;   /* TP_STATUS_USER; no checksum offload here, so no CSUM flags */
	uint32_t tp_len;      /* the frame's length before any filter cut it */
	uint32_t tp_snaplen;  /* what was queued */
	uint16_t tp_mac, tp_net; /* offsets of the link and network headers in what was queued */
	uint16_t tp_vlan_tci, tp_vlan_tpid;
};
_Static_assert(sizeof(struct tpacket_auxdata) == 20, "struct tpacket_auxdata");
#define TP_STATUS_USER 1
_Static_assert(__builtin_offsetof(struct sockaddr_ll, sll_addr) == 12, "sll_addr");

/* Registers the family. */
void packet_init(void);
/*
 * Copies a frame (skb->data at the Ethernet header, skb->dev set) to every packet socket that
 * wants it: incoming frames by EtherType, outgoing ones (PACKET_OUTGOING) to ETH_P_ALL sockets
 * only, as Linux. The caller keeps skb.
 */
void packet_deliver(const struct sk_buff *skb, bool outgoing);
