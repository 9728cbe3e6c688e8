/* ktests on what the boot loader handed over, as the kernel understood it. */
#include "init/init.h"
#include "lib/cmdline.h"
#include "test/ktest.h"

KTEST(bootinfo_memory_map)
{
	uint64_t usable = 0;
	KT_ASSERT(boot_info.mmap_count > 0);
	for (size_t i = 0; i < boot_info.mmap_count; i++)
		if (boot_info.mmap[i].type == BOOT_MEM_USABLE)
			usable += boot_info.mmap[i].length;
	KT_ASSERT(usable >= 16ull << 20); /* every test VM has more than 16 MiB */
}

KTEST(bootinfo_cmdline)
{
	/* We only run because "ktest" was on the command line we parsed. */
	KT_ASSERT(cmdline_has(boot_info.cmdline, "ktest"));
}
