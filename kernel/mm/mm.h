/*
 * User address spaces: a page-table root plus VM areas, the ranges a process may touch with
 * their protection and backing (anonymous memory, or a file at an offset, private or shared).
 * Pages arrive on demand (mm_fault): zero-filled, read from the file, or copied when a private
 * page shared after fork is written (copy-on-write, by struct page reference counts).
 *
 * Locking: mm->lock (a sleeping mutex) covers the VMA list and the page tables. Page faults
 * take it, so user memory must never be touched with a spinlock held.
 */
#pragma once

#include "lib/types.h"
#include "sched/wait.h"

#define PROT_NONE  0x0
#define PROT_READ  0x1
#define PROT_WRITE 0x2
#define PROT_EXEC  0x4

#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE            0x0f
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_GROWSDOWN       0x0100
#define MAP_DENYWRITE       0x0800
#define MAP_EXECUTABLE      0x1000
#define MAP_LOCKED          0x2000
#define MAP_NORESERVE       0x4000
#define MAP_POPULATE        0x8000
#define MAP_NONBLOCK        0x10000
#define MAP_STACK           0x20000
#define MAP_HUGETLB         0x40000
#define MAP_FIXED_NOREPLACE 0x100000

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED   2

#define MADV_NORMAL   0
#define MADV_DONTNEED 4

/* The user part of the address space. */
#define USER_SPACE_START 0x10000ull          /* the first 64 KiB stay unmapped (NULL) */
#define USER_SPACE_END   0x00007ffffffff000ull
#define USER_STACK_TOP   0x00007ffffffde000ull
#define USER_STACK_MAX   (8ull << 20)        /* RLIMIT_STACK default */
#define USER_MMAP_BASE   0x00007f0000000000ull /* mmap without a hint searches down from here */
#define USER_PIE_BASE    0x0000555555554000ull /* where ET_DYN programs load, as Linux does */
#define USER_INTERP_BASE 0x00007f7f00000000ull /* and their dynamic loaders */

/* vma->flags */
#define VMA_SHARED    0x1
#define VMA_GROWSDOWN 0x2 /* the stack: faults just below extend it */
#define VMA_HEAP      0x4 /* brk's area */

struct file;

struct vma {
	uint64_t start, end;  /* page-aligned, end exclusive */
	unsigned prot;        /* PROT_* */
	unsigned flags;       /* VMA_* */
	struct file *file;    /* backing file (a reference), NULL for anonymous memory */
	uint64_t file_off;    /* file offset of start */
	uint64_t file_end;    /* file bytes at or past this offset read as zeros (an ELF .bss tail) */
	struct vma *next;     /* sorted by start */
};

struct mm {
	struct mutex lock;
	paddr_t root;
	struct vma *vmas;
	uint64_t brk_start, brk;    /* heap: [brk_start, brk) */
	uint64_t stack_start;       /* lowest address the stack may grow to */
	uint64_t mmap_base;
	uint64_t rss_pages;         /* resident pages (for /proc and tests) */
	/* Where execve put things, for auxv and /proc/PID/stat. */
	uint64_t start_code, end_code, start_data, end_data, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	int users;                  /* threads/processes sharing it (CLONE_VM) */
};

struct mm *mm_create(void);
void mm_get(struct mm *mm);
/* The last put releases every page, VMA and table. */
void mm_put(struct mm *mm);
/* fork: a copy whose private pages are shared copy-on-write. NULL without memory. */
struct mm *mm_fork(struct mm *parent);

/*
 * Maps [addr, addr+len) (a hint unless MAP_FIXED) with prot/flags (MAP_*), backed by file at
 * offset off (file NULL: anonymous). Returns the address or a negative errno.
 */
int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		struct file *file, uint64_t off);
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
/* truncate: removes mm's mappings of inode's pages from file offset off on (rounded up to a
 * page), private copies too, so that touching them raises SIGBUS as on Linux. */
struct inode;
void mm_unmap_file_from(struct mm *mm, const struct inode *inode, uint64_t off);
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot);
int64_t mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, unsigned flags,
		  uint64_t new_addr);
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
/* brk(2): the new break (the old one when the request cannot be met). */
uint64_t mm_brk(struct mm *mm, uint64_t new_brk);

/* Page-fault outcomes. */
#define FAULT_OK     0
#define FAULT_SEGV   1 /* no VM area: SIGSEGV with SEGV_MAPERR */
#define FAULT_ACCESS 2 /* protection: SIGSEGV with SEGV_ACCERR */
#define FAULT_OOM    3
#define FAULT_BUS    4 /* file mapping past the end of the file: SIGBUS */
/* Resolves a fault at addr (write/exec: the kind of access). */
int mm_fault(struct mm *mm, uint64_t addr, bool write, bool exec);

/*
 * execve: a fixed private mapping of file at off whose bytes from file offset file_end on read as
 * zeros (an ELF segment whose .bss starts inside its last file page).
 */
int64_t mm_map_image(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, struct file *file,
		     uint64_t off, uint64_t file_end);
/* Copies into / out of an address space that need not be the current one: 0 or -EFAULT. */
int mm_copy_to(struct mm *mm, uint64_t addr, const void *src, size_t len);
int mm_copy_from(struct mm *mm, void *dst, uint64_t addr, size_t len);

/* A free range of len bytes below mmap_base (0 if none). */
uint64_t mm_find_free(struct mm *mm, uint64_t len);

/* The VMA containing addr, or NULL (mm->lock held). */
struct vma *vma_find(struct mm *mm, uint64_t addr);
/* Faults in every page of [addr, addr+len) (execve's argument copying, MAP_POPULATE). */
int mm_populate(struct mm *mm, uint64_t addr, uint64_t len, bool write);
