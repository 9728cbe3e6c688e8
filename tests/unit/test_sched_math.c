// unit-deps: kernel/sched/sched_math.c
/* The time-sharing arithmetic: weights, vruntime advance, slices, and the share they produce. */
#include <math.h>

#include "unit.h"
#include "host_prefix.h"
#include "sched/sched_math.h"

TEST(weights_follow_the_formula)
{
	for (int nice = -20; nice <= 19; nice++) {
		double want = 1024.0 / pow(1.25, nice);
		uint32_t w = sched_nice_to_weight(nice);
		CHECK(fabs((double)w - want) <= 0.5 + want * 1e-9);
	}
	CHECK_INT(sched_nice_to_weight(0), 1024);
	CHECK_INT(sched_nice_to_weight(-100), sched_nice_to_weight(-20)); /* clamped */
	CHECK_INT(sched_nice_to_weight(100), sched_nice_to_weight(19));
}

TEST(vruntime_delta)
{
	CHECK_INT(sched_vruntime_delta(1000000, 1024), 1000000);
	CHECK_INT(sched_vruntime_delta(1000000, 2048), 500000);
	CHECK_INT(sched_vruntime_delta(1, 88818), 1); /* never 0 for runtime > 0 */
	CHECK_INT(sched_vruntime_delta(0, 15), 0);
	CHECK(sched_vruntime_delta(UINT64_MAX, 15) > 0); /* saturates instead of overflowing */
	CHECK_INT(sched_vruntime_delta(1000, 0), 1000 * 1024); /* a zero weight is treated as 1 */
}

TEST(slices)
{
	CHECK_INT(sched_slice_ns(1024, 1024), SCHED_LATENCY_NS);
	CHECK_INT(sched_slice_ns(1024, 2048), SCHED_LATENCY_NS / 2);
	CHECK_INT(sched_slice_ns(15, 88818), SCHED_MIN_SLICE_NS);
	CHECK_INT(sched_slice_ns(1024, 0), SCHED_LATENCY_NS);
}

/* Simulates the picking rule (lowest vruntime runs for a tick) and checks the resulting shares. */
TEST(simulated_shares_match_weights)
{
	int nices[][2] = { { 0, 10 }, { 0, 1 }, { -5, 5 }, { 0, 19 } };
	for (unsigned k = 0; k < sizeof(nices) / sizeof(nices[0]); k++) {
		uint32_t w[2] = { sched_nice_to_weight(nices[k][0]), sched_nice_to_weight(nices[k][1]) };
		uint64_t v[2] = { 0, 0 }, ran[2] = { 0, 0 };
		for (int tick = 0; tick < 200000; tick++) {
			int i = v[0] <= v[1] ? 0 : 1;
			v[i] += sched_vruntime_delta(4000000, w[i]);
			ran[i]++;
		}
		double got = (double)ran[0] / (double)ran[1], want = (double)w[0] / (double)w[1];
		CHECK(fabs(got - want) / want < 0.02);
	}
}

/* Linux's load average: one minute of load 1 from idle gives 1 - 1/e; steady load is reached. */
TEST(load_average)
{
	unsigned long a1 = 0, a5 = 0, a15 = 0;
	for (int i = 0; i < 12; i++) { /* 60 s of samples */
		a1 = sched_calc_load(a1, SCHED_EXP_1, SCHED_FIXED_1);
		a5 = sched_calc_load(a5, SCHED_EXP_5, SCHED_FIXED_1);
		a15 = sched_calc_load(a15, SCHED_EXP_15, SCHED_FIXED_1);
	}
	double f1 = (double)a1 / SCHED_FIXED_1, f5 = (double)a5 / SCHED_FIXED_1, f15 = (double)a15 / SCHED_FIXED_1;
	CHECK(fabs(f1 - (1 - exp(-1.0))) < 0.01);
	CHECK(fabs(f5 - (1 - exp(-0.2))) < 0.01);
	CHECK(fabs(f15 - (1 - exp(-1.0 / 15))) < 0.01);
	for (int i = 0; i < 1000; i++)
		a1 = sched_calc_load(a1, SCHED_EXP_1, 2 * SCHED_FIXED_1);
	CHECK_INT(a1, 2 * SCHED_FIXED_1); /* rounding up while rising reaches the load exactly */
	for (int i = 0; i < 12; i++)
		a1 = sched_calc_load(a1, SCHED_EXP_1, 0);
	CHECK(fabs((double)a1 / SCHED_FIXED_1 - 2 * exp(-1.0)) < 0.01);
	for (int i = 0; i < 1000; i++)
		a1 = sched_calc_load(a1, SCHED_EXP_1, 0);
	CHECK_INT(a1, 0); /* and decays to nothing */
	CHECK_INT(sched_calc_load(0, SCHED_EXP_1, 0), 0);
}
