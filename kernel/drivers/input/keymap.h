/*
 * Keyboard decoding, pure (no I/O, host-tested): PC scan code set 1 bytes (what an i8042 with
 * translation delivers) in, key events and the bytes a US-layout Linux console would send out.
 */
#pragma once

#include "lib/types.h"

/* Key codes: Linux's input numbers (KEY_*), so that an evdev interface can pass them through. */
enum {
	KEY_RESERVED = 0, KEY_ESC = 1, KEY_1 = 2, KEY_0 = 11, KEY_MINUS = 12, KEY_EQUAL = 13,
	KEY_BACKSPACE = 14, KEY_TAB = 15, KEY_Q = 16, KEY_LEFTBRACE = 26, KEY_RIGHTBRACE = 27,
	KEY_ENTER = 28, KEY_LEFTCTRL = 29, KEY_A = 30, KEY_SEMICOLON = 39, KEY_APOSTROPHE = 40,
	KEY_GRAVE = 41, KEY_LEFTSHIFT = 42, KEY_BACKSLASH = 43, KEY_Z = 44, KEY_COMMA = 51,
	KEY_DOT = 52, KEY_SLASH = 53, KEY_RIGHTSHIFT = 54, KEY_KPASTERISK = 55, KEY_LEFTALT = 56,
	KEY_SPACE = 57, KEY_CAPSLOCK = 58, KEY_F1 = 59, KEY_F10 = 68, KEY_NUMLOCK = 69,
	KEY_SCROLLLOCK = 70, KEY_KP7 = 71, KEY_KP8 = 72, KEY_KP9 = 73, KEY_KPMINUS = 74,
	KEY_KP4 = 75, KEY_KP5 = 76, KEY_KP6 = 77, KEY_KPPLUS = 78, KEY_KP1 = 79, KEY_KP2 = 80,
	KEY_KP3 = 81, KEY_KP0 = 82, KEY_KPDOT = 83, KEY_102ND = 86, KEY_F11 = 87, KEY_F12 = 88,
	KEY_KPENTER = 96, KEY_RIGHTCTRL = 97, KEY_KPSLASH = 98, KEY_SYSRQ = 99, KEY_RIGHTALT = 100,
	KEY_HOME = 102, KEY_UP = 103, KEY_PAGEUP = 104, KEY_LEFT = 105, KEY_RIGHT = 106,
	KEY_END = 107, KEY_DOWN = 108, KEY_PAGEDOWN = 109, KEY_INSERT = 110, KEY_DELETE = 111,
	KEY_PAUSE = 119, KEY_LEFTMETA = 125, KEY_RIGHTMETA = 126, KEY_COMPOSE = 127,
	KEY_MAX = 128,
};

/* Modifier state: held keys, then the locks. */
#define KMOD_LSHIFT   0x001
#define KMOD_RSHIFT   0x002
#define KMOD_LCTRL    0x004
#define KMOD_RCTRL    0x008
#define KMOD_LALT     0x010
#define KMOD_RALT     0x020
#define KMOD_LMETA    0x040
#define KMOD_RMETA    0x080
#define KMOD_CAPSLOCK 0x100
#define KMOD_NUMLOCK  0x200
#define KMOD_SHIFT    (KMOD_LSHIFT | KMOD_RSHIFT)
#define KMOD_CTRL     (KMOD_LCTRL | KMOD_RCTRL)
#define KMOD_ALT      (KMOD_LALT | KMOD_RALT)
#define KMOD_HELD     0x0ff

/* The longest output of one key: "ESC [ 2 4 ~" (F12). */
#define KEYMAP_OUT_MAX 8

struct keymap_event {
	uint16_t keycode; /* KEY_*; KEY_RESERVED when the byte completed no event */
	bool pressed;     /* make (or typematic repeat) rather than break */
	bool repeat;      /* a make for a key already down */
	uint16_t mods;    /* KMOD_* after this event */
};

/* Decoder state for one keyboard; zero it (or keymap_init) to start with nothing held. */
struct keymap {
	uint8_t prefix;     /* 0, or 0xe0 after the extended prefix */
	uint8_t swallow;    /* bytes of a 0xe1 (Pause) sequence still to skip */
	uint16_t mods;
	uint8_t down[KEY_MAX / 8];
};

void keymap_init(struct keymap *km);

/*
 * Feeds one scan code byte. Returns the number of bytes written to out (never more than cap;
 * a sequence that does not fit is dropped whole). ev, when not NULL, receives the key event this
 * byte completed (keycode KEY_RESERVED if none).
 */
size_t keymap_feed(struct keymap *km, uint8_t byte, struct keymap_event *ev, char *out, size_t cap);

/* The bytes a key press sends with the given modifiers (US layout). Returns their number. */
size_t keymap_translate(uint16_t keycode, uint16_t mods, char out[KEYMAP_OUT_MAX]);
