/*
 * The system-call table, built at boot from the SYSCALL() registrations of every subsystem,
 * and the dispatcher the entry code calls.
 */
#include "proc/syscall.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/panic.h"
#include "lib/errno.h"
#include "proc/process.h"

extern const struct syscall_entry __syscalls_start[], __syscalls_end[];

static const struct syscall_entry *table[NR_SYSCALLS];
static uint64_t enosys_logged[NR_SYSCALLS / 64 + 1];

void syscall_init(void)
{
	for (const struct syscall_entry *e = __syscalls_start; e < __syscalls_end; e++) {
		if (e->nr >= NR_SYSCALLS || table[e->nr])
			panic("syscall: bad or duplicate registration %u (%s)", e->nr, e->name);
		table[e->nr] = e;
	}
	syscall_init_cpu();
}

const char *syscall_name(unsigned nr)
{
	return nr < NR_SYSCALLS && table[nr] ? table[nr]->name : NULL;
}

static int64_t enosys(uint64_t nr)
{
	/* Logged once per number (any number beyond the table shares one slot). */
	unsigned slot = nr < NR_SYSCALLS ? (unsigned)nr : NR_SYSCALLS;
	uint64_t bit = 1ull << (slot % 64);
	if (!(__atomic_fetch_or(&enosys_logged[slot / 64], bit, __ATOMIC_RELAXED) & bit)) {
		struct process *p = current_process();
		pr_info("syscall: %s[%d] called unimplemented system call %lld\n", p ? p->comm : "?",
			p ? p->pid : 0, (long long)nr);
	}
	return -ENOSYS;
}

void syscall_run(struct trap_frame *tf)
{
	irq_enable();
	uint64_t nr = tf->rax;
	struct uthread *u = current_uthread();
	u->syscall_nr = (int64_t)nr;
	int64_t ret;
	if (nr < NR_SYSCALLS && table[nr])
		ret = table[nr]->fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	else
		ret = enosys(nr);
	/* execve and rt_sigreturn rewrite the whole frame; everything else answers in %rax. */
	if (!u->frame_replaced)
		tf->rax = (uint64_t)ret;
	u->frame_replaced = false;
	tf->rcx = tf->rip; /* what SYSCALL leaves there on Linux too */
	tf->r11 = tf->rflags;
	user_return_work(tf);
	u->syscall_nr = -1;
}
