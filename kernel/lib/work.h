/*
 * Deferred work: code an interrupt handler wants run later in a normal context (hot-plug
 * handling, probing). Until kernel threads exist the idle loop runs it; then a worker thread.
 */
#pragma once

#include "lib/types.h"

struct work {
	void (*fn)(struct work *w);
	struct work *next;
	bool queued;
};

/* Queues w unless already queued (safe from interrupt handlers). */
void work_queue(struct work *w);
/* Runs everything queued so far; returns how many ran. */
unsigned work_run_pending(void);
