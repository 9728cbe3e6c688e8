/*
 * Device lifetime: a counted reference keeps a device's memory valid across unregistering and
 * the driver's netdev_free, lookups fail once it is unregistered, driver ops are refused after
 * it, and unregistering waits for an op already running (a hot-unplug racing a sender).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/net.h"
#include "sched/sched.h"
#include "test/ktest.h"

static int ref_xmits;          /* frames the driver saw */
static int ref_in_xmit;        /* 1 while ref_slow_xmit runs */
static int ref_xmit_done;      /* set by ref_slow_xmit as it returns */
static bool ref_slow;

/* A driver whose xmit can take 200 ms, long enough for an unregister to start meanwhile. */
static int ref_xmit(struct net_device *dev, struct sk_buff *skb)
{
	(void)dev;
	__atomic_fetch_add(&ref_xmits, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ref_slow, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&ref_in_xmit, 1, __ATOMIC_SEQ_CST);
		thread_sleep_ns(200000000ull);
		__atomic_store_n(&ref_xmit_done, 1, __ATOMIC_SEQ_CST);
	}
	skb_free(skb);
	return 0;
}

static const struct net_device_ops ref_ops = { .xmit = ref_xmit };

static struct net_device *ref_dev_new(void)
{
	struct net_device *d = netdev_alloc(&ref_ops, NULL);
	if (!d)
		return NULL;
	d->mac[0] = 0x02;
	d->mac[5] = 0x42;
	if (netdev_register(d, "refdev%d") < 0) {
		netdev_free(d);
		return NULL;
	}
	return d;
}

static int ref_send(struct net_device *d)
{
	struct sk_buff *skb = skb_alloc(ETH_ZLEN);
	if (!skb)
		return -ENOBUFS;
	memset(skb_put(skb, ETH_ZLEN), 0, ETH_ZLEN);
	skb->dev = d;
	return netdev_xmit(d, skb);
}

KTEST(netdev_ref_outlives_unregister)
{
	struct net_device *drv = ref_dev_new();
	KT_ASSERT(drv != NULL);
	char name[NETDEV_NAME_MAX];
	strlcpy(name, drv->name, sizeof(name));
	int ifindex = drv->ifindex;

	struct net_device *held = netdev_get_by_name(name);
	KT_ASSERT(held == drv);
	KT_ASSERT_EQ(__atomic_load_n(&held->refcount, __ATOMIC_SEQ_CST), 2); /* the driver's and ours */
	struct net_device *by_index = netdev_get_by_index(ifindex);
	KT_ASSERT(by_index == drv);
	netdev_put(by_index);
	ref_xmits = 0;
	KT_ASSERT_EQ(ref_send(held), 0);
	KT_ASSERT_EQ(ref_xmits, 1);

	/* The hot-unplug: unregister, then the driver drops its reference and state. */
	netdev_unregister(drv);
	netdev_free(drv);
	KT_ASSERT(netdev_get_by_name(name) == NULL);
	KT_ASSERT(netdev_get_by_index(ifindex) == NULL);
	KT_ASSERT(!netdev_exists(ifindex));
	for (struct net_device *d = netdev_next(0); d; d = netdev_next_put(d))
		KT_ASSERT(d != held); /* a leak of one reference on failure is acceptable in a test */

	/* Our reference still reads the device, and the driver is never called again. */
	KT_ASSERT_EQ(__atomic_load_n(&held->refcount, __ATOMIC_SEQ_CST), 1);
	KT_ASSERT(strcmp(held->name, name) == 0);
	KT_ASSERT_EQ(held->ifindex, ifindex);
	KT_ASSERT(!held->registered);
	KT_ASSERT(!(held->flags & IFF_UP));
	KT_ASSERT_EQ(ref_send(held), -ENETDOWN);
	KT_ASSERT_EQ(netdev_up(held), -ENODEV);
	KT_ASSERT_EQ(netdev_set_promisc(held, 1), 0); /* counted, the driver not called */
	KT_ASSERT_EQ(netdev_set_promisc(held, -1), 0);
	KT_ASSERT_EQ(ref_xmits, 1);
	netdev_put(held); /* the last reference: freed here */
}

static void ref_sender(void *arg)
{
	ref_send(arg);
}

/* An xmit already inside the driver when the device is unplugged finishes before
 * netdev_unregister returns, so the driver may free its state right after. */
KTEST(netdev_unregister_waits_for_ops)
{
	struct net_device *drv = ref_dev_new();
	KT_ASSERT(drv != NULL);
	ref_in_xmit = ref_xmit_done = 0;
	__atomic_store_n(&ref_slow, true, __ATOMIC_SEQ_CST);
	struct net_device *held = netdev_get_by_name(drv->name);
	KT_ASSERT(held != NULL);
	struct thread *t = thread_create("kt-refsend", ref_sender, held, NULL);
	KT_ASSERT(t != NULL);
	for (int i = 0; i < 1000 && !__atomic_load_n(&ref_in_xmit, __ATOMIC_SEQ_CST); i++)
		thread_sleep_ns(1000000ull);
	bool entered = __atomic_load_n(&ref_in_xmit, __ATOMIC_SEQ_CST);
	netdev_unregister(drv);
	bool done_at_return = __atomic_load_n(&ref_xmit_done, __ATOMIC_SEQ_CST);
	thread_join(t);
	__atomic_store_n(&ref_slow, false, __ATOMIC_SEQ_CST);
	netdev_free(drv);
	netdev_put(held);
	KT_ASSERT(entered);
	KT_ASSERT(done_at_return);
}
