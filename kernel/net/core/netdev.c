/*
 * Network devices: the registry (names "lo", "eth0", "eth1"... as drivers find them, hot-plugged
 * ones too), up/down, transmit with statistics, and the net thread.
 *
 * Receive processing never runs in an interrupt handler. A driver's handler only calls
 * netdev_schedule_poll (or netif_rx with a ready buffer, as lo does); the "netrx" kernel thread
 * then calls the driver's poll op, which hands frames to netif_receive, and runs the protocol
 * timers (ARP, fragment reassembly) every NET_TICK_NS.
 *
 * Locking: netdev_list_lock (spinlock) guards the device list; net_poll_lock (mutex) is held
 * while the thread polls drivers, so unregistering waits for a poll in progress to finish.
 *
 * Lifetime: a device is reference-counted. The driver holds one from netdev_alloc to netdev_free;
 * every lookup (netdev_get_by_name/index, netdev_next) returns another, dropped with netdev_put,
 * so the struct outlives unregistering until the last put. The driver's own state (dev->priv,
 * rings, registers) goes away right after unregistering, so driver ops are only called inside
 * the ops gate (ops_enter/ops_exit): it refuses a device that is no longer registered, and
 * netdev_unregister waits until no op that got in is still running before returning.
 */
#include "net/net.h"
#include "net/core/core_internal.h"

#include "arch/x86_64/percpu.h"
#include "console/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/ipv4/inet.h"
#include "net/packet/packet.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

#define NET_TICK_NS 250000000ull

static spinlock_t netdev_list_lock = SPINLOCK_INIT;
static struct net_device *netdev_list;
static int next_ifindex = 1;
static struct mutex net_poll_lock = MUTEX_INIT;

static struct skb_queue backlog;
static struct waitqueue net_wq;
static bool net_kick;
static struct thread *net_thread;


struct net_device *netdev_alloc(const struct net_device_ops *ops, void *priv)
{
	struct net_device *dev = kzalloc(sizeof(*dev));
	if (!dev)
		return NULL;
	dev->ops = ops;
	dev->priv = priv;
	dev->mtu = ETH_DATA_LEN;
	dev->flags = IFF_BROADCAST;
	dev->refcount = 1;
	memset(dev->broadcast, 0xff, ETH_ALEN);
	return dev;
}

void netdev_hold(struct net_device *dev)
{
	__atomic_fetch_add(&dev->refcount, 1, __ATOMIC_RELAXED);
}

void netdev_put(struct net_device *dev)
{
	if (__atomic_sub_fetch(&dev->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(dev);
}

void netdev_free(struct net_device *dev)
{
	netdev_put(dev);
}

/*
 * The ops gate: a caller announces itself in ops_active, then checks registered; unregister
 * clears registered, then waits for ops_active to drain. Sequentially consistent on both sides,
 * so either the caller sees the device gone or unregister sees the caller (Dekker's pattern).
 */
static bool ops_enter(struct net_device *dev)
{
	__atomic_fetch_add(&dev->ops_active, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dev->registered, __ATOMIC_SEQ_CST))
		return true;
	__atomic_fetch_sub(&dev->ops_active, 1, __ATOMIC_SEQ_CST);
	return false;
}

static void ops_exit(struct net_device *dev)
{
	__atomic_fetch_sub(&dev->ops_active, 1, __ATOMIC_RELEASE);
}

static bool name_taken(const char *name)
{
	for (struct net_device *d = netdev_list; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return true;
	return false;
}

int netdev_register(struct net_device *dev, const char *pattern)
{
	size_t plen = strlen(pattern);
	if (plen == 0 || plen >= NETDEV_NAME_MAX)
		return -EINVAL;
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	int err = 0;
	if (plen > 2 && strcmp(pattern + plen - 2, "%d") == 0) {
		/* The lowest free number, so a replugged card gets its old name back. */
		char prefix[NETDEV_NAME_MAX];
		strlcpy(prefix, pattern, plen - 1);
		err = -ENFILE;
		for (int n = 0; n < 100; n++) {
			snprintf(dev->name, sizeof(dev->name), "%s%d", prefix, n);
			if (!name_taken(dev->name)) {
				err = 0;
				break;
			}
		}
	} else {
		strlcpy(dev->name, pattern, sizeof(dev->name));
		if (name_taken(dev->name))
			err = -EEXIST;
	}
	if (!err) {
		dev->ifindex = next_ifindex++;
		__atomic_store_n(&dev->registered, true, __ATOMIC_SEQ_CST);
		dev->next = NULL;
		struct net_device **pp = &netdev_list;
		while (*pp)
			pp = &(*pp)->next;
		*pp = dev;
	}
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	if (err)
		return err;
	pr_info("net: %s: registered, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u\n", dev->name,
		dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4], dev->mac[5], dev->mtu);
	/* FIXME: no ifconfig/ip yet, so devices come up as soon as they exist. */
	err = netdev_up(dev);
	if (err)
		pr_warn("net: %s: could not be brought up (%d)\n", dev->name, err);
	inet_device_added(dev);
	return 0;
}

/* Calls the driver's stop op if dev is up (the caller is inside the gate, or is unregister
 * after the gate has drained). */
static void netdev_stop(struct net_device *dev)
{
	if (!(dev->flags & IFF_UP))
		return;
	dev->flags &= ~(IFF_UP | IFF_RUNNING);
	if (dev->ops->stop)
		dev->ops->stop(dev);
}

void netdev_unregister(struct net_device *dev)
{
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	for (struct net_device **pp = &netdev_list; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	__atomic_store_n(&dev->registered, false, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	/* New lookups fail from here; ops that got into the gate finish before the driver goes.
	 * They are short (no op sleeps for long), so a yield loop is enough. */
	while (__atomic_load_n(&dev->ops_active, __ATOMIC_SEQ_CST))
		thread_yield();
	netdev_stop(dev);
	/* A poll that already started finishes before the driver tears the rings down. */
	mutex_lock(&net_poll_lock);
	mutex_unlock(&net_poll_lock);
	ip_flush_dev(dev);
	arp_flush_dev(dev);
	pr_info("net: %s: unregistered\n", dev->name);
}

int netdev_up(struct net_device *dev)
{
	if (!ops_enter(dev))
		return -ENODEV;
	int err = 0;
	if (!(dev->flags & IFF_UP)) {
		err = dev->ops->open ? dev->ops->open(dev) : 0;
		if (!err) {
			dev->flags |= IFF_UP;
			if (dev->link_up)
				dev->flags |= IFF_RUNNING;
		}
	}
	ops_exit(dev);
	return err;
}

void netdev_down(struct net_device *dev)
{
	if (!ops_enter(dev))
		return; /* unregistering stops it */
	netdev_stop(dev);
	ops_exit(dev);
}

int netdev_set_mac(struct net_device *dev, const uint8_t mac[ETH_ALEN])
{
	if (!dev->ops->set_mac)
		return -EOPNOTSUPP;
	if (mac[0] & 1)
		return -EADDRNOTAVAIL; /* a multicast address cannot be a station's */
	if (!ops_enter(dev))
		return -ENODEV;
	int err = dev->ops->set_mac(dev, mac);
	ops_exit(dev);
	if (err)
		return err;
	pr_info("net: %s: MAC now %02x:%02x:%02x:%02x:%02x:%02x\n", dev->name, mac[0], mac[1], mac[2],
		mac[3], mac[4], mac[5]);
	/* Neighbours still map our address to the old MAC: a gratuitous ARP corrects them. */
	if (dev->ipv4_addr && !(dev->flags & (IFF_LOOPBACK | IFF_NOARP)))
		arp_announce(dev);
	return 0;
}

/* Moves *count by inc and sets or clears flag with it; the driver hears of a change. */
static int netdev_count_mode(struct net_device *dev, int *count, unsigned flag, int inc, const char *what)
{
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	int n = *count + inc;
	bool changed = false;
	if (n >= 0) {
		*count = n;
		unsigned old = n ? __atomic_fetch_or(&dev->flags, flag, __ATOMIC_ACQ_REL)
				 : __atomic_fetch_and(&dev->flags, ~flag, __ATOMIC_ACQ_REL);
		changed = !(old & flag) != !n;
	}
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	if (n < 0)
		return -EINVAL;
	if (changed) {
		/* A device already gone keeps its counts (a socket's leave still balances) but its
		 * driver is not called. */
		if (dev->ops->set_rx_mode && ops_enter(dev)) {
			dev->ops->set_rx_mode(dev);
			ops_exit(dev);
		}
		pr_info("net: %s: %s %s\n", dev->name, what, n ? "on" : "off");
	}
	return 0;
}

int netdev_set_promisc(struct net_device *dev, int inc)
{
	return netdev_count_mode(dev, &dev->promisc_count, IFF_PROMISC, inc, "promiscuous mode");
}

int netdev_set_allmulti(struct net_device *dev, int inc)
{
	return netdev_count_mode(dev, &dev->allmulti_count, IFF_ALLMULTI, inc, "all-multicast mode");
}

void netdev_set_link(struct net_device *dev, bool up)
{
	if (dev->link_up == up)
		return;
	dev->link_up = up;
	if (up && (dev->flags & IFF_UP))
		dev->flags |= IFF_RUNNING;
	else
		dev->flags &= ~IFF_RUNNING;
	if (dev->registered)
		pr_info("net: %s: link %s\n", dev->name, up ? "up" : "down");
}

struct net_device *netdev_get_by_name(const char *name)
{
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	struct net_device *d = netdev_list;
	while (d && strcmp(d->name, name) != 0)
		d = d->next;
	if (d)
		netdev_hold(d); /* on the list, so the driver's reference keeps it alive here */
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	return d;
}

struct net_device *netdev_next(int after)
{
	struct net_device *best = NULL;
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	for (struct net_device *d = netdev_list; d; d = d->next)
		if (d->ifindex > after && (!best || d->ifindex < best->ifindex))
			best = d;
	if (best)
		netdev_hold(best);
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	return best;
}

struct net_device *netdev_next_put(struct net_device *prev)
{
	int after = prev->ifindex;
	netdev_put(prev);
	return netdev_next(after);
}

struct net_device *netdev_get_by_index(int ifindex)
{
	struct net_device *d = ifindex > 0 ? netdev_next(ifindex - 1) : NULL;
	if (d && d->ifindex != ifindex) {
		netdev_put(d);
		d = NULL;
	}
	return d;
}

bool netdev_exists(int ifindex)
{
	struct net_device *d = netdev_get_by_index(ifindex);
	if (d)
		netdev_put(d);
	return d != NULL;
}

bool netdev_has_ipv4_addr(in_addr_t addr)
{
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	struct net_device *d = netdev_list;
	while (d && !(d->ipv4_addr && d->ipv4_addr == addr))
		d = d->next;
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	return d != NULL;
}

int netdev_xmit(struct net_device *dev, struct sk_buff *skb)
{
	if (!ops_enter(dev)) {
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return -ENETDOWN;
	}
	if (!(dev->flags & IFF_UP)) {
		ops_exit(dev);
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return -ENETDOWN;
	}
	packet_deliver(skb, true); /* ETH_P_ALL sockets see what leaves, as on Linux */
	int err = netdev_xmit_offloaded(dev, skb);
	ops_exit(dev);
	return err;
}

static void net_wake(void)
{
	__atomic_store_n(&net_kick, true, __ATOMIC_RELEASE);
	wake_up_all(&net_wq);
}

void netif_rx(struct sk_buff *skb)
{
	/* Bounded, so a flood cannot eat all memory before the thread runs. */
	if (backlog.len >= 1000) {
		netdev_stat_add(&skb->dev->stats.rx_dropped, 1);
		skb_free(skb);
		return;
	}
	skb_queue_tail(&backlog, skb);
	net_wake();
}

void netdev_schedule_poll(struct net_device *dev)
{
	__atomic_store_n(&dev->poll_pending, true, __ATOMIC_RELEASE);
	net_wake();
}

void netif_receive(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	netdev_stat_add(&dev->stats.rx_packets, 1);
	netdev_stat_add(&dev->stats.rx_bytes, skb->len);
	if (!(dev->flags & IFF_UP)) {
		netdev_stat_add(&dev->stats.rx_dropped, 1);
		skb_free(skb);
		return;
	}
	packet_deliver(skb, false);
	eth_input(skb);
}

static void net_poll_devices(void)
{
	mutex_lock(&net_poll_lock);
	for (;;) {
		struct net_device *todo = NULL;
		uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
		for (struct net_device *d = netdev_list; d && !todo; d = d->next)
			if (__atomic_exchange_n(&d->poll_pending, false, __ATOMIC_ACQ_REL))
				todo = d;
		spin_unlock_irqrestore(&netdev_list_lock, fl);
		if (!todo)
			break;
		/* Still registered: unregistering waits for net_poll_lock, which we hold. */
		if (todo->ops->poll)
			todo->ops->poll(todo);
	}
	mutex_unlock(&net_poll_lock);
}

static void net_thread_fn(void *arg)
{
	(void)arg;
	uint64_t next_tick = clock_monotonic_ns() + NET_TICK_NS;
	for (;;) {
		wait_event_timeout(&net_wq, __atomic_load_n(&net_kick, __ATOMIC_ACQUIRE), NET_TICK_NS);
		__atomic_store_n(&net_kick, false, __ATOMIC_RELEASE);
		struct sk_buff *skb;
		while ((skb = skb_dequeue(&backlog)))
			netif_receive(skb);
		net_poll_devices();
		uint64_t now = clock_monotonic_ns();
		if (now >= next_tick) {
			arp_tick(now);
			ip_tick(now);
			next_tick = now + NET_TICK_NS;
		}
	}
}

void net_init(void)
{
	skb_queue_init(&backlog);
	waitqueue_init(&net_wq);
	net_thread = thread_create("netrx", net_thread_fn, NULL, NULL);
	if (!net_thread) {
		pr_err("net: cannot start the receive thread\n");
		return;
	}
	thread_detach(net_thread);
	loopback_init();
}

size_t net_format_proc_dev(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	sb_printf(&s, "Inter-|   Receive                                                |  Transmit\n");
	sb_printf(&s, " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n");
	uint64_t fl = spin_lock_irqsave(&netdev_list_lock);
	for (struct net_device *d = netdev_list; d; d = d->next) {
		const struct net_device_stats *st = &d->stats;
		sb_printf(&s, "%6s:%8llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu\n",
		    d->name, (unsigned long long)st->rx_bytes, (unsigned long long)st->rx_packets,
		    (unsigned long long)st->rx_errors, (unsigned long long)st->rx_dropped,
		    (unsigned long long)st->rx_fifo_errors, (unsigned long long)st->rx_frame_errors,
		    (unsigned long long)st->rx_compressed, (unsigned long long)st->multicast,
		    (unsigned long long)st->tx_bytes, (unsigned long long)st->tx_packets,
		    (unsigned long long)st->tx_errors, (unsigned long long)st->tx_dropped,
		    (unsigned long long)st->tx_fifo_errors, (unsigned long long)st->collisions,
		    (unsigned long long)st->tx_carrier_errors, (unsigned long long)st->tx_compressed);
	}
	spin_unlock_irqrestore(&netdev_list_lock, fl);
	return sb_done(&s);
}
