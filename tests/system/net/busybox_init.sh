#!/bin/busybox sh
# PID 1 for tests/system/net/busybox_proc.sh: Debian's busybox reads the /proc/net files with
# its own parsers, then powers off.
bb=/bin/busybox
echo "nettest: route"
$bb route -n
echo "nettest: route-end"
echo "nettest: dev"
$bb cat /proc/net/dev
echo "nettest: end"
$bb poweroff -f
