/*
 * System calls, Linux x86_64 numbering and convention: number in %rax, arguments in %rdi, %rsi,
 * %rdx, %r10, %r8, %r9, result (or -errno) in %rax. Each subsystem defines its calls next to
 * its code and registers them with SYSCALL(number, name) after the function sys_<name>:
 *
 *     static int64_t sys_getpid(void) { ... }
 *     SYSCALL(39, getpid);
 *
 * Handlers take their arguments with their real types (int arguments use only the low 32 bits
 * of the register, as the ABI says). Numbers without a handler return -ENOSYS, logged once.
 */
#pragma once

#include "lib/types.h"

typedef int64_t (*syscall_fn_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

struct syscall_entry {
	unsigned nr;
	const char *name;
	syscall_fn_t fn;
};

#define SYSCALL(nr_, name_)                                                                 \
	static const struct syscall_entry __syscall_##name_                                 \
		__attribute__((used, section(".syscalls"), aligned(8))) = {                 \
			(nr_), #name_, (syscall_fn_t)(void (*)(void))sys_##name_            \
		}

#define NR_SYSCALLS 512

/* Restart codes: never seen by user space; signal delivery turns them into -EINTR or a restart. */
#define ERESTARTSYS    512 /* restart if the handler has SA_RESTART (or there is no handler) */
#define ERESTARTNOINTR 513 /* always restart */
#define ERESTARTNOHAND 514 /* restart only when no handler runs */

struct trap_frame;
void syscall_init(void);
/* Runs the call in tf->rax and the work due before returning to user mode. */
void syscall_run(struct trap_frame *tf);
/* Called on each CPU: the SYSCALL MSRs. */
void syscall_init_cpu(void);
/* The name of a system call (for logs, /proc and tests), or NULL. */
const char *syscall_name(unsigned nr);
