/*
 * The datagram sockets' shared receive queue and recvmsg/poll/shutdown (see dgram.h).
 */
#include "net/core/dgram.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/core/bpf.h"


void dgram_init(struct dgram_queue *d)
{
	skb_queue_init(&d->q);
	waitqueue_init(&d->wq);
	d->queued = 0;
	d->drops = 0;
	d->filter = NULL;
	d->filter_min = 0;
	d->rcv_shut = d->snd_shut = false;
}

void dgram_purge(struct dgram_queue *d)
{
	skb_queue_purge(&d->q);
	d->queued = 0;
	kfree(d->filter);
	d->filter = NULL;
}

int dgram_filter_setsockopt(struct dgram_queue *d, int name, const void *val)
{
	if (name != SO_ATTACH_FILTER && name != SO_DETACH_FILTER)
		return -ENOPROTOOPT;
	struct bpf_prog *prog = NULL;
	if (name == SO_ATTACH_FILTER)
		memcpy(&prog, val, sizeof(prog));
	uint64_t fl = spin_lock_irqsave(&d->q.lock);
	struct bpf_prog *old = d->filter;
	d->filter = prog;
	spin_unlock_irqrestore(&d->q.lock, fl);
	kfree(old);
	return name == SO_DETACH_FILTER && !old ? -ENOENT : 0;
}

bool dgram_enqueue(struct dgram_queue *d, struct sk_buff *skb, size_t limit)
{
	bool taken = false;
	uint64_t fl = spin_lock_irqsave(&d->q.lock);
	if (d->filter) {
		uint32_t keep = bpf_run(d->filter, skb->data, skb->len);
		if (keep == 0) {
			__atomic_fetch_add(&d->drops, 1, __ATOMIC_RELAXED);
			spin_unlock_irqrestore(&d->q.lock, fl);
			return false;
		}
		if (keep < d->filter_min)
			keep = (uint32_t)d->filter_min;
		skb_trim(skb, keep);
	}
	/* As Linux: a datagram is dropped only once the buffer is already over its limit. */
	if (d->queued <= limit) {
		d->queued += dgram_charge(skb);
		skb->next = NULL;
		if (d->q.tail)
			d->q.tail->next = skb;
		else
			d->q.head = skb;
		d->q.tail = skb;
		d->q.len++;
		taken = true;
	} else {
		__atomic_fetch_add(&d->drops, 1, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&d->q.lock, fl);
	if (taken)
		wake_up_all(&d->wq);
	return taken;
}

struct sk_buff *dgram_dequeue(struct dgram_queue *d)
{
	uint64_t fl = spin_lock_irqsave(&d->q.lock);
	struct sk_buff *skb = d->q.head;
	if (skb) {
		d->q.head = skb->next;
		if (!d->q.head)
			d->q.tail = NULL;
		d->q.len--;
		d->queued -= dgram_charge(skb);
		skb->next = NULL;
	}
	spin_unlock_irqrestore(&d->q.lock, fl);
	return skb;
}

size_t dgram_copy_data(const struct sk_buff *skb, struct msg_k *m)
{
	size_t n = skb->len;
	memcpy(m->buf, skb->data, n < m->len ? n : m->len);
	if (n > m->len)
		m->flags_out |= MSG_TRUNC;
	return n;
}

struct dgram_wait {
	struct socket *sock;
	struct dgram_queue *d;
};

static bool dgram_readable(void *arg)
{
	struct dgram_wait *w = arg;
	return __atomic_load_n(&w->d->q.head, __ATOMIC_ACQUIRE) || w->d->rcv_shut ||
	       __atomic_load_n(&w->sock->error, __ATOMIC_ACQUIRE);
}

ssize_t dgram_recvmsg(struct socket *sock, struct dgram_queue *d, struct msg_k *m, unsigned flags,
		      dgram_fill_fn fill)
{
	if (flags & MSG_OOB)
		return -EINVAL;
	size_t n;
	for (;;) {
		int err = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
		if (err)
			return err;
		bool got = false;
		if (flags & MSG_PEEK) {
			/* The datagram stays queued: copy it out under the queue lock. */
			uint64_t fl = spin_lock_irqsave(&d->q.lock);
			if (d->q.head) {
				n = fill(sock, d->q.head, m);
				got = true;
			}
			spin_unlock_irqrestore(&d->q.lock, fl);
		} else {
			struct sk_buff *skb = dgram_dequeue(d);
			if (skb) {
				n = fill(sock, skb, m);
				skb_free(skb);
				got = true;
			}
		}
		if (got)
			break;
		if (d->rcv_shut)
			return 0;
		if (flags & MSG_DONTWAIT)
			return -EAGAIN;
		struct dgram_wait w = { sock, d };
		err = sock_wait(&d->wq, dgram_readable, &w, sock->rcvtimeo_ns);
		if (err)
			return err;
	}
	/* With MSG_TRUNC the datagram's real length, as Linux. */
	return (flags & MSG_TRUNC) || n <= m->len ? (ssize_t)n : (ssize_t)m->len;
}

int dgram_shutdown(struct dgram_queue *d, int how, bool connected)
{
	/* Linux reports ENOTCONN on an unconnected socket yet still records the shutdown, which
	 * wakes its readers (poll sees EPOLLHUP). */
	if (how == SHUT_RD || how == SHUT_RDWR)
		d->rcv_shut = true;
	if (how == SHUT_WR || how == SHUT_RDWR)
		d->snd_shut = true;
	wake_up_all(&d->wq);
	return connected ? 0 : -ENOTCONN;
}

unsigned dgram_poll(struct socket *sock, struct dgram_queue *d, struct poll_table *pt)
{
	poll_wait(pt, &d->wq);
	unsigned mask = POLLOUT | POLLWRNORM | POLLWRBAND;
	if (__atomic_load_n(&d->q.head, __ATOMIC_ACQUIRE))
		mask |= POLLIN | POLLRDNORM;
	if (__atomic_load_n(&sock->error, __ATOMIC_ACQUIRE))
		mask |= POLLERR;
	if (d->rcv_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (d->rcv_shut && d->snd_shut)
		mask |= POLLHUP;
	return mask;
}

int dgram_ioctl_fionread(struct dgram_queue *d, size_t hdr, uint64_t arg)
{
	int v = 0;
	uint64_t fl = spin_lock_irqsave(&d->q.lock);
	if (d->q.head && d->q.head->len >= hdr)
		v = (int)(d->q.head->len - hdr);
	spin_unlock_irqrestore(&d->q.lock, fl);
	return put_user(v, (int *)arg);
}
