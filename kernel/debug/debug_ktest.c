/* ktests for symbolization, and a deliberate page fault for the system test to inspect. */
#include "debug/backtrace.h"
#include "lib/string.h"
#include "test/ktest.h"

extern void kmain(void);

KTEST(ksyms_lookup)
{
	uint64_t addr = ksym_address("kmain");
	KT_ASSERT(addr == (uint64_t)kmain);
	uint64_t off;
	const char *name = ksym_lookup(addr + 5, &off);
	KT_ASSERT(name != NULL);
	KT_ASSERT(strcmp(name, "kmain") == 0);
	KT_ASSERT_EQ(off, 5);
	KT_ASSERT(ksym_lookup(0x1000, &off) == NULL);
}

/* Not static and never inlined, so the backtrace names it. */
__attribute__((noinline)) void ktest_fault_write(volatile uint64_t *where)
{
	*where = 0xdeadbeef;
}

/* A write to an address no page table maps: the report must decode it and name this path. */
KTEST_MANUAL(fault)
{
	ktest_fault_write((volatile uint64_t *)0x0000400000000000ull);
	ktest_fail_at(__FILE__, __LINE__, "the write to an unmapped address did not fault");
}
