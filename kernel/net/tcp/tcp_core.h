/*
 * The TCP protocol engine (RFC 9293), free of sockets, locks and packet buffers so that the
 * host unit tests drive it with scripted segments: one struct tcp_cb per connection, segments
 * in (tcp_cb_input), user calls (send, receive, shutdown, close), and time as explicit "now"
 * arguments with timers kept as deadlines (tcp_cb_tick). It talks to the outside only through
 * struct tcp_cb_ops: emit a segment, and notify that readiness or state changed.
 *
 * Times are in nanoseconds of the monotonic clock. Sequence numbers compare modulo 2^32.
 */
#pragma once

#include "lib/types.h"

/* States, numbered as Linux shows them in /proc/net/tcp. */
enum tcp_state {
	TCP_ESTABLISHED = 1, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT,
	TCP_CLOSE, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING,
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define TCP_MS 1000000ull
#define TCP_RTO_INIT   (1000 * TCP_MS)   /* RFC 6298 2.1 */
#define TCP_RTO_MIN    (200 * TCP_MS)    /* Linux's floor (RFC 6298 says 1 s, allows less) */
#define TCP_RTO_MAX    (120000 * TCP_MS)
#define TCP_DELACK     (40 * TCP_MS)     /* Linux's minimum delayed-ACK time */
#define TCP_TIMEWAIT   (60000 * TCP_MS)  /* 2 MSL as Linux counts it */
#define TCP_FIN_TIMEOUT (60000 * TCP_MS) /* an orphan in FIN-WAIT-2 */
#define TCP_RETRIES    15                /* data retransmissions before giving up (tcp_retries2) */
#define TCP_SYN_RETRIES 6
#define TCP_DEFAULT_MSS 536              /* RFC 9293 3.7.1 without the option */
#define TCP_INIT_CWND_SEGS 10            /* RFC 6928 */
#define TCP_OOO_MAX 256                  /* out-of-order segments kept (a window's worth) */
#define TCP_SACK_MAX 4                   /* SACK blocks in one ACK (40 option bytes) */
#define TCP_SACK_MAX_TS 3                /* ... beside a timestamp (12 + 4 + 3 * 8 = 40) */
#define TCP_TS_LEN 12                    /* NOP NOP TS: what a timestamp costs every segment */
#define TCP_SB_MAX 32                    /* SACKed ranges the sender remembers (RFC 6675) */
#define TCP_DUPTHRESH 3                  /* RFC 6675 DupThresh */
#define TCP_PTO_MIN (10 * TCP_MS)        /* a tail loss probe waits at least this */
#define TCP_PTO_DELACK (200 * TCP_MS)    /* ... plus a delayed ACK when one segment is out */
#define TCP_PAWS_WINDOW 1                /* ms a TSval may lag TS.Recent (Linux's) */
#define TCP_PAWS_IDLE (24ull * 24 * 3600 * 1000 * TCP_MS) /* TS.Recent expires (RFC 7323 5.5) */

/* A parsed segment. data points into the caller's buffer for the duration of the call. */
struct tcp_seg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;        /* as on the wire (unscaled) */
	bool has_mss, has_ws, sack_ok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;               /* RFC 7323 timestamps, when has_ts */
	uint8_t nsack;                       /* SACK blocks as received: not validated yet */
	uint32_t sack[TCP_SACK_MAX][2];      /* [left edge, right edge) */
	const uint8_t *data;
	uint32_t len;
};

/* A byte ring: the send queue (from SND.UNA) and the receive queue (read by the user). */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

/* A segment that arrived ahead of RCV.NXT. */
struct tcp_ooo {
	struct tcp_ooo *next;
	uint32_t seq, len;
	bool fin;
	uint8_t data[];
};

struct tcp_rtt {
	uint64_t srtt, rttvar, rto; /* ns */
	bool has_sample;
};

struct tcp_cb;

/* What a segment to send looks like; the data is len bytes of the send ring from off. */
struct tcp_out {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	bool opt_mss, opt_ws, opt_sack_ok, opt_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;                       /* SACK blocks (RFC 2018) to carry */
	uint32_t sack[TCP_SACK_MAX][2];      /* [left edge, right edge) */
};

enum { TCP_EV_READ = 1, TCP_EV_WRITE = 2, TCP_EV_STATE = 4, TCP_EV_ERROR = 8 };

struct tcp_cb_ops {
	void (*emit)(struct tcp_cb *cb, const struct tcp_out *o, const struct tcp_ring *src, uint32_t off,
		     uint32_t len);
	void (*notify)(struct tcp_cb *cb, unsigned events);
};

struct tcp_cb {
	enum tcp_state state;
	const struct tcp_cb_ops *ops;
	void *ctx;
	/* send sequence space (RFC 9293 3.3.1); snd_max: the highest sequence sent */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint8_t snd_ws, rcv_ws;      /* window scale shifts (0 unless both sides offered it) */
	bool ws_ok;
	bool sack_ok;                /* both sides sent SACK-permitted: our ACKs report the holes */
	bool offer_sack, offer_ts;   /* what our SYN offers (both by default) */
	uint16_t mss;                /* largest segment we send (data, options such as TSopt removed) */
	uint32_t tso_max;            /* > mss: data per emitted segment, cut to mss by the device */
	uint16_t rcv_mss;            /* what we announced */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: the right edge we advertised */
	struct tcp_ring sndq, rcvq;
	uint32_t sndq_cap, rcvq_cap;
	struct tcp_ooo *ooo;
	unsigned ooo_count;
	uint32_t ooo_last;           /* sequence of the latest out-of-order arrival (first SACK block) */
	bool fin_queued;             /* the user shut down sending: a FIN follows the data */
	bool fin_rcvd;               /* the peer's FIN is in sequence */
	bool rd_shut;                /* shutdown(SHUT_RD) */
	bool orphan;                 /* no socket any more (closed by the user) */
	bool passive;                /* born from a listener */
	bool nodelay, keepalive;
	int err;                     /* pending error for the user (positive errno), 0 none */
	/* timestamps (RFC 7323): TSval is the ms clock plus ts_off; ts_recent is what we echo */
	bool ts_ok;                  /* both SYNs carried TSopt: every segment does (not RSTs) */
	bool ts_rto_marked;          /* ts_rto_mark holds the TSval of our latest timeout */
	uint32_t ts_off, ts_recent, last_ack_sent, ts_rto_mark;
	uint64_t ts_recent_at;       /* when ts_recent was taken (it expires, RFC 7323 5.5) */
	uint64_t clock;              /* the latest "now" the engine saw (never goes back) */
	/* the SACK scoreboard (RFC 6675, tcp_sack.c): what the peer holds above SND.UNA, sorted */
	uint32_t sb[TCP_SB_MAX][2];
	unsigned sb_n;
	uint32_t high_rxt, rescue_rxt; /* retransmitted up to high_rxt in this recovery */
	bool tlp_out;                /* a tail loss probe is out, not yet acknowledged */
	uint32_t tlp_high;           /* SND.MAX when it went */
	/* RTT and retransmission (RFC 6298) */
	struct tcp_rtt rtt;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	unsigned retries;
	/* congestion control: NewReno (RFC 5681, RFC 6582), SACK recovery (RFC 6675) */
	uint32_t cwnd, ssthresh, recover;
	unsigned dupacks;
	bool in_recovery;
	/* acknowledgements */
	uint32_t unacked_bytes;      /* in-order bytes received since our last ACK */
	bool ack_now;
	/* keep-alive */
	uint64_t ka_idle, ka_intvl;
	unsigned ka_cnt, ka_probes;
	uint64_t last_rx;
	/* timers: absolute deadlines, 0 when off */
	uint64_t t_rto, t_delack, t_keep, t_wait, t_tlp;
	/* counters */
	uint64_t retransmits, bytes_in, bytes_out;
};

/* ---- tcp_rtt.c: RTO per RFC 6298 ---- */
void tcp_rtt_init(struct tcp_rtt *r);
/* A round-trip measurement r_ns: updates SRTT and RTTVAR and the RTO (clamped). */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t r_ns);
/* The same, one of n samples expected in this round trip: the gains shrink n-fold (RFC 7323 4.2). */
void tcp_rtt_sample_n(struct tcp_rtt *r, uint64_t r_ns, uint32_t n);
/* Doubles the RTO after an expiry (5.5), up to TCP_RTO_MAX. */
void tcp_rtt_backoff(struct tcp_rtt *r);

/* ---- tcp_opt.c: options and the header ---- */
struct tcp_hdr {
	uint16_t source, dest;
	uint32_t seq, ack;
	uint8_t doff;   /* data offset << 4 */
	uint8_t flags;
	uint16_t window;
	uint16_t check;
	uint16_t urg;
} __attribute__((packed));
_Static_assert(sizeof(struct tcp_hdr) == 20, "TCP header without options");

/*
 * Parses a segment of len bytes (header at p, checksum already verified): 0 and *seg (data
 * pointing into p), ports in network order in *sport and *dport, or -EINVAL when malformed.
 */
int tcp_seg_parse(const uint8_t *p, size_t len, struct tcp_seg *seg, uint16_t *sport, uint16_t *dport);
/* Writes o's options at p (room for TCP_OPT_MAX bytes); returns their length (a multiple of 4). */
#define TCP_OPT_MAX 40 /* bytes of options a header holds */
size_t tcp_opt_build(uint8_t *p, const struct tcp_out *o);
/* The length of segment seg in sequence space (SYN and FIN count one each). */
static inline uint32_t tcp_seg_seqlen(const struct tcp_seg *s)
{
	return s->len + !!(s->flags & TCPF_SYN) + !!(s->flags & TCPF_FIN);
}
/* The reset answering seg on a closed port (RFC 9293 3.10.7.1): false when none is due. */
bool tcp_reset_reply(const struct tcp_seg *seg, struct tcp_out *o);

/* ---- tcp_ring.c ---- */
int tcp_ring_alloc(struct tcp_ring *r, uint32_t cap);
void tcp_ring_free(struct tcp_ring *r);
static inline uint32_t tcp_ring_free_space(const struct tcp_ring *r) { return r->cap - r->len; }
uint32_t tcp_ring_write(struct tcp_ring *r, const void *src, uint32_t n);
void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);

/* ---- tcp_cb.c, tcp_in.c, tcp_out.c: the engine ---- */
/* A closed connection with buffers of the given sizes (allocated when first needed). */
void tcp_cb_init(struct tcp_cb *cb, const struct tcp_cb_ops *ops, void *ctx, uint32_t sndbuf, uint32_t rcvbuf);
/* Frees the queues of an orphan (no user) in TIME-WAIT or CLOSED. */
void tcp_cb_trim(struct tcp_cb *cb);
/* Frees the queues; the cb can be reused after tcp_cb_init. */
void tcp_cb_destroy(struct tcp_cb *cb);
/* Active open: sends a SYN with sequence iss announcing mss. 0 or -ENOMEM. */
int tcp_cb_connect(struct tcp_cb *cb, uint32_t iss, uint16_t mss, uint64_t now);
/* Passive side: the cb waits for a SYN (a listener's child gets one at once). */
void tcp_cb_listen(struct tcp_cb *cb, uint32_t iss, uint16_t mss);
/* One arriving segment. */
void tcp_cb_input(struct tcp_cb *cb, const struct tcp_seg *seg, uint64_t now);
/* Queues up to n bytes for sending: how many were taken (0: no room), or -EPIPE/-ENOTCONN. */
ssize_t tcp_cb_send(struct tcp_cb *cb, const void *data, size_t n, uint64_t now);
/* Takes (or with peek copies) up to n received bytes; 0 when none are queued. */
size_t tcp_cb_recv(struct tcp_cb *cb, void *buf, size_t n, bool peek, uint64_t now);
/* Shuts down sending: a FIN follows the queued data. */
void tcp_cb_shutdown(struct tcp_cb *cb, uint64_t now);
/* Abortive close: a reset if the peer knows us, then CLOSED. */
void tcp_cb_abort(struct tcp_cb *cb, int err);
/* Runs the timers due at now. */
void tcp_cb_tick(struct tcp_cb *cb, uint64_t now);
/* The earliest armed deadline, or UINT64_MAX. */
uint64_t tcp_cb_next_deadline(const struct tcp_cb *cb);
/* Sends what the windows allow and any ACK owed. */
void tcp_cb_output(struct tcp_cb *cb, uint64_t now);
/* Bytes the user can read now; bytes queued for sending (sent or not). */
static inline uint32_t tcp_cb_readable(const struct tcp_cb *cb) { return cb->rcvq.len; }
static inline uint32_t tcp_cb_unsent_room(const struct tcp_cb *cb)
{
	return cb->sndq_cap - cb->sndq.len;
}
/* Whether the connection is synchronized (a reset must carry a sequence the peer accepts). */
bool tcp_cb_synchronized(const struct tcp_cb *cb);
const char *tcp_state_name(enum tcp_state s);

/* Internal to the engine's files. */
void tcp_set_state(struct tcp_cb *cb, enum tcp_state s);
void tcp_send_ctl(struct tcp_cb *cb, uint32_t seq, uint8_t flags);
void tcp_send_syn(struct tcp_cb *cb, bool ack);
void tcp_retransmit_first(struct tcp_cb *cb, uint64_t now);
/* Resends from seq: up to one MSS, not past end; the sequence space it covered (0: nothing). */
uint32_t tcp_retransmit(struct tcp_cb *cb, uint32_t seq, uint32_t end);
/* One segment of new data within usable bytes (Nagle and SWS rules apply); false if none went. */
bool tcp_send_new(struct tcp_cb *cb, uint64_t now, uint32_t usable);
/* Notes a new "now" (kept monotonic) for the timestamp clock. */
static inline void tcp_clock(struct tcp_cb *cb, uint64_t now)
{
	if (now > cb->clock)
		cb->clock = now;
}
static inline uint32_t tcp_ts_now(const struct tcp_cb *cb)
{
	return (uint32_t)(cb->clock / TCP_MS) + cb->ts_off;
}

/* ---- tcp_sack.c: the sender's SACK scoreboard and RFC 6675 loss recovery ---- */
void tcp_sack_reset(struct tcp_cb *cb);
/* Records seg's SACK blocks (each validated against SND.UNA..SND.MAX, D-SACK ignored);
 * returns how many bytes were newly SACKed. */
uint32_t tcp_sack_update(struct tcp_cb *cb, const struct tcp_seg *seg);
/* Forgets what SND.UNA has passed. */
void tcp_sack_cumack(struct tcp_cb *cb);
/* RFC 6675 IsLost(SND.UNA): enough is SACKed above the first hole to call it lost. */
bool tcp_sack_first_lost(const struct tcp_cb *cb);
/* Early retransmit (RFC 5827): the same for a flight too small for three duplicate ACKs. */
bool tcp_sack_early_lost(const struct tcp_cb *cb);
/* RFC 6675 SetPipe(): the bytes presumed in flight. */
uint32_t tcp_sack_pipe(const struct tcp_cb *cb);
/* Enters loss recovery (RFC 6675 5 step 4): the windows, the first retransmission. */
void tcp_sack_enter_recovery(struct tcp_cb *cb, uint64_t now);
/* Steps (C): sends what NextSeg() allows while cwnd - pipe holds a segment. */
void tcp_sack_output(struct tcp_cb *cb, uint64_t now);
/* Arms the tail loss probe (RFC 8985 7) after new data or an ACK, when it would come first. */
void tcp_tlp_arm(struct tcp_cb *cb, uint64_t now);
/* The probe timer ran out: one segment (new data, else the last one) to draw an ACK. */
void tcp_tlp_fire(struct tcp_cb *cb, uint64_t now);
/* Whether seq lies in a SACKed range; *end gets the range's end. */
bool tcp_sack_holds(const struct tcp_cb *cb, uint32_t seq, uint32_t *end);
/* The first SACKed range's start above seq, or seq + limit if none is nearer. */
uint32_t tcp_sack_next_start(const struct tcp_cb *cb, uint32_t seq, uint32_t limit);
uint16_t tcp_rcv_window(struct tcp_cb *cb);
void tcp_arm_rto(struct tcp_cb *cb, uint64_t now);
