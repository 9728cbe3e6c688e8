/*
 * A packet socket's PACKET_ADD_MEMBERSHIP list (see packet_mc.h): each membership puts its
 * device in promiscuous or all-multicast mode once, however often it is repeated, until the
 * last drop or the socket's close.
 */
#include "net/packet/packet_mc.h"

#include "lib/errno.h"
#include "lib/string.h"

void packet_mc_init(struct packet_mclist *l)
{
	mutex_init(&l->lock);
	memset(l->mc, 0, sizeof(l->mc));
}

/* Applies (inc 1) or undoes (-1) one membership's device mode. */
static int packet_mc_apply(const struct packet_mc *mc, int inc)
{
	struct net_device *dev = netdev_get_by_index(mc->ifindex);
	if (!dev)
		return -ENODEV;
	int err = 0; /* an unknown type: recorded, as Linux, with no effect */
	if (mc->type == PACKET_MR_PROMISC || mc->type == PACKET_MR_UNICAST)
		err = netdev_set_promisc(dev, inc);
	else if (mc->type == PACKET_MR_MULTICAST || mc->type == PACKET_MR_ALLMULTI)
		err = netdev_set_allmulti(dev, inc);
	netdev_put(dev);
	return err;
}

int packet_mc_add(struct packet_mclist *l, const struct packet_mreq *mr)
{
	if (mr->mr_ifindex <= 0 || !netdev_exists(mr->mr_ifindex))
		return -ENODEV;
	if (mr->mr_alen > ETH_ALEN)
		return -EINVAL;
	struct packet_mc want = { .ifindex = mr->mr_ifindex, .type = mr->mr_type, .alen = mr->mr_alen };
	memcpy(want.addr, mr->mr_address, mr->mr_alen);
	int err = 0;
	mutex_lock(&l->lock);
	struct packet_mc *free = NULL, *same = NULL;
	for (unsigned i = 0; i < PACKET_MAX_MEMBERSHIPS; i++) {
		struct packet_mc *m = &l->mc[i];
		if (!m->count && !free)
			free = m;
		if (m->count && m->ifindex == want.ifindex && m->type == want.type && m->alen == want.alen &&
		    memcmp(m->addr, want.addr, sizeof(want.addr)) == 0)
			same = m;
	}
	if (same) {
		same->count++; /* as Linux: a repeat is counted, the device hears once */
	} else if (!free) {
		err = -ENOBUFS;
	} else {
		err = packet_mc_apply(&want, 1);
		if (!err) {
			want.count = 1;
			*free = want;
		}
	}
	mutex_unlock(&l->lock);
	return err;
}

int packet_mc_drop(struct packet_mclist *l, const struct packet_mreq *mr)
{
	mutex_lock(&l->lock);
	for (unsigned i = 0; i < PACKET_MAX_MEMBERSHIPS; i++) {
		struct packet_mc *m = &l->mc[i];
		if (!m->count || m->ifindex != mr->mr_ifindex || m->type != mr->mr_type ||
		    m->alen != mr->mr_alen || memcmp(m->addr, mr->mr_address, m->alen) != 0)
			continue;
		if (--m->count == 0)
			packet_mc_apply(m, -1); /* a device gone since: nothing to undo */
		break;
	}
	mutex_unlock(&l->lock);
	return 0;
}

void packet_mc_clear(struct packet_mclist *l)
{
	mutex_lock(&l->lock);
	for (unsigned i = 0; i < PACKET_MAX_MEMBERSHIPS; i++)
		if (l->mc[i].count) {
			packet_mc_apply(&l->mc[i], -1);
			l->mc[i].count = 0;
		}
	mutex_unlock(&l->lock);
}
