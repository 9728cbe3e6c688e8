/* isa-debug-exit: the way tests end a QEMU run with a verdict. */
#include "arch/x86_64/qemu_exit.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"

#define DEBUG_EXIT_PORT 0xf4

__noreturn void qemu_exit(unsigned code)
{
	outl(DEBUG_EXIT_PORT, code);
	/* Still here: not QEMU, or no debug-exit device. */
	pr_emerg("qemu_exit: no isa-debug-exit device at 0x%x; halting\n", DEBUG_EXIT_PORT);
	cpu_halt_forever();
}
