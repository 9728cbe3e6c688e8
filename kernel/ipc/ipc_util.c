/*
 * The pure core of System V IPC: key/id tables, permission checks, *get decisions and msgrcv's
 * type selection. No locks and no process state here (tests/unit/test_ipc.c links this alone).
 */
#include "ipc/ipc_internal.h"
#include "lib/errno.h"

int ipc_table_alloc(struct ipc_table *t, struct ipc_perm_k *p)
{
	if (t->count >= IPC_MNI)
		return -ENOSPC;
	/* The lowest free slot, as Linux's idr: ids stay small and listings short. */
	int slot = -1;
	for (unsigned i = 0; i < IPC_MNI; i++)
		if (!t->slots[i]) {
			slot = (int)i;
			break;
		}
	if (slot < 0)
		return -ENOSPC;
	/* A fresh sequence number per allocation, so a stale id of a removed object fails. */
	p->seq = t->next_seq;
	t->next_seq = t->next_seq + 1 > IPC_SEQ_MAX ? 0 : t->next_seq + 1;
	p->id = (int)(p->seq * IPC_SEQ_MULT) + slot;
	p->deleted = false;
	t->slots[slot] = p;
	t->count++;
	if ((unsigned)slot + 1 > t->max_used)
		t->max_used = (unsigned)slot + 1;
	return p->id;
}

struct ipc_perm_k *ipc_table_find_id(const struct ipc_table *t, int id)
{
	if (id < 0 || ipc_id_slot(id) >= IPC_MNI)
		return NULL;
	struct ipc_perm_k *p = t->slots[ipc_id_slot(id)];
	return p && p->id == id ? p : NULL;
}

struct ipc_perm_k *ipc_table_find_key(const struct ipc_table *t, int32_t key)
{
	if (key == IPC_PRIVATE)
		return NULL;
	for (unsigned i = 0; i < t->max_used; i++)
		if (t->slots[i] && t->slots[i]->key == key)
			return t->slots[i];
	return NULL;
}

void ipc_table_remove(struct ipc_table *t, struct ipc_perm_k *p)
{
	int slot = ipc_id_slot(p->id);
	if (t->slots[slot] != p)
		return;
	t->slots[slot] = NULL;
	t->count--;
	p->deleted = true;
	while (t->max_used > 0 && !t->slots[t->max_used - 1])
		t->max_used--;
}

static bool in_groups(const struct ipc_cred *c, uint32_t gid)
{
	if (c->egid == gid)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int ipc_perm_check(const struct ipc_perm_k *p, const struct ipc_cred *c, int flag)
{
	unsigned requested = ((unsigned)flag >> 6 | (unsigned)flag >> 3 | (unsigned)flag) & 7;
	unsigned granted = p->mode;
	if (c->euid == p->uid || c->euid == p->cuid)
		granted >>= 6;
	else if (in_groups(c, p->gid) || in_groups(c, p->cgid))
		granted >>= 3;
	if ((requested & ~granted & 7) && c->euid != 0)
		return -EACCES;
	return 0;
}

bool ipc_is_owner(const struct ipc_perm_k *p, const struct ipc_cred *c)
{
	return c->euid == 0 || c->euid == p->uid || c->euid == p->cuid;
}

int ipc_get_decision(int32_t key, bool found, int flags)
{
	if (key == IPC_PRIVATE)
		return 1; /* always a new object, with or without IPC_CREAT */
	if (!found)
		return (flags & IPC_CREAT) ? 1 : -ENOENT;
	if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
		return -EEXIST;
	return 0;
}

struct ipc_msg *ipc_msg_select(struct ipc_msg **head, long type, int flags, struct ipc_msg ***prevp)
{
	struct ipc_msg **best = NULL;
	long limit = type == -(long)(~0ul >> 1) - 1 ? (long)(~0ul >> 1) : -type; /* -LONG_MIN overflows */
	for (struct ipc_msg **pp = head; *pp; pp = &(*pp)->next) {
		long t = (*pp)->type;
		if (type == 0) {
			best = pp;
			break;
		}
		if (type > 0) {
			bool match = (flags & MSG_EXCEPT) ? t != type : t == type;
			if (match) {
				best = pp;
				break;
			}
			continue;
		}
		/* type < 0: the lowest type <= -type; the oldest among equals (strictly lower wins). */
		if (t <= limit && (!best || t < (*best)->type)) {
			best = pp;
			if (t == 1)
				break; /* nothing can be lower */
		}
	}
	if (!best)
		return NULL;
	if (prevp)
		*prevp = best;
	return *best;
}
