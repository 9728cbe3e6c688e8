/* Futexes: user-space locks' sleeping half (futex(2)). */
#pragma once

#include "lib/types.h"

#define FUTEX_ANY 0 /* wake waiters however they waited (private or shared) */

/* Wakes up to n waiters on the futex at uaddr of the current address space; returns how many. */
int futex_wake(uint64_t uaddr, int n, int flags);
