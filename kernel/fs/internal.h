/* Private to kernel/fs/: the namespace lock, the dentry tree and path-walking helpers. */
#pragma once

#include "fs/vfs.h"

/* Serialises every change to the name space and to the dentry tree (see vfs.h). */
extern struct mutex vfs_lock;
extern struct mount *vfs_root_mnt;

/* The cached child `name` of dir (a new reference), asking the file system on a miss. */
struct dentry *d_lookup(struct dentry *dir, const char *name, size_t len);
/* A new cached child of parent for inode (consumes the inode reference); returns a reference. */
struct dentry *d_add(struct dentry *parent, const char *name, size_t len, struct inode *inode);
/* Removes d from its parent's children and drops the cache's reference. */
void d_drop(struct dentry *d);
/* Moves d under new_parent with a new name (rename). */
void d_move(struct dentry *d, struct dentry *new_parent, const char *name, size_t len);
/* Drops every cached dentry below root (unmount). */
void d_prune_tree(struct dentry *root);
/* True when d is anc or below it. */
bool d_is_below(struct dentry *d, struct dentry *anc);

/* An O_PATH file only names its inode: neither readable nor writable. */
static inline bool file_readable(const struct file *f)
{
	if (f->flags & O_PATH)
		return false;
	return (f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

static inline bool file_writable(const struct file *f)
{
	if (f->flags & O_PATH)
		return false;
	return (f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

void mount_get(struct mount *m);
void mount_put(struct mount *m);

/* All of these expect vfs_lock held. */
int namei_lookup(const struct path *cwd, const char *pathname, unsigned flags, struct path *out);
/*
 * Resolves all but the last component: *parent (a directory, with references), and the last
 * component's name (pointing into pathname); type says whether it was a plain name, "." or "..",
 * trailing_slash whether slashes followed it.
 */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
struct nameparent {
	struct path parent;
	const char *name;
	size_t len;
	enum last_type type;
	bool trailing_slash;
};
int namei_parent(const struct path *cwd, const char *pathname, struct nameparent *np);
/* vfs_path_of with vfs_lock already held (procfs's readlink runs inside a path walk). */
int namei_path_of(const struct path *p, char *buf, size_t size);
/* A symlink's target into buf (PATH_MAX bytes), NUL-terminated; 0 or -errno. */
int namei_link_target(struct inode *link, char *buf);
