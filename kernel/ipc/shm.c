/*
 * System V shared memory. A segment is an array of pages allocated on first touch, served to
 * the page-fault path through a file: each shmat makes a file (struct shm_attach in its
 * private data) and maps it MAP_SHARED, so fork's VMA copies and exit's and exec's unmapping
 * count attachments for free. A segment's nattch is the sum of its attach files' references
 * (one per VMA, as Linux counts). IPC_RMID with attachments marks the segment SHM_DEST and
 * makes it private; the last detach removes it.
 */
#include "ipc/ipc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sbuf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "proc/process.h"

struct shm_attach {
	struct shm_segment *seg;
	struct file *file;
	struct shm_attach *next;
};

struct shm_segment {
	struct ipc_obj obj;       /* first: the table points here */
	uint64_t size;
	uint64_t npages;
	void **pages;             /* kernel addresses, NULL until touched (obj.lock) */
	bool pages_vmalloced;
	struct inode *inode;      /* what the attach files point at */
	struct shm_attach *attaches;
	int64_t atime, dtime, ctime;
	int cpid, lpid;
};

#define SEG(o) ((struct shm_segment *)(o))

/* Pages of all segments together: at most RAM (Linux's SHMALL check, -ENOSPC), so that page
 * arrays and lazily filled segments cannot promise more memory than exists. */
static uint64_t shm_total_pages;

static const struct file_ops shm_fops;
static void shm_evict(struct inode *inode)
{
	kfree(inode);
}
static const struct super_ops shm_sops = { .evict_inode = shm_evict };
static struct fs_type shmfs_type = { .name = "sysvshm" };
static struct super_block shm_sb = { .type = &shmfs_type, .sop = &shm_sops, .block_size = 4096 };

static void seg_free(struct ipc_obj *obj)
{
	struct shm_segment *s = SEG(obj);
	__atomic_sub_fetch(&shm_total_pages, s->npages, __ATOMIC_RELAXED);
	if (s->pages) {
		for (uint64_t i = 0; i < s->npages; i++)
			if (s->pages[i])
				page_ref_put(virt_to_page(s->pages[i])); /* a mapping may still hold it */
		if (s->pages_vmalloced)
			vfree(s->pages);
		else
			kfree(s->pages);
	}
	if (s->inode)
		inode_put(s->inode);
	kfree(s);
}

static struct ipc_obj *seg_create(void *arg)
{
	uint64_t size = *(uint64_t *)arg;
	if (size < SHMMIN || size > SHMMAX)
		return ERR_PTR(-EINVAL);
	uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (__atomic_load_n(&shm_total_pages, __ATOMIC_RELAXED) + npages > pmm_total_count())
		return ERR_PTR(-ENOSPC);
	struct shm_segment *s = kzalloc(sizeof(*s));
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->obj.free = seg_free;
	s->size = size;
	s->npages = npages;
	__atomic_add_fetch(&shm_total_pages, npages, __ATOMIC_RELAXED);
	size_t bytes = npages * sizeof(void *);
	s->pages_vmalloced = bytes > 16 * PAGE_SIZE;
	s->pages = s->pages_vmalloced ? vmalloc(bytes) : kzalloc(bytes);
	s->inode = inode_alloc(&shm_sb);
	if (!s->pages || !s->inode) {
		seg_free(&s->obj);
		return ERR_PTR(-ENOMEM);
	}
	if (s->pages_vmalloced)
		memset(s->pages, 0, bytes);
	s->inode->mode = S_IFREG | 0600;
	s->inode->size = size;
	s->inode->private = s;
	s->inode->fop = &shm_fops;
	s->cpid = ipc_caller_pid();
	s->ctime = ipc_now();
	return &s->obj;
}

static int seg_existing(struct ipc_obj *obj, void *arg)
{
	return *(uint64_t *)arg > SEG(obj)->size ? -EINVAL : 0;
}

int shm_get(int32_t key, uint64_t size, int flags)
{
	return ipc_getobj(&ipc_shm_ids, key, flags, seg_create, seg_existing, &size);
}

/* obj.lock held. */
static uint64_t nattch(const struct shm_segment *s)
{
	uint64_t n = 0;
	for (const struct shm_attach *a = s->attaches; a; a = a->next)
		n += (uint64_t)__atomic_load_n(&a->file->refcount, __ATOMIC_ACQUIRE);
	return n;
}

static int shm_get_page(struct file *f, uint64_t index, paddr_t *pa)
{
	struct shm_segment *s = ((struct shm_attach *)f->private)->seg;
	if (index >= s->npages)
		return -ENXIO;
	mutex_lock(&s->obj.lock);
	if (!s->pages[index] && !(s->pages[index] = pmm_alloc_virt(0, GFP_ZERO))) {
		mutex_unlock(&s->obj.lock);
		return -ENOMEM;
	}
	struct page *pg = virt_to_page(s->pages[index]);
	page_ref_get(pg);
	*pa = page_to_phys(pg);
	mutex_unlock(&s->obj.lock);
	return 0;
}

/* The attach file's last reference (shmdt, munmap, exit, exec). */
static void shm_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct shm_attach *at = f->private;
	struct shm_segment *s = at->seg;
	mutex_lock(&s->obj.lock);
	for (struct shm_attach **pp = &s->attaches; *pp; pp = &(*pp)->next)
		if (*pp == at) {
			*pp = at->next;
			break;
		}
	s->dtime = ipc_now();
	if (ipc_caller_pid())
		s->lpid = ipc_caller_pid();
	if ((s->obj.perm.mode & SHM_DEST) && !s->obj.perm.deleted && nattch(s) == 0)
		ipc_obj_remove(&ipc_shm_ids, &s->obj);
	mutex_unlock(&s->obj.lock);
	kfree(at);
	ipc_obj_put(&s->obj);
}

static const struct file_ops shm_fops = { .get_page = shm_get_page, .release = shm_release };

int64_t shm_attach(int id, uint64_t addr, int flags)
{
	if (id < 0)
		return -EINVAL;
	if (addr & (SHMLBA - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~(uint64_t)(SHMLBA - 1);
	}
	struct ipc_obj *obj = ipc_obj_get(&ipc_shm_ids, id);
	if (!obj)
		return -EINVAL;
	struct shm_segment *s = SEG(obj);
	bool rdonly = flags & SHM_RDONLY;
	int want = 0444 | (rdonly ? 0 : 0222) | ((flags & SHM_EXEC) ? 0111 : 0);
	struct shm_attach *at = kzalloc(sizeof(*at));
	int64_t err = at ? 0 : -ENOMEM;
	mutex_lock(&obj->lock);
	if (!err && obj->perm.deleted)
		err = -EIDRM;
	if (!err)
		err = ipc_check(&obj->perm, want);
	if (!err && !(at->file = vfs_anon_file(s->inode, &shm_fops, rdonly ? O_RDONLY : O_RDWR)))
		err = -ENOMEM;
	if (err) {
		mutex_unlock(&obj->lock);
		kfree(at);
		ipc_obj_put(obj);
		return err;
	}
	at->seg = s; /* the attach file now owns the reference ipc_obj_get took */
	at->file->private = at;
	at->next = s->attaches;
	s->attaches = at;
	s->atime = ipc_now();
	s->lpid = ipc_caller_pid();
	uint64_t len = s->npages * PAGE_SIZE;
	mutex_unlock(&obj->lock);

	unsigned prot = PROT_READ | (rdonly ? 0 : PROT_WRITE) | ((flags & SHM_EXEC) ? PROT_EXEC : 0);
	unsigned mflags = MAP_SHARED | (addr ? ((flags & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	int64_t r = mm_mmap(current_process()->mm, addr, len, prot, mflags, at->file, 0);
	file_put(at->file); /* the VMA holds it now, or, on failure, this detaches again */
	return r == -EEXIST ? -EINVAL : r;
}

int shm_detach(uint64_t addr)
{
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	struct mm *mm = current_process()->mm;
	/* Linux's rule: the VMA at addr must map a segment from offset 0; then every VMA of the
	 * same attach within the segment's length from addr goes (pieces mprotect split off too),
	 * and nothing else there. */
	enum { MAX_PIECES = 16 };
	uint64_t start[MAX_PIECES], end[MAX_PIECES];
	int n = 0;
	mutex_lock(&mm->lock);
	struct vma *v = vma_find(mm, addr);
	if (v && v->start == addr && v->file && v->file->fop == &shm_fops && v->file_off == 0) {
		struct file *f = v->file;
		uint64_t limit = addr + ((struct shm_attach *)f->private)->seg->npages * PAGE_SIZE;
		for (; v && v->start < limit && n < MAX_PIECES; v = v->next)
			if (v->file == f) {
				start[n] = v->start;
				end[n++] = v->end < limit ? v->end : limit;
			}
	}
	mutex_unlock(&mm->lock);
	if (!n)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		mm_munmap(mm, start[i], end[i] - start[i]);
	return 0;
}

static void fill_stat(struct shm_segment *s, struct shmid64_ds_u *ds)
{
	memset(ds, 0, sizeof(*ds));
	ipc_perm_to_user(&s->obj.perm, &ds->shm_perm);
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = nattch(s);
}

static uint64_t seg_rss(const struct shm_segment *s)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < s->npages; i++)
		n += s->pages[i] != NULL;
	return n;
}

static int shm_info(int cmd, void *info)
{
	mutex_lock(&ipc_shm_ids.lock);
	int top = ipc_shm_ids.table.max_used ? (int)ipc_shm_ids.table.max_used - 1 : 0;
	if (cmd == IPC_INFO) {
		struct shminfo64_u *i = info;
		memset(i, 0, sizeof(*i));
		i->shmmax = SHMMAX;
		i->shmmin = SHMMIN;
		i->shmmni = SHMMNI;
		i->shmseg = SHMMNI;
		i->shmall = SHMALL;
	} else {
		struct shm_info_u *i = info;
		memset(i, 0, sizeof(*i));
		i->used_ids = (int32_t)ipc_shm_ids.table.count;
		for (unsigned k = 0; k < ipc_shm_ids.table.max_used; k++) {
			struct shm_segment *s = SEG(ipc_shm_ids.table.slots[k]);
			if (s) {
				i->shm_tot += s->npages;
				i->shm_rss += seg_rss(s);
			}
		}
	}
	mutex_unlock(&ipc_shm_ids.lock);
	return top;
}

int shm_ctl(int id, int cmd, struct shmid64_ds_u *ds, void *info)
{
	if (cmd == IPC_INFO || cmd == SHM_INFO)
		return shm_info(cmd, info);
	if (id < 0)
		return -EINVAL;
	bool by_slot = cmd == SHM_STAT || cmd == SHM_STAT_ANY;
	struct ipc_obj *obj = by_slot ? ipc_obj_get_slot(&ipc_shm_ids, id) : ipc_obj_get(&ipc_shm_ids, id);
	if (!obj)
		return -EINVAL;
	struct shm_segment *s = SEG(obj);
	int ret = 0;
	mutex_lock(&obj->lock);
	if (obj->perm.deleted) {
		ret = by_slot ? -EINVAL : -EIDRM;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		if (cmd != SHM_STAT_ANY && (ret = ipc_check(&obj->perm, 0444)))
			break;
		fill_stat(s, ds);
		ret = by_slot ? obj->perm.id : 0;
		break;
	case IPC_SET:
		if ((ret = ipc_perm_set(&obj->perm, &ds->shm_perm)))
			break;
		s->ctime = ipc_now();
		break;
	case IPC_RMID:
		if (!ipc_owner(&obj->perm)) {
			ret = -EPERM;
			break;
		}
		if (nattch(s) == 0) {
			ipc_obj_remove(&ipc_shm_ids, obj);
		} else {
			/* Stays attachable by id until the last detach; no longer found by key. */
			mutex_lock(&ipc_shm_ids.lock);
			obj->perm.mode |= SHM_DEST;
			obj->perm.key = IPC_PRIVATE;
			mutex_unlock(&ipc_shm_ids.lock);
		}
		break;
	case SHM_LOCK:
	case SHM_UNLOCK:
		if (!ipc_owner(&obj->perm)) {
			ret = -EPERM;
			break;
		}
		if (cmd == SHM_LOCK)
			obj->perm.mode |= SHM_LOCKED; /* nothing is ever swapped out anyway */
		else
			obj->perm.mode &= ~(uint32_t)SHM_LOCKED;
		break;
	default:
		ret = -EINVAL;
	}
out:
	mutex_unlock(&obj->lock);
	ipc_obj_put(obj);
	return ret;
}

static void shm_line(struct ipc_obj *obj, void *ctx)
{
	struct sbuf *f = ctx;
	struct shm_segment *s = SEG(obj);
	const struct ipc_perm_k *p = &obj->perm;
	mutex_lock(&obj->lock);
	uint64_t n = nattch(s), rss = seg_rss(s);
	mutex_unlock(&obj->lock);
	sb_printf(f, "%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10llu %10llu %10llu %21lu %21lu\n",
		  p->key, p->id, p->mode, (unsigned long)s->size, s->cpid, s->lpid,
		  (unsigned long)n, p->uid, p->gid, p->cuid, p->cgid,
		  (unsigned long long)s->atime, (unsigned long long)s->dtime,
		  (unsigned long long)s->ctime, (unsigned long)(rss * PAGE_SIZE), 0ul);
}

size_t ipc_format_proc_shm(char *buf, size_t size)
{
	struct sbuf f = SB(buf, size);
	sb_printf(&f, "       key      shmid perms                  size  cpid  lpid nattch   uid"
		  "   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n");
	ipc_for_each(&ipc_shm_ids, shm_line, &f);
	return sb_done(&f);
}
