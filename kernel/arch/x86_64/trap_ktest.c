/* ktests for the IDT: exceptions reach their handler with the right frame and return cleanly. */
#include "arch/x86_64/trap.h"
#include "test/ktest.h"

static volatile uint64_t seen_vector, seen_error, seen_rip, hits;

/* Records the exception and resumes after the faulting instruction (skip bytes). */
static volatile uint64_t skip_bytes;
static void record_and_skip(struct trap_frame *tf)
{
	seen_vector = tf->vector;
	seen_error = tf->error_code;
	seen_rip = tf->rip;
	hits++;
	tf->rip += skip_bytes;
}

KTEST(trap_breakpoint_returns)
{
	hits = 0;
	skip_bytes = 0; /* #BP is a trap: RIP already points past int3 */
	trap_set_handler(VEC_BREAKPOINT, record_and_skip);
	uint64_t rbx_before = 0x1234567890abcdefull, rbx_after;
	__asm__ volatile("movq %1, %%rbx; int3; movq %%rbx, %0" : "=r"(rbx_after) : "r"(rbx_before) : "rbx");
	trap_set_handler(VEC_BREAKPOINT, NULL);
	KT_ASSERT_EQ(hits, 1);
	KT_ASSERT_EQ(seen_vector, VEC_BREAKPOINT);
	KT_ASSERT_EQ(rbx_after, rbx_before); /* registers survive the round trip */
}

KTEST(trap_invalid_opcode)
{
	hits = 0;
	skip_bytes = 2; /* ud2 is 0f 0b; a fault reports the instruction itself */
	trap_set_handler(VEC_INVALID_OPCODE, record_and_skip);
	uint64_t ud2_addr;
	__asm__ volatile("leaq 1f(%%rip), %0\n1: ud2" : "=r"(ud2_addr));
	trap_set_handler(VEC_INVALID_OPCODE, NULL);
	KT_ASSERT_EQ(hits, 1);
	KT_ASSERT_EQ(seen_vector, VEC_INVALID_OPCODE);
	KT_ASSERT_EQ(seen_rip, ud2_addr);
	KT_ASSERT_EQ(seen_error, 0);
}

KTEST(trap_gp_error_code)
{
	hits = 0;
	skip_bytes = 3; /* mov %ax, %es (66 8e c0 with the operand-size prefix gas emits) */
	trap_set_handler(VEC_GP, record_and_skip);
	/* Selector 0x1230 is far past the GDT's limit: #GP with the selector as error code. */
	__asm__ volatile("movw $0x1230, %%ax\n\t.byte 0x66, 0x8e, 0xc0" ::: "rax", "memory");
	trap_set_handler(VEC_GP, NULL);
	KT_ASSERT_EQ(hits, 1);
	KT_ASSERT_EQ(seen_vector, VEC_GP);
	KT_ASSERT_EQ(seen_error, 0x1230);
}
