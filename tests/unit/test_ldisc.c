// unit-deps: kernel/tty/ldisc.c kernel/lib/string.c
/*
 * Host tests for the N_TTY line discipline (kernel/tty/ldisc.c): bytes typed in, then what
 * read() would return, what was echoed and which signal was raised, under Linux's default
 * termios and with flags changed as stty would; output post-processing (ONLCR, OCRNL, ONOCR).
 * Expected values are Linux's behaviour (n_tty.c as documented in termios(3)).
 */
#include "unit.h"

#include "host_prefix.h"

#include "lib/string.h"

#include "tty/ldisc.h"

static char echoed[8192];
static size_t echoed_len;

static void capture(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	CHECK(echoed_len + n < sizeof(echoed));
	kern_memcpy(echoed + echoed_len, s, n);
	echoed_len += n;
	echoed[echoed_len] = 0;
}

static struct ldisc ld;

static void fresh(void)
{
	ldisc_init(&ld, capture, NULL);
	echoed_len = 0;
	echoed[0] = 0;
}

/* Types s; returns the last signal raised (0 if none). */
static int type(const char *s)
{
	int sig = 0;
	for (; *s; s++) {
		int r = ldisc_receive(&ld, (uint8_t)*s);
		if (r)
			sig = r;
	}
	return sig;
}

/* Reads up to len bytes into a NUL-terminated string. */
static size_t rd(char *out, size_t len, bool *eof)
{
	size_t n = ldisc_read(&ld, out, len, eof);
	out[n] = 0;
	return n;
}

TEST(defaults_match_linux)
{
	fresh();
	CHECK(ld.tio.c_iflag == (ICRNL | IXON));
	CHECK(ld.tio.c_oflag == (OPOST | ONLCR));
	CHECK(ld.tio.c_lflag == (ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN));
	CHECK(ld.tio.c_cc[VINTR] == 3 && ld.tio.c_cc[VERASE] == 0x7f && ld.tio.c_cc[VEOF] == 4);
	CHECK(ld.tio.c_cc[VMIN] == 1 && ld.tio.c_cc[VTIME] == 0);
}

TEST(canonical_line_needs_newline)
{
	fresh();
	char buf[64];
	bool eof;
	type("hello");
	CHECK(!ldisc_line_ready(&ld));
	CHECK(ldisc_readable(&ld) == 0);
	CHECK(rd(buf, sizeof(buf), &eof) == 0 && !eof);
	type("\r"); /* ICRNL: Enter is a newline */
	CHECK(ldisc_line_ready(&ld));
	CHECK(ldisc_readable(&ld) == 6);
	CHECK(rd(buf, sizeof(buf), &eof) == 6);
	CHECK(strcmp(buf, "hello\n") == 0);
	CHECK(strcmp(echoed, "hello\r\n") == 0); /* echo goes through ONLCR */
}

TEST(canonical_read_stops_at_each_line)
{
	fresh();
	char buf[64];
	bool eof;
	type("one\ntwo\n");
	CHECK(rd(buf, sizeof(buf), &eof) == 4 && strcmp(buf, "one\n") == 0);
	CHECK(rd(buf, 2, &eof) == 2 && strcmp(buf, "tw") == 0); /* a short read leaves the rest */
	CHECK(rd(buf, sizeof(buf), &eof) == 2 && strcmp(buf, "o\n") == 0);
	CHECK(!ldisc_line_ready(&ld));
}

TEST(erase_and_echo)
{
	fresh();
	char buf[64];
	bool eof;
	type("abX\x7f" "c\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "abc\n") == 0);
	CHECK(strcmp(echoed, "abX\b \bc\r\n") == 0);
	/* Erasing at the start of a line does nothing and echoes nothing. */
	echoed_len = 0;
	echoed[0] = 0;
	type("\x7f\x7f" "z\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "z\n") == 0);
	CHECK(strcmp(echoed, "z\r\n") == 0);
}

TEST(erase_control_char_and_tab)
{
	fresh();
	char buf[64];
	bool eof;
	type("a\x01"); /* shown as ^A: two cells */
	CHECK(strcmp(echoed, "a^A") == 0);
	type("\x7f");
	CHECK(strcmp(echoed, "a^A\b \b\b \b") == 0);
	echoed_len = 0;
	echoed[0] = 0;
	type("\tb\x7f\x7f"); /* the tab went from column 1 to 8: seven backspaces */
	CHECK(strcmp(echoed, "\tb\b \b\b\b\b\b\b\b\b") == 0);
	type("\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "a\n") == 0);
}

TEST(kill_and_word_erase)
{
	fresh();
	char buf[64];
	bool eof;
	type("zzz\x15" "one two  \x17" "three\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "one three\n") == 0);
	/* With ECHOKE the kill erases visually; without ECHOKE it echoes ^U and a newline. */
	fresh();
	ld.tio.c_lflag &= ~ECHOKE;
	type("ab\x15");
	CHECK(strcmp(echoed, "ab^U\r\n") == 0);
}

TEST(eof_at_line_start_and_after_data)
{
	fresh();
	char buf[64];
	bool eof;
	type("\x04");
	CHECK(ldisc_line_ready(&ld));
	CHECK(rd(buf, sizeof(buf), &eof) == 0 && eof);
	CHECK(!ldisc_line_ready(&ld));
	type("abc\x04");
	CHECK(rd(buf, sizeof(buf), &eof) == 3 && !eof && strcmp(buf, "abc") == 0);
	CHECK(!ldisc_line_ready(&ld)); /* the EOF was this line's end, consumed with it */
	CHECK(strcmp(echoed, "abc") == 0); /* EOF is not echoed */
}

TEST(signal_characters)
{
	fresh();
	CHECK(type("abc\x03") == 2); /* SIGINT */
	CHECK(strcmp(echoed, "abc^C") == 0);
	CHECK(ld.head == ld.tail); /* the pending input is flushed */
	CHECK(type("\x1c") == 3);  /* SIGQUIT */
	CHECK(type("\x1a") == 20); /* SIGTSTP */
	/* NOFLSH keeps the input; without ISIG ^C is an ordinary byte. */
	ld.tio.c_lflag |= NOFLSH;
	type("x");
	CHECK(type("\x03") == 2 && ld.head != ld.tail);
	fresh();
	ld.tio.c_lflag &= ~ISIG;
	CHECK(type("\x03\n") == 0);
	char buf[8];
	bool eof;
	CHECK(rd(buf, sizeof(buf), &eof) == 2 && buf[0] == 3);
}

TEST(raw_mode)
{
	fresh();
	struct termios_k t = ld.tio;
	t.c_lflag &= ~(ICANON | ECHO);
	type("pending"); /* half a line when leaving canonical mode: it becomes readable */
	ldisc_set_termios(&ld, &t);
	CHECK(ldisc_readable(&ld) == 7);
	char buf[64];
	bool eof;
	CHECK(rd(buf, sizeof(buf), &eof) == 7);
	echoed_len = 0;
	echoed[0] = 0;
	type("\x7f\x15q\r");
	CHECK(ldisc_readable(&ld) == 4);
	CHECK(rd(buf, sizeof(buf), &eof) == 4);
	CHECK(memcmp(buf, "\x7f\x15q\n", 4) == 0); /* ICRNL still applies; no editing */
	CHECK(echoed_len == 0);
}

TEST(input_mapping)
{
	fresh();
	char buf[16];
	bool eof;
	ld.tio.c_iflag = IGNCR;
	type("a\rb\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "ab\n") == 0);
	ld.tio.c_iflag = ISTRIP;
	type("\xe1\n");
	rd(buf, sizeof(buf), &eof);
	CHECK(strcmp(buf, "a\n") == 0);
	/* VLNEXT quotes the next byte: ^V^C is a literal 0x03, not a signal. */
	ld.tio.c_iflag = ICRNL;
	CHECK(type("\x16\x03\n") == 0);
	rd(buf, sizeof(buf), &eof);
	CHECK(buf[0] == 3 && buf[1] == '\n');
}

TEST(echonl_and_no_echo)
{
	fresh();
	ld.tio.c_lflag &= ~ECHO;
	type("secret\n");
	CHECK(echoed_len == 0);
	ld.tio.c_lflag |= ECHONL;
	type("secret\n");
	CHECK(strcmp(echoed, "\r\n") == 0);
}

TEST(flow_control)
{
	fresh();
	type("\x13");
	CHECK(ld.stopped);
	type("\x11");
	CHECK(!ld.stopped);
	CHECK(ld.head == ld.tail); /* consumed, not input */
}

TEST(buffer_full_keeps_room_for_newline)
{
	fresh();
	ld.tio.c_lflag &= ~ECHO;
	for (int i = 0; i < LDISC_BUF_SIZE + 100; i++)
		ldisc_receive(&ld, 'x');
	CHECK(ld.head - ld.tail == LDISC_BUF_SIZE - 1);
	CHECK(!ldisc_line_ready(&ld));
	ldisc_receive(&ld, '\n');
	CHECK(ldisc_line_ready(&ld));
	static char big[LDISC_BUF_SIZE + 1];
	bool eof;
	CHECK(ldisc_read(&ld, big, sizeof(big), &eof) == LDISC_BUF_SIZE);
	CHECK(big[LDISC_BUF_SIZE - 1] == '\n');
}

TEST(output_processing)
{
	fresh();
	ldisc_write(&ld, "a\nb", 3);
	CHECK(strcmp(echoed, "a\r\nb") == 0);
	fresh();
	ld.tio.c_oflag = OPOST | OCRNL;
	ldisc_write(&ld, "x\r", 2);
	CHECK(strcmp(echoed, "x\n") == 0);
	fresh();
	ld.tio.c_oflag = OPOST | ONOCR;
	ldisc_write(&ld, "\rab\r", 4); /* a CR at column 0 is dropped */
	CHECK(strcmp(echoed, "ab\r") == 0);
	fresh();
	ld.tio.c_oflag = 0; /* no post-processing at all */
	ldisc_write(&ld, "a\n", 2);
	CHECK(strcmp(echoed, "a\n") == 0);
}

/* Random bytes never break the invariants (tail <= canon_head <= head, bounded fill). */
TEST(random_input_keeps_invariants)
{
	uint32_t seed = 12345;
	fresh();
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		uint8_t c = (uint8_t)(seed >> 16);
		if ((seed >> 8) % 97 == 0) {
			struct termios_k t = ld.tio;
			t.c_lflag ^= (seed & 1) ? ICANON : ECHO;
			ldisc_set_termios(&ld, &t);
		}
		ldisc_receive(&ld, c);
		if (echoed_len > 4096)
			echoed_len = 0;
		CHECK(ld.canon_head - ld.tail <= ld.head - ld.tail);
		CHECK(ld.head - ld.tail <= LDISC_BUF_SIZE);
		if ((seed >> 4) % 5 == 0) {
			char buf[100];
			bool eof;
			size_t n = ldisc_read(&ld, buf, (seed >> 20) % sizeof(buf), &eof);
			CHECK(n <= sizeof(buf));
		}
	}
}
