/* Human-readable reports of CPU exceptions: name, decoded error code, registers, backtrace. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/backtrace.h"
#include "lib/compiler.h"

static const char *const names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range exceeded",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack-segment fault",
	[13] = "#GP general protection fault",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating-point error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating-point exception",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection exception",
	[28] = "#HV hypervisor injection exception",
	[29] = "#VC VMM communication exception",
	[30] = "#SX security exception",
};

const char *exception_name(unsigned vector)
{
	if (vector < ARRAY_SIZE(names) && names[vector])
		return names[vector];
	return vector < 32 ? "reserved exception" : "interrupt";
}

static void report_page_fault(const struct trap_frame *tf)
{
	uint64_t e = tf->error_code;
	pr_emerg("  error code 0x%llx: %s, %s, %s mode, %s%s%s\n", (unsigned long long)e,
		 e & 1 ? "protection violation" : "page not present",
		 e & 2 ? "write" : "read",
		 e & 4 ? "user" : "kernel",
		 e & 16 ? "instruction fetch" : "data access",
		 e & 8 ? ", reserved bit set" : "",
		 e & 32 ? ", protection key" : "");
	pr_emerg("  CR2 (faulting address): 0x%016llx\n", (unsigned long long)read_cr2());
}

/* #TS, #NP, #SS, #GP: the error code names a selector (or is 0). */
static void report_selector_error(const struct trap_frame *tf)
{
	uint64_t e = tf->error_code;
	static const char *const tables[4] = { "GDT", "IDT", "LDT", "IDT" };
	if (e == 0) {
		pr_emerg("  error code 0 (not segment-related)\n");
		return;
	}
	pr_emerg("  error code 0x%llx: %s index %llu%s\n", (unsigned long long)e, tables[(e >> 1) & 3],
		 (unsigned long long)((e >> 3) & 0x1fff), e & 1 ? ", external event" : "");
}

void exception_report(const struct trap_frame *tf)
{
	unsigned vec = (unsigned)tf->vector;
	char sym[96];

	pr_emerg("\n*** CPU exception %u: %s in %s mode ***\n", vec, exception_name(vec),
		 (tf->cs & 3) ? "user" : "kernel");
	switch (vec) {
	case VEC_PAGE_FAULT:
		report_page_fault(tf);
		break;
	case VEC_INVALID_TSS:
	case VEC_SEGMENT_NP:
	case VEC_STACK_FAULT:
	case VEC_GP:
		report_selector_error(tf);
		break;
	default:
		if (tf->error_code)
			pr_emerg("  error code 0x%llx\n", (unsigned long long)tf->error_code);
		break;
	}
	ksym_format(tf->rip, sym, sizeof(sym));
	pr_emerg("  RIP: %04llx:%016llx %s\n", (unsigned long long)tf->cs, (unsigned long long)tf->rip, sym);
	pr_emerg("  RSP: %04llx:%016llx RFLAGS: %016llx\n", (unsigned long long)tf->ss,
		 (unsigned long long)tf->rsp, (unsigned long long)tf->rflags);
	regs_dump(tf);
	backtrace_print_trap(tf);
}
