// unit-deps: kernel/ipc/ipc_util.c
/*
 * The pure core of System V IPC: the key/id table (lowest free slot, sequence numbers that
 * make stale ids fail, ids beyond the table), Linux's ipcperms rule, the *get decision, and
 * msgrcv's type selection against a brute-force model on random queues.
 */
#include <limits.h>
#include <stdlib.h>

#include "unit.h"
#include "host_prefix.h"
#include "ipc/ipc_internal.h"
#include "lib/errno.h"

static struct ipc_perm_k *slots[IPC_MNI];

static struct ipc_table fresh_table(void)
{
	for (int i = 0; i < IPC_MNI; i++)
		slots[i] = NULL;
	return (struct ipc_table){ .slots = slots };
}

TEST(table_ids_and_slots)
{
	struct ipc_table t = fresh_table();
	struct ipc_perm_k a = { .key = 11 }, b = { .key = 22 }, c = { .key = 33 };
	int ia = ipc_table_alloc(&t, &a), ib = ipc_table_alloc(&t, &b);
	CHECK_INT(ipc_id_slot(ia), 0);
	CHECK_INT(ipc_id_slot(ib), 1);
	CHECK(ia != ib);
	CHECK(ipc_table_find_id(&t, ia) == &a);
	CHECK(ipc_table_find_key(&t, 22) == &b);
	CHECK(ipc_table_find_key(&t, 44) == NULL);
	ipc_table_remove(&t, &a);
	CHECK(a.deleted);
	CHECK(ipc_table_find_id(&t, ia) == NULL);
	/* The freed slot is reused with a new sequence number: the old id stays invalid. */
	int ic = ipc_table_alloc(&t, &c);
	CHECK_INT(ipc_id_slot(ic), 0);
	CHECK(ic != ia);
	CHECK(ipc_table_find_id(&t, ia) == NULL);
	CHECK(ipc_table_find_id(&t, ic) == &c);
	CHECK_INT(t.count, 2);
	CHECK_INT(t.max_used, 2);
	ipc_table_remove(&t, &b);
	CHECK_INT(t.max_used, 1);
	/* Hostile ids. */
	CHECK(ipc_table_find_id(&t, -1) == NULL);
	CHECK(ipc_table_find_id(&t, 0x7ffffff0) == NULL); /* slot 32752: beyond the table */
	CHECK(ipc_table_find_id(&t, IPC_MNI) == NULL);
}

TEST(table_private_key_and_full)
{
	struct ipc_table t = fresh_table();
	static struct ipc_perm_k objs[IPC_MNI + 1];
	for (int i = 0; i < IPC_MNI; i++) {
		objs[i].key = IPC_PRIVATE;
		CHECK(ipc_table_alloc(&t, &objs[i]) >= 0);
	}
	CHECK_INT(ipc_table_alloc(&t, &objs[IPC_MNI]), -ENOSPC);
	CHECK(ipc_table_find_key(&t, IPC_PRIVATE) == NULL); /* private objects have no key */
}

TEST(table_sequence_wraps)
{
	struct ipc_table t = fresh_table();
	t.next_seq = IPC_SEQ_MAX;
	struct ipc_perm_k a = { .key = 1 }, b = { .key = 2 };
	int ia = ipc_table_alloc(&t, &a);
	CHECK(ia >= 0); /* the largest sequence still gives a positive int */
	CHECK(ipc_table_find_id(&t, ia) == &a);
	int ib = ipc_table_alloc(&t, &b);
	CHECK(ib >= 0 && ib < IPC_SEQ_MULT); /* wrapped to sequence 0 */
}

static const uint32_t groups[] = { 300, 400 };

TEST(ipcperms)
{
	struct ipc_perm_k p = { .uid = 100, .gid = 200, .cuid = 101, .cgid = 201, .mode = 0640 };
	struct ipc_cred owner = { .euid = 100, .egid = 1 }, creator = { .euid = 101, .egid = 1 };
	struct ipc_cred group = { .euid = 5, .egid = 200 }, cgroup = { .euid = 5, .egid = 201 };
	struct ipc_cred supp = { .euid = 5, .egid = 1, .ngroups = 2, .groups = groups };
	struct ipc_cred other = { .euid = 5, .egid = 1 }, root = { .euid = 0, .egid = 0 };
	CHECK_INT(ipc_perm_check(&p, &owner, 0444), 0);
	CHECK_INT(ipc_perm_check(&p, &owner, 0666), 0);
	CHECK_INT(ipc_perm_check(&p, &creator, 0222), 0); /* the creator counts as owner */
	CHECK_INT(ipc_perm_check(&p, &group, 0444), 0);
	CHECK_INT(ipc_perm_check(&p, &group, 0222), -EACCES);
	CHECK_INT(ipc_perm_check(&p, &cgroup, 0444), 0);
	CHECK_INT(ipc_perm_check(&p, &other, 0444), -EACCES);
	CHECK_INT(ipc_perm_check(&p, &other, 0), 0); /* a *get asking for nothing */
	CHECK_INT(ipc_perm_check(&p, &root, 0666), 0);
	p.gid = 400;
	CHECK_INT(ipc_perm_check(&p, &supp, 0444), 0); /* supplementary groups count */
	/* A *get's low 9 bits: 0600 asks the owner bits for read and write. */
	CHECK_INT(ipc_perm_check(&p, &group, 0600), -EACCES);
	CHECK_INT(ipc_perm_check(&p, &owner, 0600), 0);
	/* Owner bits decide for the owner even when others have more. */
	p.mode = 0066;
	CHECK_INT(ipc_perm_check(&p, &owner, 0444), -EACCES);
	CHECK(ipc_is_owner(&p, &owner) && ipc_is_owner(&p, &creator) && ipc_is_owner(&p, &root));
	CHECK(!ipc_is_owner(&p, &group));
}

TEST(get_decision)
{
	CHECK_INT(ipc_get_decision(IPC_PRIVATE, false, 0), 1);
	CHECK_INT(ipc_get_decision(IPC_PRIVATE, false, IPC_CREAT | IPC_EXCL), 1);
	CHECK_INT(ipc_get_decision(5, false, 0), -ENOENT);
	CHECK_INT(ipc_get_decision(5, false, IPC_CREAT), 1);
	CHECK_INT(ipc_get_decision(5, true, 0), 0);
	CHECK_INT(ipc_get_decision(5, true, IPC_CREAT), 0);
	CHECK_INT(ipc_get_decision(5, true, IPC_CREAT | IPC_EXCL), -EEXIST);
	CHECK_INT(ipc_get_decision(5, true, IPC_EXCL), 0); /* IPC_EXCL alone means nothing */
}

static struct ipc_msg *mk(long type, struct ipc_msg *next)
{
	struct ipc_msg *m = calloc(1, sizeof(*m));
	m->type = type;
	m->next = next;
	return m;
}

static void free_list(struct ipc_msg *m)
{
	while (m) {
		struct ipc_msg *n = m->next;
		free(m);
		m = n;
	}
}

/* The model: the index msgrcv must pick, computed the obvious way (-1: none). */
static int model(const long *types, int n, long type, int flags)
{
	if (n == 0)
		return -1;
	if (type == 0)
		return 0;
	if (type > 0) {
		for (int i = 0; i < n; i++)
			if ((flags & MSG_EXCEPT) ? types[i] != type : types[i] == type)
				return i;
		return -1;
	}
	long lim = type == LONG_MIN ? LONG_MAX : -type, best = LONG_MAX;
	for (int i = 0; i < n; i++)
		if (types[i] <= lim && types[i] < best)
			best = types[i];
	for (int i = 0; i < n; i++)
		if (types[i] == best && best <= lim)
			return i;
	return -1;
}

TEST(msg_select_cases)
{
	/* (5) (3) (1) (3) (7) (2) */
	struct ipc_msg *h = mk(5, mk(3, mk(1, mk(3, mk(7, mk(2, NULL))))));
	struct ipc_msg **link;
	CHECK(ipc_msg_select(&h, 0, 0, &link) == h && link == &h);
	struct ipc_msg *m = ipc_msg_select(&h, 3, 0, &link);
	CHECK(m == h->next && link == &h->next);
	CHECK(ipc_msg_select(&h, -4, 0, NULL)->type == 1);
	CHECK(ipc_msg_select(&h, -2, 0, NULL)->type == 1);
	CHECK(ipc_msg_select(&h, -1, 0, NULL)->type == 1);
	CHECK(ipc_msg_select(&h, 5, MSG_EXCEPT, NULL)->type == 3);
	CHECK(ipc_msg_select(&h, 4, 0, NULL) == NULL);
	CHECK(ipc_msg_select(&h, LONG_MIN, 0, NULL)->type == 1); /* -LONG_MIN: every type */
	struct ipc_msg *empty = NULL;
	CHECK(ipc_msg_select(&empty, 0, 0, NULL) == NULL);
	free_list(h);
}

TEST(msg_select_model)
{
	srand(7);
	for (int round = 0; round < 20000; round++) {
		int n = rand() % 12;
		long types[12];
		struct ipc_msg *h = NULL, **tail = &h;
		for (int i = 0; i < n; i++) {
			types[i] = 1 + rand() % 6;
			*tail = mk(types[i], NULL);
			tail = &(*tail)->next;
		}
		long type = rand() % 15 - 7;
		int flags = rand() % 2 ? MSG_EXCEPT : 0;
		struct ipc_msg **link = NULL;
		struct ipc_msg *got = ipc_msg_select(&h, type, flags, &link);
		int want = model(types, n, type, flags);
		int idx = -1, i = 0;
		for (struct ipc_msg *m = h; m; m = m->next, i++)
			if (m == got)
				idx = i;
		if (idx != want) {
			unit_fail(__FILE__, __LINE__, "round %d: type %ld flags %d picked %d, expected %d", round,
				  type, flags, idx, want);
			free_list(h);
			return;
		}
		CHECK(!got || *link == got);
		free_list(h);
	}
}
