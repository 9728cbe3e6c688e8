/*
 * Private to AF_UNIX (af_unix.c: names, connections, release; unix_data.c: data, readiness).
 * unix_lock guards every field of every unix_sock and the table of bound names.
 */
#pragma once

#include "lib/types.h"
#include "net/socket.h"
#include "net/unix/unix.h"
#include "sched/wait.h"

#define UNIX_DGRAM_QLEN 512

enum { US_UNCONNECTED, US_LISTENING, US_CONNECTED };

struct unix_skb {
	struct unix_skb *next;
	size_t len, off;            /* off: bytes already read (streams read buffers in pieces) */
	struct unix_sock *from;     /* the sender, for datagrams' source address (a reference) */
	struct scm_k *scm;          /* passed descriptors, or NULL */
	struct ucred_k cred;        /* the sender's credentials */
	char data[];
};

struct unix_sock {
	int type, state, refcount;
	bool dead;                  /* its socket was closed */
	bool rcv_shut, snd_shut;    /* own shutdowns and those mirrored from the peer */
	struct socket *sock;        /* NULL for an embryo and after release */
	bool had_sock;              /* not an embryo that was never accepted */
	int inflight;               /* references to its file held by messages in flight */
	int gc_refs;                /* the collector's scratch (unix_gc.c) */
	bool gc_cand, gc_alive;
	struct unix_sock *gc_next;
	struct unix_sock *all_next, *all_prev; /* unix_all */
	struct unix_sock *peer;     /* a reference */
	struct unix_skb *rq_head, *rq_tail;
	size_t rq_bytes;            /* unread data bytes (FIONREAD) */
	size_t rq_overhead;         /* the queued buffers' own memory, charged to flow control too */
	unsigned rq_count;
	struct sockaddr_un_k addr;
	int addrlen;                /* 0: unbound */
	struct inode *node;         /* the file a path bind made (a reference) */
	struct unix_sock *bound_next;
	int backlog;
	struct unix_sock *acc_head, *acc_tail; /* embryos waiting for accept */
	int acc_count;
	bool has_peercred;
	struct ucred_k peercred;
	struct waitqueue wq;        /* any change: data, room, connections, shutdown */
};

/* What a receive queue costs: flow control counts the buffers, not only the bytes, so a stream
 * of tiny or empty messages cannot pile up without limit. */
static inline size_t unix_rq_charge(const struct unix_sock *u)
{
	return u->rq_bytes + u->rq_overhead;
}

extern struct mutex unix_lock;
/* Woken by every datagram receive and close: where datagram senders poll for room. */
extern struct waitqueue unix_dgram_room_wq;
extern struct unix_sock *unix_all; /* every unix_sock, embryos included */

/* The AF_UNIX socket behind f, or NULL. */
struct unix_sock *unix_sock_of_file(struct file *f);
/* Counts (delta +1) or uncounts (-1) the AF_UNIX sockets among scm's files as in flight
 * (unix_lock held). */
void unix_inflight_add(struct scm_k *scm, int delta);
/* Frees what only messages in flight keep alive (unix_lock not held), now; or soon, in the
 * deferred-work thread, once however many releases ask (unix_gc_schedule). */
void unix_gc(void);
void unix_gc_schedule(void);

struct unix_sock *usk_get(struct unix_sock *u);
/* The last reference goes only after release emptied the queues: nothing else to free. */
void usk_put(struct unix_sock *u);
/* Frees a chain of buffers (unix_lock not held: in-flight files are put here, and nested
 * releases only queue theirs, unix_gc.c). */
void skb_free_list(struct unix_skb *s);
uint32_t sndbuf_of(struct unix_sock *u);
uint32_t rcvbuf_of(struct unix_sock *u);
void usk_wake(struct unix_sock *u);
/* The bound socket named by addr (a reference), or an ERR_PTR. unix_lock held. */
struct unix_sock *unix_lookup_name(const void *addr, int len, int type);

ssize_t unix_sendmsg(struct socket *sock, struct msg_k *m, unsigned flags);
ssize_t unix_recvmsg(struct socket *sock, struct msg_k *m, unsigned flags);
unsigned unix_poll(struct socket *sock, struct poll_table *pt);
int unix_ioctl(struct socket *sock, unsigned cmd, uint64_t arg);
