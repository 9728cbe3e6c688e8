/*
 * Packet buffers: one kmalloc'd block per packet, data placed after SKB_HEADROOM bytes so each
 * layer on the way out prepends its header in place (UDP, then IPv4, then Ethernet).
 */
#include "net/net.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/ipv4/inet.h"

struct sk_buff *skb_alloc(size_t len)
{
	if (len > 65536 + 256)
		return NULL;
	struct sk_buff *skb = kzalloc(sizeof(*skb));
	if (!skb)
		return NULL;
	skb->size = SKB_HEADROOM + len;
	skb->head = kmalloc(skb->size);
	if (!skb->head) {
		kfree(skb);
		return NULL;
	}
	skb->data = skb->head + SKB_HEADROOM;
	return skb;
}

void skb_free(struct sk_buff *skb)
{
	if (!skb)
		return;
	kfree(skb->head);
	kfree(skb);
}

uint8_t *skb_put(struct sk_buff *skb, size_t n)
{
	if (n > skb_tailroom(skb))
		return NULL;
	uint8_t *p = skb->data + skb->len;
	skb->len += n;
	return p;
}

uint8_t *skb_push(struct sk_buff *skb, size_t n)
{
	if (n > skb_headroom(skb))
		return NULL;
	skb->data -= n;
	skb->len += n;
	return skb->data;
}

uint8_t *skb_pull(struct sk_buff *skb, size_t n)
{
	if (n > skb->len)
		return NULL;
	skb->data += n;
	skb->len -= n;
	return skb->data;
}

void skb_trim(struct sk_buff *skb, size_t len)
{
	if (len < skb->len)
		skb->len = len;
}

struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	struct sk_buff *n = skb_alloc(skb->len);
	if (!n)
		return NULL;
	memcpy(skb_put(n, skb->len), skb->data, skb->len);
	n->dev = skb->dev;
	n->protocol = skb->protocol;
	/* The checksum state follows the bytes (csum_start moves with the new headroom). */
	size_t start = skb_headroom(skb);
	if (skb->csum == SKB_CSUM_PARTIAL && skb->csum_start >= start) {
		n->csum = SKB_CSUM_PARTIAL;
		n->csum_start = (uint32_t)(skb->csum_start - start + skb_headroom(n));
		n->csum_offset = skb->csum_offset;
	} else if (skb->csum == SKB_CSUM_UNNECESSARY) {
		n->csum = SKB_CSUM_UNNECESSARY;
	}
	n->gso_size = skb->gso_size;
	return n;
}

int skb_csum_complete(struct sk_buff *skb)
{
	if (skb->csum != SKB_CSUM_PARTIAL)
		return 0;
	size_t start = skb_headroom(skb), end = start + skb->len;
	if (skb->csum_start < start || (size_t)skb->csum_start + skb->csum_offset + 2 > end)
		return -EINVAL;
	inet_csum_finish(skb->head + skb->csum_start, end - skb->csum_start, skb->csum_offset);
	skb->csum = SKB_CSUM_NONE;
	return 0;
}

void skb_queue_init(struct skb_queue *q)
{
	q->lock = (spinlock_t)SPINLOCK_INIT;
	q->head = q->tail = NULL;
	q->len = 0;
}

void skb_queue_tail(struct skb_queue *q, struct sk_buff *skb)
{
	uint64_t fl = spin_lock_irqsave(&q->lock);
	skb->next = NULL;
	if (q->tail)
		q->tail->next = skb;
	else
		q->head = skb;
	q->tail = skb;
	q->len++;
	spin_unlock_irqrestore(&q->lock, fl);
}

struct sk_buff *skb_dequeue(struct skb_queue *q)
{
	uint64_t fl = spin_lock_irqsave(&q->lock);
	struct sk_buff *skb = q->head;
	if (skb) {
		q->head = skb->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
		skb->next = NULL;
	}
	spin_unlock_irqrestore(&q->lock, fl);
	return skb;
}

void skb_queue_purge(struct skb_queue *q)
{
	struct sk_buff *skb;
	while ((skb = skb_dequeue(q)))
		skb_free(skb);
}
