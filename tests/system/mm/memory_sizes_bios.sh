#!/bin/bash
# Memory sizes under SeaBIOS: all RAM found (above 4 GiB too) and accounted for; every ktest
# passes, including allocating and freeing all free memory.
source "$(dirname "$0")/../lib.sh"

for mem in 64M 512M 4G 8G; do
	qemu_boot "mem_bios_$mem" 300 -machine q35 -m "$mem" -cdrom "$TEST_ISO"
	expect_exit "$mem/exit_status" 33
	memory_accounting "$mem/accounting"
	if [ "$mem" = 4G ] || [ "$mem" = 8G ]; then
		expect_log_re "$mem/ram_above_4g" 'zone Normal .*: [1-9][0-9]* KiB managed'
	fi
	ktest_results "$mem/ktest"
done
