/*
 * entry: the kernel boundary from the user side. The dangerous corners of SYSCALL/SYSRET and
 * IRET (a return address at the top of user space, a non-canonical RIP handed to rt_sigreturn),
 * privileged instructions, non-canonical data addresses, and mappings at the very top of user
 * space. Each probe runs in a child that is expected to die by a given signal (or live): the
 * kernel must survive all of them.
 */
#include "t.h"

#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#define TOP_PAGE 0x7fffffffe000ul /* the last page user space may map (TASK_SIZE - 4096) */

/* A SYSCALL whose next instruction is the first address past user space: the return lands on an
 * unmappable page and faults in user mode (SIGSEGV), however the kernel returns. */
static int syscall_at_top(void)
{
	uint8_t *page = mmap((void *)TOP_PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (page == MAP_FAILED)
		return 10;
	page[4094] = 0x0f; /* syscall */
	page[4095] = 0x05;
	void (*fn)(void) = (void (*)(void))(page + 4094);
	__asm__ volatile("movl $39, %%eax\n\t" /* getpid */
			 "call *%0" ::"r"(fn) : "rax", "rcx", "r11", "memory");
	return 0; /* not reached: the return address is past the end of user space */
}

/* The handler's return restores a context whose RIP is non-canonical. */
static void corrupt_rip(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RIP] = 0x0000800000000000ll; /* first non-canonical address */
}

static int sigreturn_noncanonical(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = corrupt_rip;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND; /* the resulting SIGSEGV takes the default action */
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	return 0; /* not reached */
}

static int privileged_hlt(void)
{
	__asm__ volatile("hlt");
	return 0;
}

static int privileged_cli(void)
{
	__asm__ volatile("cli");
	return 0;
}

static int port_io(void)
{
	__asm__ volatile("outb %%al, $0x80" ::"a"(0));
	return 0;
}

static int noncanonical_read(void)
{
	return *(volatile int *)0x0000800000000000ul;
}

static int kernel_read(void)
{
	return *(volatile int *)0xffffffff80000000ul; /* the kernel image */
}

static int kernel_write(void)
{
	*(volatile int *)0xffff800000001000ul = 1; /* the direct map */
	return 0;
}

/* Runs fn in a child; the child must die by sig (0: must exit with status 0). */
static void expect_death(const char *check, int (*fn)(void), int sig)
{
	int st = t_in_child(fn);
	if (sig == 0)
		CHECK_CHILD(check, st);
	else
		t_check(check, st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig, "child %s, expected signal %d",
			t_status(st), sig);
}

static void test_top_of_user_space(void)
{
	/* The page past the last one cannot be mapped. */
	void *p = mmap((void *)(TOP_PAGE + 4096), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_EQ("map_past_top_fails", p == MAP_FAILED, 1);
	CHECK_EQ("map_past_top_enomem", errno, ENOMEM);
	expect_death("syscall_returns_past_top_segv", syscall_at_top, SIGSEGV);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("entry", argv);
	test_top_of_user_space();
	expect_death("sigreturn_noncanonical_rip_segv", sigreturn_noncanonical, SIGSEGV);
	expect_death("hlt_segv", privileged_hlt, SIGSEGV);
	expect_death("cli_segv", privileged_cli, SIGSEGV);
	expect_death("port_io_segv", port_io, SIGSEGV);
	expect_death("noncanonical_read_segv", noncanonical_read, SIGSEGV);
	expect_death("kernel_read_segv", kernel_read, SIGSEGV);
	expect_death("kernel_write_segv", kernel_write, SIGSEGV);
	/* After all of that, the kernel still forks and waits. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st = t_wait(pid);
	CHECK("still_alive", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	return t_done();
}
