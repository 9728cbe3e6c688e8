/*
 * context_switch(uint64_t *prev_rsp, uint64_t next_rsp): saves the callee-saved registers on
 * the current stack, stores the stack pointer in *prev_rsp, loads next_rsp and pops the next
 * thread's registers. Everything else is caller-saved by the C calling convention, and the FPU
 * state is switched in C (fpu.c) before this is called.
 *
 * A new thread's stack is prepared (thread.c) so that the ret lands in thread_trampoline with
 * the entry function in %r12 and its argument in %r13.
 */
	.text
	.global context_switch
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.global thread_trampoline
thread_trampoline:
	movq %r12, %rdi         /* entry */
	movq %r13, %rsi         /* arg */
	xorl %ebp, %ebp         /* backtraces end here */
	call thread_start       /* never returns */
	ud2
