/* Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore. */
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

static int64_t sys_msync(uint64_t addr, uint64_t len, int flags)
{
	(void)len;
	if ((addr & 0xfff) || (flags & ~7) || ((flags & 1) && (flags & 4)))
		return -EINVAL;
	return 0; /* shared mappings write through to the file's pages already */
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
