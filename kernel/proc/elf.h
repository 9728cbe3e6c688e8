/*
 * ELF64 executables for x86_64: the file layout (System V gABI and its x86_64 supplement) and a
 * parser that checks an executable's ELF header and program headers and says what execve must
 * map. Pure logic on a buffer; it reads no file and maps nothing.
 */
#pragma once

#include "lib/types.h"

/* ---- the file format ---- */

#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62

#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_EH_FRAME 0x6474e550
#define PT_GNU_STACK 0x6474e551
#define PT_GNU_RELRO 0x6474e552
#define PT_GNU_PROPERTY 0x6474e553

#define PF_X 1
#define PF_W 2
#define PF_R 4

typedef struct {
	uint8_t e_ident[EI_NIDENT]; /* "\x7f" "ELF", class, data, version, OS ABI, padding */
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
} Elf64_Phdr;

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(__builtin_offsetof(Elf64_Ehdr, e_entry) == 24, "e_entry at 24");
_Static_assert(__builtin_offsetof(Elf64_Ehdr, e_phoff) == 32, "e_phoff at 32");
_Static_assert(__builtin_offsetof(Elf64_Ehdr, e_phentsize) == 54, "e_phentsize at 54");
_Static_assert(__builtin_offsetof(Elf64_Ehdr, e_phnum) == 56, "e_phnum at 56");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header is 56 bytes");
_Static_assert(__builtin_offsetof(Elf64_Phdr, p_offset) == 8, "p_offset at 8");
_Static_assert(__builtin_offsetof(Elf64_Phdr, p_align) == 48, "p_align at 48");

/* ---- what execve needs ---- */

#define ELF_MAX_SEGMENTS 16
#define ELF_MAX_PHNUM 64
#define ELF_PAGE_SIZE 4096
#define ELF_USER_TOP 0x0000800000000000ull /* end of the lower canonical half */
#define ELF_INTERP_MAX 4096                /* PATH_MAX, NUL included */

#define ELF_PROT_READ 1
#define ELF_PROT_WRITE 2
#define ELF_PROT_EXEC 4

struct elf_segment {  /* one PT_LOAD */
	uint64_t vaddr, memsz; /* as in the file (not page-aligned) */
	uint64_t offset, filesz;
	unsigned prot;         /* ELF_PROT_* from p_flags */
};

/*
 * For ET_DYN every address here (entry, phdr_vaddr, segs[].vaddr, lo, hi, tls_vaddr) is relative
 * to the load bias execve chooses; it must keep bias + hi <= ELF_USER_TOP itself.
 * Adjacent segments may share a page (segs[i] ends and segs[i+1] starts in it): the loader
 * maps that page once with the union of both protections and both contents.
 */
struct elf_image {
	uint16_t type;      /* ET_EXEC (2) or ET_DYN (3) */
	uint64_t entry;
	uint64_t phoff;
	uint16_t phentsize, phnum;
	/* Where the program headers are in memory (AT_PHDR): PT_PHDR's vaddr, else the PT_LOAD
	 * holding [phoff, phoff + phnum * phentsize) translated; 0 if neither. */
	uint64_t phdr_vaddr;
	unsigned nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS]; /* ascending, non-overlapping vaddr ranges */
	/* Page-aligned span of all PT_LOADs: ALIGN_DOWN(first vaddr), ALIGN_UP(last vaddr + memsz). */
	uint64_t lo, hi;
	bool has_interp;
	/* PT_INTERP: the file range holding the NUL-terminated path. elf_parse checks the final NUL
	 * only when the range lies inside the buffer it was given; otherwise the caller must. */
	uint64_t interp_offset, interp_size;
	bool exec_stack;    /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK */
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align; /* PT_TLS if present (informational) */
};

/*
 * Parses the ELF header and program headers in buf[0..len) (the caller reads the first
 * min(file_size, 4096) bytes, or more when elf_headers_size says so) of a file of file_size bytes.
 * 0, or -ENOEXEC for anything malformed or not for x86_64. Never reads outside buf[0..len).
 */
int elf_parse(const void *buf, size_t len, uint64_t file_size, struct elf_image *out);

/*
 * How many bytes from the file start elf_parse needs (ELF header + program headers), or -ENOEXEC
 * if the header alone is invalid (len >= 64 required). The result may exceed the file's size;
 * elf_parse then rejects the file.
 */
int64_t elf_headers_size(const void *buf, size_t len);
