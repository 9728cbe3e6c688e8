/*
 * The terminals and their device numbers, as on Linux:
 *   4:64 ttyS0  COM1, input from its receive interrupt (IRQ 4), output to the UART;
 *   4:1  tty1   the virtual terminal: keyboard input (console/input.c's sink), output to the
 *               framebuffer (or VGA text) console; 4:0 tty0 is the current VT, always tty1;
 *   5:1  console  the terminal console= names (ttyS0, or tty0/tty1 and the default);
 *   5:0  tty    the caller's controlling terminal (-ENXIO without one);
 *   5:2  ptmx   a new pseudo-terminal pair (pty.c), slaves at /dev/pts/N (136:N).
 * FIXME: one VT, one serial port.
 */
#include "tty/tty.h"
#include "tty/tty_internal.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "console/input.h"
#include "drivers/serial/uart16550.h"
#include "irq/irq.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "proc/process.h"

#define TTY_MAJOR    4
#define TTYAUX_MAJOR 5

static struct tty tty_serial, tty_vt;
static bool console_on_serial; /* console=ttyS0 */

/* console=: the last one naming a terminal we have wins (Linux makes the last the primary). */
static int param_console(const char *val)
{
	if (!val)
		return -1;
	if (strncmp(val, "ttyS0", 5) == 0)
		console_on_serial = true;
	else if (strcmp(val, "tty0") == 0 || strcmp(val, "tty1") == 0)
		console_on_serial = false;
	return 0;
}
KPARAM("console", param_console);

struct tty *tty_console(void)
{
	return console_on_serial ? &tty_serial : &tty_vt;
}

/* ---- ttyS0 ---- */

static void serial_write(struct tty *t, const char *s, size_t n)
{
	(void)t;
	for (size_t i = 0; i < n; i++)
		uart_putc(COM1_PORT, s[i]);
}

static const struct tty_driver serial_driver = { .write = serial_write };

static enum irq_return serial_irq(void *ctx)
{
	(void)ctx;
	char buf[32];
	size_t n = 0;
	int c;
	/* Bounded, like the keyboard's handler: a stuck status bit must not hold the CPU. */
	for (int i = 0; i < 256 && (c = uart_getc(COM1_PORT)) >= 0; i++) {
		buf[n++] = (char)c;
		if (n == sizeof(buf)) {
			tty_receive(&tty_serial, buf, n);
			n = 0;
		}
	}
	if (n)
		tty_receive(&tty_serial, buf, n);
	return IRQ_HANDLED; /* the UART's IIR was read by draining; ISA lines are not shared here */
}

static void serial_setup(void)
{
	tty_setup(&tty_serial, "ttyS0", MKDEV(TTY_MAJOR, 64), &serial_driver, 24, 80);
	unsigned flags = 0;
	unsigned gsi = irq_isa_to_gsi(4, &flags);
	int err = irq_request(gsi, serial_irq, NULL, flags, "ttyS0");
	if (err) {
		pr_err("tty: ttyS0: cannot get IRQ 4 (GSI %u): error %d; no serial input\n", gsi, err);
		return;
	}
	uart_enable_rx_irq(COM1_PORT);
	pr_info("tty: ttyS0 on COM1, receive interrupt on IRQ 4 (GSI %u)\n", gsi);
}

/* ---- tty1: keyboard and screen ---- */

static struct console *vt_screen;

static void vt_write(struct tty *t, const char *s, size_t n)
{
	(void)t;
	if (vt_screen)
		console_write_one(vt_screen, s, n); /* serialised with kernel messages */
}

static const struct tty_driver vt_driver = { .write = vt_write };

static void vt_key(char c)
{
	tty_receive(&tty_vt, &c, 1);
}

static void vt_setup(void)
{
	vt_screen = console_find("fb0");
	if (!vt_screen)
		vt_screen = console_find("vga0");
	uint16_t rows = 25, cols = 80;
	if (vt_screen && vt_screen->rows)
		rows = vt_screen->rows, cols = vt_screen->cols;
	tty_setup(&tty_vt, "tty1", MKDEV(TTY_MAJOR, 1), &vt_driver, rows, cols);
	tty_vt.vt = true;
	console_input_set_sink(vt_key);
	pr_info("tty: tty1 on %s (%ux%u) and the keyboard; console on %s\n",
		vt_screen ? vt_screen->name : "no screen", cols, rows, tty_console()->name);
}

/* ---- device nodes ---- */

static int tty_major_open(struct inode *inode, struct file *f)
{
	switch (MINOR(inode->rdev)) {
	case 0: /* tty0: the current virtual terminal */
	case 1: return tty_open_file(&tty_vt, f, true);
	case 64: return tty_open_file(&tty_serial, f, true);
	default: return -ENXIO;
	}
}

static int ttyaux_open(struct inode *inode, struct file *f)
{
	switch (MINOR(inode->rdev)) {
	case 0: { /* /dev/tty */
		struct process *p = current_process();
		mutex_lock(&proc_lock);
		struct tty *t = p ? p->tty : NULL;
		mutex_unlock(&proc_lock);
		return t ? tty_open_file(t, f, false) : -ENXIO;
	}
	case 1: /* Linux never makes /dev/console a controlling terminal by opening it. */
		return tty_open_file(tty_console(), f, false);
	case 2: /* /dev/ptmx */
		return pty_open_master(f);
	default: return -ENXIO;
	}
}

static const struct file_ops tty_major_fops = { .open = tty_major_open };
static const struct file_ops ttyaux_fops = { .open = ttyaux_open };

void tty_init(void)
{
	serial_setup();
	vt_setup();
	int err = vfs_register_chrdev(TTY_MAJOR, &tty_major_fops);
	if (!err)
		err = vfs_register_chrdev(TTYAUX_MAJOR, &ttyaux_fops);
	if (err)
		pr_err("tty: cannot register majors 4 and 5: error %d\n", err);
	pty_init();
}
