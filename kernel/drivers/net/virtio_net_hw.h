/*
 * virtio-net (virtio 1.x spec 5.1): feature bits, the device configuration layout and the
 * per-packet header, plus the pure checks the driver applies to what the device hands back
 * (virtio_net_hdr.c; host unit tests in tests/unit/test_virtio_net.c).
 */
#pragma once

#include "lib/types.h"

/* Device feature bits (spec 5.1.3). */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_F_CTRL_VQ    17

/* struct virtio_net_config (spec 5.1.4): offsets into the device configuration. */
#define VNET_CFG_MAC    0 /* u8[6], valid with VIRTIO_NET_F_MAC */
#define VNET_CFG_STATUS 6 /* le16, valid with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_S_LINK_UP  1
#define VIRTIO_NET_S_ANNOUNCE 2

/*
 * The header in front of every packet (spec 5.1.6). With VIRTIO_F_VERSION_1 num_buffers is
 * always there (12 bytes), merged receive buffers negotiated or not.
 */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr is 12 bytes with VERSION_1");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, hdr_len) == 2, "hdr_len at 2");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, csum_start) == 6, "csum_start at 6");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, num_buffers) == 10, "num_buffers at 10");
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1

/* A receive buffer: header and the largest untagged frame without FCS (1514), rounded up. */
#define VNET_BUF_SIZE 2048

/* The header of a frame we send: no checksum offload, no segmentation. */
void vnet_tx_hdr_init(struct virtio_net_hdr *h);
/*
 * The header of a frame (len bytes from its Ethernet header) we send with offloads (spec
 * 5.1.6.2): csum_start/csum_offset (from the frame's start) for a partial checksum
 * (NEEDS_CSUM), and gso_size for TCPv4 segmentation, which needs the partial checksum and
 * gives hdr_len (Ethernet + IP + TCP headers, read from the frame). 0, or -EINVAL when the
 * offsets do not lie in the frame (the header then asks for nothing).
 */
int vnet_tx_hdr_build(struct virtio_net_hdr *h, const uint8_t *frame, size_t len, bool partial, size_t csum_start,
		      size_t csum_offset, uint16_t gso_size);

/* The receive features negotiated, as vnet_rx_check needs them. */
#define VNET_RX_F_CSUM 1 /* VIRTIO_NET_F_GUEST_CSUM */
#define VNET_RX_F_TSO4 2 /* VIRTIO_NET_F_GUEST_TSO4 (with CSUM and MRG) */
#define VNET_RX_F_MRG  4 /* VIRTIO_NET_F_MRG_RXBUF */
#define VNET_RX_MAX (14 + 65535) /* the longest frame: Ethernet and a whole IPv4 datagram */
#define VNET_RX_MAX_BUFS 64      /* more merged buffers than a VNET_RX_MAX frame needs */

/* What a received buffer holds, once checked. */
enum { VNET_RX_CSUM_NONE, VNET_RX_CSUM_VALID, VNET_RX_CSUM_PARTIAL };
struct vnet_rx_info {
	size_t frame_len;           /* frame bytes in this (first) buffer, after the header */
	unsigned num_buffers;       /* buffers the frame spans (1 without MRG_RXBUF) */
	bool gso;                   /* a TCPv4 segment longer than the MTU (GUEST_TSO4) */
	int csum;                   /* VNET_RX_CSUM_* (only with GUEST_CSUM) */
	uint16_t csum_start, csum_offset; /* PARTIAL: from the frame's start */
};
/*
 * Checks the first receive buffer of a frame the device returned: used_len is what the used
 * ring says it wrote (header included), buf_size the buffer's size, feats the VNET_RX_F_*
 * negotiated (flags are ignored without GUEST_CSUM, num_buffers without MRG_RXBUF). 0 and
 * *out; -EINVAL for a length that cannot be a frame (shorter than header plus Ethernet
 * header, longer than the buffer), a bad buffer count, or checksum offsets outside a
 * one-buffer frame; -EOPNOTSUPP for segmentation we did not negotiate.
 */
int vnet_rx_check(const struct virtio_net_hdr *h, uint32_t used_len, size_t buf_size, unsigned feats,
		  struct vnet_rx_info *out);
/* For a frame merged from several buffers, total bytes long: 0, or -EINVAL when it is longer
 * than any frame or its checksum offsets do not lie inside it. */
int vnet_rx_check_total(const struct vnet_rx_info *ri, size_t total);
