/*
 * The pure part of virtio-net: building transmit headers and vetting what the device says it
 * received. A device (or a hostile emulator) controls used_len and the header: neither may
 * make the driver read or write past a buffer.
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

int vnet_tx_hdr_build(struct virtio_net_hdr *h, const uint8_t *frame, size_t len, bool partial, size_t csum_start,
		      size_t csum_offset, uint16_t gso_size)
{
	vnet_tx_hdr_init(h);
	if (!partial)
		return gso_size ? -EINVAL : 0;
	if (csum_start < ETH_HEADER_LEN || csum_start + csum_offset + 2 > len || csum_start > 0xffff ||
	    csum_offset > 0xffff)
		return -EINVAL;
	if (gso_size) {
		/* The TCP header's length is its data offset (byte 12, high nibble). */
		if (csum_start + 20 > len)
			return -EINVAL;
		size_t thl = (frame[csum_start + 12] >> 4) * 4u;
		if (thl < 20 || csum_start + thl > len)
			return -EINVAL;
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = gso_size;
		h->hdr_len = (uint16_t)(csum_start + thl);
	}
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)csum_start;
	h->csum_offset = (uint16_t)csum_offset;
	return 0;
}

int vnet_rx_check(const struct virtio_net_hdr *h, uint32_t used_len, size_t buf_size, unsigned feats,
		  struct vnet_rx_info *out)
{
	if (used_len > buf_size || used_len < sizeof(*h) + ETH_HEADER_LEN)
		return -EINVAL;
	/* Segmentation only as negotiated: TCPv4 with GUEST_TSO4 (no ECN variant, no UDP). A
	 * frame we get whole is delivered whole: the stack takes a long TCP segment as is. */
	bool gso = false;
	if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && (feats & VNET_RX_F_TSO4))
		gso = true;
	else if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EOPNOTSUPP;
	/* Without MRG_RXBUF num_buffers means nothing (QEMU leaves the field as it was). */
	unsigned nbufs = 1;
	if (feats & VNET_RX_F_MRG) {
		if (h->num_buffers < 1 || h->num_buffers > VNET_RX_MAX_BUFS)
			return -EINVAL;
		nbufs = h->num_buffers;
	}
	size_t frame_len = used_len - sizeof(*h);
	int csum = VNET_RX_CSUM_NONE;
	/* Without GUEST_CSUM the device must send flags 0 (spec 5.1.6.4): whatever it says then
	 * is not believed. With it, NEEDS_CSUM means the checksum was validated and left partial
	 * (the pseudo-header sum at csum_start + csum_offset), DATA_VALID that it is complete and
	 * good. */
	if ((feats & VNET_RX_F_CSUM) && (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		if (h->csum_start < ETH_HEADER_LEN ||
		    (size_t)h->csum_start + h->csum_offset + 2 > (nbufs == 1 ? frame_len : VNET_RX_MAX))
			return -EINVAL;
		csum = VNET_RX_CSUM_PARTIAL;
	} else if ((feats & VNET_RX_F_CSUM) && (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)) {
		csum = VNET_RX_CSUM_VALID;
	}
	out->frame_len = frame_len;
	out->num_buffers = nbufs;
	out->gso = gso;
	out->csum = csum;
	out->csum_start = csum == VNET_RX_CSUM_PARTIAL ? h->csum_start : 0;
	out->csum_offset = csum == VNET_RX_CSUM_PARTIAL ? h->csum_offset : 0;
	return 0;
}

int vnet_rx_check_total(const struct vnet_rx_info *ri, size_t total)
{
	if (total > VNET_RX_MAX || total < ETH_HEADER_LEN)
		return -EINVAL;
	if (ri->csum == VNET_RX_CSUM_PARTIAL && (size_t)ri->csum_start + ri->csum_offset + 2 > total)
		return -EINVAL;
	return 0;
}
