/*
 * The N_TTY line discipline (see ldisc.h): canonical editing (erase, kill, word erase, literal
 * next, EOF), echo with Linux's ECHOCTL/ECHOE/ECHOK/ECHOKE/ECHONL rules, the signal characters,
 * input mapping (ISTRIP, INLCR, IGNCR, ICRNL), flow control characters and OPOST output.
 */
#include "tty/ldisc.h"

#include "lib/string.h"

/* Linux's signal numbers (proc/signal.h is not needed for pure logic). */
enum { LD_SIGINT = 2, LD_SIGQUIT = 3, LD_SIGTSTP = 20 };

#define MASK(i) ((i) & (LDISC_BUF_SIZE - 1))

void ldisc_default_termios(struct termios_k *t)
{
	static const uint8_t cc[NCCS] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
	};
	memset(t, 0, sizeof(*t));
	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->c_cc, cc, sizeof(cc));
}

void ldisc_init(struct ldisc *ld, ldisc_out_fn out, void *ctx)
{
	memset(ld, 0, sizeof(*ld));
	ldisc_default_termios(&ld->tio);
	ld->out = out;
	ld->out_ctx = ctx;
}

void ldisc_set_termios(struct ldisc *ld, const struct termios_k *t)
{
	bool was_canon = ld->tio.c_lflag & ICANON;
	ld->tio = *t;
	if (was_canon && !(t->c_lflag & ICANON))
		ld->canon_head = ld->head; /* the half-edited line becomes plain input */
	else if (!was_canon && (t->c_lflag & ICANON))
		ld->canon_head = ld->head; /* what came raw stays readable as it is */
	if (!(t->c_iflag & IXON))
		ld->stopped = false;
}

/* ---- output ---- */

static bool is_utf8_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

/* One byte through OPOST into out (at most 2 bytes); keeps the column. */
static size_t opost(struct ldisc *ld, uint8_t c, char *out)
{
	uint32_t of = ld->tio.c_oflag;
	if (!(of & OPOST)) {
		out[0] = (char)c;
		return 1;
	}
	switch (c) {
	case '\n':
		if (of & ONLCR) {
			ld->column = 0;
			out[0] = '\r';
			out[1] = '\n';
			return 2;
		}
		if (of & ONLRET)
			ld->column = 0;
		break;
	case '\r':
		if ((of & ONOCR) && ld->column == 0)
			return 0;
		if (of & OCRNL) {
			c = '\n';
			if (of & ONLRET)
				ld->column = 0;
			break;
		}
		ld->column = 0;
		break;
	case '\t':
		ld->column = (ld->column | 7) + 1;
		break;
	case '\b':
		if (ld->column > 0)
			ld->column--;
		break;
	default:
		if ((of & OLCUC) && c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c >= 0x20 && c != 0x7f && !is_utf8_cont(c))
			ld->column++;
		break;
	}
	out[0] = (char)c;
	return 1;
}

void ldisc_write(struct ldisc *ld, const char *s, size_t n)
{
	char chunk[128];
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (used + 2 > sizeof(chunk)) {
			ld->out(ld->out_ctx, chunk, used);
			used = 0;
		}
		used += opost(ld, (uint8_t)s[i], chunk + used);
	}
	if (used)
		ld->out(ld->out_ctx, chunk, used);
}

static void echo_raw(struct ldisc *ld, const char *s)
{
	ldisc_write(ld, s, strlen(s));
}

/* Echoes an input byte: control characters as ^X under ECHOCTL (tab and newline as they are). */
static void echo_char(struct ldisc *ld, uint8_t c)
{
	if ((ld->tio.c_lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
		char s[3] = { '^', (char)(c ^ 0100), 0 };
		echo_raw(ld, s);
		return;
	}
	char s = (char)c;
	ldisc_write(ld, &s, 1);
}

/* ---- canonical editing ---- */

static bool echoing(const struct ldisc *ld)
{
	return ld->tio.c_lflag & ECHO;
}

/* The width on screen of the echo of c (for erasing it). */
static bool is_ctl_echo(const struct ldisc *ld, uint8_t c)
{
	return (ld->tio.c_lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n';
}

/* The column where the tab at slot idx started: walk the edited line from its start. */
static unsigned column_before(const struct ldisc *ld, uint32_t idx)
{
	unsigned col = ld->canon_column;
	for (uint32_t i = ld->canon_head; i != idx; i++) {
		uint8_t c = (uint8_t)ld->buf[MASK(i)];
		if (c == '\t')
			col = (col | 7) + 1;
		else if (is_ctl_echo(ld, c))
			col += 2;
		else if (c >= 0x20 && c != 0x7f && !is_utf8_cont(c))
			col++;
	}
	return col;
}

/* Removes the last byte of the edited line (and, with IUTF8, its whole character), echoing the
 * erase. Returns the byte removed. */
static uint8_t erase_one(struct ldisc *ld, bool visual)
{
	uint8_t c;
	do {
		c = (uint8_t)ld->buf[MASK(ld->head - 1)];
		ld->head--;
	} while ((ld->tio.c_iflag & IUTF8) && is_utf8_cont(c) && ld->head != ld->canon_head);
	if (!echoing(ld) || !visual)
		return c;
	unsigned cells = 1;
	if (c == '\t') {
		unsigned before = column_before(ld, ld->head);
		cells = ld->column > before ? ld->column - before : 0;
		while (cells--)
			echo_raw(ld, "\b");
		return c;
	}
	if (is_ctl_echo(ld, c))
		cells = 2;
	while (cells--)
		echo_raw(ld, "\b \b");
	return c;
}

static void do_erase(struct ldisc *ld, uint8_t erase_char)
{
	if (ld->head == ld->canon_head)
		return;
	if (echoing(ld) && !(ld->tio.c_lflag & ECHOE)) {
		erase_one(ld, false);
		echo_char(ld, erase_char);
		return;
	}
	erase_one(ld, true);
}

static bool is_word_char(uint8_t c)
{
	return !(c == ' ' || c == '\t');
}

static void do_werase(struct ldisc *ld)
{
	while (ld->head != ld->canon_head && !is_word_char((uint8_t)ld->buf[MASK(ld->head - 1)]))
		erase_one(ld, true);
	while (ld->head != ld->canon_head && is_word_char((uint8_t)ld->buf[MASK(ld->head - 1)]))
		erase_one(ld, true);
}

static void do_kill(struct ldisc *ld, uint8_t kill_char)
{
	if (ld->head == ld->canon_head)
		return;
	uint32_t lf = ld->tio.c_lflag;
	if (!echoing(ld) || !(lf & ECHOK) || !(lf & ECHOKE) || !(lf & ECHOE)) {
		/* Linux: drop the line at once; echo the kill character and a newline (ECHOK). */
		ld->head = ld->canon_head;
		if (echoing(ld)) {
			echo_char(ld, kill_char);
			if (lf & ECHOK)
				echo_raw(ld, "\n");
		}
		return;
	}
	while (ld->head != ld->canon_head)
		erase_one(ld, true);
}

/* ---- input ---- */

static size_t used(const struct ldisc *ld)
{
	return ld->head - ld->tail;
}

/* Called before a byte's echo: the first byte of a line records where the line starts. */
static void note_line_start(struct ldisc *ld)
{
	if ((ld->tio.c_lflag & ICANON) && ld->head == ld->canon_head)
		ld->canon_column = ld->column;
}

static void put(struct ldisc *ld, uint8_t c, uint8_t mark)
{
	ld->buf[MASK(ld->head)] = (char)c;
	ld->mark[MASK(ld->head)] = mark;
	ld->head++;
	if (mark & LDISC_MARK_DELIM)
		ld->canon_head = ld->head;
}

void ldisc_flush_input(struct ldisc *ld)
{
	ld->tail = ld->canon_head = ld->head;
	ld->lnext = false;
}

/* A plain byte into the buffer, with echo. The last slot is kept for a line's end. */
static void receive_plain(struct ldisc *ld, uint8_t c)
{
	bool canon = ld->tio.c_lflag & ICANON;
	if (used(ld) >= LDISC_BUF_SIZE - (canon ? 1 : 0)) {
		if (canon && (ld->tio.c_iflag & IMAXBEL) && echoing(ld))
			echo_raw(ld, "\a");
		return;
	}
	note_line_start(ld);
	if (echoing(ld))
		echo_char(ld, c);
	put(ld, c, 0);
	if (!canon)
		ld->canon_head = ld->head;
}

/* A byte that ends a line: newline, EOL, EOL2 (stored and returned) or EOF (a marker only). */
static void receive_delim(struct ldisc *ld, uint8_t c, bool eof)
{
	if (used(ld) >= LDISC_BUF_SIZE)
		return;
	if (!eof && (echoing(ld) || (c == '\n' && (ld->tio.c_lflag & ECHONL))))
		echo_char(ld, c);
	put(ld, c, LDISC_MARK_DELIM | (eof ? LDISC_MARK_EOF : 0));
}

static bool is_cc(const struct ldisc *ld, uint8_t c, int idx)
{
	uint8_t v = ld->tio.c_cc[idx];
	return v != 0 && v == c; /* _POSIX_VDISABLE is 0 on Linux */
}

int ldisc_receive(struct ldisc *ld, uint8_t c)
{
	const struct termios_k *t = &ld->tio;
	if (t->c_iflag & ISTRIP)
		c &= 0x7f;
	if (ld->lnext) {
		ld->lnext = false;
		if (echoing(ld) && (t->c_lflag & ICANON))
			echo_raw(ld, "\b \b"); /* remove the "^" shown for VLNEXT */
		receive_plain(ld, c);
		return 0;
	}
	if (t->c_iflag & IXON) {
		if (is_cc(ld, c, VSTOP)) {
			ld->stopped = true;
			return 0;
		}
		if (is_cc(ld, c, VSTART)) {
			ld->stopped = false;
			return 0;
		}
		if (t->c_iflag & IXANY)
			ld->stopped = false;
	}
	if (t->c_lflag & ISIG) {
		int sig = is_cc(ld, c, VINTR) ? LD_SIGINT : is_cc(ld, c, VQUIT) ? LD_SIGQUIT :
			  is_cc(ld, c, VSUSP) ? LD_SIGTSTP : 0;
		if (sig) {
			if (!(t->c_lflag & NOFLSH))
				ldisc_flush_input(ld);
			ld->stopped = false;
			if (echoing(ld))
				echo_char(ld, c);
			return sig;
		}
	}
	if (c == '\r') {
		if (t->c_iflag & IGNCR)
			return 0;
		if (t->c_iflag & ICRNL)
			c = '\n';
	} else if (c == '\n' && (t->c_iflag & INLCR)) {
		c = '\r';
	}
	if (!(t->c_lflag & ICANON)) {
		receive_plain(ld, c);
		return 0;
	}
	if (is_cc(ld, c, VERASE)) {
		do_erase(ld, c);
	} else if (is_cc(ld, c, VKILL)) {
		do_kill(ld, c);
	} else if ((t->c_lflag & IEXTEN) && is_cc(ld, c, VWERASE)) {
		do_werase(ld);
	} else if ((t->c_lflag & IEXTEN) && is_cc(ld, c, VLNEXT)) {
		ld->lnext = true;
		if (echoing(ld))
			echo_raw(ld, "^\b");
	} else if ((t->c_lflag & IEXTEN) && is_cc(ld, c, VREPRINT)) {
		if (echoing(ld)) {
			echo_char(ld, c);
			echo_raw(ld, "\n");
			for (uint32_t i = ld->canon_head; i != ld->head; i++)
				echo_char(ld, (uint8_t)ld->buf[MASK(i)]);
		}
	} else if (c == '\n' || is_cc(ld, c, VEOL) || is_cc(ld, c, VEOL2)) {
		receive_delim(ld, c, false);
	} else if (is_cc(ld, c, VEOF)) {
		receive_delim(ld, c, true);
	} else {
		receive_plain(ld, c);
	}
	return 0;
}

/* ---- reading ---- */

size_t ldisc_readable(const struct ldisc *ld)
{
	size_t n = 0;
	for (uint32_t i = ld->tail; i != ld->canon_head; i++)
		if (!(ld->mark[MASK(i)] & LDISC_MARK_EOF))
			n++;
	return n;
}

bool ldisc_line_ready(const struct ldisc *ld)
{
	return ld->canon_head != ld->tail;
}

size_t ldisc_read(struct ldisc *ld, char *dst, size_t len, bool *eof)
{
	bool canon = ld->tio.c_lflag & ICANON;
	size_t n = 0;
	*eof = false;
	while (n < len && ld->tail != ld->canon_head) {
		uint32_t slot = MASK(ld->tail);
		uint8_t mark = ld->mark[slot];
		if (mark & LDISC_MARK_EOF) {
			/* EOF ends its line and is consumed: alone, it is the end of file. */
			ld->tail++;
			*eof = n == 0;
			break;
		}
		dst[n++] = ld->buf[slot];
		ld->tail++;
		if (canon && (mark & LDISC_MARK_DELIM))
			break;
	}
	return n;
}
