/*
 * Split virtqueues (virtio spec 2.7): a free list threaded through the descriptor table,
 * chains published through the available ring, completions consumed from the used ring.
 * No indirect descriptors and no event index: the device is kicked on every batch.
 */
#include "drivers/virtio/virtio.h"

#include "lib/errno.h"

int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, unsigned n, void *cookie)
{
	if (!n || !cookie)
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&vq->lock);
	if (n > vq->num_free) {
		spin_unlock_irqrestore(&vq->lock, irq);
		return -ENOSPC;
	}
	uint16_t head = vq->free_head, d = head, last = head;
	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *desc = &vq->desc[d];
		desc->addr = bufs[i].addr;
		desc->len = bufs[i].len;
		desc->flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		last = d;
		d = desc->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->cookies[head] = cookie;

	uint16_t idx = vq->avail->idx;
	vq->avail->ring[idx & (vq->size - 1)] = head;
	/* The descriptors and the ring slot must be visible before the index moves. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&vq->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&vq->lock, irq);
	return 0;
}

void virtq_kick(struct virtqueue *vq)
{
	/* The index store must reach memory before the device sees the notification. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&vq->used->flags, __ATOMIC_ACQUIRE) & 1)) /* VIRTQ_USED_F_NO_NOTIFY */
		*vq->notify = (uint16_t)vq->index;
}

void *virtq_get_used(struct virtqueue *vq, uint32_t *len)
{
	uint64_t irq = spin_lock_irqsave(&vq->lock);
	uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	if (used_idx == vq->last_used) {
		spin_unlock_irqrestore(&vq->lock, irq);
		return NULL;
	}
	struct virtq_used_elem e = vq->used->ring[vq->last_used & (vq->size - 1)];
	vq->last_used++;
	/* A device returning a head we never queued is broken: stop trusting this entry. */
	if (e.id >= vq->size || !vq->cookies[e.id]) {
		spin_unlock_irqrestore(&vq->lock, irq);
		return NULL;
	}
	void *cookie = vq->cookies[e.id];
	vq->cookies[e.id] = NULL;
	/* Give the chain back to the free list. */
	uint16_t d = (uint16_t)e.id, n = 1;
	while ((vq->desc[d].flags & VIRTQ_DESC_F_NEXT) && n < vq->size) {
		d = vq->desc[d].next;
		n++;
	}
	vq->desc[d].next = vq->free_head;
	vq->free_head = (uint16_t)e.id;
	vq->num_free = (uint16_t)(vq->num_free + n);
	spin_unlock_irqrestore(&vq->lock, irq);
	if (len)
		*len = e.len;
	return cookie;
}

unsigned virtq_free_count(struct virtqueue *vq)
{
	return __atomic_load_n(&vq->num_free, __ATOMIC_RELAXED);
}

void virtq_reset(struct virtqueue *vq)
{
	uint64_t irq = spin_lock_irqsave(&vq->lock);
	for (uint16_t d = 0; d < vq->size; d++) {
		vq->desc[d] = (struct virtq_desc){ .next = (uint16_t)(d + 1) };
		vq->avail->ring[d] = 0;
		vq->used->ring[d] = (struct virtq_used_elem){ 0, 0 };
		vq->cookies[d] = NULL;
	}
	vq->avail->flags = vq->avail->idx = 0;
	vq->used->flags = vq->used->idx = 0;
	vq->free_head = 0;
	vq->num_free = vq->size;
	vq->last_used = 0;
	spin_unlock_irqrestore(&vq->lock, irq);
}
