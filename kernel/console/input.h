/*
 * Console input: keyboards and the serial port push characters here (from interrupt handlers);
 * the console reader (the TTY layer later) takes them out. A fixed ring; overflow drops input.
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
