/*
 * The socket layer: a struct socket behind every socket file, an operations table per address
 * family (struct proto_ops, Linux's shape), and a registry of families. The system calls
 * (sys_socket.c) copy addresses, data and control messages between user memory and kernel
 * buffers, so a family only ever sees kernel memory: struct msg_k. AF_UNIX lives in
 * net/unix/; AF_INET will register the same way (net_register_family) without touching this.
 */
#pragma once

#include "fs/vfs.h"
#include "lib/types.h"
#include "sched/wait.h"

#define AF_UNSPEC 0
#define AF_UNIX   1
#define AF_INET   2
#define AF_INET6  10
#define AF_MAX    46

#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK  O_NONBLOCK
#define SOCK_CLOEXEC   O_CLOEXEC

#define MSG_OOB       0x1
#define MSG_PEEK      0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC    0x8
#define MSG_TRUNC     0x20
#define MSG_DONTWAIT  0x40
#define MSG_EOR       0x80
#define MSG_WAITALL   0x100
#define MSG_NOSIGNAL  0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE      3
#define SO_ERROR     4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF    7
#define SO_RCVBUF    8
#define SO_KEEPALIVE 9
#define SO_LINGER    13
#define SO_PASSCRED  16
#define SO_PEERCRED  17
#define SO_RCVLOWAT  18
#define SO_RCVTIMEO  20
#define SO_SNDTIMEO  21
#define SO_BINDTODEVICE 25
#define SO_ATTACH_FILTER 26
#define SO_DETACH_FILTER 27
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL  38
#define SO_DOMAIN    39

#define SCM_RIGHTS      1
#define SCM_CREDENTIALS 2
#define SCM_MAX_FD      253 /* Linux's limit of descriptors in one message */

#define IFNAMSIZ_SOCK 16    /* an interface name's room, NUL included */
#define SOCK_ADDR_MAX 128   /* sizeof(struct sockaddr_storage) */
#define SOCK_DEFAULT_BUF 212992 /* Linux's net.core.{r,w}mem_default */
#define SOCK_MIN_BUF     4608

struct ucred_k {
	int32_t pid;
	uint32_t uid, gid;
};

/* Ancillary data in kernel form: descriptors become file references, credentials are checked. */
struct scm_k {
	struct file *files[SCM_MAX_FD];
	int nfiles;
	bool has_cred;
	struct ucred_k cred;
	/* On receive, one protocol-level control message to deliver as well (PACKET_AUXDATA);
	 * proto_level 0: none. */
	int proto_level, proto_type;
	uint32_t proto_len;
	uint8_t proto_data[32];
};
/* Drops the file references an scm_k holds. */
void scm_release(struct scm_k *scm);

/*
 * One send or receive in kernel memory. name/namelen: the destination of a send, or on a
 * receive the sender's address (namelen in: room, out: the real length). scm: what to pass
 * (send, may be NULL) or where to put what arrived (receive, never NULL). flags_out: the
 * receive's MSG_TRUNC / MSG_CTRUNC.
 */
struct msg_k {
	void *name;
	int namelen;
	char *buf;
	size_t len;
	struct scm_k *scm;
	unsigned flags_out;
};

struct socket;
struct poll_table;

/*
 * A family's operations. Each returns 0 (or a count) or a negative errno; flags are MSG_*
 * (MSG_DONTWAIT is set for non-blocking sockets), and blocking calls end with -ERESTARTSYS
 * on a signal or -EAGAIN when SO_RCVTIMEO/SO_SNDTIMEO runs out. SOL_SOCKET options the core
 * keeps itself; the family sees the other levels and the ones it must act on (SO_PASSCRED is
 * mirrored in sock->passcred, SO_PEERCRED asks peercred).
 */
struct proto_ops {
	int family;
	void (*release)(struct socket *sock);
	int (*bind)(struct socket *sock, const void *addr, int len);
	int (*connect)(struct socket *sock, const void *addr, int len, unsigned flags);
	int (*socketpair)(struct socket *a, struct socket *b);
	int (*listen)(struct socket *sock, int backlog);
	/* newsock is fresh (same family, type and ops); accept attaches the connection to it. */
	int (*accept)(struct socket *sock, struct socket *newsock, unsigned flags);
	ssize_t (*sendmsg)(struct socket *sock, struct msg_k *m, unsigned flags);
	ssize_t (*recvmsg)(struct socket *sock, struct msg_k *m, unsigned flags);
	int (*shutdown)(struct socket *sock, int how);
	int (*getname)(struct socket *sock, void *addr, int *len, bool peer);
	unsigned (*poll)(struct socket *sock, struct poll_table *pt);
	int (*ioctl)(struct socket *sock, unsigned cmd, uint64_t arg);
	int (*peercred)(struct socket *sock, struct ucred_k *out);
	int (*setsockopt)(struct socket *sock, int level, int name, const void *val, int len);
	int (*getsockopt)(struct socket *sock, int level, int name, void *val, int *len);
};

/* A family: creates the protocol side of a new socket (sets sock->ops and sock->sk). */
struct net_family {
	int family;
	int (*create)(struct socket *sock, int protocol);
};
int net_register_family(const struct net_family *fam);

struct socket {
	int family, type, protocol;
	const struct proto_ops *ops;
	struct file *file;          /* the file this socket is (no reference: the file owns us) */
	void *sk;                   /* the family's state */
	int error;                  /* SO_ERROR: a pending asynchronous error, cleared when read */
	uint32_t sndbuf, rcvbuf;
	uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: wait for ever */
	int bound_ifindex;          /* SO_BINDTODEVICE (0: none): UDP, raw and ping sockets receive
				     * only from it; UDP sends the limited broadcast through it (FIXME:
				     * unicast is still routed as usual) */
	bool reuseaddr, keepalive, passcred, broadcast;
	bool dontroute;             /* SO_DONTROUTE: only on-link destinations (UDP) */
	int linger[2];              /* SO_LINGER: l_onoff, l_linger */
};

/* A new socket in a new file (flags: O_NONBLOCK); the file holds the only reference. */
int sock_create(int family, int type, int protocol, unsigned flags, struct file **out);
/* A socket for accept: parent's family, type and ops, no family state yet (accept sets sk;
 * release must cope with sk == NULL). */
int sock_create_child(struct socket *parent, unsigned flags, struct file **out);
/* The socket behind f, or NULL when f is not a socket (-ENOTSOCK). */
struct socket *sock_from_file(struct file *f);
/* The deadline for a blocking call given a timeout option (0: none). */
uint64_t sock_deadline(uint64_t timeo_ns);
/* A family's blocking wait: sleeps on wq until cond(arg) (0), the SO_RCVTIMEO/SO_SNDTIMEO
 * value timeo_ns runs out (-EAGAIN) or a signal comes (-ERESTARTSYS, or -EINTR when a
 * timeout is set, as on Linux). */
int sock_wait(struct waitqueue *wq, bool (*cond)(void *), void *arg, uint64_t timeo_ns);
/* The creds of the calling process, for SO_PEERCRED and SCM_CREDENTIALS. */
void sock_current_cred(struct ucred_k *out);
