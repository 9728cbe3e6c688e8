/*
 * TCP sockets: the proto_ops of AF_INET SOCK_STREAM. bind/listen/accept/connect keep the
 * table, send and receive move bytes between the caller's kernel buffer and the engine's
 * queues, waiting as SO_SNDTIMEO/SO_RCVTIMEO and MSG_DONTWAIT say; poll reports readiness as
 * Linux's tcp_poll does.
 */
#include "net/tcp/tcp_internal.h"

#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "time/clock.h"

#define SOMAXCONN 4096
#define FIONREAD 0x541b
#define SIOCOUTQ 0x5411
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6

static struct tcp_sock *ts_of(struct socket *sock) { return sock->sk; }

static int tcp_create(struct socket *sock, int protocol);

static void tcp_release(struct socket *sock)
{
	struct tcp_sock *ts = ts_of(sock);
	if (!ts)
		return;
	uint64_t now = clock_monotonic_ns();
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	if (cb->state == TCP_LISTEN) {
		/* Connections nobody accepted are reset. */
		for (struct tcp_sock *t = tcp_table, *n; t; t = n) {
			n = t->next;
			if (t->parent != ts)
				continue;
			tcp_cb_abort(&t->cb, 0);
			n = t->next;
			tcp_sock_reap(t);
		}
		tcp_set_state(cb, TCP_CLOSE);
	} else if (cb->state == TCP_SYN_SENT) {
		tcp_set_state(cb, TCP_CLOSE);
	} else if ((sock->linger[0] && !sock->linger[1]) || cb->rcvq.len) {
		/* SO_LINGER 0, or unread data (RFC 2525 2.17): a reset instead of a FIN. */
		tcp_cb_abort(cb, 0);
	} else if (cb->state != TCP_CLOSE) {
		cb->orphan = true;
		tcp_cb_shutdown(cb, now);
		if (cb->state == TCP_FIN_WAIT2)
			cb->t_wait = now + TCP_FIN_TIMEOUT;
	}
	cb->orphan = true;
	tcp_cb_trim(cb);
	ts->sock = NULL;
	sock->sk = NULL;
	tcp_timer_kick(ts);
	tcp_sock_reap(ts);
	mutex_unlock(&tcp_lock);
}

static int tcp_bind(struct socket *sock, const void *addr, int len)
{
	struct tcp_sock *ts = ts_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, false, &ip, &port);
	if (err)
		return err;
	if (ip != INADDR_ANY && !ip_is_local(ip))
		return -EADDRNOTAVAIL;
	mutex_lock(&tcp_lock);
	if (ts->lport || ts->cb.state != TCP_CLOSE) {
		err = -EINVAL;
	} else {
		uint16_t p = ntohs(port);
		if (!p)
			p = tcp_pick_port();
		if (!p)
			err = -EADDRINUSE;
		else if (tcp_port_conflict(ts, ip, p, sock->reuseaddr))
			err = -EADDRINUSE;
		else {
			ts->laddr = ip;
			ts->lport = p;
			ts->reuse = sock->reuseaddr;
		}
	}
	mutex_unlock(&tcp_lock);
	return err;
}

static int tcp_listen(struct socket *sock, int backlog)
{
	struct tcp_sock *ts = ts_of(sock);
	int err = 0;
	mutex_lock(&tcp_lock);
	if (ts->cb.state != TCP_CLOSE && ts->cb.state != TCP_LISTEN) {
		err = -EINVAL;
	} else if (ts->conn != TS_UNCONNECTED) {
		err = -EINVAL;
	} else {
		if (!ts->lport) {
			ts->lport = tcp_pick_port();
			if (!ts->lport)
				err = -EADDRINUSE;
		} else if (ts->cb.state == TCP_CLOSE && tcp_port_conflict(ts, ts->laddr, ts->lport, false)) {
			/* another socket on this port that SO_REUSEADDR let us bind beside */
			struct tcp_sock *t;
			for (t = tcp_table; t; t = t->next)
				if (t != ts && t->lport == ts->lport && t->cb.state == TCP_LISTEN &&
				    (!t->laddr || !ts->laddr || t->laddr == ts->laddr))
					break;
			if (t)
				err = -EADDRINUSE;
		}
		if (!err) {
			ts->backlog = backlog < 0 ? 0 : backlog > SOMAXCONN ? SOMAXCONN : backlog;
			ts->reuse = sock->reuseaddr;
			ts->cb.state = TCP_LISTEN;
		}
	}
	mutex_unlock(&tcp_lock);
	return err;
}

static bool connect_done(void *arg)
{
	struct tcp_sock *ts = arg;
	enum tcp_state s = __atomic_load_n(&ts->cb.state, __ATOMIC_ACQUIRE);
	return s != TCP_SYN_SENT && s != TCP_SYN_RECV;
}

static int tcp_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	struct tcp_sock *ts = ts_of(sock);
	in_addr_t ip;
	uint16_t port;
	int err = inet_addr_parse(addr, len, true, &ip, &port);
	if (err)
		return err;
	uint64_t now = clock_monotonic_ns();
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	switch (ts->conn) {
	case TS_CONNECTED:
		err = -EISCONN;
		goto out;
	case TS_CONNECTING:
		err = -EALREADY;
		break;
	case TS_UNCONNECTED:
		if (cb->state != TCP_CLOSE) {
			err = -EISCONN;
			goto out;
		}
		if (!ip && !port) {
			err = -EAFNOSUPPORT; /* AF_UNSPEC on an unconnected TCP socket */
			goto out;
		}
		if (!port) {
			err = -ECONNREFUSED;
			goto out;
		}
		if (!ip)
			ip = IPV4(127, 0, 0, 1); /* connecting to 0.0.0.0 reaches this host, as on Linux */
		in_addr_t src = ts->laddr ? ts->laddr : ip_source_for(ip);
		if (!src) {
			err = -ENETUNREACH;
			goto out;
		}
		if (!ts->lport && !(ts->lport = tcp_pick_port())) {
			err = -EADDRNOTAVAIL;
			goto out;
		}
		/* A socket reused after a failed attempt starts from a clean engine. */
		tcp_cb_destroy(cb);
		bool nd = cb->nodelay;
		uint64_t idle = cb->ka_idle, intvl = cb->ka_intvl;
		unsigned cnt = cb->ka_cnt;
		tcp_cb_init(cb, &tcp_glue_ops, ts, sock->sndbuf / 2 < 2048 ? 2048 : sock->sndbuf / 2,
			    sock->rcvbuf / 2 < 2048 ? 2048 : sock->rcvbuf / 2);
		cb->nodelay = nd;
		cb->ka_idle = idle;
		cb->ka_intvl = intvl;
		cb->ka_cnt = cnt;
		cb->keepalive = sock->keepalive;
		cb->ts_off = tcp_new_iss();
		ts->laddr = src;
		ts->raddr = ip;
		ts->rport = ntohs(port);
		ts->reuse = sock->reuseaddr;
		cb->tso_max = tcp_tso_for(ip);
		err = tcp_cb_connect(cb, tcp_new_iss(), tcp_mss_for(ip), now);
		if (err)
			goto out;
		ts->conn = TS_CONNECTING;
		tcp_timer_kick(ts);
		err = -EINPROGRESS;
		break;
	}
	/* Connecting: wait unless non-blocking (then EINPROGRESS, or EALREADY for a repeat). */
	if (!connect_done(ts)) {
		if (flags & MSG_DONTWAIT)
			goto out;
		mutex_unlock(&tcp_lock);
		int w = sock_wait(&ts->wq, connect_done, ts, sock->sndtimeo_ns);
		mutex_lock(&tcp_lock);
		if (w == -EAGAIN) {
			err = -EINPROGRESS;
			goto out;
		}
		if (w) {
			err = w;
			goto out;
		}
	}
	if (cb->state == TCP_CLOSE) {
		int e = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
		err = e ? e : -ECONNABORTED;
		ts->conn = TS_UNCONNECTED;
		goto out;
	}
	ts->conn = TS_CONNECTED;
	err = 0;
out:
	mutex_unlock(&tcp_lock);
	return err;
}

static bool accept_ready(void *arg)
{
	struct tcp_sock *ts = arg;
	return __atomic_load_n(&ts->acc_head, __ATOMIC_ACQUIRE) != NULL || ts->cb.state != TCP_LISTEN;
}

static int tcp_accept(struct socket *sock, struct socket *newsock, unsigned flags)
{
	struct tcp_sock *ts = ts_of(sock);
	int err = 0;
	mutex_lock(&tcp_lock);
	for (;;) {
		if (ts->cb.state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		struct tcp_sock *c = ts->acc_head;
		if (c) {
			ts->acc_head = c->acc_next;
			if (!ts->acc_head)
				ts->acc_tail = NULL;
			c->queued = false;
			c->parent = NULL;
			ts->nchildren--;
			ts->acc_len--;
			c->sock = newsock;
			newsock->sk = c;
			c->uid = ts->uid;
			if (c->cb.err) {
				newsock->error = -c->cb.err;
				c->cb.err = 0;
			}
			break;
		}
		if (flags & MSG_DONTWAIT) {
			err = -EAGAIN;
			break;
		}
		mutex_unlock(&tcp_lock);
		err = sock_wait(&ts->wq, accept_ready, ts, sock->rcvtimeo_ns);
		mutex_lock(&tcp_lock);
		if (err)
			break;
	}
	mutex_unlock(&tcp_lock);
	return err;
}

/* ---- data ---- */

static bool can_send(void *arg)
{
	struct tcp_sock *ts = arg;
	enum tcp_state s = __atomic_load_n(&ts->cb.state, __ATOMIC_ACQUIRE);
	if (s != TCP_ESTABLISHED && s != TCP_CLOSE_WAIT)
		return s != TCP_SYN_SENT && s != TCP_SYN_RECV;
	return ts->cb.fin_queued || tcp_cb_unsent_room(&ts->cb) > 0 || ts->sock->error;
}

static ssize_t tcp_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct tcp_sock *ts = ts_of(sock);
	size_t done = 0;
	ssize_t err = 0;
	uint64_t deadline = sock_deadline(sock->sndtimeo_ns);
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	while (done < m->len || m->len == 0) {
		int e = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
		if (e) {
			err = e;
			break;
		}
		if (cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECV) {
			if (flags & MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
		} else if (cb->state != TCP_ESTABLISHED && cb->state != TCP_CLOSE_WAIT) {
			err = -EPIPE; /* never connected, shut down or closed: Linux says EPIPE for all */
			break;
		} else if (cb->fin_queued) {
			err = -EPIPE;
			break;
		} else {
			if (m->len == 0)
				break;
			ssize_t n = tcp_cb_send(cb, m->buf + done, m->len - done, clock_monotonic_ns());
			if (n < 0) {
				err = n;
				break;
			}
			done += (size_t)n;
			tcp_timer_kick(ts);
			if (done == m->len)
				break;
			if (flags & MSG_DONTWAIT) {
				if (!done)
					err = -EAGAIN;
				break;
			}
		}
		mutex_unlock(&tcp_lock);
		uint64_t left = 0;
		if (deadline) {
			uint64_t now = clock_monotonic_ns();
			left = deadline > now ? deadline - now : 1;
		}
		int w = sock_wait(&ts->wq, can_send, ts, left);
		mutex_lock(&tcp_lock);
		if (w) {
			err = w;
			break;
		}
	}
	mutex_unlock(&tcp_lock);
	return done ? (ssize_t)done : err;
}

static bool can_recv(void *arg)
{
	struct tcp_sock *ts = arg;
	enum tcp_state s = __atomic_load_n(&ts->cb.state, __ATOMIC_ACQUIRE);
	return ts->cb.rcvq.len || ts->cb.fin_rcvd || ts->cb.rd_shut || ts->sock->error ||
	       (s != TCP_ESTABLISHED && s != TCP_SYN_SENT && s != TCP_SYN_RECV && s != TCP_FIN_WAIT1 &&
		s != TCP_FIN_WAIT2);
}

static ssize_t tcp_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags)
{
	struct tcp_sock *ts = ts_of(sock);
	size_t done = 0;
	ssize_t err = 0;
	bool peek = flags & MSG_PEEK;
	uint64_t deadline = sock_deadline(sock->rcvtimeo_ns);
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	if (m->name)
		m->namelen = 0;
	for (;;) {
		if (cb->state == TCP_LISTEN) {
			err = -ENOTCONN;
			break;
		}
		size_t n = tcp_cb_recv(cb, m->buf + done, m->len - done, peek, clock_monotonic_ns());
		done += n;
		if (n)
			tcp_timer_kick(ts);
		if (done == m->len || (done && (!(flags & MSG_WAITALL) || peek)))
			break;
		int e = __atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL);
		if (e) {
			if (done)
				__atomic_store_n(&sock->error, e, __ATOMIC_RELEASE); /* for the next call */
			else
				err = e;
			break;
		}
		if (cb->fin_rcvd || cb->rd_shut)
			break;
		if (cb->state == TCP_CLOSE) {
			if (ts->conn == TS_UNCONNECTED)
				err = -ENOTCONN;
			break;
		}
		if (flags & MSG_DONTWAIT) {
			err = -EAGAIN;
			break;
		}
		mutex_unlock(&tcp_lock);
		uint64_t left = 0;
		if (deadline) {
			uint64_t now = clock_monotonic_ns();
			left = deadline > now ? deadline - now : 1;
		}
		int w = sock_wait(&ts->wq, can_recv, ts, left);
		mutex_lock(&tcp_lock);
		if (w) {
			err = w;
			break;
		}
	}
	mutex_unlock(&tcp_lock);
	return done ? (ssize_t)done : err;
}

static int tcp_shutdown(struct socket *sock, int how)
{
	struct tcp_sock *ts = ts_of(sock);
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	int err = 0;
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	switch (cb->state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		break;
	case TCP_LISTEN:
		if (how != SHUT_WR) {
			mutex_unlock(&tcp_lock);
			/* Linux stops a listener on SHUT_RD: pending connections are reset. */
			tcp_release(sock);
			mutex_lock(&tcp_lock);
			struct tcp_sock *n = tcp_sock_alloc(sock->sndbuf, sock->rcvbuf);
			if (n) {
				n->sock = sock;
				sock->sk = n;
			}
		} else {
			err = -ENOTCONN;
		}
		break;
	default:
		if (how != SHUT_WR)
			cb->rd_shut = true;
		if (how != SHUT_RD)
			tcp_cb_shutdown(cb, clock_monotonic_ns());
		tcp_timer_kick(ts);
		wake_up_all(&ts->wq);
		break;
	}
	mutex_unlock(&tcp_lock);
	return err;
}

static int tcp_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct tcp_sock *ts = ts_of(sock);
	int err = 0;
	mutex_lock(&tcp_lock);
	if (peer) {
		if (!ts->rport || ts->cb.state == TCP_CLOSE || ts->cb.state == TCP_SYN_SENT ||
		    ts->cb.state == TCP_LISTEN)
			err = -ENOTCONN;
		else
			inet_addr_fill(addr, len, ts->raddr, htons(ts->rport));
	} else {
		inet_addr_fill(addr, len, ts->laddr, htons(ts->lport));
	}
	mutex_unlock(&tcp_lock);
	return err;
}

static unsigned tcp_poll(struct socket *sock, struct poll_table *pt)
{
	struct tcp_sock *ts = ts_of(sock);
	poll_wait(pt, &ts->wq);
	mutex_lock(&tcp_lock);
	struct tcp_cb *cb = &ts->cb;
	unsigned mask = 0;
	enum tcp_state s = cb->state;
	if (s == TCP_LISTEN) {
		mask = ts->acc_head ? POLLIN | POLLRDNORM : 0;
		mutex_unlock(&tcp_lock);
		return mask;
	}
	bool rd_shut = cb->fin_rcvd || cb->rd_shut || s == TCP_CLOSE;
	bool wr_shut = cb->fin_queued || s == TCP_CLOSE;
	if (sock->error)
		mask |= POLLERR;
	if ((rd_shut && wr_shut) || s == TCP_CLOSE)
		mask |= POLLHUP;
	if (rd_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s != TCP_SYN_SENT && s != TCP_SYN_RECV) {
		if (cb->rcvq.len)
			mask |= POLLIN | POLLRDNORM;
		if (wr_shut)
			mask |= POLLOUT | POLLWRNORM;
		else if (tcp_cb_unsent_room(cb) * 2 >= cb->sndq_cap)
			mask |= POLLOUT | POLLWRNORM;
	}
	mutex_unlock(&tcp_lock);
	return mask;
}

static int tcp_ioctl(struct socket *sock, unsigned cmd, uint64_t arg)
{
	struct tcp_sock *ts = ts_of(sock);
	if (cmd != FIONREAD && cmd != SIOCOUTQ)
		return -ENOTTY;
	mutex_lock(&tcp_lock);
	int v = -1;
	if (ts->cb.state != TCP_LISTEN)
		v = (int)(cmd == FIONREAD ? ts->cb.rcvq.len : ts->cb.sndq.len);
	mutex_unlock(&tcp_lock);
	if (v < 0)
		return -EINVAL;
	return put_user(v, (int *)arg) ? -EFAULT : 0;
}

static int tcp_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	struct tcp_sock *ts = ts_of(sock);
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (len < (int)sizeof(int))
		return -EINVAL;
	int v;
	memcpy(&v, val, sizeof(v));
	int err = 0;
	mutex_lock(&tcp_lock);
	switch (name) {
	case TCP_NODELAY:
		ts->cb.nodelay = v != 0;
		if (v) {
			tcp_cb_output(&ts->cb, clock_monotonic_ns()); /* what Nagle held back goes now */
			tcp_timer_kick(ts); /* and may have armed the retransmission timer */
		}
		break;
	case TCP_MAXSEG:
		err = v < 88 || v > 32767 ? -EINVAL : 0; /* FIXME: accepted, not applied */
		break;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767) {
			err = -EINVAL;
			break;
		}
		*(name == TCP_KEEPIDLE ? &ts->cb.ka_idle : &ts->cb.ka_intvl) = (uint64_t)v * 1000 * TCP_MS;
		ts->cb.t_keep = 0; /* re-armed from the last arrival by the timer thread */
		tcp_timer_kick(ts);
		break;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			err = -EINVAL;
		else
			ts->cb.ka_cnt = (unsigned)v;
		break;
	default:
		err = -ENOPROTOOPT;
	}
	mutex_unlock(&tcp_lock);
	return err;
}

static int tcp_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	struct tcp_sock *ts = ts_of(sock);
	int v;
	if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
		v = ts->cb.state == TCP_LISTEN;
	else if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	else if (name == TCP_NODELAY)
		v = ts->cb.nodelay;
	else if (name == TCP_MAXSEG)
		v = ts->cb.mss;
	else if (name == TCP_KEEPIDLE)
		v = (int)(ts->cb.ka_idle / (1000 * TCP_MS));
	else if (name == TCP_KEEPINTVL)
		v = (int)(ts->cb.ka_intvl / (1000 * TCP_MS));
	else if (name == TCP_KEEPCNT)
		v = (int)ts->cb.ka_cnt;
	else
		return -ENOPROTOOPT;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static const struct proto_ops tcp_ops = {
	.family = AF_INET,
	.release = tcp_release,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.shutdown = tcp_shutdown,
	.getname = tcp_getname,
	.poll = tcp_poll,
	.ioctl = tcp_ioctl,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
};

static int tcp_create(struct socket *sock, int protocol)
{
	(void)protocol;
	mutex_lock(&tcp_lock);
	struct tcp_sock *ts = tcp_sock_alloc(sock->sndbuf, sock->rcvbuf);
	if (ts) {
		ts->sock = sock;
		struct process *p = current_process();
		ts->uid = p ? p->cred.euid : 0;
	}
	mutex_unlock(&tcp_lock);
	if (!ts)
		return -ENOMEM;
	sock->ops = &tcp_ops;
	sock->sk = ts;
	return 0;
}

static const struct inet_protosw tcp_protosw = {
	.type = SOCK_STREAM, .protocol = IPPROTO_TCP, .is_default = true, .create = tcp_create,
};

void tcp_sock_register(void);
void tcp_sock_register(void)
{
	inet_register_protosw(&tcp_protosw);
}
