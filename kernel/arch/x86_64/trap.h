/* Interrupt descriptor table, the saved register frame, and per-vector handlers. */
#pragma once

#include "lib/types.h"

/* Laid out by isr.S: general registers (last pushed first), then vector, error code, CPU frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout matches isr.S");

enum {
	VEC_DIVIDE_ERROR = 0, VEC_DEBUG = 1, VEC_NMI = 2, VEC_BREAKPOINT = 3, VEC_OVERFLOW = 4,
	VEC_BOUND = 5, VEC_INVALID_OPCODE = 6, VEC_DEVICE_NA = 7, VEC_DOUBLE_FAULT = 8,
	VEC_INVALID_TSS = 10, VEC_SEGMENT_NP = 11, VEC_STACK_FAULT = 12, VEC_GP = 13,
	VEC_PAGE_FAULT = 14, VEC_X87 = 16, VEC_ALIGNMENT = 17, VEC_MACHINE_CHECK = 18,
	VEC_SIMD = 19, VEC_VIRT = 20, VEC_CONTROL_PROTECTION = 21,
	VEC_FIRST_IRQ = 32,
};

typedef void (*trap_handler_t)(struct trap_frame *tf);

void idt_init(void);
/* Loads the (shared) IDT on this CPU. */
void idt_load(void);
/* Installs a handler for a vector; exceptions without one end in exception_report + panic. */
void trap_set_handler(unsigned vector, trap_handler_t fn);
void trap_dispatch(struct trap_frame *tf);

/* An exception from user mode: queues the matching signal; false if tf is not from user mode. */
bool user_exception(struct trap_frame *tf);

/* Prints the exception name, decoded error code, registers and a backtrace. */
void exception_report(const struct trap_frame *tf);
const char *exception_name(unsigned vector);
