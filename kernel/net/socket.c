/*
 * Socket objects and files: every socket is an S_IFSOCK inode of the unmounted "sockfs"
 * superblock and one open file whose operations turn read/write/poll/ioctl into the family's
 * recvmsg/sendmsg/poll/ioctl. Families register here by number; the core knows none of them.
 */
#include "net/socket.h"
#include "net/net.h"
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "time/clock.h"

static const struct net_family *families[AF_MAX];

int net_register_family(const struct net_family *fam)
{
	if (fam->family <= 0 || fam->family >= AF_MAX)
		return -EINVAL;
	if (families[fam->family])
		return -EEXIST;
	families[fam->family] = fam;
	return 0;
}

static void sockfs_evict(struct inode *inode)
{
	kfree(inode);
}

static const struct super_ops sockfs_sops = { .evict_inode = sockfs_evict };
static struct fs_type sockfs_type = { .name = "sockfs" };
static struct super_block sockfs_sb = { .type = &sockfs_type, .sop = &sockfs_sops, .block_size = 4096 };
static uint64_t sock_ino_next = 1;

static struct super_block *sockfs(void)
{
	if (!__atomic_load_n(&sockfs_sb.dev, __ATOMIC_ACQUIRE)) {
		dev_t none = 0, dev = vfs_alloc_anon_dev();
		__atomic_compare_exchange_n(&sockfs_sb.dev, &none, dev, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	return &sockfs_sb;
}

void scm_release(struct scm_k *scm)
{
	if (!scm)
		return;
	for (int i = 0; i < scm->nfiles; i++)
		file_put(scm->files[i]);
	scm->nfiles = 0;
}

uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns ? clock_monotonic_ns() + timeo_ns : 0;
}

int sock_wait(struct waitqueue *wq, bool (*cond)(void *), void *arg, uint64_t timeo_ns)
{
	int r = wait_interruptible_until(wq, cond, arg, sock_deadline(timeo_ns));
	if (r == -ETIMEDOUT)
		return -EAGAIN;
	if (r == -EINTR)
		return timeo_ns ? -EINTR : -ERESTARTSYS; /* Linux restarts only untimed socket waits */
	return r;
}

void sock_current_cred(struct ucred_k *out)
{
	struct process *p = current_process();
	out->pid = p ? p->pid : 0;
	out->uid = p ? p->cred.euid : 0;
	out->gid = p ? p->cred.egid : 0;
}

static unsigned io_flags(struct file *f)
{
	return (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0;
}

static ssize_t sock_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct socket *sock = f->private;
	struct msg_k m = { .buf = buf, .len = len };
	return sock->ops->recvmsg(sock, &m, io_flags(f));
}

static ssize_t sock_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct socket *sock = f->private;
	struct msg_k m = { .buf = (char *)buf, .len = len };
	return sock->ops->sendmsg(sock, &m, io_flags(f));
}

static unsigned sock_poll(struct file *f, struct poll_table *pt)
{
	struct socket *sock = f->private;
	return sock->ops->poll ? sock->ops->poll(sock, pt) : 0;
}

static int sock_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct socket *sock = f->private;
	int err = sock->ops->ioctl ? sock->ops->ioctl(sock, cmd, arg) : -ENOTTY;
	/* As Linux: what the family does not know may be an interface or routing ioctl. */
	return err == -ENOTTY ? net_dev_ioctl(cmd, arg) : err;
}

static void sock_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct socket *sock = f->private;
	if (sock->ops && sock->ops->release)
		sock->ops->release(sock);
	kfree(sock);
}

static const struct file_ops sock_fops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.release = sock_release,
	.llseek = vfs_no_llseek,
};

struct socket *sock_from_file(struct file *f)
{
	return f->fop == &sock_fops ? f->private : NULL;
}

/* Gives sock its inode and file; on failure releases and frees sock. */
static int sock_attach_file(struct socket *sock, unsigned flags, struct file **out)
{
	struct inode *inode = inode_alloc(sockfs());
	struct file *f = inode ? vfs_anon_file(inode, &sock_fops, O_RDWR | (flags & O_NONBLOCK)) : NULL;
	if (inode) {
		struct process *p = current_process();
		inode->ino = __atomic_fetch_add(&sock_ino_next, 1, __ATOMIC_RELAXED);
		inode->mode = S_IFSOCK | 0777;
		inode->nlink = 1;
		inode->uid = p ? p->cred.fsuid : 0;
		inode->gid = p ? p->cred.fsgid : 0;
		inode->atime = inode->mtime = inode->ctime = vfs_now();
		inode->fop = &sock_fops;
		inode_put(inode); /* the file holds it */
	}
	if (!f) {
		if (sock->ops && sock->ops->release)
			sock->ops->release(sock);
		kfree(sock);
		return -ENOMEM;
	}
	f->private = sock;
	sock->file = f;
	*out = f;
	return 0;
}

int sock_create(int family, int type, int protocol, unsigned flags, struct file **out)
{
	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	const struct net_family *fam = families[family];
	if (!fam)
		return -EAFNOSUPPORT;
	struct socket *sock = kzalloc(sizeof(*sock));
	if (!sock)
		return -ENOMEM;
	sock->family = family;
	sock->type = type;
	sock->protocol = protocol;
	sock->sndbuf = sock->rcvbuf = SOCK_DEFAULT_BUF;
	int err = fam->create(sock, protocol);
	if (err) {
		kfree(sock);
		return err;
	}
	return sock_attach_file(sock, flags, out);
}

int sock_create_child(struct socket *parent, unsigned flags, struct file **out)
{
	struct socket *sock = kzalloc(sizeof(*sock));
	if (!sock)
		return -ENOMEM;
	sock->family = parent->family;
	sock->type = parent->type;
	sock->protocol = parent->protocol;
	sock->ops = parent->ops; /* sk stays NULL until the family's accept fills it */
	sock->sndbuf = parent->sndbuf;
	sock->rcvbuf = parent->rcvbuf;
	sock->passcred = parent->passcred;
	return sock_attach_file(sock, flags, out);
}
