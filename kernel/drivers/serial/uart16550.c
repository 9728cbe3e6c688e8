/* 16550 UART driver: polled output; receive interrupts for the TTY layer (tty/tty_devices.c). */
#include "drivers/serial/uart16550.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"

enum {
	UART_DATA = 0,  /* DLAB=0: RBR/THR; DLAB=1: divisor low */
	UART_IER = 1,   /* DLAB=1: divisor high */
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_SCR = 7,
};
#define LCR_DLAB     0x80
#define LCR_8N1      0x03
#define LSR_DATA     0x01
#define LSR_THR_EMPTY 0x20

bool uart_init(uint16_t port)
{
	/* The scratch register round trip tells whether a UART is there at all. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DATA, 1); /* 115200 / 1 */
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(port + UART_MCR, 0x0b); /* DTR, RTS, OUT2 */
	return true;
}

void uart_putc(uint16_t port, char c)
{
	/* Bounded wait: a wedged UART must not hang the kernel's logging. */
	for (int i = 0; i < 100000 && !(inb(port + UART_LSR) & LSR_THR_EMPTY); i++)
		cpu_pause();
	outb(port + UART_DATA, (uint8_t)c);
}

int uart_getc(uint16_t port)
{
	if (!(inb(port + UART_LSR) & LSR_DATA))
		return -1;
	return inb(port + UART_DATA);
}

void uart_enable_rx_irq(uint16_t port)
{
	outb(port + UART_FCR, 0x07); /* FIFO on and cleared, interrupt at every byte */
	while (uart_getc(port) >= 0) /* stale bytes from before */
		;
	outb(port + UART_IER, 0x01);
}

static void serial_write(struct console *con, const char *s, size_t n)
{
	(void)con;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(COM1_PORT, '\r');
		uart_putc(COM1_PORT, s[i]);
	}
}

static struct console serial_console = { .name = "ttyS0", .write = serial_write };

void serial_console_init(void)
{
	if (uart_init(COM1_PORT))
		console_register(&serial_console);
}
