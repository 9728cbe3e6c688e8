/*
 * TCP's wire side that needs no state: header parsing with its options (MSS, window scale,
 * SACK-permitted, SACK blocks, timestamps; RFC 9293 3.1-3.2, RFC 7323 2-3, RFC 2018), building
 * the options, and the reset a closed port answers with.
 */
#include "net/tcp/tcp_core.h"

#include "lib/errno.h"
#include "lib/string.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_OK 4
#define OPT_SACK 5
#define OPT_TS 8

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int tcp_seg_parse(const uint8_t *p, size_t len, struct tcp_seg *seg, uint16_t *sport, uint16_t *dport)
{
	if (len < sizeof(struct tcp_hdr))
		return -EINVAL;
	size_t hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < sizeof(struct tcp_hdr) || hlen > len)
		return -EINVAL;
	memset(seg, 0, sizeof(*seg));
	memcpy(sport, p, 2);
	memcpy(dport, p + 2, 2);
	seg->seq = be32(p + 4);
	seg->ack = be32(p + 8);
	seg->flags = p[13] & 0x3f;
	seg->wnd = be16(p + 14);
	seg->data = p + hlen;
	seg->len = (uint32_t)(len - hlen);
	/* Options: a malformed one ends the parse (what was read stays), as Linux does. */
	for (size_t i = sizeof(struct tcp_hdr); i < hlen;) {
		uint8_t kind = p[i];
		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			break;
		uint8_t olen = p[i + 1];
		if (olen < 2 || i + olen > hlen)
			break;
		if (kind == OPT_MSS && olen == 4 && (seg->flags & TCPF_SYN)) {
			seg->has_mss = true;
			seg->mss = be16(p + i + 2);
		} else if (kind == OPT_WS && olen == 3 && (seg->flags & TCPF_SYN)) {
			seg->has_ws = true;
			seg->ws = p[i + 2] > 14 ? 14 : p[i + 2]; /* RFC 7323 2.3: larger values mean 14 */
		} else if (kind == OPT_SACK_OK && olen == 2 && (seg->flags & TCPF_SYN)) {
			seg->sack_ok = true;
		} else if (kind == OPT_TS && olen == 10) {
			seg->has_ts = true;
			seg->tsval = be32(p + i + 2);
			seg->tsecr = be32(p + i + 6);
		} else if (kind == OPT_SACK && !(seg->flags & TCPF_SYN) && olen >= 10 && (olen - 2) % 8 == 0 &&
			   (olen - 2) / 8 <= TCP_SACK_MAX) {
			/* Only parsed here: the engine checks every block against what it sent. */
			seg->nsack = (uint8_t)((olen - 2) / 8);
			for (unsigned b = 0; b < seg->nsack; b++) {
				seg->sack[b][0] = be32(p + i + 2 + 8 * b);
				seg->sack[b][1] = be32(p + i + 6 + 8 * b);
			}
		}
		i += olen;
	}
	return 0;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

size_t tcp_opt_build(uint8_t *p, const struct tcp_out *o)
{
	size_t n = 0;
	if (o->opt_mss) {
		p[n++] = OPT_MSS;
		p[n++] = 4;
		p[n++] = (uint8_t)(o->mss >> 8);
		p[n++] = (uint8_t)o->mss;
	}
	if (o->opt_ws) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WS;
		p[n++] = 3;
		p[n++] = o->ws;
	}
	/* SACK-permitted takes the two bytes that would be NOPs before a timestamp, as Linux's. */
	if (o->opt_sack_ok && o->opt_ts) {
		p[n++] = OPT_SACK_OK;
		p[n++] = 2;
	} else if (o->opt_sack_ok) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK_OK;
		p[n++] = 2;
	} else if (o->opt_ts) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
	}
	if (o->opt_ts) {
		p[n++] = OPT_TS;
		p[n++] = 10;
		n += put32(p + n, o->tsval);
		n += put32(p + n, o->tsecr);
	}
	/* At most what fits beside the rest (the engine never asks for more). */
	unsigned nsack = o->nsack;
	while (nsack && n + 4 + 8 * nsack > TCP_OPT_MAX)
		nsack--;
	if (nsack) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK;
		p[n++] = (uint8_t)(2 + 8 * nsack);
		for (unsigned i = 0; i < nsack; i++) {
			n += put32(p + n, o->sack[i][0]);
			n += put32(p + n, o->sack[i][1]);
		}
	}
	return n;
}

bool tcp_reset_reply(const struct tcp_seg *seg, struct tcp_out *o)
{
	if (seg->flags & TCPF_RST)
		return false;
	memset(o, 0, sizeof(*o));
	if (seg->flags & TCPF_ACK) {
		o->seq = seg->ack;
		o->flags = TCPF_RST;
	} else {
		o->seq = 0;
		o->ack = seg->seq + tcp_seg_seqlen(seg);
		o->flags = TCPF_RST | TCPF_ACK;
	}
	return true;
}
