/*
 * Reassembly of incoming IPv4 fragments (RFC 791, RFC 815's idea of tracking what arrived).
 * Datagrams are keyed by (source, destination, id, protocol); each keeps the byte ranges it
 * has. An exact duplicate is ignored; a fragment overlapping another differently drops the
 * whole datagram, as Linux does since the FragmentSmack fixes (overlaps only serve attacks).
 * A datagram not complete REASM_TIMEOUT_NS after its first fragment is dropped. The caller
 * holds the table's lock.
 */
#include "net/ipv4/inet.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

static void datagram_free(struct reasm_datagram *d)
{
	kfree(d->buf);
	memset(d, 0, sizeof(*d));
}

static struct reasm_datagram *datagram_get(struct reasm_table *t, const struct ipv4_info *ip, uint64_t now)
{
	struct reasm_datagram *free_slot = NULL, *oldest = NULL;
	for (unsigned i = 0; i < REASM_MAX_DATAGRAMS; i++) {
		struct reasm_datagram *d = &t->d[i];
		if (d->used && d->saddr == ip->saddr && d->daddr == ip->daddr && d->id == ip->id &&
		    d->protocol == ip->protocol)
			return d;
		if (!d->used && !free_slot)
			free_slot = d;
		if (d->used && (!oldest || d->deadline_ns < oldest->deadline_ns))
			oldest = d;
	}
	if (!free_slot) {
		/*
		 * Full: the oldest incomplete datagram makes room, so a few bogus first fragments
		 * cannot block every reassembly for the whole timeout.
		 */
		datagram_free(oldest);
		t->evictions++;
		free_slot = oldest;
	}
	free_slot->buf = kmalloc(IP_MAX_PACKET);
	if (!free_slot->buf)
		return NULL;
	free_slot->used = true;
	free_slot->saddr = ip->saddr;
	free_slot->daddr = ip->daddr;
	free_slot->id = ip->id;
	free_slot->protocol = ip->protocol;
	free_slot->deadline_ns = now + REASM_TIMEOUT_NS;
	return free_slot;
}

int reasm_add(struct reasm_table *t, const struct ipv4_info *ip, const uint8_t *hdr, const uint8_t *payload,
	      size_t len, uint64_t now, uint8_t **out, size_t *out_len)
{
	uint32_t start = ip->frag_offset, end = start + (uint32_t)len;
	if (len == 0 || end > IP_MAX_PACKET - 20) {
		t->failures++;
		return -EINVAL;
	}
	struct reasm_datagram *d = datagram_get(t, ip, now);
	if (!d) {
		t->failures++;
		return -ENOMEM;
	}
	/* The last fragment fixes the length; nothing may disagree with it afterwards. */
	if (!ip->more_fragments) {
		if ((d->total && d->total != end) || end < d->total) {
			goto bad;
		}
		for (unsigned i = 0; i < d->nfrags; i++)
			if (d->end[i] > end)
				goto bad;
		d->total = end;
	} else if (d->total && end > d->total) {
		goto bad;
	}
	for (unsigned i = 0; i < d->nfrags; i++) {
		if (d->start[i] == start && d->end[i] == end) {
			t->duplicates++;
			return -EEXIST;
		}
		if (start < d->end[i] && d->start[i] < end) {
			t->overlaps++;
			datagram_free(d);
			return -EINVAL;
		}
	}
	if (d->nfrags == REASM_MAX_FRAGS)
		goto bad;
	d->start[d->nfrags] = start;
	d->end[d->nfrags] = end;
	d->nfrags++;
	memcpy(d->buf + start, payload, len);
	if (start == 0 && hdr && len >= 8) {
		memcpy(d->first, hdr, 20);
		d->first[0] = 0x45; /* options are not quoted */
		memcpy(d->first + 20, payload, 8);
		d->have_first = true;
	}

	if (!d->total)
		return REASM_QUEUED;
	uint32_t have = 0;
	for (unsigned i = 0; i < d->nfrags; i++)
		have += d->end[i] - d->start[i];
	if (have != d->total) /* ranges never overlap, so equal sums mean no holes */
		return REASM_QUEUED;
	*out = d->buf;
	*out_len = d->total;
	d->buf = NULL;
	datagram_free(d);
	return REASM_DONE;
bad:
	t->failures++;
	datagram_free(d);
	return -EINVAL;
}

unsigned reasm_expire(struct reasm_table *t, uint64_t now, void (*expired)(const uint8_t first[28], void *ctx),
		      void *ctx)
{
	unsigned n = 0;
	for (unsigned i = 0; i < REASM_MAX_DATAGRAMS; i++) {
		if (t->d[i].used && now >= t->d[i].deadline_ns) {
			if (t->d[i].have_first && expired)
				expired(t->d[i].first, ctx);
			datagram_free(&t->d[i]);
			t->timeouts++;
			n++;
		}
	}
	return n;
}

void reasm_clear(struct reasm_table *t)
{
	for (unsigned i = 0; i < REASM_MAX_DATAGRAMS; i++)
		if (t->d[i].used)
			datagram_free(&t->d[i]);
}
