/*
 * Inside AF_PACKET: a socket's memberships (PACKET_ADD_MEMBERSHIP/DROP_MEMBERSHIP). There are
 * no per-address filters, so PACKET_MR_PROMISC and _UNICAST take the device promiscuous,
 * _MULTICAST and _ALLMULTI all-multicast: more frames arrive than asked, never fewer.
 */
#pragma once

#include "net/packet/packet.h"
#include "sched/wait.h"

#define PACKET_MAX_MEMBERSHIPS 16

/* One membership, counted when repeated. */
struct packet_mc {
	int ifindex;
	uint16_t type;
	uint16_t alen;
	uint8_t addr[8];
	unsigned count; /* 0: a free slot */
};

struct packet_mclist {
	struct mutex lock; /* guards mc; device changes are made holding it */
	struct packet_mc mc[PACKET_MAX_MEMBERSHIPS];
};

void packet_mc_init(struct packet_mclist *l);
/* 0, -ENODEV, -EINVAL for an address over 6 bytes, -ENOBUFS past PACKET_MAX_MEMBERSHIPS. */
int packet_mc_add(struct packet_mclist *l, const struct packet_mreq *mr);
/* Always 0, as Linux, whether or not such a membership existed. */
int packet_mc_drop(struct packet_mclist *l, const struct packet_mreq *mr);
/* Drops them all (the socket's close). */
void packet_mc_clear(struct packet_mclist *l);
