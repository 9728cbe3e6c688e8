/*
 * initramfs: the boot loader's module becomes the root file system's first contents. Each
 * archive may be gzip-compressed (inflated into a vmalloc buffer first); archives follow each
 * other, separated by zero padding, like Linux's.
 */
#include "fs/initramfs.h"

#include "console/console.h"
#include "fs/cpio.h"
#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/inflate.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define GUNZIP_MAX (512ull << 20) /* refuse to inflate more than this */

/* Hard links: the first path created for each (device, inode) of a multiply-linked file. */
struct link_seen {
	uint32_t dev_major, dev_minor, ino;
	char *path;
};

struct unpacker {
	struct link_seen *links;
	size_t nlinks, cap;
	long created;
};

static void forget_links(struct unpacker *u)
{
	for (size_t i = 0; i < u->nlinks; i++)
		kfree(u->links[i].path);
	kfree(u->links);
	u->links = NULL;
	u->nlinks = u->cap = 0;
}

static const char *seen_path(struct unpacker *u, const struct cpio_entry *e)
{
	for (size_t i = 0; i < u->nlinks; i++)
		if (u->links[i].ino == e->ino && u->links[i].dev_major == e->dev_major &&
		    u->links[i].dev_minor == e->dev_minor)
			return u->links[i].path;
	return NULL;
}

static void remember(struct unpacker *u, const struct cpio_entry *e, const char *path)
{
	if (u->nlinks == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct link_seen *n = kmalloc(cap * sizeof(*n));
		if (!n)
			return;
		if (u->links)
			memcpy(n, u->links, u->nlinks * sizeof(*n));
		kfree(u->links);
		u->links = n;
		u->cap = cap;
	}
	size_t len = strlen(path) + 1;
	char *copy = kmalloc(len);
	if (!copy)
		return;
	memcpy(copy, path, len);
	u->links[u->nlinks++] = (struct link_seen){ e->dev_major, e->dev_minor, e->ino, copy };
}

/* Ownership and modification time, through the inode's setattr (not followed for symlinks). */
static void set_owner_and_time(const char *path, const struct cpio_entry *e)
{
	struct path p;
	if (vfs_lookup(NULL, path, 0, &p) < 0)
		return;
	struct inode *ino = p.dentry->inode;
	if (ino && ino->iop && ino->iop->setattr) {
		struct iattr a = { .valid = ATTR_UID | ATTR_GID | ATTR_MTIME, .uid = e->uid, .gid = e->gid,
				   .mtime = { e->mtime, 0 } };
		ino->iop->setattr(ino, &a);
	}
	path_put(&p);
}

static int write_file(const char *path, const struct cpio_entry *e, bool exists)
{
	struct file *f;
	unsigned flags = O_WRONLY | O_CREAT | (exists ? 0 : O_TRUNC);
	int err = vfs_open(NULL, path, flags, e->mode & 07777, &f);
	if (err < 0)
		return err;
	ssize_t n = e->size ? vfs_write(f, e->data, e->size) : 0;
	file_put(f);
	if (n < 0)
		return (int)n;
	return n == (ssize_t)e->size ? 0 : -EIO;
}

static int create_entry(struct unpacker *u, const struct cpio_entry *e)
{
	/* Names are relative to the archive's root: "./a/b", "a/b" and "/a/b" all mean /a/b. */
	const char *name = e->name;
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	if (name[0] == '\0' || strcmp(name, ".") == 0)
		return 0;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;

	uint32_t type = e->mode & S_IFMT, perm = e->mode & 07777;
	int err;
	switch (type) {
	case S_IFDIR:
		err = vfs_mkdir(NULL, path, perm);
		if (err == -EEXIST) {
			/* Already there: often a mount point such as /proc or /dev, whose root belongs
			 * to the mounted file system (procfs refuses chmod). Keep it as it is. */
			vfs_chmod(NULL, path, perm);
			err = 0;
		}
		break;
	case S_IFREG: {
		const char *first = e->nlink > 1 ? seen_path(u, e) : NULL;
		if (first) {
			err = vfs_link(NULL, first, path);
			if (!err && e->size) /* GNU cpio stores the data with the last name */
				err = write_file(path, e, true);
		} else {
			err = write_file(path, e, false);
			if (!err && e->nlink > 1)
				remember(u, e, path);
		}
		break;
	}
	case S_IFLNK: {
		char target[PATH_MAX];
		if (e->size >= sizeof(target))
			return -ENAMETOOLONG;
		memcpy(target, e->data, e->size);
		target[e->size] = '\0';
		err = vfs_symlink(NULL, target, path);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		err = vfs_mknod(NULL, path, e->mode, MKDEV(e->rdev_major, e->rdev_minor));
		break;
	default:
		pr_warn("initramfs: %s: unknown file type 0%o skipped\n", path, type);
		return 0;
	}
	if (err < 0) {
		pr_warn("initramfs: %s: error %d\n", path, err);
		return err;
	}
	set_owner_and_time(path, e);
	u->created++;
	return 0;
}

/* Unpacks the cpio archives in buf; returns the bytes consumed or a negative errno. */
static long unpack_cpio(struct unpacker *u, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		if (buf[off] == 0) { /* padding between archives */
			off++;
			continue;
		}
		if (!cpio_is_newc(buf + off, len - off))
			return off ? (long)off : -EINVAL;
		struct cpio_iter it;
		struct cpio_entry e;
		cpio_iter_init(&it, buf + off, len - off);
		int r;
		while ((r = cpio_next(&it, &e)) > 0)
			if ((r = create_entry(u, &e)) < 0)
				return r;
		if (r < 0)
			return r;
		forget_links(u); /* inode numbers start over in the next archive */
		off += it.pos; /* just past the trailer */
	}
	return (long)off;
}

long initramfs_unpack(const void *data, size_t len)
{
	struct unpacker u = { 0 };
	const uint8_t *p = data;
	size_t off = 0;
	long err = 0;
	struct inflate_state *st = NULL;

	while (off < len && err >= 0) {
		if (p[off] == 0) {
			off++;
			continue;
		}
		if (!gzip_is_gzip(p + off, len - off)) {
			long used = unpack_cpio(&u, p + off, len - off);
			if (used < 0)
				err = used;
			else
				off += (size_t)used;
			continue;
		}
		if (!st && !(st = kmalloc(sizeof(*st)))) {
			err = -ENOMEM;
			break;
		}
		/* Inflate one member into a buffer sized from its trailer (a hint), doubling on -ENOSPC. */
		size_t cap = ALIGN_UP(gzip_isize(p + off, len - off) + 4096, 4096), out_len = 0, used = 0;
		for (;;) {
			if (cap > GUNZIP_MAX) {
				err = -EFBIG;
				break;
			}
			void *out = vmalloc(cap);
			if (!out) {
				err = -ENOMEM;
				break;
			}
			int r = gzip_inflate_member(st, p + off, len - off, &used, out, cap, &out_len);
			if (r == -ENOSPC) {
				vfree(out);
				cap *= 2;
				continue;
			}
			if (r == 0) {
				long n = unpack_cpio(&u, out, out_len);
				if (n < 0)
					err = n;
				off += used;
			} else {
				err = r;
			}
			vfree(out);
			break;
		}
	}
	forget_links(&u);
	kfree(st);
	if (err < 0) {
		pr_err("initramfs: unpacking stopped at offset %zu: error %ld (%ld entries kept)\n", off, err,
		       u.created);
		return err;
	}
	pr_info("initramfs: %ld entries unpacked from %zu bytes\n", u.created, len);
	return u.created;
}
