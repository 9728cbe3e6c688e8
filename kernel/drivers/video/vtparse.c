/*
 * The escape-sequence parser of the screen consoles (see vtparse.h). States: ground, after
 * ESC, inside a CSI sequence. Control characters inside a sequence act at once, as on a VT100;
 * CAN and SUB abort it; intermediate bytes are accepted and ignored.
 */
#include "drivers/video/vtparse.h"

#include "lib/string.h"

enum { ST_GROUND, ST_ESC, ST_CSI };

void vtparse_init(struct vtparse *p)
{
	memset(p, 0, sizeof(*p));
}

unsigned vt_seq_param(const struct vt_seq *s, unsigned i, unsigned dflt)
{
	if (i >= s->nparams || s->params[i] == 0)
		return dflt;
	return s->params[i];
}

static size_t put_uint(char *p, unsigned v)
{
	char tmp[12];
	size_t n = 0, k = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	while (n)
		p[k++] = tmp[--n];
	return k;
}

size_t vt_status_reply(const struct vt_seq *s, unsigned col, unsigned row, char *buf)
{
	if (!s->csi || s->private_ || s->final != 'n' || s->nparams != 1)
		return 0;
	if (s->params[0] == 5) { /* "are you well?": yes */
		memcpy(buf, "\x1b[0n", 4);
		return 4;
	}
	if (s->params[0] != 6)
		return 0;
	size_t n = 0;
	buf[n++] = 0x1b;
	buf[n++] = '[';
	n += put_uint(buf + n, row + 1);
	buf[n++] = ';';
	n += put_uint(buf + n, col + 1);
	buf[n++] = 'R';
	return n;
}

enum vtp_result vtparse_feed(struct vtparse *p, uint8_t c, struct vt_seq *out)
{
	if (c == 0x1b) {
		p->state = ST_ESC;
		return VTP_NONE;
	}
	if (c == 0x18 || c == 0x1a) { /* CAN, SUB */
		p->state = ST_GROUND;
		return VTP_NONE;
	}
	switch (p->state) {
	case ST_ESC:
		if (c < 0x20)
			return VTP_PRINT;
		if (c == '[') {
			memset(&p->seq, 0, sizeof(p->seq));
			p->seq.csi = true;
			p->state = ST_CSI;
			return VTP_NONE;
		}
		p->state = ST_GROUND;
		memset(out, 0, sizeof(*out));
		out->final = (char)c;
		return VTP_SEQ;
	case ST_CSI:
		if (c < 0x20)
			return VTP_PRINT;
		if (c >= '0' && c <= '9') {
			if (p->seq.nparams == 0)
				p->seq.nparams = 1;
			unsigned *v = &p->seq.params[p->seq.nparams - 1];
			*v = *v * 10 + (c - '0');
			if (*v > VTP_PARAM_MAX)
				*v = VTP_PARAM_MAX;
			return VTP_NONE;
		}
		if (c == ';') {
			if (p->seq.nparams == 0)
				p->seq.nparams = 1;
			if (p->seq.nparams < VTP_MAX_PARAMS)
				p->seq.params[p->seq.nparams++] = 0;
			return VTP_NONE;
		}
		if (c == '?' || c == '>' || c == '=') {
			p->seq.private_ = true;
			return VTP_NONE;
		}
		if (c >= 0x40 && c <= 0x7e) {
			p->state = ST_GROUND;
			p->seq.final = (char)c;
			*out = p->seq;
			return VTP_SEQ;
		}
		return VTP_NONE; /* intermediate bytes (0x20-0x2f) and anything odd */
	default:
		return VTP_PRINT;
	}
}
