/*
 * The SYSCALL entry and its two exits. SYSCALL leaves the user RIP in %rcx and RFLAGS in %r11,
 * masks RFLAGS with IA32_FMASK (interrupts off) and does not touch %rsp, so the first
 * instructions run on the user's stack with the user's GS base: swapgs, park the user %rsp in
 * the per-CPU area, switch to the thread's kernel stack. Nothing the user controls is trusted
 * here; %rsp comes from gs:PERCPU_KERNEL_RSP.
 *
 * The saved state is a struct trap_frame (trap.h), identical to an interrupt's, at the top of
 * the kernel stack: signals, fork and execve edit one frame layout whichever way the thread
 * entered. The vector slot holds SYSCALL_FRAME_VECTOR.
 *
 * Return: syscall_dispatch() says whether SYSRET is safe (canonical user RIP, %rcx/%r11 equal to
 * RIP/RFLAGS, no TF/RF, standard selectors). SYSRET with a non-canonical RCX would #GP in ring 0
 * on the user stack, so anything unusual (a signal frame, execve, ptrace-style edits) leaves
 * through IRET via trap_return.
 */
#include "arch/x86_64/percpu.h"

#define USER_DATA_SEL 0x1b  /* GDT_USER_DATA */
#define USER_CODE_SEL 0x23  /* GDT_USER_CODE */
#define SYSCALL_FRAME_VECTOR 0x100

	.text
	.global syscall_entry
	.balign 16
syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KERNEL_RSP, %rsp
	pushq $USER_DATA_SEL            /* ss */
	pushq %gs:PERCPU_USER_RSP       /* rsp */
	pushq %r11                      /* rflags */
	pushq $USER_CODE_SEL            /* cs */
	pushq %rcx                      /* rip */
	pushq $0                        /* error code */
	pushq $SYSCALL_FRAME_VECTOR     /* vector */
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	xorl %ebp, %ebp                 /* backtraces stop at the user boundary */
	movq %rsp, %rdi
	call syscall_dispatch           /* interrupts on inside; returns 1 when SYSRET is safe */
	cli
	testl %eax, %eax
	jz 1f
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11                       /* = rflags (syscall_dispatch made sure) */
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx                       /* = rip */
	popq %rbx
	popq %rax
	movq 5*8(%rsp), %rsp            /* past vector, error code, rip, cs, rflags: the user rsp */
	swapgs
	sysretq
1:
	jmp trap_return

/*
 * enter_user_frame(struct trap_frame *tf): leaves the kernel for the user state in tf (a new
 * process after execve, a forked child, a new thread). tf sits at the top of the kernel stack.
 */
	.global enter_user_frame
enter_user_frame:
	cli
	movq %rdi, %rsp
	jmp trap_return
