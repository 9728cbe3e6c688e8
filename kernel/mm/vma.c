/*
 * VM areas: the sorted list of an address space's mappings and the system calls that edit it
 * (mmap, munmap, mprotect, mremap, madvise, brk). Editing a range first splits the areas that
 * straddle its ends, so every change applies to whole areas; pages leave through
 * mm_release_range, which drops their references.
 */
#include "mm/mm.h"

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "mm/mm_internal.h"
#include "mm/pgtable.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
		if (addr < v->end)
			return v;
	return NULL;
}

struct vma *vma_new(uint64_t start, uint64_t end, unsigned prot, unsigned flags, struct file *file,
		    uint64_t off)
{
	struct vma *v = kzalloc(sizeof(*v));
	if (!v)
		return NULL;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->file = file ? file_get(file) : NULL;
	v->file_off = off;
	v->file_end = UINT64_MAX;
	return v;
}

void vma_free(struct vma *v)
{
	if (v->file)
		file_put(v->file);
	kfree(v);
}

void vma_insert(struct mm *mm, struct vma *v)
{
	struct vma **link = &mm->vmas;
	while (*link && (*link)->start < v->start)
		link = &(*link)->next;
	v->next = *link;
	*link = v;
}

/* Splits the area containing addr so that addr becomes a boundary. */
static int split_at(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || v->start == addr)
		return 0;
	struct vma *hi = vma_new(addr, v->end, v->prot, v->flags, v->file, 0);
	if (!hi)
		return -ENOMEM;
	if (v->file)
		hi->file_off = v->file_off + (addr - v->start);
	hi->file_end = v->file_end;
	v->end = addr;
	hi->next = v->next;
	v->next = hi;
	return 0;
}

static enum pgt_action release_visit(vaddr_t va, paddr_t pa, unsigned *flags, void *ctx)
{
	(void)va;
	(void)flags;
	struct mm *mm = ctx;
	user_page_put(pa);
	mm->rss_pages--;
	return PGT_CLEAR;
}

void mm_release_range(struct mm *mm, uint64_t start, uint64_t end)
{
	pgt_walk(mm->root, start, end, release_visit, mm);
}

void mm_unmap_file_from(struct mm *mm, const struct inode *inode, uint64_t off)
{
	off = ALIGN_UP(off, PAGE_SIZE);
	mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (!v->file || v->file->inode != inode || v->file_off + (v->end - v->start) <= off)
			continue;
		uint64_t start = off <= v->file_off ? v->start : v->start + (off - v->file_off);
		pgt_walk(mm->root, start, v->end, release_visit, mm);
	}
	mutex_unlock(&mm->lock);
}

/* Removes every mapping in [start, end) (page-aligned). */
int unmap_range(struct mm *mm, uint64_t start, uint64_t end)
{
	if (split_at(mm, start) < 0 || split_at(mm, end) < 0)
		return -ENOMEM;
	struct vma **link = &mm->vmas;
	while (*link) {
		struct vma *v = *link;
		if (v->start >= start && v->end <= end) {
			*link = v->next;
			mm_release_range(mm, v->start, v->end);
			vma_free(v);
		} else {
			link = &v->next;
		}
	}
	return 0;
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start < end && start < v->end)
			return false;
	return true;
}

/* A free range of len bytes: the hint if free, else the highest gap below mmap_base. */
uint64_t find_free(struct mm *mm, uint64_t len, uint64_t hint)
{
	if (hint && hint >= USER_SPACE_START && hint + len > hint && hint + len <= USER_SPACE_END &&
	    range_free(mm, hint, hint + len))
		return hint;
	uint64_t top = mm->mmap_base;
	for (;;) {
		if (top < len || top - len < USER_SPACE_START)
			return 0;
		uint64_t start = top - len;
		struct vma *clash = NULL;
		for (struct vma *v = mm->vmas; v; v = v->next)
			if (v->start < top && start < v->end)
				clash = v; /* the highest clash: continue below it */
		if (!clash)
			return start;
		top = clash->start;
	}
}

uint64_t mm_find_free(struct mm *mm, uint64_t len)
{
	mutex_lock(&mm->lock);
	uint64_t a = find_free(mm, ALIGN_UP(len, PAGE_SIZE), 0);
	mutex_unlock(&mm->lock);
	return a;
}

int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		struct file *file, uint64_t off)
{
	if (!len || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	unsigned type = flags & MAP_TYPE;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (len > USER_SPACE_END)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (file && off + len < off)
		return -EOVERFLOW;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed && (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (fixed && (addr < USER_SPACE_START || addr + len < addr || addr + len > USER_SPACE_END))
		return -ENOMEM; /* Linux: outside the task's address space */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (file && type != MAP_PRIVATE && !(file->fop && file->fop->get_page))
		return -ENODEV; /* FIXME: shared mappings of devices (/dev/zero) */
	/* Linux's heuristic overcommit: a private writable mapping larger than RAM is refused. */
	if (type == MAP_PRIVATE && (prot & PROT_WRITE) && !(flags & MAP_NORESERVE) &&
	    len / PAGE_SIZE > pmm_total_count())
		return -ENOMEM;

	mutex_lock(&mm->lock);
	int64_t ret;
	if (fixed) {
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(mm, addr, addr + len)) {
			ret = -EEXIST;
			goto out;
		}
		if ((ret = unmap_range(mm, addr, addr + len)) < 0)
			goto out;
	} else {
		addr = find_free(mm, len, ALIGN_DOWN(addr, PAGE_SIZE));
		if (!addr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	unsigned vflags = type == MAP_PRIVATE ? 0 : VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	struct vma *v = vma_new(addr, addr + len, prot, vflags, file, off);
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	vma_insert(mm, v);
	ret = (int64_t)addr;
out:
	mutex_unlock(&mm->lock);
	if (ret > 0 && (flags & MAP_POPULATE))
		mm_populate(mm, (uint64_t)ret, len, false);
	return ret;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || !len || addr + len < addr || addr + len > USER_TOP_ADDR)
		return -EINVAL;
	mutex_lock(&mm->lock);
	int err = unmap_range(mm, addr, ALIGN_UP(addr + len, PAGE_SIZE));
	mutex_unlock(&mm->lock);
	return err;
}

/* Write permission for a present page: never for a page still shared copy-on-write. */
static enum pgt_action protect_visit(vaddr_t va, paddr_t pa, unsigned *flags, void *ctx)
{
	const struct vma *v = ctx;
	*flags = prot_to_vm(v->prot);
	if ((*flags & VM_WRITE) && !(v->flags & VMA_SHARED) && user_page_shared(pa))
		*flags &= ~VM_WRITE;
	/* A shared file page that becomes writable: its file must know (page cache write-back). */
	if ((*flags & VM_WRITE) && (v->flags & VMA_SHARED) && v->file && v->file->fop &&
	    v->file->fop->page_mkwrite)
		v->file->fop->page_mkwrite(v->file, (v->file_off + (va - v->start)) / PAGE_SIZE);
	return PGT_UPDATE;
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
	if ((addr & (PAGE_SIZE - 1)) || addr + len < addr)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 /* PROT_GROWSDOWN */))
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	uint64_t end = ALIGN_UP(addr + len, PAGE_SIZE);
	if (end == addr)
		return 0;
	mutex_lock(&mm->lock);
	int err = 0;
	/* The whole range must be mapped (Linux: ENOMEM otherwise). */
	for (uint64_t a = addr; a < end;) {
		struct vma *v = vma_find(mm, a);
		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		/* A shared mapping of a file not open for writing never becomes writable (Linux's
		 * VM_MAYWRITE): a read-only shmat or O_RDONLY mmap stays read-only. */
		if ((prot & PROT_WRITE) && (v->flags & VMA_SHARED) && v->file &&
		    (v->file->flags & O_ACCMODE) == O_RDONLY) {
			err = -EACCES;
			goto out;
		}
		a = v->end;
	}
	if ((err = split_at(mm, addr)) < 0 || (err = split_at(mm, end)) < 0)
		goto out;
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (v->start >= addr && v->end <= end) {
			v->prot = prot;
			pgt_walk(mm->root, v->start, v->end, protect_visit, v);
		}
	}
out:
	mutex_unlock(&mm->lock);
	return err;
}

struct move_ctx {
	struct mm *mm;
	int64_t delta;
	int err;
};

static enum pgt_action move_visit(vaddr_t va, paddr_t pa, unsigned *flags, void *ctx)
{
	struct move_ctx *m = ctx;
	if (pgt_set(m->mm->root, va + m->delta, pa, *flags) < 0) {
		m->err = -ENOMEM;
		return PGT_KEEP;
	}
	return PGT_CLEAR;
}

int64_t mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, unsigned flags,
		  uint64_t new_addr)
{
	if ((old_addr & (PAGE_SIZE - 1)) || !new_len || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!old_len || old_addr + old_len < old_addr || new_len > USER_SPACE_END)
		return -EINVAL;
	mutex_lock(&mm->lock);
	int64_t ret;
	struct vma *v = vma_find(mm, old_addr);
	if (!v || old_addr + old_len > v->end) {
		ret = -EFAULT;
		goto out;
	}
	if (new_len <= old_len && !(flags & MREMAP_FIXED)) { /* shrinking: drop the tail */
		ret = unmap_range(mm, old_addr + new_len, old_addr + old_len);
		ret = ret < 0 ? ret : (int64_t)old_addr;
		goto out;
	}
	/* Growing in place when the area ends here and the space after it is free. */
	if (!(flags & MREMAP_FIXED) && old_addr + old_len == v->end &&
	    old_addr + new_len <= USER_SPACE_END && range_free(mm, v->end, old_addr + new_len)) {
		v->end = old_addr + new_len;
		ret = (int64_t)old_addr;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		ret = -ENOMEM;
		goto out;
	}
	if (flags & MREMAP_FIXED) {
		if ((new_addr & (PAGE_SIZE - 1)) || new_addr < USER_SPACE_START ||
		    new_addr + new_len > USER_SPACE_END ||
		    (new_addr < old_addr + old_len && old_addr < new_addr + new_len)) {
			ret = -EINVAL;
			goto out;
		}
		if ((ret = unmap_range(mm, new_addr, new_addr + new_len)) < 0)
			goto out;
	} else if (!(new_addr = find_free(mm, new_len, 0))) {
		ret = -ENOMEM;
		goto out;
	}
	/* Move [old_addr, old_addr+old_len) as its own area, then extend it. */
	if ((ret = split_at(mm, old_addr)) < 0 || (ret = split_at(mm, old_addr + old_len)) < 0)
		goto out;
	v = vma_find(mm, old_addr);
	struct vma **link = &mm->vmas;
	while (*link != v)
		link = &(*link)->next;
	*link = v->next;
	struct move_ctx m = { mm, (int64_t)(new_addr - old_addr), 0 };
	pgt_walk(mm->root, v->start, v->end, move_visit, &m);
	v->start = new_addr;
	v->end = new_addr + new_len;
	vma_insert(mm, v);
	ret = m.err ? m.err : (int64_t)new_addr;
out:
	mutex_unlock(&mm->lock);
	return ret;
}

int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	if ((addr & (PAGE_SIZE - 1)) || addr + len < addr)
		return -EINVAL;
	if (advice != MADV_DONTNEED)
		return 0; /* hints only */
	uint64_t end = ALIGN_UP(addr + len, PAGE_SIZE);
	mutex_lock(&mm->lock);
	int err = 0;
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (v->end <= addr || v->start >= end)
			continue;
		/* Private pages go: the next touch sees zeros or the file again. */
		if (!(v->flags & VMA_SHARED))
			mm_release_range(mm, MAX(v->start, addr), MIN(v->end, end));
	}
	mutex_unlock(&mm->lock);
	return err;
}

uint64_t mm_brk(struct mm *mm, uint64_t new_brk)
{
	mutex_lock(&mm->lock);
	uint64_t old = mm->brk;
	if (new_brk < mm->brk_start || new_brk > USER_MMAP_BASE ||
	    (new_brk - mm->brk_start) / PAGE_SIZE > pmm_total_count())
		goto out;
	uint64_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(new_brk, PAGE_SIZE);
	if (new_end > old_end) {
		if (!range_free(mm, old_end, new_end))
			goto out;
		struct vma *heap = old_end > mm->brk_start ? vma_find(mm, old_end - 1) : NULL;
		if (heap && (heap->flags & VMA_HEAP)) {
			heap->end = new_end;
		} else {
			struct vma *v = vma_new(old_end, new_end, PROT_READ | PROT_WRITE, VMA_HEAP, NULL, 0);
			if (!v)
				goto out;
			vma_insert(mm, v);
		}
	} else if (new_end < old_end) {
		if (unmap_range(mm, new_end, old_end) < 0)
			goto out;
	}
	mm->brk = new_brk;
out:;
	uint64_t ret = mm->brk;
	(void)old;
	mutex_unlock(&mm->lock);
	return ret;
}
