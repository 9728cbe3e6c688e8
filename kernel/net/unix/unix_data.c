/*
 * AF_UNIX data: sends queue unix_skb buffers on the receiver (waiting for room as flow control
 * says), receives take them (streams gather consecutive buffers, datagrams and records one per
 * call), and poll and FIONREAD report the queues. Everything under unix_lock; buffers are
 * freed after it is dropped.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/unix/unix_internal.h"

struct waitqueue unix_dgram_room_wq; /* zero is an empty queue with an unlocked lock */

#define FIONREAD 0x541b
#define SIOCOUTQ 0x5411

static size_t skb_overhead(const struct unix_skb *s)
{
	return sizeof(*s) + (s->scm ? sizeof(*s->scm) : 0);
}

static void rq_push(struct unix_sock *u, struct unix_skb *s)
{
	s->next = NULL;
	if (u->rq_tail)
		u->rq_tail->next = s;
	else
		u->rq_head = s;
	u->rq_tail = s;
	u->rq_bytes += s->len;
	u->rq_overhead += skb_overhead(s);
	u->rq_count++;
}

static struct unix_skb *rq_pop(struct unix_sock *u)
{
	struct unix_skb *s = u->rq_head;
	u->rq_head = s->next;
	if (!u->rq_head)
		u->rq_tail = NULL;
	u->rq_bytes -= s->len - s->off;
	u->rq_overhead -= skb_overhead(s);
	u->rq_count--;
	s->next = NULL;
	return s;
}

/* ---- data ---- */

struct room_wait {
	struct unix_sock *self, *to;
	size_t need;
};

static bool has_room(void *arg)
{
	struct room_wait *w = arg;
	struct unix_sock *t = w->to;
	if (t->dead || w->self->snd_shut || t->rcv_shut)
		return true;
	if (t->type == SOCK_DGRAM)
		return t->rq_count < UNIX_DGRAM_QLEN && unix_rq_charge(t) + w->need <= rcvbuf_of(t);
	return unix_rq_charge(t) + w->need <= sndbuf_of(w->self) || t->rq_count == 0;
}

static struct unix_skb *skb_make(struct unix_sock *from, const char *data, size_t len, struct scm_k *scm)
{
	struct unix_skb *s = kmalloc(sizeof(*s) + (len ? len : 1));
	if (!s)
		return NULL;
	s->next = NULL;
	s->len = len;
	s->off = 0;
	s->from = from ? usk_get(from) : NULL;
	s->scm = NULL;
	if (scm && (scm->nfiles || scm->has_cred)) {
		s->scm = kmalloc(sizeof(*s->scm));
		if (!s->scm) {
			usk_put(s->from);
			kfree(s);
			return NULL;
		}
		*s->scm = *scm; /* the references move to the buffer */
		scm->nfiles = 0;
		unix_inflight_add(s->scm, 1);
	}
	if (scm && scm->has_cred)
		s->cred = scm->cred;
	else
		sock_current_cred(&s->cred);
	memcpy(s->data, data, len);
	return s;
}

/* Stream and seqpacket sends to the connected peer. */
static ssize_t conn_send(struct socket *sock, struct unix_sock *u, struct msg_k *m, unsigned flags)
{
	if (m->name)
		return u->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	bool record = u->type == SOCK_SEQPACKET;
	if (record && m->len > sndbuf_of(u))
		return -EMSGSIZE;
	size_t done = 0;
	do {
		mutex_lock(&unix_lock);
		struct unix_sock *peer = u->peer;
		if (u->state != US_CONNECTED || !peer) {
			mutex_unlock(&unix_lock);
			return done ? (ssize_t)done : u->snd_shut ? -EPIPE : -ENOTCONN;
		}
		if (u->snd_shut || peer->dead || peer->rcv_shut) {
			mutex_unlock(&unix_lock);
			return done ? (ssize_t)done : -EPIPE;
		}
		if (!record && m->len == 0) {
			mutex_unlock(&unix_lock);
			return 0; /* nothing to queue (passed descriptors go too, as on Linux) */
		}
		size_t limit = sndbuf_of(u), want = m->len - done;
		size_t charge = unix_rq_charge(peer);
		size_t room = charge < limit ? limit - charge : 0;
		if (record ? (room < want && peer->rq_count) : room == 0) {
			struct room_wait w = { u, usk_get(peer), record ? want : 1 };
			mutex_unlock(&unix_lock);
			int err = (flags & MSG_DONTWAIT) ? -EAGAIN : sock_wait(&peer->wq, has_room, &w, sock->sndtimeo_ns);
			usk_put(peer);
			if (err)
				return done ? (ssize_t)done : err;
			continue;
		}
		size_t n = record || room > want ? want : room;
		struct unix_skb *s = skb_make(NULL, m->buf + done, n, done ? NULL : m->scm);
		if (!s) {
			mutex_unlock(&unix_lock);
			return done ? (ssize_t)done : -ENOMEM;
		}
		rq_push(peer, s);
		done += n;
		mutex_unlock(&unix_lock);
		usk_wake(peer);
	} while (done < m->len);
	return (ssize_t)done;
}

static ssize_t dgram_send(struct socket *sock, struct unix_sock *u, struct msg_k *m, unsigned flags)
{
	if (m->len > sndbuf_of(u) - 32)
		return -EMSGSIZE;
	for (;;) {
		mutex_lock(&unix_lock);
		struct unix_sock *t;
		if (m->name) {
			t = unix_lookup_name(m->name, m->namelen, u->type);
			if (IS_ERR(t)) {
				mutex_unlock(&unix_lock);
				return PTR_ERR(t);
			}
		} else if (u->peer) {
			t = usk_get(u->peer);
		} else {
			mutex_unlock(&unix_lock);
			return u->snd_shut ? -EPIPE : -ENOTCONN;
		}
		int err = 0;
		if (u->snd_shut)
			err = -EPIPE;
		else if (t->dead)
			err = -ECONNREFUSED;
		else if (t->peer && t->peer != u)
			err = -EPERM; /* it only takes datagrams from its own peer */
		else if (t->rcv_shut)
			err = -EPIPE;
		if (err) {
			mutex_unlock(&unix_lock);
			usk_put(t);
			return err;
		}
		struct room_wait w = { u, t, m->len };
		if (!has_room(&w)) {
			mutex_unlock(&unix_lock);
			err = (flags & MSG_DONTWAIT) ? -EAGAIN : sock_wait(&t->wq, has_room, &w, sock->sndtimeo_ns);
			usk_put(t);
			if (err)
				return err;
			continue;
		}
		struct unix_skb *s = skb_make(u, m->buf, m->len, m->scm);
		if (s)
			rq_push(t, s);
		mutex_unlock(&unix_lock);
		usk_wake(t);
		usk_put(t);
		return s ? (ssize_t)m->len : -ENOMEM;
	}
}

ssize_t unix_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct unix_sock *u = sock->sk;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	return u->type == SOCK_DGRAM ? dgram_send(sock, u, m, flags) : conn_send(sock, u, m, flags);
}

static bool can_recv(void *arg)
{
	struct unix_sock *u = arg;
	return __atomic_load_n(&u->rq_head, __ATOMIC_ACQUIRE) || u->rcv_shut || u->dead;
}

/* Hands a buffer's descriptors and credentials to the receive (consuming them unless peek). */
static void take_scm(struct unix_skb *s, struct msg_k *m, bool peek)
{
	if (!m->scm)
		return;
	m->scm->has_cred = true;
	m->scm->cred = s->cred;
	if (!s->scm)
		return;
	if (!peek)
		unix_inflight_add(s->scm, -1); /* they land in the receiver's table */
	/* A peek installs new references (the message keeps its own), as Linux does. */
	for (int i = 0; i < s->scm->nfiles; i++)
		m->scm->files[i] = peek ? file_get(s->scm->files[i]) : s->scm->files[i];
	m->scm->nfiles = s->scm->nfiles;
	if (!peek)
		s->scm->nfiles = 0;
}

ssize_t unix_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct unix_sock *u = sock->sk;
	bool peek = flags & MSG_PEEK, stream = u->type == SOCK_STREAM;
	struct unix_skb *junk = NULL, **junk_tail = &junk;
	size_t copied = 0;
	ssize_t ret = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	m->namelen = 0;
	mutex_lock(&unix_lock);
	if (u->type != SOCK_DGRAM && u->state != US_CONNECTED) {
		mutex_unlock(&unix_lock);
		return -EINVAL; /* listening or never connected, as Linux answers */
	}
	for (;;) {
		if (!u->rq_head) {
			if (copied && !(flags & MSG_WAITALL))
				break;
			if (!copied && sock->error) {
				ret = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL); /* reported once */
				break;
			}
			if (u->rcv_shut || (u->type != SOCK_DGRAM && u->state != US_CONNECTED))
				break; /* end of file */
			if (flags & MSG_DONTWAIT) {
				ret = -EAGAIN;
				break;
			}
			mutex_unlock(&unix_lock);
			int err = sock_wait(&u->wq, can_recv, u, sock->rcvtimeo_ns);
			mutex_lock(&unix_lock);
			if (err) {
				ret = err;
				break;
			}
			continue;
		}
		if (!stream) {
			/* One datagram or record per call, cut to the room given. */
			struct unix_skb *s = u->rq_head;
			size_t n = s->len < m->len ? s->len : m->len;
			memcpy(m->buf, s->data, n);
			if (s->len > m->len)
				m->flags_out |= MSG_TRUNC;
			ret = (flags & MSG_TRUNC) ? (ssize_t)s->len : (ssize_t)n;
			if (m->name && s->from && s->from->addrlen) {
				memcpy(m->name, &s->from->addr, (size_t)s->from->addrlen);
				m->namelen = s->from->addrlen;
			}
			take_scm(s, m, peek);
			if (!peek)
				*junk_tail = rq_pop(u);
			goto out;
		}
		/* Streams: gather from consecutive buffers; a buffer with descriptors starts a read and
		 * ends it, so each batch arrives with the bytes sent beside it. */
		struct unix_skb *s = u->rq_head;
		size_t off = s->off;
		bool stop = false;
		while (s && copied < m->len) {
			bool files = s->scm && s->scm->nfiles;
			if (copied && files) {
				stop = true;
				break;
			}
			size_t n = s->len - off < m->len - copied ? s->len - off : m->len - copied;
			memcpy(m->buf + copied, s->data + off, n);
			if (copied == 0)
				take_scm(s, m, peek);
			copied += n;
			if (peek) {
				s = s->next;
				off = s ? s->off : 0;
			} else {
				s->off += n;
				u->rq_bytes -= n;
				if (s->off == s->len) {
					*junk_tail = rq_pop(u);
					junk_tail = &(*junk_tail)->next;
				}
				s = u->rq_head;
				off = s ? s->off : 0;
			}
			if (files) {
				stop = true;
				break;
			}
		}
		if (stop || copied == m->len || peek || !(flags & MSG_WAITALL))
			break;
	}
	if (stream)
		ret = copied ? (ssize_t)copied : ret;
out:;
	mutex_unlock(&unix_lock);
	if (!peek) {
		usk_wake(u); /* senders waiting for room (and a stream peer's POLLOUT) sleep on our queue */
		if (u->type == SOCK_DGRAM)
			wake_up_all(&unix_dgram_room_wq);
	}
	skb_free_list(junk);
	return ret;
}

/* ---- readiness, options ---- */

unsigned unix_poll(struct socket *sock, struct poll_table *pt)
{
	struct unix_sock *u = sock->sk;
	poll_wait(pt, &u->wq);
	mutex_lock(&unix_lock);
	unsigned mask = 0;
	struct unix_sock *peer = u->peer;
	if (u->type != SOCK_DGRAM && peer)
		poll_wait(pt, &peer->wq); /* room appears when the peer reads (a stream peer lives as long as we do) */
	if (sock->error)
		mask |= POLLERR;
	if (u->rq_head)
		mask |= POLLIN | POLLRDNORM;
	if (u->rcv_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (u->rcv_shut && u->snd_shut)
		mask |= POLLHUP;
	if (u->state == US_LISTENING) {
		if (u->acc_head)
			mask |= POLLIN | POLLRDNORM;
	} else if (u->type != SOCK_DGRAM) {
		if (u->state != US_CONNECTED)
			mask |= POLLOUT | POLLWRNORM | POLLHUP; /* never connected: Linux says both */
		else if (!peer || u->snd_shut || peer->dead || peer->rcv_shut ||
			 unix_rq_charge(peer) * 4 <= sndbuf_of(u))
			mask |= POLLOUT | POLLWRNORM;
	} else if (peer && !peer->dead && !u->snd_shut && !peer->rcv_shut && (!peer->peer || peer->peer == u)) {
		/* A connected datagram socket is writable while its receiver's queue is at most a
		 * quarter full (Linux's rule for its send buffer: poll reports room to spare). The receiver
		 * may change or go while we wait, so the wait is on the queue every datagram receive
		 * wakes, which lives for ever (spurious wake-ups only make poll look again). */
		if (peer->rq_count < UNIX_DGRAM_QLEN && unix_rq_charge(peer) * 4 <= rcvbuf_of(peer))
			mask |= POLLOUT | POLLWRNORM;
		else
			poll_wait(pt, &unix_dgram_room_wq);
	} else {
		mask |= POLLOUT | POLLWRNORM; /* unconnected, or a send fails at once */
	}
	mutex_unlock(&unix_lock);
	return mask;
}

int unix_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	struct unix_sock *u = sock->sk;
	if (cmd != FIONREAD && cmd != SIOCOUTQ)
		return -ENOTTY;
	int v;
	mutex_lock(&unix_lock);
	if (cmd == SIOCOUTQ)
		v = u->peer && u->type != SOCK_DGRAM ? (int)u->peer->rq_bytes : 0;
	else if (u->state == US_LISTENING)
		v = -EINVAL;
	else if (u->type == SOCK_STREAM)
		v = (int)u->rq_bytes;
	else
		v = u->rq_head ? (int)u->rq_head->len : 0;
	mutex_unlock(&unix_lock);
	if (v < 0)
		return v;
	return put_user(v, (int *)arg); /* after the unlock: a user copy may fault */
}

