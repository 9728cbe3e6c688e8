/*
 * virtio-net (virtio 1.x spec 5.1) over the virtio PCI transport: queue 0 receives, queue 1
 * transmits; no control queue, no merged receive buffers. Every received frame fits one 2 KiB
 * buffer holding the 12-byte header and the frame (VERSION_1 lets header and data share a
 * descriptor) and is copied out, so receive buffers are the driver's forever and go straight
 * back on the ring. Transmit is zero-copy: the header goes into the packet buffer's headroom
 * and the buffer itself is the descriptor, kept until the device hands it back.
 *
 * Offloads (unless virtio_net.offload=0): VIRTIO_NET_F_CSUM (the device finishes partial
 * TCP/UDP checksums: NETIF_F_IP_CSUM), HOST_TSO4 (it cuts TCP segments of up to 64 KiB:
 * NETIF_F_TSO) and GUEST_CSUM (it vouches for received checksums, DATA_VALID or NEEDS_CSUM,
 * and TCP/UDP skip summing). QEMU offers them only with a backend that takes the header
 * (tap), not on its user network.
 *
 * Interrupts (MSI-X when offered, INTx otherwise: the transport decides) only ask the net
 * thread to poll; receive processing, transmit reclaim and link changes happen in vnet_poll.
 * tx_lock guards the transmit slots and queue (xmit may be called from any thread); the
 * receive queue is touched only by the poll (and by probe before the device runs).
 *
 * Without VIRTIO_NET_F_CTRL_VQ the device filters nothing (QEMU's model starts promiscuous),
 * so a new MAC needs no device command: Ethernet input filters on dev->mac.
 */
#include "drivers/net/netdrivers.h"
#include "drivers/net/virtio_net_hw.h"
#include "drivers/virtio/virtio.h"

#include "console/console.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "net/net.h"
#include "time/clock.h"

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_NBUF 64       /* buffers per direction (and at most this many descriptors) */
#define VNET_BUF_ORDER 5   /* VNET_NBUF * VNET_BUF_SIZE bytes */
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
#define VNET_TX_WAIT_NS 2000000ull /* how long a sender waits for a transmit slot */
#define VNET_GSO_MAX (ETH_HLEN + 65535) /* a segmented frame: one whole IPv4 datagram */

struct vnet {
	struct virtio_dev vd;
	struct pci_dev *pdev;
	struct net_device *dev;
	uint8_t *rx_bufs;
	unsigned nrx, ntx;           /* buffers in use per direction (<= the queue sizes) */
	struct sk_buff *tx_skb[VNET_NBUF]; /* per transmit slot: the frame the device holds */
	uint8_t tx_free[VNET_NBUF];  /* a stack of free transmit slots */
	unsigned tx_nfree;
	spinlock_t tx_lock;
	bool config_pending;         /* the device said its configuration (link) changed */
	bool gone;                   /* removed: xmit must not touch the queues (under tx_lock) */
	unsigned rx_feats;           /* VNET_RX_F_*: what received headers may ask */
	bool seen_rx_csum, seen_rx_gso, seen_tso; /* the first use of each offload is logged */
	uint64_t irqs;
};

/* virtio_net.offload=0 asks for no offloads (the software paths, as with QEMU's user network). */
static bool vnet_offload = true;

static int param_offload(const char *val)
{
	if (!val || (strcmp(val, "0") && strcmp(val, "1")))
		return -EINVAL;
	vnet_offload = val[0] == '1';
	return 0;
}
KPARAM("virtio_net.offload", param_offload);

static bool vnet_link(struct vnet *vn)
{
	/* Without VIRTIO_NET_F_STATUS the link is assumed up (spec 5.1.4). */
	if (!virtio_has(&vn->vd, VIRTIO_NET_F_STATUS))
		return true;
	return virtio_cfg_read8(&vn->vd, VNET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

/* Interrupt context: note the work and let the net thread do it. */
static void vnet_queue_irq(struct virtqueue *vq, void *ctx)
{
	(void)vq;
	struct vnet *vn = ctx;
	__atomic_fetch_add(&vn->irqs, 1, __ATOMIC_RELAXED);
	netdev_schedule_poll(vn->dev);
}

static void vnet_config_irq(struct virtio_dev *vd, void *ctx)
{
	(void)vd;
	struct vnet *vn = ctx;
	__atomic_store_n(&vn->config_pending, true, __ATOMIC_RELEASE);
	netdev_schedule_poll(vn->dev);
}

static int vnet_post_rx(struct vnet *vn, uint8_t *buf)
{
	struct virtq_buf b = { virtio_virt_to_phys(buf), VNET_BUF_SIZE, true };
	return virtq_add(&vn->vd.queues[VNET_RXQ], &b, 1, buf);
}

/*
 * Takes back the transmit slots the device is done with; their frames are chained on *done
 * for the caller to free once it has dropped the lock. Called with tx_lock held.
 */
static void vnet_tx_reclaim(struct vnet *vn, struct sk_buff **done)
{
	struct sk_buff **cookie;
	while ((cookie = virtq_get_used(&vn->vd.queues[VNET_TXQ], NULL))) {
		size_t slot = (size_t)(cookie - vn->tx_skb);
		if (slot >= vn->ntx || !vn->tx_skb[slot] || vn->tx_nfree >= vn->ntx)
			continue; /* not a slot we queued: nothing of ours to take back */
		vn->tx_skb[slot]->next = *done;
		*done = vn->tx_skb[slot];
		vn->tx_skb[slot] = NULL;
		vn->tx_free[vn->tx_nfree++] = (uint8_t)slot;
	}
}

static void vnet_free_chain(struct sk_buff *skb)
{
	while (skb) {
		struct sk_buff *next = skb->next;
		skb_free(skb);
		skb = next;
	}
}

static void vnet_poll(struct net_device *dev)
{
	struct vnet *vn = dev->priv;
	if (__atomic_exchange_n(&vn->config_pending, false, __ATOMIC_ACQ_REL))
		netdev_set_link(dev, vnet_link(vn));
	struct virtqueue *rxq = &vn->vd.queues[VNET_RXQ];
	unsigned n = 0;
	uint8_t *buf;
	uint32_t used_len;
	while (n < vn->nrx && (buf = virtq_get_used(rxq, &used_len))) {
		n++;
		struct vnet_rx_info ri;
		struct sk_buff *skb = NULL;
		int err = vnet_rx_check((const struct virtio_net_hdr *)buf, used_len, VNET_BUF_SIZE, vn->rx_feats, &ri);
		if (!err) {
			/* Merged (MRG_RXBUF): the frame continues in the next buffers, data only. */
			size_t cap = ri.num_buffers == 1 ? ri.frame_len : (size_t)ri.num_buffers * VNET_BUF_SIZE;
			skb = skb_alloc(cap < VNET_RX_MAX ? cap : VNET_RX_MAX);
			if (skb)
				memcpy(skb_put(skb, ri.frame_len), buf + VNET_HDR_LEN, ri.frame_len);
		}
		/* Back on the ring at once (copied out): it is the only place the buffer can be. */
		if (vnet_post_rx(vn, buf))
			netdev_stat_add(&dev->stats.rx_fifo_errors, 1);
		unsigned nbufs = err ? 1 : ri.num_buffers;
		for (unsigned i = 1; i < nbufs; i++) {
			uint8_t *more = virtq_get_used(rxq, &used_len);
			if (!more) {
				err = -EINVAL; /* fewer buffers than the header said: QEMU returns them together */
				break;
			}
			n++;
			/* Too long for any frame: the rest of it is still taken off the ring. */
			if (!err && skb && (used_len > VNET_BUF_SIZE || used_len > skb_tailroom(skb)))
				err = -EINVAL;
			else if (!err && skb)
				memcpy(skb_put(skb, used_len), more, used_len);
			if (vnet_post_rx(vn, more))
				netdev_stat_add(&dev->stats.rx_fifo_errors, 1);
		}
		if (!err && skb)
			err = vnet_rx_check_total(&ri, skb->len);
		if (err) {
			netdev_stat_add(&dev->stats.rx_errors, 1);
			if (err == -EINVAL)
				netdev_stat_add(&dev->stats.rx_frame_errors, 1);
			skb_free(skb);
			continue;
		}
		if (!skb) {
			netdev_stat_add(&dev->stats.rx_dropped, 1);
			continue;
		}
		skb->dev = dev;
		if (ri.csum == VNET_RX_CSUM_VALID)
			skb->csum = SKB_CSUM_UNNECESSARY;
		else if (ri.csum == VNET_RX_CSUM_PARTIAL)
			skb_set_csum_partial(skb, skb->data + ri.csum_start, ri.csum_offset);
		if (ri.csum != VNET_RX_CSUM_NONE && !vn->seen_rx_csum) {
			vn->seen_rx_csum = true;
			pr_info("virtio-net: %s: first frame with a checksum the device vouched for (%s)\n", dev->name,
				ri.csum == VNET_RX_CSUM_VALID ? "DATA_VALID" : "NEEDS_CSUM");
		}
		if (ri.gso && !vn->seen_rx_gso) {
			vn->seen_rx_gso = true;
			pr_info("virtio-net: %s: first large TCP segment received: %zu bytes in %u buffers\n", dev->name,
				skb->len, ri.num_buffers);
		}
		netif_receive(skb);
	}
	if (n)
		virtq_kick(rxq);
	struct sk_buff *done = NULL;
	uint64_t fl = spin_lock_irqsave(&vn->tx_lock);
	vnet_tx_reclaim(vn, &done);
	spin_unlock_irqrestore(&vn->tx_lock, fl);
	vnet_free_chain(done);
	/* The budget ran out with more waiting: come back rather than starve the others. */
	if (n >= vn->nrx)
		netdev_schedule_poll(dev);
}

static int vnet_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct vnet *vn = dev->priv;
	size_t max = skb->gso_size ? VNET_GSO_MAX : ETH_HLEN + dev->mtu;
	if (skb->len > max || skb->len < ETH_HLEN) {
		netdev_stat_add(&dev->stats.tx_errors, 1);
		skb_free(skb);
		return -EMSGSIZE;
	}
	/* The header goes in front of the frame, in the headroom every layer leaves (a frame
	 * without room is copied into a buffer that has it). */
	if (skb_headroom(skb) < VNET_HDR_LEN) {
		struct sk_buff *c = skb_copy(skb);
		skb_free(skb);
		if (!c) {
			netdev_stat_add(&dev->stats.tx_dropped, 1);
			return -ENOBUFS;
		}
		skb = c;
	}
	struct virtio_net_hdr h;
	bool partial = skb->csum == SKB_CSUM_PARTIAL;
	size_t cstart = partial ? skb->csum_start - skb_headroom(skb) : 0;
	if (vnet_tx_hdr_build(&h, skb->data, skb->len, partial, cstart, skb->csum_offset, skb->gso_size)) {
		/* netdev_xmit only passes what the features allow: a frame that gets here
		 * inconsistent is a bug above, dropped rather than sent wrong. */
		netdev_stat_add(&dev->stats.tx_errors, 1);
		skb_free(skb);
		return -EINVAL;
	}
	if (skb->gso_size && !vn->seen_tso) {
		vn->seen_tso = true;
		pr_info("virtio-net: %s: first TSO frame: %zu bytes in segments of %u\n", dev->name, skb->len,
			skb->gso_size);
	}
	memcpy(skb_push(skb, VNET_HDR_LEN), &h, sizeof(h));

	struct sk_buff *done = NULL;
	uint64_t fl = spin_lock_irqsave(&vn->tx_lock);
	if (!vn->tx_nfree && !vn->gone)
		vnet_tx_reclaim(vn, &done);
	/*
	 * A full ring: QEMU drains the transmit queue asynchronously (unlike e1000, whose tail
	 * write sends at once), so a burst outruns it. There is no queue to stop and no qdisc to
	 * hold the frame, so wait a little for completions (lock dropped) before dropping it.
	 */
	uint64_t deadline = 0;
	while (!vn->tx_nfree && !vn->gone) {
		uint64_t now = clock_monotonic_ns();
		if (!deadline)
			deadline = now + VNET_TX_WAIT_NS;
		else if (now >= deadline)
			break;
		spin_unlock_irqrestore(&vn->tx_lock, fl);
		__builtin_ia32_pause();
		fl = spin_lock_irqsave(&vn->tx_lock);
		if (!vn->gone)
			vnet_tx_reclaim(vn, &done);
	}
	if (!vn->tx_nfree || vn->gone) {
		spin_unlock_irqrestore(&vn->tx_lock, fl);
		vnet_free_chain(done);
		netdev_stat_add(&dev->stats.tx_fifo_errors, 1);
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return -ENOBUFS;
	}
	unsigned slot = vn->tx_free[--vn->tx_nfree];
	/* Short frames go as they are, as Linux's virtio_net sends them: padding to 60 bytes is the
	 * business of whatever puts them on a wire (QEMU's backends and taps take runts). The
	 * packet buffer is one kmalloc block, physically contiguous in the direct map. */
	struct virtq_buf b = { virtio_virt_to_phys(skb->data), (uint32_t)skb->len, false };
	struct virtqueue *txq = &vn->vd.queues[VNET_TXQ];
	vn->tx_skb[slot] = skb;
	int err = virtq_add(txq, &b, 1, &vn->tx_skb[slot]);
	if (err) {
		vn->tx_skb[slot] = NULL; /* cannot happen: one slot, one descriptor */
		vn->tx_free[vn->tx_nfree++] = (uint8_t)slot;
	} else {
		virtq_kick(txq);
	}
	spin_unlock_irqrestore(&vn->tx_lock, fl);
	vnet_free_chain(done);
	if (err) {
		skb_free(skb);
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		return -ENOBUFS;
	}
	return 0;
}

static int vnet_open(struct net_device *dev)
{
	struct vnet *vn = dev->priv;
	netdev_set_link(dev, vnet_link(vn));
	return 0;
}

static int vnet_set_mac(struct net_device *dev, const uint8_t mac[ETH_ALEN])
{
	if (mac[0] & 1)
		return -EINVAL;
	memcpy(dev->mac, mac, ETH_ALEN);
	return 0;
}

static const struct net_device_ops vnet_ops = {
	.open = vnet_open,
	.xmit = vnet_xmit,
	.set_mac = vnet_set_mac,
	.poll = vnet_poll,
};

/* After the reset (or before the device ran): nothing holds the buffers any more. */
static void vnet_free(struct vnet *vn)
{
	if (vn->rx_bufs)
		pmm_free_virt(vn->rx_bufs, VNET_BUF_ORDER);
	for (unsigned i = 0; i < VNET_NBUF; i++)
		skb_free(vn->tx_skb[i]);
	kfree(vn);
}

static int vnet_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	_Static_assert(VNET_NBUF * VNET_BUF_SIZE == PAGE_SIZE << VNET_BUF_ORDER, "buffers: one block");
	_Static_assert(VNET_NBUF <= 256, "tx_free holds slot numbers in bytes");
	struct vnet *vn = kzalloc(sizeof(*vn));
	if (!vn)
		return -ENOMEM;
	vn->pdev = pdev;
	vn->tx_lock = (spinlock_t)SPINLOCK_INIT;
	vn->rx_bufs = pmm_alloc_virt(VNET_BUF_ORDER, GFP_ZERO);
	struct net_device *dev = netdev_alloc(&vnet_ops, vn);
	int err = -ENOMEM;
	if (!vn->rx_bufs || !dev)
		goto fail;
	vn->dev = dev;
	err = virtio_pci_init(&vn->vd, pdev, "virtio-net");
	if (err)
		goto fail;
	uint64_t want = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS);
	if (vnet_offload) {
		want |= (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4);
		/* Large received segments only with merged buffers (the 2 KiB ones chained) and
		 * checksum offload (spec 5.1.3.1: GUEST_TSO4 requires GUEST_CSUM). */
		uint64_t big = (1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			       (1ull << VIRTIO_NET_F_GUEST_CSUM);
		if ((virtio_device_features(&vn->vd) & big) == big)
			want |= big;
	}
	err = virtio_negotiate(&vn->vd, want);
	if (err)
		goto fail;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_GUEST_CSUM))
		vn->rx_feats |= VNET_RX_F_CSUM;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_MRG_RXBUF))
		vn->rx_feats |= VNET_RX_F_MRG;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_GUEST_TSO4) && (vn->rx_feats & VNET_RX_F_CSUM) &&
	    (vn->rx_feats & VNET_RX_F_MRG))
		vn->rx_feats |= VNET_RX_F_TSO4;
	/* HOST_TSO4 depends on CSUM (spec 5.1.3.1): a device offering it alone gets no TSO. */
	if (virtio_has(&vn->vd, VIRTIO_NET_F_CSUM)) {
		dev->features |= NETIF_F_IP_CSUM;
		if (virtio_has(&vn->vd, VIRTIO_NET_F_HOST_TSO4))
			dev->features |= NETIF_F_TSO;
	}
	vn->vd.config_changed = vnet_config_irq;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_MAC)) {
		for (unsigned i = 0; i < ETH_ALEN; i++)
			dev->mac[i] = virtio_cfg_read8(&vn->vd, VNET_CFG_MAC + i);
	} else {
		/* No address from the device: a locally administered one from the PCI location. */
		const uint8_t mac[ETH_ALEN] = { 0x02, 0x56, 0x4e, pdev->bus, pdev->slot, pdev->func };
		memcpy(dev->mac, mac, ETH_ALEN);
	}
	virtq_callback_t cbs[2] = { vnet_queue_irq, vnet_queue_irq };
	err = virtio_setup_queues(&vn->vd, 2, VNET_NBUF, cbs, vn);
	if (err)
		goto fail_reset;
	vn->nrx = vn->vd.queues[VNET_RXQ].size;
	vn->ntx = vn->vd.queues[VNET_TXQ].size;
	for (unsigned i = 0; i < vn->ntx; i++)
		vn->tx_free[i] = (uint8_t)(vn->ntx - 1 - i);
	vn->tx_nfree = vn->ntx;
	/* Receive buffers go in before DRIVER_OK (spec 5.1.5 allows it; frames arrive at once). */
	for (unsigned i = 0; i < vn->nrx; i++)
		vnet_post_rx(vn, vn->rx_bufs + (size_t)i * VNET_BUF_SIZE);
	virtio_driver_ok(&vn->vd);
	virtq_kick(&vn->vd.queues[VNET_RXQ]);

	pdev->dev.driver_data = vn;
	err = netdev_register(dev, "eth%d");
	if (err)
		goto fail_reset;
	/* Anything that arrived before the device was on the poll list. */
	netdev_schedule_poll(dev);
	pr_info("virtio-net: %s: %s [%04x:%04x], %s, queues %u/%u, link %s, offloads:%s%s%s%s%s\n", pdev->dev.name,
		dev->name, pdev->vendor, pdev->device, vn->vd.msix ? "MSI-X" : "INTx", vn->nrx, vn->ntx,
		vnet_link(vn) ? "up" : "down", (dev->features & NETIF_F_IP_CSUM) ? " tx-csum" : "",
		(dev->features & NETIF_F_TSO) ? " tso4" : "",
		(vn->rx_feats & VNET_RX_F_CSUM) ? " rx-csum" : "", (vn->rx_feats & VNET_RX_F_TSO4) ? " rx-tso4" : "",
		vn->vd.features & ((1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM)) ? "" : " none");
	return 0;
fail_reset:
	virtio_teardown(&vn->vd);
fail:
	pr_warn("virtio-net: %s: not bound (%d)\n", pdev->dev.name, err);
	pdev->dev.driver_data = NULL;
	if (dev)
		netdev_free(dev);
	vnet_free(vn);
	return err;
}

static void vnet_remove(struct pci_dev *pdev)
{
	struct vnet *vn = pdev->dev.driver_data;
	if (!vn)
		return;
	netdev_unregister(vn->dev); /* out of the poll list, a running poll waited out */
	/* A sender that got past netdev_xmit's check before unregistering must see the queues
	 * gone; then the reset makes the device let go of every buffer, and rings and
	 * interrupts are freed. */
	uint64_t fl = spin_lock_irqsave(&vn->tx_lock);
	vn->gone = true;
	spin_unlock_irqrestore(&vn->tx_lock, fl);
	virtio_teardown(&vn->vd);
	pr_info("virtio-net: removed %s (%s, %llu interrupts)\n", vn->dev->name, pdev->dev.name,
		(unsigned long long)vn->irqs);
	pdev->dev.driver_data = NULL;
	netdev_free(vn->dev);
	vnet_free(vn);
}

static const struct pci_device_id vnet_ids[] = {
	{ VIRTIO_PCI_VENDOR, 0x1000, 0, 0 }, /* transitional (also has the modern interface) */
	{ VIRTIO_PCI_VENDOR, 0x1040 + VIRTIO_ID_NET, 0, 0 },
	{ 0 },
};

static struct pci_driver vnet_driver = {
	.driver = { .name = "virtio-net" },
	.id_table = vnet_ids,
	.probe = vnet_probe,
	.remove = vnet_remove,
};

void virtio_net_init(void)
{
	int err = pci_register_driver(&vnet_driver);
	if (err < 0)
		pr_err("virtio-net: driver registration failed (%d)\n", err);
}
