/*
 * Application-processor start-up code. The boot CPU copies this blob to TRAMPOLINE_PHYS
 * (below 1 MiB: a startup IPI can only start a CPU there, in real mode at CS:IP = vector:0),
 * fills in the data words at its end, and sends INIT-SIPI-SIPI. The AP goes real mode ->
 * protected mode -> long mode on a temporary page table that identity-maps this page and
 * shares the kernel half, then jumps to ap_entry(cpu) in the higher half.
 */
#include "arch/x86_64/smp_defs.h"

#define T(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

	.section .rodata
	.balign 16
	.global trampoline_start, trampoline_end
	.global tramp_cr3, tramp_efer, tramp_stack, tramp_entry, tramp_cpu
	.code16
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $T(tramp32)

	.code32
tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax             /* PAE */
	movl %eax, %cr4
	movl T(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME, and NXE when the boot CPU uses it */
	rdmsr
	orl T(tramp_efer), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG, WP, PE */
	movl %eax, %cr0
	ljmpl $0x18, $T(tramp64)

	.code64
tramp64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq T(tramp_stack), %rsp
	movl T(tramp_cpu), %edi
	xorl %ebp, %ebp
	movq T(tramp_entry), %rax
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_ptr:
	.word 31
	.long T(tramp_gdt)
	.balign 8
tramp_cr3:   .quad 0
tramp_stack: .quad 0
tramp_entry: .quad 0
tramp_efer:  .long 0
tramp_cpu:   .long 0
trampoline_end:
