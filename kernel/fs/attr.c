/* Attributes: stat and fstat, chmod. */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"

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

static int inode_getattr(struct inode *inode, struct kstat *st)
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
		err = inode_getattr(p.dentry->inode, st);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	return inode_getattr(f->inode, st);
}

int vfs_chmod(const struct path *cwd, const char *pathname, uint32_t mode)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		struct inode *inode = p.dentry->inode;
		struct iattr a = { .valid = ATTR_MODE, .mode = mode };
		if (inode->iop && inode->iop->setattr) {
			err = inode->iop->setattr(inode, &a);
		} else {
			inode->mode = (inode->mode & S_IFMT) | (mode & 07777);
			inode->ctime = vfs_now();
		}
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}
