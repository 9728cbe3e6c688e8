/*
 * The line discipline (Linux's N_TTY): what turns a terminal's input bytes into what read()
 * returns, what is echoed and which signal a control character raises, and what output
 * post-processing (OPOST) does to written bytes. Pure logic without locks or kernel services:
 * the TTY core (tty.c) serialises every call, and the host unit tests drive it directly.
 */
#pragma once

#include "lib/types.h"

/* struct termios as the TCGETS/TCSETS ioctls pass it (Linux's kernel layout, 36 bytes). */
#define NCCS 19
struct termios_k {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS];
};
_Static_assert(sizeof(struct termios_k) == 36, "Linux's struct termios is 36 bytes");

/* c_cc indices. */
#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSWTC    7
#define VSTART   8
#define VSTOP    9
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

/* c_iflag */
#define IGNBRK  0000001
#define BRKINT  0000002
#define ISTRIP  0000040
#define INLCR   0000100
#define IGNCR   0000200
#define ICRNL   0000400
#define IUCLC   0001000
#define IXON    0002000
#define IXANY   0004000
#define IXOFF   0010000
#define IMAXBEL 0020000
#define IUTF8   0040000
/* c_oflag */
#define OPOST   0000001
#define OLCUC   0000002
#define ONLCR   0000004
#define OCRNL   0000010
#define ONOCR   0000020
#define ONLRET  0000040
/* c_cflag */
#define B38400  0000017
#define CS8     0000060
#define CREAD   0000200
#define HUPCL   0002000
#define CLOCAL  0004000
/* c_lflag */
#define ISIG    0000001
#define ICANON  0000002
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define TOSTOP  0000400
#define ECHOCTL 0001000
#define ECHOPRT 0002000
#define ECHOKE  0004000
#define IEXTEN  0100000

#define LDISC_BUF_SIZE 4096 /* a power of two; Linux's N_TTY_BUF_SIZE */

/* Where echoes and post-processed output go (the terminal's driver). */
typedef void (*ldisc_out_fn)(void *ctx, const char *s, size_t n);

struct ldisc {
	struct termios_k tio;
	/* The input ring: [tail, head) holds bytes; [tail, canon_head) is complete lines (canonical
	 * mode) and readable; beyond it is the line being edited. Counters run up forever. */
	char buf[LDISC_BUF_SIZE];
	uint8_t mark[LDISC_BUF_SIZE]; /* LDISC_MARK_* per slot */
	uint32_t head, tail, canon_head;
	bool lnext;             /* the previous byte was VLNEXT: take this one literally */
	bool stopped;           /* output stopped by VSTOP (IXON) */
	unsigned column;        /* the output column, for tab erase and ONOCR */
	unsigned canon_column;  /* the column where the line being edited started */
	ldisc_out_fn out;
	void *out_ctx;
};

#define LDISC_MARK_DELIM 1 /* ends a line (newline, EOL, EOL2, EOF) */
#define LDISC_MARK_EOF   2 /* an end-of-file marker: ends read(), never returned */

/* Linux's defaults for a fresh terminal (tty_std_termios): canonical, echo, signals, ONLCR. */
void ldisc_default_termios(struct termios_k *t);
void ldisc_init(struct ldisc *ld, ldisc_out_fn out, void *ctx);
/* New settings; leaving canonical mode makes the edited line readable. */
void ldisc_set_termios(struct ldisc *ld, const struct termios_k *t);

/* One input byte from the terminal. Returns the signal it raises (SIGINT, SIGQUIT, SIGTSTP) or 0. */
int ldisc_receive(struct ldisc *ld, uint8_t c);
/* Bytes read() could take now (canonical: complete lines, EOF markers counted). */
size_t ldisc_readable(const struct ldisc *ld);
/* True when a canonical read would return now (a line or an EOF is complete). */
bool ldisc_line_ready(const struct ldisc *ld);
/* Takes up to len bytes (canonical: at most one line; an EOF marker ends the read and is
 * consumed). Returns the count; 0 with *eof set means end of file. */
size_t ldisc_read(struct ldisc *ld, char *dst, size_t len, bool *eof);
/* Drops all input (TCFLSH, signals without NOFLSH). */
void ldisc_flush_input(struct ldisc *ld);

/* Writes bytes with output post-processing to ld->out. */
void ldisc_write(struct ldisc *ld, const char *s, size_t n);
