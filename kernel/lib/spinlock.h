/*
 * Spinlocks. A ticket lock: waiters are served in arrival order. The _irqsave variants also
 * disable interrupts on this CPU, for data that interrupt handlers touch too.
 */
#pragma once

#include "lib/types.h"

typedef struct {
	volatile uint32_t next;    /* ticket handed to the next arrival */
	volatile uint32_t serving; /* ticket allowed in */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

#ifdef HOST_UNIT_TEST
static inline void preempt_disable(void) {}
static inline void preempt_enable(void) {}
#else
/* Holding a spinlock forbids preemption on this CPU (a preempted holder would stall spinners). */
static inline void preempt_disable(void) { __asm__ volatile("incl %%gs:8" ::: "memory"); }
static inline void preempt_enable(void) { __asm__ volatile("decl %%gs:8" ::: "memory"); }
#endif

static inline void spin_lock_raw(spinlock_t *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

static inline void spin_unlock_raw(spinlock_t *l)
{
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
	spin_lock_raw(l);
}

static inline void spin_unlock(spinlock_t *l)
{
	spin_unlock_raw(l);
	preempt_enable();
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) != __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
}

#ifdef HOST_UNIT_TEST
/* Host unit tests run in user mode, where cli/sti would fault. */
static inline uint64_t spin_lock_irqsave(spinlock_t *l) { spin_lock(l); return 0; }
static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags) { (void)flags; spin_unlock(l); }
#else
static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
	spin_unlock(l);
	if (flags & (1u << 9)) /* IF was set */
		__asm__ volatile("sti" ::: "memory");
}
#endif

/* Takes the lock only if nobody holds or waits for it; never joins the queue of waiters. */
static inline bool spin_trylock_raw(spinlock_t *l)
{
	uint32_t me = __atomic_load_n(&l->next, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_RELAXED) != me)
		return false;
	return __atomic_compare_exchange_n(&l->next, &me, me + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline bool spin_trylock(spinlock_t *l)
{
	uint32_t me = __atomic_load_n(&l->next, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_RELAXED) != me)
		return false;
	preempt_disable();
	if (__atomic_compare_exchange_n(&l->next, &me, me + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return true;
	preempt_enable();
	return false;
}
