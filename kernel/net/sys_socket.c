/*
 * The socket system calls that make, name, connect and configure sockets (the data calls are
 * in sys_socket_msg.c). They validate arguments, copy addresses and options between user
 * memory and kernel buffers, and call the family's operations, which never touch user memory
 * and may hold locks freely. SOL_SOCKET options that are pure bookkeeping are kept here.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "net/core/bpf.h"
#include "net/net.h"
#include "net/socket.h"
#include "net/sys_socket.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"

#define SOMAXCONN 4096

struct socket *sockfd_get(int fd, struct file **fp, int *err)
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

int addr_from_user(const void *uaddr, int len, char *kaddr)
{
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	if (len && copy_from_user(kaddr, uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

int addr_to_user(const char *kaddr, int len, void *uaddr, int *ulen)
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

unsigned sock_io_flags(struct socket *sock, unsigned flags)
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
	if (!err && b && copy_to_user(ufds, fds, sizeof(fds))) /* a pair goes back to the caller */
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

/* SO_ATTACH_FILTER: copies and checks the classic BPF program, then hands it to the family
 * (which owns it from then on, or refuses: -ENOPROTOOPT where filters are not supported). */
static int sock_attach_filter(struct socket *sock, const void *uval, int len)
{
	struct bpf_fprog_u fp;
	if (len < (int)sizeof(fp))
		return -EINVAL;
	if (copy_from_user(&fp, uval, sizeof(fp)))
		return -EFAULT;
	if (fp.len == 0 || fp.len > BPF_MAXINSNS)
		return -EINVAL;
	size_t bytes = (size_t)fp.len * sizeof(struct bpf_insn);
	struct bpf_prog *prog = kmalloc(sizeof(*prog) + bytes);
	if (!prog)
		return -ENOMEM;
	prog->len = fp.len;
	int err = copy_from_user(prog->insns, (const void *)fp.filter, bytes) ? -EFAULT
									   : bpf_check(prog->insns, fp.len);
	if (!err)
		err = sock->ops->setsockopt ? sock->ops->setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
								    (int)sizeof(prog))
					    : -ENOPROTOOPT;
	if (err)
		kfree(prog);
	return err == -EOPNOTSUPP ? -ENOPROTOOPT : err;
}

/* SO_BINDTODEVICE: an interface name (empty: unbind). As Linux since 5.7, anyone may bind an
 * unbound socket; changing a binding needs root (CAP_NET_RAW). */
static int sock_bind_to_device(struct socket *sock, const void *uval, int len)
{
	char name[IFNAMSIZ_SOCK];
	if (sock->bound_ifindex && !privileged())
		return -EPERM;
	if (len < 0)
		return -EINVAL;
	size_t n = (size_t)len < sizeof(name) - 1 ? (size_t)len : sizeof(name) - 1;
	if (n && copy_from_user(name, uval, n))
		return -EFAULT;
	name[n] = '\0';
	if (!name[0]) {
		sock->bound_ifindex = 0;
		return 0;
	}
	struct net_device *dev = netdev_get_by_name(name);
	if (!dev)
		return -ENODEV;
	sock->bound_ifindex = dev->ifindex; /* by index, as Linux: a replugged card is another device */
	netdev_put(dev);
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
	if (name == SO_ATTACH_FILTER || name == SO_BINDTODEVICE) {
		err = name == SO_ATTACH_FILTER ? sock_attach_filter(sock, uval, len)
					       : sock_bind_to_device(sock, uval, len);
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
	case SO_DONTROUTE: sock->dontroute = v != 0; break;
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
		/* Kept for the family's close (TCP resets on l_onoff with l_linger 0). FIXME: a
		 * positive l_linger does not make close wait. */
		err = len < 8 ? -EINVAL : copy_from_user(sock->linger, uval, 8) ? -EFAULT : 0;
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
	case SO_DONTROUTE: val.i = sock->dontroute; break;
	case SO_PASSCRED: val.i = sock->passcred; break;
	case SO_RCVLOWAT: val.i = 1; break;
	case SO_ACCEPTCONN:
		vlen = sizeof(val.raw);
		err = sock->ops->getsockopt ? sock->ops->getsockopt(sock, level, name, val.raw, &vlen) : 0;
		vlen = sizeof(int);
		break;
	case SO_LINGER:
		val.linger[0] = sock->linger[0] ? 1 : 0;
		val.linger[1] = sock->linger[1];
		vlen = sizeof(val.linger);
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint64_t ns = name == SO_RCVTIMEO ? sock->rcvtimeo_ns : sock->sndtimeo_ns;
		val.tv.sec = (int64_t)(ns / 1000000000ull);
		val.tv.usec = (int64_t)(ns % 1000000000ull / 1000);
		vlen = sizeof(val.tv);
		break;
	}
	case SO_BINDTODEVICE: {
		/* The device's name with its NUL; nothing when unbound. Linux wants room for any name. */
		if (len < IFNAMSIZ_SOCK) {
			err = -EINVAL;
			break;
		}
		struct net_device *dev = sock->bound_ifindex ? netdev_get_by_index(sock->bound_ifindex) : NULL;
		vlen = 0;
		if (dev) {
			strlcpy(val.raw, dev->name, IFNAMSIZ_SOCK);
			vlen = (int)strlen(val.raw) + 1;
			netdev_put(dev);
		}
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
