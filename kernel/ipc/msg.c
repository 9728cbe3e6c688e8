/*
 * System V message queues: a FIFO list of typed messages per queue, bounded by msg_qbytes
 * bytes (MSGMNB by default) and as many messages. msgsnd sleeps while the queue is full,
 * msgrcv while nothing matches its type; both wake on the queue's generation counter, which
 * every change bumps, and leave with EIDRM when the queue is removed under them.
 */
#include "ipc/ipc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"

/*
 * qlock (a spinlock) guards the messages, the counters and `removed`: sends and receives only
 * move pointers under it (texts are copied outside), and a spinlock does not convoy the way the
 * handing-over mutex does when 9 processes hammer one queue. obj.lock only serialises msgctl.
 * Receivers sleep on obj.wait (obj.gen: a message arrived), senders on room_wait (room_gen:
 * room was made), so that a receive wakes only senders and a send only receivers. IPC_RMID
 * and IPC_SET bump and wake both.
 */
struct msg_queue {
	struct ipc_obj obj;       /* first: the table points here */
	spinlock_t qlock;
	bool removed;             /* IPC_RMID, under qlock: sleepers see it after their wake-up */
	struct waitqueue room_wait;
	uint64_t room_gen;
	struct ipc_msg *head;
	struct ipc_msg **tailp;   /* the last message's next field (&head when empty): O(1) sends */
	uint64_t cbytes, qnum, qbytes;
	int64_t stime, rtime, ctime;
	int lspid, lrpid;
};

#define MQ(o) ((struct msg_queue *)(o))

bool ipc_gen_changed(void *arg)
{
	struct ipc_gen_wait *w = arg;
	return __atomic_load_n(&w->obj->gen, __ATOMIC_ACQUIRE) != w->seen;
}

static void msq_free(struct ipc_obj *obj)
{
	struct msg_queue *q = MQ(obj);
	while (q->head) {
		struct ipc_msg *m = q->head;
		q->head = m->next;
		kfree(m);
	}
	kfree(q);
}

static struct ipc_obj *msq_create(void *arg)
{
	(void)arg;
	struct msg_queue *q = kzalloc(sizeof(*q));
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->obj.free = msq_free;
	waitqueue_init(&q->room_wait);
	q->qlock = (spinlock_t)SPINLOCK_INIT;
	q->tailp = &q->head;
	q->qbytes = MSGMNB;
	q->ctime = ipc_now();
	return &q->obj;
}

int msg_get(int32_t key, int flags)
{
	return ipc_getobj(&ipc_msg_ids, key, flags, msq_create, NULL, NULL);
}

/* Sleeps until the queue changes after gen `seen` was read: 0, or -ERESTARTNOHAND on a signal. */
static int wait_change(struct ipc_obj *obj, uint64_t seen)
{
	struct ipc_gen_wait w = { obj, seen };
	return wait_interruptible_until(&obj->wait, ipc_gen_changed, &w, 0) ? -ERESTARTNOHAND : 0;
}

struct room_wait {
	struct msg_queue *q;
	uint64_t seen;
};

static bool room_changed(void *arg)
{
	struct room_wait *w = arg;
	return __atomic_load_n(&w->q->room_gen, __ATOMIC_ACQUIRE) != w->seen;
}

static int wait_room(struct msg_queue *q, uint64_t seen)
{
	struct room_wait w = { q, seen };
	return wait_interruptible_until(&q->room_wait, room_changed, &w, 0) ? -ERESTARTNOHAND : 0;
}

static void room_made(struct msg_queue *q)
{
	__atomic_add_fetch(&q->room_gen, 1, __ATOMIC_ACQ_REL);
	wake_up_all(&q->room_wait);
}

int msg_send(int id, long type, const void *text, size_t size, int flags)
{
	if (type < 1 || size > MSGMAX || id < 0)
		return -EINVAL;
	struct ipc_msg *m = kmalloc(sizeof(*m) + size);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->type = type;
	m->size = size;
	memcpy(m->text, text, size);
	struct ipc_obj *obj = ipc_obj_get(&ipc_msg_ids, id);
	if (!obj) {
		kfree(m);
		return -EINVAL;
	}
	struct msg_queue *q = MQ(obj);
	int err;
	bool woke = false;
	for (;;) {
		spin_lock(&q->qlock);
		if (q->removed) {
			err = -EIDRM;
			break;
		}
		if ((err = ipc_check(&obj->perm, 0222)))
			break;
		if (size + q->cbytes <= q->qbytes && q->qnum + 1 <= q->qbytes) {
			*q->tailp = m;
			q->tailp = &m->next;
			m = NULL;
			q->cbytes += size;
			q->qnum++;
			q->lspid = ipc_caller_pid();
			q->stime = ipc_now();
			__atomic_add_fetch(&obj->gen, 1, __ATOMIC_ACQ_REL);
			woke = true;
			break;
		}
		if (flags & IPC_NOWAIT) {
			err = -EAGAIN;
			break;
		}
		uint64_t seen = q->room_gen;
		spin_unlock(&q->qlock);
		if ((err = wait_room(q, seen))) {
			ipc_obj_put(obj);
			kfree(m);
			return err;
		}
	}
	spin_unlock(&q->qlock);
	if (woke)
		wake_up_all(&obj->wait); /* the receivers */
	ipc_obj_put(obj);
	kfree(m);
	return err;
}

ssize_t msg_receive(int id, long type, void *buf, size_t bufsize, int flags, long *type_out)
{
	if (id < 0)
		return -EINVAL;
	bool copy = flags & MSG_COPY; /* checkpoint/restore: a copy of the message at index type */
	if (copy && ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT)))
		return -EINVAL;
	struct ipc_obj *obj = ipc_obj_get(&ipc_msg_ids, id);
	if (!obj)
		return -EINVAL;
	struct msg_queue *q = MQ(obj);
	struct ipc_msg *m = NULL;
	ssize_t err;
	for (;;) {
		spin_lock(&q->qlock);
		if (q->removed) {
			err = -EIDRM;
			break;
		}
		if ((err = ipc_check(&obj->perm, 0444)))
			break;
		struct ipc_msg **link;
		if (copy) {
			m = q->head;
			for (long i = 0; m && i < type; i++)
				m = m->next;
			if (m && m->size > bufsize && !(flags & MSG_NOERROR)) {
				m = NULL;
				err = -E2BIG;
			} else if (m) {
				size_t n = m->size < bufsize ? m->size : bufsize;
				memcpy(buf, m->text, n); /* under the lock: the message stays queued */
				*type_out = m->type;
				err = (ssize_t)n;
				m = NULL;
			} else {
				err = -ENOMSG;
			}
			break;
		}
		m = ipc_msg_select(&q->head, type, flags, &link);
		if (m) {
			if (m->size > bufsize && !(flags & MSG_NOERROR)) {
				m = NULL;
				err = -E2BIG; /* the message stays queued */
				break;
			}
			*link = m->next;
			if (q->tailp == &m->next)
				q->tailp = link;
			q->cbytes -= m->size;
			q->qnum--;
			q->lrpid = ipc_caller_pid();
			q->rtime = ipc_now();
			__atomic_add_fetch(&q->room_gen, 1, __ATOMIC_ACQ_REL);
			break;
		}
		if (flags & IPC_NOWAIT) {
			err = -ENOMSG;
			break;
		}
		uint64_t seen = obj->gen;
		spin_unlock(&q->qlock);
		if ((err = wait_change(obj, seen))) {
			ipc_obj_put(obj);
			return err;
		}
	}
	spin_unlock(&q->qlock);
	if (m)
		wake_up_all(&q->room_wait); /* the senders */
	ipc_obj_put(obj);
	if (!m)
		return err;
	size_t n = m->size < bufsize ? m->size : bufsize; /* MSG_NOERROR truncates */
	memcpy(buf, m->text, n);
	*type_out = m->type;
	kfree(m);
	return (ssize_t)n;
}

static void fill_info(struct msginfo_u *info, bool usage)
{
	memset(info, 0, sizeof(*info));
	info->msgmni = MSGMNI;
	info->msgmax = MSGMAX;
	info->msgmnb = MSGMNB;
	info->msgssz = 16;
	info->msgseg = 0xffff;
	info->msgpool = MSGMNI * MSGMNB / 1024; /* Linux's formula (kilobytes) */
	info->msgmap = info->msgtql = MSGMNB;
	if (usage) {
		/* MSG_INFO: queues in use, total messages and bytes. */
		mutex_lock(&ipc_msg_ids.lock);
		info->msgpool = (int32_t)ipc_msg_ids.table.count;
		for (unsigned i = 0; i < ipc_msg_ids.table.max_used; i++) {
			struct msg_queue *q = (struct msg_queue *)ipc_msg_ids.table.slots[i];
			if (q) {
				info->msgmap += (int32_t)q->qnum;
				info->msgtql += (int32_t)q->cbytes;
			}
		}
		mutex_unlock(&ipc_msg_ids.lock);
	}
}

static void fill_stat(struct msg_queue *q, struct msqid64_ds_u *ds)
{
	memset(ds, 0, sizeof(*ds));
	ipc_perm_to_user(&q->obj.perm, &ds->msg_perm);
	ds->msg_stime = q->stime;
	ds->msg_rtime = q->rtime;
	ds->msg_ctime = q->ctime;
	ds->msg_cbytes = q->cbytes;
	ds->msg_qnum = q->qnum;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

int msg_ctl(int id, int cmd, struct msqid64_ds_u *ds, struct msginfo_u *info)
{
	if (cmd == IPC_INFO || cmd == MSG_INFO) {
		fill_info(info, cmd == MSG_INFO);
		mutex_lock(&ipc_msg_ids.lock);
		int top = ipc_msg_ids.table.max_used ? (int)ipc_msg_ids.table.max_used - 1 : 0;
		mutex_unlock(&ipc_msg_ids.lock);
		return top;
	}
	if (id < 0)
		return -EINVAL;
	bool by_slot = cmd == MSG_STAT || cmd == MSG_STAT_ANY;
	if (!by_slot && cmd != IPC_STAT && cmd != IPC_SET && cmd != IPC_RMID)
		return -EINVAL;
	struct ipc_obj *obj = by_slot ? ipc_obj_get_slot(&ipc_msg_ids, id) : ipc_obj_get(&ipc_msg_ids, id);
	if (!obj)
		return -EINVAL;
	struct msg_queue *q = MQ(obj);
	int ret = 0;
	mutex_lock(&obj->lock);
	if (obj->perm.deleted) {
		ret = by_slot ? -EINVAL : -EIDRM;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		if (cmd != MSG_STAT_ANY && (ret = ipc_check(&obj->perm, 0444)))
			break;
		spin_lock(&q->qlock);
		fill_stat(q, ds);
		spin_unlock(&q->qlock);
		ret = by_slot ? obj->perm.id : 0;
		break;
	case IPC_SET:
		if (!ipc_owner(&obj->perm)) {
			ret = -EPERM;
			break;
		}
		if (ds->msg_qbytes > MSGMNB && !ipc_caller_privileged()) {
			ret = -EPERM;
			break;
		}
		spin_lock(&q->qlock);
		ret = ipc_perm_set(&obj->perm, &ds->msg_perm);
		if (!ret) {
			q->qbytes = ds->msg_qbytes;
			q->ctime = ipc_now();
		}
		spin_unlock(&q->qlock);
		if (!ret)
			room_made(q); /* a larger queue may take a waiting sender's message */
		break;
	case IPC_RMID:
		if (!ipc_owner(&obj->perm)) {
			ret = -EPERM;
			break;
		}
		spin_lock(&q->qlock);
		q->removed = true;
		spin_unlock(&q->qlock);
		ipc_obj_remove(&ipc_msg_ids, obj); /* wakes receivers */
		room_made(q);
		break;
	}
out:
	mutex_unlock(&obj->lock);
	ipc_obj_put(obj);
	return ret;
}

static void msg_line(struct ipc_obj *obj, void *ctx)
{
	struct sbuf *f = ctx;
	struct msg_queue *q = MQ(obj);
	const struct ipc_perm_k *p = &obj->perm;
	sb_printf(f, "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n",
		  p->key, p->id, p->mode, (unsigned long)q->cbytes, (unsigned long)q->qnum,
		  q->lspid, q->lrpid, p->uid, p->gid, p->cuid, p->cgid,
		  (unsigned long long)q->stime, (unsigned long long)q->rtime,
		  (unsigned long long)q->ctime);
}

size_t ipc_format_proc_msg(char *buf, size_t size)
{
	struct sbuf f = SB(buf, size);
	sb_printf(&f, "       key      msqid perms      cbytes       qnum lspid lrpid   uid"
		  "   gid  cuid  cgid      stime      rtime      ctime\n");
	ipc_for_each(&ipc_msg_ids, msg_line, &f);
	return sb_done(&f);
}
