/*
 * The socket system calls. They validate arguments, move addresses, data and control messages
 * between user memory and kernel buffers (struct msg_k, struct scm_k), and call the family's
 * operations, which never touch user memory and may hold locks freely. SOL_SOCKET options
 * that are pure bookkeeping are kept here for every family.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

#define SEND_CHUNK  65536           /* stream data moves in pieces of this size */
#define MSG_MAX     (256 * 1024)    /* the largest datagram or record */
#define IOV_MAX     1024
#define SOMAXCONN   4096

struct iovec_k {
	void *base;
	size_t len;
};

/* struct msghdr and struct cmsghdr as x86_64 Linux lays them out. */
struct msghdr_u {
	void *name;
	uint32_t namelen;
	uint32_t pad;
	struct iovec_k *iov;
	uint64_t iovlen;
	void *control;
	uint64_t controllen;
	int32_t flags;
	uint32_t pad2;
};
_Static_assert(sizeof(struct msghdr_u) == 56, "struct msghdr is 56 bytes");

struct cmsghdr_u {
	uint64_t len;
	int32_t level, type;
};
#define CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define CMSG_HDR      sizeof(struct cmsghdr_u)

/* The socket at fd with a file reference in *fp, or NULL with *err (-EBADF, -ENOTSOCK). */
static struct socket *sockfd_get(int fd, struct file **fp, int *err)
{
	struct file *f = fget(fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	struct socket *sock = sock_from_file(f);
	if (!sock) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	return sock;
}

static int addr_from_user(const void *uaddr, int len, char *kaddr)
{
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	if (len && copy_from_user(kaddr, uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

/* Copies an address out, truncated to the caller's room; *ulen gets the real length. */
static int addr_to_user(const char *kaddr, int len, void *uaddr, int *ulen)
{
	int room;
	if (!uaddr || !ulen)
		return 0;
	if (get_user(room, ulen))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	if (room > len)
		room = len;
	if (room && copy_to_user(uaddr, kaddr, (size_t)room))
		return -EFAULT;
	return put_user(len, ulen);
}

static unsigned sock_io_flags(struct socket *sock, unsigned flags)
{
	if (sock->file->flags & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	return flags;
}

/* ---- creation ---- */

static int install_pair(struct file *a, struct file *b, unsigned fdf, int *ufds)
{
	int fds[2] = { fd_install_current(a, 0, fdf), -1 };
	if (fds[0] >= 0)
		fds[1] = b ? fd_install_current(b, 0, fdf) : 0;
	int err = fds[0] < 0 ? fds[0] : fds[1] < 0 ? fds[1] : 0;
	if (!err && ufds && copy_to_user(ufds, fds, sizeof(fds)))
		err = -EFAULT;
	if (err) {
		struct fd_table *t = current_process()->files;
		if (fds[0] >= 0)
			fd_close(t, fds[0]);
		if (b && fds[1] >= 0)
			fd_close(t, fds[1]);
		return err;
	}
	return fds[0];
}

static int64_t sys_socket(int family, int type, int protocol)
{
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct file *f;
	int err = sock_create(family, type & SOCK_TYPE_MASK, protocol, type & SOCK_NONBLOCK, &f);
	if (err)
		return err;
	int fd = install_pair(f, NULL, (type & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, NULL);
	file_put(f);
	return fd;
}
SYSCALL(41, socket);

static int64_t sys_socketpair(int family, int type, int protocol, int *ufds)
{
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct file *a, *b;
	int err = sock_create(family, type & SOCK_TYPE_MASK, protocol, type & SOCK_NONBLOCK, &a);
	if (err)
		return err;
	err = sock_create(family, type & SOCK_TYPE_MASK, protocol, type & SOCK_NONBLOCK, &b);
	if (err) {
		file_put(a);
		return err;
	}
	struct socket *sa = sock_from_file(a), *sb = sock_from_file(b);
	err = sa->ops->socketpair ? sa->ops->socketpair(sa, sb) : -EOPNOTSUPP;
	if (!err)
		err = install_pair(a, b, (type & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, ufds);
	file_put(a);
	file_put(b);
	return err < 0 ? err : 0;
}
SYSCALL(53, socketpair);

/* ---- names and connections ---- */

static int64_t sys_bind(int fd, const void *uaddr, int len)
{
	char addr[SOCK_ADDR_MAX];
	int err = addr_from_user(uaddr, len, addr);
	if (err)
		return err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	err = sock->ops->bind ? sock->ops->bind(sock, addr, len) : -EOPNOTSUPP;
	file_put(f);
	return err;
}
SYSCALL(49, bind);

static int64_t sys_connect(int fd, const void *uaddr, int len)
{
	char addr[SOCK_ADDR_MAX];
	int err = addr_from_user(uaddr, len, addr);
	if (err)
		return err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	err = sock->ops->connect ? sock->ops->connect(sock, addr, len, sock_io_flags(sock, 0)) : -EOPNOTSUPP;
	file_put(f);
	return err;
}
SYSCALL(42, connect);

static int64_t sys_listen(int fd, int backlog)
{
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	if ((unsigned)backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	err = sock->ops->listen ? sock->ops->listen(sock, backlog) : -EOPNOTSUPP;
	file_put(f);
	return err;
}
SYSCALL(50, listen);

static int64_t sys_accept4(int fd, void *uaddr, int *ulen, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	struct file *nf = NULL;
	if (!sock->ops->accept) {
		err = -EOPNOTSUPP;
		goto out;
	}
	err = sock_create_child(sock, (unsigned)flags & SOCK_NONBLOCK, &nf);
	if (err)
		goto out;
	struct socket *ns = sock_from_file(nf);
	err = sock->ops->accept(sock, ns, sock_io_flags(sock, 0));
	if (err)
		goto out;
	if (uaddr) {
		char addr[SOCK_ADDR_MAX];
		int alen = SOCK_ADDR_MAX;
		err = ns->ops->getname(ns, addr, &alen, true);
		if (!err)
			err = addr_to_user(addr, alen, uaddr, ulen);
		if (err)
			goto out;
	}
	err = install_pair(nf, NULL, (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, NULL);
out:
	if (nf)
		file_put(nf);
	file_put(f);
	return err;
}
SYSCALL(288, accept4);

static int64_t sys_accept(int fd, void *uaddr, int *ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
}
SYSCALL(43, accept);

static int64_t getname_common(int fd, void *uaddr, int *ulen, bool peer)
{
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	char addr[SOCK_ADDR_MAX];
	int alen = SOCK_ADDR_MAX;
	err = sock->ops->getname ? sock->ops->getname(sock, addr, &alen, peer) : -EOPNOTSUPP;
	file_put(f);
	if (err)
		return err;
	if (!ulen)
		return -EFAULT;
	return addr_to_user(addr, alen, uaddr, ulen);
}

static int64_t sys_getsockname(int fd, void *uaddr, int *ulen)
{
	return getname_common(fd, uaddr, ulen, false);
}
SYSCALL(51, getsockname);

static int64_t sys_getpeername(int fd, void *uaddr, int *ulen)
{
	return getname_common(fd, uaddr, ulen, true);
}
SYSCALL(52, getpeername);

static int64_t sys_shutdown(int fd, int how)
{
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	err = sock->ops->shutdown ? sock->ops->shutdown(sock, how) : -EOPNOTSUPP;
	file_put(f);
	return err;
}
SYSCALL(48, shutdown);

/* ---- data ---- */

static void raise_sigpipe(void)
{
	struct process *p = current_process();
	struct siginfo_k info = { .signo = SIGPIPE, .code = SI_USER, .pid = p->pid, .uid = p->cred.uid };
	send_signal_thread(current_uthread(), &info);
}

/* Fetches and checks a user iovec array into iov (caller's, IOV_MAX entries); the total. */
static int64_t iov_get(const struct iovec_k *uiov, uint64_t cnt, struct iovec_k **iov)
{
	if (cnt > IOV_MAX)
		return -EMSGSIZE;
	*iov = kmalloc((cnt ? cnt : 1) * sizeof(**iov));
	if (!*iov)
		return -ENOMEM;
	if (cnt && copy_from_user(*iov, uiov, cnt * sizeof(**iov)))
		return -EFAULT;
	uint64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if ((int64_t)(*iov)[i].len < 0 || (*iov)[i].len > 0x7ffff000 - total)
			return -EINVAL;
		if (!user_range_ok((uint64_t)(*iov)[i].base, (*iov)[i].len))
			return -EFAULT;
		total += (*iov)[i].len;
	}
	return (int64_t)total;
}

/* Gathers (or scatters) n bytes at offset off of the iovecs; 0 or -EFAULT. */
static int iov_copy(const struct iovec_k *iov, uint64_t cnt, size_t off, char *kbuf, size_t n, bool to_user)
{
	for (uint64_t i = 0; i < cnt && n; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		size_t m = iov[i].len - off < n ? iov[i].len - off : n;
		char *u = (char *)iov[i].base + off;
		if (to_user ? copy_to_user(u, kbuf, m) : copy_from_user(kbuf, u, m))
			return -EFAULT;
		kbuf += m;
		n -= m;
		off = 0;
	}
	return 0;
}

/* Turns user control messages into kernel form: descriptors to file references. */
static int scm_from_user(const void *uctl, uint64_t len, struct scm_k *scm)
{
	if (len > 65536)
		return -ENOBUFS;
	char *ctl = kmalloc(len ? len : 1);
	if (!ctl)
		return -ENOMEM;
	int err = 0;
	if (len && copy_from_user(ctl, uctl, len)) {
		err = -EFAULT;
		goto out;
	}
	for (uint64_t off = 0; off + CMSG_HDR <= len;) {
		struct cmsghdr_u h;
		memcpy(&h, ctl + off, sizeof(h));
		if (h.len < CMSG_HDR || h.len > len - off) {
			err = -EINVAL;
			goto out;
		}
		size_t dlen = h.len - CMSG_HDR;
		const char *data = ctl + off + CMSG_HDR;
		if (h.level != SOL_SOCKET) {
			err = -EINVAL;
			goto out;
		}
		if (h.type == SCM_RIGHTS) {
			int n = (int)(dlen / sizeof(int));
			if (n == 0 || scm->nfiles + n > SCM_MAX_FD) {
				err = -EINVAL;
				goto out;
			}
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, data + i * sizeof(int), sizeof(int));
				struct file *f = fget_raw(fd);
				if (!f || (f->flags & O_PATH)) {
					if (f)
						file_put(f);
					err = -EBADF;
					goto out;
				}
				scm->files[scm->nfiles++] = f;
			}
		} else if (h.type == SCM_CREDENTIALS) {
			struct ucred_k c, me;
			if (dlen != sizeof(c)) {
				err = -EINVAL;
				goto out;
			}
			memcpy(&c, data, sizeof(c));
			sock_current_cred(&me);
			/* FIXME: privileged senders may name other processes and ids, as on Linux. */
			const struct creds *cr = &current_process()->cred;
			if (c.pid != me.pid || (c.uid != cr->uid && c.uid != cr->euid && c.uid != cr->suid) ||
			    (c.gid != cr->gid && c.gid != cr->egid && c.gid != cr->sgid)) {
				err = -EPERM;
				goto out;
			}
			scm->has_cred = true;
			scm->cred = c;
		} else {
			err = -EINVAL;
			goto out;
		}
		off += CMSG_ALIGN(h.len);
	}
out:
	kfree(ctl);
	if (err)
		scm_release(scm);
	return err;
}

/* Writes one control message at *used; false when it does not fit (the caller sets CTRUNC). */
static int cmsg_put(char *uctl, uint64_t room, uint64_t *used, int type, const void *data, size_t dlen)
{
	struct cmsghdr_u h = { CMSG_HDR + dlen, SOL_SOCKET, type };
	if (*used + CMSG_HDR + dlen > room)
		return 0;
	if (copy_to_user(uctl + *used, &h, sizeof(h)) || copy_to_user(uctl + *used + CMSG_HDR, data, dlen))
		return -EFAULT;
	*used += CMSG_ALIGN(CMSG_HDR + dlen);
	if (*used > room)
		*used = room;
	return 1;
}

/* Delivers received control data: credentials (with SO_PASSCRED), then descriptors, installed
 * as far as they fit. What does not fit is closed and MSG_CTRUNC reported, as on Linux. */
static int scm_to_user(struct socket *sock, struct scm_k *scm, char *uctl, uint64_t room,
		       unsigned flags, uint64_t *used, unsigned *flags_out)
{
	*used = 0;
	int err = 0;
	if (scm->has_cred && sock->passcred) {
		int r = uctl ? cmsg_put(uctl, room, used, SCM_CREDENTIALS, &scm->cred, sizeof(scm->cred)) : 0;
		if (r < 0)
			err = r;
		else if (r == 0)
			*flags_out |= MSG_CTRUNC;
	}
	if (scm->nfiles && !err) {
		uint64_t space = uctl && room > *used + CMSG_HDR ? room - *used - CMSG_HDR : 0;
		int n = scm->nfiles, fit = (int)(space / sizeof(int)) < n ? (int)(space / sizeof(int)) : n;
		int fds[SCM_MAX_FD];
		int got = 0;
		unsigned fdf = (flags & MSG_CMSG_CLOEXEC) ? FD_CLOEXEC : 0;
		for (; got < fit; got++) {
			fds[got] = fd_install_current(scm->files[got], 0, fdf);
			if (fds[got] < 0)
				break;
		}
		if (got < n)
			*flags_out |= MSG_CTRUNC;
		if (got) {
			int r = cmsg_put(uctl, room, used, SCM_RIGHTS, fds, (size_t)got * sizeof(int));
			if (r < 0)
				err = r;
		}
	}
	scm_release(scm); /* the installed descriptors hold their own references */
	return err;
}

static int64_t do_sendmsg(struct socket *sock, const struct iovec_k *iov, uint64_t cnt, size_t total,
			  void *addr, int alen, struct scm_k *scm, unsigned flags)
{
	bool stream = sock->type == SOCK_STREAM;
	if (!stream && total > MSG_MAX)
		return -EMSGSIZE;
	size_t chunk = stream && total > SEND_CHUNK ? SEND_CHUNK : total;
	char *kbuf = kmalloc(chunk ? chunk : 1);
	if (!kbuf)
		return -ENOMEM;
	size_t done = 0;
	int64_t err = 0;
	flags = sock_io_flags(sock, flags);
	do {
		size_t n = total - done < chunk ? total - done : chunk;
		if (iov_copy(iov, cnt, done, kbuf, n, false)) {
			err = -EFAULT;
			break;
		}
		struct msg_k m = { .name = addr, .namelen = alen, .buf = kbuf, .len = n,
				   .scm = done ? NULL : scm };
		ssize_t r = sock->ops->sendmsg(sock, &m, flags);
		if (r < 0) {
			err = r;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	} while (done < total);
	kfree(kbuf);
	if (!done && err == -EPIPE && !(flags & MSG_NOSIGNAL))
		raise_sigpipe();
	return done || (total == 0 && !err) ? (int64_t)done : err;
}

static int64_t sendmsg_common(int fd, const struct iovec_k *uiov, uint64_t cnt, const void *uaddr, int alen,
			      const void *uctl, uint64_t ctllen, unsigned flags)
{
	char addr[SOCK_ADDR_MAX];
	int err = uaddr ? addr_from_user(uaddr, alen, addr) : 0;
	if (err)
		return err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	struct iovec_k *iov = NULL;
	struct scm_k *scm = NULL;
	int64_t r = iov_get(uiov, cnt, &iov);
	if (r >= 0 && ctllen) {
		scm = kzalloc(sizeof(*scm));
		if (!scm)
			r = -ENOMEM;
		else {
			int e = scm_from_user(uctl, ctllen, scm);
			if (e)
				r = e;
		}
	}
	if (r >= 0)
		r = do_sendmsg(sock, iov, cnt, (size_t)r, uaddr ? addr : NULL, uaddr ? alen : 0, scm, flags);
	if (scm) {
		scm_release(scm); /* what the family did not take */
		kfree(scm);
	}
	kfree(iov);
	file_put(f);
	return r;
}

static int64_t sys_sendto(int fd, const void *buf, size_t len, unsigned flags, const void *uaddr, int alen)
{
	if (len > 0x7ffff000)
		len = 0x7ffff000;
	struct iovec_k v = { (void *)buf, len };
	struct file *f;
	if (!user_range_ok((uint64_t)buf, len))
		return -EFAULT;
	char addr[SOCK_ADDR_MAX];
	int err = uaddr ? addr_from_user(uaddr, alen, addr) : 0;
	if (err)
		return err;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	int64_t r = do_sendmsg(sock, &v, 1, len, uaddr ? addr : NULL, uaddr ? alen : 0, NULL, flags);
	file_put(f);
	return r;
}
SYSCALL(44, sendto);

static int64_t sys_sendmsg(int fd, const struct msghdr_u *umsg, unsigned flags)
{
	struct msghdr_u m;
	if (copy_from_user(&m, umsg, sizeof(m)))
		return -EFAULT;
	if ((int)m.namelen < 0)
		return -EINVAL;
	return sendmsg_common(fd, m.iov, m.iovlen, m.namelen ? m.name : NULL, (int)m.namelen, m.control,
			      m.controllen, flags);
}
SYSCALL(46, sendmsg);

/* Receives into the iovecs; the byte count (the real datagram length with MSG_TRUNC). */
static int64_t do_recvmsg(struct socket *sock, const struct iovec_k *iov, uint64_t cnt, size_t total,
			  struct msg_k *tmpl, unsigned flags)
{
	bool stream = sock->type == SOCK_STREAM;
	size_t cap = stream ? SEND_CHUNK : MSG_MAX;
	size_t chunk = total < cap ? total : cap;
	char *kbuf = kmalloc(chunk ? chunk : 1);
	if (!kbuf)
		return -ENOMEM;
	flags = sock_io_flags(sock, flags);
	size_t done = 0;
	int64_t err = 0;
	for (;;) {
		size_t n = total - done < chunk ? total - done : chunk;
		struct msg_k m = *tmpl;
		m.buf = kbuf;
		m.len = n;
		if (done) {
			m.name = NULL; /* the address and control data come with the first piece */
			m.scm = NULL;
		}
		ssize_t r = sock->ops->recvmsg(sock, &m, done ? flags & ~MSG_WAITALL : flags);
		if (r < 0) {
			err = r;
			break;
		}
		if (!done) {
			tmpl->namelen = m.namelen;
			tmpl->flags_out = m.flags_out;
		}
		size_t got = (size_t)r < n ? (size_t)r : n;
		if (iov_copy(iov, cnt, done, kbuf, got, true)) {
			err = -EFAULT;
			break;
		}
		if (!stream) {
			done = (size_t)r; /* with MSG_TRUNC, the datagram's real length */
			break;
		}
		done += got;
		/* Big MSG_WAITALL reads go on piece by piece; others stop after one piece. */
		if (got < n || done == total || !(flags & MSG_WAITALL) || (flags & MSG_PEEK))
			break;
	}
	kfree(kbuf);
	return done ? (int64_t)done : err;
}

static int64_t recvmsg_common(int fd, const struct iovec_k *uiov, uint64_t cnt, void *uaddr, int *ualen,
			      struct msghdr_u *mh, unsigned flags)
{
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	struct iovec_k *iov = NULL;
	char addr[SOCK_ADDR_MAX];
	struct scm_k *scm = kzalloc(sizeof(*scm));
	int64_t r = scm ? iov_get(uiov, cnt, &iov) : -ENOMEM;
	struct msg_k m = { .name = addr, .namelen = 0, .scm = scm };
	if (r >= 0)
		r = do_recvmsg(sock, iov, cnt, (size_t)r, &m, flags);
	if (r >= 0 && uaddr && ualen) {
		int e = m.namelen ? addr_to_user(addr, m.namelen, uaddr, ualen) : put_user(0, ualen);
		if (e)
			r = e;
	}
	if (r >= 0 && mh) {
		uint64_t used = 0;
		int e = scm_to_user(sock, scm, mh->control, mh->controllen, flags, &used, &m.flags_out);
		mh->controllen = used;
		mh->flags = (int32_t)m.flags_out;
		if (e)
			r = e;
	}
	if (scm) {
		scm_release(scm);
		kfree(scm);
	}
	kfree(iov);
	file_put(f);
	return r;
}

static int64_t sys_recvfrom(int fd, void *buf, size_t len, unsigned flags, void *uaddr, int *ualen)
{
	struct iovec_k v = { buf, len > 0x7ffff000 ? 0x7ffff000 : len };
	struct iovec_k *heap = kmalloc(sizeof(v));
	if (!heap)
		return -ENOMEM;
	*heap = v;
	/* recvmsg_common fetches user iovecs; recvfrom has a kernel one, so go below it. */
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock) {
		kfree(heap);
		return err;
	}
	int64_t r = user_range_ok((uint64_t)buf, v.len) ? 0 : -EFAULT;
	char addr[SOCK_ADDR_MAX];
	struct msg_k m = { .name = addr, .namelen = 0, .scm = NULL };
	if (r == 0)
		r = do_recvmsg(sock, heap, 1, v.len, &m, flags);
	if (r >= 0 && uaddr && ualen) {
		int e = m.namelen ? addr_to_user(addr, m.namelen, uaddr, ualen) : put_user(0, ualen);
		if (e)
			r = e;
	}
	kfree(heap);
	file_put(f);
	return r;
}
SYSCALL(45, recvfrom);

static int64_t sys_recvmsg(int fd, struct msghdr_u *umsg, unsigned flags)
{
	struct msghdr_u m;
	if (copy_from_user(&m, umsg, sizeof(m)))
		return -EFAULT;
	if ((int)m.namelen < 0)
		return -EINVAL;
	int alen = (int)m.namelen;
	int64_t r = recvmsg_common(fd, m.iov, m.iovlen, m.name, m.name ? &alen : NULL, &m, flags);
	if (r < 0)
		return r;
	m.namelen = m.name ? (uint32_t)alen : 0;
	/* Only the out fields go back: namelen, controllen, flags. */
	if (put_user(m.namelen, &umsg->namelen) || put_user(m.controllen, &umsg->controllen) ||
	    put_user(m.flags, &umsg->flags))
		return -EFAULT;
	return r;
}
SYSCALL(47, recvmsg);

/* ---- options ---- */

struct timeval_k {
	int64_t sec, usec;
};

static int timeo_set(uint64_t *ns, const void *uval, int len)
{
	struct timeval_k tv;
	if (len < (int)sizeof(tv))
		return -EINVAL;
	if (copy_from_user(&tv, uval, sizeof(tv)))
		return -EFAULT;
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	if (tv.sec < 0)
		tv.sec = tv.usec = 0; /* Linux treats a negative time as no timeout */
	*ns = (uint64_t)tv.sec * 1000000000ull + (uint64_t)tv.usec * 1000;
	return 0;
}

static int64_t sys_setsockopt(int fd, int level, int name, const void *uval, int len)
{
	if (len < 0)
		return -EINVAL;
	int err;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	if (level != SOL_SOCKET) {
		char kval[64];
		if (len > (int)sizeof(kval))
			err = -EINVAL;
		else if (len && copy_from_user(kval, uval, (size_t)len))
			err = -EFAULT;
		else
			err = sock->ops->setsockopt ? sock->ops->setsockopt(sock, level, name, kval, len)
						    : -EOPNOTSUPP;
		goto out;
	}
	int v = 0;
	bool is_int = name != SO_RCVTIMEO && name != SO_SNDTIMEO && name != SO_LINGER;
	if (is_int) {
		if (len < (int)sizeof(int)) {
			err = -EINVAL;
			goto out;
		}
		if (get_user(v, (const int *)uval)) {
			err = -EFAULT;
			goto out;
		}
	}
	err = 0;
	switch (name) {
	case SO_REUSEADDR: sock->reuseaddr = v != 0; break;
	case SO_KEEPALIVE: sock->keepalive = v != 0; break;
	case SO_BROADCAST: sock->broadcast = v != 0; break;
	case SO_PASSCRED: sock->passcred = v != 0; break;
	case SO_SNDBUF:
	case SO_RCVBUF: {
		/* Linux doubles the request (bookkeeping overhead) within its limits. */
		uint32_t val = v < 0 ? 0 : (uint32_t)v > SOCK_DEFAULT_BUF ? SOCK_DEFAULT_BUF : (uint32_t)v;
		val *= 2;
		uint32_t min = name == SO_SNDBUF ? SOCK_MIN_BUF : SOCK_MIN_BUF / 2;
		*(name == SO_SNDBUF ? &sock->sndbuf : &sock->rcvbuf) = val < min ? min : val;
		break;
	}
	case SO_RCVTIMEO: err = timeo_set(&sock->rcvtimeo_ns, uval, len); break;
	case SO_SNDTIMEO: err = timeo_set(&sock->sndtimeo_ns, uval, len); break;
	case SO_LINGER:
		err = len < 8 ? -EINVAL : 0; /* FIXME: accepted, but close never lingers */
		break;
	case SO_RCVLOWAT:
		err = v < 0 ? -EINVAL : 0; /* FIXME: accepted; receives wake at one byte */
		break;
	default:
		err = sock->ops->setsockopt ? sock->ops->setsockopt(sock, level, name, NULL, 0) : -ENOPROTOOPT;
		if (err == -EOPNOTSUPP)
			err = -ENOPROTOOPT;
		break;
	}
out:
	file_put(f);
	return err;
}
SYSCALL(54, setsockopt);

static int64_t sys_getsockopt(int fd, int level, int name, void *uval, int *ulen)
{
	int len, err;
	if (get_user(len, ulen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	struct file *f;
	struct socket *sock = sockfd_get(fd, &f, &err);
	if (!sock)
		return err;
	union {
		int i;
		struct timeval_k tv;
		struct ucred_k cred;
		int linger[2];
		char raw[64];
	} val;
	memset(&val, 0, sizeof(val));
	int vlen = sizeof(int);
	err = 0;
	if (level != SOL_SOCKET) {
		vlen = sizeof(val.raw);
		err = sock->ops->getsockopt ? sock->ops->getsockopt(sock, level, name, val.raw, &vlen) : -EOPNOTSUPP;
		goto copy;
	}
	switch (name) {
	case SO_TYPE: val.i = sock->type; break;
	case SO_DOMAIN: val.i = sock->family; break;
	case SO_PROTOCOL: val.i = sock->protocol; break;
	case SO_ERROR: val.i = -__atomic_exchange_n(&sock->error, 0, __ATOMIC_ACQ_REL); break;
	case SO_SNDBUF: val.i = (int)sock->sndbuf; break;
	case SO_RCVBUF: val.i = (int)sock->rcvbuf; break;
	case SO_REUSEADDR: val.i = sock->reuseaddr; break;
	case SO_KEEPALIVE: val.i = sock->keepalive; break;
	case SO_BROADCAST: val.i = sock->broadcast; break;
	case SO_PASSCRED: val.i = sock->passcred; break;
	case SO_RCVLOWAT: val.i = 1; break;
	case SO_ACCEPTCONN:
		vlen = sizeof(val.raw);
		err = sock->ops->getsockopt ? sock->ops->getsockopt(sock, level, name, val.raw, &vlen) : 0;
		vlen = sizeof(int);
		break;
	case SO_LINGER: vlen = sizeof(val.linger); break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint64_t ns = name == SO_RCVTIMEO ? sock->rcvtimeo_ns : sock->sndtimeo_ns;
		val.tv.sec = (int64_t)(ns / 1000000000ull);
		val.tv.usec = (int64_t)(ns % 1000000000ull / 1000);
		vlen = sizeof(val.tv);
		break;
	}
	case SO_PEERCRED:
		vlen = sizeof(val.cred);
		err = sock->ops->peercred ? sock->ops->peercred(sock, &val.cred) : -ENOPROTOOPT;
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
copy:
	file_put(f);
	if (err)
		return err;
	if (len > vlen)
		len = vlen;
	if (len && copy_to_user(uval, &val, (size_t)len))
		return -EFAULT;
	return put_user(len, ulen);
}
SYSCALL(55, getsockopt);
