#!/bin/bash
# ip=dhcp: the in-kernel DHCP client gets 10.0.2.15/24 from QEMU's user network (restrict=on),
# then pings the gateway (restrict=on: QEMU offers no router, so there is no default route).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

qemu_boot "$NIC_RUN" 120 -machine pc -m 256M -nic none \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0" -netdev user,id=n0,restrict=on \
	-kernel "$KERNEL" -append "ktest=net_dhcp console=ttyS0 ip=dhcp"
expect_exit exit_status 33
expect_log lease "dhcp: eth0: lease of 10.0.2.15/24 from 10.0.2.2 for 86400 s"
ktest_results ktest
