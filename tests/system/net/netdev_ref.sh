#!/bin/bash
# Device lifetime: netdev_ref_outlives_unregister (a counted reference read after unregister
# and netdev_free, lookups failing, driver ops refused) and netdev_unregister_waits_for_ops
# (an xmit already in the driver finishes before unregister returns).
source "$(dirname "$0")/../lib.sh"

qemu_boot netdev_ref 60 -machine q35 -m 256M -nic none -kernel "$KERNEL" \
	-append "console=ttyS0 ktest=netdev_ref_outlives_unregister,netdev_unregister_waits_for_ops"
expect_exit exit_status 33
ktest_results ktest
