/*
 * Across every process's address space: removing the mappings of a file's pages past its new
 * end when it is truncated (vfs_setattr asks), as Linux's unmap_mapping_range does.
 * FIXME: walks every process; a per-file list of mappings would visit only the ones that map it.
 */
#include "mm/mm.h"
#include "mm/slab.h"
#include "proc/process.h"

void proc_unmap_file_from(const struct inode *inode, uint64_t off)
{
	/* Take references under proc_lock, unmap without it (mm->lock may sleep on I/O). */
	mutex_lock(&proc_lock);
	size_t n = 0, cap = 0;
	for (struct process *p = process_first(); p; p = p->all_next)
		cap++;
	struct mm **mms = cap ? kmalloc(cap * sizeof(*mms)) : NULL;
	for (struct process *p = process_first(); p && mms; p = p->all_next) {
		bool seen = !p->mm;
		for (size_t i = 0; i < n && !seen; i++)
			seen = mms[i] == p->mm;
		if (!seen) {
			mm_get(p->mm);
			mms[n++] = p->mm;
		}
	}
	mutex_unlock(&proc_lock);
	for (size_t i = 0; i < n; i++) {
		mm_unmap_file_from(mms[i], inode, off);
		mm_put(mms[i]);
	}
	kfree(mms);
}
