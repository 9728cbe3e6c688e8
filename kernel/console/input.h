/*
 * Console input: keyboards and the serial port push characters here (from interrupt handlers);
 * the console reader (the TTY layer later) takes them out. A fixed ring; overflow drops input.
 */
#pragma once

#include "lib/types.h"

void console_input_push(char c);
/* -1 when nothing is waiting. */
int console_input_getc(void);
/* True when a character is waiting; the queue below is woken by every push (for poll). */
bool console_input_ready(void);
struct waitqueue *console_input_waitqueue(void);
/* Characters dropped because the ring was full. */
uint64_t console_input_dropped(void);
