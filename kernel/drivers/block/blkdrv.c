/* Kernel-side helpers the disk controller drivers share: DMA addresses, sd names, polling. */
#include "drivers/block/blkdrv.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "block/block.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "time/clock.h"

#define SD_MAJOR 8
#define SD_MAX   64

static uint64_t sd_used; /* a bit per index, reused after hot-unplug */
static spinlock_t sd_lock = SPINLOCK_INIT;
static bool sd_registered;

uint64_t blkdrv_dma_addr(const void *va)
{
	uintptr_t v = (uintptr_t)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

int sd_alloc_index(void)
{
	int index = -ENOSPC;
	spin_lock(&sd_lock);
	for (int i = 0; i < SD_MAX; i++)
		if (!(sd_used & (1ull << i))) {
			sd_used |= 1ull << i;
			index = i;
			break;
		}
	spin_unlock(&sd_lock);
	return index;
}

void sd_free_index(int index)
{
	if (index < 0 || index >= SD_MAX)
		return;
	spin_lock(&sd_lock);
	sd_used &= ~(1ull << index);
	spin_unlock(&sd_lock);
}

void sd_format_name(char *name, int index)
{
	/* As Linux's sd_format_disk_name: a, ..., z, aa, ..., az, ba... (bijective base 26). */
	char letters[4];
	int n = 0;
	index++;
	while (index > 0 && n < 3) {
		index--;
		letters[n++] = (char)('a' + index % 26);
		index /= 26;
	}
	name[0] = 's';
	name[1] = 'd';
	for (int i = 0; i < n; i++)
		name[2 + i] = letters[n - 1 - i];
	name[2 + n] = 0;
}

unsigned sd_major(void)
{
	spin_lock(&sd_lock);
	bool first = !sd_registered;
	sd_registered = true;
	spin_unlock(&sd_lock);
	if (first)
		blk_register_major(SD_MAJOR);
	return SD_MAJOR;
}

bool blkdrv_wait32(volatile uint32_t *reg, uint32_t mask, uint32_t want, unsigned timeout_ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
	for (;;) {
		if ((*reg & mask) == want)
			return true;
		if (clock_monotonic_ns() > deadline)
			return (*reg & mask) == want;
		cpu_pause();
	}
}

int blkdrv_lose_completions;

bool blkdrv_lose_completion(void)
{
	int n = __atomic_load_n(&blkdrv_lose_completions, __ATOMIC_RELAXED);
	while (n > 0) {
		if (__atomic_compare_exchange_n(&blkdrv_lose_completions, &n, n - 1, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}
