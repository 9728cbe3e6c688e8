/*
 * The driver model: buses own devices and drivers; a driver binds to a device when the bus's
 * match says so, whenever either appears (automatic probing). Devices form a tree through parent
 * links. Every change is recorded in a device event queue (for a uevent-like file later), and
 * listeners (devfs) hear of devices coming and going as it happens.
 */
#pragma once

#include "lib/types.h"

#define DEVICE_NAME_MAX 32

struct bus_type;
struct driver;

/* What a device is to the rest of the kernel: devfs makes /dev nodes for block and char ones. */
enum device_class { DEVICE_CLASS_NONE, DEVICE_CLASS_BLOCK, DEVICE_CLASS_CHAR, DEVICE_CLASS_NET };

struct device {
	char name[DEVICE_NAME_MAX]; /* unique on its bus, e.g. "0000:00:03.0" */
	struct bus_type *bus;
	struct device *parent;      /* NULL: child of the root */
	struct device *first_child, *next_sibling;
	struct device *bus_next;    /* the bus's device list */
	struct driver *driver;      /* bound driver, or NULL */
	void *driver_data;
	bool registered;
	enum device_class class;
	uint32_t devt;              /* a dev_t, MKDEV(major, minor), for block and char devices */
};

struct driver {
	const char *name;
	struct bus_type *bus;
	/* 0 binds the device; a negative errno leaves it unbound (the next driver may try). */
	int (*probe)(struct device *dev);
	void (*remove)(struct device *dev);
	struct driver *bus_next;
};

struct bus_type {
	const char *name;
	bool (*match)(struct device *dev, struct driver *drv);
	struct device *devices;
	struct driver *drivers;
	struct bus_type *next;
};

int bus_register(struct bus_type *bus);
/* Adds dev under dev->parent, then tries every driver of its bus. */
int device_register(struct device *dev);
/* Unregisters dev's children (deepest first), unbinds dev (driver remove), removes it. */
void device_unregister(struct device *dev);
/* Adds drv to its bus, then tries it on every unbound device of the bus. */
int driver_register(struct driver *drv);
/* Unbinds drv from every device, then removes it. */
void driver_unregister(struct driver *drv);

/* Walks the device tree depth-first (parents before children); stops when fn returns nonzero. */
int device_for_each(int (*fn)(struct device *dev, int depth, void *ctx), void *ctx);

enum device_event_type { DEVICE_ADDED, DEVICE_REMOVED, DEVICE_BOUND, DEVICE_UNBOUND };

struct device_event {
	uint64_t seq;
	enum device_event_type type;
	char device[DEVICE_NAME_MAX];
	char bus[16];
	char driver[DEVICE_NAME_MAX]; /* for BOUND/UNBOUND */
};

/* Reads the first event with seq >= *seq and advances *seq; false when none (oldest dropped). */
bool device_event_read(uint64_t *seq, struct device_event *out);

/*
 * A listener hears DEVICE_ADDED once a device is in the tree, before drivers probe it, and
 * DEVICE_REMOVED once its children are gone, before its driver's remove runs (as Linux removes
 * the /dev node before unbinding). Called without the driver model's lock, in the context of
 * whoever (un)registers the device, so it may sleep. Listeners are never removed.
 */
struct device_listener {
	void (*event)(struct device_listener *l, enum device_event_type type, struct device *dev);
	struct device_listener *next;
};
/*
 * Adds l, then replays DEVICE_ADDED for every device already registered. A device registering
 * meanwhile may be reported twice; listeners must take a second ADDED calmly.
 */
void device_listener_register(struct device_listener *l);
