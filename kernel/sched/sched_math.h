/*
 * The arithmetic of time sharing, pure so it is unit-tested on the host.
 *
 *   weight(nice) = 1024 / 1.25^nice     (nice 0 = 1024; one nice step = about 10% of CPU)
 *   vruntime    += runtime * 1024 / weight
 *   slice        = max(SCHED_MIN_SLICE, SCHED_LATENCY * weight / total runnable weight)
 *
 * Two always-runnable threads therefore share a CPU in the ratio of their weights
 * (nice 0 : nice 10 = 1024 : 110, about 90% : 10%).
 *
 * Load averages, Linux's fixed point with SCHED_FSHIFT fraction bits, every 5 s:
 *   load = load * e + active * (1 - e),   e = exp(-5 s / 1, 5 or 15 minutes)
 */
#pragma once

#include "lib/types.h"

#define SCHED_LATENCY_NS   24000000ull /* every runnable thread runs once per period (ideally) */
#define SCHED_MIN_SLICE_NS  4000000ull /* one tick */
#define NICE_0_WEIGHT 1024

uint32_t sched_nice_to_weight(int nice);
/* vruntime advance for runtime_ns at weight (rounded down, never 0 for runtime > 0). */
uint64_t sched_vruntime_delta(uint64_t runtime_ns, uint32_t weight);
uint64_t sched_slice_ns(uint32_t weight, uint64_t total_weight);

#define SCHED_FSHIFT       11
#define SCHED_FIXED_1      (1ul << SCHED_FSHIFT)
#define SCHED_EXP_1        1884 /* SCHED_FIXED_1 * exp(-5 s / 1 min) */
#define SCHED_EXP_5        2014
#define SCHED_EXP_15       2037
#define SCHED_LOAD_FREQ_NS 5000000000ull
/* One sample: active is the number of runnable threads times SCHED_FIXED_1. Rounds up while
 * rising, as Linux does, so a steady load is reached exactly. */
unsigned long sched_calc_load(unsigned long load, unsigned long exp, unsigned long active);
