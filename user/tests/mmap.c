/*
 * mmap: the address space from user space. Anonymous and file mappings (private and shared),
 * MAP_FIXED and hints, mprotect/munmap faults with their siginfo, mremap, madvise, brk, argument
 * errors, executable pages and stack growth.
 */
#include "t.h"

#include <stdint.h>
#include <sys/mman.h>

#define PG 4096

static void *map_anon(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* fn(addr) must raise sig with si_code and si_addr == addr. */
static void check_fault(const char *check, void (*fn)(void *), void *addr, int sig, int code)
{
	siginfo_t si;
	int got = t_fault(fn, addr, &si);

	t_check(check, got == sig && si.si_code == code && si.si_addr == addr,
		"signal %d code %d addr %p, expected signal %d code %d addr %p", got, si.si_code,
		si.si_addr, sig, code, addr);
}

static void check_no_fault(const char *check, void (*fn)(void *), void *addr)
{
	siginfo_t si;
	int got = t_fault(fn, addr, &si);

	t_check(check, got == 0, "signal %d at %p", got, si.si_addr);
}

static int all_bytes(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static void test_anon(void)
{
	char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (!t_check("anon_private", p != NULL, "mmap failed with %s", t_errname(errno)))
		return;
	CHECK("anon_private_zeroed", all_bytes(p, 3 * PG, 0));
	CHECK_EQ("anon_private_page_aligned", (uintptr_t)p % PG, 0);
	memset(p, 'a', 3 * PG);
	CHECK("anon_private_rw", all_bytes(p, 3 * PG, 'a'));
	munmap(p, 3 * PG);

	volatile int *s = map_anon(PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (!t_check("anon_shared", s != NULL, "mmap failed with %s", t_errname(errno)))
		return;
	s[0] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		if (s[0] != 1)
			_exit(1);
		s[1] = 42;
		_exit(0);
	}
	CHECK_CHILD("anon_shared_child", t_wait(pid));
	CHECK_EQ("anon_shared_visible_across_fork", s[1], 42);
	munmap((void *)s, PG);

	/* A large sparse mapping: only the touched pages need memory. */
	size_t big = 1ul << 30;
	char *b = map_anon(big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
	if (t_check("anon_1gib_sparse", b != NULL, "mmap 1 GiB failed with %s", t_errname(errno))) {
		for (size_t off = 0; off < big; off += big / 8)
			b[off] = (char)(off >> 27);
		int ok = 1;
		for (size_t off = 0; off < big; off += big / 8)
			ok &= b[off] == (char)(off >> 27) && b[off + 1] == 0;
		CHECK("anon_1gib_sparse_touch", ok);
		munmap(b, big);
	}
}

static void test_placement(void)
{
	char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (!NEED("map_fixed", p ? 0 : -1))
		return;
	memset(p, 'x', 4 * PG);
	char *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("map_fixed_address", q == p + PG);
	CHECK("map_fixed_replaces", all_bytes(p + PG, PG, 0));
	CHECK("map_fixed_neighbours_kept", all_bytes(p, PG, 'x') && all_bytes(p + 2 * PG, 2 * PG, 'x'));
	CHECK_ERR("map_fixed_noreplace_eexist",
		  mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	CHECK_ERR("map_fixed_unaligned_einval",
		  mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
	munmap(p, 4 * PG);

	/* A hint at a free place is taken as it is. */
	char *hole = map_anon(16 * PG, PROT_NONE, MAP_PRIVATE);
	if (!NEED("map_hint", hole ? 0 : -1))
		return;
	munmap(hole, 16 * PG);
	char *h = mmap(hole + 4 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_check("map_hint_honoured", h == hole + 4 * PG, "got %p for hint %p", (void *)h, (void *)(hole + 4 * PG));
	if (h != MAP_FAILED)
		munmap(h, PG);
}

/* File mappings. "f" holds two pages of 'A' and 100 bytes of 'a'. */
#define FSIZE (2 * PG + 100)

static int make_file(void)
{
	char buf[FSIZE];

	memset(buf, 'A', 2 * PG);
	memset(buf + 2 * PG, 'a', 100);
	if (t_write_file("f", buf, FSIZE, 0644))
		return -1;
	return open("f", O_RDWR);
}

static void test_file_private(void)
{
	int fd = make_file();
	char c = 0;

	if (!NEED("file_private", fd))
		return;
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!t_check("file_private_map", p != MAP_FAILED, "mmap failed with %s", t_errname(errno))) {
		close(fd);
		return;
	}
	CHECK("file_private_contents", all_bytes(p, 2 * PG, 'A') && all_bytes(p + 2 * PG, 100, 'a'));
	CHECK("file_private_tail_zero", all_bytes(p + FSIZE, 3 * PG - FSIZE, 0));
	p[0] = 'B';
	p[2 * PG + 200] = 'B'; /* past end of file, inside its last page */
	CHECK("file_private_write_seen", p[0] == 'B');
	CHECK("file_private_write_not_in_file", pread(fd, &c, 1, 0) == 1 && c == 'A');
	struct stat st;
	CHECK("file_private_size_unchanged", fstat(fd, &st) == 0 && st.st_size == FSIZE);
	/* A whole page past the end of the file is SIGBUS. */
	check_fault("file_beyond_eof_sigbus", t_read_byte, p + 3 * PG, SIGBUS, BUS_ADRERR);
	munmap(p, 4 * PG);

	char *q = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
	CHECK("file_offset", q != MAP_FAILED && q[0] == 'A' && q[PG - 1] == 'A');
	if (q != MAP_FAILED)
		munmap(q, PG);
	CHECK_ERR("file_offset_unaligned_einval", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	close(fd);
}

static void test_file_shared(void)
{
	int fd = make_file();
	char c = 0;

	if (!NEED("file_shared", fd))
		return;
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!t_check("file_shared_map", p != MAP_FAILED, "mmap failed with %s", t_errname(errno))) {
		close(fd);
		return;
	}
	p[10] = 'C';
	CHECK_OK("file_shared_msync", msync(p, 3 * PG, MS_SYNC));
	CHECK("file_shared_write_after_msync", pread(fd, &c, 1, 10) == 1 && c == 'C');
	/* write() to the file shows in the mapping. */
	CHECK("file_shared_sees_write", pwrite(fd, "W", 1, 20) == 1 && p[20] == 'W');
	p[PG + 5] = 'D';
	munmap(p, 3 * PG);
	CHECK("file_shared_write_after_munmap", pread(fd, &c, 1, PG + 5) == 1 && c == 'D');
	close(fd);

	/* Shared between processes through the file. */
	fd = open("f", O_RDWR);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!NEED("file_shared_fork", p == MAP_FAILED ? -1 : 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		p[30] = 'E';
		_exit(0);
	}
	CHECK_CHILD("file_shared_fork_child", t_wait(pid));
	CHECK_EQ("file_shared_fork_visible", p[30], 'E');
	munmap(p, PG);
	close(fd);

	fd = open("f", O_RDONLY);
	CHECK_ERR("file_shared_rdonly_fd_eacces", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	close(fd);
}

static void test_protect(void)
{
	char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (!NEED("mprotect", p ? 0 : -1))
		return;
	memset(p, 'p', 3 * PG);
	CHECK_OK("mprotect_read", mprotect(p + PG, PG, PROT_READ));
	check_fault("mprotect_write_sigsegv", t_write_byte, p + PG + 8, SIGSEGV, SEGV_ACCERR);
	check_no_fault("mprotect_read_still_reads", t_read_byte, p + PG);
	check_no_fault("mprotect_neighbour_writable", t_write_byte, p + 2 * PG);
	CHECK_OK("mprotect_none", mprotect(p + PG, PG, PROT_NONE));
	check_fault("mprotect_none_read_sigsegv", t_read_byte, p + PG, SIGSEGV, SEGV_ACCERR);
	CHECK_OK("mprotect_back", mprotect(p + PG, PG, PROT_READ | PROT_WRITE));
	check_no_fault("mprotect_back_writable", t_write_byte, p + PG + 8);
	CHECK("mprotect_keeps_data", p[PG] == 'p' && p[PG + 8] == 1);
	/* Raw: the C library rounds the address down. */
	CHECK_ERR("mprotect_unaligned_einval", syscall(SYS_mprotect, p + 1, PG, PROT_READ), EINVAL);

	CHECK_OK("munmap_middle", munmap(p + PG, PG));
	check_fault("munmap_access_sigsegv", t_read_byte, p + PG, SIGSEGV, SEGV_MAPERR);
	check_no_fault("munmap_neighbours_kept", t_write_byte, p);
	check_no_fault("munmap_neighbours_kept2", t_write_byte, p + 2 * PG);
	munmap(p, 3 * PG);
	check_fault("munmap_whole_sigsegv", t_write_byte, p + 2 * PG, SIGSEGV, SEGV_MAPERR);
	CHECK_OK("munmap_unmapped_ok", munmap(p, 3 * PG));
}

static void test_remap(void)
{
	char *p = map_anon(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (!NEED("mremap", p ? 0 : -1))
		return;
	memset(p, 'M', PG);
	char *q = mremap(p, PG, 4 * PG, MREMAP_MAYMOVE);
	if (!t_check("mremap_grow", q != MAP_FAILED, "mremap failed with %s", t_errname(errno)))
		return;
	CHECK("mremap_grow_keeps_data", all_bytes(q, PG, 'M'));
	CHECK("mremap_grow_new_zero", all_bytes(q + PG, 3 * PG, 0));
	check_no_fault("mremap_grow_writable", t_write_byte, q + 3 * PG);

	/* Grow in place is impossible when the next page is taken, and MAYMOVE is not given. */
	char *r = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (r) {
		munmap(r + PG, PG);
		CHECK_ERR("mremap_no_room_enomem", mremap(r, PG, 3 * PG, 0), ENOMEM);
		munmap(r, PG);
		r = NULL;
	}
	/* Move to a chosen place. */
	char *dst = map_anon(8 * PG, PROT_NONE, MAP_PRIVATE);
	if (!NEED("mremap_fixed", dst ? 0 : -1))
		return;
	char *m = mremap(q, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * PG);
	CHECK("mremap_fixed_address", m == dst + 2 * PG);
	CHECK("mremap_fixed_keeps_data", m == dst + 2 * PG && all_bytes(m, PG, 'M') && m[3 * PG] == 1);
	check_fault("mremap_old_gone", t_read_byte, q, SIGSEGV, SEGV_MAPERR);
	/* Shrink. */
	char *s = mremap(m, 4 * PG, PG, 0);
	CHECK("mremap_shrink", s == m && s[0] == 'M');
	check_fault("mremap_shrink_tail_gone", t_read_byte, m + PG, SIGSEGV, SEGV_MAPERR);
	munmap(dst, 8 * PG);
}

static void test_madvise(void)
{
	char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *s = map_anon(PG, PROT_READ | PROT_WRITE, MAP_SHARED);

	if (!NEED("madvise", p && s ? 0 : -1))
		return;
	memset(p, 'z', 2 * PG);
	memset(s, 's', PG);
	CHECK_OK("madvise_dontneed", madvise(p, 2 * PG, MADV_DONTNEED));
	CHECK("madvise_dontneed_zeroes_private", all_bytes(p, 2 * PG, 0));
	CHECK_OK("madvise_dontneed_shared", madvise(s, PG, MADV_DONTNEED));
	CHECK("madvise_dontneed_shared_keeps", all_bytes(s, PG, 's'));
	CHECK_ERR("madvise_unaligned_einval", madvise(p + 1, PG, MADV_DONTNEED), EINVAL);
	munmap(p, 2 * PG);
	munmap(s, PG);
}

/* brk runs in a child: the C library's allocator may use it too. */
static int brk_child(void)
{
	uintptr_t cur = syscall(SYS_brk, 0);
	uintptr_t base = (cur + PG - 1) & ~(uintptr_t)(PG - 1);

	if (!cur)
		return 1;
	if ((uintptr_t)syscall(SYS_brk, base + 64 * PG) != base + 64 * PG)
		return 2; /* grow */
	memset((void *)cur, 'k', base + 64 * PG - cur);
	if ((uintptr_t)syscall(SYS_brk, 0) != base + 64 * PG)
		return 3;
	if ((uintptr_t)syscall(SYS_brk, base + PG) != base + PG)
		return 4; /* shrink */
	if (t_fault(t_read_byte, (void *)(base + 32 * PG), NULL) != SIGSEGV)
		return 5; /* the pages above the break are gone */
	if ((uintptr_t)syscall(SYS_brk, base + 8 * PG) != base + 8 * PG)
		return 6;
	if (*(char *)(base + 4 * PG) != 0)
		return 7; /* grown again: fresh zero pages */
	if ((uintptr_t)syscall(SYS_brk, 1ul << 46) != base + 8 * PG)
		return 8; /* refused: the break stays */
	if ((uintptr_t)syscall(SYS_brk, 4096) != base + 8 * PG)
		return 9; /* below the start: refused */
	return 0;
}

static void test_brk(void)
{
	CHECK_CHILD("brk_grow_shrink", t_in_child(brk_child));
}

static void test_errors(void)
{
	char *p = map_anon(PG, PROT_READ, MAP_PRIVATE);

	CHECK_ERR("mmap_length0_einval", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR("mmap_no_type_einval", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR("mmap_bad_fd_ebadf", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 12345, 0), EBADF);
	CHECK_ERR("munmap_unaligned_einval", munmap(p + 1, PG), EINVAL);
	CHECK_ERR("munmap_length0_einval", munmap(p, 0), EINVAL);
	if (p)
		munmap(p, PG);
}

/* mov $42, %eax; ret */
static const unsigned char code42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

static void call_page(void *p)
{
	int (*fn)(void) = (int (*)(void))p;
	fn();
}

static void test_exec(void)
{
	unsigned char *p = map_anon(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (!NEED("exec_page", p ? 0 : -1))
		return;
	memcpy(p, code42, sizeof(code42));
	check_fault("exec_nx_sigsegv", call_page, p, SIGSEGV, SEGV_ACCERR);
	if (CHECK_OK("exec_mprotect_rx", mprotect(p, PG, PROT_READ | PROT_EXEC))) {
		int (*fn)(void) = (int (*)(void))p;
		CHECK_EQ("exec_runs", fn(), 42);
	}
	munmap(p, PG);
}

/* About 1 MiB of stack: 256 frames of 4 KiB, each touched. */
static unsigned long deep(int n)
{
	volatile unsigned char frame[4096];

	for (int i = 0; i < 4096; i += 512)
		frame[i] = (unsigned char)(n + i);
	unsigned long below = n > 0 ? deep(n - 1) : 0;
	return below + frame[n % 8 * 512];
}

static void test_stack(void)
{
	unsigned long expect = 0;

	for (int n = 0; n <= 256; n++)
		expect += (unsigned char)(n + n % 8 * 512);
	CHECK_EQ("stack_growth_1mib", deep(256), expect);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("mmap", argv);
	test_anon();
	test_placement();
	test_file_private();
	test_file_shared();
	test_protect();
	test_remap();
	test_madvise();
	test_brk();
	test_errors();
	test_exec();
	test_stack();
	return t_done();
}
