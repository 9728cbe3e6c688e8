/*
 * Deferred work: code an interrupt handler wants run later in a normal context (hot-plug
 * handling, probing, freeing exited threads). The "kworker" thread runs it once started; before
 * that, whoever calls work_run_pending.
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
/* Starts the worker thread (after the scheduler). */
void work_start_worker(void);
