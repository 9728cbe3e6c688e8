/*
 * The ELF64 parser behind execve: checks the ELF header and program headers of a file that may be
 * hostile and reduces them to the PT_LOAD list and the few other facts the loader needs. Every
 * sum of two file-controlled values is overflow-checked; nothing outside buf[0..len) is read.
 * The fields are little-endian, like the x86_64 CPUs (and hosts) this runs on.
 */
#include "proc/elf.h"

#include "lib/errno.h"
#include "lib/string.h"

#define PAGE_MASK ((uint64_t)ELF_PAGE_SIZE - 1)

/*
 * Checks the ELF header alone: *eh gets a copy of it (buf need not be aligned) and *ph_end the
 * offset just past the program header table.
 */
static int check_ehdr(const void *buf, size_t len, Elf64_Ehdr *eh, uint64_t *ph_end)
{
	if (len < sizeof(*eh))
		return -ENOEXEC;
	memcpy(eh, buf, sizeof(*eh));
	/* e_version and the OS ABI byte are not checked: Linux ignores them, and so do its loaders. */
	if (memcmp(eh->e_ident, "\x7f" "ELF", 4) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT)
		return -ENOEXEC;
	if (eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;
	/* PN_XNUM (0xffff: the real count is in section header 0) falls out with every phnum > 64. */
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	/* phnum * 56 is at most 3584; phoff + that can wrap. The result must fit elf_headers_size. */
	if (__builtin_add_overflow(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), ph_end) ||
	    *ph_end > (uint64_t)INT64_MAX)
		return -ENOEXEC;
	return 0;
}

int64_t elf_headers_size(const void *buf, size_t len)
{
	Elf64_Ehdr eh;
	uint64_t ph_end;

	if (check_ehdr(buf, len, &eh, &ph_end) < 0)
		return -ENOEXEC;
	/* The program headers may overlap the ELF header (tiny hand-made binaries do that). */
	return (int64_t)(ph_end > sizeof(eh) ? ph_end : sizeof(eh));
}

/* Whether the file range [off, off + size) lies inside a file of file_size bytes. */
static bool in_file(uint64_t off, uint64_t size, uint64_t file_size)
{
	uint64_t end;
	return !__builtin_add_overflow(off, size, &end) && end <= file_size;
}

/* One PT_LOAD on its own; the order against the others is checked by the caller. */
static int check_load(const Elf64_Phdr *ph, uint64_t file_size)
{
	uint64_t end;

	if (ph->p_filesz > ph->p_memsz || !in_file(ph->p_offset, ph->p_filesz, file_size))
		return -ENOEXEC;
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) || end > ELF_USER_TOP)
		return -ENOEXEC;
	/* 0 and 1 both mean "no alignment"; anything else must be a power of two. */
	if (ph->p_align & (ph->p_align - 1))
		return -ENOEXEC;
	/*
	 * File pages are mapped at vaddr, so offset and vaddr must sit at the same place in a page.
	 * The gABI asks it when p_align covers pages; Linux's mmap of the file fails without it
	 * whatever p_align says, so any segment with file contents needs it too.
	 */
	if ((ph->p_align >= ELF_PAGE_SIZE || ph->p_filesz > 0) &&
	    ((ph->p_vaddr ^ ph->p_offset) & PAGE_MASK) != 0)
		return -ENOEXEC;
	return 0;
}

static unsigned prot_of(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? ELF_PROT_READ : 0) | ((p_flags & PF_W) ? ELF_PROT_WRITE : 0) |
	       ((p_flags & PF_X) ? ELF_PROT_EXEC : 0);
}

/* Adds one PT_LOAD after the ones before it, which it must follow without overlapping. */
static int add_load(struct elf_image *img, const Elf64_Phdr *ph, uint64_t file_size)
{
	if (check_load(ph, file_size) < 0 || img->nsegs == ELF_MAX_SEGMENTS)
		return -ENOEXEC;
	if (img->nsegs > 0) {
		const struct elf_segment *prev = &img->segs[img->nsegs - 1];
		/* Sharing a page is fine (and common); sharing an address is not. */
		if (ph->p_vaddr < prev->vaddr + prev->memsz)
			return -ENOEXEC;
	}
	img->segs[img->nsegs++] = (struct elf_segment){
		.vaddr = ph->p_vaddr,
		.memsz = ph->p_memsz,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.prot = prot_of(ph->p_flags),
	};
	return 0;
}

/* Where the program header table [phoff, ph_end) is in memory, via the PT_LOAD holding it. */
static uint64_t phdr_in_load(const struct elf_image *img, uint64_t ph_end)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		/* offset + filesz is inside the file, so it does not wrap. */
		if (s->offset <= img->phoff && ph_end <= s->offset + s->filesz)
			return s->vaddr + (img->phoff - s->offset);
	}
	return 0;
}

int elf_parse(const void *buf, size_t len, uint64_t file_size, struct elf_image *out)
{
	const uint8_t *p = buf;
	Elf64_Ehdr eh;
	uint64_t ph_end;
	bool have_phdr = false, have_stack = false, have_tls = false;

	memset(out, 0, sizeof(*out));
	if (check_ehdr(buf, len, &eh, &ph_end) < 0 || ph_end > len || ph_end > file_size)
		return -ENOEXEC;
	out->type = eh.e_type;
	out->entry = eh.e_entry;
	out->phoff = eh.e_phoff;
	out->phentsize = eh.e_phentsize;
	out->phnum = eh.e_phnum;
	out->exec_stack = true; /* without PT_GNU_STACK, Linux on x86_64 gives an executable stack */

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, p + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		switch (ph.p_type) {
		case PT_LOAD:
			if (add_load(out, &ph, file_size) < 0)
				return -ENOEXEC;
			break;
		case PT_INTERP:
			/* Linux's limits: at least one character and its NUL, at most PATH_MAX. */
			if (out->has_interp || ph.p_filesz < 2 || ph.p_filesz > ELF_INTERP_MAX ||
			    !in_file(ph.p_offset, ph.p_filesz, file_size))
				return -ENOEXEC;
			if (ph.p_offset + ph.p_filesz <= len && p[ph.p_offset + ph.p_filesz - 1] != 0)
				return -ENOEXEC;
			out->has_interp = true;
			out->interp_offset = ph.p_offset;
			out->interp_size = ph.p_filesz;
			break;
		case PT_PHDR:
			if (!have_phdr)
				out->phdr_vaddr = ph.p_vaddr;
			have_phdr = true;
			break;
		case PT_GNU_STACK: /* the first one counts, as in Linux */
			if (!have_stack)
				out->exec_stack = (ph.p_flags & PF_X) != 0;
			have_stack = true;
			break;
		case PT_TLS: /* libc sets up TLS from AT_PHDR itself; kept for diagnostics only */
			if (!have_tls) {
				out->tls_vaddr = ph.p_vaddr;
				out->tls_filesz = ph.p_filesz;
				out->tls_memsz = ph.p_memsz;
				out->tls_align = ph.p_align;
			}
			have_tls = true;
			break;
		default: /* PT_DYNAMIC, PT_NOTE, PT_GNU_*, unknown: nothing for the loader */
			break;
		}
	}
	if (out->nsegs == 0)
		return -ENOEXEC;

	/* Segments ascend without overlap, so the last one ends highest; ends are <= USER_TOP. */
	const struct elf_segment *first = &out->segs[0], *last = &out->segs[out->nsegs - 1];
	out->lo = first->vaddr & ~PAGE_MASK;
	out->hi = (last->vaddr + last->memsz + PAGE_MASK) & ~PAGE_MASK;

	/* For ET_DYN the entry and vaddrs share the same bias, so the same check holds. */
	bool entry_ok = false;
	for (unsigned i = 0; i < out->nsegs && !entry_ok; i++) {
		const struct elf_segment *s = &out->segs[i];
		entry_ok = (s->prot & ELF_PROT_EXEC) && out->entry >= s->vaddr &&
			   out->entry - s->vaddr < s->memsz;
	}
	if (!entry_ok)
		return -ENOEXEC;

	if (!have_phdr)
		out->phdr_vaddr = phdr_in_load(out, ph_end);
	return 0;
}
