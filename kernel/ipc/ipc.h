/*
 * Inter-process communication: System V shared memory, message queues and semaphore sets
 * (shm.c, msg.c, sem.c over the key/id tables of ipc_ids.c), POSIX message queues (mqueue.c,
 * the "mqueue" file system) and the /dev/shm tmpfs that POSIX shared memory and named
 * semaphores live in. The system calls are in sys_sysv.c and sys_mqueue.c.
 */
#pragma once

#include "lib/types.h"

struct process;

/* Boot: the tables, the mqueue file system, /dev/shm and /dev/mqueue (after devfs_init). */
void ipc_init(void);
/* A process's last thread is leaving: its SEM_UNDO adjustments are applied (exit.c). */
void ipc_sem_exit(struct process *p);

/* /proc/sysvipc/{shm,msg,sem} in Linux's formats: the length written (>= size: truncated). */
size_t ipc_format_proc_shm(char *buf, size_t size);
size_t ipc_format_proc_msg(char *buf, size_t size);
size_t ipc_format_proc_sem(char *buf, size_t size);
