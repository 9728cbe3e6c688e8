/* Kernel log ring buffer: variable-length records in a byte ring, evicting the oldest. */
#include "console/klog.h"

#include "lib/compiler.h"
#include "lib/string.h"

struct rec_hdr {
	uint64_t seq;
	uint64_t ts_ns;
	uint16_t len;   /* text bytes; REC_WRAP marks "continue at offset 0" */
	uint8_t level;
	uint8_t pad[5];
};
_Static_assert(sizeof(struct rec_hdr) == 24, "record header is 24 bytes");

#define REC_WRAP 0xffff

static size_t rec_size(size_t len)
{
	return ALIGN_UP(sizeof(struct rec_hdr) + len, 8);
}

static struct rec_hdr *hdr_at(const struct klog_ring *r, size_t off)
{
	return (struct rec_hdr *)(r->buf + off);
}

void klog_ring_init(struct klog_ring *r, void *buf, size_t size)
{
	r->buf = buf;
	r->size = ALIGN_DOWN(size, 8);
	r->head = r->tail = 0;
	r->first_seq = r->next_seq = 0;
	r->dropped = 0;
}

static bool ring_empty(const struct klog_ring *r)
{
	return r->first_seq == r->next_seq;
}

/* Follows a wrap marker at off, if there is one. */
static size_t skip_wrap(const struct klog_ring *r, size_t off)
{
	if (off + sizeof(struct rec_hdr) > r->size || hdr_at(r, off)->len == REC_WRAP)
		return 0;
	return off;
}

/*
 * Keeps head on the oldest record's header, never on a wrap marker or the unused end of the
 * buffer: span_free and the wrap in klog_ring_append read head < tail, head > tail and
 * head == tail (full) as the layout of the live records, which holds only then.
 */
static void drop_oldest(struct klog_ring *r)
{
	size_t off = skip_wrap(r, r->head);
	r->head = off + rec_size(hdr_at(r, off)->len);
	r->first_seq++;
	r->dropped++;
	if (ring_empty(r))
		r->head = r->tail = 0;
	else
		r->head = skip_wrap(r, r->head);
}

/* Is [off, off+need) free, given that live records run from head to tail (circularly)? */
static bool span_free(const struct klog_ring *r, size_t off, size_t need)
{
	if (off + need > r->size)
		return false;
	if (ring_empty(r))
		return true;
	if (r->head < r->tail)          /* live: [head, tail) */
		return off >= r->tail || off + need <= r->head;
	/* live: [head, size) + [0, tail), off is in the gap; head == tail means full */
	return off + need <= r->head;
}

uint64_t klog_ring_append(struct klog_ring *r, uint8_t level, uint64_t ts_ns, const char *text, size_t len)
{
	if (len > KLOG_TEXT_MAX)
		len = KLOG_TEXT_MAX;
	if (r->size < rec_size(0)) { /* too small for any record: counted as written and dropped */
		r->dropped++;
		r->first_seq = r->next_seq + 1;
		return r->next_seq++;
	}
	size_t need = rec_size(len);
	/* Never with the kernel's ring; keeps tiny rings usable: the text is dropped, not cut. */
	if (need > r->size / 2)
		len = 0, need = rec_size(0);

	for (;;) {
		if (span_free(r, r->tail, need))
			break;
		/*
		 * Not enough room before the end of the buffer: wrap if the start is (or becomes)
		 * free. Not when head == tail: the ring is full and the marker would land on the
		 * oldest record.
		 */
		if (r->tail + need > r->size && (ring_empty(r) || r->head < r->tail)) {
			if (ring_empty(r)) {
				r->head = r->tail = 0;
				continue;
			}
			if (r->tail + sizeof(struct rec_hdr) <= r->size)
				hdr_at(r, r->tail)->len = REC_WRAP;
			r->tail = 0;
			continue;
		}
		drop_oldest(r);
	}

	struct rec_hdr *h = hdr_at(r, r->tail);
	h->seq = r->next_seq;
	h->ts_ns = ts_ns;
	h->len = (uint16_t)len;
	h->level = level;
	memcpy(h + 1, text, len);
	r->tail += need;
	if (r->tail == r->size)
		r->tail = 0;
	return r->next_seq++;
}

bool klog_ring_read(const struct klog_ring *r, uint64_t *seq, struct klog_record *out)
{
	if (*seq < r->first_seq)
		*seq = r->first_seq;
	if (*seq >= r->next_seq)
		return false;
	size_t off = r->head;
	for (uint64_t s = r->first_seq;; s++) {
		off = skip_wrap(r, off);
		struct rec_hdr *h = hdr_at(r, off);
		if (s == *seq) {
			out->seq = h->seq;
			out->ts_ns = h->ts_ns;
			out->level = h->level;
			out->len = h->len;
			memcpy(out->text, h + 1, h->len);
			out->text[h->len] = '\0';
			*seq = s + 1;
			return true;
		}
		off += rec_size(h->len);
	}
}
