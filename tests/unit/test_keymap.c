// unit-deps: kernel/drivers/input/keymap.c kernel/lib/string.c
/* The scan code set 1 decoder: typing, modifiers and locks, extended keys, Pause, garbage. */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "drivers/input/keymap.h"
#include "lib/string.h"

/* Feeds bytes and collects everything the decoder sends into a NUL-terminated string. */
static char out_buf[4096];

static const char *feed(struct keymap *km, const uint8_t *bytes, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char tmp[KEYMAP_OUT_MAX];
		size_t got = keymap_feed(km, bytes[i], NULL, tmp, sizeof(tmp));
		if (got > sizeof(tmp) || len + got >= sizeof(out_buf))
			abort();
		memcpy(out_buf + len, tmp, got);
		len += got;
	}
	out_buf[len] = 0;
	return out_buf;
}
#define FEED(km, ...) feed(km, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Set 1 make codes for the characters of a US keyboard; bit 8 = needs Shift. */
#define SH 0x100
static int us_code(char c)
{
	static const char row1[] = "1234567890-=", row1s[] = "!@#$%^&*()_+";
	static const char row2[] = "qwertyuiop[]", row3[] = "asdfghjkl;'`", row4[] = "zxcvbnm,./";
	static const char row2s[] = "QWERTYUIOP{}", row3s[] = "ASDFGHJKL:\"~", row4s[] = "ZXCVBNM<>?";
	const char *p;
	if (c == ' ')
		return 0x39;
	if (c == '\\')
		return 0x2b;
	if (c == '|')
		return 0x2b | SH;
	if ((p = strchr(row1, c)))
		return 0x02 + (int)(p - row1);
	if ((p = strchr(row1s, c)))
		return (0x02 + (int)(p - row1s)) | SH;
	if ((p = strchr(row2, c)))
		return 0x10 + (int)(p - row2);
	if ((p = strchr(row2s, c)))
		return (0x10 + (int)(p - row2s)) | SH;
	if ((p = strchr(row3, c)))
		return 0x1e + (int)(p - row3);
	if ((p = strchr(row3s, c)))
		return (0x1e + (int)(p - row3s)) | SH;
	if ((p = strchr(row4, c)))
		return 0x2c + (int)(p - row4);
	if ((p = strchr(row4s, c)))
		return (0x2c + (int)(p - row4s)) | SH;
	return -1;
}

/* Types a string the way a person would: Shift (left) down around shifted characters. */
static const char *type_string(struct keymap *km, const char *s)
{
	static uint8_t seq[4096];
	size_t n = 0;
	for (; *s; s++) {
		int code = us_code(*s);
		if (code < 0)
			abort();
		if (code & SH)
			seq[n++] = 0x2a;
		seq[n++] = (uint8_t)code;
		seq[n++] = (uint8_t)(code | 0x80);
		if (code & SH)
			seq[n++] = 0xaa;
	}
	return feed(km, seq, n);
}

TEST(hello_world)
{
	struct keymap km;
	keymap_init(&km);
	CHECK_STR(type_string(&km, "Hello, World!"), "Hello, World!");
	CHECK_INT(km.mods, 0);
}

TEST(every_printable_character)
{
	struct keymap km;
	keymap_init(&km);
	const char *all = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./ "
			  "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?";
	CHECK_STR(type_string(&km, all), all);
}

TEST(right_shift_and_held_shift)
{
	struct keymap km;
	keymap_init(&km);
	/* Right Shift held over three keys, one of them repeating. */
	CHECK_STR(FEED(&km, 0x36, 0x1e, 0x9e, 0x1e, 0x1e, 0x9e, 0x02, 0x82, 0xb6, 0x1e, 0x9e), "AAA!a");
}

TEST(break_codes_send_nothing)
{
	struct keymap km;
	keymap_init(&km);
	CHECK_STR(FEED(&km, 0x9e, 0xb0, 0x9c, 0xe0, 0xc8, 0xaa, 0xb6, 0x9d, 0xb8), "");
	CHECK_INT(km.mods, 0);
}

TEST(enter_backspace_tab_escape)
{
	struct keymap km;
	keymap_init(&km);
	CHECK_STR(FEED(&km, 0x1c, 0x9c, 0x0e, 0x8e, 0x0f, 0x8f, 0x01, 0x81), "\r\x7f\t\x1b");
	/* Keypad Enter is Enter too. */
	CHECK_STR(FEED(&km, 0xe0, 0x1c, 0xe0, 0x9c), "\r");
}

TEST(caps_lock)
{
	struct keymap km;
	keymap_init(&km);
	FEED(&km, 0x3a, 0xba); /* Caps Lock on */
	CHECK(km.mods & KMOD_CAPSLOCK);
	/* Letters flip, digits and punctuation do not. */
	CHECK_STR(type_string(&km, "ab1;"), "AB1;");
	/* Shift undoes Caps Lock for letters only. */
	CHECK_STR(FEED(&km, 0x2a, 0x1e, 0x9e, 0x02, 0x82, 0xaa), "a!");
	/* A held (repeating) Caps Lock toggles once. */
	FEED(&km, 0x3a, 0x3a, 0x3a, 0xba);
	CHECK(!(km.mods & KMOD_CAPSLOCK));
	CHECK_STR(type_string(&km, "a"), "a");
}

TEST(ctrl)
{
	struct keymap km;
	keymap_init(&km);
	/* Left Ctrl + c, then right Ctrl (E0 1D) + a, + [, + \, + ], + Space. */
	CHECK_STR(FEED(&km, 0x1d, 0x2e, 0xae, 0x9d), "\x03");
	CHECK_STR(FEED(&km, 0xe0, 0x1d, 0x1e, 0x9e, 0x1a, 0x9a, 0x2b, 0xab, 0x1b, 0x9b, 0xe0, 0x9d),
		  "\x01\x1b\x1c\x1d");
	struct keymap km2;
	keymap_init(&km2);
	char out[KEYMAP_OUT_MAX];
	CHECK_INT(keymap_feed(&km2, 0x1d, NULL, out, sizeof(out)), 0);
	CHECK_INT(keymap_feed(&km2, 0x39, NULL, out, sizeof(out)), 1);
	CHECK_INT(out[0], 0);
	/* Ctrl+z with Shift is still 0x1a; Ctrl+Shift+2 (@) is NUL. */
	CHECK_STR(FEED(&km, 0x1d, 0x2a, 0x2c, 0xac), "\x1a");
	CHECK_INT(keymap_feed(&km, 0x03, NULL, out, sizeof(out)), 1);
	CHECK_INT(out[0], 0);
	FEED(&km, 0x83, 0xaa, 0x9d);
	CHECK_INT(km.mods, 0);
	CHECK_STR(type_string(&km, "c"), "c");
}

TEST(alt_sends_escape)
{
	struct keymap km;
	keymap_init(&km);
	CHECK_STR(FEED(&km, 0x38, 0x30, 0xb0, 0xb8), "\x1b" "b");
	/* Right Alt (E0 38) too, with Ctrl: ESC ^X. */
	CHECK_STR(FEED(&km, 0xe0, 0x38, 0x1d, 0x2d, 0xad, 0x9d, 0xe0, 0xb8), "\x1b\x18");
	CHECK_INT(km.mods, 0);
}

TEST(extended_keys)
{
	struct keymap km;
	keymap_init(&km);
	CHECK_STR(FEED(&km, 0xe0, 0x48, 0xe0, 0xc8), "\x1b[A");
	CHECK_STR(FEED(&km, 0xe0, 0x50, 0xe0, 0xd0), "\x1b[B");
	CHECK_STR(FEED(&km, 0xe0, 0x4d, 0xe0, 0xcd), "\x1b[C");
	CHECK_STR(FEED(&km, 0xe0, 0x4b, 0xe0, 0xcb), "\x1b[D");
	CHECK_STR(FEED(&km, 0xe0, 0x47, 0xe0, 0xc7), "\x1b[H");
	CHECK_STR(FEED(&km, 0xe0, 0x4f, 0xe0, 0xcf), "\x1b[F");
	CHECK_STR(FEED(&km, 0xe0, 0x53, 0xe0, 0xd3), "\x1b[3~");
	CHECK_STR(FEED(&km, 0xe0, 0x49, 0xe0, 0xc9), "\x1b[5~");
	CHECK_STR(FEED(&km, 0xe0, 0x51, 0xe0, 0xd1), "\x1b[6~");
	CHECK_STR(FEED(&km, 0xe0, 0x52, 0xe0, 0xd2), "\x1b[2~");
	CHECK_STR(FEED(&km, 0xe0, 0x35, 0xe0, 0xb5), "/");
	/* The same keys without E0 are the keypad: editing keys with Num Lock off... */
	CHECK_STR(FEED(&km, 0x48, 0xc8, 0x53, 0xd3), "\x1b[A\x1b[3~");
	/* ...digits with it on. */
	FEED(&km, 0x45, 0xc5);
	CHECK(km.mods & KMOD_NUMLOCK);
	CHECK_STR(FEED(&km, 0x48, 0xc8, 0x53, 0xd3, 0x4a, 0xca), "8.-");
	/* With Num Lock on, the cursor keys come wrapped in fake shifts (E0 2A ... E0 AA). */
	CHECK_STR(FEED(&km, 0xe0, 0x2a, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0xaa), "\x1b[A");
	CHECK_INT(km.mods & KMOD_HELD, 0);
	CHECK_STR(FEED(&km, 0x3b, 0xbb, 0x58, 0xd8), "\x1b[[A\x1b[24~");
}

TEST(events)
{
	struct keymap km;
	keymap_init(&km);
	struct keymap_event ev;
	char out[KEYMAP_OUT_MAX];
	keymap_feed(&km, 0xe0, &ev, out, sizeof(out));
	CHECK_INT(ev.keycode, KEY_RESERVED);
	keymap_feed(&km, 0x1d, &ev, out, sizeof(out));
	CHECK_INT(ev.keycode, KEY_RIGHTCTRL);
	CHECK(ev.pressed && !ev.repeat);
	CHECK_INT(ev.mods, KMOD_RCTRL);
	keymap_feed(&km, 0xe0, &ev, out, sizeof(out));
	keymap_feed(&km, 0x1d, &ev, out, sizeof(out));
	CHECK(ev.pressed && ev.repeat);
	keymap_feed(&km, 0xe0, &ev, out, sizeof(out));
	keymap_feed(&km, 0x9d, &ev, out, sizeof(out));
	CHECK_INT(ev.keycode, KEY_RIGHTCTRL);
	CHECK(!ev.pressed);
	CHECK_INT(ev.mods, 0);
}

TEST(pause_swallowed)
{
	struct keymap km;
	keymap_init(&km);
	struct keymap_event ev;
	char out[KEYMAP_OUT_MAX];
	static const uint8_t pause[] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
	int presses = 0, releases = 0;
	for (size_t i = 0; i < sizeof(pause); i++) {
		CHECK_INT(keymap_feed(&km, pause[i], &ev, out, sizeof(out)), 0);
		if (ev.keycode == KEY_PAUSE)
			ev.pressed ? presses++ : releases++;
		CHECK(ev.keycode == KEY_RESERVED || ev.keycode == KEY_PAUSE);
	}
	CHECK_INT(presses, 1);
	CHECK_INT(releases, 1);
	/* Its 1D/9D did not leave Ctrl held, nor 45 toggle Num Lock. */
	CHECK_INT(km.mods, 0);
	CHECK_STR(type_string(&km, "x"), "x");
}

TEST(output_never_exceeds_cap)
{
	struct keymap km;
	keymap_init(&km);
	char out[KEYMAP_OUT_MAX];
	/* Up is 3 bytes: refused whole with room for 2, written with room for 3. */
	CHECK_INT(keymap_feed(&km, 0xe0, NULL, out, 2), 0);
	CHECK_INT(keymap_feed(&km, 0x48, NULL, out, 2), 0);
	CHECK_INT(keymap_feed(&km, 0xe0, NULL, out, 3), 0);
	CHECK_INT(keymap_feed(&km, 0x48, NULL, out, 3), 3);
	CHECK_INT(keymap_feed(&km, 0x1e, NULL, out, 0), 0);
}

/* Releases every key, plain and extended, after flushing any half-read sequence. */
static void release_all(struct keymap *km)
{
	char out[KEYMAP_OUT_MAX];
	keymap_feed(km, 0xff, NULL, out, sizeof(out));
	for (unsigned code = 1; code < 0x80; code++) {
		keymap_feed(km, (uint8_t)(code | 0x80), NULL, out, sizeof(out));
		keymap_feed(km, 0xe0, NULL, out, sizeof(out));
		keymap_feed(km, (uint8_t)(code | 0x80), NULL, out, sizeof(out));
	}
}

TEST(random_bytes)
{
	struct keymap km;
	keymap_init(&km);
	srand(12345);
	/* An output buffer of exactly KEYMAP_OUT_MAX bytes on the heap: ASan sees any overrun. */
	char *out = malloc(KEYMAP_OUT_MAX);
	CHECK(out != NULL);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 20000; i++) {
			struct keymap_event ev;
			/* The last cap bytes of the buffer: a write past cap is a heap overflow. */
			size_t cap = (size_t)(rand() % (KEYMAP_OUT_MAX + 1));
			size_t n = keymap_feed(&km, (uint8_t)rand(), &ev, out + KEYMAP_OUT_MAX - cap, cap);
			if (n > cap) {
				free(out);
				CHECK(n <= cap);
			}
			if (ev.keycode >= KEY_MAX) {
				free(out);
				CHECK(ev.keycode < KEY_MAX);
			}
		}
		release_all(&km);
		if (km.mods & KMOD_HELD) {
			free(out);
			CHECK_INT(km.mods & KMOD_HELD, 0);
		}
		/* Whatever the locks ended as, a plain key types plainly. */
		uint16_t caps = km.mods & KMOD_CAPSLOCK;
		size_t n = keymap_feed(&km, 0x1e, NULL, out, KEYMAP_OUT_MAX);
		keymap_feed(&km, 0x9e, NULL, out, KEYMAP_OUT_MAX);
		if (n != 1 || out[0] != (caps ? 'A' : 'a')) {
			free(out);
			CHECK(false);
		}
	}
	free(out);
}

TEST(translate_every_key_fits)
{
	char out[KEYMAP_OUT_MAX];
	for (unsigned key = 0; key < KEY_MAX + 10; key++)
		for (unsigned mods = 0; mods < 0x400; mods++)
			CHECK(keymap_translate((uint16_t)key, (uint16_t)mods, out) <= KEYMAP_OUT_MAX);
}
