/*
 * A parser for the escape sequences a Linux console understands (ECMA-48 CSI sequences such
 * as ESC [ 3 D or ESC [ K), shared by the screen consoles (fbcon, vgacon): bytes go in, and
 * out come characters to draw or complete sequences to act on. Pure logic, host-tested.
 */
#pragma once

#include "lib/types.h"

#define VTP_MAX_PARAMS 8
#define VTP_PARAM_MAX  9999

struct vt_seq {
	char final;            /* the final byte ('K', 'H', 'm'...); for ESC x, x itself */
	bool csi;              /* ESC [ ... final, or a two-byte ESC x */
	bool private_;         /* ESC [ ? ... */
	unsigned nparams;
	unsigned params[VTP_MAX_PARAMS];
};

struct vtparse {
	uint8_t state;
	struct vt_seq seq;
};

enum vtp_result {
	VTP_NONE,  /* swallowed: part of a sequence */
	VTP_PRINT, /* c is an ordinary byte or a control character (\n, \b...) to act on as before */
	VTP_SEQ,   /* a sequence is complete in *out */
};

void vtparse_init(struct vtparse *p);
enum vtp_result vtparse_feed(struct vtparse *p, uint8_t c, struct vt_seq *out);
/* Parameter i, or dflt when it is missing or 0 (ECMA-48: 0 means the default). */
unsigned vt_seq_param(const struct vt_seq *s, unsigned i, unsigned dflt);
/* The answer to a device status report request (ESC [ 5 n, ESC [ 6 n) for a cursor at 0-based
 * (col, row), into buf (at least 24 bytes); returns its length, 0 when s asks for none. */
size_t vt_status_reply(const struct vt_seq *s, unsigned col, unsigned row, char *buf);
