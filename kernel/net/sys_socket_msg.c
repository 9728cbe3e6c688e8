/*
 * The socket data calls: sendto, sendmsg, recvfrom, recvmsg. Data moves through a kernel
 * bounce buffer (streams in SEND_CHUNK pieces, a datagram or record whole), control messages
 * through struct scm_k: SCM_RIGHTS descriptors become file references on the way in and are
 * installed on the way out, SCM_CREDENTIALS are checked against the sender.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "net/sys_socket.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

#define SEND_CHUNK 65536           /* stream data moves in pieces of this size */
#define MSG_MAX    (256 * 1024)    /* the largest datagram or record */
#define IOV_MAX    1024

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
			/* Another protocol's message: AF_UNIX ignores it, as Linux does.
			 * FIXME: AF_INET will want IP_PKTINFO and friends passed down. */
		} else if (h.type == SCM_RIGHTS) {
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
static int cmsg_put(char *uctl, uint64_t room, uint64_t *used, int level, int type, const void *data,
		    size_t dlen)
{
	struct cmsghdr_u h = { CMSG_HDR + dlen, level, type };
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
		int r = uctl ? cmsg_put(uctl, room, used, SOL_SOCKET, SCM_CREDENTIALS, &scm->cred,
					sizeof(scm->cred))
			     : 0;
		if (r < 0)
			err = r;
		else if (r == 0)
			*flags_out |= MSG_CTRUNC;
	}
	if (scm->proto_level && !err) {
		int r = uctl ? cmsg_put(uctl, room, used, scm->proto_level, scm->proto_type, scm->proto_data,
					scm->proto_len)
			     : 0;
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
			int r = cmsg_put(uctl, room, used, SOL_SOCKET, SCM_RIGHTS, fds, (size_t)got * sizeof(int));
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
		/* *ualen is the kernel copy of msg_namelen (sys_recvmsg writes it back). */
		int room = *ualen < m.namelen ? *ualen : m.namelen;
		if (room > 0 && copy_to_user(uaddr, addr, (size_t)room))
			r = -EFAULT;
		*ualen = m.namelen;
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


/* ---- several messages per call ---- */

struct mmsghdr_u {
	struct msghdr_u hdr;
	uint32_t len;
	uint32_t pad;
};
_Static_assert(sizeof(struct mmsghdr_u) == 64, "struct mmsghdr is 64 bytes");

#define MSG_WAITFORONE 0x10000
#define UIO_MAXIOV     1024

/* As Linux: the count sent, or the error when the first message fails. */
static int64_t sys_sendmmsg(int fd, struct mmsghdr_u *vec, unsigned vlen, unsigned flags)
{
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		int64_t r = sys_sendmsg(fd, &vec[i].hdr, flags);
		if (r < 0)
			return i ? (int64_t)i : r;
		if (put_user((uint32_t)r, &vec[i].len))
			return i ? (int64_t)i : -EFAULT;
	}
	return i;
}
SYSCALL(307, sendmmsg);

/* FIXME: the timeout is only checked between messages, not while waiting for one. */
static int64_t sys_recvmmsg(int fd, struct mmsghdr_u *vec, unsigned vlen, unsigned flags, const void *utimeout)
{
	(void)utimeout;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		int64_t r = sys_recvmsg(fd, &vec[i].hdr, flags & ~MSG_WAITFORONE);
		if (r < 0)
			return i ? (int64_t)i : r;
		if (put_user((uint32_t)r, &vec[i].len))
			return i ? (int64_t)i : -EFAULT;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	return i;
}
SYSCALL(299, recvmmsg);
