// unit-deps: kernel/proc/elf.c kernel/lib/string.c
/*
 * The ELF64 parser against real binaries (musl static, gcc PIE and glibc static hellos built at
 * test time, the dynamic linker, every ELF program in /usr/bin and /usr/sbin), each checked field
 * by field against what `readelf -hlW` says; then a hand-made executable broken one rule at a
 * time, cut at every length, and mutated at random. Every buffer handed to the parser ends
 * flush against a PROT_NONE page, so a read past its length faults.
 */
#include "unit.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/errno.h"
#include "proc/elf.h"

#define PG 4096ull
#define DOWN(x) ((x) & ~(PG - 1))
#define UP(x) (((x) + PG - 1) & ~(PG - 1))

/* ---- buffers that end at a PROT_NONE page ---- */

#define GMAX (1u << 16)
static uint8_t *garea; /* garea[0..GMAX) usable, garea + GMAX faults */

/* A copy of src[0..n) ending exactly at the guard page. */
static uint8_t *guarded(const void *src, size_t n)
{
	if (!garea) {
		garea = mmap(NULL, GMAX + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (garea == MAP_FAILED || mprotect(garea + GMAX, PG, PROT_NONE) != 0)
			abort();
	}
	if (n > GMAX)
		abort();
	memcpy(garea + GMAX - n, src, n);
	return garea + GMAX - n;
}

/*
 * What must hold whenever elf_parse accepts: the promises execve relies on. Reports through
 * unit_fail (so the case fails) and returns false on the first broken one.
 */
static bool invariants(const uint8_t *buf, size_t len, uint64_t file_size, const struct elf_image *m)
{
#define INV(c)                                                                        \
	do {                                                                          \
		if (!(c)) {                                                           \
			unit_fail(__FILE__, __LINE__, "invariant broken: %s", #c);    \
			return false;                                                 \
		}                                                                     \
	} while (0)
	uint64_t ph_end = m->phoff + (uint64_t)m->phnum * 56;
	INV(m->type == ET_EXEC || m->type == ET_DYN);
	INV(m->phentsize == 56 && m->phnum >= 1 && m->phnum <= 64);
	INV(m->phoff < ph_end && ph_end <= len && ph_end <= file_size);
	int64_t hs = elf_headers_size(buf, len);
	INV(hs >= 64 && (uint64_t)hs <= len);
	INV(m->nsegs >= 1 && m->nsegs <= ELF_MAX_SEGMENTS);
	bool entry_ok = false;
	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct elf_segment *s = &m->segs[i];
		INV(s->filesz <= s->memsz);
		INV(s->offset <= file_size && s->filesz <= file_size - s->offset);
		INV(s->vaddr <= ELF_USER_TOP && s->memsz <= ELF_USER_TOP - s->vaddr);
		INV((s->prot & ~7u) == 0);
		INV(s->filesz == 0 || (s->vaddr - s->offset) % PG == 0);
		INV(i == 0 || s->vaddr >= m->segs[i - 1].vaddr + m->segs[i - 1].memsz);
		if ((s->prot & ELF_PROT_EXEC) && m->entry >= s->vaddr && m->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	const struct elf_segment *last = &m->segs[m->nsegs - 1];
	INV(entry_ok);
	INV(m->lo == DOWN(m->segs[0].vaddr) && m->hi == UP(last->vaddr + last->memsz));
	INV(m->lo <= m->hi && m->hi <= ELF_USER_TOP);
	if (m->has_interp) {
		INV(m->interp_size >= 2 && m->interp_size <= 4096);
		INV(m->interp_offset <= file_size && m->interp_size <= file_size - m->interp_offset);
		if (m->interp_offset + m->interp_size <= len)
			INV(buf[m->interp_offset + m->interp_size - 1] == 0);
	} else {
		INV(m->interp_offset == 0 && m->interp_size == 0);
	}
	return true;
#undef INV
}

/* elf_parse on a guarded copy; an accepted file must also keep the invariants. */
static int parse(const void *src, size_t len, uint64_t file_size, struct elf_image *out)
{
	struct elf_image tmp;
	const uint8_t *g = guarded(src, len);
	if (!out)
		out = &tmp;
	int rc = elf_parse(g, len, file_size, out);
	if (rc == 0)
		invariants(g, len, file_size, out);
	else if (rc != -ENOEXEC)
		unit_fail(__FILE__, __LINE__, "elf_parse returned %d", rc);
	return rc;
}

/* ---- a hand-made executable ---- */

/*
 * The header, seven program headers at 64, the interpreter path at 0x200, three PT_LOADs:
 * R [0x400000, +0x300) from 0; RX [0x401000, +0x180) from 0x1000; RW [0x401180, +0x2000) from
 * 0x1180 with 0x80 bytes in the file. RX and RW touch and share the page 0x401000, as real
 * binaries' segments often do. For ET_DYN every address is 0x400000 lower.
 */
enum { P_PHDR, P_INTERP, P_LOAD0, P_LOAD1, P_LOAD2, P_STACK, P_TLS, NPH };
#define FILE_LEN 0x1200
#define PH_END (64 + NPH * 56)
#define INTERP "/lib64/ld-linux-x86-64.so.2"

struct img {
	_Alignas(8) uint8_t b[0x3000];
	size_t len;         /* bytes handed to the parser */
	uint64_t file_size;
};

static Elf64_Ehdr *EH(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *PH(struct img *m, unsigned i)
{
	return (Elf64_Phdr *)(m->b + EH(m)->e_phoff + i * 56);
}

static void set_ph(struct img *m, unsigned i, uint32_t type, uint32_t flags, uint64_t off,
		   uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	*PH(m, i) = (Elf64_Phdr){ type, flags, off, vaddr, vaddr, filesz, memsz, align };
}

static void make(struct img *m, uint16_t type)
{
	uint64_t base = type == ET_EXEC ? 0x400000 : 0;
	memset(m, 0, sizeof(*m));
	Elf64_Ehdr *e = EH(m);
	memcpy(e->e_ident, "\x7f" "ELF\2\1\1", 7);
	e->e_type = type;
	e->e_machine = EM_X86_64;
	e->e_version = 1;
	e->e_entry = base + 0x1010;
	e->e_phoff = 64;
	e->e_ehsize = 64;
	e->e_phentsize = 56;
	e->e_phnum = NPH;
	set_ph(m, P_PHDR, PT_PHDR, PF_R, 64, base + 64, NPH * 56, NPH * 56, 8);
	set_ph(m, P_INTERP, PT_INTERP, PF_R, 0x200, base + 0x200, sizeof(INTERP), sizeof(INTERP), 1);
	set_ph(m, P_LOAD0, PT_LOAD, PF_R, 0, base, 0x300, 0x300, 0x1000);
	set_ph(m, P_LOAD1, PT_LOAD, PF_R | PF_X, 0x1000, base + 0x1000, 0x180, 0x180, 0x1000);
	set_ph(m, P_LOAD2, PT_LOAD, PF_R | PF_W, 0x1180, base + 0x1180, 0x80, 0x2000, 0x1000);
	set_ph(m, P_STACK, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	set_ph(m, P_TLS, PT_TLS, PF_R, 0x11c0, base + 0x11c0, 0x10, 0x20, 16);
	memcpy(m->b + 0x200, INTERP, sizeof(INTERP));
	m->len = m->file_size = FILE_LEN;
}

static int pimg(struct img *m, struct elf_image *out)
{
	return parse(m->b, m->len, m->file_size, out);
}

#define ACCEPT(m) CHECK_INT(pimg(m, NULL), 0)
#define REJECT(m) CHECK_INT(pimg(m, NULL), -ENOEXEC)

/* Moves the program headers to the end of the file (outside every segment), phnum of them. */
static void move_phdrs(struct img *m, unsigned phnum)
{
	uint8_t save[NPH * 56];
	memcpy(save, m->b + 64, sizeof(save));
	memset(m->b + 64, 0, sizeof(save));
	EH(m)->e_phoff = FILE_LEN;
	EH(m)->e_phnum = (uint16_t)phnum;
	memset(m->b + FILE_LEN, 0, phnum * 56);
	memcpy(m->b + FILE_LEN, save, (phnum < NPH ? phnum : NPH) * 56);
	m->len = m->file_size = FILE_LEN + phnum * 56;
}

TEST(handmade_fields)
{
	struct img m;
	struct elf_image e;
	for (uint16_t type = ET_EXEC; type <= ET_DYN; type++) {
		uint64_t base = type == ET_EXEC ? 0x400000 : 0;
		make(&m, type);
		CHECK_INT(pimg(&m, &e), 0);
		CHECK_INT(e.type, type);
		CHECK_INT(e.entry, base + 0x1010);
		CHECK_INT(e.phoff, 64);
		CHECK_INT(e.phentsize, 56);
		CHECK_INT(e.phnum, NPH);
		CHECK_INT(e.phdr_vaddr, base + 64);
		CHECK_INT(e.nsegs, 3);
		CHECK_INT(e.segs[0].vaddr, base);
		CHECK_INT(e.segs[0].memsz, 0x300);
		CHECK_INT(e.segs[0].prot, ELF_PROT_READ);
		CHECK_INT(e.segs[1].offset, 0x1000);
		CHECK_INT(e.segs[1].filesz, 0x180);
		CHECK_INT(e.segs[1].prot, ELF_PROT_READ | ELF_PROT_EXEC);
		CHECK_INT(e.segs[2].vaddr, base + 0x1180);
		CHECK_INT(e.segs[2].offset, 0x1180);
		CHECK_INT(e.segs[2].filesz, 0x80);
		CHECK_INT(e.segs[2].memsz, 0x2000);
		CHECK_INT(e.segs[2].prot, ELF_PROT_READ | ELF_PROT_WRITE);
		CHECK_INT(e.lo, base);
		CHECK_INT(e.hi, base + 0x4000);
		CHECK(e.has_interp);
		CHECK_INT(e.interp_offset, 0x200);
		CHECK_INT(e.interp_size, sizeof(INTERP));
		CHECK(!e.exec_stack);
		CHECK_INT(e.tls_vaddr, base + 0x11c0);
		CHECK_INT(e.tls_filesz, 0x10);
		CHECK_INT(e.tls_memsz, 0x20);
		CHECK_INT(e.tls_align, 16);
		CHECK_INT(elf_headers_size(m.b, m.len), PH_END);
	}
}

TEST(ident_machine_type)
{
	struct img m;
	make(&m, ET_EXEC);
	for (int i = 0; i < 4; i++) { /* each magic byte */
		m.b[i] ^= 0x20;
		REJECT(&m);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
		m.b[i] ^= 0x20;
	}
	static const struct { int at; uint8_t bad; } ident[] = {
		{ EI_CLASS, 0 }, { EI_CLASS, 1 }, { EI_CLASS, 3 }, { EI_DATA, 0 }, { EI_DATA, 2 },
		{ EI_VERSION, 0 }, { EI_VERSION, 2 },
	};
	for (size_t i = 0; i < sizeof(ident) / sizeof(ident[0]); i++) {
		make(&m, ET_EXEC);
		m.b[ident[i].at] = ident[i].bad;
		REJECT(&m);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
	}
	/* Neither the OS ABI byte (3 is GNU) nor e_version matter, as in Linux. */
	make(&m, ET_EXEC);
	m.b[7] = 3;
	EH(&m)->e_version = 0;
	ACCEPT(&m);
	static const uint16_t machines[] = { 0, 3, 40, 183, 243, 62 | 0x100 };
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		EH(&m)->e_machine = machines[i];
		REJECT(&m);
	}
	static const uint16_t types[] = { 0, 1, 4, 5, 0xfe00, 0xff00, 0xffff, 0x102 };
	make(&m, ET_EXEC);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EH(&m)->e_type = types[i];
		REJECT(&m);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
	}
}

TEST(phentsize_phnum)
{
	struct img m;
	static const uint16_t sizes[] = { 0, 32, 55, 57, 64, 112, 0xffff };
	make(&m, ET_EXEC);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EH(&m)->e_phentsize = sizes[i];
		REJECT(&m);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
	}
	static const uint16_t nums[] = { 0, 65, 100, 0xffff /* PN_XNUM */ };
	make(&m, ET_EXEC);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		EH(&m)->e_phnum = nums[i];
		REJECT(&m);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
	}
	/* 64 headers (57 of them PT_NULL) is the most, and fine. */
	make(&m, ET_EXEC);
	move_phdrs(&m, 64);
	ACCEPT(&m);
	CHECK_INT(elf_headers_size(m.b, m.len), FILE_LEN + 64 * 56);
	/* Fewer: the PT_LOADs at 2..4 must survive. */
	make(&m, ET_EXEC);
	EH(&m)->e_phnum = P_LOAD2 + 1;
	ACCEPT(&m);
	EH(&m)->e_phnum = P_LOAD1; /* no executable segment left for the entry */
	REJECT(&m);
}

TEST(phdrs_inside_buffer_and_file)
{
	struct img m;
	make(&m, ET_EXEC);
	move_phdrs(&m, NPH);
	ACCEPT(&m);
	m.len--; /* the last header one byte short of the buffer */
	REJECT(&m);
	m.len++;
	m.file_size--; /* or of the file */
	REJECT(&m);
	/* Past 4 KiB: elf_headers_size says how much to read. */
	make(&m, ET_EXEC);
	move_phdrs(&m, NPH);
	memmove(m.b + 0x2000, m.b + FILE_LEN, NPH * 56);
	EH(&m)->e_phoff = 0x2000;
	m.len = m.file_size = 0x2000 + NPH * 56;
	CHECK_INT(elf_headers_size(m.b, 4096), 0x2000 + NPH * 56);
	CHECK_INT(parse(m.b, 4096, m.file_size, NULL), -ENOEXEC);
	ACCEPT(&m);
	/* Headers overlapping the ELF header still need at least the 64 bytes of it. */
	EH(&m)->e_phoff = 0;
	EH(&m)->e_phnum = 1;
	CHECK_INT(elf_headers_size(m.b, m.len), 64);
	REJECT(&m); /* "\x7f" "ELF" is no PT_LOAD */
	CHECK_INT(elf_headers_size(m.b, 63), -ENOEXEC);
}

TEST(integer_overflow)
{
	struct img m;
	/* phoff + phnum * 56 wraps (or leaves int64_t, where elf_headers_size cannot say it). */
	static const uint64_t phoffs[] = { UINT64_MAX, UINT64_MAX - 55, UINT64_MAX - NPH * 56 + 1,
					   UINT64_MAX - 0x1000, 1ull << 63, (1ull << 63) - 64 };
	make(&m, ET_EXEC);
	for (size_t i = 0; i < sizeof(phoffs) / sizeof(phoffs[0]); i++) {
		EH(&m)->e_phoff = phoffs[i];
		CHECK_INT(pimg(&m, NULL), -ENOEXEC);
		CHECK_INT(elf_headers_size(m.b, m.len), -ENOEXEC);
	}
	/* offset + filesz wraps to something small (the offset still page-congruent). */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD1)->p_offset = UINT64_MAX - 0xfff; /* % 4096 == 0, like the vaddr */
	PH(&m, P_LOAD1)->p_filesz = 0x1000 + 0x180;
	PH(&m, P_LOAD1)->p_memsz = 0x1000 + 0x180;
	REJECT(&m);
	/* vaddr + memsz wraps, for the last segment and for one in the middle. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_memsz = UINT64_MAX - 0x401180 + 2;
	REJECT(&m);
	PH(&m, P_LOAD2)->p_memsz = UINT64_MAX;
	REJECT(&m);
	make(&m, ET_EXEC);
	PH(&m, P_LOAD0)->p_memsz = UINT64_MAX - 0x400000 + 0x500;
	REJECT(&m);
	/* PT_INTERP's offset + size wraps. */
	make(&m, ET_EXEC);
	PH(&m, P_INTERP)->p_offset = UINT64_MAX - 4;
	REJECT(&m);
	/* The entry far above everything (entry - vaddr must not be taken for in range). */
	make(&m, ET_EXEC);
	EH(&m)->e_entry = UINT64_MAX;
	REJECT(&m);
}

TEST(load_count)
{
	struct img m;
	make(&m, ET_EXEC);
	for (unsigned i = P_LOAD0; i <= P_LOAD2; i++)
		PH(&m, i)->p_type = PT_NOTE;
	REJECT(&m);
	/* 16 PT_LOADs at most: bss-only executable pages, one per page. */
	for (unsigned n = 15; n <= 17; n++) {
		make(&m, ET_EXEC);
		move_phdrs(&m, n);
		for (unsigned i = 0; i < n; i++)
			set_ph(&m, i, PT_LOAD, PF_R | PF_X, 0, 0x400000 + i * 0x1000, 0, 0x800, 0x1000);
		CHECK_INT(pimg(&m, NULL), n <= ELF_MAX_SEGMENTS ? 0 : -ENOEXEC);
	}
}

TEST(load_sizes)
{
	struct img m;
	make(&m, ET_EXEC);
	PH(&m, P_LOAD1)->p_filesz = 0x181; /* more in the file than in memory */
	REJECT(&m);
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_filesz = 0x81; /* one byte past the end of the file */
	REJECT(&m);
	m.file_size++;
	ACCEPT(&m);
	/* A segment may end exactly at the top of user space, not one byte later. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_vaddr = ELF_USER_TOP - 0x2000 - 0xe80; /* ...d180: congruent with 0x1180 */
	PH(&m, P_LOAD2)->p_memsz = 0x2e80;
	ACCEPT(&m);
	PH(&m, P_LOAD2)->p_memsz++;
	REJECT(&m);
	PH(&m, P_LOAD2)->p_vaddr = ELF_USER_TOP + 0x1180;
	PH(&m, P_LOAD2)->p_memsz = 0x80;
	REJECT(&m);
	PH(&m, P_LOAD2)->p_vaddr = 0xffff800000001180ull; /* the kernel half */
	REJECT(&m);
	/* ET_DYN: the same limits, on addresses relative to the bias. */
	make(&m, ET_DYN);
	PH(&m, P_LOAD2)->p_memsz = ELF_USER_TOP;
	REJECT(&m);
	/* An empty segment (memsz 0) is legal. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_filesz = PH(&m, P_LOAD2)->p_memsz = 0;
	ACCEPT(&m);
}

TEST(load_align)
{
	struct img m;
	static const struct { uint64_t align; bool ok; } aligns[] = {
		{ 0, true }, { 1, true }, { 2, true }, { 16, true }, { 0x1000, true },
		{ 0x200000, true }, { 1ull << 63, true }, { 3, false }, { 0x1001, false },
		{ 0x1800, false }, { UINT64_MAX, false }, { 0x3000, false },
	};
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		make(&m, ET_EXEC);
		PH(&m, P_LOAD1)->p_align = aligns[i].align;
		CHECK_INT(pimg(&m, NULL), aligns[i].ok ? 0 : -ENOEXEC);
	}
	/* vaddr and offset at different places in a page: never with file contents. */
	static const uint64_t aligns2[] = { 0, 1, 16, 0x1000, 0x200000 };
	for (size_t i = 0; i < sizeof(aligns2) / sizeof(aligns2[0]); i++) {
		make(&m, ET_EXEC);
		PH(&m, P_LOAD1)->p_align = aligns2[i];
		PH(&m, P_LOAD1)->p_offset = 0x1008;
		PH(&m, P_LOAD1)->p_filesz = 0x170;
		REJECT(&m);
		/* A bss-only segment maps no file page: only a page-sized p_align demands it. */
		PH(&m, P_LOAD1)->p_filesz = 0;
		CHECK_INT(pimg(&m, NULL), aligns2[i] >= 0x1000 ? -ENOEXEC : 0);
	}
}

TEST(load_order)
{
	struct img m;
	struct elf_image e;
	make(&m, ET_EXEC);
	Elf64_Phdr t = *PH(&m, P_LOAD1); /* descending */
	*PH(&m, P_LOAD1) = *PH(&m, P_LOAD2);
	*PH(&m, P_LOAD2) = t;
	REJECT(&m);
	make(&m, ET_EXEC);
	/* RW starting one byte inside RX (offset moved along to stay congruent). */
	PH(&m, P_LOAD2)->p_vaddr--;
	PH(&m, P_LOAD2)->p_offset--;
	REJECT(&m);
	/* At the same address as RX. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_vaddr = 0x401000;
	PH(&m, P_LOAD2)->p_offset = 0x1000;
	REJECT(&m);
	/* The R segment reaching into RX's page but not its bytes is fine; into its bytes not. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD0)->p_memsz = 0x1000;
	ACCEPT(&m);
	PH(&m, P_LOAD0)->p_memsz = 0x1001;
	REJECT(&m);
	/* Touching and sharing a page (the base image) is fine, and so is a gap. */
	make(&m, ET_EXEC);
	PH(&m, P_LOAD2)->p_vaddr += 0x10000;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK_INT(e.hi, 0x414000);
}

TEST(interp)
{
	struct img m;
	struct elf_image e;
	make(&m, ET_EXEC);
	*PH(&m, P_STACK) = *PH(&m, P_INTERP); /* two of them */
	REJECT(&m);
	/* Sizes: 2 (one character and the NUL) to 4096 (PATH_MAX). */
	static const struct { uint64_t size; bool ok; } sizes[] = {
		{ 0, false }, { 1, false }, { 2, true }, { 4096, true }, { 4097, false },
		{ UINT64_MAX, false },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		make(&m, ET_EXEC);
		m.len = m.file_size = FILE_LEN + 4097;
		PH(&m, P_INTERP)->p_offset = FILE_LEN;
		PH(&m, P_INTERP)->p_filesz = sizes[i].size;
		memset(m.b + FILE_LEN, 'a', 4097);
		if (sizes[i].size >= 1 && sizes[i].size <= 4097)
			m.b[FILE_LEN + sizes[i].size - 1] = 0;
		CHECK_INT(pimg(&m, &e), sizes[i].ok ? 0 : -ENOEXEC);
		if (sizes[i].ok)
			CHECK_INT(e.interp_size, sizes[i].size);
	}
	/* Past the end of the file. */
	make(&m, ET_EXEC);
	PH(&m, P_INTERP)->p_offset = FILE_LEN - sizeof(INTERP) + 1;
	REJECT(&m);
	PH(&m, P_INTERP)->p_offset = FILE_LEN - sizeof(INTERP);
	m.b[FILE_LEN - 1] = 0;
	ACCEPT(&m);
	/* Not NUL-terminated: rejected when the path is in the buffer, left to the caller if not. */
	make(&m, ET_EXEC);
	m.b[0x200 + sizeof(INTERP) - 1] = 'x';
	REJECT(&m);
	CHECK_INT(parse(m.b, 0x200 + sizeof(INTERP) - 1, m.file_size, &e), 0);
	CHECK(e.has_interp);
	/* No PT_INTERP. */
	make(&m, ET_EXEC);
	PH(&m, P_INTERP)->p_type = 0x12345678;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK(!e.has_interp);
}

TEST(entry)
{
	struct img m;
	for (uint16_t type = ET_EXEC; type <= ET_DYN; type++) {
		uint64_t base = type == ET_EXEC ? 0x400000 : 0;
		static const struct { uint64_t at; bool ok; } entries[] = {
			{ 0x1000, true }, { 0x117f, true }, { 0x1180, false }, /* RX ends, RW starts */
			{ 0xfff, false }, { 0x10, false },   /* the R segment */
			{ 0x2000, false }, { 0x4000, false }, /* bss, past the end */
		};
		for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
			make(&m, type);
			EH(&m)->e_entry = base + entries[i].at;
			CHECK_INT(pimg(&m, NULL), entries[i].ok ? 0 : -ENOEXEC);
		}
		make(&m, type);
		EH(&m)->e_entry = type == ET_EXEC ? 0 : 0x400000;
		REJECT(&m);
		/* Executable data is executable: the entry may go there. */
		PH(&m, P_LOAD2)->p_flags |= PF_X;
		EH(&m)->e_entry = base + 0x2000;
		ACCEPT(&m);
	}
}

TEST(other_headers)
{
	struct img m;
	struct elf_image e;
	/* Unknown and uninteresting types are skipped, whatever their fields say. */
	static const uint32_t types[] = { PT_NULL, PT_DYNAMIC, PT_NOTE, 5, 8, PT_GNU_EH_FRAME,
					  PT_GNU_RELRO, PT_GNU_PROPERTY, 0x60000000, 0x7fffffff,
					  0xffffffff };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		make(&m, ET_EXEC);
		set_ph(&m, P_TLS, types[i], 0xffffffff, UINT64_MAX, UINT64_MAX, UINT64_MAX, 1, 3);
		CHECK_INT(pimg(&m, &e), 0);
		CHECK_INT(e.tls_memsz, 0);
	}
	/* The stack: executable without PT_GNU_STACK or with PF_X; the first one counts. */
	make(&m, ET_EXEC);
	PH(&m, P_STACK)->p_type = PT_NULL;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK(e.exec_stack);
	make(&m, ET_EXEC);
	PH(&m, P_STACK)->p_flags = PF_R | PF_W | PF_X;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK(e.exec_stack);
	set_ph(&m, P_TLS, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	CHECK_INT(pimg(&m, &e), 0);
	CHECK(e.exec_stack);
	/* Without PT_PHDR, the PT_LOAD holding the headers places them; else 0. */
	make(&m, ET_EXEC);
	PH(&m, P_PHDR)->p_type = PT_NULL;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK_INT(e.phdr_vaddr, 0x400040);
	PH(&m, P_LOAD0)->p_filesz = PH_END - 1; /* the last header not quite inside */
	CHECK_INT(pimg(&m, &e), 0);
	CHECK_INT(e.phdr_vaddr, 0);
	make(&m, ET_EXEC);
	move_phdrs(&m, NPH);
	PH(&m, P_PHDR)->p_type = PT_NULL;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK_INT(e.phdr_vaddr, 0);
	/* PT_PHDR's address is taken as it is. */
	PH(&m, P_PHDR)->p_type = PT_PHDR;
	PH(&m, P_PHDR)->p_vaddr = 0x1234;
	CHECK_INT(pimg(&m, &e), 0);
	CHECK_INT(e.phdr_vaddr, 0x1234);
}

TEST(truncated_everywhere)
{
	struct img m;
	for (uint16_t type = ET_EXEC; type <= ET_DYN; type++) {
		make(&m, type);
		for (size_t cut = 0; cut <= FILE_LEN; cut++) {
			/* The buffer cut, the file whole: only the headers matter. */
			CHECK_INT(parse(m.b, cut, FILE_LEN, NULL), cut < PH_END ? -ENOEXEC : 0);
			CHECK_INT(elf_headers_size(guarded(m.b, cut), cut), cut < 64 ? -ENOEXEC : PH_END);
			/* The file itself cut: every segment must still fit. */
			CHECK_INT(parse(m.b, cut, cut, NULL), cut < FILE_LEN ? -ENOEXEC : 0);
		}
	}
}

/* ---- real binaries against readelf ---- */

struct re_ph {
	char type[32];
	uint64_t off, vaddr, filesz, memsz, align;
	unsigned prot;
};

struct re {
	int type;
	uint64_t entry, phoff;
	unsigned phentsize, phnum, n;
	struct re_ph ph[ELF_MAX_PHNUM];
	char interp[512];
};

static const char *after(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0 ? s + strlen(prefix) : NULL;
}

/* What `readelf -hlW path` says about the ELF header and program headers. */
static bool readelf(const char *path, struct re *r)
{
	char cmd[1200], line[1024];
	const char *v;
	bool in_ph = false;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -hlW '%s' 2>/dev/null", path);
	FILE *f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *s = line + strspn(line, " ");
		if ((v = after(s, "Type:"))) {
			r->type = strstr(v, "EXEC ") ? ET_EXEC : strstr(v, "DYN ") ? ET_DYN : -1;
		} else if ((v = after(s, "Entry point address:"))) {
			r->entry = strtoull(v, NULL, 16);
		} else if ((v = after(s, "Start of program headers:"))) {
			r->phoff = strtoull(v, NULL, 10);
		} else if ((v = after(s, "Size of program headers:"))) {
			r->phentsize = (unsigned)strtoul(v, NULL, 10);
		} else if ((v = after(s, "Number of program headers:"))) {
			r->phnum = (unsigned)strtoul(v, NULL, 10);
		} else if (after(s, "Type ") && strstr(s, "Offset")) {
			in_ph = true;
		} else if ((v = after(s, "[Requesting program interpreter: "))) {
			snprintf(r->interp, sizeof(r->interp), "%.*s", (int)strcspn(v, "]"), v);
		} else if (in_ph && (*s == '\n' || *s == 0)) {
			in_ph = false;
		} else if (in_ph && r->n < ELF_MAX_PHNUM) {
			/* Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align; Flg is like "R E". */
			struct re_ph *p = &r->ph[r->n];
			int end = 0;
			if (sscanf(s, "%31s %" SCNx64 " %" SCNx64 " %*x %" SCNx64 " %" SCNx64 "%n", p->type,
				   &p->off, &p->vaddr, &p->filesz, &p->memsz, &end) < 5)
				continue;
			const char *a = strstr(s + end, "0x");
			if (!a)
				continue;
			p->align = strtoull(a, NULL, 16);
			for (const char *c = s + end; c < a; c++)
				p->prot |= *c == 'R' ? ELF_PROT_READ : *c == 'W' ? ELF_PROT_WRITE :
					   *c == 'E' ? ELF_PROT_EXEC : 0;
			r->n++;
		}
	}
	return pclose(f) == 0 && r->type > 0 && r->n == r->phnum;
}

static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	uint8_t *p = len > 0 ? malloc((size_t)len) : NULL;
	if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Parses path as execve would (the first 4 KiB, more if asked) and compares with readelf. */
static void check_real(const char *path, const struct re *r)
{
	size_t size;
	uint8_t *file = read_all(path, &size);
	CHECK(file != NULL);
	size_t len = size < 4096 ? size : 4096;
	int64_t need = elf_headers_size(file, len);
	CHECK_INT(need, r->phoff + r->phnum * 56 > 64 ? r->phoff + r->phnum * 56 : 64);
	if ((uint64_t)need > len)
		len = (size_t)need;
	CHECK(len <= size);

	struct elf_image e;
	CHECK_INT(parse(file, len, size, &e), 0);
	CHECK_INT(e.type, r->type);
	CHECK_INT(e.entry, r->entry);
	CHECK_INT(e.phoff, r->phoff);
	CHECK_INT(e.phentsize, r->phentsize);
	CHECK_INT(e.phnum, r->phnum);

	/* Expectations from readelf's table, computed the way the parser's contract says. */
	unsigned nload = 0;
	bool stack = false, tls = false, interp = false, phdr = false;
	for (unsigned i = 0; i < r->n; i++) {
		const struct re_ph *p = &r->ph[i];
		if (strcmp(p->type, "LOAD") == 0) {
			const struct elf_segment *s = &e.segs[nload++];
			CHECK(nload <= e.nsegs);
			CHECK_INT(s->vaddr, p->vaddr);
			CHECK_INT(s->memsz, p->memsz);
			CHECK_INT(s->offset, p->off);
			CHECK_INT(s->filesz, p->filesz);
			CHECK_INT(s->prot, p->prot);
		} else if (strcmp(p->type, "INTERP") == 0) {
			interp = true;
			CHECK_INT(e.interp_offset, p->off);
			CHECK_INT(e.interp_size, p->filesz);
		} else if (strcmp(p->type, "PHDR") == 0 && !phdr) {
			phdr = true;
			CHECK_INT(e.phdr_vaddr, p->vaddr);
		} else if (strcmp(p->type, "GNU_STACK") == 0 && !stack) {
			stack = true;
			CHECK_INT(e.exec_stack, (p->prot & ELF_PROT_EXEC) != 0);
		} else if (strcmp(p->type, "TLS") == 0 && !tls) {
			tls = true;
			CHECK_INT(e.tls_vaddr, p->vaddr);
			CHECK_INT(e.tls_filesz, p->filesz);
			CHECK_INT(e.tls_memsz, p->memsz);
			CHECK_INT(e.tls_align, p->align);
		}
	}
	CHECK_INT(e.nsegs, nload);
	CHECK_INT(e.lo, DOWN(e.segs[0].vaddr));
	CHECK_INT(e.hi, UP(e.segs[nload - 1].vaddr + e.segs[nload - 1].memsz));
	CHECK_INT(e.has_interp, interp);
	if (interp) {
		CHECK(r->interp[0] != 0);
		CHECK_STR((const char *)file + e.interp_offset, r->interp);
		CHECK_INT(strlen(r->interp) + 1, e.interp_size);
	}
	if (!stack)
		CHECK(e.exec_stack);
	if (!tls)
		CHECK_INT(e.tls_memsz, 0);
	if (!phdr) {
		uint64_t want = 0, end = r->phoff + r->phnum * 56;
		for (unsigned i = 0; i < nload && !want; i++)
			if (e.segs[i].offset <= r->phoff && end <= e.segs[i].offset + e.segs[i].filesz)
				want = e.segs[i].vaddr + r->phoff - e.segs[i].offset;
		CHECK_INT(e.phdr_vaddr, want);
	}
	free(file);
}

static char tmpdir[64];

__attribute__((destructor)) static void tmp_cleanup(void)
{
	char cmd[128];
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

/* Builds a thread-local-using hello with `cc flags`; returns its path, or NULL. */
static const char *build(const char *name, const char *cc)
{
	static char path[256];
	char cmd[768];
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/ferrite-elf-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
		snprintf(cmd, sizeof(cmd),
			 "printf '#include <stdio.h>\\nstatic __thread int t = 5;\\n"
			 "int main(void) { printf(\"hello %%%%d\\\\n\", t); return 0; }\\n' > %s/hello.c",
			 tmpdir);
		if (system(cmd) != 0)
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "%s -o '%s' '%s/hello.c' && '%s' | grep -qx 'hello 5'", cc, path,
		 tmpdir, path);
	return system(cmd) == 0 ? path : NULL;
}

TEST(real_musl_static)
{
	struct re r;
	const char *p = build("musl-static", "musl-gcc -static");
	CHECK(p != NULL);
	CHECK(readelf(p, &r));
	CHECK(r.type == ET_EXEC || r.type == ET_DYN);
	check_real(p, &r);
	if (unit_failed)
		return;
	struct elf_image e;
	size_t n;
	uint8_t *f = read_all(p, &n);
	CHECK_INT(parse(f, n < 4096 ? n : 4096, n, &e), 0);
	CHECK(!e.has_interp);
	CHECK(e.tls_memsz > 0);
	free(f);
	/* musl's static PIE: ET_DYN without an interpreter. */
	p = build("musl-static-pie", "musl-gcc -static-pie -fPIE");
	CHECK(p != NULL);
	CHECK(readelf(p, &r));
	CHECK_INT(r.type, ET_DYN);
	check_real(p, &r);
}

TEST(real_gcc_pie)
{
	struct re r;
	struct elf_image e;
	size_t n;
	const char *p = build("gcc-pie", "gcc -fPIE -pie");
	CHECK(p != NULL);
	CHECK(readelf(p, &r));
	CHECK_INT(r.type, ET_DYN);
	check_real(p, &r);
	if (unit_failed)
		return;
	uint8_t *f = read_all(p, &n);
	CHECK_INT(parse(f, n < 4096 ? n : 4096, n, &e), 0);
	CHECK(e.has_interp);
	CHECK_STR((const char *)f + e.interp_offset, "/lib64/ld-linux-x86-64.so.2");
	CHECK(!e.exec_stack);
	CHECK(e.phdr_vaddr != 0);
	free(f);
	/* glibc static, not PIE: ET_EXEC with PT_TLS and no PT_PHDR. */
	p = build("gcc-static", "gcc -static -no-pie");
	CHECK(p != NULL);
	CHECK(readelf(p, &r));
	CHECK_INT(r.type, ET_EXEC);
	check_real(p, &r);
}

/* The dynamic linker, and every ELF program of the host: all must parse exactly as readelf says. */
TEST(real_system_binaries)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	static const char *const singles[] = { "/bin/ls", "/lib64/ld-linux-x86-64.so.2" };
	char path[PATH_MAX + 260];
	struct re r;
	unsigned checked = 0, skipped = 0;

	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
		CHECK(readelf(singles[i], &r));
		check_real(singles[i], &r);
		if (unit_failed)
			return;
	}
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char real[PATH_MAX];
		/* /bin is often a link to /usr/bin: each directory once. */
		if (!realpath(dirs[d], real) || (d >= 2 && strncmp(real, "/usr/", 5) == 0))
			continue;
		DIR *dir = opendir(real);
		struct dirent *de;
		while (dir && (de = readdir(dir))) {
			uint8_t magic[20];
			snprintf(path, sizeof(path), "%s/%s", real, de->d_name);
			FILE *f = fopen(path, "rb");
			size_t got = f ? fread(magic, 1, sizeof(magic), f) : 0;
			if (f)
				fclose(f);
			/* Only x86_64 executables; scripts and others are not ours. */
			if (got < 20 || memcmp(magic, "\x7f" "ELF\2\1", 6) != 0 || magic[18] != EM_X86_64)
				continue;
			if (!readelf(path, &r) || (r.type == ET_DYN && r.entry == 0)) {
				skipped++; /* a shared library with no entry is no program */
				continue;
			}
			check_real(path, &r);
			if (unit_failed) {
				printf("# while checking %s\n", path);
				closedir(dir);
				return;
			}
			checked++;
		}
		if (dir)
			closedir(dir);
	}
	printf("# real_system_binaries: %u programs match readelf, %u skipped\n", checked, skipped);
	CHECK(checked > 10);
}

/* ---- random mutations ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A value near the edges the checks sit on, or near the current one. */
static uint64_t interesting(uint64_t cur)
{
	static const uint64_t v[] = { 0, 1, 2, 55, 56, 57, 64, 0xfff, 0x1000, 0x1001, FILE_LEN,
				      FILE_LEN + 1, 0x400000, ELF_USER_TOP - 1, ELF_USER_TOP,
				      ELF_USER_TOP + 1, UINT64_MAX, UINT64_MAX - 0xfff, 1ull << 63,
				      (1ull << 63) - 1 };
	switch (rnd() % 5) {
	case 0:
		return v[rnd() % (sizeof(v) / sizeof(v[0]))];
	case 1:
		return rnd();
	case 2:
		return rnd() % 0x3000;
	case 3:
		return cur + (rnd() % 17) - 8;
	default:
		return cur + ((rnd() % 9) - 4) * 0x1000;
	}
}

static void put(uint8_t *p, unsigned width, uint64_t v)
{
	memcpy(p, &v, width); /* little-endian, like the file */
}

static uint64_t get(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	memcpy(&v, p, width);
	return v;
}

TEST(fuzz_mutations)
{
	static const struct { uint8_t at, width; } ehf[] = {
		{ 16, 2 }, { 18, 2 }, { 20, 4 }, { 24, 8 }, { 32, 8 }, { 52, 2 }, { 54, 2 }, { 56, 2 },
	};
	static const struct { uint8_t at, width; } phf[] = {
		{ 0, 4 }, { 4, 4 }, { 8, 8 }, { 16, 8 }, { 24, 8 }, { 32, 8 }, { 40, 8 }, { 48, 8 },
	};
	static const uint32_t types[] = { PT_LOAD, PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS,
					  PT_GNU_STACK, PT_NULL, 0x12345 };
	struct img base[2], m;
	unsigned accepted = 0;
	make(&base[0], ET_EXEC);
	make(&base[1], ET_DYN);

	rng = 0xe1f64;
	for (int iter = 0; iter < 200000; iter++) {
		m = base[iter & 1];
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--) {
			unsigned i = (unsigned)(rnd() % NPH), f;
			uint8_t *p;
			switch (rnd() % 7) {
			case 0: /* a bit anywhere in the headers */
				m.b[rnd() % PH_END] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 1: /* an ELF header field */
				f = (unsigned)(rnd() % (sizeof(ehf) / sizeof(ehf[0])));
				p = m.b + ehf[f].at;
				put(p, ehf[f].width, interesting(get(p, ehf[f].width)));
				break;
			case 2:
			case 3: /* a program header field */
				f = (unsigned)(rnd() % (sizeof(phf) / sizeof(phf[0])));
				p = m.b + 64 + i * 56 + phf[f].at;
				put(p, phf[f].width, interesting(get(p, phf[f].width)));
				break;
			case 4: { /* two program headers swapped */
				unsigned j = (unsigned)(rnd() % NPH);
				uint8_t t[56];
				memcpy(t, m.b + 64 + i * 56, 56);
				memcpy(m.b + 64 + i * 56, m.b + 64 + j * 56, 56);
				memcpy(m.b + 64 + j * 56, t, 56);
				break;
			}
			case 5: /* a program header's type */
				put(m.b + 64 + i * 56, 4, types[rnd() % (sizeof(types) / sizeof(types[0]))]);
				break;
			default: /* the lengths */
				if (rnd() % 2)
					m.len = rnd() % (FILE_LEN + 1);
				else
					m.file_size = interesting(m.file_size);
				if (m.len > m.file_size && rnd() % 2)
					m.len = (size_t)m.file_size;
				break;
			}
		}
		int rc = pimg(&m, NULL);
		CHECK(rc == 0 || rc == -ENOEXEC);
		if (unit_failed) {
			printf("# fuzz: iteration %d\n", iter);
			return;
		}
		int64_t hs = elf_headers_size(guarded(m.b, m.len), m.len);
		CHECK(hs == -ENOEXEC || hs >= 64);
		accepted += rc == 0;
	}
	printf("# fuzz_mutations: 200000 mutated executables, %u accepted\n", accepted);
	CHECK(accepted > 10000); /* the mutations must not all be trivially fatal */
}
