// unit-deps: kernel/drivers/net/virtio_net_hdr.c kernel/lib/string.c
/*
 * Host tests for virtio-net's pure part: the header layout (the _Static_asserts are compiled
 * here too), transmit headers, and the receive check against lengths and headers a device
 * could hand back (short, oversized, exactly at the limits, segmentation it was not offered).
 */
#include "unit.h"

#include "drivers/net/virtio_net_hw.h"
#include "lib/errno.h"

TEST(tx_header_is_zero)
{
	struct virtio_net_hdr h;
	memset(&h, 0xa5, sizeof(h));
	vnet_tx_hdr_init(&h);
	const uint8_t *p = (const uint8_t *)&h;
	for (size_t i = 0; i < sizeof(h); i++)
		CHECK_INT(p[i], 0);
}

TEST(rx_lengths)
{
	struct virtio_net_hdr h = { 0 };
	size_t len = 12345;
	CHECK_INT(vnet_rx_check(&h, 0, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(vnet_rx_check(&h, 12, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(vnet_rx_check(&h, 12 + 13, VNET_BUF_SIZE, &len), -EINVAL); /* a partial Ethernet header */
	CHECK_INT(len, 12345);                                                 /* untouched on failure */
	CHECK_INT(vnet_rx_check(&h, 12 + 14, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 14);
	CHECK_INT(vnet_rx_check(&h, 12 + 1514, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 1514);
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, VNET_BUF_SIZE - 12);
	/* A device claiming more than the buffer holds must not make us read past it. */
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE + 1, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(vnet_rx_check(&h, 0xffffffffu, VNET_BUF_SIZE, &len), -EINVAL);
}

TEST(rx_headers)
{
	struct virtio_net_hdr h = { 0 };
	size_t len;
	h.gso_type = 1; /* VIRTIO_NET_HDR_GSO_TCPV4: never negotiated */
	CHECK_INT(vnet_rx_check(&h, 100, VNET_BUF_SIZE, &len), -EOPNOTSUPP);
	h.gso_type = 0;
	/* Stale num_buffers and checksum flags are harmless without MRG_RXBUF/GUEST_CSUM. */
	h.num_buffers = 7;
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	CHECK_INT(vnet_rx_check(&h, 100, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 88);
}
