/*
 * The TTY layer: terminals (the serial port ttyS0, the virtual terminal tty1 on the framebuffer
 * and keyboard), /dev/console and /dev/tty, each a struct tty with the N_TTY line discipline
 * (ldisc.h), controlling terminals, sessions and foreground process groups for job control.
 *
 * Input arrives from interrupt handlers (tty_receive) into a small raw ring; deferred work
 * feeds it through the line discipline (echo, signals to the foreground group), so nothing
 * heavier than a ring push runs with interrupts off.
 *
 * Locking: tty->lock (a spinlock, irqsave) guards the line discipline and output; raw_lock the
 * raw ring; the session/pgrp fields and struct process's tty pointer are guarded by proc_lock.
 * Terminals are static objects that live forever, so a process's tty pointer needs no count.
 */
#pragma once

#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "lib/work.h"
#include "sched/wait.h"
#include "tty/ldisc.h"

struct tty;
struct process;

struct tty_driver {
	/* Raw output to the device (after OPOST); called with tty->lock held, interrupts off. */
	void (*write)(struct tty *t, const char *s, size_t n);
	/* Optional: bytes write() can take now (tty->lock held); writers wait on write_wq while
	 * it is small. Without it, output never waits (a UART, a screen). */
	size_t (*write_room)(struct tty *t);
	/* Optional: a file of this terminal is opened (any node: its own, /dev/tty...): 0 or
	 * -errno; every successful open is matched by one close. */
	int (*open)(struct tty *t);
	/* Optional: an open file of this terminal is closed. */
	void (*close)(struct tty *t, struct file *f);
};

struct winsize_k {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

#define TTY_RAW_SIZE 512 /* a power of two */

struct tty {
	const char *name;
	dev_t devt;
	const struct tty_driver *driver;
	bool vt;                    /* a virtual terminal (screen and keyboard) */

	spinlock_t lock;            /* ld, ws */
	struct ldisc ld;
	struct winsize_k ws;
	struct waitqueue read_wq;   /* input became readable, or output was restarted */
	struct waitqueue write_wq;  /* the driver has room again (write_room) */
	bool hung_up;               /* the other side is gone (a pty whose master closed): reads
				     * see end of file, writes fail with EIO */
	struct mutex write_lock;    /* keeps one write()'s bytes together */

	spinlock_t raw_lock;        /* the raw ring between interrupt handlers and input work */
	char raw[TTY_RAW_SIZE];
	uint32_t raw_head, raw_tail;
	uint64_t raw_dropped;
	struct work input_work;
	struct mutex input_lock;    /* one feeder of the line discipline at a time: keeps order */

	/* proc_lock: the session this is the controlling terminal of (0: none), its foreground group. */
	int session, pgrp;
};

/* Sets up a terminal with Linux's default termios and the given window size. */
void tty_setup(struct tty *t, const char *name, dev_t devt, const struct tty_driver *drv,
	       uint16_t rows, uint16_t cols);
/* Input bytes from the device (interrupt context): queued, processed by deferred work. */
void tty_receive(struct tty *t, const char *s, size_t n);
/* Runs queued input through the line discipline now (the deferred work; ktests). */
void tty_process_input(struct tty *t);
/* Input from thread context (a pty master's write, TIOCSTI): straight through the line
 * discipline, no raw ring or deferred work. */
void tty_input_direct(struct tty *t, const char *s, size_t n);

/* The file operations of an open terminal (f->private is the struct tty). */
extern const struct file_ops tty_fops;
/* Opens f on t: the open of a tty node (sets f->fop, f->private; may make t the caller's
 * controlling terminal, as Linux does for a session leader without one unless O_NOCTTY). */
int tty_open_file(struct tty *t, struct file *f, bool may_become_ctty);

/* Job control hooks of the process layer (proc_lock held). A session leader leaving or calling
 * setsid gives its terminal up: SIGHUP and SIGCONT to the foreground group. */
void tty_session_leader_exit(struct process *p);
/* p is exiting (before its children are re-parented): process groups it orphans that have a
 * stopped member get SIGHUP and SIGCONT, as POSIX asks. */
void tty_exit_orphans(struct process *p);

/* Brings up ttyS0 (COM1 interrupts), tty1 (keyboard + screen), /dev/console and /dev/tty. */
void tty_init(void);
/* The terminal behind /dev/console (console=ttyS0 or tty0/tty1, as Linux picks). */
struct tty *tty_console(void);
