/* Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore. */
#include "block/block.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

static struct mm *cur_mm(void)
{
	return current_process()->mm;
}

static int64_t sys_brk(uint64_t addr)
{
	return (int64_t)mm_brk(cur_mm(), addr);
}
SYSCALL(12, brk);

static int64_t sys_mmap(uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd, uint64_t off)
{
	struct file *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(current_process()->files, fd);
		if (!f)
			return -EBADF;
		unsigned acc = f->flags & O_ACCMODE;
		int err = 0;
		if (acc == O_WRONLY)
			err = -EACCES;
		else if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)
			err = -EACCES;
		else if (!S_ISREG(f->inode->mode) && !S_ISCHR(f->inode->mode))
			err = -ENODEV;
		if (err) {
			file_put(f);
			return err;
		}
	}
	int64_t r = mm_mmap(cur_mm(), addr, len, prot, flags, f, f ? off : 0);
	if (f)
		file_put(f);
	return r;
}
SYSCALL(9, mmap);

static int64_t sys_munmap(uint64_t addr, uint64_t len)
{
	return mm_munmap(cur_mm(), addr, len);
}
SYSCALL(11, munmap);

static int64_t sys_mprotect(uint64_t addr, uint64_t len, unsigned prot)
{
	return mm_mprotect(cur_mm(), addr, len, prot);
}
SYSCALL(10, mprotect);

static int64_t sys_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, unsigned flags, uint64_t new_addr)
{
	return mm_mremap(cur_mm(), old_addr, old_len, new_len, flags, new_addr);
}
SYSCALL(25, mremap);

static int64_t sys_madvise(uint64_t addr, uint64_t len, int advice)
{
	return mm_madvise(cur_mm(), addr, len, advice);
}
SYSCALL(28, madvise);

#define MS_ASYNC 1
#define MS_SYNC  4
#define MSYNC_MAX_FILES 16

/*
 * Shared mappings map the file's cache pages, so read() already sees what they hold; MS_SYNC
 * writes those files' pages back and flushes their disks (MS_ASYNC: the flusher will).
 */
static int64_t sys_msync(uint64_t addr, uint64_t len, int flags)
{
	if ((addr & 0xfff) || (flags & ~7) || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (end < addr)
		return -ENOMEM;
	struct mm *mm = cur_mm();
	struct file *files[MSYNC_MAX_FILES];
	unsigned n = 0;
	int64_t r = 0;
	mutex_lock(&mm->lock);
	for (uint64_t a = addr; a < end;) {
		struct vma *v = vma_find(mm, a);
		if (!v) {
			r = -ENOMEM; /* Linux: part of the range is not mapped */
			break;
		}
		bool seen = false;
		for (unsigned i = 0; i < n; i++)
			seen |= files[i] == v->file;
		if ((flags & MS_SYNC) && (v->flags & VMA_SHARED) && v->file && !seen && n < MSYNC_MAX_FILES)
			files[n++] = file_get(v->file);
		a = v->end;
	}
	mutex_unlock(&mm->lock);
	for (unsigned i = 0; i < n; i++) {
		struct file *f = files[i];
		int64_t e = f->fop && f->fop->fsync ? f->fop->fsync(f, false) : 0;
		if (!e && f->inode->sb)
			e = blk_sync_devt(f->inode->sb->dev);
		if (e && !r)
			r = e;
		file_put(f);
	}
	return r;
}
SYSCALL(26, msync);

static int64_t sys_mincore(uint64_t addr, uint64_t len, uint8_t *vec)
{
	if (addr & 0xfff)
		return -EINVAL;
	struct mm *mm = cur_mm();
	for (uint64_t a = addr; a < addr + len; a += 4096) {
		mutex_lock(&mm->lock);
		bool mapped = vma_find(mm, a) != NULL;
		mutex_unlock(&mm->lock);
		if (!mapped)
			return -ENOMEM;
		uint8_t one = 1;
		if (copy_to_user(vec + (a - addr) / 4096, &one, 1))
			return -EFAULT;
	}
	return 0;
}
SYSCALL(27, mincore);
