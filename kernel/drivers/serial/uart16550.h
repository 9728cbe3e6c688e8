/* 16550 UART on the legacy COM ports: the first console, usable from the first C function. */
#pragma once

#include "lib/types.h"

#define COM1_PORT 0x3f8

/* Programs the UART (115200 8N1, FIFOs on); returns false when no UART answers at port. */
bool uart_init(uint16_t port);
void uart_putc(uint16_t port, char c);
/* Non-blocking read: returns -1 when no byte is waiting. */
int uart_getc(uint16_t port);
/* Turns on the received-data interrupt with a one-byte FIFO trigger (the TTY layer's input). */
void uart_enable_rx_irq(uint16_t port);
/* Registers COM1 as a console ("ttyS0"). */
void serial_console_init(void);
