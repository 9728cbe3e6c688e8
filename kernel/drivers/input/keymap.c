/*
 * Scan code set 1 decoding and the US layout. Held modifiers are derived from the table of keys
 * down, so releasing every key always leaves no modifier stuck, whatever bytes came before.
 * What a key sends follows the Linux console: Enter is CR (the TTY layer's ICRNL turns it into
 * NL), Backspace is DEL, Alt prefixes ESC (meta sends escape); the cursor and editing keys use
 * the xterm forms ESC [ A..D, ESC [ H / F, ESC [ 2/3/5/6 ~.
 */
#include "drivers/input/keymap.h"

#include "lib/string.h"

#define SC_EXTENDED 0xe0
#define SC_PAUSE    0xe1
#define SC_BREAK    0x80

/* Set 1 codes after 0xe0. 0x2a and 0x36 are the "fake shifts" sent around Print Screen and the
 * cursor keys (with Num Lock on); they are not keys, so they map to nothing. */
static const uint8_t extended_keys[128] = {
	[0x1c] = KEY_KPENTER,   [0x1d] = KEY_RIGHTCTRL, [0x35] = KEY_KPSLASH,
	[0x37] = KEY_SYSRQ,     [0x38] = KEY_RIGHTALT,  [0x46] = KEY_PAUSE, /* Ctrl+Break */
	[0x47] = KEY_HOME,      [0x48] = KEY_UP,        [0x49] = KEY_PAGEUP,
	[0x4b] = KEY_LEFT,      [0x4d] = KEY_RIGHT,     [0x4f] = KEY_END,
	[0x50] = KEY_DOWN,      [0x51] = KEY_PAGEDOWN,  [0x52] = KEY_INSERT,
	[0x53] = KEY_DELETE,    [0x5b] = KEY_LEFTMETA,  [0x5c] = KEY_RIGHTMETA,
	[0x5d] = KEY_COMPOSE,
};

/* Unprefixed set 1 codes 0x01..0x58 are Linux's key codes themselves. */
#define SC_LAST_PLAIN 0x58

/* US layout: what a key sends without and with Shift (0: nothing printable). */
static const char us_plain[KEY_MAX] = {
	[KEY_ESC] = 0x1b, [KEY_1] = '1', '2', '3', '4', '5', '6', '7', '8', '9', [KEY_0] = '0',
	[KEY_MINUS] = '-', [KEY_EQUAL] = '=', [KEY_BACKSPACE] = 0x7f, [KEY_TAB] = '\t',
	[KEY_Q] = 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p',
	[KEY_LEFTBRACE] = '[', [KEY_RIGHTBRACE] = ']', [KEY_ENTER] = '\r',
	[KEY_A] = 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l',
	[KEY_SEMICOLON] = ';', [KEY_APOSTROPHE] = '\'', [KEY_GRAVE] = '`', [KEY_BACKSLASH] = '\\',
	[KEY_Z] = 'z', 'x', 'c', 'v', 'b', 'n', 'm',
	[KEY_COMMA] = ',', [KEY_DOT] = '.', [KEY_SLASH] = '/', [KEY_KPASTERISK] = '*',
	[KEY_SPACE] = ' ', [KEY_KPMINUS] = '-', [KEY_KPPLUS] = '+', [KEY_102ND] = '<',
	[KEY_KPENTER] = '\r', [KEY_KPSLASH] = '/',
};

static const char us_shift[KEY_MAX] = {
	[KEY_ESC] = 0x1b, [KEY_1] = '!', '@', '#', '$', '%', '^', '&', '*', '(', [KEY_0] = ')',
	[KEY_MINUS] = '_', [KEY_EQUAL] = '+', [KEY_BACKSPACE] = 0x7f, [KEY_TAB] = '\t',
	[KEY_Q] = 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P',
	[KEY_LEFTBRACE] = '{', [KEY_RIGHTBRACE] = '}', [KEY_ENTER] = '\r',
	[KEY_A] = 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L',
	[KEY_SEMICOLON] = ':', [KEY_APOSTROPHE] = '"', [KEY_GRAVE] = '~', [KEY_BACKSLASH] = '|',
	[KEY_Z] = 'Z', 'X', 'C', 'V', 'B', 'N', 'M',
	[KEY_COMMA] = '<', [KEY_DOT] = '>', [KEY_SLASH] = '?', [KEY_KPASTERISK] = '*',
	[KEY_SPACE] = ' ', [KEY_KPMINUS] = '-', [KEY_KPPLUS] = '+', [KEY_102ND] = '>',
	[KEY_KPENTER] = '\r', [KEY_KPSLASH] = '/',
};

/* The keypad's digits with Num Lock on. */
static const char keypad_numlock[KEY_MAX] = {
	[KEY_KP7] = '7', '8', '9', [KEY_KP4] = '4', '5', '6', [KEY_KP1] = '1', '2', '3',
	[KEY_KP0] = '0', [KEY_KPDOT] = '.',
};

/* Keys that send an escape sequence (after "ESC ["). */
static const char *const csi_keys[KEY_MAX] = {
	[KEY_UP] = "A",   [KEY_DOWN] = "B",   [KEY_RIGHT] = "C",    [KEY_LEFT] = "D",
	[KEY_HOME] = "H", [KEY_END] = "F",    [KEY_INSERT] = "2~",  [KEY_DELETE] = "3~",
	[KEY_PAGEUP] = "5~", [KEY_PAGEDOWN] = "6~",
	/* The Linux console's function keys. */
	[KEY_F1] = "[A",  "[B", "[C", "[D", "[E", "17~", "18~", "19~", "20~", [KEY_F10] = "21~",
	[KEY_F11] = "23~", [KEY_F12] = "24~",
	/* The keypad with Num Lock off: the editing keys it is labelled with. */
	[KEY_KP7] = "H",  [KEY_KP8] = "A",    [KEY_KP9] = "5~",     [KEY_KP4] = "D",
	[KEY_KP5] = "G",  [KEY_KP6] = "C",    [KEY_KP1] = "F",      [KEY_KP2] = "B",
	[KEY_KP3] = "6~", [KEY_KP0] = "2~",   [KEY_KPDOT] = "3~",
};

static const struct {
	uint16_t key, mod;
} modifier_keys[] = {
	{ KEY_LEFTSHIFT, KMOD_LSHIFT }, { KEY_RIGHTSHIFT, KMOD_RSHIFT },
	{ KEY_LEFTCTRL, KMOD_LCTRL },   { KEY_RIGHTCTRL, KMOD_RCTRL },
	{ KEY_LEFTALT, KMOD_LALT },     { KEY_RIGHTALT, KMOD_RALT },
	{ KEY_LEFTMETA, KMOD_LMETA },   { KEY_RIGHTMETA, KMOD_RMETA },
};

static bool key_down(const struct keymap *km, unsigned key)
{
	return km->down[key / 8] & (1u << (key % 8));
}

static void set_key_down(struct keymap *km, unsigned key, bool down)
{
	if (down)
		km->down[key / 8] |= (uint8_t)(1u << (key % 8));
	else
		km->down[key / 8] &= (uint8_t)~(1u << (key % 8));
}

static uint16_t held_modifiers(const struct keymap *km)
{
	uint16_t mods = 0;
	for (size_t i = 0; i < sizeof(modifier_keys) / sizeof(modifier_keys[0]); i++)
		if (key_down(km, modifier_keys[i].key))
			mods |= modifier_keys[i].mod;
	return mods;
}

void keymap_init(struct keymap *km)
{
	memset(km, 0, sizeof(*km));
}

/* Ctrl with a character, as terminals do it: the C0 control code for @, A-Z, [ \ ] ^ _. */
static int ctrl_char(char c, uint16_t keycode)
{
	if (keycode == KEY_BACKSPACE)
		return 0x08;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 1;
	if (c >= '@' && c <= '_')
		return c & 0x1f;
	switch (c) {
	case ' ': case '2': return 0x00;
	case '3': return 0x1b;
	case '4': return 0x1c;
	case '5': return 0x1d;
	case '6': return 0x1e;
	case '7': case '/': case '-': return 0x1f;
	case '8': case '?': return 0x7f;
	default: return c;
	}
}

size_t keymap_translate(uint16_t keycode, uint16_t mods, char out[KEYMAP_OUT_MAX])
{
	if (keycode >= KEY_MAX)
		return 0;

	bool numlock_digit = (mods & KMOD_NUMLOCK) && keypad_numlock[keycode];
	const char *csi = csi_keys[keycode];
	if (csi && !numlock_digit) {
		size_t n = strlen(csi);
		out[0] = 0x1b;
		out[1] = '[';
		memcpy(out + 2, csi, n);
		return n + 2;
	}

	char c = numlock_digit ? keypad_numlock[keycode] : us_plain[keycode];
	if (!c)
		return 0;
	if (!numlock_digit) {
		bool shift = mods & KMOD_SHIFT;
		/* Caps Lock affects letters only, and Shift undoes it. */
		if (c >= 'a' && c <= 'z' && (mods & KMOD_CAPSLOCK))
			shift = !shift;
		if (shift)
			c = us_shift[keycode];
	}
	if (mods & KMOD_CTRL)
		c = (char)ctrl_char(c, keycode);

	size_t n = 0;
	if (mods & KMOD_ALT)
		out[n++] = 0x1b;
	out[n++] = c;
	return n;
}

size_t keymap_feed(struct keymap *km, uint8_t byte, struct keymap_event *ev, char *out, size_t cap)
{
	if (ev)
		*ev = (struct keymap_event){ .keycode = KEY_RESERVED, .mods = km->mods };

	/* 0x00 and 0xff are the keyboard's error and overrun codes: whatever sequence was under way
	 * is lost, so start afresh. */
	if (byte == 0x00 || byte == 0xff) {
		km->prefix = 0;
		km->swallow = 0;
		return 0;
	}

	/* Pause sends E1 1D 45 E1 9D C5 at once on press and nothing on release: report it as a
	 * press on the first half and a release on the second, otherwise ignore it. */
	if (km->swallow) {
		if (--km->swallow == 0 && ev) {
			ev->keycode = KEY_PAUSE;
			ev->pressed = !(byte & SC_BREAK);
		}
		return 0;
	}
	if (byte == SC_PAUSE) {
		km->prefix = 0;
		km->swallow = 2;
		return 0;
	}
	if (byte == SC_EXTENDED) {
		km->prefix = SC_EXTENDED;
		return 0;
	}

	uint8_t code = byte & ~SC_BREAK;
	bool pressed = !(byte & SC_BREAK);
	uint16_t keycode;
	if (km->prefix == SC_EXTENDED)
		keycode = extended_keys[code];
	else
		keycode = code <= SC_LAST_PLAIN ? code : KEY_RESERVED;
	km->prefix = 0;
	/* Unknown codes, and the keyboard's replies (ACK 0xfa, resend 0xfe, echo 0xee) that share
	 * the byte stream, end here. */
	if (keycode == KEY_RESERVED)
		return 0;

	bool repeat = pressed && key_down(km, keycode);
	set_key_down(km, keycode, pressed);
	if (pressed && !repeat) {
		if (keycode == KEY_CAPSLOCK)
			km->mods ^= KMOD_CAPSLOCK;
		else if (keycode == KEY_NUMLOCK)
			km->mods ^= KMOD_NUMLOCK;
	}
	km->mods = (uint16_t)((km->mods & ~KMOD_HELD) | held_modifiers(km));

	if (ev) {
		ev->keycode = keycode;
		ev->pressed = pressed;
		ev->repeat = repeat;
		ev->mods = km->mods;
	}
	if (!pressed)
		return 0;

	char buf[KEYMAP_OUT_MAX];
	size_t n = keymap_translate(keycode, km->mods, buf);
	if (n > cap)
		return 0;
	memcpy(out, buf, n);
	return n;
}
