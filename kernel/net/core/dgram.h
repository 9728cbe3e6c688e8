/*
 * The receive side every datagram socket shares (UDP, raw and ping sockets in ipv4/, AF_PACKET
 * in packet/): a queue of whole datagrams charged against SO_RCVBUF, the shutdown flags, and
 * the recvmsg wait loop (MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC, SO_RCVTIMEO), poll readiness and
 * FIONREAD built on it. A protocol keeps its own addressing and says, through a fill callback,
 * how one queued buffer becomes the user's bytes and source address.
 *
 * Locking: q.lock (a spinlock, taken with interrupts off) guards the queue and `queued`; the
 * shutdown flags are single stores read without the lock.
 */
#pragma once

#include "net/net.h"
#include "net/socket.h"
#include "sched/wait.h"

struct bpf_prog;

struct dgram_queue {
	struct skb_queue q;     /* datagrams in arrival order */
	size_t queued;          /* bytes charged to q (under q.lock) */
	uint64_t drops;         /* refused for a full buffer or by the filter (atomic adds) */
	struct bpf_prog *filter; /* SO_ATTACH_FILTER (under q.lock); NULL: none */
	size_t filter_min;      /* a filter never cuts a datagram below this (its header) */
	struct waitqueue wq;    /* readers and pollers */
	bool rcv_shut, snd_shut;
};

/* What a queued datagram charges against the receive buffer (Linux counts its truesize). */
static inline size_t dgram_charge(const struct sk_buff *skb)
{
	return skb->len + 256;
}

void dgram_init(struct dgram_queue *d);
/* Frees whatever is still queued, and the filter. */
void dgram_purge(struct dgram_queue *d);
/*
 * Queues skb unless the queue is already past limit (as Linux: one datagram may overshoot) or
 * the attached filter refuses it; the filter may also cut it (not below filter_min bytes).
 * Wakes readers. True when taken; otherwise the caller still owns skb.
 */
bool dgram_enqueue(struct dgram_queue *d, struct sk_buff *skb, size_t limit);
/* Takes the first datagram off (NULL when empty), uncharging it. */
struct sk_buff *dgram_dequeue(struct dgram_queue *d);

/* Copies one datagram into m (kernel memory; may run under q.lock) and sets m's name (and
 * control data); returns the datagram's full length and sets MSG_TRUNC in m->flags_out when
 * m->len is shorter. */
typedef size_t (*dgram_fill_fn)(struct socket *sock, const struct sk_buff *skb, struct msg_k *m);
/* Copies skb->data into m->buf, flagging truncation; the datagram's length. */
size_t dgram_copy_data(const struct sk_buff *skb, struct msg_k *m);

/*
 * A datagram socket's recvmsg: a pending asynchronous error (sock->error) first, then the
 * first datagram (left queued with MSG_PEEK), 0 after SHUT_RD, -EAGAIN with MSG_DONTWAIT,
 * otherwise waits (SO_RCVTIMEO, signals). Returns the copied length, or with MSG_TRUNC the
 * datagram's real length, as Linux.
 */
ssize_t dgram_recvmsg(struct socket *sock, struct dgram_queue *d, struct msg_k *m, unsigned flags,
		      dgram_fill_fn fill);
/* Records the shutdown and wakes readers; -ENOTCONN when not connected (Linux records it all
 * the same). */
int dgram_shutdown(struct dgram_queue *d, int how, bool connected);
/* Readiness: always writable (sends never wait for room), readable with a datagram, after
 * SHUT_RD or with a pending error. */
unsigned dgram_poll(struct socket *sock, struct dgram_queue *d, struct poll_table *pt);
/* SO_ATTACH_FILTER (val holds a checked struct bpf_prog *, which d then owns) and
 * SO_DETACH_FILTER (-ENOENT without a filter) at SOL_SOCKET level; -ENOPROTOOPT otherwise. */
int dgram_filter_setsockopt(struct dgram_queue *d, int name, const void *val);
/* FIONREAD: the length of the next datagram less hdr bytes (0 when none), to user int *arg. */
int dgram_ioctl_fionread(struct dgram_queue *d, size_t hdr, uint64_t arg);
