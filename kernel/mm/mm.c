/*
 * Address spaces: creation, sharing, fork (copy-on-write) and teardown, and the page-fault
 * resolver behind demand paging. See mm.h for the model.
 */
#include "mm/mm.h"

#include "arch/x86_64/memlayout.h"
#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_internal.h"
#include "mm/page_cache.h"
#include "mm/pgtable.h"
#include "mm/pmm.h"
#include "mm/slab.h"

void user_page_get(paddr_t pa)
{
	page_ref_get(phys_to_page(pa));
}

void user_page_put(paddr_t pa)
{
	page_ref_put(phys_to_page(pa));
}

bool user_page_shared(paddr_t pa)
{
	return __atomic_load_n(&phys_to_page(pa)->refcount, __ATOMIC_ACQUIRE) > 1;
}

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	if (!mm)
		return NULL;
	mm->root = pgt_create();
	if (!mm->root) {
		kfree(mm);
		return NULL;
	}
	mutex_init(&mm->lock);
	mm->mmap_base = USER_MMAP_BASE;
	mm->users = 1;
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->users, 1, __ATOMIC_RELAXED);
}

void mm_put(struct mm *mm)
{
	if (__atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	while (mm->vmas) {
		struct vma *v = mm->vmas;
		mm->vmas = v->next;
		mm_release_range(mm, v->start, v->end);
		vma_free(v);
	}
	pgt_destroy(mm->root);
	kfree(mm);
}

/* ---- fork ---- */

struct fork_ctx {
	struct mm *child;
	const struct vma *vma;
	int err;
};

/*
 * Shared areas share pages outright; private writable pages become read-only in both address
 * spaces and are copied by whichever side writes first (mm_fault).
 */
static enum pgt_action fork_visit(vaddr_t va, paddr_t pa, unsigned *flags, void *ctx)
{
	struct fork_ctx *f = ctx;
	bool cow = !(f->vma->flags & VMA_SHARED) && (*flags & VM_WRITE);
	unsigned child_flags = cow ? *flags & ~VM_WRITE : *flags;
	if (pgt_set(f->child->root, va, pa, child_flags) < 0) {
		f->err = -ENOMEM;
		return PGT_KEEP;
	}
	user_page_get(pa);
	f->child->rss_pages++;
	if (!cow)
		return PGT_KEEP;
	*flags &= ~VM_WRITE;
	return PGT_UPDATE;
}

struct mm *mm_fork(struct mm *parent)
{
	struct mm *child = mm_create();
	if (!child)
		return NULL;
	mutex_lock(&parent->lock);
	int err = 0;
	struct vma **tail = &child->vmas;
	for (struct vma *v = parent->vmas; v && !err; v = v->next) {
		/* Shared anonymous memory must exist before both sides can see the same pages. */
		if ((v->flags & VMA_SHARED) && !v->file)
			for (uint64_t a = v->start; a < v->end && !err; a += PAGE_SIZE)
				if (pgt_get(parent->root, a, NULL, NULL) < 0 &&
				    mm_fault_locked(parent, a, false, false) != FAULT_OK)
					err = -ENOMEM;
		struct vma *c = vma_new(v->start, v->end, v->prot, v->flags, v->file, v->file_off);
		if (!c) {
			err = -ENOMEM;
			break;
		}
		c->file_end = v->file_end;
		*tail = c;
		tail = &c->next;
		struct fork_ctx f = { child, v, 0 };
		pgt_walk(parent->root, v->start, v->end, fork_visit, &f);
		err = f.err;
	}
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->stack_start = parent->stack_start;
	child->mmap_base = parent->mmap_base;
	child->start_code = parent->start_code;
	child->end_code = parent->end_code;
	child->start_data = parent->start_data;
	child->end_data = parent->end_data;
	child->start_stack = parent->start_stack;
	child->arg_start = parent->arg_start;
	child->arg_end = parent->arg_end;
	child->env_start = parent->env_start;
	child->env_end = parent->env_end;
	mutex_unlock(&parent->lock);
	if (err) {
		mm_put(child);
		return NULL;
	}
	return child;
}

/* ---- page faults ---- */

/* Fills a new page for offset `index * PAGE_SIZE` of v from its file (zeros past the end). */
static int fill_from_file(const struct vma *v, uint64_t va, void *page)
{
	uint64_t off = v->file_off + (va - v->start);
	memset(page, 0, PAGE_SIZE);
	if (off >= v->file_end)
		return 0;
	size_t want = (size_t)MIN((uint64_t)PAGE_SIZE, v->file_end - off);
	struct kstat st;
	if (vfs_fstat(v->file, &st) == 0 && off >= ALIGN_UP(st.size, PAGE_SIZE) && v->file_end == UINT64_MAX)
		return FAULT_BUS; /* a whole page past the end of the file */
	ssize_t n = vfs_pread(v->file, page, want, off);
	return n < 0 ? FAULT_BUS : 0;
}

static unsigned vma_vm_flags(const struct vma *v)
{
	return prot_to_vm(v->prot);
}

/*
 * User pages never take the last 1/64 of RAM: a process that runs the machine out of memory
 * gets FAULT_OOM (and is killed) while the kernel's own allocations still succeed.
 */
static struct page *alloc_user_page(unsigned gfp)
{
	uint64_t floor = pmm_total_count() / 64 + 64;
	/* Clean file pages nobody maps are the first to go (they can be read again). */
	if (pmm_free_count() < floor + 256)
		pcache_shrink(512);
	if (pmm_free_count() < floor)
		return NULL;
	return pmm_alloc_pages(0, gfp);
}

/* A shared file mapping maps the file's own page. */
static int fault_in_shared_file(struct mm *mm, const struct vma *v, uint64_t va)
{
	paddr_t pa;
	uint64_t index = (v->file_off + (va - v->start)) / PAGE_SIZE;
	int err = v->file->fop->get_page(v->file, index, &pa);
	if (err)
		return err == -ENOMEM ? FAULT_OOM : FAULT_BUS;
	if (pgt_set(mm->root, va, pa, vma_vm_flags(v)) < 0) {
		user_page_put(pa);
		return FAULT_OOM;
	}
	if ((v->prot & PROT_WRITE) && v->file->fop->page_mkwrite)
		v->file->fop->page_mkwrite(v->file, index);
	mm->rss_pages++;
	return FAULT_OK;
}

/*
 * A read of a private file mapping maps the file's page itself, read-only: the first write
 * copies it (fault_cow sees a page with other users). Pages the .bss cuts into are copied
 * at once, since their tail must read as zeros.
 */
static bool can_share_file_page(const struct vma *v, uint64_t va, bool write)
{
	if (write || !v->file->fop || !v->file->fop->get_page)
		return false;
	uint64_t off = v->file_off + (va - v->start);
	return v->file_end == UINT64_MAX || off + PAGE_SIZE <= v->file_end;
}

static int fault_in_private_shared_page(struct mm *mm, const struct vma *v, uint64_t va)
{
	paddr_t pa;
	uint64_t index = (v->file_off + (va - v->start)) / PAGE_SIZE;
	int err = v->file->fop->get_page(v->file, index, &pa);
	if (err)
		return err == -ENOMEM ? FAULT_OOM : FAULT_BUS;
	if (pgt_set(mm->root, va, pa, vma_vm_flags(v) & ~VM_WRITE) < 0) {
		user_page_put(pa);
		return FAULT_OOM;
	}
	mm->rss_pages++;
	return FAULT_OK;
}

/* A fault on a page not present: a new zeroed, file-filled page. */
static int fault_in(struct mm *mm, const struct vma *v, uint64_t va, bool write)
{
	if (v->file && (v->flags & VMA_SHARED))
		return fault_in_shared_file(mm, v, va);
	if (v->file && can_share_file_page(v, va, write))
		return fault_in_private_shared_page(mm, v, va);
	struct page *p = alloc_user_page(v->file ? 0 : GFP_ZERO);
	if (!p)
		return FAULT_OOM;
	if (v->file) {
		int r = fill_from_file(v, va, page_to_virt(p));
		if (r) {
			pmm_free_pages(p, 0);
			return r;
		}
	}
	if (pgt_set(mm->root, va, page_to_phys(p), vma_vm_flags(v)) < 0) {
		pmm_free_pages(p, 0);
		return FAULT_OOM;
	}
	mm->rss_pages++;
	return FAULT_OK;
}

/* A write to a present read-only page of a writable private area: copy-on-write. */
static int fault_cow(struct mm *mm, const struct vma *v, uint64_t va, paddr_t old)
{
	if ((v->flags & VMA_SHARED) || !user_page_shared(old)) /* the last user: take it over */
		return pgt_set(mm->root, va, old, vma_vm_flags(v)) < 0 ? FAULT_OOM : FAULT_OK;
	struct page *p = alloc_user_page(0);
	if (!p)
		return FAULT_OOM;
	memcpy(page_to_virt(p), phys_to_virt(old), PAGE_SIZE);
	if (pgt_set(mm->root, va, page_to_phys(p), vma_vm_flags(v)) < 0) {
		pmm_free_pages(p, 0);
		return FAULT_OOM;
	}
	user_page_put(old);
	return FAULT_OK;
}

/* A fault just below the stack area grows it, down to its limit. */
static struct vma *grow_stack(struct mm *mm, uint64_t addr)
{
	struct vma *v = mm->vmas;
	while (v && v->end <= addr)
		v = v->next;
	if (!v || !(v->flags & VMA_GROWSDOWN) || addr < mm->stack_start)
		return NULL;
	uint64_t new_start = ALIGN_DOWN(addr, PAGE_SIZE);
	for (struct vma *o = mm->vmas; o != v; o = o->next)
		if (o->end > new_start)
			return NULL; /* something else lies in the way */
	v->start = new_start;
	return v;
}

int mm_fault_locked(struct mm *mm, uint64_t addr, bool write, bool exec)
{
	if (addr >= USER_TOP)
		return FAULT_SEGV;
	struct vma *v = vma_find(mm, addr);
	if (!v && !(v = grow_stack(mm, addr)))
		return FAULT_SEGV;
	if ((write && !(v->prot & PROT_WRITE)) || (exec && !(v->prot & PROT_EXEC)) ||
	    !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return FAULT_ACCESS;
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	paddr_t pa;
	unsigned flags;
	if (pgt_get(mm->root, va, &pa, &flags) < 0)
		return fault_in(mm, v, va, write);
	if (write && !(flags & VM_WRITE))
		return fault_cow(mm, v, va, pa);
	return FAULT_OK; /* another thread got there first, or a stale TLB entry */
}

int mm_fault(struct mm *mm, uint64_t addr, bool write, bool exec)
{
	mutex_lock(&mm->lock);
	int r = mm_fault_locked(mm, addr, write, exec);
	mutex_unlock(&mm->lock);
	return r;
}

int mm_populate(struct mm *mm, uint64_t addr, uint64_t len, bool write)
{
	mutex_lock(&mm->lock);
	int r = FAULT_OK;
	for (uint64_t a = ALIGN_DOWN(addr, PAGE_SIZE); a < addr + len && r == FAULT_OK; a += PAGE_SIZE) {
		paddr_t pa;
		unsigned flags;
		if (pgt_get(mm->root, a, &pa, &flags) == 0 && (!write || (flags & VM_WRITE)))
			continue;
		r = mm_fault_locked(mm, a, write, false);
	}
	mutex_unlock(&mm->lock);
	return r == FAULT_OK ? 0 : -EFAULT;
}

int64_t mm_map_image(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, struct file *file,
		     uint64_t off, uint64_t file_end)
{
	int64_t r = mm_mmap(mm, addr, len, prot, MAP_PRIVATE | MAP_FIXED, file, off);
	if (r < 0)
		return r;
	mutex_lock(&mm->lock);
	struct vma *v = vma_find(mm, addr);
	if (v)
		v->file_end = file_end;
	mutex_unlock(&mm->lock);
	return r;
}

/* Copies between kernel memory and mm's pages through the direct map, faulting pages in. */
static int copy_pages(struct mm *mm, uint64_t addr, void *kbuf, size_t len, bool to_user)
{
	if (!user_range_ok(addr, len))
		return -EFAULT;
	mutex_lock(&mm->lock);
	int err = 0;
	while (len && !err) {
		uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);
		size_t chunk = MIN(len, (size_t)(page + PAGE_SIZE - addr));
		paddr_t pa;
		unsigned flags;
		if (pgt_get(mm->root, page, &pa, &flags) < 0 || (to_user && !(flags & VM_WRITE))) {
			if (mm_fault_locked(mm, addr, to_user, false) != FAULT_OK ||
			    pgt_get(mm->root, page, &pa, &flags) < 0) {
				err = -EFAULT;
				break;
			}
		}
		uint8_t *p = (uint8_t *)phys_to_virt(pa) + (addr - page);
		if (to_user)
			memcpy(p, kbuf, chunk);
		else
			memcpy(kbuf, p, chunk);
		kbuf = (uint8_t *)kbuf + chunk;
		addr += chunk;
		len -= chunk;
	}
	mutex_unlock(&mm->lock);
	return err;
}

int mm_copy_to(struct mm *mm, uint64_t addr, const void *src, size_t len)
{
	return copy_pages(mm, addr, (void *)src, len, true);
}

int mm_copy_from(struct mm *mm, void *dst, uint64_t addr, size_t len)
{
	return copy_pages(mm, addr, dst, len, false);
}
