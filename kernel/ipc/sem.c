/*
 * System V semaphore sets. semop applies all its operations or none: it tries them in order on
 * the live values and rolls back at the first one that must wait or fails. A sleeper counts
 * itself in the blocking semaphore's semncnt/semzcnt and retries when the set's generation
 * changes. SEM_UNDO adjustments live in one sem_undo per (process, set), linked both from the
 * process (applied at exit, ipc_sem_exit) and from the set (cleared by SETVAL/SETALL, detached
 * by IPC_RMID).
 */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "proc/signal.h"

struct sem {
	int val;
	int pid;                  /* the last process to operate on it */
	int ncnt, zcnt;           /* sleepers waiting for an increase / for zero */
};

struct sem_undo {
	int semid;
	struct sem_array *arr;    /* NULL once the set is removed */
	struct sem_undo *proc_next, *arr_next;
	int nsems;
	int adj[];
};

struct sem_undo_list {
	struct mutex lock;
	struct sem_undo *head;
};

/*
 * slock (a spinlock: semop only does arithmetic under it, and a sleeping mutex that hands itself
 * over convoys when several processes use a set as a lock) guards the values, the counts, the
 * undo list and `removed`. IPC_RMID sets `removed` under it, then leaves the table.
 */
struct sem_array {
	struct ipc_obj obj;       /* first: the table points here */
	spinlock_t slock;
	bool removed;
	int nsems;
	int64_t otime, ctime;
	struct sem_undo *undos;   /* every process's adjustments for this set */
	struct sem sems[];
};

#define SA(o) ((struct sem_array *)(o))

/* Semaphores in all sets together (Linux's SEMMNS, -ENOSPC); Linux's default is far larger,
 * this one keeps the arrays within a few MiB of kernel memory. */
#define SEMMNS_K (SEMMSL * 8)
static unsigned sem_total;

static void sem_free(struct ipc_obj *obj)
{
	__atomic_sub_fetch(&sem_total, (unsigned)SA(obj)->nsems, __ATOMIC_RELAXED);
	kfree(obj);
}

static struct ipc_obj *sem_create(void *arg)
{
	int nsems = *(int *)arg;
	if (nsems <= 0)
		return ERR_PTR(-EINVAL);
	if (__atomic_load_n(&sem_total, __ATOMIC_RELAXED) + (unsigned)nsems > SEMMNS_K)
		return ERR_PTR(-ENOSPC);
	struct sem_array *a = kzalloc(sizeof(*a) + (size_t)nsems * sizeof(struct sem));
	if (!a)
		return ERR_PTR(-ENOMEM);
	__atomic_add_fetch(&sem_total, (unsigned)nsems, __ATOMIC_RELAXED);
	a->obj.free = sem_free;
	a->slock = (spinlock_t)SPINLOCK_INIT;
	a->nsems = nsems;
	a->ctime = ipc_now();
	return &a->obj;
}

static int sem_existing(struct ipc_obj *obj, void *arg)
{
	return *(int *)arg > SA(obj)->nsems ? -EINVAL : 0;
}

int sem_get(int32_t key, int nsems, int flags)
{
	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	return ipc_getobj(&ipc_sem_ids, key, flags, sem_create, sem_existing, &nsems);
}

/* The calling process's undo entry for a (slock not held), created if missing. */
static struct sem_undo *find_undo(struct sem_array *a, int id)
{
	struct process *p = current_process();
	if (!p)
		return ERR_PTR(-EINVAL); /* a kernel thread has no exit to undo at */
	struct sem_undo_list *ul = __atomic_load_n(&p->sem_undo, __ATOMIC_ACQUIRE);
	if (!ul) {
		struct sem_undo_list *n = kzalloc(sizeof(*n));
		if (!n)
			return NULL;
		mutex_init(&n->lock);
		struct sem_undo_list *none = NULL;
		if (!__atomic_compare_exchange_n(&p->sem_undo, &none, n, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			kfree(n); /* another thread won */
		ul = p->sem_undo;
	}
	mutex_lock(&ul->lock);
	struct sem_undo *found = NULL;
	for (struct sem_undo **pp = &ul->head; *pp;) {
		struct sem_undo *u = *pp;
		if (!__atomic_load_n(&u->arr, __ATOMIC_ACQUIRE)) { /* its set was removed: prune */
			*pp = u->proc_next;
			kfree(u);
			continue;
		}
		if (u->semid == id && u->arr == a)
			found = u;
		pp = &u->proc_next;
	}
	if (!found && (found = kzalloc(sizeof(*found) + (size_t)a->nsems * sizeof(int)))) {
		found->semid = id;
		found->nsems = a->nsems;
		spin_lock(&a->slock);
		if (a->removed) {
			spin_unlock(&a->slock);
			kfree(found);
			mutex_unlock(&ul->lock);
			return ERR_PTR(-EIDRM);
		}
		found->arr = a;
		found->arr_next = a->undos;
		a->undos = found;
		spin_unlock(&a->slock);
		found->proc_next = ul->head;
		ul->head = found;
	}
	mutex_unlock(&ul->lock);
	return found;
}

/* Tries every operation (slock held): 0 applied, 1 must wait (*block = the op), or -errno. */
static int try_ops(struct sem_array *a, const struct sembuf_u *ops, unsigned n, struct sem_undo *un,
		   unsigned *block)
{
	unsigned i;
	int err = 0;
	for (i = 0; i < n; i++) {
		struct sem *s = &a->sems[ops[i].sem_num];
		int op = ops[i].sem_op;
		if (op == 0) {
			if (s->val != 0) {
				err = 1;
				break;
			}
			continue;
		}
		int v = s->val + op;
		if (v < 0) {
			err = 1;
			break;
		}
		if (v > SEMVMX) {
			err = -ERANGE;
			break;
		}
		if ((ops[i].sem_flg & SEM_UNDO) && un) {
			int adj = un->adj[ops[i].sem_num] - op;
			if (adj < -SEMAEM - 1 || adj > SEMAEM) {
				err = -ERANGE;
				break;
			}
		}
		s->val = v;
	}
	if (err) {
		*block = i;
		while (i-- > 0)
			a->sems[ops[i].sem_num].val -= ops[i].sem_op;
		return err;
	}
	int pid = ipc_caller_pid();
	for (i = 0; i < n; i++) {
		a->sems[ops[i].sem_num].pid = pid;
		if ((ops[i].sem_flg & SEM_UNDO) && un)
			un->adj[ops[i].sem_num] -= ops[i].sem_op;
	}
	a->otime = ipc_now();
	return 0;
}

int sem_op(int id, const struct sembuf_u *ops, unsigned nsops, uint64_t deadline_ns)
{
	if (id < 0 || nsops < 1)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	struct ipc_obj *obj = ipc_obj_get(&ipc_sem_ids, id);
	if (!obj)
		return -EINVAL;
	struct sem_array *a = SA(obj);
	bool alter = false, undo = false;
	unsigned max_num = 0;
	for (unsigned i = 0; i < nsops; i++) {
		alter |= ops[i].sem_op != 0;
		undo |= (ops[i].sem_flg & SEM_UNDO) != 0;
		if (ops[i].sem_num > max_num)
			max_num = ops[i].sem_num;
	}
	int err;
	struct sem_undo *un = NULL;
	if (max_num >= (unsigned)a->nsems) {
		err = -EFBIG;
		goto out_put;
	}
	if ((err = ipc_check(&obj->perm, alter ? 0222 : 0444)))
		goto out_put;
	if (undo) {
		un = find_undo(a, id);
		if (!un) {
			err = -ENOMEM;
			goto out_put;
		}
		if (IS_ERR(un)) {
			err = PTR_ERR(un);
			goto out_put;
		}
	}
	bool changed = false;
	for (;;) {
		spin_lock(&a->slock);
		if (a->removed) {
			err = -EIDRM;
			break;
		}
		unsigned b = 0;
		err = try_ops(a, ops, nsops, un, &b);
		if (err == 0) {
			if (alter) {
				__atomic_add_fetch(&obj->gen, 1, __ATOMIC_ACQ_REL);
				changed = true;
			}
			break;
		}
		if (err < 0)
			break;
		if (ops[b].sem_flg & IPC_NOWAIT) {
			err = -EAGAIN;
			break;
		}
		struct sem *s = &a->sems[ops[b].sem_num];
		int *cnt = ops[b].sem_op == 0 ? &s->zcnt : &s->ncnt;
		(*cnt)++;
		struct ipc_gen_wait w = { obj, obj->gen };
		spin_unlock(&a->slock);
		int r = wait_interruptible_until(&obj->wait, ipc_gen_changed, &w, deadline_ns);
		spin_lock(&a->slock);
		(*cnt)--;
		spin_unlock(&a->slock);
		if (r == -EINTR) {
			err = -EINTR; /* semop is never restarted (Linux) */
			goto out_put;
		}
		if (r == -ETIMEDOUT) {
			err = -EAGAIN; /* semtimedop's timeout */
			goto out_put;
		}
	}
	spin_unlock(&a->slock);
	if (changed)
		wake_up_all(&obj->wait);
out_put:
	ipc_obj_put(obj);
	return err;
}

int sem_nsems(int id)
{
	struct ipc_obj *obj = ipc_obj_get(&ipc_sem_ids, id);
	if (!obj)
		return -EINVAL;
	int n = SA(obj)->nsems;
	ipc_obj_put(obj);
	return n;
}

/* SETVAL/SETALL: every process's adjustment for semaphore num (-1: all) goes to zero. */
static void clear_undos(struct sem_array *a, int num)
{
	for (struct sem_undo *u = a->undos; u; u = u->arr_next) {
		if (num >= 0)
			u->adj[num] = 0;
		else
			memset(u->adj, 0, (size_t)u->nsems * sizeof(int));
	}
}

static void fill_info(struct seminfo_u *info, bool usage)
{
	memset(info, 0, sizeof(*info));
	info->semmni = SEMMNI;
	info->semmsl = SEMMSL;
	info->semmns = SEMMNS_K;
	info->semopm = SEMOPM;
	info->semvmx = SEMVMX;
	info->semaem = SEMAEM;
	info->semmnu = info->semmap = info->semmns;
	info->semume = SEMOPM;
	info->semusz = 20;
	if (usage) { /* SEM_INFO: sets in use and their semaphores */
		mutex_lock(&ipc_sem_ids.lock);
		info->semusz = (int32_t)ipc_sem_ids.table.count;
		info->semaem = 0;
		for (unsigned i = 0; i < ipc_sem_ids.table.max_used; i++)
			if (ipc_sem_ids.table.slots[i])
				info->semaem += SA(ipc_sem_ids.table.slots[i])->nsems;
		mutex_unlock(&ipc_sem_ids.lock);
	}
}

int sem_ctl(int id, int num, int cmd, int val, uint16_t *vals, struct semid64_ds_u *ds,
	    struct seminfo_u *info)
{
	if (cmd == IPC_INFO || cmd == SEM_INFO) {
		fill_info(info, cmd == SEM_INFO);
		mutex_lock(&ipc_sem_ids.lock);
		int top = ipc_sem_ids.table.max_used ? (int)ipc_sem_ids.table.max_used - 1 : 0;
		mutex_unlock(&ipc_sem_ids.lock);
		return top;
	}
	if (id < 0)
		return -EINVAL;
	bool by_slot = cmd == SEM_STAT || cmd == SEM_STAT_ANY;
	struct ipc_obj *obj = by_slot ? ipc_obj_get_slot(&ipc_sem_ids, id) : ipc_obj_get(&ipc_sem_ids, id);
	if (!obj)
		return -EINVAL;
	struct sem_array *a = SA(obj);
	int ret = 0;
	bool changed = false, remove = false;
	spin_lock(&a->slock);
	if (a->removed) {
		ret = by_slot ? -EINVAL : -EIDRM;
		goto out;
	}
	bool one = cmd == GETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT || cmd == SETVAL;
	if (one && (num < 0 || num >= a->nsems)) {
		ret = -EINVAL;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		if (cmd != SEM_STAT_ANY && (ret = ipc_check(&obj->perm, 0444)))
			break;
		memset(ds, 0, sizeof(*ds));
		ipc_perm_to_user(&obj->perm, &ds->sem_perm);
		ds->sem_otime = a->otime;
		ds->sem_ctime = a->ctime;
		ds->sem_nsems = (uint64_t)a->nsems;
		ret = by_slot ? obj->perm.id : 0;
		break;
	case IPC_SET:
		if ((ret = ipc_perm_set(&obj->perm, &ds->sem_perm)))
			break;
		a->ctime = ipc_now();
		break;
	case IPC_RMID:
		if (!ipc_owner(&obj->perm)) {
			ret = -EPERM;
			break;
		}
		for (struct sem_undo *u = a->undos, *next; u; u = next) {
			next = u->arr_next; /* once arr is NULL, its process may free u at once */
			__atomic_store_n(&u->arr, NULL, __ATOMIC_RELEASE);
		}
		a->undos = NULL;
		a->removed = true;
		remove = true; /* out of the table once slock is dropped: that takes a mutex */
		break;
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
	case GETALL:
		if ((ret = ipc_check(&obj->perm, 0444)))
			break;
		if (cmd == GETVAL)
			ret = a->sems[num].val;
		else if (cmd == GETPID)
			ret = a->sems[num].pid;
		else if (cmd == GETNCNT)
			ret = a->sems[num].ncnt;
		else if (cmd == GETZCNT)
			ret = a->sems[num].zcnt;
		else
			for (int i = 0; i < a->nsems; i++)
				vals[i] = (uint16_t)a->sems[i].val;
		break;
	case SETVAL:
	case SETALL:
		if ((ret = ipc_check(&obj->perm, 0222)))
			break;
		if (cmd == SETVAL) {
			if (val < 0 || val > SEMVMX) {
				ret = -ERANGE;
				break;
			}
			a->sems[num].val = val;
			a->sems[num].pid = ipc_caller_pid();
		} else {
			for (int i = 0; i < a->nsems; i++)
				if (vals[i] > SEMVMX) {
					ret = -ERANGE;
					goto out;
				}
			for (int i = 0; i < a->nsems; i++)
				a->sems[i].val = vals[i]; /* Linux leaves sempid alone here */
		}
		clear_undos(a, cmd == SETVAL ? num : -1);
		a->ctime = ipc_now();
		__atomic_add_fetch(&obj->gen, 1, __ATOMIC_ACQ_REL);
		changed = true;
		break;
	default:
		ret = -EINVAL;
	}
out:
	spin_unlock(&a->slock);
	if (remove)
		ipc_obj_remove(&ipc_sem_ids, obj); /* wakes the sleepers, who find `removed` */
	else if (changed)
		wake_up_all(&obj->wait);
	ipc_obj_put(obj);
	return ret;
}

void ipc_sem_exit(struct process *p)
{
	struct sem_undo_list *ul = p->sem_undo;
	if (!ul)
		return;
	p->sem_undo = NULL;
	while (ul->head) {
		struct sem_undo *u = ul->head;
		ul->head = u->proc_next;
		struct ipc_obj *obj = __atomic_load_n(&u->arr, __ATOMIC_ACQUIRE) ? ipc_obj_get(&ipc_sem_ids, u->semid) : NULL;
		if (obj) {
			struct sem_array *a = SA(obj);
			bool changed = false;
			spin_lock(&a->slock);
			if (u->arr == a) {
				/* Out of the set's list, then the adjustments, clamped as Linux does. */
				for (struct sem_undo **pp = &a->undos; *pp; pp = &(*pp)->arr_next)
					if (*pp == u) {
						*pp = u->arr_next;
						break;
					}
				for (int i = 0; i < a->nsems; i++) {
					if (!u->adj[i])
						continue;
					int v = a->sems[i].val + u->adj[i];
					a->sems[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
					a->sems[i].pid = p->pid;
				}
				a->otime = ipc_now();
				__atomic_add_fetch(&obj->gen, 1, __ATOMIC_ACQ_REL);
				changed = true;
			}
			spin_unlock(&a->slock);
			if (changed)
				wake_up_all(&obj->wait);
			ipc_obj_put(obj);
		}
		kfree(u);
	}
	kfree(ul);
}

static void sem_line(struct ipc_obj *obj, void *ctx)
{
	struct sbuf *f = ctx;
	const struct ipc_perm_k *p = &obj->perm;
	sb_printf(f, "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n",
		  p->key, p->id, p->mode, (unsigned)SA(obj)->nsems, p->uid, p->gid, p->cuid,
		  p->cgid, (unsigned long long)SA(obj)->otime, (unsigned long long)SA(obj)->ctime);
}

size_t ipc_format_proc_sem(char *buf, size_t size)
{
	struct sbuf f = SB(buf, size);
	sb_printf(&f, "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
	ipc_for_each(&ipc_sem_ids, sem_line, &f);
	return sb_done(&f);
}
