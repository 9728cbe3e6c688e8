/* Attributes: stat and fstat, statfs and fstatfs, chmod. */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "proc/process.h"

void vfs_fillattr(struct inode *inode, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = inode->sb ? inode->sb->dev : 0;
	st->rdev = inode->rdev;
	st->ino = inode->ino;
	st->mode = inode->mode;
	st->nlink = inode->nlink;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->size = inode->size;
	st->blksize = 4096;
	st->blocks = (inode->size + 511) / 512;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
}

int vfs_getattr(struct inode *inode, struct kstat *st)
{
	if (inode->iop && inode->iop->getattr)
		return inode->iop->getattr(inode, st);
	vfs_fillattr(inode, st);
	return 0;
}

int vfs_stat(const struct path *cwd, const char *pathname, bool follow, struct kstat *st)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, follow ? LOOKUP_FOLLOW : 0, &p);
	if (!err) {
		err = vfs_getattr(p.dentry->inode, st);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	return vfs_getattr(f->inode, st);
}

static void fill_statfs(const struct super_block *sb, struct kstatfs *out)
{
	memset(out, 0, sizeof(*out));
	out->f_type = sb->magic;
	out->f_bsize = out->f_frsize = sb->block_size;
	out->f_blocks = sb->blocks;
	out->f_bfree = out->f_bavail = __atomic_load_n(&sb->blocks_free, __ATOMIC_RELAXED);
	out->f_files = sb->files;
	out->f_ffree = __atomic_load_n(&sb->files_free, __ATOMIC_RELAXED);
	/* The device number tells mounts apart (Linux's tmpfs hashes a per-mount UUID instead). */
	out->f_fsid[0] = sb->dev;
	out->f_namelen = NAME_MAX;
	out->f_flags = ST_VALID; /* FIXME: ST_RDONLY, ST_NOSUID... once mounts honour flags */
}

int vfs_statfs(const struct path *cwd, const char *pathname, struct kstatfs *out)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		fill_statfs(p.mnt->sb, out);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_fstatfs(struct file *f, struct kstatfs *out)
{
	/* A file without a name (a pipe) reports its inode's unmounted superblock, as Linux's pipefs. */
	const struct super_block *sb = f->path.mnt ? f->path.mnt->sb : f->inode->sb;
	if (!sb)
		return -EINVAL;
	fill_statfs(sb, out);
	return 0;
}

int vfs_chmod(const struct path *cwd, const char *pathname, uint32_t mode)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		struct iattr a = { .valid = ATTR_MODE, .mode = mode };
		err = vfs_setattr(p.dentry->inode, &a);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_setattr(struct inode *inode, const struct iattr *a)
{
	int err = 0;
	mutex_lock(&inode->lock);
	uint64_t old_size = inode->size;
	if (inode->iop && inode->iop->setattr) {
		err = inode->iop->setattr(inode, a);
	} else if (a->valid & ATTR_SIZE) {
		err = -EINVAL;
	} else {
		if (a->valid & ATTR_MODE)
			inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
		if (a->valid & ATTR_UID)
			inode->uid = a->uid;
		if (a->valid & ATTR_GID)
			inode->gid = a->gid;
		if (a->valid & ATTR_ATIME)
			inode->atime = a->atime;
		if (a->valid & ATTR_MTIME)
			inode->mtime = a->mtime;
		inode->ctime = vfs_now();
	}
	mutex_unlock(&inode->lock);
	/* Pages past a shrunk file's end leave every mapping: touching them is SIGBUS, as on Linux.
	 * Outside inode->lock, which a fault on tmpfs takes under mm->lock. */
	if (!err && (a->valid & ATTR_SIZE) && a->size < old_size && S_ISREG(inode->mode))
		proc_unmap_file_from(inode, a->size);
	return err;
}
