/*
 * Kernel entry. Two boot protocols land here in 32-bit protected mode with paging off:
 *   - Multiboot2 (GRUB, BIOS and UEFI): EAX = 0x36d76289, EBX = physical address of the info.
 *   - PVH (QEMU -kernel, found through the Xen ELF note): EBX = physical hvm_start_info.
 * Both build the same boot page tables, enter long mode and call kmain(magic, info_paddr).
 */
#include "arch/x86_64/memlayout.h"

#define MB2_MAGIC        0xe85250d6
#define MB2_ARCH_I386    0
#define PVH_MAGIC        0x336ec578
#define PHYS(sym)        ((sym) - KERNEL_VMA)

#define PTE_P   0x1
#define PTE_W   0x2
#define PTE_PS  0x80

/* ---- Multiboot2 header: must sit in the first 32 KiB of the file, 8-byte aligned. ---- */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* Framebuffer tag (optional): ask for 1024x768x32; GRUB picks the closest it has. */
	.balign 8
	.word 5, 1
	.long 20
	.long 1024, 768, 32

	/* Module alignment tag: page-aligned modules (the initrd). */
	.balign 8
	.word 6, 0
	.long 8

	/* End tag. */
	.balign 8
	.word 0, 0
	.long 8
mb2_header_end:

/* ---- PVH entry point note, read by QEMU's -kernel loader (XEN_ELFNOTE_PHYS32_ENTRY). ---- */
	.section .note.Xen, "a"
	.balign 4
	.long 4                 /* namesz: "Xen\0" */
	.long 8                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_start

/* ---- 32-bit code, identity-mapped (VMA == LMA). ---- */
	.section .boot.text, "ax"
	.code32
	.global _start
_start:                         /* multiboot2 */
	cli
	cld
	movl %eax, %ebp         /* protocol magic */
	movl %ebx, %esi         /* info pointer */
	jmp common32

	.global pvh_start
pvh_start:
	cli
	cld
	movl $PVH_MAGIC, %ebp
	movl %ebx, %esi

common32:
	/* Zero .bss: it holds the boot page tables and stacks. */
	movl $PHYS(__bss_start), %edi
	movl $PHYS(__bss_end), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	movl $PHYS(boot_stack_top), %esp

	/* Long mode available? */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* Boot page directories: 2048 x 2 MiB pages = the first 4 GiB. */
	movl $PHYS(boot_pd), %edi
	movl $(PTE_P | PTE_W | PTE_PS), %eax
	movl $2048, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b

	/* PDPT for the identity map and the direct map: 4 entries, one per PD. */
	movl $PHYS(boot_pdpt_low), %edi
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
	movl %eax, 0(%edi)
	addl $0x1000, %eax
	movl %eax, 8(%edi)
	addl $0x1000, %eax
	movl %eax, 16(%edi)
	addl $0x1000, %eax
	movl %eax, 24(%edi)

	/* PDPT for the kernel image: the top 2 GiB map physical 0-2 GiB. */
	movl $PHYS(boot_pdpt_high), %edi
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
	movl %eax, 510*8(%edi)
	addl $0x1000, %eax
	movl %eax, 511*8(%edi)

	movl $PHYS(boot_pml4), %edi
	movl $(PHYS(boot_pdpt_low) + PTE_P + PTE_W), %eax
	movl %eax, 0(%edi)              /* identity: needed while we run from low addresses */
	movl %eax, 256*8(%edi)          /* DIRECT_MAP_BASE */
	movl $(PHYS(boot_pdpt_high) + PTE_P + PTE_W), %eax
	movl %eax, 511*8(%edi)          /* KERNEL_VMA */

	/* PAE, then CR3, then EFER.LME, then paging + write protect. */
	movl %cr4, %eax
	orl $(1 << 5), %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $(1 << 8), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_entry

no_long_mode:
	movl $no_lm_msg, %ebx
2:	movb (%ebx), %al
	testb %al, %al
	jz 3f
	movw $0x3f8, %dx
	outb %al, %dx
	incl %ebx
	jmp 2b
3:	hlt
	jmp 3b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $high_entry, %rax
	jmp *%rax

	.section .boot.data, "a"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt
no_lm_msg:
	.asciz "Ferrite: this CPU does not support x86_64 long mode\r\n"

/* ---- 64-bit code in the higher half. ---- */
	.text
high_entry:
	movabsq $boot_stack_top, %rsp
	movl %ebp, %edi                 /* kmain(magic, info_paddr); zero-extends */
	movl %esi, %esi
	xorl %ebp, %ebp                 /* a zero frame pointer ends backtraces */
	call kmain
5:	cli
	hlt
	jmp 5b

	.bss
	.balign 4096
	.global boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
	/* An unmapped page below the boot stack turns an overflow into a fault (see paging_init). */
	.global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
