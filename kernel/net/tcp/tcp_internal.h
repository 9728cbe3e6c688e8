/*
 * Between the TCP glue files: a socket's protocol state around the engine's control block.
 *
 * Locking: one mutex, tcp_lock, guards every tcp_sock, the table of them and the engine calls;
 * segment input (net thread), the timer thread and the socket calls all take it. Sleepers wait
 * on ts->wq without it and look again under it.
 */
#pragma once

#include "net/ipv4/af_inet.h"
#include "net/ipv4/inet.h"
#include "net/socket.h"
#include "net/tcp/tcp.h"
#include "net/tcp/tcp_core.h"
#include "sched/wait.h"

enum tcp_sock_conn { TS_UNCONNECTED, TS_CONNECTING, TS_CONNECTED };

struct tcp_sock {
	struct tcp_cb cb;
	struct socket *sock;          /* NULL before accept and after close */
	struct waitqueue wq;          /* readiness changes of any kind */
	in_addr_t laddr, raddr;       /* network order; laddr 0: any */
	uint16_t lport, rport;        /* host order; lport 0: not bound */
	enum tcp_sock_conn conn;      /* the socket's view, as Linux's SS_* */
	bool reuse;                   /* SO_REUSEADDR when bound (children inherit it) */
	uint32_t sndbuf, rcvbuf;      /* ring sizes for new connections */
	/* a listener */
	int backlog;
	unsigned nchildren;           /* children not yet accepted (handshaking or queued) */
	unsigned acc_len;             /* of which queued, their handshake done */
	struct tcp_sock *acc_head, *acc_tail;
	/* a listener's child until accepted */
	struct tcp_sock *parent;
	struct tcp_sock *acc_next;
	bool queued;
	uint64_t ino;
	uint32_t uid;
	struct tcp_sock *next;        /* the table of every TCP socket */
};

extern struct mutex tcp_lock;
extern struct tcp_sock *tcp_table;
extern const struct tcp_cb_ops tcp_glue_ops;

struct tcp_sock *tcp_sock_alloc(uint32_t sndbuf, uint32_t rcvbuf);
/* Frees ts if nothing needs it any more (closed, and no socket or accepting listener). */
void tcp_sock_reap(struct tcp_sock *ts);
/* The timer thread looks again after the engine may have armed an earlier deadline. */
void tcp_timer_kick(struct tcp_sock *ts);
/* An ephemeral port (host order) free for any address, or 0. */
uint16_t tcp_pick_port(void);
/* Whether binding addr:port would clash with a socket other than self. */
bool tcp_port_conflict(const struct tcp_sock *self, in_addr_t addr, uint16_t port, bool reuse);
uint16_t tcp_mss_for(in_addr_t daddr);
/* The longest segment to build for daddr: 0 (one MSS) unless its route's device does TSO. */
uint32_t tcp_tso_for(in_addr_t daddr);
uint32_t tcp_new_iss(void);

/* How many tcp_socks exist (ktests check that closing gives them all back). */
unsigned tcp_sock_count(void);
