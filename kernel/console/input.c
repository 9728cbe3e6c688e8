/*
 * Console input: a 4 KiB ring of characters between the keyboard's interrupt handler and the
 * console reader, or a sink (the TTY layer's tty1) that takes them instead once set. When the
 * ring is full the newest characters are dropped and counted, as a terminal's input queue
 * does; nothing that was already typed is lost.
 */
#include "console/input.h"

#include "lib/spinlock.h"
#include "sched/wait.h"

#define INPUT_RING_SIZE 4096 /* a power of two: indices wrap with a mask */

/* input_lock protects the ring, its indices and the drop count. head and tail count up
 * forever; head - tail is the fill level. */
static spinlock_t input_lock = SPINLOCK_INIT;
static char input_ring[INPUT_RING_SIZE];
static uint32_t input_head; /* next slot to write */
static uint32_t input_tail; /* next slot to read */
static uint64_t input_dropped;
static struct waitqueue input_wq = { SPINLOCK_INIT, NULL, NULL };

_Static_assert((INPUT_RING_SIZE & (INPUT_RING_SIZE - 1)) == 0, "ring size must be a power of two");

static console_input_sink_t input_sink;

console_input_sink_t console_input_set_sink(console_input_sink_t sink)
{
	return __atomic_exchange_n(&input_sink, sink, __ATOMIC_ACQ_REL);
}

void console_input_push(char c)
{
	console_input_sink_t sink = __atomic_load_n(&input_sink, __ATOMIC_ACQUIRE);
	if (sink) {
		sink(c);
		return;
	}
	uint64_t flags = spin_lock_irqsave(&input_lock);
	if (input_head - input_tail < INPUT_RING_SIZE)
		input_ring[input_head++ % INPUT_RING_SIZE] = c;
	else
		input_dropped++;
	spin_unlock_irqrestore(&input_lock, flags);
	wake_up_all(&input_wq);
}

int console_input_getc(void)
{
	int c = -1;
	uint64_t flags = spin_lock_irqsave(&input_lock);
	if (input_head != input_tail)
		c = (unsigned char)input_ring[input_tail++ % INPUT_RING_SIZE];
	spin_unlock_irqrestore(&input_lock, flags);
	return c;
}

uint64_t console_input_dropped(void)
{
	uint64_t flags = spin_lock_irqsave(&input_lock);
	uint64_t n = input_dropped;
	spin_unlock_irqrestore(&input_lock, flags);
	return n;
}

bool console_input_ready(void)
{
	return __atomic_load_n(&input_head, __ATOMIC_ACQUIRE) != __atomic_load_n(&input_tail, __ATOMIC_ACQUIRE);
}

struct waitqueue *console_input_waitqueue(void)
{
	return &input_wq;
}
