/*
 * futex(2): WAIT, WAKE, WAIT_BITSET, WAKE_BITSET, REQUEUE, CMP_REQUEUE; private and shared.
 * A futex is identified by a key: (address space, address) when FUTEX_PRIVATE_FLAG says only
 * this process's threads use it, else the physical address of the word, so that processes
 * mapping the same page meet. Waiters sit in a hashed table of buckets, each with a mutex (a
 * sleeping lock, because reading the user word may fault).
 */
#include "proc/futex.h"

#include "arch/x86_64/memlayout.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

#define FUTEX_WAIT        0
#define FUTEX_WAKE        1
#define FUTEX_REQUEUE     3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP     5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define BUCKETS 64

struct futex_key {
	uint64_t a, b; /* (mm, uaddr) or (physical address, 0) */
};

struct futex_waiter {
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	struct waitqueue wq;
	struct futex_waiter *next;
};

static struct bucket {
	struct mutex lock;
	struct futex_waiter *head;
} buckets[BUCKETS];

static struct bucket *bucket_of(const struct futex_key *k)
{
	uint64_t h = (k->a ^ (k->b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return &buckets[(h >> 32) % BUCKETS];
}

void futex_init(void)
{
	for (int i = 0; i < BUCKETS; i++)
		mutex_init(&buckets[i].lock);
}

static int make_key(uint64_t uaddr, bool private, struct futex_key *k)
{
	if (uaddr & 3)
		return -EINVAL;
	struct mm *mm = current_process()->mm;
	if (private) {
		*k = (struct futex_key){ (uint64_t)mm, uaddr };
		return 0;
	}
	/* Shared: the physical word, faulted in (writable, so a COW copy is made first). */
	if (mm_populate(mm, uaddr, 4, true) < 0)
		return -EFAULT;
	paddr_t pa;
	mutex_lock(&mm->lock);
	int err = pgt_get(mm->root, uaddr & ~0xfffull, &pa, NULL);
	mutex_unlock(&mm->lock);
	if (err)
		return -EFAULT;
	*k = (struct futex_key){ pa + (uaddr & 0xfff), 0 };
	return 0;
}

static bool key_eq(const struct futex_key *x, const struct futex_key *y)
{
	return x->a == y->a && x->b == y->b;
}

static bool waiter_woken(void *arg)
{
	return __atomic_load_n(&((struct futex_waiter *)arg)->woken, __ATOMIC_ACQUIRE);
}

static void unlink_waiter(struct bucket *b, struct futex_waiter *w)
{
	for (struct futex_waiter **pp = &b->head; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

static int futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset, bool private)
{
	if (!bitset)
		return -EINVAL;
	struct futex_waiter w = { .bitset = bitset };
	int err = make_key(uaddr, private, &w.key);
	if (err)
		return err;
	waitqueue_init(&w.wq);
	struct bucket *b = bucket_of(&w.key);
	mutex_lock(&b->lock);
	uint32_t cur;
	if (get_user(cur, (uint32_t *)uaddr)) {
		mutex_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	w.next = b->head;
	b->head = &w;
	mutex_unlock(&b->lock);

	int r = wait_interruptible_until(&w.wq, waiter_woken, &w, deadline);
	mutex_lock(&b->lock);
	/* A requeue may have moved it to another bucket: look in both. */
	if (!w.woken) {
		unlink_waiter(b, &w);
		struct bucket *nb = bucket_of(&w.key);
		if (nb != b) {
			mutex_unlock(&b->lock);
			mutex_lock(&nb->lock);
			unlink_waiter(nb, &w);
			b = nb;
		}
	}
	bool woken = w.woken;
	mutex_unlock(&b->lock);
	if (woken)
		return 0;
	return r == -EINTR ? (deadline ? -EINTR : -ERESTARTSYS) : r;
}

static int wake_key(const struct futex_key *k, int n, uint32_t bitset)
{
	struct bucket *b = bucket_of(k);
	int woke = 0;
	mutex_lock(&b->lock);
	for (struct futex_waiter **pp = &b->head; *pp && woke < n;) {
		struct futex_waiter *w = *pp;
		if (key_eq(&w->key, k) && (w->bitset & bitset)) {
			*pp = w->next;
			__atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
			wake_up_all(&w->wq);
			woke++;
		} else {
			pp = &w->next;
		}
	}
	mutex_unlock(&b->lock);
	return woke;
}

int futex_wake(uint64_t uaddr, int n, int flags)
{
	struct futex_key k;
	int woke = 0;
	/* FUTEX_ANY: the thread library may have waited either way. */
	if ((flags == FUTEX_ANY || (flags & FUTEX_PRIVATE_FLAG)) && make_key(uaddr, true, &k) == 0)
		woke += wake_key(&k, n, FUTEX_BITSET_MATCH_ANY);
	if ((flags == FUTEX_ANY || !(flags & FUTEX_PRIVATE_FLAG)) && woke < n && make_key(uaddr, false, &k) == 0)
		woke += wake_key(&k, n - woke, FUTEX_BITSET_MATCH_ANY);
	return woke;
}

static int futex_requeue(uint64_t uaddr, uint64_t uaddr2, int nwake, int nmove, bool cmp, uint32_t val3,
			 bool private)
{
	struct futex_key k1, k2;
	int err = make_key(uaddr, private, &k1);
	if (!err)
		err = make_key(uaddr2, private, &k2);
	if (err)
		return err;
	struct bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
	/* Lock in address order so two requeues cannot deadlock. */
	struct bucket *first = b1 < b2 ? b1 : b2, *second = b1 < b2 ? b2 : b1;
	mutex_lock(&first->lock);
	if (second != first)
		mutex_lock(&second->lock);
	int done = 0;
	if (cmp) {
		uint32_t cur;
		if (get_user(cur, (uint32_t *)uaddr)) {
			done = -EFAULT;
			goto out;
		}
		if (cur != val3) {
			done = -EAGAIN;
			goto out;
		}
	}
	int woke = 0, moved = 0;
	for (struct futex_waiter **pp = &b1->head; *pp;) {
		struct futex_waiter *w = *pp;
		if (!key_eq(&w->key, &k1)) {
			pp = &w->next;
			continue;
		}
		if (woke < nwake) {
			*pp = w->next;
			__atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
			wake_up_all(&w->wq);
			woke++;
		} else if (moved < nmove) {
			*pp = w->next;
			w->key = k2;
			w->next = b2->head;
			b2->head = w;
			moved++;
		} else {
			break;
		}
	}
	done = woke + moved;
out:
	if (second != first)
		mutex_unlock(&second->lock);
	mutex_unlock(&first->lock);
	return done;
}

struct kernel_timespec {
	int64_t sec, nsec;
};

static int64_t sys_futex(uint32_t *uaddr, int op, uint32_t val, const struct kernel_timespec *utime,
			 uint32_t *uaddr2, uint32_t val3)
{
	bool private = op & FUTEX_PRIVATE_FLAG;
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	uint64_t deadline = 0;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && utime) {
		struct kernel_timespec ts;
		if (copy_from_user(&ts, utime, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
		uint64_t now = clock_monotonic_ns();
		if (cmd == FUTEX_WAIT) {
			deadline = now + ns;
		} else if (op & FUTEX_CLOCK_REALTIME) { /* an absolute realtime deadline */
			uint64_t rt = clock_realtime_ns();
			deadline = ns > rt ? now + (ns - rt) : now;
		} else {
			deadline = ns;
		}
		if (!deadline)
			deadline = 1;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait((uint64_t)uaddr, val, deadline, FUTEX_BITSET_MATCH_ANY, private);
	case FUTEX_WAIT_BITSET:
		return futex_wait((uint64_t)uaddr, val, deadline, val3, private);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		struct futex_key k;
		int err = make_key((uint64_t)uaddr, private, &k);
		if (err)
			return err;
		return wake_key(&k, (int)MIN(val, 0x7fffffffu), cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3);
	}
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue((uint64_t)uaddr, (uint64_t)uaddr2, (int)MIN(val, 0x7fffffffu),
				     (int)MIN((uint64_t)utime, 0x7fffffffull), cmd == FUTEX_CMP_REQUEUE, val3, private);
	default:
		return -ENOSYS;
	}
}
SYSCALL(202, futex);
