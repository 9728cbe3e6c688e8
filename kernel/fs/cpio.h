/*
 * cpio "newc" archives (magic 070701, and 070702 with data checksums), the initramfs format:
 * an iterator over the entries of an archive in memory, safe on hostile input.
 *
 * Hard links: newc gives every name of a hard-linked file its own entry, all with the same
 * (dev_major, dev_minor, ino) and nlink > 1; GNU cpio stores the data only with the last of them
 * (the others have size 0), other writers may store it with the first. A consumer that keeps links
 * (as Linux's initramfs does) should, for non-directories with nlink > 1, remember the first path
 * created for each (dev_major, dev_minor, ino); create later names as links to it; and write any
 * entry's non-empty data into that shared inode. The ino numbers belong to one archive: forget the
 * table at each trailer, since concatenated archives reuse numbers.
 */
#pragma once

#include "lib/types.h"

#define CPIO_HEADER_SIZE 110 /* magic + 13 fields of 8 hex digits; name, data 4-byte aligned */

struct cpio_iter {
	const uint8_t *buf;
	size_t len;
	/*
	 * Offset of the next header. Once cpio_next has returned 0 it is the offset just past the
	 * trailer (at most len), where a caller may look for another archive after zero padding,
	 * as Linux allows.
	 */
	size_t pos;
	int state; /* 0 reading; 1 the trailer was reached; < 0 the error found */
};

struct cpio_entry {
	const char *name; /* inside the archive, NUL-terminated, no NUL before; never empty */
	size_t name_len;  /* without the NUL */
	uint32_t mode;    /* file type and permissions, as st_mode (S_IFREG | 0644, ...) */
	uint32_t uid, gid, nlink, mtime, ino;
	uint32_t dev_major, dev_minor;   /* the device the file was on (with ino: hard links) */
	uint32_t rdev_major, rdev_minor; /* for character and block device nodes */
	const void *data;                /* contents, or a symlink's target (no NUL); in the archive */
	uint32_t size;
};

/* Starts iterating over the archive in buf[0..len). */
void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len);

/*
 * Reads the next entry into *out. Returns 1 for an entry, 0 at the "TRAILER!!!" entry (which is
 * not returned; bytes after it are the caller's business), -EINVAL for a malformed archive (bad
 * magic or hex digit, empty or unterminated name, name or data past the end, no trailer before the
 * end) or -EIO for a 070702 checksum mismatch (checked for regular files: GNU cpio leaves it 0 for
 * symlinks). After 0 or an error, it returns the same again.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *out);

/* True when p starts with a newc magic (070701 or 070702). */
bool cpio_is_newc(const void *p, size_t n);
