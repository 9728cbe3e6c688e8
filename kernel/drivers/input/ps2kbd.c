/*
 * The i8042 keyboard controller and the PS/2 keyboard on its first port. The keyboard is left in
 * scan code set 2 (its power-on default, asked for again after the reset) with the controller's
 * translation on, so what arrives on port 0x60 is set 1 (what QEMU and every PC BIOS do); the
 * decoding itself is in keymap.c. The second (mouse) port stays disabled.
 * FIXME: the Caps/Num Lock LEDs are not updated (0xed needs its ACK read outside the handler).
 */
#include "drivers/input/ps2kbd.h"

#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "console/console.h"
#include "console/input.h"
#include "drivers/input/keymap.h"
#include "irq/irq.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

#define I8042_DATA   0x60
#define I8042_STATUS 0x64 /* read */
#define I8042_CMD    0x64 /* write */

#define STATUS_OBF 0x01 /* output buffer full: a byte for us on port 0x60 */
#define STATUS_IBF 0x02 /* input buffer full: the controller has not taken our last byte */
#define STATUS_AUX 0x20 /* the byte in the output buffer came from the second port */

#define CMD_READ_CONFIG  0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_DISABLE_AUX  0xa7
#define CMD_SELF_TEST    0xaa
#define CMD_TEST_KBD     0xab
#define CMD_DISABLE_KBD  0xad
#define CMD_ENABLE_KBD   0xae

#define CONFIG_KBD_IRQ   0x01
#define CONFIG_AUX_IRQ   0x02
#define CONFIG_KBD_CLOCK 0x10 /* set: first port's clock disabled (0xad sets it, 0xae clears it) */
#define CONFIG_AUX_CLOCK 0x20 /* set: second port's clock disabled */
#define CONFIG_TRANSLATE 0x40

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00

#define KBD_RESET      0xff
#define KBD_SET_SCANSET 0xf0
#define KBD_ACK        0xfa
#define KBD_RESEND     0xfe
#define KBD_BAT_OK     0xaa

/* Controller commands answer within microseconds; a keyboard's self-test (BAT) after a reset
 * may take most of a second on real hardware. */
#define CTRL_TIMEOUT_MS  50
#define KBD_ACK_MS       100
#define KBD_BAT_MS       1000
#define FLUSH_MAX        64

#define ACPI_BOOT_ARCH_8042 0x2

/* kbd_lock serializes the interrupt handler's use of the decoder and the counters. */
static spinlock_t kbd_lock = SPINLOCK_INIT;
static struct keymap kbd_keymap;
static struct ps2kbd_stats kbd_stats;

/*
 * A deadline for bounded waits. Before the TSC is calibrated, count status reads instead: an
 * inb from the i8042 takes about a microsecond on real hardware (less under emulation, where
 * the devices answer at once anyway).
 */
struct deadline {
	uint64_t end_tsc;
	uint64_t spins_left;
};

static struct deadline deadline_in_ms(unsigned ms)
{
	if (tsc_hz)
		return (struct deadline){ .end_tsc = rdtsc() + tsc_hz / 1000 * ms };
	return (struct deadline){ .spins_left = (uint64_t)ms * 1000 };
}

static bool deadline_passed(struct deadline *d)
{
	if (d->end_tsc)
		return rdtsc() > d->end_tsc;
	return d->spins_left-- == 0;
}

static bool wait_input_empty(unsigned ms)
{
	struct deadline d = deadline_in_ms(ms);
	while (inb(I8042_STATUS) & STATUS_IBF) {
		if (deadline_passed(&d))
			return false;
		cpu_pause();
	}
	return true;
}

/* The next byte from the controller, or -ETIMEDOUT. */
static int read_data(unsigned ms)
{
	struct deadline d = deadline_in_ms(ms);
	while (!(inb(I8042_STATUS) & STATUS_OBF)) {
		if (deadline_passed(&d))
			return -ETIMEDOUT;
		cpu_pause();
	}
	return inb(I8042_DATA);
}

static int ctrl_command(uint8_t cmd)
{
	if (!wait_input_empty(CTRL_TIMEOUT_MS))
		return -ETIMEDOUT;
	outb(I8042_CMD, cmd);
	return 0;
}

/* A controller command with one reply byte: the byte, or -ETIMEDOUT. */
static int ctrl_query(uint8_t cmd)
{
	int err = ctrl_command(cmd);
	return err ? err : read_data(CTRL_TIMEOUT_MS);
}

static int write_config(uint8_t config)
{
	int err = ctrl_command(CMD_WRITE_CONFIG);
	if (err)
		return err;
	if (!wait_input_empty(CTRL_TIMEOUT_MS))
		return -ETIMEDOUT;
	outb(I8042_DATA, config);
	return 0;
}

static void flush_output(void)
{
	for (int i = 0; i < FLUSH_MAX && (inb(I8042_STATUS) & STATUS_OBF); i++)
		(void)inb(I8042_DATA);
}

/* Sends a byte to the keyboard and waits for its ACK, resending on request: 0 or -errno. */
static int kbd_send(uint8_t byte)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		if (!wait_input_empty(CTRL_TIMEOUT_MS))
			return -ETIMEDOUT;
		outb(I8042_DATA, byte);
		int reply = read_data(KBD_ACK_MS);
		if (reply == KBD_ACK)
			return 0;
		if (reply != KBD_RESEND)
			return reply < 0 ? reply : -EIO;
	}
	return -EIO;
}

/* Resets the keyboard: ACK, then the result of its self-test. */
static int kbd_reset(void)
{
	int err = kbd_send(KBD_RESET);
	if (err)
		return err;
	int bat = read_data(KBD_BAT_MS);
	if (bat < 0)
		return bat;
	return bat == KBD_BAT_OK ? 0 : -EIO;
}

static enum irq_return ps2kbd_irq(void *ctx)
{
	struct keymap *km = ctx;
	unsigned bytes = 0;
	uint64_t flags = spin_lock_irqsave(&kbd_lock);
	/* Bounded: a stuck status bit must not hold the CPU here forever. */
	for (uint8_t status; bytes < FLUSH_MAX && ((status = inb(I8042_STATUS)) & STATUS_OBF);) {
		uint8_t byte = inb(I8042_DATA);
		bytes++;
		if (status & STATUS_AUX)
			continue; /* a mouse byte, though that port is off */
		char out[KEYMAP_OUT_MAX];
		size_t n = keymap_feed(km, byte, NULL, out, sizeof(out));
		for (size_t i = 0; i < n; i++)
			console_input_push(out[i]);
	}
	if (bytes) {
		kbd_stats.irqs++;
		kbd_stats.bytes += bytes;
	}
	spin_unlock_irqrestore(&kbd_lock, flags);
	return bytes ? IRQ_HANDLED : IRQ_NONE;
}

/* Brings the controller to a known state with port 1 enabled and all interrupts off; returns
 * the configuration byte to run with, or -errno. */
static int i8042_setup(void)
{
	/* Both ports off, so that no device talks while we test; then drop anything pending. A
	 * missing controller reads as 0xff: the input buffer never empties and this times out. */
	if (ctrl_command(CMD_DISABLE_KBD) || ctrl_command(CMD_DISABLE_AUX))
		return -ENODEV;
	flush_output();

	int config = ctrl_query(CMD_READ_CONFIG);
	if (config < 0)
		return -ENODEV;
	config &= ~(CONFIG_KBD_IRQ | CONFIG_AUX_IRQ | CONFIG_TRANSLATE);
	if (write_config((uint8_t)config))
		return -ENODEV;

	int r = ctrl_query(CMD_SELF_TEST);
	if (r < 0)
		return -ENODEV;
	if (r != SELF_TEST_OK) {
		pr_err("ps2kbd: i8042 self-test failed (0x%02x)\n", r);
		return -EIO;
	}
	/* Some controllers come out of the self-test reset: write the configuration again. */
	if (write_config((uint8_t)config))
		return -ENODEV;

	r = ctrl_query(CMD_TEST_KBD);
	if (r != PORT_TEST_OK) {
		pr_err("ps2kbd: i8042 port 1 test failed (%d)\n", r);
		return r < 0 ? -ENODEV : -EIO;
	}
	if (ctrl_command(CMD_ENABLE_KBD))
		return -ENODEV;
	return config;
}

int ps2kbd_init(void)
{
	if (acpi.has_fadt && !(acpi.fadt.iapc_boot_arch & ACPI_BOOT_ARCH_8042))
		pr_info("ps2kbd: ACPI FADT does not list an 8042; probing anyway\n");

	int config = i8042_setup();
	if (config == -ENODEV) {
		pr_info("ps2kbd: no i8042 (controller did not answer)\n");
		return config;
	}
	if (config < 0)
		return config;

	/* Still untranslated here, so the reset's replies arrive as sent. */
	int err = kbd_reset();
	if (err) {
		pr_info("ps2kbd: i8042 present, no keyboard on port 1 (reset: %s)\n",
			err == -ETIMEDOUT ? "no answer" : "failed");
		return -ENODEV;
	}
	/* Set 2 is the default after a reset; ask anyway, and carry on if the keyboard refuses. */
	if (kbd_send(KBD_SET_SCANSET) || kbd_send(2))
		pr_warn("ps2kbd: keyboard refused scan code set 2; assuming it is in use\n");
	flush_output();

	keymap_init(&kbd_keymap);
	unsigned flags = 0;
	unsigned gsi = irq_isa_to_gsi(1, &flags);
	err = irq_request(gsi, ps2kbd_irq, &kbd_keymap, flags, "i8042-kbd");
	if (err) {
		pr_err("ps2kbd: cannot get IRQ 1 (GSI %u): error %d\n", gsi, err);
		return err;
	}

	/* Interrupts and translation on, port 1's clock on (config was read while the port was
	 * disabled); the second port stays off. */
	config = (config | CONFIG_KBD_IRQ | CONFIG_TRANSLATE | CONFIG_AUX_CLOCK) &
		 ~(CONFIG_AUX_IRQ | CONFIG_KBD_CLOCK);
	if (write_config((uint8_t)config)) {
		irq_free(gsi, &kbd_keymap);
		pr_err("ps2kbd: i8042 stopped answering\n");
		return -EIO;
	}
	uint64_t f = spin_lock_irqsave(&kbd_lock);
	kbd_stats.present = true;
	spin_unlock_irqrestore(&kbd_lock, f);
	pr_info("ps2kbd: i8042 keyboard on IRQ 1 (GSI %u), scan code set 1 via translation\n", gsi);
	return 0;
}

void ps2kbd_get_stats(struct ps2kbd_stats *out)
{
	uint64_t flags = spin_lock_irqsave(&kbd_lock);
	*out = kbd_stats;
	spin_unlock_irqrestore(&kbd_lock, flags);
}
