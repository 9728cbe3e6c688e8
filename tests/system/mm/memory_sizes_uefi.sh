#!/bin/bash
# Memory sizes under UEFI (OVMF): the EFI memory map is used; all RAM found and accounted for.
source "$(dirname "$0")/../lib.sh"

for mem in 64M 512M 4G 8G; do
	qemu_boot "mem_uefi_$mem" 300 -machine q35 -m "$mem" -cdrom "$TEST_ISO" $(ovmf_args "mem_uefi_$mem")
	expect_exit "$mem/exit_status" 33
	expect_log "$mem/efi_map_used" "usable RAM in the EFI memory map"
	memory_accounting "$mem/accounting"
	if [ "$mem" = 4G ] || [ "$mem" = 8G ]; then
		expect_log_re "$mem/ram_above_4g" 'zone Normal .*: [1-9][0-9]* KiB managed'
	fi
	ktest_results "$mem/ktest"
done
