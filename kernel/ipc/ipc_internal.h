/*
 * What the System V mechanisms (shm.c, msg.c, sem.c) share: the permission block every object
 * starts with, the key/id tables, Linux's ipcperms rule, and the message-type selection of
 * msgrcv. The pure parts (ipc_util.c) take no locks and touch no process, so the host unit test
 * links them alone; ipc_ids.c adds the locking and the current process's credentials.
 */
#pragma once

#include "lib/types.h"

/* Linux's values (include/uapi/linux/ipc.h, msg.h, sem.h, shm.h). */
#define IPC_PRIVATE 0
#define IPC_CREAT   01000
#define IPC_EXCL    02000
#define IPC_NOWAIT  04000
#define IPC_RMID    0
#define IPC_SET     1
#define IPC_STAT    2
#define IPC_INFO    3
#define IPC_64      0x0100 /* an old-ABI flag some libcs still pass; Linux x86_64 ignores it */

#define MSG_STAT     11
#define MSG_INFO     12
#define MSG_STAT_ANY 13
#define MSG_NOERROR  010000
#define MSG_EXCEPT   020000
#define MSG_COPY     040000

#define SEM_UNDO     0x1000
#define GETPID       11
#define GETVAL       12
#define GETALL       13
#define GETNCNT      14
#define GETZCNT      15
#define SETVAL       16
#define SETALL       17
#define SEM_STAT     18
#define SEM_INFO     19
#define SEM_STAT_ANY 20

#define SHM_RDONLY   010000
#define SHM_RND      020000
#define SHM_REMAP    040000
#define SHM_EXEC     0100000
#define SHM_LOCK     11
#define SHM_UNLOCK   12
#define SHM_STAT     13
#define SHM_INFO     14
#define SHM_STAT_ANY 15
#define SHM_DEST     01000 /* in the mode: removed, freed at the last detach */
#define SHM_LOCKED   02000

/* Linux's default limits. */
#define IPC_MNI   4096        /* objects of each kind (Linux: 32000 for msg/sem, 4096 for shm) */
#define MSGMNB    16384       /* default bytes per queue */
#define MSGMAX    8192        /* bytes per message */
#define MSGMNI    IPC_MNI
#define SEMMSL    32000       /* semaphores per set */
#define SEMOPM    500         /* operations per semop */
#define SEMVMX    32767       /* the largest semaphore value */
#define SEMAEM    SEMVMX      /* the largest undo adjustment */
#define SEMMNI    IPC_MNI
#define SHMMIN    1
#define SHMMAX    (~0ull - (1ull << 24))
#define SHMALL    (~0ull - (1ull << 24))
#define SHMMNI    IPC_MNI
#define SHMLBA    4096

/* The id of an object: seq * IPC_SEQ_MULT + slot, as Linux's ipcmni. */
#define IPC_SEQ_MULT 32768
#define IPC_SEQ_MAX  (0x7fffffff / IPC_SEQ_MULT)

/* The permission block at the start of every object (Linux's kern_ipc_perm). */
struct ipc_perm_k {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;            /* 9 permission bits, plus SHM_DEST/SHM_LOCKED for segments */
	uint32_t seq;
	int id;
	bool deleted;             /* IPC_RMID: gone from the table, waiters leave with EIDRM */
};

/* A table of one kind of object, by slot; the caller serialises (ipc_ids.c's mutex). */
struct ipc_table {
	struct ipc_perm_k **slots; /* IPC_MNI entries */
	unsigned count;            /* slots in use */
	unsigned max_used;         /* one past the highest slot ever used (for listing) */
	uint32_t next_seq;
};

/* Pure table operations. */
int ipc_table_alloc(struct ipc_table *t, struct ipc_perm_k *p); /* the new id, or -ENOSPC */
struct ipc_perm_k *ipc_table_find_id(const struct ipc_table *t, int id);
struct ipc_perm_k *ipc_table_find_key(const struct ipc_table *t, int32_t key);
void ipc_table_remove(struct ipc_table *t, struct ipc_perm_k *p);
static inline int ipc_id_slot(int id)
{
	return id % IPC_SEQ_MULT;
}

/*
 * Linux's ipcperms: flag holds the requested rwx bits in any of the three positions (0444 to
 * read, 0222 to write, or a *get's low 9 bits); owner (uid or cuid), then group (gid or cgid,
 * also supplementary groups), then others decide. 0 or -EACCES; root always passes.
 */
struct ipc_cred {
	uint32_t euid, egid;
	unsigned ngroups;
	const uint32_t *groups;
};
int ipc_perm_check(const struct ipc_perm_k *p, const struct ipc_cred *c, int flag);
/* Owner or creator, or root: who may IPC_SET and IPC_RMID. */
bool ipc_is_owner(const struct ipc_perm_k *p, const struct ipc_cred *c);

/*
 * The *get decision, given whether key names an existing object: 0 to use it, 1 to create a
 * new one (always for IPC_PRIVATE), or -ENOENT / -EEXIST.
 */
int ipc_get_decision(int32_t key, bool found, int flags);

/* A queued System V message: the header, then size bytes of text. */
struct ipc_msg {
	struct ipc_msg *next;
	long type;
	size_t size;
	char text[];
};
/*
 * msgrcv's choice in a FIFO list: type 0 the first message; type > 0 the first of that type
 * (with MSG_EXCEPT the first of any other type); type < 0 the first of the lowest type not
 * above -type. NULL when none matches; *prevp gets the link that points to the result.
 */
struct ipc_msg *ipc_msg_select(struct ipc_msg **head, long type, int flags, struct ipc_msg ***prevp);

/* ---- ipc_ids.c: the kernel side (locks, references, the caller's credentials) ---- */
#include "sched/wait.h"

/*
 * Every System V object starts with this. Lifetime: the table holds one reference until
 * IPC_RMID; each operation in progress holds one (ipc_obj_get/put). The last put calls free.
 * Locking: ids->lock guards the table (and perm.deleted); obj->lock guards the object's state
 * and is taken before ids->lock, never while holding it.
 */
struct ipc_obj {
	struct ipc_perm_k perm;
	struct mutex lock;
	int refcount;
	uint64_t gen;             /* bumped on every change a sleeper may wait for */
	struct waitqueue wait;    /* sleepers: msgrcv/msgsnd, semop */
	void (*free)(struct ipc_obj *obj);
};

struct ipc_ids {
	struct mutex lock;        /* *get, removal, listing: everything that changes the table */
	spinlock_t slot_lock;     /* also held to change a slot, so id lookups take only this */
	struct ipc_table table;
	const char *name;
};
extern struct ipc_ids ipc_shm_ids, ipc_msg_ids, ipc_sem_ids;
void ipc_ids_init(void);

/* The current process's credentials, PID and privilege (a kernel thread: root, PID 0). */
void ipc_current_cred(struct ipc_cred *c);
int ipc_caller_pid(void);
bool ipc_caller_privileged(void);
/* ipc_perm_check / ipc_is_owner for the current process. */
int ipc_check(const struct ipc_perm_k *p, int flag);
bool ipc_owner(const struct ipc_perm_k *p);

/*
 * The common *get. create(key, flags, arg) makes a new object (perm not yet filled) or returns
 * an ERR_PTR; existing(obj, arg) may refuse an object found by key (a size that does not fit):
 * 0 or -errno. Returns the id or -errno.
 */
int ipc_getobj(struct ipc_ids *ids, int32_t key, int flags, struct ipc_obj *(*create)(void *arg),
	       int (*existing)(struct ipc_obj *obj, void *arg), void *arg);
/* The object with this id, with a reference; NULL if none (-EINVAL for the caller). */
struct ipc_obj *ipc_obj_get(struct ipc_ids *ids, int id);
/* The same by slot (the *_STAT commands of ipcs). */
struct ipc_obj *ipc_obj_get_slot(struct ipc_ids *ids, int slot);
void ipc_obj_put(struct ipc_obj *obj);
/* IPC_RMID's common part (obj->lock held): out of the table, sleepers woken to see EIDRM. */
void ipc_obj_remove(struct ipc_ids *ids, struct ipc_obj *obj);
/* Wakes the sleepers of obj after a change (obj->lock held or not). */
void ipc_obj_changed(struct ipc_obj *obj);
/* Calls fn for every object of ids, in slot order (for /proc/sysvipc); fn may take obj->lock. */
void ipc_for_each(struct ipc_ids *ids, void (*fn)(struct ipc_obj *obj, void *ctx), void *ctx);

/* struct ipc64_perm as Linux x86_64 passes it. */
struct ipc64_perm_u {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;
	uint16_t seq, pad2;
	uint64_t unused1, unused2;
};
_Static_assert(sizeof(struct ipc64_perm_u) == 48, "struct ipc64_perm");
void ipc_perm_to_user(const struct ipc_perm_k *p, struct ipc64_perm_u *out);
/* IPC_SET's common part: uid, gid and the 9 permission bits; -EPERM unless owner. */
int ipc_perm_set(struct ipc_perm_k *p, const struct ipc64_perm_u *in);
/* Seconds since the epoch, for the *_time fields. */
int64_t ipc_now(void);

/* Sleeping until an object changes: wait_interruptible_until's condition. */
struct ipc_gen_wait {
	struct ipc_obj *obj;
	uint64_t seen;
};
bool ipc_gen_changed(void *arg);

/* ---- the mechanisms, for the system-call glue (kernel buffers; -errno) ---- */
struct msqid64_ds_u {
	struct ipc64_perm_u msg_perm;
	int64_t msg_stime, msg_rtime, msg_ctime;
	uint64_t msg_cbytes, msg_qnum, msg_qbytes;
	int32_t msg_lspid, msg_lrpid;
	uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct msqid64_ds_u) == 120, "struct msqid64_ds");
struct msginfo_u {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};
int msg_get(int32_t key, int flags);
int msg_send(int id, long type, const void *text, size_t size, int flags);
/* The text length received (at most bufsize), its type in *type_out. */
ssize_t msg_receive(int id, long type, void *buf, size_t bufsize, int flags, long *type_out);
/* IPC_STAT/MSG_STAT(_ANY) fill *ds, IPC_SET reads it, IPC_INFO/MSG_INFO fill *info. */
int msg_ctl(int id, int cmd, struct msqid64_ds_u *ds, struct msginfo_u *info);

struct semid64_ds_u {
	struct ipc64_perm_u sem_perm;
	int64_t sem_otime;
	uint64_t unused1;
	int64_t sem_ctime;
	uint64_t unused2;
	uint64_t sem_nsems;
	uint64_t unused3, unused4;
};
_Static_assert(sizeof(struct semid64_ds_u) == 104, "struct semid64_ds");
struct seminfo_u {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};
struct sembuf_u {
	uint16_t sem_num;
	int16_t sem_op;
	int16_t sem_flg;
};
int sem_get(int32_t key, int nsems, int flags);
/* deadline_ns: monotonic, 0 for none (semop). */
int sem_op(int id, const struct sembuf_u *ops, unsigned nsops, uint64_t deadline_ns);
/* The number of semaphores in the set (for SETALL/GETALL buffers), or -errno. */
int sem_nsems(int id);
/*
 * semctl: val is SETVAL's value, vals GETALL's/SETALL's array (nsems entries), ds for
 * IPC_STAT/SEM_STAT/IPC_SET, info for IPC_INFO/SEM_INFO.
 */
int sem_ctl(int id, int num, int cmd, int val, uint16_t *vals, struct semid64_ds_u *ds,
	    struct seminfo_u *info);

struct shmid64_ds_u {
	struct ipc64_perm_u shm_perm;
	uint64_t shm_segsz;
	int64_t shm_atime, shm_dtime, shm_ctime;
	int32_t shm_cpid, shm_lpid;
	uint64_t shm_nattch;
	uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct shmid64_ds_u) == 112, "struct shmid64_ds");
struct shminfo64_u {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};
struct shm_info_u {
	int32_t used_ids;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};
int shm_get(int32_t key, uint64_t size, int flags);
/* The address attached, or -errno. */
int64_t shm_attach(int id, uint64_t addr, int flags);
int shm_detach(uint64_t addr);
/* ds for IPC_STAT/SHM_STAT/IPC_SET; info (a shminfo64_u or shm_info_u) for IPC_INFO/SHM_INFO. */
int shm_ctl(int id, int cmd, struct shmid64_ds_u *ds, void *info);

/* ---- mqueue.c, for sys_mqueue.c ---- */
struct file;
struct mq_attr_u {
	int64_t mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs;
	int64_t reserved[4];
};
struct sigevent_u {
	uint64_t sigev_value;
	int32_t sigev_signo, sigev_notify;
	int32_t pad[12];
};
#define SIGEV_SIGNAL 0
#define SIGEV_NONE   1
#define SIGEV_THREAD 2
#define MQ_PRIO_MAX  32768
int mqueue_init(void);
/* The queue named name (no '/'), opened with oflag; attr for O_CREAT (NULL: defaults). */
int mq_open_file(const char *name, int oflag, uint32_t mode, const struct mq_attr_u *attr, struct file **out);
int mq_unlink_name(const char *name);
bool file_is_mqueue(const struct file *f);
/* deadline_ns: monotonic; 0 for none. */
int mq_send(struct file *f, const void *msg, size_t len, unsigned prio, uint64_t deadline_ns);
ssize_t mq_receive(struct file *f, void *buf, size_t len, unsigned *prio, uint64_t deadline_ns);
/* ev NULL: remove this process's registration. */
int mq_notify_set(struct file *f, const struct sigevent_u *ev);
void mq_getattr(struct file *f, struct mq_attr_u *out);
