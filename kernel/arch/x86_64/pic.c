/* 8259A programmable interrupt controllers, cascaded on IRQ 2. */
#include "arch/x86_64/pic.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/vectors.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

static uint16_t mask = 0xffff;

static void io_wait(void)
{
	outb(0x80, 0); /* the POST port: a harmless write that takes a bus cycle */
}

static void write_masks(void)
{
	outb(PIC1_DATA, mask & 0xff);
	outb(PIC2_DATA, mask >> 8);
}

void pic_init(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: init, ICW4 follows */
	io_wait();
	outb(PIC2_CMD, 0x11);
	io_wait();
	outb(PIC1_DATA, VEC_PIC_BASE);     /* ICW2: vector offsets */
	io_wait();
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << 2); /* ICW3: slave on IRQ 2 */
	io_wait();
	outb(PIC2_DATA, 2);
	io_wait();
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	io_wait();
	outb(PIC2_DATA, 0x01);
	io_wait();
	mask = 0xffff & ~(1u << 2); /* the cascade line stays open */
	write_masks();
}

void pic_mask(unsigned irq, bool masked)
{
	if (irq >= 16)
		return;
	if (masked)
		mask |= 1u << irq;
	else
		mask &= ~(1u << irq);
	write_masks();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);
	outb(PIC1_CMD, 0x20);
}

bool pic_spurious(unsigned irq)
{
	uint16_t port = irq >= 8 ? PIC2_CMD : PIC1_CMD;
	outb(port, 0x0b); /* OCW3: read the in-service register */
	uint8_t isr = inb(port);
	if (isr & (1u << (irq & 7)))
		return false;
	if (irq >= 8) /* the master saw the cascade line and needs its EOI */
		outb(PIC1_CMD, 0x20);
	return true;
}
