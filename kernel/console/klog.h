/*
 * The kernel log: a ring of records (sequence number, timestamp, level, text), oldest dropped
 * first when full. /proc/kmsg and dmesg read it later by sequence number.
 */
#pragma once

#include "lib/types.h"

#define KLOG_TEXT_MAX 1000

struct klog_record {
	uint64_t seq;
	uint64_t ts_ns;
	uint8_t level;
	uint16_t len;
	char text[KLOG_TEXT_MAX + 1]; /* NUL-terminated copy, without the newline */
};

struct klog_ring {
	uint8_t *buf;
	size_t size;      /* bytes in buf, a multiple of 8 */
	size_t head;      /* offset of the oldest record */
	size_t tail;      /* offset where the next record goes */
	uint64_t first_seq;
	uint64_t next_seq;
	uint64_t dropped;  /* records evicted to make room */
};

void klog_ring_init(struct klog_ring *r, void *buf, size_t size);
/*
 * Appends a record; text longer than KLOG_TEXT_MAX is cut, a record over half the ring keeps
 * no text. Returns its sequence number. A ring smaller than one empty record (24 bytes) stores
 * nothing.
 */
uint64_t klog_ring_append(struct klog_ring *r, uint8_t level, uint64_t ts_ns, const char *text, size_t len);
/*
 * Reads the first record with seq >= *seq into out and sets *seq past it. Returns false when
 * there is none. A reader that fell behind skips to the oldest record still held.
 */
bool klog_ring_read(const struct klog_ring *r, uint64_t *seq, struct klog_record *out);
