/*
 * The SYSCALL instruction's set-up (IA32_STAR, LSTAR, FMASK, EFER.SCE) and the C side of the
 * entry: dispatch, then the checks that decide whether SYSRET may return (syscall_entry.S).
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "proc/syscall.h"

#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  (1ull << 0)

#define RFLAGS_TF 0x100
#define RFLAGS_DF 0x400
#define RFLAGS_NT 0x4000
#define RFLAGS_RF 0x10000
#define RFLAGS_AC 0x40000
#define RFLAGS_IOPL 0x3000

extern char syscall_entry[];

void syscall_init_cpu(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/*
	 * STAR[47:32]: SYSCALL loads CS from it (SS = +8); STAR[63:48]: SYSRET loads CS = +16 and
	 * SS = +8 from it, with RPL 3. GDT: kernel code 0x08, data 0x10, user data 0x18, code 0x20.
	 */
	wrmsr(MSR_STAR, ((uint64_t)(GDT_USER_DATA - 8) << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Entered with interrupts off, no single-step, DF clear, no AC (SMAP stays armed). */
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_IOPL);
}

/* Runs the call; then 1 when SYSRET can return to the frame exactly, 0 for IRET. */
int syscall_dispatch(struct trap_frame *tf);
int syscall_dispatch(struct trap_frame *tf)
{
	syscall_run(tf);
	if (tf->cs != GDT_USER_CODE || tf->ss != GDT_USER_DATA)
		return 0;
	/* SYSRET #GPs in ring 0 on a non-canonical RIP: those go through IRET, which faults in ring 3. */
	if (tf->rip >= 0x00007ffffffff000ull)
		return 0;
	if (tf->rflags & (RFLAGS_TF | RFLAGS_RF))
		return 0;
	/* SYSRET takes RIP from %rcx and RFLAGS from %r11: they must equal the frame's. */
	if (tf->rcx != tf->rip || tf->r11 != tf->rflags)
		return 0;
	return 1;
}
