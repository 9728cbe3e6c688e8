/*
 * The locked side of the System V tables: one table per kind of object behind a mutex, object
 * references, the current process's credentials for ipcperms, and the ipc64_perm conversions.
 */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "debug/panic.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "time/clock.h"

struct ipc_ids ipc_shm_ids = { .name = "shm" }, ipc_msg_ids = { .name = "msg" }, ipc_sem_ids = { .name = "sem" };

static void ids_init(struct ipc_ids *ids)
{
	mutex_init(&ids->lock);
	ids->slot_lock = (spinlock_t)SPINLOCK_INIT;
	/* vmalloc: a permanent 32 KiB table is no business of the kmalloc large-object pool. */
	ids->table.slots = vmalloc(IPC_MNI * sizeof(*ids->table.slots));
	if (!ids->table.slots)
		panic("ipc: no memory for the %s table", ids->name);
	memset(ids->table.slots, 0, IPC_MNI * sizeof(*ids->table.slots));
}

void ipc_ids_init(void)
{
	ids_init(&ipc_shm_ids);
	ids_init(&ipc_msg_ids);
	ids_init(&ipc_sem_ids);
}

/* Kernel threads (the ktests) act as root with PID 0. */
static const struct creds kernel_creds;

static const struct creds *caller_creds(void)
{
	struct process *p = current_process();
	return p ? &p->cred : &kernel_creds;
}

int ipc_caller_pid(void)
{
	struct process *p = current_process();
	return p ? p->pid : 0;
}

bool ipc_caller_privileged(void)
{
	return caller_creds()->euid == 0;
}

void ipc_current_cred(struct ipc_cred *c)
{
	const struct creds *cr = caller_creds();
	c->euid = cr->euid;
	c->egid = cr->egid;
	c->ngroups = cr->ngroups;
	c->groups = cr->groups;
}

int ipc_check(const struct ipc_perm_k *p, int flag)
{
	struct ipc_cred c;
	ipc_current_cred(&c);
	return ipc_perm_check(p, &c, flag);
}

bool ipc_owner(const struct ipc_perm_k *p)
{
	struct ipc_cred c;
	ipc_current_cred(&c);
	return ipc_is_owner(p, &c);
}

int64_t ipc_now(void)
{
	return (int64_t)(clock_realtime_ns() / 1000000000ull);
}

int ipc_getobj(struct ipc_ids *ids, int32_t key, int flags, struct ipc_obj *(*create)(void *arg),
	       int (*existing)(struct ipc_obj *obj, void *arg), void *arg)
{
	mutex_lock(&ids->lock);
	struct ipc_perm_k *p = ipc_table_find_key(&ids->table, key);
	int ret = ipc_get_decision(key, p != NULL, flags);
	if (ret == 0) {
		struct ipc_obj *obj = (struct ipc_obj *)p;
		ret = ipc_check(p, flags & 0777);
		if (!ret && existing)
			ret = existing(obj, arg);
		if (!ret)
			ret = p->id;
	} else if (ret == 1) {
		struct ipc_obj *obj = create(arg);
		if (IS_ERR(obj)) {
			ret = PTR_ERR(obj);
			goto out;
		}
		const struct creds *cr = caller_creds();
		obj->perm.key = key;
		obj->perm.uid = obj->perm.cuid = cr->euid;
		obj->perm.gid = obj->perm.cgid = cr->egid;
		obj->perm.mode = (uint32_t)flags & 0777;
		mutex_init(&obj->lock);
		waitqueue_init(&obj->wait);
		obj->refcount = 1; /* the table's */
		spin_lock(&ids->slot_lock);
		ret = ipc_table_alloc(&ids->table, &obj->perm);
		spin_unlock(&ids->slot_lock);
		if (ret < 0)
			obj->free(obj);
	}
out:
	mutex_unlock(&ids->lock);
	return ret;
}

static struct ipc_obj *get_locked(struct ipc_perm_k *p)
{
	if (!p)
		return NULL;
	struct ipc_obj *obj = (struct ipc_obj *)p;
	__atomic_add_fetch(&obj->refcount, 1, __ATOMIC_ACQ_REL);
	return obj;
}

/* Every system call on an object starts here: a spinlock, not the table mutex, so that busy
 * objects do not convoy on it (the mutex hands over to sleeping waiters). */
struct ipc_obj *ipc_obj_get(struct ipc_ids *ids, int id)
{
	spin_lock(&ids->slot_lock);
	struct ipc_obj *obj = get_locked(ipc_table_find_id(&ids->table, id));
	spin_unlock(&ids->slot_lock);
	return obj;
}

struct ipc_obj *ipc_obj_get_slot(struct ipc_ids *ids, int slot)
{
	if (slot < 0 || slot >= IPC_MNI)
		return NULL;
	spin_lock(&ids->slot_lock);
	struct ipc_obj *obj = get_locked(ids->table.slots[slot]);
	spin_unlock(&ids->slot_lock);
	return obj;
}

void ipc_obj_put(struct ipc_obj *obj)
{
	if (obj && __atomic_sub_fetch(&obj->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		obj->free(obj);
}

void ipc_obj_changed(struct ipc_obj *obj)
{
	__atomic_add_fetch(&obj->gen, 1, __ATOMIC_ACQ_REL);
	wake_up_all(&obj->wait);
}

void ipc_obj_remove(struct ipc_ids *ids, struct ipc_obj *obj)
{
	mutex_lock(&ids->lock);
	bool was_in = !obj->perm.deleted;
	spin_lock(&ids->slot_lock);
	ipc_table_remove(&ids->table, &obj->perm);
	obj->perm.deleted = true;
	spin_unlock(&ids->slot_lock);
	mutex_unlock(&ids->lock);
	ipc_obj_changed(obj);
	if (was_in)
		__atomic_sub_fetch(&obj->refcount, 1, __ATOMIC_ACQ_REL); /* the caller still holds one */
}

void ipc_for_each(struct ipc_ids *ids, void (*fn)(struct ipc_obj *obj, void *ctx), void *ctx)
{
	/* References taken under the table lock, fn called without it (fn may take obj->lock). */
	mutex_lock(&ids->lock);
	unsigned n = ids->table.count, k = 0;
	struct ipc_obj **objs = n ? kmalloc(n * sizeof(*objs)) : NULL;
	for (unsigned i = 0; objs && i < ids->table.max_used && k < n; i++)
		if (ids->table.slots[i])
			objs[k++] = get_locked(ids->table.slots[i]);
	mutex_unlock(&ids->lock);
	for (unsigned i = 0; i < k; i++) {
		fn(objs[i], ctx);
		ipc_obj_put(objs[i]);
	}
	kfree(objs);
}

void ipc_perm_to_user(const struct ipc_perm_k *p, struct ipc64_perm_u *out)
{
	memset(out, 0, sizeof(*out));
	out->key = p->key;
	out->uid = p->uid;
	out->gid = p->gid;
	out->cuid = p->cuid;
	out->cgid = p->cgid;
	out->mode = p->mode;
	out->seq = (uint16_t)p->seq;
}

int ipc_perm_set(struct ipc_perm_k *p, const struct ipc64_perm_u *in)
{
	if (!ipc_owner(p))
		return -EPERM;
	p->uid = in->uid;
	p->gid = in->gid;
	p->mode = (p->mode & ~0777u) | (in->mode & 0777);
	return 0;
}
