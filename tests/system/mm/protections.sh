#!/bin/bash
# With a CPU that offers them (-cpu max): SMEP, SMAP, UMIP and 1 GiB pages are switched on and
# enforced; slab debugging for every cache (slab_debug) passes the heap tests.
source "$(dirname "$0")/../lib.sh"

qemu_boot protections 180 -machine q35 -cpu max -m 512M -kernel "$KERNEL" \
	-append "ktest=smep_smap,nx_enforced,kernel_sections_protected,vmm_splits_large_direct_map_pages,sched_fpu_state_per_thread"
expect_exit exit_status 33
expect_log features "NX on, global pages on, 1 GiB pages used, PAT WC, SMEP on, SMAP on, UMIP on"
expect_log xsave "fpu: XSAVE, 832 bytes of state per thread (XCR0 0x7)"
expect_log smep_smap_tested "ktest: smep_smap: SMEP on, SMAP on, UMIP on"
ktest_results ktest

qemu_boot slab_debug 180 -machine q35 -m 256M -kernel "$KERNEL" \
	-append "slab_debug ktest=slab_stress,kmalloc_bad_sizes,slab_debug_catches_errors,vmalloc_guard_and_release"
expect_exit slab_debug/exit_status 33
expect_log slab_debug/enabled "slab: kmalloc ready (debug checks on)"
expect_log_re slab_debug/double_free_report 'double free of ktest-debug object .*called from 0x[0-9a-f]+ <ktest_fn_slab_debug_catches_errors\+0x[0-9a-f]+>'
ktest_results slab_debug/ktest
