/*
 * The pure part of virtio-net: building transmit headers and vetting what the device says it
 * received. A device (or a hostile emulator) controls used_len and the header: neither may
 * make the driver read past a buffer.
 */
#include "drivers/net/virtio_net_hw.h"

#include "lib/errno.h"
#include "lib/string.h"

#define ETH_HEADER_LEN 14

void vnet_tx_hdr_init(struct virtio_net_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->gso_type = VIRTIO_NET_HDR_GSO_NONE;
}

int vnet_rx_check(const struct virtio_net_hdr *h, uint32_t used_len, size_t buf_size, size_t *frame_len)
{
	if (used_len > buf_size || used_len < sizeof(*h) + ETH_HEADER_LEN)
		return -EINVAL;
	/* Without GUEST_TSO/UFO the device must not hand us segmentation work. num_buffers is
	 * not looked at: without MRG_RXBUF each frame is one buffer (QEMU leaves the field as
	 * it was). */
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EOPNOTSUPP;
	*frame_len = used_len - sizeof(*h);
	return 0;
}
