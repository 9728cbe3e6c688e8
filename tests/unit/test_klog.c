// unit-deps: kernel/console/klog.c kernel/lib/string.c
/*
 * Host tests for the kernel log ring (kernel/console/klog.c). A seeded-random stress appends
 * records of every size to rings of many sizes and, against a model that remembers every record
 * ever appended, checks that the ring holds a contiguous run of the newest records with their
 * exact contents, that it evicts no more than it must, and that readers at any sequence number
 * (including ones that fell behind) get exactly the right records.
 */
#include "unit.h"

#include <stdlib.h>

/* Host helpers: defined before host_prefix.h renames the libc names to the kernel's. */
static int host_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
static void *host_memset(void *d, int c, size_t n) { return memset(d, c, n); }

#include "host_prefix.h"

#include "console/klog.h"

#define GUARD     0xc3
#define GUARD_LEN 64
#define HDR       24 /* bytes of header in front of every record's text */

static size_t rec_bytes(size_t len)
{
	return (HDR + len + 7) & ~(size_t)7;
}

/* The text length the ring keeps for `len` bytes offered to a ring of `size` bytes. */
static size_t kept_len(size_t size, size_t len)
{
	if (len > KLOG_TEXT_MAX)
		len = KLOG_TEXT_MAX;
	if (rec_bytes(len) > (size & ~(size_t)7) / 2) /* a record never takes over half the ring */
		len = 0;
	return len;
}

/* Record seq's text, regenerated on demand instead of stored: any bytes, NUL included. */
static void gen_text(uint64_t seq, size_t len, char *out)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = seq % 5 == 0 ? (char)x : (char)('a' + x % 26);
	}
}

/*
 * ---- the model: every record ever appended, by sequence number ----
 * Placement is that of an ideal byte ring: a record goes right after the newest one, or at 0
 * when it does not fit before the end of the buffer, and the oldest records are evicted for
 * as long as any of them overlaps it. So the model says exactly which records a ring holds.
 */
struct model {
	size_t ring_size; /* usable bytes: the buffer size rounded down to 8 */
	size_t n, cap;
	uint64_t first; /* oldest record held */
	uint16_t *len;  /* offered length (before truncation) */
	uint8_t *level;
	uint64_t *ts;
	size_t *off;    /* where the record was placed */
};

static size_t model_bytes(const struct model *m, uint64_t seq)
{
	return rec_bytes(kept_len(m->ring_size, m->len[seq]));
}

static bool overlaps_held(const struct model *m, size_t off, size_t bytes)
{
	for (uint64_t s = m->first; s < m->n; s++)
		if (off < m->off[s] + model_bytes(m, s) && m->off[s] < off + bytes)
			return true;
	return false;
}

static void model_add(struct model *m, size_t len, uint8_t level, uint64_t ts)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->len = realloc(m->len, m->cap * sizeof(*m->len));
		m->level = realloc(m->level, m->cap * sizeof(*m->level));
		m->ts = realloc(m->ts, m->cap * sizeof(*m->ts));
		m->off = realloc(m->off, m->cap * sizeof(*m->off));
	}
	m->len[m->n] = (uint16_t)len;
	m->level[m->n] = level;
	m->ts[m->n] = ts;
	size_t bytes = model_bytes(m, m->n), off = 0;
	if (m->first < m->n) {
		off = m->off[m->n - 1] + model_bytes(m, m->n - 1);
		if (off + bytes > m->ring_size)
			off = 0;
	}
	while (m->first < m->n && overlaps_held(m, off, bytes))
		m->first++;
	m->off[m->n] = off;
	m->n++;
}

static void model_free(struct model *m)
{
	free(m->len);
	free(m->level);
	free(m->ts);
	free(m->off);
}

/* Does out hold exactly record seq? Records a failure saying what differs if not. */
static bool record_ok(const struct model *m, uint64_t seq, const struct klog_record *out, int line)
{
	static char want[KLOG_TEXT_MAX];
	size_t len = kept_len(m->ring_size, m->len[seq]);
	gen_text(seq, len, want);
	if (out->seq != seq || out->len != len || out->level != m->level[seq] || out->ts_ns != m->ts[seq] ||
	    host_memcmp(out->text, want, len) != 0 || out->text[len] != '\0') {
		unit_fail(__FILE__, line,
			  "record %llu: got seq %llu len %u level %u ts %llu, expected len %zu level %u ts %llu%s",
			  (unsigned long long)seq, (unsigned long long)out->seq, out->len, out->level,
			  (unsigned long long)out->ts_ns, len, m->level[seq], (unsigned long long)m->ts[seq],
			  out->len == len ? " (text differs)" : "");
		return false;
	}
	return true;
}

static bool guard_ok(const uint8_t *buf, size_t size)
{
	for (size_t i = 0; i < GUARD_LEN; i++)
		if (buf[size + i] != GUARD)
			return false;
	return true;
}

/*
 * Checks the ring against the model: the counters, a full read from 0, and (when `every`)
 * a read starting at each sequence number around the live range.
 */
static bool ring_ok(const struct klog_ring *r, const struct model *m, bool every, int line)
{
	static struct klog_record out;
	uint64_t first = r->first_seq, next = r->next_seq;
	if (next != m->n || first != m->first || r->dropped != first) {
		unit_fail(__FILE__, line, "counters: first %llu next %llu dropped %llu; expected first %llu next %zu",
			  (unsigned long long)first, (unsigned long long)next,
			  (unsigned long long)r->dropped, (unsigned long long)m->first, m->n);
		return false;
	}
	if (first < next) {
		size_t end = m->off[next - 1] + model_bytes(m, next - 1);
		if (r->head != m->off[first] || r->tail != (end == r->size ? 0 : end)) {
			unit_fail(__FILE__, line, "head %zu tail %zu, expected %zu %zu", r->head, r->tail,
				  m->off[first], end == r->size ? 0 : end);
			return false;
		}
	}

	/* The records held fit in the ring. */
	size_t held = 0;
	for (uint64_t s = first; s < next; s++)
		held += rec_bytes(kept_len(m->ring_size, m->len[s]));
	if (held > r->size) {
		unit_fail(__FILE__, line, "holds %zu bytes of records in a ring of %zu", held, r->size);
		return false;
	}

	/* A reader from 0 that fell behind gets first..next-1, in order, then nothing. */
	struct klog_ring before = *r;
	uint64_t seq = 0;
	for (uint64_t s = first; s < next; s++) {
		if (!klog_ring_read(r, &seq, &out)) {
			unit_fail(__FILE__, line, "read of %llu failed; held %llu..%llu",
				  (unsigned long long)s, (unsigned long long)first, (unsigned long long)next);
			return false;
		}
		if (!record_ok(m, s, &out, line))
			return false;
		if (seq != s + 1) {
			unit_fail(__FILE__, line, "after reading %llu, seq is %llu", (unsigned long long)s,
				  (unsigned long long)seq);
			return false;
		}
	}
	if (klog_ring_read(r, &seq, &out) || seq != next) {
		unit_fail(__FILE__, line, "read past the newest record succeeded or moved seq");
		return false;
	}
	if (host_memcmp(&before, r, sizeof(before)) != 0) {
		unit_fail(__FILE__, line, "reading changed the ring");
		return false;
	}
	if (!every)
		return true;

	/* Single reads from every starting point, and from far ahead. */
	uint64_t lo = first > 3 ? first - 3 : 0;
	for (uint64_t start = lo; start <= next + 2; start++) {
		seq = start;
		bool got = klog_ring_read(r, &seq, &out);
		uint64_t want = start < first ? first : start;
		if (got != (want < next)) {
			unit_fail(__FILE__, line, "read from %llu: %s", (unsigned long long)start,
				  got ? "got a record past the newest" : "found nothing");
			return false;
		}
		if (!got) {
			if (seq != start) {
				unit_fail(__FILE__, line, "failed read from %llu moved seq to %llu",
					  (unsigned long long)start, (unsigned long long)seq);
				return false;
			}
			continue;
		}
		if (!record_ok(m, want, &out, line))
			return false;
		if (seq != want + 1) {
			unit_fail(__FILE__, line, "read from %llu left seq at %llu", (unsigned long long)start,
				  (unsigned long long)seq);
			return false;
		}
	}
	return true;
}

#define RING_OK(r, m, every)                            \
	do {                                            \
		if (!ring_ok(r, m, every, __LINE__))    \
			return;                         \
	} while (0)

/* A new ring holds a guard area past its end so overruns by the asm memcpy show up. */
static uint8_t *new_buf(size_t size)
{
	uint8_t *buf = aligned_alloc(8, (size + GUARD_LEN + 7) & ~(size_t)7);
	host_memset(buf, 0x11, size);
	host_memset(buf + size, GUARD, GUARD_LEN);
	return buf;
}

static uint64_t append(struct klog_ring *r, struct model *m, size_t len, uint8_t level, uint64_t ts)
{
	static char text[5000];
	gen_text(m->n, len > KLOG_TEXT_MAX ? KLOG_TEXT_MAX : len, text);
	/* Bytes past KLOG_TEXT_MAX must be ignored, whatever they are. */
	for (size_t i = KLOG_TEXT_MAX; i < len; i++)
		text[i] = '#';
	model_add(m, len, level, ts);
	return klog_ring_append(r, level, ts, text, len);
}

TEST(empty_ring_reads_nothing)
{
	uint8_t *buf = new_buf(4096);
	struct klog_ring r;
	struct klog_record out;
	klog_ring_init(&r, buf, 4096);
	uint64_t seq = 0;
	CHECK(!klog_ring_read(&r, &seq, &out));
	CHECK_INT(seq, 0);
	seq = 17;
	CHECK(!klog_ring_read(&r, &seq, &out));
	CHECK_INT(seq, 17);
	free(buf);
}

TEST(one_record_round_trips)
{
	uint8_t *buf = new_buf(4096);
	struct klog_ring r;
	static struct klog_record out;
	klog_ring_init(&r, buf, 4096);
	CHECK_INT(klog_ring_append(&r, 6, 123456789, "hello world", 5), 0);
	uint64_t seq = 0;
	CHECK(klog_ring_read(&r, &seq, &out));
	CHECK_INT(out.seq, 0);
	CHECK_INT(out.level, 6);
	CHECK_INT(out.ts_ns, 123456789);
	CHECK_INT(out.len, 5);
	CHECK(host_memcmp(out.text, "hello", 6) == 0);
	CHECK_INT(seq, 1);
	CHECK(!klog_ring_read(&r, &seq, &out));
	CHECK_INT(klog_ring_append(&r, 0, 0, NULL, 0), 1); /* an empty record needs no text */
	CHECK(klog_ring_read(&r, &seq, &out));
	CHECK_INT(out.len, 0);
	CHECK_INT(out.text[0], '\0');
	CHECK(guard_ok(buf, 4096));
	free(buf);
}

TEST(long_text_is_cut_to_the_max)
{
	struct model m = { .ring_size = 8192 };
	uint8_t *buf = new_buf(8192);
	struct klog_ring r;
	klog_ring_init(&r, buf, 8192);
	append(&r, &m, KLOG_TEXT_MAX - 1, 1, 1);
	append(&r, &m, KLOG_TEXT_MAX, 2, 2);
	append(&r, &m, KLOG_TEXT_MAX + 1, 3, 3);
	append(&r, &m, 4999, 4, 4);
	RING_OK(&r, &m, true);
	CHECK_INT(r.first_seq, 0);
	CHECK(guard_ok(buf, 8192));
	free(buf);
	model_free(&m);
}

TEST(nothing_evicted_until_full)
{
	enum { SIZE = 1024 };
	struct model m = { .ring_size = SIZE };
	uint8_t *buf = new_buf(SIZE);
	struct klog_ring r;
	klog_ring_init(&r, buf, SIZE);
	/* 16 records of 64 bytes fill the ring exactly. */
	for (int i = 0; i < 16; i++) {
		append(&r, &m, 64 - HDR, 0, (uint64_t)i);
		RING_OK(&r, &m, true);
		CHECK_INT(r.first_seq, 0);
	}
	append(&r, &m, 64 - HDR, 0, 16);
	RING_OK(&r, &m, true);
	CHECK_INT(r.first_seq, 1);
	CHECK_INT(r.dropped, 1);
	free(buf);
	model_free(&m);
}

/*
 * The ring is exactly full (tail has caught up with head) and the oldest record sits near the
 * end of the buffer, so the next one must wrap: the wrap must not be written over the oldest
 * record, and the records at the start of the buffer must be evicted, not overwritten.
 */
TEST(wrap_when_full_with_head_at_tail)
{
	enum { SIZE = 256 };
	struct model m = { .ring_size = SIZE };
	uint8_t *buf = new_buf(SIZE);
	struct klog_ring r;
	klog_ring_init(&r, buf, SIZE);
	append(&r, &m, 40, 0, 0); /* 64 bytes at 0 */
	append(&r, &m, 40, 0, 1); /* at 64 */
	append(&r, &m, 40, 0, 2); /* at 128 */
	append(&r, &m, 32, 0, 3); /* 56 bytes at 192; 8 left */
	RING_OK(&r, &m, true);
	append(&r, &m, 40, 0, 4); /* wraps to 0, evicting 0 */
	append(&r, &m, 40, 0, 5); /* at 64, evicting 1 */
	append(&r, &m, 40, 0, 6); /* at 128, evicting 2: now full, tail == head == 192 */
	RING_OK(&r, &m, true);
	CHECK_INT(r.first_seq, 3);
	append(&r, &m, 48, 0, 7); /* 72 bytes: no room before the end, so it wraps */
	RING_OK(&r, &m, true);
	CHECK(guard_ok(buf, SIZE));
	free(buf);
	model_free(&m);
}

TEST(tiny_rings)
{
	/* The smallest ring that can hold anything: one empty record at a time. */
	static const size_t sizes[] = { 24, 31, 40, 48, 56, 64, 72, 100 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct model m = { .ring_size = sizes[i] & ~(size_t)7 };
		uint8_t *buf = new_buf(sizes[i]);
		struct klog_ring r;
		klog_ring_init(&r, buf, sizes[i]);
		CHECK_INT(r.size, sizes[i] & ~(size_t)7);
		for (int k = 0; k < 200; k++) {
			append(&r, &m, (size_t)(k * 7) % 40, (uint8_t)k, (uint64_t)k * 1000);
			RING_OK(&r, &m, true);
			CHECK(r.first_seq < r.next_seq); /* the newest record is always kept */
			CHECK(guard_ok(buf, sizes[i]));
		}
		free(buf);
		model_free(&m);
	}
}

/* Offered lengths: mostly short lines, with every boundary that matters. */
static size_t rand_len(void)
{
	switch (rand() % 10) {
	case 0: return (size_t)rand() % 9;
	case 1: return (size_t)(rand() % 4) * 8 + (size_t)(rand() % 3) - 1 + 8;
	case 2: return (size_t)rand() % (KLOG_TEXT_MAX + 1);
	case 3: return KLOG_TEXT_MAX - 1 + (size_t)(rand() % 3);
	case 4: return KLOG_TEXT_MAX + (size_t)rand() % 3000;
	default: return (size_t)rand() % 120;
	}
}

/*
 * The stress: random records into a ring; after each append the ring must hold exactly the
 * records the model holds (evicting no more, no fewer), with their contents.
 */
static void stress(size_t size, unsigned seed, int appends)
{
	struct model m = { .ring_size = size & ~(size_t)7 };
	uint8_t *buf = new_buf(size);
	struct klog_ring r;
	srand(seed);
	klog_ring_init(&r, buf, size);
	size_t total = 0; /* bytes of every record ever appended */

	/* A slow reader, polling now and then; it must see increasing seqs, skipping when behind. */
	uint64_t rseq = 0, last_read = 0;
	bool read_any = false;
	static struct klog_record out;

	for (int i = 0; i < appends; i++) {
		size_t len = rand_len();
		uint64_t seq = append(&r, &m, len, (uint8_t)rand(), (uint64_t)rand() << 20 | (uint64_t)i);
		if (seq != m.n - 1 || !guard_ok(buf, size)) {
			unit_fail(__FILE__, __LINE__, "append %d to a ring of %zu: seq %llu, guard %s", i,
				  size, (unsigned long long)seq, guard_ok(buf, size) ? "intact" : "overwritten");
			goto out;
		}
		total += rec_bytes(kept_len(size, len));
		/* Full checks after every append on small rings, now and then on big ones. */
		bool full = size <= 4096 || i % 97 == 0 || i == appends - 1;
		if (r.first_seq != m.first) {
			unit_fail(__FILE__, __LINE__, "ring of %zu holds from %llu, expected %llu", r.size,
				  (unsigned long long)r.first_seq, (unsigned long long)m.first);
			goto out;
		}
		bool every_start = size <= 2048 || i % 389 == 0 || i == appends - 1;
		if (full && !ring_ok(&r, &m, every_start, __LINE__))
			goto out;

		if (total <= r.size && r.first_seq != 0) {
			unit_fail(__FILE__, __LINE__, "ring of %zu evicted with %zu bytes appended", r.size, total);
			goto out;
		}

		for (int k = rand() % 4 == 0 ? rand() % 6 : 0; k > 0; k--) {
			uint64_t want = rseq < r.first_seq ? r.first_seq : rseq;
			bool got = klog_ring_read(&r, &rseq, &out);
			if (got != (want < r.next_seq)) {
				unit_fail(__FILE__, __LINE__, "slow reader at %llu: read %s", (unsigned long long)want,
					  got ? "too much" : "nothing");
				goto out;
			}
			if (!got)
				break;
			if (!record_ok(&m, want, &out, __LINE__))
				goto out;
			if (read_any && out.seq <= last_read) {
				unit_fail(__FILE__, __LINE__, "slow reader went backwards");
				goto out;
			}
			last_read = out.seq;
			read_any = true;
		}
	}
out:
	free(buf);
	model_free(&m);
}

TEST(stress_small_rings)
{
	static const size_t sizes[] = { 24, 48, 64, 96, 128, 136, 200, 256, 400, 512, 1000, 1024 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !unit_failed; i++)
		stress(sizes[i], (unsigned)(100 + i), 3000);
}

TEST(stress_rings_near_the_record_limit)
{
	/* Rings where the largest record is just over or under half the ring. */
	static const size_t sizes[] = { 2040, 2048, 2056, 2064, 2072, 2080, 3000, 4096 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !unit_failed; i++)
		stress(sizes[i], (unsigned)(200 + i), 3000);
}

TEST(stress_large_rings)
{
	static const size_t sizes[] = { 8192, 16384 + 8, 65536 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !unit_failed; i++)
		stress(sizes[i], (unsigned)(300 + i), 20000);
}

TEST(stress_many_seeds)
{
	for (unsigned seed = 0; seed < 60 && !unit_failed; seed++)
		stress(64 + 8 * (size_t)(seed % 40) + (seed % 3), 1000 + seed, 800);
}

TEST(reader_that_fell_behind_skips_to_the_oldest)
{
	enum { SIZE = 512 };
	struct model m = { .ring_size = SIZE };
	uint8_t *buf = new_buf(SIZE);
	struct klog_ring r;
	static struct klog_record out;
	klog_ring_init(&r, buf, SIZE);
	uint64_t seq = 0;
	append(&r, &m, 10, 0, 0);
	CHECK(klog_ring_read(&r, &seq, &out));
	CHECK_INT(seq, 1);
	for (int i = 0; i < 100; i++)
		append(&r, &m, 40, 0, (uint64_t)i); /* 64 bytes each */
	CHECK(r.first_seq > 1);
	CHECK(klog_ring_read(&r, &seq, &out));
	CHECK_INT(out.seq, r.first_seq);
	CHECK_INT(seq, r.first_seq + 1);
	RING_OK(&r, &m, true);
	free(buf);
	model_free(&m);
}
