/*
 * The load average: Linux's exponentially damped 1, 5 and 15-minute averages of the runnable
 * threads (running ones included, idle threads not), sampled every 5 s from CPU 0's tick.
 * Linux also counts threads in uninterruptible sleep; nothing here sleeps that way yet.
 */
#include "sched/runqueue.h"
#include "sched/sched_math.h"

static unsigned long avenrun[3];
static uint64_t next_sample_ns;

void sched_loadavg_tick(uint64_t now)
{
	static const unsigned long exp[3] = { SCHED_EXP_1, SCHED_EXP_5, SCHED_EXP_15 };
	if (!next_sample_ns)
		next_sample_ns = now + SCHED_LOAD_FREQ_NS;
	if (now < next_sample_ns)
		return;
	/* A late tick takes one sample, not one per period missed. */
	next_sample_ns = now - next_sample_ns < SCHED_LOAD_FREQ_NS ? next_sample_ns + SCHED_LOAD_FREQ_NS
								     : now + SCHED_LOAD_FREQ_NS;
	unsigned long active = (unsigned long)sched_nr_running() * SCHED_FIXED_1;
	for (int i = 0; i < 3; i++)
		__atomic_store_n(&avenrun[i], sched_calc_load(avenrun[i], exp[i], active), __ATOMIC_RELAXED);
}

void sched_loadavg(unsigned long avg[3])
{
	for (int i = 0; i < 3; i++)
		avg[i] = __atomic_load_n(&avenrun[i], __ATOMIC_RELAXED);
}
