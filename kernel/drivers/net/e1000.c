/*
 * Intel 82540EM (e1000) Ethernet: QEMU's default NIC on the pc machine. Legacy descriptors
 * in two rings of DMA memory, a 2 KiB buffer per descriptor (frames are copied in and out,
 * which keeps buffer ownership simple), the MAC from the EEPROM (RAL/RAH as a fallback),
 * interrupts by MSI when the function offers it, else the shared INTx line.
 *
 * The interrupt handler only reads (and so acknowledges) the cause and asks the net thread to
 * poll; receive-ring processing and link changes happen in e1000_poll. tx_lock guards the
 * transmit ring (xmit may be called from any thread).
 *
 * The same code drives the 82574L (e1000e, q35's natural NIC) in legacy descriptor mode: the
 * rings, buffers and interrupt causes are identical, only the EEPROM read register differs,
 * and the device registers as its own PCI driver "e1000e".
 *
 * QEMU's model holds received frames back for a second after each RCTL write (its
 * flush_queue_timer, against a Windows shutdown hang), so the first answers after e1000_open
 * arrive about a second late; they are queued, not lost, and ARP's retry covers them.
 */
#include "drivers/net/e1000_hw.h"
#include "drivers/net/netdrivers.h"
#include "drivers/pci/pci.h"

#include "console/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "net/net.h"
#include "time/clock.h"

#define E1000_NRX 256 /* a TCP window's burst from QEMU's slirp fits (it drops on a full ring) */
#define E1000_RX_ORDER 7 /* the receive buffers' block: 256 x 2 KiB */
#define E1000_NTX 64
#define E1000_BUF 2048
#define E1000_MMIO_SIZE 0x20000

struct e1000 {
	struct pci_dev *pdev;
	volatile uint8_t *regs;
	struct net_device *dev;
	struct e1000_rx_desc *rx;   /* rings, one page each */
	struct e1000_tx_desc *tx;
	uint8_t *rx_bufs, *tx_bufs; /* E1000_NRX/NTX buffers of E1000_BUF bytes */
	unsigned rx_next;           /* next descriptor the hardware fills */
	unsigned tx_next, tx_clean; /* next free descriptor, oldest not yet reclaimed */
	spinlock_t tx_lock;
	uint32_t pending_icr;       /* causes seen by the handler, not yet handled */
	bool msi, intx;
	bool is_82574;              /* e1000e */
	uint64_t irqs;
};

static const char *e1000_name(const struct e1000 *e)
{
	return e->is_82574 ? "e1000e" : "e1000";
}

static inline uint32_t rd32(struct e1000 *e, unsigned reg)
{
	return *(volatile uint32_t *)(e->regs + reg);
}

static inline void wr32(struct e1000 *e, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(e->regs + reg) = v;
}

static paddr_t dma_addr(const void *va)
{
	return page_to_phys(virt_to_page(va)) + ((uintptr_t)va & (PAGE_SIZE - 1));
}

/* One EEPROM word through EERD; false when the read never completes. */
static bool e1000_eeprom_read(struct e1000 *e, unsigned addr, uint16_t *out)
{
	unsigned shift = e->is_82574 ? E1000E_EERD_ADDR_SHIFT : E1000_EERD_ADDR_SHIFT;
	uint32_t done = e->is_82574 ? E1000E_EERD_DONE : E1000_EERD_DONE;
	wr32(e, E1000_EERD, E1000_EERD_START | addr << shift);
	uint64_t deadline = clock_monotonic_ns() + 10000000ull;
	while (clock_monotonic_ns() < deadline) {
		uint32_t v = rd32(e, E1000_EERD);
		if (v & done) {
			*out = (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
			return true;
		}
	}
	return false;
}

static void e1000_read_mac(struct e1000 *e, uint8_t mac[ETH_ALEN])
{
	uint16_t w[3];
	if (e1000_eeprom_read(e, 0, &w[0]) && e1000_eeprom_read(e, 1, &w[1]) && e1000_eeprom_read(e, 2, &w[2])) {
		for (int i = 0; i < 3; i++) {
			mac[2 * i] = (uint8_t)w[i];
			mac[2 * i + 1] = (uint8_t)(w[i] >> 8);
		}
		return;
	}
	/* No EEPROM answer: what firmware left in receive address 0. */
	pr_warn("%s: %s: no EEPROM answer, MAC from RAL/RAH\n", e1000_name(e), e->pdev->dev.name);
	uint32_t lo = rd32(e, E1000_RAL0), hi = rd32(e, E1000_RAH0);
	for (int i = 0; i < 4; i++)
		mac[i] = (uint8_t)(lo >> (8 * i));
	mac[4] = (uint8_t)hi;
	mac[5] = (uint8_t)(hi >> 8);
}

static void e1000_write_mac(struct e1000 *e, const uint8_t mac[ETH_ALEN])
{
	wr32(e, E1000_RAL0, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
	wr32(e, E1000_RAH0, (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | 1u << 31);
}

static void e1000_update_link(struct e1000 *e)
{
	netdev_set_link(e->dev, rd32(e, E1000_STATUS) & E1000_STATUS_LU);
}

static enum irq_return e1000_irq(void *ctx)
{
	struct e1000 *e = ctx;
	uint32_t icr = rd32(e, E1000_ICR); /* reading acknowledges (and lowers INTx) */
	if (!icr)
		return IRQ_NONE; /* a shared line: someone else's */
	__atomic_fetch_or(&e->pending_icr, icr, __ATOMIC_RELEASE);
	__atomic_fetch_add(&e->irqs, 1, __ATOMIC_RELAXED);
	netdev_schedule_poll(e->dev);
	return IRQ_HANDLED;
}

static void e1000_poll(struct net_device *dev)
{
	struct e1000 *e = dev->priv;
	uint32_t icr = __atomic_exchange_n(&e->pending_icr, 0, __ATOMIC_ACQ_REL);
	if (icr & E1000_ICR_LSC)
		e1000_update_link(e);
	if (icr & E1000_ICR_RXO)
		netdev_stat_add(&dev->stats.rx_fifo_errors, 1);
	for (unsigned budget = 0; budget < E1000_NRX; budget++) {
		struct e1000_rx_desc *d = &e->rx[e->rx_next];
		if (!(__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & E1000_RXD_STAT_DD))
			break;
		unsigned len = d->length;
		/* Frames larger than one buffer (no LPE, so not expected) and bad ones are dropped. */
		if (!(d->status & E1000_RXD_STAT_EOP) || (d->errors & E1000_RXD_ERR_FRAME) || len > E1000_BUF) {
			netdev_stat_add(&dev->stats.rx_errors, 1);
			if (d->errors & E1000_RXD_ERR_FRAME)
				netdev_stat_add(&dev->stats.rx_frame_errors, 1);
		} else {
			struct sk_buff *skb = skb_alloc(len);
			if (skb) {
				memcpy(skb_put(skb, len), e->rx_bufs + (size_t)e->rx_next * E1000_BUF, len);
				skb->dev = dev;
				netif_receive(skb);
			} else {
				netdev_stat_add(&dev->stats.rx_dropped, 1);
			}
		}
		d->status = 0;
		/* Give it back: the hardware fills up to, not including, RDT (one stays ours). */
		wr32(e, E1000_RDT, e->rx_next);
		e->rx_next = (e->rx_next + 1) % E1000_NRX;
	}
	/* More may have arrived than the budget took: come back. */
	if (e->rx[e->rx_next].status & E1000_RXD_STAT_DD)
		netdev_schedule_poll(dev);
	uint32_t missed = rd32(e, E1000_MPC);
	if (missed)
		netdev_stat_add(&dev->stats.rx_dropped, missed);
}

static int e1000_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct e1000 *e = dev->priv;
	if (skb->len > E1000_BUF || skb->len < ETH_HLEN) {
		netdev_stat_add(&dev->stats.tx_errors, 1);
		skb_free(skb);
		return -EMSGSIZE;
	}
	uint64_t fl = spin_lock_irqsave(&e->tx_lock);
	/* Reclaim what the hardware finished. */
	while (e->tx_clean != e->tx_next && (e->tx[e->tx_clean].status & E1000_TXD_STAT_DD))
		e->tx_clean = (e->tx_clean + 1) % E1000_NTX;
	unsigned next = (e->tx_next + 1) % E1000_NTX;
	if (next == e->tx_clean) {
		spin_unlock_irqrestore(&e->tx_lock, fl);
		netdev_stat_add(&dev->stats.tx_fifo_errors, 1);
		netdev_stat_add(&dev->stats.tx_dropped, 1);
		skb_free(skb);
		return -ENOBUFS;
	}
	unsigned i = e->tx_next;
	memcpy(e->tx_bufs + (size_t)i * E1000_BUF, skb->data, skb->len);
	struct e1000_tx_desc *d = &e->tx[i];
	d->addr = dma_addr(e->tx_bufs + (size_t)i * E1000_BUF);
	d->length = (uint16_t)skb->len; /* TCTL.PSP pads it to 64 bytes */
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	e->tx_next = next;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the descriptor before the tail move */
	wr32(e, E1000_TDT, next);
	spin_unlock_irqrestore(&e->tx_lock, fl);
	skb_free(skb);
	return 0;
}

static int e1000_set_mac(struct net_device *dev, const uint8_t mac[ETH_ALEN])
{
	if (mac[0] & 1)
		return -EINVAL; /* multicast addresses cannot be a station's */
	e1000_write_mac(dev->priv, mac);
	memcpy(dev->mac, mac, ETH_ALEN);
	return 0;
}

/* The receive control word for dev's flags: unicast and multicast promiscuous bits on request. */
static uint32_t e1000_rctl(const struct net_device *dev)
{
	uint32_t rctl = E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_BSIZE_2048 | E1000_RCTL_SECRC;
	if (dev->flags & IFF_PROMISC)
		rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
	if (dev->flags & IFF_ALLMULTI)
		rctl |= E1000_RCTL_MPE;
	return rctl;
}

static void e1000_set_rx_mode(struct net_device *dev)
{
	if (dev->flags & IFF_UP)
		wr32(dev->priv, E1000_RCTL, e1000_rctl(dev));
}

static int e1000_open(struct net_device *dev)
{
	struct e1000 *e = dev->priv;
	wr32(e, E1000_RCTL, e1000_rctl(dev));
	wr32(e, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | 0x10u << E1000_TCTL_CT_SHIFT |
				    0x40u << E1000_TCTL_COLD_SHIFT);
	wr32(e, E1000_IMS, E1000_ICR_LSC | E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO | E1000_ICR_RXSEQ);
	e1000_update_link(e);
	return 0;
}

static void e1000_stop(struct net_device *dev)
{
	struct e1000 *e = dev->priv;
	wr32(e, E1000_IMC, ~0u);
	wr32(e, E1000_RCTL, 0);
	wr32(e, E1000_TCTL, 0);
}

static const struct net_device_ops e1000_ops = {
	.open = e1000_open,
	.set_rx_mode = e1000_set_rx_mode,
	.stop = e1000_stop,
	.xmit = e1000_xmit,
	.set_mac = e1000_set_mac,
	.poll = e1000_poll,
};

static void e1000_free_mem(struct e1000 *e)
{
	if (e->rx)
		pmm_free_virt(e->rx, 0);
	if (e->tx)
		pmm_free_virt(e->tx, 0);
	if (e->rx_bufs)
		pmm_free_virt(e->rx_bufs, E1000_RX_ORDER);
	if (e->tx_bufs)
		pmm_free_virt(e->tx_bufs, 5);
	kfree(e);
}

/* Reset, then rings and address filters as SDM 14.4 (receive) and 14.5 (transmit) say. */
static void e1000_hw_init(struct e1000 *e)
{
	wr32(e, E1000_IMC, ~0u);
	wr32(e, E1000_CTRL, rd32(e, E1000_CTRL) | E1000_CTRL_RST);
	clock_delay_us(1000);
	for (int i = 0; i < 100 && (rd32(e, E1000_CTRL) & E1000_CTRL_RST); i++)
		clock_delay_us(100);
	wr32(e, E1000_IMC, ~0u);
	(void)rd32(e, E1000_ICR);
	wr32(e, E1000_CTRL, (rd32(e, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE) & ~E1000_CTRL_PHY_RST);
	for (unsigned i = 0; i < 128; i++)
		wr32(e, E1000_MTA + 4 * i, 0);

	for (unsigned i = 0; i < E1000_NRX; i++) {
		e->rx[i].addr = dma_addr(e->rx_bufs + (size_t)i * E1000_BUF);
		e->rx[i].status = 0;
	}
	paddr_t rx = dma_addr(e->rx), tx = dma_addr(e->tx);
	wr32(e, E1000_RDBAL, (uint32_t)rx);
	wr32(e, E1000_RDBAH, (uint32_t)(rx >> 32));
	wr32(e, E1000_RDLEN, E1000_NRX * sizeof(struct e1000_rx_desc));
	wr32(e, E1000_RDH, 0);
	wr32(e, E1000_RDT, E1000_NRX - 1); /* every descriptor but one is the hardware's */
	wr32(e, E1000_RDTR, 0);
	e->rx_next = 0;

	wr32(e, E1000_TDBAL, (uint32_t)tx);
	wr32(e, E1000_TDBAH, (uint32_t)(tx >> 32));
	wr32(e, E1000_TDLEN, E1000_NTX * sizeof(struct e1000_tx_desc));
	wr32(e, E1000_TDH, 0);
	wr32(e, E1000_TDT, 0);
	e->tx_next = e->tx_clean = 0;
	/* IPG for IEEE 802.3 copper: IPGT 10, IPGR1 8, IPGR2 6 (SDM 13.4.34). */
	wr32(e, E1000_TIPG, 10 | 8u << 10 | 6u << 20);
}

static int e1000_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	struct pci_bar *bar = &pdev->bars[0];
	if (!bar->base || bar->io || bar->size < E1000_MMIO_SIZE)
		return -ENODEV;
	_Static_assert(E1000_NRX * sizeof(struct e1000_rx_desc) <= PAGE_SIZE, "one page per ring");
	_Static_assert(E1000_NRX * E1000_BUF == PAGE_SIZE << E1000_RX_ORDER, "receive buffers: one block");
	_Static_assert(E1000_NTX * E1000_BUF == PAGE_SIZE << 5, "transmit buffers: an order-5 block");
	struct e1000 *e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	e->is_82574 = pdev->device == 0x10d3;
	e->tx_lock = (spinlock_t)SPINLOCK_INIT;
	e->rx = pmm_alloc_virt(0, GFP_DMA32 | GFP_ZERO);
	e->tx = pmm_alloc_virt(0, GFP_DMA32 | GFP_ZERO);
	e->rx_bufs = pmm_alloc_virt(E1000_RX_ORDER, GFP_DMA32);
	e->tx_bufs = pmm_alloc_virt(5, GFP_DMA32);
	if (!e->rx || !e->tx || !e->rx_bufs || !e->tx_bufs) {
		e1000_free_mem(e);
		return -ENOMEM;
	}
	e->regs = ioremap(bar->base, E1000_MMIO_SIZE, VM_CACHE_UC);
	if (!e->regs) {
		e1000_free_mem(e);
		return -ENOMEM;
	}
	pci_enable_device(pdev, true);
	e1000_hw_init(e);

	struct net_device *dev = netdev_alloc(&e1000_ops, e);
	if (!dev) {
		e1000_free_mem(e);
		return -ENOMEM;
	}
	e->dev = dev;
	e1000_read_mac(e, dev->mac);
	e1000_write_mac(e, dev->mac);

	int err = -ENODEV;
	if (pdev->msi_cap && (err = pci_enable_msi(pdev, e1000_irq, e, e1000_name(e))) == 0)
		e->msi = true;
	else if ((err = pci_request_intx(pdev, e1000_irq, e, e1000_name(e))) == 0)
		e->intx = true;
	if (err) {
		pr_err("%s: %s: no interrupt (%d)\n", e1000_name(e), pdev->dev.name, err);
		netdev_free(dev);
		e1000_free_mem(e);
		return err;
	}
	pdev->dev.driver_data = e;
	err = netdev_register(dev, "eth%d");
	if (err) {
		e1000_stop(dev);
		if (e->msi)
			pci_disable_msi(pdev);
		else
			pci_free_intx(pdev, e);
		pdev->dev.driver_data = NULL;
		netdev_free(dev);
		e1000_free_mem(e);
		return err;
	}
	uint32_t status = rd32(e, E1000_STATUS);
	static const unsigned speeds[4] = { 10, 100, 1000, 1000 };
	pr_info("%s: %s: %s, %s, link %s %u Mb/s %s duplex\n", e1000_name(e), pdev->dev.name, dev->name,
		e->msi ? "MSI" : "INTx", (status & E1000_STATUS_LU) ? "up" : "down",
		speeds[(status >> E1000_STATUS_SPEED_SHIFT) & 3], (status & E1000_STATUS_FD) ? "full" : "half");
	return 0;
}

static void e1000_remove(struct pci_dev *pdev)
{
	struct e1000 *e = pdev->dev.driver_data;
	if (!e)
		return;
	netdev_unregister(e->dev); /* stops the hardware (e1000_stop) and waits out a poll */
	if (e->msi)
		pci_disable_msi(pdev);
	else
		pci_free_intx(pdev, e);
	wr32(e, E1000_CTRL, rd32(e, E1000_CTRL) | E1000_CTRL_RST);
	pdev->dev.driver_data = NULL;
	netdev_free(e->dev);
	e1000_free_mem(e);
}

int e1000_test_irq(struct net_device *dev)
{
	if (dev->ops != &e1000_ops)
		return -ENODEV;
	struct e1000 *e = dev->priv;
	uint64_t before = __atomic_load_n(&e->irqs, __ATOMIC_ACQUIRE);
	wr32(e, E1000_ICS, E1000_ICR_LSC); /* unmasked since e1000_open */
	uint64_t deadline = clock_monotonic_ns() + 2000000000ull;
	while (__atomic_load_n(&e->irqs, __ATOMIC_ACQUIRE) == before && clock_monotonic_ns() < deadline)
		clock_delay_us(100);
	bool seen = __atomic_load_n(&e->irqs, __ATOMIC_ACQUIRE) != before;
	pr_info("%s: %s: test interrupt by %s %s\n", e1000_name(e), dev->name, e->msi ? "MSI" : "INTx",
		seen ? "delivered" : "NOT delivered");
	return seen;
}

static const struct pci_device_id e1000_ids[] = {
	{ 0x8086, 0x100e, 0, 0 }, /* 82540EM: QEMU's "e1000" */
	{ 0x8086, 0x100f, 0, 0 }, /* 82545EM copper */
	{ 0x8086, 0x1004, 0, 0 }, /* 82543GC copper */
	{ 0 },
};

static struct pci_driver e1000_driver = {
	.driver = { .name = "e1000" },
	.id_table = e1000_ids,
	.probe = e1000_probe,
	.remove = e1000_remove,
};

static const struct pci_device_id e1000e_ids[] = {
	{ 0x8086, 0x10d3, 0, 0 }, /* 82574L: QEMU's "e1000e" */
	{ 0 },
};

static struct pci_driver e1000e_driver = {
	.driver = { .name = "e1000e" },
	.id_table = e1000e_ids,
	.probe = e1000_probe,
	.remove = e1000_remove,
};

void e1000_init(void)
{
	int err = pci_register_driver(&e1000_driver);
	if (err >= 0)
		err = pci_register_driver(&e1000e_driver);
	if (err < 0)
		pr_err("e1000: driver registration failed (%d)\n", err);
}
