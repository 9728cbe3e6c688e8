/* Scheduler arithmetic: weights, virtual runtime, slices, load averages. */
#include "sched/sched_math.h"

/* round(1024 / 1.25^nice) for nice -20..19, computed once and written down. */
static const uint32_t weights[40] = {
	/* -20 */ 88818, 71054, 56843, 45475, 36380, 29104, 23283, 18626, 14901, 11921,
	/* -10 */ 9537, 7629, 6104, 4883, 3906, 3125, 2500, 2000, 1600, 1280,
	/*   0 */ 1024, 819, 655, 524, 419, 336, 268, 215, 172, 137,
	/*  10 */ 110, 88, 70, 56, 45, 36, 29, 23, 18, 15,
};

uint32_t sched_nice_to_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return weights[nice + 20];
}

uint64_t sched_vruntime_delta(uint64_t runtime_ns, uint32_t weight)
{
	if (weight == 0)
		weight = 1;
	/* runtime * 1024 fits 64 bits for any single accounting step (< 208 days). */
	if (runtime_ns > UINT64_MAX / NICE_0_WEIGHT)
		runtime_ns = UINT64_MAX / NICE_0_WEIGHT;
	uint64_t d = runtime_ns * NICE_0_WEIGHT / weight;
	return d == 0 && runtime_ns ? 1 : d;
}

uint64_t sched_slice_ns(uint32_t weight, uint64_t total_weight)
{
	if (total_weight == 0 || weight >= total_weight)
		return SCHED_LATENCY_NS;
	uint64_t s = SCHED_LATENCY_NS * weight / total_weight; /* < 2^42: no overflow */
	return s < SCHED_MIN_SLICE_NS ? SCHED_MIN_SLICE_NS : s;
}

unsigned long sched_calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload = load * exp + active * (SCHED_FIXED_1 - exp);
	if (active >= load)
		newload += SCHED_FIXED_1 - 1;
	return newload / SCHED_FIXED_1;
}
