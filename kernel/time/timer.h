/*
 * Timer events: a callback at a deadline on the monotonic clock, cancellable. Each CPU keeps its
 * pending events ordered by deadline; the tick interrupt runs the expired ones (with interrupts
 * off, so callbacks must be short: wake a thread, set a flag).
 */
#pragma once

#include "lib/types.h"

struct timer_event;
typedef void (*timer_fn)(struct timer_event *t, void *ctx);

struct timer_event {
	uint64_t deadline_ns;
	timer_fn fn;
	void *ctx;
	struct timer_event *next, *prev;
	bool pending;
	int cpu;
};

/* Arms t (re-arms it if pending) to run fn(t, ctx) at or after deadline_ns on this CPU. */
void timer_event_add(struct timer_event *t, uint64_t deadline_ns, timer_fn fn, void *ctx);
/*
 * True when t was pending and is now cancelled; false when it already ran (or never armed).
 * Either way its callback is not running on another CPU when this returns, so t and its
 * context may be freed; a callback may cancel other events but not wait for itself.
 */
bool timer_event_cancel(struct timer_event *t);
/* Called from the tick interrupt of each CPU: runs the events whose deadline has passed. */
void timer_events_run(uint64_t now_ns);
/* The earliest pending deadline on this CPU, or UINT64_MAX. */
uint64_t timer_next_deadline(void);
