/*
 * The virtio 1.x PCI transport ("modern" interface, virtio spec 4.1) and split virtqueues
 * (spec 2.7), shared by every virtio device driver (block, network...). Device drivers bind
 * to their PCI ids themselves and call into this layer; it knows nothing device-specific.
 *
 * Life of a device: virtio_pci_init (capabilities, reset, ACKNOWLEDGE|DRIVER) ->
 * virtio_negotiate (VIRTIO_F_VERSION_1 required, FEATURES_OK) -> the driver reads its config
 * -> virtio_setup_queues (rings, MSI-X vectors or INTx) -> virtio_driver_ok. Teardown:
 * virtio_teardown (reset, interrupts off, rings freed).
 */
#pragma once

#include "drivers/pci/pci.h"
#include "lib/spinlock.h"
#include "lib/types.h"

/* Device status bits (spec 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

/* Device-independent feature bits (spec 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_PCI_VENDOR 0x1af4
/* Modern PCI device ids are 0x1040 + the virtio device id; transitional ones 0x1000-0x103f. */
#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2

/* ---- split virtqueue layout (spec 2.7), little-endian ---- */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2 /* device writes (otherwise reads) the buffer */

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* queue size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;  /* head of the descriptor chain */
	uint32_t len; /* bytes written into the chain's device-writable buffers */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* queue size entries, then avail_event */
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq descriptors are 16 bytes");
_Static_assert(__builtin_offsetof(struct virtq_desc, len) == 8, "desc.len at 8");
_Static_assert(__builtin_offsetof(struct virtq_desc, next) == 14, "desc.next at 14");
_Static_assert(sizeof(struct virtq_avail) == 4, "avail header is 4 bytes");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used elements are 8 bytes");
_Static_assert(sizeof(struct virtq_used) == 4, "used header is 4 bytes");

struct virtqueue;
/* Called from the interrupt handler when the device has returned buffers on vq. */
typedef void (*virtq_callback_t)(struct virtqueue *vq, void *ctx);

struct virtqueue {
	struct virtio_dev *vdev;
	unsigned index;
	uint16_t size;               /* descriptors (a power of two) */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	void *ring_mem;              /* the pages holding the three parts */
	unsigned ring_order;
	uint16_t free_head, num_free;
	uint16_t last_used;          /* next used entry to consume */
	void **cookies;              /* per head descriptor: what the caller queued */
	volatile uint16_t *notify;   /* where writing the queue index kicks the device */
	virtq_callback_t callback;
	void *ctx;
	spinlock_t lock;             /* the ring and free list; taken with interrupts off */
};

/* One buffer of a request: physically contiguous, in the direct map. */
struct virtq_buf {
	paddr_t addr;
	uint32_t len;
	bool device_writes;
};

struct virtio_dev {
	struct pci_dev *pdev;
	volatile uint8_t *common;    /* struct virtio_pci_common_cfg (virtio_pci.c) */
	volatile uint8_t *notify_base;
	uint32_t notify_mult;
	volatile uint8_t *isr;
	volatile uint8_t *device_cfg;
	uint32_t device_cfg_len;
	uint64_t features;           /* negotiated */
	struct virtqueue *queues;
	unsigned nqueues;
	bool msix, intx;
	void (*config_changed)(struct virtio_dev *vd, void *ctx);
	void *ctx;
	char name[24];               /* for the interrupt names */
};

/* Maps the capabilities, resets the device and sets ACKNOWLEDGE|DRIVER: 0 or -errno. */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pdev, const char *name);
/*
 * Offers wanted & what the device has, plus VIRTIO_F_VERSION_1 (required: -ENODEV without
 * it); sets FEATURES_OK and checks the device kept it. vd->features holds the result.
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);
/* What the device offers (before negotiating: for features that only go together). */
uint64_t virtio_device_features(struct virtio_dev *vd);
static inline bool virtio_has(const struct virtio_dev *vd, unsigned bit)
{
	return (vd->features >> bit) & 1;
}
/* Device config space accesses, checked against its length (out of range reads 0). */
uint8_t virtio_cfg_read8(struct virtio_dev *vd, unsigned off);
uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off);
/* A 64-bit field read consistently (config_generation unchanged around it). */
uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off);
/*
 * Sets up n queues (at most max_size descriptors each), callbacks[i] for queue i, and their
 * interrupts: MSI-X with one vector for config changes and one per queue when the device
 * offers enough, else the INTx line with the ISR register. 0 or -errno.
 */
int virtio_setup_queues(struct virtio_dev *vd, unsigned n, uint16_t max_size,
			const virtq_callback_t *callbacks, void *ctx);
void virtio_driver_ok(struct virtio_dev *vd);
/* Resets the device (it stops using the rings), frees interrupts and rings. */
void virtio_teardown(struct virtio_dev *vd);
/*
 * For a device that stopped answering: a reset (spec 2.4) and the initialisation again (spec
 * 3.1.1) with the features, rings and interrupts it had. Every ring starts empty: what was
 * queued is forgotten (its cookies dropped), so the driver fails those requests itself; it
 * must queue nothing meanwhile. 0, or -errno when the device did not come back.
 */
int virtio_reset_reinit(struct virtio_dev *vd);

/*
 * Queues one chain: nout buffers the device reads, then nin it writes (bufs in that order).
 * -ENOSPC when fewer than nout+nin descriptors are free. Call with interrupts on or off; the
 * queue's lock is taken inside. virtq_kick tells the device.
 */
int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, unsigned n, void *cookie);
void virtq_kick(struct virtqueue *vq);
/* The next completed chain's cookie (its descriptors freed) and written length; NULL if none. */
void *virtq_get_used(struct virtqueue *vq, uint32_t *len);
unsigned virtq_free_count(struct virtqueue *vq);
/* Empties vq (every descriptor free, both rings at index 0, no cookies) for a reset device. */
void virtq_reset(struct virtqueue *vq);

/* Direct-map (or kernel image) address to the physical address a device uses. */
paddr_t virtio_virt_to_phys(const void *va);
