/*
 * The arithmetic of time sharing, pure so it is unit-tested on the host.
 *
 *   weight(nice) = 1024 / 1.25^nice     (nice 0 = 1024; one nice step = about 10% of CPU)
 *   vruntime    += runtime * 1024 / weight
 *   slice        = max(SCHED_MIN_SLICE, SCHED_LATENCY * weight / total runnable weight)
 *
 * Two always-runnable threads therefore share a CPU in the ratio of their weights
 * (nice 0 : nice 10 = 1024 : 110, about 90% : 10%).
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
