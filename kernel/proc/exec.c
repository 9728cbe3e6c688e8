/*
 * execve: opens the program, follows `#!` interpreters, loads ELF64 segments (and the dynamic
 * loader named by PT_INTERP) into a fresh address space, builds the initial stack Linux's
 * System V ABI describes (argc, argv, envp, auxv, strings), and only then, past the point of no
 * return, swaps the address space in and resets what exec resets (close-on-exec descriptors,
 * handled signals, the name).
 */
#include "proc/exec.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "mm/vmm.h"
#include "proc/elf.h"
#include "proc/process.h"

#define MAX_INTERP_DEPTH 4
#define STACK_INITIAL (128 * 1024)

/* Auxiliary vector keys (System V ABI, Linux's values). */
enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
	AT_HWCAP2 = 26, AT_EXECFN = 31,
};

/* ---- argument strings ---- */

/* Most argument lists are small: start with 16 KiB and double up to EXEC_ARG_MAX. */
int exec_args_init(struct exec_args *a)
{
	a->cap = 16 * 1024;
	a->buf = kmalloc(a->cap);
	a->used = 0;
	a->argc = a->envc = 0;
	return a->buf ? 0 : -ENOMEM;
}

void exec_args_free(struct exec_args *a)
{
	kfree(a->buf);
	a->buf = NULL;
}

static int grow(struct exec_args *a)
{
	if (a->cap >= EXEC_ARG_MAX)
		return -E2BIG;
	char *b = kmalloc(a->cap * 2);
	if (!b)
		return -ENOMEM;
	memcpy(b, a->buf, a->used);
	kfree(a->buf);
	a->buf = b;
	a->cap *= 2;
	return 0;
}

int exec_args_push(struct exec_args *a, const char *s, bool env)
{
	size_t n = strlen(s) + 1;
	while (n > a->cap - a->used) {
		int err = grow(a);
		if (err)
			return err;
	}
	memcpy(a->buf + a->used, s, n);
	a->used += n;
	if (env)
		a->envc++;
	else
		a->argc++;
	return 0;
}

int exec_args_from_user(struct exec_args *a, const char *const *uarray, bool env)
{
	if (!uarray)
		return 0; /* Linux accepts NULL argv/envp as empty */
	for (size_t i = 0;; i++) {
		const char *ustr;
		if (copy_from_user(&ustr, &uarray[i], sizeof(ustr)))
			return -EFAULT;
		if (!ustr)
			return 0;
		long n;
		while ((n = strncpy_from_user(a->buf + a->used, ustr, a->cap - a->used)) == -ENAMETOOLONG) {
			int err = grow(a);
			if (err)
				return err;
		}
		if (n < 0)
			return (int)n;
		a->used += (size_t)n + 1;
		if (env)
			a->envc++;
		else
			a->argc++;
	}
}

/* Replaces argv[0] with the words of a `#!` line and the script path (the interpreter's argv). */
static int args_prepend_interp(struct exec_args *a, const char *interp, const char *opt, const char *script)
{
	/* Skip the old argv[0]. */
	size_t skip = a->argc ? strlen(a->buf) + 1 : 0;
	size_t rest = a->used - skip;
	size_t need = strlen(interp) + 1 + (opt ? strlen(opt) + 1 : 0) + strlen(script) + 1;
	while (need + rest > a->cap) {
		int err = grow(a);
		if (err)
			return err;
	}
	memmove(a->buf + need, a->buf + skip, rest);
	size_t pos = 0;
	const char *words[3] = { interp, opt, script };
	for (int i = 0; i < 3; i++) {
		if (!words[i])
			continue;
		size_t n = strlen(words[i]) + 1;
		memcpy(a->buf + pos, words[i], n);
		pos += n;
	}
	a->used = need + rest;
	a->argc = a->argc - (a->argc ? 1 : 0) + (opt ? 3 : 2);
	return 0;
}

/* ---- loading ---- */

struct loaded {
	uint64_t entry;      /* with the load bias */
	uint64_t bias;
	uint64_t phdr;       /* in memory, with the bias */
	uint16_t phnum;
	uint64_t end;        /* highest mapped address */
	uint64_t start_code, end_code, start_data, end_data;
};

static int open_exec(const char *path, struct file **out)
{
	struct process *p = current_process();
	struct file *f;
	int err = vfs_open(p ? &p->fs->cwd : NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	struct kstat st;
	if ((err = vfs_fstat(f, &st)) == 0) {
		if (S_ISDIR(st.mode))
			err = -EACCES;
		else if (!S_ISREG(st.mode) || !(st.mode & 0111))
			err = -EACCES;
	}
	if (err) {
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

static unsigned seg_prot(unsigned p)
{
	return ((p & ELF_PROT_READ) ? PROT_READ : 0) | ((p & ELF_PROT_WRITE) ? PROT_WRITE : 0) |
	       ((p & ELF_PROT_EXEC) ? PROT_EXEC : 0);
}

/* Maps every PT_LOAD of img from f into mm with the given bias. */
static int map_segments(struct mm *mm, struct file *f, const struct elf_image *img, uint64_t bias,
			struct loaded *out)
{
	out->bias = bias;
	out->entry = img->entry + bias;
	out->phdr = img->phdr_vaddr ? img->phdr_vaddr + bias : 0;
	out->phnum = img->phnum;
	out->end = 0;
	out->start_code = UINT64_MAX;
	out->end_code = out->start_data = out->end_data = 0;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint64_t va = s->vaddr + bias;
		uint64_t page = ALIGN_DOWN(va, PAGE_SIZE);
		uint64_t file_end_va = va + s->filesz;
		uint64_t mem_end = ALIGN_UP(va + s->memsz, PAGE_SIZE);
		unsigned prot = seg_prot(s->prot);
		if (va + s->memsz < va || mem_end > USER_SPACE_END || page < USER_SPACE_START)
			return -ENOEXEC;
		uint64_t file_map_end = ALIGN_UP(file_end_va, PAGE_SIZE);
		if (s->filesz) {
			int64_t r = mm_map_image(mm, page, file_map_end - page, prot, f, s->offset - (va - page),
						 s->offset + s->filesz);
			if (r < 0)
				return (int)r;
		} else {
			file_map_end = page;
		}
		if (mem_end > file_map_end) { /* the rest of .bss: anonymous zeros */
			int64_t r = mm_mmap(mm, file_map_end, mem_end - file_map_end, prot,
					    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, NULL, 0);
			if (r < 0)
				return (int)r;
		}
		out->end = MAX(out->end, mem_end);
		if (s->prot & ELF_PROT_EXEC) {
			out->start_code = MIN(out->start_code, va);
			out->end_code = MAX(out->end_code, va + s->filesz);
		} else {
			if (!out->start_data)
				out->start_data = va;
			out->end_data = MAX(out->end_data, va + s->filesz);
		}
	}
	if (out->start_code == UINT64_MAX)
		out->start_code = 0;
	return 0;
}

/* Reads and parses the headers of an open ELF file. */
static int read_elf(struct file *f, struct elf_image *img, uint8_t *hdr, size_t hdr_cap)
{
	struct kstat st;
	int err = vfs_fstat(f, &st);
	if (err)
		return err;
	ssize_t n = vfs_pread(f, hdr, hdr_cap, 0);
	if (n < 0)
		return (int)n;
	int64_t need = elf_headers_size(hdr, (size_t)n);
	if (need < 0 || (uint64_t)need > hdr_cap)
		return -ENOEXEC;
	return elf_parse(hdr, (size_t)n, st.size, img);
}

static uint64_t hwcap(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return d;
}

/* Writes the initial stack into mm; returns the new user rsp or -errno. */
static int64_t build_stack(struct mm *mm, const struct exec_args *args, const char *execfn,
			   const struct loaded *prog, const struct loaded *interp, bool has_interp)
{
	const struct creds *c = &current_process()->cred;
	uint64_t sp = USER_STACK_TOP;
	/* Strings at the top: argv and envp together as gathered, then the platform and AT_RANDOM. */
	sp -= args->used;
	uint64_t strings = sp;
	if (mm_copy_to(mm, strings, args->buf, args->used))
		return -EFAULT;
	size_t fnlen = strlen(execfn) + 1;
	sp -= fnlen;
	uint64_t execfn_at = sp;
	if (mm_copy_to(mm, execfn_at, execfn, fnlen))
		return -EFAULT;
	sp -= sizeof("x86_64");
	uint64_t platform = sp;
	if (mm_copy_to(mm, platform, "x86_64", sizeof("x86_64")))
		return -EFAULT;
	sp = ALIGN_DOWN(sp - 16, 16);
	uint64_t random_at = sp;
	uint8_t rnd[16];
	get_random_bytes(rnd, sizeof(rnd));
	if (mm_copy_to(mm, random_at, rnd, sizeof(rnd)))
		return -EFAULT;

	uint64_t auxv[][2] = {
		{ AT_PHDR, prog->phdr },     { AT_PHENT, 56 },
		{ AT_PHNUM, prog->phnum },   { AT_PAGESZ, PAGE_SIZE },
		{ AT_BASE, has_interp ? interp->bias : 0 },
		{ AT_FLAGS, 0 },             { AT_ENTRY, prog->entry },
		{ AT_UID, c->uid },          { AT_EUID, c->euid },
		{ AT_GID, c->gid },          { AT_EGID, c->egid },
		{ AT_PLATFORM, platform },   { AT_HWCAP, hwcap() },
		{ AT_CLKTCK, 100 },          { AT_SECURE, c->uid != c->euid || c->gid != c->egid },
		{ AT_RANDOM, random_at },    { AT_HWCAP2, 0 },
		{ AT_EXECFN, execfn_at },    { AT_NULL, 0 },
	};
	size_t nptr = 1 + (size_t)args->argc + 1 + (size_t)args->envc + 1;
	size_t table = nptr * 8 + sizeof(auxv);
	sp = ALIGN_DOWN(sp - table, 16); /* rsp points at argc, 16-byte aligned */
	uint64_t *t = kmalloc(table);
	if (!t)
		return -ENOMEM;
	size_t i = 0;
	t[i++] = (uint64_t)args->argc;
	uint64_t s = strings;
	for (int k = 0; k < args->argc; k++) {
		t[i++] = s;
		s += strlen(args->buf + (s - strings)) + 1;
	}
	t[i++] = 0;
	for (int k = 0; k < args->envc; k++) {
		t[i++] = s;
		s += strlen(args->buf + (s - strings)) + 1;
	}
	t[i++] = 0;
	memcpy(&t[i], auxv, sizeof(auxv));
	int err = mm_copy_to(mm, sp, t, table);
	kfree(t);
	if (err)
		return err;
	mm->arg_start = strings;
	mm->arg_end = strings;
	for (int k = 0; k < args->argc; k++)
		mm->arg_end += strlen(args->buf + (mm->arg_end - strings)) + 1;
	mm->env_start = mm->arg_end;
	mm->env_end = strings + args->used;
	mm->start_stack = sp;
	return (int64_t)sp;
}

/* A `#!` line: interpreter and optional argument (in place in line). */
static int parse_shebang(char *line, size_t n, char **interp, char **opt)
{
	char *end = memchr(line, '\n', n);
	if (!end)
		return -ENOEXEC; /* Linux: the line must fit in its buffer */
	*end = 0;
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*opt = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			*opt = p;
			char *e = p + strlen(p);
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
		}
	}
	return 0;
}

struct exec_state {
	struct file *file, *interp_file;
	struct elf_image img, interp_img;
	uint8_t hdr[4096], interp_hdr[4096];
	char interp_path[PATH_MAX];
	char path[PATH_MAX];
};

/* Opens path, following up to MAX_INTERP_DEPTH `#!` levels, and parses the ELF headers. */
static int prepare(struct exec_state *s, const char *path, struct exec_args *args)
{
	strlcpy(s->path, path, sizeof(s->path));
	for (int depth = 0;; depth++) {
		int err = open_exec(s->path, &s->file);
		if (err)
			return err;
		ssize_t n = vfs_pread(s->file, s->hdr, sizeof(s->hdr), 0);
		if (n < 0)
			return (int)n;
		if (n >= 2 && s->hdr[0] == '#' && s->hdr[1] == '!') {
			if (depth >= MAX_INTERP_DEPTH)
				return -ELOOP;
			char line[256];
			size_t len = MIN((size_t)n, sizeof(line) - 1);
			memcpy(line, s->hdr, len);
			line[len] = 0;
			char *interp, *opt;
			if ((err = parse_shebang(line, len, &interp, &opt)))
				return err;
			if ((err = args_prepend_interp(args, interp, opt, s->path)))
				return err;
			file_put(s->file);
			s->file = NULL;
			strlcpy(s->path, interp, sizeof(s->path));
			continue;
		}
		return read_elf(s->file, &s->img, s->hdr, sizeof(s->hdr));
	}
}

static int load_interp(struct exec_state *s)
{
	if (!s->img.has_interp)
		return 0;
	if (s->img.interp_size >= sizeof(s->interp_path))
		return -ENOEXEC;
	ssize_t n = vfs_pread(s->file, s->interp_path, s->img.interp_size, s->img.interp_offset);
	if (n != (ssize_t)s->img.interp_size || s->interp_path[n - 1] != 0)
		return -ENOEXEC;
	int err = open_exec(s->interp_path, &s->interp_file);
	if (err)
		return err;
	err = read_elf(s->interp_file, &s->interp_img, s->interp_hdr, sizeof(s->interp_hdr));
	if (!err && s->interp_img.has_interp)
		err = -ELIBBAD; /* a loader that wants a loader */
	return err;
}

/* Builds the new address space: segments, interpreter, stack, heap. */
static int build_mm(struct exec_state *s, struct exec_args *args, struct mm *mm, struct trap_frame *tf)
{
	struct loaded prog, interp = { 0 };
	uint64_t bias = s->img.type == 3 /* ET_DYN */ ? USER_PIE_BASE - ALIGN_DOWN(s->img.lo, PAGE_SIZE) : 0;
	int err = map_segments(mm, s->file, &s->img, bias, &prog);
	if (err)
		return err;
	if (s->img.has_interp) {
		uint64_t span = s->interp_img.hi - s->interp_img.lo;
		uint64_t base = mm_find_free(mm, span);
		if (!base)
			return -ENOMEM;
		if ((err = map_segments(mm, s->interp_file, &s->interp_img, base - s->interp_img.lo, &interp)))
			return err;
	}
	/* The stack, growing down to the RLIMIT_STACK distance below its top. */
	int64_t r = mm_mmap(mm, USER_STACK_TOP - STACK_INITIAL, STACK_INITIAL, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN, NULL, 0);
	if (r < 0)
		return (int)r;
	uint64_t stack_limit = current_process()->rlim[RLIMIT_STACK].cur;
	if (stack_limit > (1ull << 30))
		stack_limit = 1ull << 30;
	mm->stack_start = USER_STACK_TOP - ALIGN_UP(MAX(stack_limit, (uint64_t)STACK_INITIAL), PAGE_SIZE);
	mm->mmap_base = mm->stack_start - (1ull << 28); /* a gap below the stack's reach */
	mm->brk_start = mm->brk = ALIGN_UP(prog.end, PAGE_SIZE);
	mm->start_code = prog.start_code;
	mm->end_code = prog.end_code;
	mm->start_data = prog.start_data;
	mm->end_data = prog.end_data;

	int64_t sp = build_stack(mm, args, s->path, &prog, &interp, s->img.has_interp);
	if (sp < 0)
		return (int)sp;
	memset(tf, 0, sizeof(*tf));
	tf->rip = s->img.has_interp ? interp.entry : prog.entry;
	tf->rsp = (uint64_t)sp;
	tf->cs = GDT_USER_CODE;
	tf->ss = GDT_USER_DATA;
	tf->rflags = 0x202;
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* Every other thread of the process leaves; the caller takes the thread-group leader's TID. */
static void kill_other_threads(struct process *p, struct uthread *u)
{
	if (p->nthreads == 1)
		return;
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	p->exec_survivor = u;
	for (struct uthread *o = p->threads; o; o = o->next)
		if (o != u)
			thread_wake(o->thread);
	spin_unlock_irqrestore(&signal_lock, irq);
	wait_event(&p->thread_exit_wq, __atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 1);
	mutex_lock(&proc_lock);
	p->exec_survivor = NULL;
	if (u->tid != p->pid) {
		pid_free(u->tid);
		u->tid = p->pid;
	}
	mutex_unlock(&proc_lock);
}

/* Past the point of no return: the process becomes the new program. */
static void commit(struct exec_state *s, struct mm *mm, const char *orig_path)
{
	struct process *p = current_process();
	struct uthread *u = current_uthread();
	kill_other_threads(p, u);
	/* /proc/PID/exe names the program absolutely, whatever path (perhaps relative) found it. */
	char exe[sizeof(p->exe_path)];
	if (vfs_path_of(&s->file->path, exe, sizeof(exe)) < 0)
		strlcpy(exe, s->path, sizeof(exe));
	/* Under proc_lock: /proc takes references on p->mm and reads the names under it. */
	mutex_lock(&proc_lock);
	struct mm *old = p->mm;
	p->mm = mm;
	strlcpy(p->comm, basename_of(orig_path), sizeof(p->comm));
	memcpy(p->exe_path, exe, sizeof(exe));
	mutex_unlock(&proc_lock);
	pgt_activate(mm->root);
	if (old)
		mm_put(old);
	fd_close_on_exec(p->files);
	sighand_reset_for_exec(p->sighand);
	u->altstack = (struct sigaltstack_k){ .flags = SS_DISABLE };
	u->fs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	if (p->vfork_done) {
		complete(p->vfork_done);
		p->vfork_done = NULL;
	}
}

int do_execve(const char *path, struct exec_args *args)
{
	struct exec_state *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	struct mm *mm = NULL;
	int err = prepare(s, path, args);
	if (!err)
		err = load_interp(s);
	if (!err && !(mm = mm_create()))
		err = -ENOMEM;
	struct trap_frame tf;
	if (!err)
		err = build_mm(s, args, mm, &tf);
	if (!err) {
		commit(s, mm, path);
		*current_user_frame() = tf;
		mm = NULL;
	}
	if (mm)
		mm_put(mm);
	if (s->file)
		file_put(s->file);
	if (s->interp_file)
		file_put(s->interp_file);
	kfree(s);
	return err;
}
