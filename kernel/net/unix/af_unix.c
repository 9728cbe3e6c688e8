/*
 * AF_UNIX: stream, datagram and seqpacket sockets between processes of this machine, named by
 * a file (an S_IFSOCK node made by bind) or by an abstract name, or unnamed (socketpair).
 *
 * Each socket's family state is a struct unix_sock; data travels as unix_skb buffers queued
 * on the receiver, carrying the sender's credentials and any passed descriptors (file
 * references while in flight). A stream connect makes the server's end at once (an
 * "embryo" on the listener's accept queue, already connected), as Linux does, so connect
 * never returns EINPROGRESS. Flow control: a stream or seqpacket sender waits while its peer
 * holds sndbuf bytes unread; a datagram sender while the receiver holds rcvbuf bytes or 512
 * datagrams.
 *
 * Locking: one mutex (unix_lock) guards every unix_sock, its queues and the table of names.
 * Blocking waits sleep on a socket's wait queue with the lock dropped. Buffers are freed, and
 * in-flight files put, only after the lock is dropped: putting a file can release another
 * AF_UNIX socket. FIXME: per-socket locks; a collector for sockets passed over themselves
 * (such a cycle is never freed).
 */
#include "net/unix/unix_internal.h"
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

struct mutex unix_lock = MUTEX_INIT;
static struct unix_sock *unix_bound; /* every bound socket */
struct unix_sock *unix_all;
static long unix_live;
static unsigned unix_autobind_next;

long unix_sock_count(void)
{
	return __atomic_load_n(&unix_live, __ATOMIC_RELAXED);
}

/* A new unix_sock on unix_all (unix_lock held). */
static struct unix_sock *usk_alloc(int type)
{
	struct unix_sock *u = kzalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->type = type;
	u->refcount = 1;
	waitqueue_init(&u->wq);
	u->all_next = unix_all;
	if (unix_all)
		unix_all->all_prev = u;
	unix_all = u;
	__atomic_fetch_add(&unix_live, 1, __ATOMIC_RELAXED);
	return u;
}

struct unix_sock *usk_get(struct unix_sock *u)
{
	__atomic_fetch_add(&u->refcount, 1, __ATOMIC_RELAXED);
	return u;
}

void usk_put(struct unix_sock *u)
{
	if (!u || __atomic_sub_fetch(&u->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	mutex_lock(&unix_lock);
	if (u->all_prev)
		u->all_prev->all_next = u->all_next;
	else
		unix_all = u->all_next;
	if (u->all_next)
		u->all_next->all_prev = u->all_prev;
	mutex_unlock(&unix_lock);
	if (u->node)
		inode_put(u->node);
	__atomic_fetch_sub(&unix_live, 1, __ATOMIC_RELAXED);
	kfree(u);
}

uint32_t sndbuf_of(struct unix_sock *u)
{
	return u->sock ? u->sock->sndbuf : SOCK_DEFAULT_BUF;
}

uint32_t rcvbuf_of(struct unix_sock *u)
{
	return u->sock ? u->sock->rcvbuf : SOCK_DEFAULT_BUF;
}

void usk_wake(struct unix_sock *u)
{
	if (u)
		wake_up_all(&u->wq);
}

/* ---- names ---- */

struct unix_sock *unix_lookup_name(const void *addr, int len, int type)
{
	int norm;
	int kind = unix_addr_parse(addr, len, &norm);
	if (kind < 0)
		return ERR_PTR(kind);
	if (kind == UNIX_ADDR_AUTOBIND)
		return ERR_PTR(-EINVAL);
	struct unix_sock *found = NULL;
	if (kind == UNIX_ADDR_ABSTRACT) {
		/* Abstract names are looked up per type (Linux): another type's name is absent. */
		for (struct unix_sock *u = unix_bound; u; u = u->bound_next)
			if (!u->node && u->type == type && u->addrlen == norm &&
			    !memcmp(&u->addr, addr, (size_t)norm)) {
				found = u;
				break;
			}
		if (!found)
			return ERR_PTR(-ECONNREFUSED);
	} else {
		char path[UNIX_PATH_MAX + 1];
		memcpy(path, (const char *)addr + UNIX_PATH_OFF, (size_t)(norm - UNIX_PATH_OFF - 1));
		path[norm - UNIX_PATH_OFF - 1] = 0;
		struct path cwd, p;
		cwd_get(&cwd);
		int err = vfs_lookup(&cwd, path, LOOKUP_FOLLOW, &p);
		path_put(&cwd);
		if (err)
			return ERR_PTR(err);
		struct inode *inode = p.dentry->inode;
		err = inode_permission(inode, MAY_WRITE); /* connecting writes to the socket file */
		if (err) {
			path_put(&p);
			return ERR_PTR(err);
		}
		if (S_ISSOCK(inode->mode))
			for (struct unix_sock *u = unix_bound; u; u = u->bound_next)
				if (u->node == inode) {
					found = u;
					break;
				}
		path_put(&p);
		if (!found)
			return ERR_PTR(-ECONNREFUSED);
	}
	if (found->type != type)
		return ERR_PTR(-EPROTOTYPE);
	return usk_get(found);
}

static int unix_bind(struct socket *sock, const void *addr, int len)
{
	struct unix_sock *u = sock->sk;
	int norm;
	int kind = unix_addr_parse(addr, len, &norm);
	if (kind < 0)
		return kind;
	mutex_lock(&unix_lock);
	int err = 0;
	if (u->addrlen) {
		err = -EINVAL;
		goto out;
	}
	struct sockaddr_un_k a = { .sun_family = UNIX_FAMILY };
	if (kind == UNIX_ADDR_AUTOBIND) {
		/* Linux's autobind: an abstract name of five hex digits. */
		for (int tries = 0;; tries++) {
			if (tries == 0xfffff) {
				err = -ENOSPC;
				goto out;
			}
			unsigned n = unix_autobind_next++ & 0xfffff;
			static const char hex[] = "0123456789abcdef";
			a.sun_path[0] = 0;
			for (int i = 0; i < 5; i++)
				a.sun_path[1 + i] = hex[(n >> (16 - 4 * i)) & 0xf];
			norm = UNIX_PATH_OFF + 6;
			struct unix_sock *v = unix_bound;
			while (v && !(!v->node && v->addrlen == norm && !memcmp(&v->addr, &a, (size_t)norm)))
				v = v->bound_next;
			if (!v)
				break;
		}
	} else if (kind == UNIX_ADDR_ABSTRACT) {
		memcpy(&a, addr, (size_t)norm);
		for (struct unix_sock *v = unix_bound; v; v = v->bound_next)
			if (!v->node && v->addrlen == norm && !memcmp(&v->addr, &a, (size_t)norm)) {
				err = -EADDRINUSE;
				goto out;
			}
	} else {
		memcpy(a.sun_path, (const char *)addr + UNIX_PATH_OFF, (size_t)(norm - UNIX_PATH_OFF - 1));
		struct path cwd, p;
		cwd_get(&cwd);
		err = vfs_mknod(&cwd, a.sun_path, S_IFSOCK | (0777 & ~cur_umask()), 0);
		if (!err)
			err = vfs_lookup(&cwd, a.sun_path, 0, &p);
		path_put(&cwd);
		if (err) {
			if (err == -EEXIST)
				err = -EADDRINUSE;
			goto out;
		}
		u->node = inode_get(p.dentry->inode);
		path_put(&p);
	}
	u->addr = a;
	u->addrlen = norm;
	u->bound_next = unix_bound;
	unix_bound = u;
out:
	mutex_unlock(&unix_lock);
	return err;
}

static void unbind(struct unix_sock *u)
{
	for (struct unix_sock **pp = &unix_bound; *pp; pp = &(*pp)->bound_next)
		if (*pp == u) {
			*pp = u->bound_next;
			break;
		}
}

static int unix_getname(struct socket *sock, void *addr, int *len, bool peer)
{
	struct unix_sock *u = sock->sk;
	mutex_lock(&unix_lock);
	struct unix_sock *who = peer ? u->peer : u;
	int err = 0;
	if (peer && (!who || (u->type != SOCK_DGRAM && u->state != US_CONNECTED))) {
		err = -ENOTCONN;
	} else if (who->addrlen) {
		memcpy(addr, &who->addr, (size_t)who->addrlen);
		*len = who->addrlen;
	} else {
		struct sockaddr_un_k a = { .sun_family = UNIX_FAMILY };
		memcpy(addr, &a, UNIX_PATH_OFF);
		*len = UNIX_PATH_OFF;
	}
	mutex_unlock(&unix_lock);
	return err;
}

/* ---- creation, connections, release ---- */

static const struct proto_ops unix_ops;

static int unix_create(struct socket *sock, int protocol)
{
	if (protocol != 0 && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (sock->type != SOCK_STREAM && sock->type != SOCK_DGRAM && sock->type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	mutex_lock(&unix_lock);
	struct unix_sock *u = usk_alloc(sock->type);
	mutex_unlock(&unix_lock);
	if (!u)
		return -ENOMEM;
	u->sock = sock;
	u->had_sock = true;
	sock->sk = u;
	sock->ops = &unix_ops;
	return 0;
}

static void pair_up(struct unix_sock *a, struct unix_sock *b)
{
	a->peer = usk_get(b);
	b->peer = usk_get(a);
	a->state = b->state = US_CONNECTED;
}

static int unix_socketpair(struct socket *sa, struct socket *sb)
{
	struct unix_sock *a = sa->sk, *b = sb->sk;
	mutex_lock(&unix_lock);
	pair_up(a, b);
	sock_current_cred(&a->peercred);
	b->peercred = a->peercred;
	a->has_peercred = b->has_peercred = true;
	mutex_unlock(&unix_lock);
	return 0;
}

static int unix_listen(struct socket *sock, int backlog)
{
	struct unix_sock *u = sock->sk;
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	mutex_lock(&unix_lock);
	int err = 0;
	if (!u->addrlen || u->state == US_CONNECTED) {
		err = -EINVAL;
	} else {
		if (u->state != US_LISTENING)
			sock_current_cred(&u->peercred); /* what connecting clients will see */
		u->has_peercred = true;
		u->backlog = backlog;
		u->state = US_LISTENING;
	}
	mutex_unlock(&unix_lock);
	usk_wake(u); /* connecters waiting for room see the new backlog */
	return err;
}

static bool backlog_room(void *arg)
{
	struct unix_sock *l = arg;
	return __atomic_load_n(&l->acc_count, __ATOMIC_ACQUIRE) <= __atomic_load_n(&l->backlog, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&l->dead, __ATOMIC_ACQUIRE) || l->state != US_LISTENING;
}

static int dgram_connect(struct unix_sock *u, const void *addr, int len)
{
	const struct sockaddr_un_k *a = addr;
	struct unix_sock *old;
	mutex_lock(&unix_lock);
	if (len >= 2 && a->sun_family == AF_UNSPEC) {
		old = u->peer; /* dissolve the association */
		u->peer = NULL;
		u->state = US_UNCONNECTED;
		mutex_unlock(&unix_lock);
		usk_put(old);
		return 0;
	}
	struct unix_sock *t = unix_lookup_name(addr, len, u->type);
	if (IS_ERR(t)) {
		mutex_unlock(&unix_lock);
		return PTR_ERR(t);
	}
	old = u->peer;
	u->peer = t;
	u->state = US_CONNECTED;
	mutex_unlock(&unix_lock);
	usk_put(old);
	return 0;
}

static int unix_connect(struct socket *sock, const void *addr, int len, unsigned flags)
{
	struct unix_sock *u = sock->sk;
	if (u->type == SOCK_DGRAM)
		return dgram_connect(u, addr, len);
	for (;;) {
		mutex_lock(&unix_lock);
		int err = 0;
		struct unix_sock *l = NULL, *e = NULL;
		if (u->state == US_CONNECTED)
			err = -EISCONN;
		else if (u->state == US_LISTENING)
			err = -EINVAL;
		if (!err) {
			l = unix_lookup_name(addr, len, u->type);
			if (IS_ERR(l)) {
				err = PTR_ERR(l);
				l = NULL;
			} else if (l->state != US_LISTENING || l->dead) {
				err = -ECONNREFUSED;
			}
		}
		if (!err && l->acc_count > l->backlog) {
			mutex_unlock(&unix_lock);
			if (flags & MSG_DONTWAIT)
				err = -EAGAIN;
			else
				err = sock_wait(&l->wq, backlog_room, l, sock->sndtimeo_ns);
			usk_put(l);
			if (err)
				return err;
			continue; /* the listener may have gone: look it up again */
		}
		if (!err && !(e = usk_alloc(u->type)))
			err = -ENOMEM;
		if (err) {
			mutex_unlock(&unix_lock);
			usk_put(l);
			return err;
		}
		/* The server's end, connected now, waiting on the accept queue (which holds e). */
		pair_up(u, e);
		e->addr = l->addr;
		e->addrlen = l->addrlen;
		u->peercred = l->peercred;
		sock_current_cred(&e->peercred);
		u->has_peercred = e->has_peercred = true;
		if (l->acc_tail)
			l->acc_tail->bound_next = e; /* embryos chain through bound_next (never bound) */
		else
			l->acc_head = e;
		l->acc_tail = e;
		l->acc_count++;
		mutex_unlock(&unix_lock);
		usk_wake(l);
		usk_put(l);
		return 0;
	}
}

static bool accept_ready(void *arg)
{
	struct unix_sock *l = arg;
	return __atomic_load_n(&l->acc_head, __ATOMIC_ACQUIRE) || l->state != US_LISTENING;
}

static int unix_accept(struct socket *sock, struct socket *newsock, unsigned flags)
{
	struct unix_sock *l = sock->sk;
	for (;;) {
		mutex_lock(&unix_lock);
		if (l->state != US_LISTENING) {
			mutex_unlock(&unix_lock);
			return -EINVAL;
		}
		struct unix_sock *e = l->acc_head;
		if (e) {
			l->acc_head = e->bound_next;
			if (!l->acc_head)
				l->acc_tail = NULL;
			e->bound_next = NULL;
			l->acc_count--;
			e->sock = newsock; /* takes over the accept queue's reference */
			e->had_sock = true;
			newsock->sk = e;
			mutex_unlock(&unix_lock);
			usk_wake(l); /* room in the backlog */
			return 0;
		}
		mutex_unlock(&unix_lock);
		if (flags & MSG_DONTWAIT)
			return -EAGAIN;
		int err = sock_wait(&l->wq, accept_ready, l, sock->rcvtimeo_ns);
		if (err)
			return err;
	}
}

/* Closes u: the peer sees end-of-file (streams) or a refused destination (datagrams); queued
 * data and embryos go. Called once per socket (its file's release), never with unix_lock. */
static void usk_release(struct unix_sock *u)
{
	mutex_lock(&unix_lock);
	u->dead = true;
	u->sock = NULL;
	if (u->addrlen)
		unbind(u);
	struct unix_sock *peer = u->peer;
	u->peer = NULL;
	if (peer && u->type != SOCK_DGRAM) {
		peer->rcv_shut = peer->snd_shut = true;
		/* Closing with unread data (or never accepted) resets the connection: the peer's
		 * next read fails once with ECONNRESET, as on Linux. */
		if ((u->rq_head || !u->had_sock) && peer->sock)
			peer->sock->error = -ECONNRESET;
	}
	struct unix_skb *q = u->rq_head;
	u->rq_head = u->rq_tail = NULL;
	u->rq_bytes = 0;
	u->rq_overhead = 0;
	u->rq_count = 0;
	struct unix_sock *emb = u->acc_head;
	u->acc_head = u->acc_tail = NULL;
	u->acc_count = 0;
	u->state = US_UNCONNECTED;
	u->rcv_shut = u->snd_shut = true;
	mutex_unlock(&unix_lock);
	usk_wake(u);
	usk_wake(peer);
	if (u->type == SOCK_DGRAM)
		wake_up_all(&unix_dgram_room_wq); /* its senders' writes now fail at once */
	usk_put(peer);
	skb_free_list(q);
	while (emb) {
		struct unix_sock *next = emb->bound_next;
		emb->bound_next = NULL;
		usk_release(emb); /* a client connected but never accepted: it sees end-of-file */
		emb = next;
	}
	usk_put(u);
	unix_gc_schedule(); /* a close may have left a cycle that only messages in flight hold */
}

struct unix_sock *unix_sock_of_file(struct file *f)
{
	struct socket *sock = sock_from_file(f);
	return sock && sock->ops == &unix_ops ? sock->sk : NULL;
}

static void unix_release(struct socket *sock)
{
	if (sock->sk)
		usk_release(sock->sk);
	sock->sk = NULL;
}

static int unix_shutdown(struct socket *sock, int how)
{
	struct unix_sock *u = sock->sk;
	mutex_lock(&unix_lock);
	bool rd = how != SHUT_WR, wr = how != SHUT_RD;
	u->rcv_shut |= rd;
	u->snd_shut |= wr;
	struct unix_sock *peer = u->type != SOCK_DGRAM ? u->peer : NULL;
	if (peer) {
		peer->snd_shut |= rd; /* the peer's writes now fail with EPIPE */
		peer->rcv_shut |= wr; /* the peer reads end-of-file after the queued data */
		usk_get(peer);
	}
	mutex_unlock(&unix_lock);
	usk_wake(u);
	usk_wake(peer);
	usk_put(peer);
	return 0;
}

static int unix_peercred(struct socket *sock, struct ucred_k *out)
{
	struct unix_sock *u = sock->sk;
	mutex_lock(&unix_lock);
	if (u->has_peercred)
		*out = u->peercred;
	else
		*out = (struct ucred_k){ 0, 65534, 65534 }; /* Linux's overflow ids */
	mutex_unlock(&unix_lock);
	return 0;
}

static int unix_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	struct unix_sock *u = sock->sk;
	if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
		*(int *)val = u->state == US_LISTENING;
		*len = sizeof(int);
		return 0;
	}
	return -EOPNOTSUPP;
}

static int unix_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	(void)sock, (void)level, (void)name, (void)val, (void)len;
	return -EOPNOTSUPP;
}

static const struct proto_ops unix_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_connect,
	.socketpair = unix_socketpair,
	.listen = unix_listen,
	.accept = unix_accept,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getname = unix_getname,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.peercred = unix_peercred,
	.setsockopt = unix_setsockopt,
	.getsockopt = unix_getsockopt,
};

static const struct net_family unix_family = { .family = AF_UNIX, .create = unix_create };

void unix_init(void)
{
	net_register_family(&unix_family);
}
