/* Partition tables: the pure parser (MBR, EBR chains, GPT), shared with the host unit tests. */
#pragma once

#include "lib/types.h"

#define PART_SECTOR_SIZE 512

struct part_entry {
	uint64_t start, nr_sectors;
	unsigned number;            /* 1..4 primary MBR / GPT index + 1, 5.. logical */
};
/* Reads one 512-byte sector: 0 or -errno. */
typedef int (*part_read_t)(void *ctx, uint64_t sector, void *buf);
/* MBR (with extended/logical) or GPT (with CRCs): the count found (0: no table), or -errno.
 * Entries outside the disk or overlapping the table are dropped. */
int part_parse(part_read_t read, void *ctx, uint64_t nr_sectors, struct part_entry *out, unsigned max);
