/*
 * Console input: the keyboard pushes characters here (from its interrupt handler). Until the
 * TTY layer sets a sink (tty1, at tty_init) they wait in a fixed ring, which the keyboard ktest
 * reads; overflow drops input. The serial port feeds its terminal directly.
 */
#pragma once

#include "lib/types.h"

void console_input_push(char c);
/* Once a sink is set (the TTY layer's keyboard terminal), pushed characters go to it instead of
 * the ring. Returns the previous sink (a test that reads the ring sets NULL, then restores). */
typedef void (*console_input_sink_t)(char c);
console_input_sink_t console_input_set_sink(console_input_sink_t sink);
/* -1 when nothing is waiting. */
int console_input_getc(void);
/* True when a character is waiting; the queue below is woken by every push (for poll). */
bool console_input_ready(void);
struct waitqueue *console_input_waitqueue(void);
/* Characters dropped because the ring was full. */
uint64_t console_input_dropped(void);
