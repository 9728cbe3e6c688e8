// unit-deps: kernel/drivers/net/virtio_net_hdr.c kernel/lib/string.c
/*
 * Host tests for virtio-net's pure part: the header layout (the _Static_asserts are compiled
 * here too), transmit headers, and the receive check against lengths and headers a device
 * could hand back (short, oversized, exactly at the limits, segmentation it was not offered).
 */
#include "unit.h"

#include "drivers/net/virtio_net_hw.h"
#include "lib/errno.h"

/* The receive check without GUEST_CSUM, giving the frame length as the older tests want it. */
static int rx_check(const struct virtio_net_hdr *h, uint32_t used_len, size_t buf_size, size_t *len)
{
	struct vnet_rx_info ri;
	int r = vnet_rx_check(h, used_len, buf_size, 0, &ri);
	if (r)
		return r;
	*len = ri.frame_len;
	return ri.csum == VNET_RX_CSUM_NONE ? 0 : -1000; /* flags are never believed without GUEST_CSUM */
}

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
	CHECK_INT(rx_check(&h, 0, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(rx_check(&h, 12, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(rx_check(&h, 12 + 13, VNET_BUF_SIZE, &len), -EINVAL); /* a partial Ethernet header */
	CHECK_INT(len, 12345);                                                 /* untouched on failure */
	CHECK_INT(rx_check(&h, 12 + 14, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 14);
	CHECK_INT(rx_check(&h, 12 + 1514, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 1514);
	CHECK_INT(rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, VNET_BUF_SIZE - 12);
	/* A device claiming more than the buffer holds must not make us read past it. */
	CHECK_INT(rx_check(&h, VNET_BUF_SIZE + 1, VNET_BUF_SIZE, &len), -EINVAL);
	CHECK_INT(rx_check(&h, 0xffffffffu, VNET_BUF_SIZE, &len), -EINVAL);
}

TEST(rx_headers)
{
	struct virtio_net_hdr h = { 0 };
	size_t len;
	h.gso_type = 1; /* VIRTIO_NET_HDR_GSO_TCPV4: never negotiated */
	CHECK_INT(rx_check(&h, 100, VNET_BUF_SIZE, &len), -EOPNOTSUPP);
	h.gso_type = 0;
	/* Stale num_buffers and checksum flags are harmless without MRG_RXBUF/GUEST_CSUM. */
	h.num_buffers = 7;
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	CHECK_INT(rx_check(&h, 100, VNET_BUF_SIZE, &len), 0);
	CHECK_INT(len, 88);
}

TEST(rx_checksum_offload)
{
	struct virtio_net_hdr h = { 0 };
	struct vnet_rx_info ri;
	/* DATA_VALID with GUEST_CSUM: a good checksum, nothing else to check. */
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	CHECK_INT(vnet_rx_check(&h, 12 + 60, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), 0);
	CHECK_INT(ri.csum, VNET_RX_CSUM_VALID);
	CHECK_INT(ri.frame_len, 60);
	/* NEEDS_CSUM: partial, with offsets that must lie inside the frame. */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 34;
	h.csum_offset = 16;
	CHECK_INT(vnet_rx_check(&h, 12 + 54, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), 0);
	CHECK_INT(ri.csum, VNET_RX_CSUM_PARTIAL);
	CHECK_INT(ri.csum_start, 34);
	CHECK_INT(ri.csum_offset, 16);
	CHECK_INT(vnet_rx_check(&h, 12 + 34 + 18, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), 0);   /* field ends the frame */
	CHECK_INT(vnet_rx_check(&h, 12 + 34 + 17, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), -EINVAL); /* one byte short */
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), -EINVAL);
	h.csum_start = 4; /* inside the Ethernet header: no transport checksum lives there */
	h.csum_offset = 0;
	CHECK_INT(vnet_rx_check(&h, 100, VNET_BUF_SIZE, VNET_RX_F_CSUM, &ri), -EINVAL);
	/* The same hostile header without GUEST_CSUM is ignored, not trusted. */
	size_t len;
	CHECK_INT(rx_check(&h, 100, VNET_BUF_SIZE, &len), 0);
}

/* An Ethernet + IPv4 + TCP frame (doff words of TCP header) of len bytes. */
static void make_tcp_frame(uint8_t *f, size_t len, unsigned doff)
{
	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = 6;
	f[34 + 12] = (uint8_t)(doff << 4);
}

TEST(tx_header_offloads)
{
	static uint8_t f[14 + 65535];
	struct virtio_net_hdr h;
	make_tcp_frame(f, sizeof(f), 5);
	/* Nothing asked: all zero. */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 100, false, 0, 0, 0), 0);
	CHECK_INT(h.flags, 0);
	CHECK_INT(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	/* A partial UDP checksum. */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 60, true, 34, 6, 0), 0);
	CHECK_INT(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_INT(h.csum_start, 34);
	CHECK_INT(h.csum_offset, 6);
	CHECK_INT(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_INT(h.gso_size, 0);
	/* TSO: hdr_len covers Ethernet, IP and the TCP header with its options. */
	make_tcp_frame(f, sizeof(f), 8);
	CHECK_INT(vnet_tx_hdr_build(&h, f, sizeof(f), true, 34, 16, 1448), 0);
	CHECK_INT(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_INT(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_INT(h.gso_size, 1448);
	CHECK_INT(h.hdr_len, 14 + 20 + 32);
	CHECK_INT(h.csum_start, 34);
	CHECK_INT(h.csum_offset, 16);
	/* Inconsistent requests are refused and leave a header asking for nothing. */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 100, false, 0, 0, 1460), -EINVAL); /* TSO needs the checksum */
	CHECK_INT(h.flags, 0);
	CHECK_INT(vnet_tx_hdr_build(&h, f, 40, true, 34, 16, 0), -EINVAL);    /* field past the end */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 100, true, 10, 6, 0), -EINVAL);    /* inside Ethernet */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 60, true, 34, 16, 1460), -EINVAL); /* TCP options past the end */
	make_tcp_frame(f, 100, 2);                                           /* data offset below 5 */
	CHECK_INT(vnet_tx_hdr_build(&h, f, 100, true, 34, 16, 1460), -EINVAL);
	CHECK_INT(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
}

TEST(rx_merged_and_large_segments)
{
	const unsigned all = VNET_RX_F_CSUM | VNET_RX_F_TSO4 | VNET_RX_F_MRG;
	struct virtio_net_hdr h = { 0 };
	struct vnet_rx_info ri;
	/* A 64 KiB TCP segment over 33 merged buffers, checksum partial. */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1448;
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 34;
	h.csum_offset = 16;
	h.num_buffers = 33;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, all, &ri), 0);
	CHECK(ri.gso);
	CHECK_INT(ri.num_buffers, 33);
	CHECK_INT(ri.frame_len, VNET_BUF_SIZE - 12);
	CHECK_INT(ri.csum, VNET_RX_CSUM_PARTIAL);
	CHECK_INT(vnet_rx_check_total(&ri, VNET_RX_MAX), 0);
	CHECK_INT(vnet_rx_check_total(&ri, VNET_RX_MAX + 1), -EINVAL); /* longer than any datagram */
	CHECK_INT(vnet_rx_check_total(&ri, 34 + 17), -EINVAL);        /* checksum past the end */
	/* Buffer counts the device cannot mean. */
	h.num_buffers = 0;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, all, &ri), -EINVAL);
	h.num_buffers = VNET_RX_MAX_BUFS + 1;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, all, &ri), -EINVAL);
	/* Without MRG_RXBUF the count is ignored; without GUEST_TSO4 segmentation is refused. */
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, VNET_RX_F_CSUM | VNET_RX_F_TSO4, &ri), 0);
	CHECK_INT(ri.num_buffers, 1);
	h.num_buffers = 2;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, VNET_RX_F_CSUM | VNET_RX_F_MRG, &ri), -EOPNOTSUPP);
	/* Neither ECN nor UDP segmentation was negotiated. */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | 0x80;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, all, &ri), -EOPNOTSUPP);
	h.gso_type = 3;
	CHECK_INT(vnet_rx_check(&h, VNET_BUF_SIZE, VNET_BUF_SIZE, all, &ri), -EOPNOTSUPP);
	/* A one-buffer frame under MRG_RXBUF is checked against its own length at once. */
	h.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	h.num_buffers = 1;
	CHECK_INT(vnet_rx_check(&h, 12 + 40, VNET_BUF_SIZE, all, &ri), -EINVAL);
	CHECK_INT(vnet_rx_check(&h, 12 + 60, VNET_BUF_SIZE, all, &ri), 0);
	CHECK(!ri.gso);
}
