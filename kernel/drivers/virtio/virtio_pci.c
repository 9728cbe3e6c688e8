/*
 * The virtio PCI modern transport (virtio 1.x spec 4.1): vendor capabilities locate the common,
 * notify, ISR and device configuration structures inside BARs; feature negotiation; queue
 * set-up through the common configuration; MSI-X vectors or the INTx line.
 */
#include "drivers/virtio/virtio.h"

#include "arch/x86_64/memlayout.h"
#include "console/console.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"

/* The vendor-specific capability that locates a structure (spec 4.1.4). */
struct virtio_pci_cap {
	uint8_t cap_vndr;   /* PCI_CAP_ID_VNDR */
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;   /* VIRTIO_PCI_CAP_* */
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;    /* within the BAR */
	uint32_t length;
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap is 16 bytes");
#define VIRTIO_PCI_NOTIFY_MULT_OFF 16 /* notify_off_multiplier follows the notify capability */

#define PCI_CAP_ID_VNDR 0x09
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* The common configuration structure (spec 4.1.4.3). */
struct virtio_pci_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature;
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t config_msix_vector;
	uint16_t num_queues;
	uint8_t device_status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off;
	uint64_t queue_desc;
	uint64_t queue_driver;
	uint64_t queue_device;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 56, "common cfg is 56 bytes");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, config_msix_vector) == 16, "msix at 16");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, device_status) == 20, "status at 20");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, queue_select) == 22, "queue_select at 22");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, queue_enable) == 28, "queue_enable at 28");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, queue_desc) == 32, "queue_desc at 32");
_Static_assert(__builtin_offsetof(struct virtio_pci_common_cfg, queue_device) == 48, "queue_device at 48");

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2

#define CC(f) __builtin_offsetof(struct virtio_pci_common_cfg, f)

static uint8_t cc_read8(struct virtio_dev *vd, unsigned off) { return *(volatile uint8_t *)(vd->common + off); }
static uint16_t cc_read16(struct virtio_dev *vd, unsigned off) { return *(volatile uint16_t *)(vd->common + off); }
static uint32_t cc_read32(struct virtio_dev *vd, unsigned off) { return *(volatile uint32_t *)(vd->common + off); }
static void cc_write8(struct virtio_dev *vd, unsigned off, uint8_t v) { *(volatile uint8_t *)(vd->common + off) = v; }
static void cc_write16(struct virtio_dev *vd, unsigned off, uint16_t v) { *(volatile uint16_t *)(vd->common + off) = v; }
static void cc_write32(struct virtio_dev *vd, unsigned off, uint32_t v) { *(volatile uint32_t *)(vd->common + off) = v; }
/* 64-bit fields are written as two 32-bit halves, low first (spec 4.1.3.1 allows it). */
static void cc_write64(struct virtio_dev *vd, unsigned off, uint64_t v)
{
	cc_write32(vd, off, (uint32_t)v);
	cc_write32(vd, off + 4, (uint32_t)(v >> 32));
}

paddr_t virtio_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

/* The structure a capability points at, mapped uncached; NULL if it lies outside its BAR. */
static volatile uint8_t *map_cap(struct pci_dev *d, uint8_t bar, uint32_t off, uint32_t len)
{
	if (bar > 5 || !d->bars[bar].base || d->bars[bar].io || !len)
		return NULL;
	if ((uint64_t)off + len > d->bars[bar].size)
		return NULL;
	return ioremap(d->bars[bar].base + off, len, VM_CACHE_UC);
}

/*
 * Resets the device (spec 2.4: writing 0 to device_status; it is done when the status reads 0
 * again, after which it no longer touches the rings) and says ACKNOWLEDGE|DRIVER, the first
 * steps of initialisation (spec 3.1.1).
 */
static int device_reset(struct virtio_dev *vd)
{
	cc_write8(vd, CC(device_status), 0);
	for (int i = 0; cc_read8(vd, CC(device_status)) != 0; i++) {
		if (i > 100000)
			return -EIO;
		__builtin_ia32_pause();
	}
	cc_write8(vd, CC(device_status), VIRTIO_STATUS_ACKNOWLEDGE);
	cc_write8(vd, CC(device_status), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	return 0;
}

int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pdev, const char *name)
{
	memset(vd, 0, sizeof(*vd));
	vd->pdev = pdev;
	strlcpy(vd->name, name, sizeof(vd->name));
	uint32_t common_len = 0, isr_len = 0, notify_len = 0;

	/* Walk the classic list by hand: there may be several vendor capabilities (spec 4.1.4:
	 * the first of each type the driver can use wins). 48 steps bound a looping list. */
	uint8_t pos = pci_read8(pdev, 0x34) & 0xfc;
	for (int guard = 0; pos >= 0x40 && guard < 48; guard++) {
		uint8_t id = pci_read8(pdev, pos);
		if (id == PCI_CAP_ID_VNDR && pci_read8(pdev, pos + 2) >= sizeof(struct virtio_pci_cap)) {
			uint8_t type = pci_read8(pdev, pos + 3);
			uint8_t bar = pci_read8(pdev, pos + 4);
			uint32_t off = pci_read32(pdev, pos + 8);
			uint32_t len = pci_read32(pdev, pos + 12);
			switch (type) {
			case VIRTIO_PCI_CAP_COMMON_CFG:
				if (!vd->common && len >= sizeof(struct virtio_pci_common_cfg)) {
					vd->common = map_cap(pdev, bar, off, len);
					common_len = len;
				}
				break;
			case VIRTIO_PCI_CAP_NOTIFY_CFG:
				if (!vd->notify_base && len >= 2) {
					vd->notify_base = map_cap(pdev, bar, off, len);
					vd->notify_mult = pci_read32(pdev, pos + VIRTIO_PCI_NOTIFY_MULT_OFF);
					notify_len = len;
				}
				break;
			case VIRTIO_PCI_CAP_ISR_CFG:
				if (!vd->isr && len >= 1) {
					vd->isr = map_cap(pdev, bar, off, len);
					isr_len = len;
				}
				break;
			case VIRTIO_PCI_CAP_DEVICE_CFG:
				if (!vd->device_cfg) {
					vd->device_cfg = map_cap(pdev, bar, off, len);
					vd->device_cfg_len = vd->device_cfg ? len : 0;
				}
				break;
			}
		}
		pos = pci_read8(pdev, pos + 1) & 0xfc;
	}
	(void)common_len;
	(void)isr_len;
	if (!vd->common || !vd->notify_base || !vd->isr) {
		pr_warn("virtio: %s: no usable modern capabilities (legacy-only device?)\n", pdev->dev.name);
		return -ENODEV;
	}
	vd->device_cfg_len = vd->device_cfg ? vd->device_cfg_len : 0;
	(void)notify_len;
	pci_enable_device(pdev, true);

	return device_reset(vd);
}

static void set_status(struct virtio_dev *vd, uint8_t bits)
{
	cc_write8(vd, CC(device_status), cc_read8(vd, CC(device_status)) | bits);
}

/* Accepts features and sets FEATURES_OK; -ENODEV (and FAILED) if the device refuses them. */
static int write_features(struct virtio_dev *vd, uint64_t take)
{
	cc_write32(vd, CC(driver_feature_select), 0);
	cc_write32(vd, CC(driver_feature), (uint32_t)take);
	cc_write32(vd, CC(driver_feature_select), 1);
	cc_write32(vd, CC(driver_feature), (uint32_t)(take >> 32));
	set_status(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(cc_read8(vd, CC(device_status)) & VIRTIO_STATUS_FEATURES_OK)) {
		set_status(vd, VIRTIO_STATUS_FAILED);
		return -ENODEV;
	}
	return 0;
}

uint64_t virtio_device_features(struct virtio_dev *vd)
{
	cc_write32(vd, CC(device_feature_select), 0);
	uint64_t offered = cc_read32(vd, CC(device_feature));
	cc_write32(vd, CC(device_feature_select), 1);
	offered |= (uint64_t)cc_read32(vd, CC(device_feature)) << 32;
	return offered;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered = virtio_device_features(vd);
	if (!((offered >> VIRTIO_F_VERSION_1) & 1)) {
		set_status(vd, VIRTIO_STATUS_FAILED);
		return -ENODEV;
	}
	uint64_t take = (offered & wanted) | (1ull << VIRTIO_F_VERSION_1);
	int err = write_features(vd, take);
	if (!err)
		vd->features = take;
	return err;
}

uint8_t virtio_cfg_read8(struct virtio_dev *vd, unsigned off)
{
	if (off + 1 > vd->device_cfg_len)
		return 0;
	return vd->device_cfg[off];
}

uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off)
{
	if (off + 4 > vd->device_cfg_len)
		return 0;
	return *(volatile uint32_t *)(vd->device_cfg + off);
}

uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off)
{
	if (off + 8 > vd->device_cfg_len)
		return 0;
	uint8_t gen;
	uint64_t v;
	do {
		gen = cc_read8(vd, CC(config_generation));
		v = *(volatile uint32_t *)(vd->device_cfg + off);
		v |= (uint64_t)*(volatile uint32_t *)(vd->device_cfg + off + 4) << 32;
	} while (gen != cc_read8(vd, CC(config_generation)));
	return v;
}

/* ---- interrupts ---- */

static enum irq_return vq_irq(void *ctx)
{
	struct virtqueue *vq = ctx;
	if (vq->callback)
		vq->callback(vq, vq->ctx);
	return IRQ_HANDLED;
}

static enum irq_return config_irq(void *ctx)
{
	struct virtio_dev *vd = ctx;
	if (vd->config_changed)
		vd->config_changed(vd, vd->ctx);
	return IRQ_HANDLED;
}

/* INTx: reading the ISR register says why and lowers the line. */
static enum irq_return intx_irq(void *ctx)
{
	struct virtio_dev *vd = ctx;
	uint8_t isr = *vd->isr;
	if (!isr)
		return IRQ_NONE; /* a shared line: someone else's */
	if (isr & VIRTIO_ISR_QUEUE)
		for (unsigned i = 0; i < vd->nqueues; i++)
			vq_irq(&vd->queues[i]);
	if (isr & VIRTIO_ISR_CONFIG)
		config_irq(vd);
	return IRQ_HANDLED;
}

/* Tells the device vector 0 for configuration changes, 1 + i for queue i; false if refused. */
static bool map_msix_vectors(struct virtio_dev *vd)
{
	cc_write16(vd, CC(config_msix_vector), 0);
	bool ok = cc_read16(vd, CC(config_msix_vector)) == 0;
	for (unsigned i = 0; ok && i < vd->nqueues; i++) {
		cc_write16(vd, CC(queue_select), (uint16_t)i);
		cc_write16(vd, CC(queue_msix_vector), (uint16_t)(i + 1));
		ok = cc_read16(vd, CC(queue_msix_vector)) == i + 1;
	}
	return ok;
}

/* INTx: no vectors, the ISR register says what happened. */
static void unmap_msix_vectors(struct virtio_dev *vd)
{
	cc_write16(vd, CC(config_msix_vector), VIRTIO_MSI_NO_VECTOR);
	for (unsigned i = 0; i < vd->nqueues; i++) {
		cc_write16(vd, CC(queue_select), (uint16_t)i);
		cc_write16(vd, CC(queue_msix_vector), VIRTIO_MSI_NO_VECTOR);
	}
}

/* MSI-X: vector 0 for configuration changes, 1 + i for queue i. */
static int setup_msix(struct virtio_dev *vd)
{
	unsigned nvec = vd->nqueues + 1;
	if (!vd->pdev->msix_cap || nvec > 16)
		return -ENOTSUP;
	irq_handler_t fns[17] = { 0 };
	void *ctxs[17] = { 0 };
	fns[0] = config_irq;
	ctxs[0] = vd;
	for (unsigned i = 0; i < vd->nqueues; i++) {
		fns[i + 1] = vq_irq;
		ctxs[i + 1] = &vd->queues[i];
	}
	int got = pci_enable_msix(vd->pdev, nvec, fns, ctxs, vd->name);
	if (got < 0)
		return got;
	if ((unsigned)got < nvec) {
		pci_disable_msi(vd->pdev);
		return -ENOSPC;
	}
	/* The device may refuse a vector (reads back NO_VECTOR): then fall back. */
	if (!map_msix_vectors(vd)) {
		pci_disable_msi(vd->pdev);
		return -EIO;
	}
	vd->msix = true;
	return 0;
}

static int setup_intx(struct virtio_dev *vd)
{
	unmap_msix_vectors(vd);
	int err = pci_request_intx(vd->pdev, intx_irq, vd, vd->name);
	if (err == 0)
		vd->intx = true;
	return err;
}

/* ---- queues ---- */

static void free_queue(struct virtqueue *vq)
{
	if (vq->ring_mem)
		pmm_free_virt(vq->ring_mem, vq->ring_order);
	kfree(vq->cookies);
	vq->ring_mem = NULL;
	vq->cookies = NULL;
}

/* Gives the device queue vq's size and the addresses of its three parts. */
static void program_queue(struct virtio_dev *vd, struct virtqueue *vq)
{
	cc_write16(vd, CC(queue_select), (uint16_t)vq->index);
	cc_write16(vd, CC(queue_size), vq->size);
	cc_write64(vd, CC(queue_desc), virtio_virt_to_phys(vq->desc));
	cc_write64(vd, CC(queue_driver), virtio_virt_to_phys(vq->avail));
	cc_write64(vd, CC(queue_device), virtio_virt_to_phys(vq->used));
}

static int setup_queue(struct virtio_dev *vd, unsigned i, uint16_t max_size)
{
	struct virtqueue *vq = &vd->queues[i];
	cc_write16(vd, CC(queue_select), (uint16_t)i);
	uint16_t size = cc_read16(vd, CC(queue_size));
	if (!size)
		return -ENOENT;
	if (size > max_size)
		size = max_size;
	/* Split queues need a power-of-two size (spec 2.7). */
	while (size & (size - 1))
		size &= (uint16_t)(size - 1);
	vq->vdev = vd;
	vq->index = i;
	vq->size = size;
	vq->lock = (spinlock_t)SPINLOCK_INIT;

	/* Descriptors (16-byte aligned), then the avail ring, then the used ring at 4 KiB. */
	size_t desc_bytes = 16u * size, avail_bytes = 6u + 2u * size;
	size_t used_off = ALIGN_UP(desc_bytes + avail_bytes, (size_t)PAGE_SIZE);
	size_t total = used_off + ALIGN_UP(6u + 8u * size, (size_t)PAGE_SIZE);
	unsigned order = 0;
	while (((size_t)PAGE_SIZE << order) < total)
		order++;
	vq->ring_mem = pmm_alloc_virt(order, GFP_ZERO);
	vq->cookies = kzalloc(sizeof(void *) * size);
	if (!vq->ring_mem || !vq->cookies) {
		free_queue(vq);
		return -ENOMEM;
	}
	vq->ring_order = order;
	vq->desc = vq->ring_mem;
	vq->avail = (struct virtq_avail *)((uint8_t *)vq->ring_mem + desc_bytes);
	vq->used = (struct virtq_used *)((uint8_t *)vq->ring_mem + used_off);
	for (uint16_t d = 0; d < size; d++)
		vq->desc[d].next = (uint16_t)(d + 1);
	vq->free_head = 0;
	vq->num_free = size;
	vq->last_used = 0;

	uint16_t notify_off = cc_read16(vd, CC(queue_notify_off));
	vq->notify = (volatile uint16_t *)(vd->notify_base + (uint64_t)notify_off * vd->notify_mult);
	program_queue(vd, vq);
	return 0;
}

static void enable_queues(struct virtio_dev *vd)
{
	for (unsigned i = 0; i < vd->nqueues; i++) {
		cc_write16(vd, CC(queue_select), (uint16_t)i);
		cc_write16(vd, CC(queue_enable), 1);
	}
}

int virtio_setup_queues(struct virtio_dev *vd, unsigned n, uint16_t max_size,
			const virtq_callback_t *callbacks, void *ctx)
{
	if (!n || n > cc_read16(vd, CC(num_queues)))
		return -ENOENT;
	vd->queues = kzalloc(sizeof(struct virtqueue) * n);
	if (!vd->queues)
		return -ENOMEM;
	vd->nqueues = n;
	vd->ctx = ctx;
	int err = 0;
	for (unsigned i = 0; i < n && !err; i++) {
		err = setup_queue(vd, i, max_size);
		vd->queues[i].callback = callbacks[i];
		vd->queues[i].ctx = ctx;
	}
	if (!err && setup_msix(vd) < 0)
		err = setup_intx(vd);
	if (!err) {
		enable_queues(vd);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		free_queue(&vd->queues[i]);
	kfree(vd->queues);
	vd->queues = NULL;
	vd->nqueues = 0;
	return err;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	set_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

int virtio_reset_reinit(struct virtio_dev *vd)
{
	if (!vd->queues)
		return -ENODEV;
	int err = device_reset(vd);
	if (!err)
		err = write_features(vd, vd->features);
	if (err) {
		pr_warn("virtio: %s: did not come back from a reset (%d)\n", vd->name, err);
		return err;
	}
	/* A reset forgets the rings and the MSI-X vector mapping (QEMU sets NO_VECTOR): give both. */
	for (unsigned i = 0; i < vd->nqueues; i++) {
		virtq_reset(&vd->queues[i]);
		program_queue(vd, &vd->queues[i]);
	}
	if (vd->msix && !map_msix_vectors(vd)) {
		set_status(vd, VIRTIO_STATUS_FAILED);
		return -EIO;
	}
	if (vd->intx)
		unmap_msix_vectors(vd);
	enable_queues(vd);
	virtio_driver_ok(vd);
	return 0;
}

void virtio_teardown(struct virtio_dev *vd)
{
	/* After the reset the device no longer touches the rings, so they can go. */
	if (vd->common) {
		cc_write8(vd, CC(device_status), 0);
		for (int i = 0; i < 100000 && cc_read8(vd, CC(device_status)) != 0; i++)
			__builtin_ia32_pause();
	}
	if (vd->msix)
		pci_disable_msi(vd->pdev);
	if (vd->intx)
		pci_free_intx(vd->pdev, vd);
	vd->msix = vd->intx = false;
	for (unsigned i = 0; i < vd->nqueues; i++)
		free_queue(&vd->queues[i]);
	kfree(vd->queues);
	vd->queues = NULL;
	vd->nqueues = 0;
}
