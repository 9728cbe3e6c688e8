/*
 * The driver model: buses with their devices and drivers, binding by the bus's match whenever
 * either side appears, the device tree, and the event queue devfs/uevent readers follow.
 *
 * Locking. dm_lock (a plain spinlock: interrupts stay as they are) guards the bus lists, the
 * tree links, each device's driver pointer and the event ring. It is never held across a
 * driver's probe or remove, so those may register and unregister devices themselves and may
 * run with interrupts enabled. A device is claimed for probing by setting dev->driver under
 * the lock before probe runs (cleared again when probe fails), so two registrations never
 * probe one device at once. Until a scheduler brings sleeping locks, registration happens at
 * boot and from deferred work (lib/work.h), never from an interrupt handler; device_for_each
 * holds the lock while it calls fn, which must therefore not call back into this file.
 * Listeners are called without the lock; the list only grows, published with a release store.
 */
#include "drivers/base/device.h"

#include "console/console.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define EVENT_RING_SIZE 256 /* events kept; older ones are dropped (readers skip ahead) */

static spinlock_t dm_lock = SPINLOCK_INIT;
static struct bus_type *buses;
static struct device root; /* its children are the devices without a parent */

static struct device_listener *listeners;
static struct device_event events[EVENT_RING_SIZE];
static uint64_t next_seq; /* sequence number of the next event; event s is events[s % SIZE] */

static void post_event(enum device_event_type type, const struct device *dev, const struct driver *drv)
{
	struct device_event *e = &events[next_seq % EVENT_RING_SIZE];
	memset(e, 0, sizeof(*e));
	e->seq = next_seq++;
	e->type = type;
	strlcpy(e->device, dev->name, sizeof(e->device));
	strlcpy(e->bus, dev->bus->name, sizeof(e->bus));
	if (drv && drv->name)
		strlcpy(e->driver, drv->name, sizeof(e->driver));
}

bool device_event_read(uint64_t *seq, struct device_event *out)
{
	spin_lock(&dm_lock);
	uint64_t oldest = next_seq > EVENT_RING_SIZE ? next_seq - EVENT_RING_SIZE : 0;
	if (*seq < oldest)
		*seq = oldest;
	bool ok = *seq < next_seq;
	if (ok) {
		*out = events[*seq % EVENT_RING_SIZE];
		(*seq)++;
	}
	spin_unlock(&dm_lock);
	return ok;
}

static void notify(enum device_event_type type, struct device *dev)
{
	for (struct device_listener *l = __atomic_load_n(&listeners, __ATOMIC_ACQUIRE); l; l = l->next)
		l->event(l, type, dev);
}

static bool bus_known(const struct bus_type *bus)
{
	for (struct bus_type *b = buses; b; b = b->next)
		if (b == bus)
			return true;
	return false;
}

int bus_register(struct bus_type *bus)
{
	if (!bus || !bus->name)
		return -EINVAL;
	int err = 0;
	spin_lock(&dm_lock);
	for (struct bus_type *b = buses; b; b = b->next)
		if (b == bus || strcmp(b->name, bus->name) == 0)
			err = -EEXIST;
	if (!err) {
		bus->next = buses;
		buses = bus;
	}
	spin_unlock(&dm_lock);
	return err;
}

/* ---- binding ---- */

/* Probes drv on dev unless dev is taken; true when drv bound it. */
static bool try_bind(struct device *dev, struct driver *drv)
{
	spin_lock(&dm_lock);
	if (dev->driver || !dev->registered) {
		spin_unlock(&dm_lock);
		return false;
	}
	dev->driver = drv; /* the claim: nobody else probes dev meanwhile */
	spin_unlock(&dm_lock);

	int err = drv->probe ? drv->probe(dev) : 0;

	spin_lock(&dm_lock);
	if (err == 0) {
		post_event(DEVICE_BOUND, dev, drv);
	} else {
		dev->driver = NULL;
		dev->driver_data = NULL;
	}
	spin_unlock(&dm_lock);
	if (err && err != -ENODEV)
		pr_warn("%s %s: driver %s failed to probe (%d)\n", dev->bus->name, dev->name, drv->name, err);
	return err == 0;
}

/* The n-th driver of bus (list order = registration order), or NULL. */
static struct driver *nth_driver(struct bus_type *bus, size_t n)
{
	struct driver *d = bus->drivers;
	while (d && n--)
		d = d->bus_next;
	return d;
}

static struct device *nth_device(struct bus_type *bus, size_t n)
{
	struct device *d = bus->devices;
	while (d && n--)
		d = d->bus_next;
	return d;
}

/*
 * Tries the bus's drivers on dev in registration order. Walks by position, taking the lock
 * for each step, because a probe may change the lists.
 */
static void device_attach(struct device *dev)
{
	struct bus_type *bus = dev->bus;
	for (size_t i = 0;; i++) {
		spin_lock(&dm_lock);
		struct driver *drv = dev->registered && !dev->driver ? nth_driver(bus, i) : NULL;
		spin_unlock(&dm_lock);
		if (!drv)
			return;
		if ((!bus->match || bus->match(dev, drv)) && try_bind(dev, drv))
			return;
	}
}

/* Runs the bound driver's remove and records the unbinding. */
static void device_release_driver(struct device *dev)
{
	spin_lock(&dm_lock);
	struct driver *drv = dev->driver;
	spin_unlock(&dm_lock);
	if (!drv)
		return;
	if (drv->remove)
		drv->remove(dev);
	spin_lock(&dm_lock);
	dev->driver = NULL;
	dev->driver_data = NULL;
	post_event(DEVICE_UNBOUND, dev, drv);
	spin_unlock(&dm_lock);
}

/* ---- devices ---- */

static bool name_taken(const struct bus_type *bus, const char *name)
{
	for (struct device *d = bus->devices; d; d = d->bus_next)
		if (strcmp(d->name, name) == 0)
			return true;
	return false;
}

int device_register(struct device *dev)
{
	if (!dev || !dev->bus || !dev->name[0])
		return -EINVAL;
	int err = 0;
	spin_lock(&dm_lock);
	if (!bus_known(dev->bus))
		err = -ENODEV;
	else if (dev->registered || name_taken(dev->bus, dev->name))
		err = -EEXIST;
	else if (dev->parent && !dev->parent->registered)
		err = -EINVAL;
	if (err) {
		spin_unlock(&dm_lock);
		return err;
	}
	dev->first_child = dev->next_sibling = dev->bus_next = NULL;
	dev->driver = NULL;
	/* Appended at the tails: listings come out in registration order. */
	struct device **p = &dev->bus->devices;
	while (*p)
		p = &(*p)->bus_next;
	*p = dev;
	struct device *parent = dev->parent ? dev->parent : &root;
	p = &parent->first_child;
	while (*p)
		p = &(*p)->next_sibling;
	*p = dev;
	dev->registered = true;
	post_event(DEVICE_ADDED, dev, NULL);
	spin_unlock(&dm_lock);

	notify(DEVICE_ADDED, dev);
	device_attach(dev);
	return 0;
}

void device_unregister(struct device *dev)
{
	if (!dev || !dev->registered)
		return;
	/* Children first; each takes its own subtree with it, deepest devices first. */
	for (;;) {
		spin_lock(&dm_lock);
		struct device *child = dev->first_child;
		spin_unlock(&dm_lock);
		if (!child)
			break;
		device_unregister(child);
	}
	notify(DEVICE_REMOVED, dev);
	device_release_driver(dev);

	spin_lock(&dm_lock);
	for (struct device **p = &dev->bus->devices; *p; p = &(*p)->bus_next)
		if (*p == dev) {
			*p = dev->bus_next;
			break;
		}
	struct device *parent = dev->parent ? dev->parent : &root;
	for (struct device **p = &parent->first_child; *p; p = &(*p)->next_sibling)
		if (*p == dev) {
			*p = dev->next_sibling;
			break;
		}
	dev->bus_next = dev->next_sibling = NULL;
	dev->registered = false;
	post_event(DEVICE_REMOVED, dev, NULL);
	spin_unlock(&dm_lock);
}

/* The n-th bus (newest first), or NULL. */
static struct bus_type *nth_bus(size_t n)
{
	struct bus_type *b = buses;
	while (b && n--)
		b = b->next;
	return b;
}

void device_listener_register(struct device_listener *l)
{
	spin_lock(&dm_lock);
	for (struct device_listener *o = listeners; o; o = o->next) {
		if (o == l) { /* twice would make the list a cycle */
			spin_unlock(&dm_lock);
			return;
		}
	}
	l->next = listeners;
	__atomic_store_n(&listeners, l, __ATOMIC_RELEASE);
	spin_unlock(&dm_lock);
	/* By position, the lock dropped around each call (as driver_register walks devices). */
	for (size_t b = 0;; b++) {
		spin_lock(&dm_lock);
		struct bus_type *bus = nth_bus(b);
		spin_unlock(&dm_lock);
		if (!bus)
			return;
		for (size_t i = 0;; i++) {
			spin_lock(&dm_lock);
			struct device *dev = nth_device(bus, i);
			spin_unlock(&dm_lock);
			if (!dev)
				break;
			l->event(l, DEVICE_ADDED, dev);
		}
	}
}

/* ---- drivers ---- */

int driver_register(struct driver *drv)
{
	if (!drv || !drv->bus || !drv->name)
		return -EINVAL;
	int err = 0;
	spin_lock(&dm_lock);
	if (!bus_known(drv->bus))
		err = -ENODEV;
	for (struct driver *d = drv->bus->drivers; d && !err; d = d->bus_next)
		if (d == drv || strcmp(d->name, drv->name) == 0)
			err = -EEXIST;
	if (!err) {
		drv->bus_next = NULL;
		struct driver **p = &drv->bus->drivers;
		while (*p)
			p = &(*p)->bus_next;
		*p = drv;
	}
	spin_unlock(&dm_lock);
	if (err)
		return err;

	struct bus_type *bus = drv->bus;
	for (size_t i = 0;; i++) {
		spin_lock(&dm_lock);
		struct device *dev = nth_device(bus, i);
		bool free = dev && !dev->driver;
		spin_unlock(&dm_lock);
		if (!dev)
			break;
		if (free && (!bus->match || bus->match(dev, drv)))
			try_bind(dev, drv);
	}
	return 0;
}

void driver_unregister(struct driver *drv)
{
	if (!drv || !drv->bus)
		return;
	/* Off the list first, so that no device appearing meanwhile binds to it. */
	bool found = false;
	spin_lock(&dm_lock);
	for (struct driver **p = &drv->bus->drivers; *p; p = &(*p)->bus_next)
		if (*p == drv) {
			*p = drv->bus_next;
			found = true;
			break;
		}
	spin_unlock(&dm_lock);
	if (!found)
		return;
	for (;;) {
		spin_lock(&dm_lock);
		struct device *dev = drv->bus->devices;
		while (dev && dev->driver != drv)
			dev = dev->bus_next;
		spin_unlock(&dm_lock);
		if (!dev)
			break;
		device_release_driver(dev);
	}
	drv->bus_next = NULL;
}

/* ---- the tree ---- */

static int walk(struct device *dev, int depth, int (*fn)(struct device *, int, void *), void *ctx)
{
	for (; dev; dev = dev->next_sibling) {
		int r = fn(dev, depth, ctx);
		if (!r)
			r = walk(dev->first_child, depth + 1, fn, ctx);
		if (r)
			return r;
	}
	return 0;
}

int device_for_each(int (*fn)(struct device *dev, int depth, void *ctx), void *ctx)
{
	spin_lock(&dm_lock);
	int r = walk(root.first_child, 0, fn, ctx);
	spin_unlock(&dm_lock);
	return r;
}
