/*
 * The fault-safe user copies (mm/uaccess.h). `rep movsb` does the work; its single instruction
 * is in the exception table, so a fault that the page-fault handler cannot resolve (no VM area,
 * wrong protection) resumes at the fixup, which reports -EFAULT. SMAP: STAC/CLAC bracket the
 * copy only when the CPU has SMAP (the instructions #UD otherwise).
 */
#include "mm/uaccess.h"

#include "arch/x86_64/extable.h"
#include "arch/x86_64/paging.h"
#include "lib/errno.h"

static inline void user_open(void)
{
	if (paging_features.smap)
		__asm__ volatile("stac" ::: "memory");
}

static inline void user_close(void)
{
	if (paging_features.smap)
		__asm__ volatile("clac" ::: "memory");
}

/* rep movsq + movsb (see memcpy in lib/string.c) that may fault on either side: 0 or -EFAULT. */
static int movsb_safe(void *dst, const void *src, size_t len)
{
	int err = 0;
	size_t q = len / 8;
	len %= 8;
	user_open();
	__asm__ volatile("1: rep movsq\n\t"
			 "movq %%rdx, %%rcx\n\t"
			 "4: rep movsb\n\t"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl %4, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t" EXTABLE_ENTRY(1b, 3b) EXTABLE_ENTRY(4b, 3b)
			 : "+r"(err), "+D"(dst), "+S"(src), "+c"(q)
			 : "i"(-EFAULT), "d"(len)
			 : "memory");
	user_close();
	return err;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	if (!user_range_ok((uint64_t)usrc, len))
		return -EFAULT;
	return movsb_safe(dst, usrc, len);
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	if (!user_range_ok((uint64_t)udst, len))
		return -EFAULT;
	return movsb_safe(udst, src, len);
}

int clear_user(void *udst, size_t len)
{
	if (!user_range_ok((uint64_t)udst, len))
		return -EFAULT;
	int err = 0;
	user_open();
	__asm__ volatile("1: rep stosb\n\t"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl %3, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
			 : "+r"(err), "+D"(udst), "+c"(len)
			 : "i"(-EFAULT), "a"(0)
			 : "memory");
	user_close();
	return err;
}

/* One user byte: 0 or -EFAULT. */
static inline int get_user_u8(const char *p, char *out)
{
	int err = 0;
	char v = 0;
	__asm__ volatile("1: movb (%2), %1\n\t"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl %3, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
			 : "+r"(err), "+q"(v)
			 : "r"(p), "i"(-EFAULT)
			 : "memory");
	*out = v;
	return err;
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
	if (max == 0)
		return -ENAMETOOLONG;
	uint64_t start = (uint64_t)usrc;
	if (start >= USER_TOP)
		return -EFAULT;
	long result = -ENAMETOOLONG;
	user_open();
	for (size_t i = 0; i < max; i++) {
		if (start + i >= USER_TOP) {
			result = -EFAULT;
			break;
		}
		char c;
		if (get_user_u8(usrc + i, &c)) {
			result = -EFAULT;
			break;
		}
		dst[i] = c;
		if (!c) {
			result = (long)i;
			break;
		}
	}
	user_close();
	if (result == -ENAMETOOLONG)
		dst[max - 1] = 0;
	return result;
}
