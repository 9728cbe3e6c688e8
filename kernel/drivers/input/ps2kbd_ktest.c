/*
 * keyboard_echo (manual): echoes what arrives on the console input until someone types "ok" and
 * Enter; tests/system/input/sendkey.sh does the typing through QEMU's send-key.
 */
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "console/input.h"
#include "drivers/input/ps2kbd.h"
#include "test/ktest.h"
#include "time/clock.h"

#define ECHO_TIMEOUT_S 20
#define I8042_STATUS   0x64

static void echo_char(int c)
{
	if (c >= 0x20 && c < 0x7f)
		kprintf("ktest: keyboard_echo: got '%c'\n", c);
	else
		kprintf("ktest: keyboard_echo: got 0x%02x\n", c);
}

KTEST_MANUAL(keyboard_echo)
{
	struct ps2kbd_stats st;
	ps2kbd_get_stats(&st);
	KT_ASSERT(st.present);

	kprintf("ktest: keyboard_echo: waiting up to %d s for keys; type \"ok\" and Enter\n",
		ECHO_TIMEOUT_S);
	/* Polls rather than halts: without a timer tick a hlt could outlast the timeout. */
	/* The keys come to the console input ring, not to the keyboard's terminal, meanwhile. */
	console_input_sink_t sink = console_input_set_sink(NULL);
	bool had_irqs = read_rflags() & RFLAGS_IF;
	irq_enable();
	uint64_t end = clock_monotonic_ns() + ECHO_TIMEOUT_S * 1000000000ull;
	char last[3] = { 0, 0, 0 };
	bool done = false;
	unsigned got = 0;
	while (!done && clock_monotonic_ns() < end) {
		int c = console_input_getc();
		if (c < 0) {
			cpu_pause();
			continue;
		}
		echo_char(c);
		got++;
		last[0] = last[1];
		last[1] = last[2];
		last[2] = (char)c;
		done = last[0] == 'o' && last[1] == 'k' && last[2] == '\r';
	}
	if (!had_irqs)
		irq_disable();
	console_input_set_sink(sink);

	if (!done) {
		ps2kbd_get_stats(&st);
		ktest_fail_at(__FILE__, __LINE__,
			      "no \"ok\\r\" within %d s: %u characters, %llu interrupts, %llu scan code bytes, "
			      "%llu dropped, i8042 status 0x%02x",
			      ECHO_TIMEOUT_S, got, (unsigned long long)st.irqs, (unsigned long long)st.bytes,
			      (unsigned long long)console_input_dropped(), inb(I8042_STATUS));
		return;
	}
}
