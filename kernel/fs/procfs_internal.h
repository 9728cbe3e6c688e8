/* Private to procfs: text buffers, generated-file state, and the per-process part of the tree. */
#pragma once

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/sbuf.h" /* generators append to a struct sbuf */

/* A PID or descriptor name: decimal, no sign, no leading zeros, at most 9 digits; else -1. */
int procfs_parse_number(const char *name, size_t len);

/* One line of /proc/PID/maps; prot is PROT_* (1 read, 2 write, 4 exec), name NULL for none. */
struct procfs_map {
	uint64_t start, end, off, ino;
	unsigned prot, major, minor;
	bool shared;
	const char *name;
};
void procfs_maps_line(struct sbuf *s, const struct procfs_map *m);

/*
 * An open generated file: the whole text, made once. gen fills s (returning 0 or -errno); it is
 * called again with a bigger buffer until the text fits.
 */
struct proc_buf {
	size_t len;
	bool vmalloced;
	char *data;
};
int procfs_generate(struct proc_buf *pb, int (*gen)(struct sbuf *s, void *ctx), void *ctx);
void procfs_buf_free(struct proc_buf *pb);
ssize_t procfs_buf_read(const struct proc_buf *pb, void *buf, size_t len, uint64_t *pos);

/* /proc/mounts' text (vfs_lock held): also /proc/PID/mounts. */
size_t procfs_gen_mounts(char *buf, size_t size);

/* Inode numbers below this are the static table's; per-process inodes sit above. */
#define PROC_PID_INO_BASE (1ull << 48)

/* /proc's root directory hands names and listing positions it does not know to these
 * (vfs_lock held): "self", "thread-self" and the PIDs. */
struct inode *procfs_pid_lookup_root(struct super_block *sb, const char *name, size_t len);
/* Emits the per-process entries of /proc from position pos on (pos >= first_pos). */
int procfs_pid_readdir_root(struct file *f, filldir_t fill, void *ctx, uint64_t first_pos);
/* Frees a per-process inode's private data (evict). */
void procfs_pid_evict(struct inode *inode);
