/*
 * User memory from the kernel: the only way system calls touch user pointers. Each routine
 * checks that the whole range lies in the user half (so a kernel address is refused, never
 * dereferenced), then copies with SMAP opened for just that copy; a page fault that the
 * address space cannot resolve ends the copy with -EFAULT through the exception table.
 */
#pragma once

#include "lib/types.h"

#define USER_TOP 0x0000800000000000ull /* first non-canonical address above user space */

static inline bool user_range_ok(uint64_t addr, uint64_t len)
{
	return addr + len >= addr && addr + len <= USER_TOP;
}

/* 0, or -EFAULT. */
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
int clear_user(void *udst, size_t len);
/* Copies a NUL-terminated string of at most max-1 characters: its length, -ENAMETOOLONG if no
 * NUL within max bytes (dst then holds max-1 bytes and a NUL), or -EFAULT. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);

/* One value at a time. */
#define get_user(val, uptr) copy_from_user(&(val), (uptr), sizeof(val))
#define put_user(val, uptr)                                                  \
	({                                                                   \
		__typeof__(*(uptr)) __pv = (val);                            \
		copy_to_user((uptr), &__pv, sizeof(__pv));                   \
	})
