/* Shared between the TTY core's files (not for other subsystems). */
#pragma once

#include "tty/tty.h"

/* Sends sig to every live process of group pgid (proc_lock held). */
void tty_kill_pgrp_locked(int pgid, int sig);
/* Sends sig to t's foreground group (takes proc_lock). */
void tty_signal_foreground(struct tty *t, int sig);
/* Job control for the caller's access to t: 0 to go on; -ERESTARTSYS after sending sig
 * (SIGTTIN/SIGTTOU) to the caller's background group; -EIO for a reader that cannot stop. */
int tty_job_check(struct tty *t, int sig);
int tty_ioctl(struct file *f, unsigned cmd, uint64_t arg);
/* Pseudo-terminals (pty.c): /dev/ptmx's open makes a pair; pty_init registers /dev/pts. */
int pty_open_master(struct file *f);
void pty_init(void);
