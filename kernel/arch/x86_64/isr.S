/*
 * Interrupt and exception entry: one small stub per vector pushes a uniform frame
 * (error code, vector, general registers) and calls trap_dispatch(struct trap_frame *).
 */


	.text
	.altmacro

.macro isr_stub vec
	.balign 16
isr_stub_\vec:
	.if !((\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30))
	pushq $0
	.endif
	pushq $\vec
	.if (\vec == 2) || (\vec == 18)
	jmp isr_paranoid
	.else
	jmp isr_common
	.endif
.endm

.set vec, 0
.rept 256
	isr_stub %vec
	.set vec, vec + 1
.endr

isr_common:
	/* From user mode, swap to the kernel's GS base. CS sits 3 slots above the vector. */
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:
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
	cld
	movq %rsp, %rdi
	call trap_dispatch
	.global trap_return
trap_return:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:
	addq $16, %rsp          /* vector and error code */
	iretq

/*
 * NMI and machine check can arrive anywhere, including the instructions of the SYSCALL entry
 * and exit that run in ring 0 with the user's GS base. CS cannot tell, so these look at the GS
 * base itself: kernel GS bases are upper-half addresses.
 */
isr_paranoid:
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
	cld
	movl $0xc0000101, %ecx  /* IA32_GS_BASE */
	rdmsr
	xorl %ebx, %ebx         /* callee-saved: did we swap? */
	testl %edx, %edx
	js 1f
	swapgs
	movl $1, %ebx
1:
	movq %rsp, %rdi
	call trap_dispatch
	testl %ebx, %ebx
	jz 2f
	swapgs
2:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

.macro stub_addr vec
	.quad isr_stub_\vec
.endm

	.section .rodata
	.balign 8
	.global isr_stub_table
isr_stub_table:
.set vec, 0
.rept 256
	stub_addr %vec
	.set vec, vec + 1
.endr
