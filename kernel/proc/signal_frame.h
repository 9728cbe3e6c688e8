/* The signal frame on the user stack, laid out as Linux x86_64 builds it (internal to proc/). */
#pragma once

#include "lib/types.h"

struct user_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad; int64_t utime, stime; } chld;
		struct { int32_t pid; uint32_t uid; uint64_t value; } rt;
		struct { uint64_t addr; } fault;
		uint8_t bytes[112];
	};
};
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo_t is 128 bytes");

struct user_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;   /* user address of the FXSAVE image */
	uint64_t reserved[8];
};
_Static_assert(sizeof(struct user_sigcontext) == 256, "struct sigcontext (mcontext_t) is 256 bytes");

struct user_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

struct user_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct user_stack_t uc_stack;
	struct user_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;  /* the handler returns here: sa_restorer, which calls rt_sigreturn */
	struct user_ucontext uc;
	struct user_siginfo info;
};

#define FXSAVE_SIZE 512
