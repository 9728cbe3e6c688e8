// unit-deps: kernel/drivers/video/vtparse.c kernel/lib/string.c
/* The console escape-sequence parser: CSI parameters, private marks, aborts, controls inside. */
#include "unit.h"

#include "host_prefix.h"

#include "drivers/video/vtparse.h"
#include "lib/string.h"

/* Feeds s; returns the results as a string: 'p' print, 's' sequence, '.' swallowed. The last
 * sequence lands in *last. */
static void feed(struct vtparse *p, const char *s, char *trace, struct vt_seq *last)
{
	size_t n = 0;
	for (; *s; s++) {
		struct vt_seq seq;
		enum vtp_result r = vtparse_feed(p, (uint8_t)*s, &seq);
		trace[n++] = r == VTP_PRINT ? 'p' : r == VTP_SEQ ? 's' : '.';
		if (r == VTP_SEQ)
			*last = seq;
	}
	trace[n] = 0;
}

TEST(plain_text_prints)
{
	struct vtparse p;
	vtparse_init(&p);
	char t[32];
	struct vt_seq s;
	feed(&p, "ab\r\n", t, &s);
	CHECK(strcmp(t, "pppp") == 0);
}

TEST(csi_with_parameters)
{
	struct vtparse p;
	vtparse_init(&p);
	char t[32];
	struct vt_seq s;
	feed(&p, "\x1b[12;34H", t, &s);
	CHECK(strcmp(t, ".......s") == 0);
	CHECK(s.csi && s.final == 'H' && !s.private_);
	CHECK(s.nparams == 2 && s.params[0] == 12 && s.params[1] == 34);
	feed(&p, "\x1b[K", t, &s);
	CHECK(s.final == 'K' && s.nparams == 0);
	CHECK(vt_seq_param(&s, 0, 1) == 1);
	feed(&p, "\x1b[;5H", t, &s); /* an empty first parameter is the default */
	CHECK(s.nparams == 2 && vt_seq_param(&s, 0, 1) == 1 && vt_seq_param(&s, 1, 1) == 5);
	feed(&p, "\x1b[?25l", t, &s);
	CHECK(s.private_ && s.final == 'l' && s.params[0] == 25);
	feed(&p, "\x1b[99999999A", t, &s); /* huge numbers are capped */
	CHECK(s.params[0] == VTP_PARAM_MAX);
	feed(&p, "\x1b[1;2;3;4;5;6;7;8;9;10m", t, &s); /* extra parameters are dropped */
	CHECK(s.nparams == VTP_MAX_PARAMS);
}

TEST(escape_aborts_and_controls)
{
	struct vtparse p;
	vtparse_init(&p);
	char t[32];
	struct vt_seq s = { 0 };
	feed(&p, "\x1b[1\x18x", t, &s); /* CAN aborts: x prints */
	CHECK(strcmp(t, "....p") == 0);
	feed(&p, "\x1b[2\bD", t, &s); /* a control inside acts at once; the sequence goes on */
	CHECK(strcmp(t, "...ps") == 0);
	CHECK(s.final == 'D' && s.params[0] == 2);
	feed(&p, "\x1b" "7q", t, &s); /* ESC 7: a two-byte sequence */
	CHECK(strcmp(t, ".sp") == 0);
	CHECK(!s.csi && s.final == '7');
	feed(&p, "\x1b\x1b[C", t, &s); /* ESC restarts */
	CHECK(strcmp(t, "...s") == 0 && s.final == 'C');
}

TEST(status_replies)
{
	struct vtparse p;
	vtparse_init(&p);
	char t[32], buf[24];
	struct vt_seq s;
	feed(&p, "\x1b[6n", t, &s);
	size_t n = vt_status_reply(&s, 79, 23, buf);
	CHECK(n == 8 && memcmp(buf, "\x1b[24;80R", 8) == 0);
	feed(&p, "\x1b[5n", t, &s);
	CHECK(vt_status_reply(&s, 0, 0, buf) == 4);
	feed(&p, "\x1b[K", t, &s);
	CHECK(vt_status_reply(&s, 0, 0, buf) == 0);
	feed(&p, "\x1b[9999;9999H", t, &s);
	CHECK(vt_status_reply(&s, 0, 0, buf) == 0);
	feed(&p, "\x1b[6n", t, &s);
	CHECK(vt_status_reply(&s, 9998, 9998, buf) == 12); /* ESC [ 9999 ; 9999 R */
}
