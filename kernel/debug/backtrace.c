/* Frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer). */
#include "debug/backtrace.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"

#define BACKTRACE_MAX 32

/*
 * A frame pointer worth following: aligned and inside kernel memory (the image, the vmalloc
 * area that holds thread stacks, or the direct map).
 */
static bool plausible_frame(uint64_t fp)
{
	if (fp & 7)
		return false;
	if (fp >= KERNEL_VMA)
		return fp <= UINT64_MAX - 16;
	if (fp >= VMALLOC_START && fp < VMALLOC_END - 16)
		return true;
	return fp >= DIRECT_MAP_BASE && fp < DIRECT_MAP_BASE + BOOT_DIRECT_MAP_SIZE;
}

static void print_return_address(int depth, uint64_t ret)
{
	/* ret points after the call; look up ret-1 so a call at a function's end names it. */
	uint64_t off;
	const char *name = ksym_lookup(ret - 1, &off);
	if (name)
		pr_emerg("    #%-2d %016llx <%s+0x%llx>\n", depth, (unsigned long long)ret, name,
			 (unsigned long long)(off + 1));
	else
		pr_emerg("    #%-2d %016llx <?>\n", depth, (unsigned long long)ret);
}

/* Follows saved frame pointers; a run of identical return addresses (recursion) prints once. */
static void walk_frames(int depth, uint64_t rbp)
{
	uint64_t last = 0, repeats = 0;
	for (int steps = 0; steps < 4096 && depth < BACKTRACE_MAX && plausible_frame(rbp); steps++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (ret < KERNEL_VMA)
			break;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				pr_emerg("    ... the frame above repeated %llu more times\n",
					 (unsigned long long)repeats);
			repeats = 0;
			print_return_address(depth++, ret);
			last = ret;
		}
		/* Frames live at increasing addresses; anything else is a corrupt chain. */
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	if (repeats)
		pr_emerg("    ... the frame above repeated %llu more times\n", (unsigned long long)repeats);
}

void backtrace_print(uint64_t pc, uint64_t rbp)
{
	char sym[96];
	pr_emerg("  Backtrace:\n");
	ksym_format(pc, sym, sizeof(sym));
	pr_emerg("    #0  %016llx %s\n", (unsigned long long)pc, sym);
	walk_frames(1, rbp);
}

/*
 * Has the function containing pc pushed %rbp yet? gcc gives leaf functions that use no stack
 * no frame at all (whatever -fno-omit-frame-pointer says), and a fault can also hit a function's
 * first instruction. In both cases %rbp is still the caller's and the return address is on top
 * of the stack.
 */
static bool frame_established(uint64_t pc)
{
	uint64_t off;
	if (!ksym_lookup(pc, &off))
		return true;
	const uint8_t *fn = (const uint8_t *)(pc - off);
	size_t skip = (fn[0] == 0xf3 && fn[1] == 0x0f && fn[2] == 0x1e && fn[3] == 0xfa) ? 4 : 0; /* endbr64 */
	return fn[skip] == 0x55 /* push %rbp */ && off > skip;
}

void backtrace_print_trap(const struct trap_frame *tf)
{
	char sym[96];
	pr_emerg("  Backtrace:\n");
	ksym_format(tf->rip, sym, sizeof(sym));
	pr_emerg("    #0  %016llx %s\n", (unsigned long long)tf->rip, sym);
	int depth = 1;
	if (!(tf->cs & 3) && !frame_established(tf->rip) && plausible_frame(tf->rsp)) {
		uint64_t ret = *(const uint64_t *)tf->rsp;
		if (ret >= KERNEL_VMA)
			print_return_address(depth++, ret);
	}
	walk_frames(depth, tf->rbp);
}

void regs_dump(const struct trap_frame *tf)
{
	pr_emerg("  RAX=%016llx RBX=%016llx RCX=%016llx\n", (unsigned long long)tf->rax,
		 (unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
	pr_emerg("  RDX=%016llx RSI=%016llx RDI=%016llx\n", (unsigned long long)tf->rdx,
		 (unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
	pr_emerg("  RBP=%016llx R8 =%016llx R9 =%016llx\n", (unsigned long long)tf->rbp,
		 (unsigned long long)tf->r8, (unsigned long long)tf->r9);
	pr_emerg("  R10=%016llx R11=%016llx R12=%016llx\n", (unsigned long long)tf->r10,
		 (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	pr_emerg("  R13=%016llx R14=%016llx R15=%016llx\n", (unsigned long long)tf->r13,
		 (unsigned long long)tf->r14, (unsigned long long)tf->r15);
	pr_emerg("  CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx\n", (unsigned long long)read_cr0(),
		 (unsigned long long)read_cr2(), (unsigned long long)read_cr3(),
		 (unsigned long long)read_cr4());
}
