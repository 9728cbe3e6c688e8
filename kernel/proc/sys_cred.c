/*
 * Credentials: uid/gid get and set calls with Linux's rules for the unprivileged (euid != 0).
 * The security issue makes the VFS and signals enforce them; here they are kept and reported.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

static struct creds *cred(void) { return &current_process()->cred; }

static int64_t sys_getuid(void) { return cred()->uid; }
SYSCALL(102, getuid);
static int64_t sys_geteuid(void) { return cred()->euid; }
SYSCALL(107, geteuid);
static int64_t sys_getgid(void) { return cred()->gid; }
SYSCALL(104, getgid);
static int64_t sys_getegid(void) { return cred()->egid; }
SYSCALL(108, getegid);

static int64_t sys_setuid(uint32_t uid)
{
	struct creds *c = cred();
	if (privileged())
		c->uid = c->euid = c->suid = c->fsuid = uid;
	else if (uid == c->uid || uid == c->suid)
		c->euid = c->fsuid = uid;
	else
		return -EPERM;
	return 0;
}
SYSCALL(105, setuid);

static int64_t sys_setgid(uint32_t gid)
{
	struct creds *c = cred();
	if (privileged())
		c->gid = c->egid = c->sgid = c->fsgid = gid;
	else if (gid == c->gid || gid == c->sgid)
		c->egid = c->fsgid = gid;
	else
		return -EPERM;
	return 0;
}
SYSCALL(106, setgid);

static bool id_ok(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == 0xffffffffu || privileged() || id == a || id == b || id == c;
}

static int64_t sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = cred();
	if (!id_ok(r, c->uid, c->euid, c->suid) || !id_ok(e, c->uid, c->euid, c->suid) ||
	    !id_ok(s, c->uid, c->euid, c->suid))
		return -EPERM;
	if (r != 0xffffffffu) c->uid = r;
	if (e != 0xffffffffu) c->euid = c->fsuid = e;
	if (s != 0xffffffffu) c->suid = s;
	return 0;
}
SYSCALL(117, setresuid);

static int64_t sys_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = cred();
	if (!id_ok(r, c->gid, c->egid, c->sgid) || !id_ok(e, c->gid, c->egid, c->sgid) ||
	    !id_ok(s, c->gid, c->egid, c->sgid))
		return -EPERM;
	if (r != 0xffffffffu) c->gid = r;
	if (e != 0xffffffffu) c->egid = c->fsgid = e;
	if (s != 0xffffffffu) c->sgid = s;
	return 0;
}
SYSCALL(119, setresgid);

static int64_t sys_setreuid(uint32_t r, uint32_t e) { return sys_setresuid(r, e, 0xffffffffu); }
SYSCALL(113, setreuid);
static int64_t sys_setregid(uint32_t r, uint32_t e) { return sys_setresgid(r, e, 0xffffffffu); }
SYSCALL(114, setregid);

static int64_t sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct creds *c = cred();
	if (put_user(c->uid, r) || put_user(c->euid, e) || put_user(c->suid, s))
		return -EFAULT;
	return 0;
}
SYSCALL(118, getresuid);

static int64_t sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct creds *c = cred();
	if (put_user(c->gid, r) || put_user(c->egid, e) || put_user(c->sgid, s))
		return -EFAULT;
	return 0;
}
SYSCALL(120, getresgid);

static int64_t sys_setfsuid(uint32_t id)
{
	uint32_t old = cred()->fsuid;
	if (id_ok(id, cred()->uid, cred()->euid, cred()->suid))
		cred()->fsuid = id;
	return old;
}
SYSCALL(122, setfsuid);

static int64_t sys_setfsgid(uint32_t id)
{
	uint32_t old = cred()->fsgid;
	if (id_ok(id, cred()->gid, cred()->egid, cred()->sgid))
		cred()->fsgid = id;
	return old;
}
SYSCALL(123, setfsgid);

static int64_t sys_getgroups(int size, uint32_t *list)
{
	struct creds *c = cred();
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return c->ngroups;
	if ((unsigned)size < c->ngroups)
		return -EINVAL;
	return copy_to_user(list, c->groups, c->ngroups * sizeof(uint32_t)) ? -EFAULT : (int64_t)c->ngroups;
}
SYSCALL(115, getgroups);

static int64_t sys_setgroups(size_t size, const uint32_t *list)
{
	struct creds *c = cred();
	if (!privileged())
		return -EPERM;
	if (size > 32)
		return -EINVAL;
	uint32_t g[32];
	if (copy_from_user(g, list, size * sizeof(uint32_t)))
		return -EFAULT;
	memcpy(c->groups, g, size * sizeof(uint32_t));
	c->ngroups = (unsigned)size;
	return 0;
}
SYSCALL(116, setgroups);

