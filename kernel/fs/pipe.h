/* Pipes (pipe(2)) and FIFOs (mkfifo(3)): a ring buffer between read ends and write ends. */
#pragma once

#include "fs/vfs.h"

#define PIPE_BUF          4096    /* writes up to this size are atomic */
#define PIPE_DEFAULT_SIZE 65536
#define PIPE_MAX_SIZE     1048576 /* Linux's default /proc/sys/fs/pipe-max-size */

/* A new pipe: its read end and write end (flags: O_NONBLOCK, O_DIRECT for packet mode), each
 * with one reference. */
int pipe_create(unsigned flags, struct file **rd, struct file **wr);
bool file_is_pipe(const struct file *f);
/* F_GETPIPE_SZ and F_SETPIPE_SZ: the capacity in bytes, or -errno. */
int64_t pipe_get_size(struct file *f);
int64_t pipe_set_size(struct file *f, uint64_t size);
/* What opening an S_IFIFO inode of any file system uses: Linux's blocking rules for FIFOs. */
extern const struct file_ops pipe_fifo_fops;
