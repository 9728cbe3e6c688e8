/*
 * Byte rings for the send and receive queues: a fixed buffer allocated once per connection,
 * written at the tail and consumed at the head.
 */
#include "net/tcp/tcp_core.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

int tcp_ring_alloc(struct tcp_ring *r, uint32_t cap)
{
	if (r->buf)
		return 0;
	r->buf = kmalloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	r->head = r->len = 0;
	return 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
	kfree(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

uint32_t tcp_ring_write(struct tcp_ring *r, const void *src, uint32_t n)
{
	if (n > r->cap - r->len)
		n = r->cap - r->len;
	uint32_t tail = (r->head + r->len) % (r->cap ? r->cap : 1);
	uint32_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	r->len += n;
	return n;
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	if (!n)
		return;
	uint32_t start = (r->head + off) % r->cap;
	uint32_t first = r->cap - start < n ? r->cap - start : n;
	memcpy(dst, r->buf + start, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	r->head = r->len ? (r->head + n) % r->cap : 0;
}
