#!/bin/bash
# busybox udhcpc inside Ferrite against a real DHCP server offering a router and a DNS server
# (QEMU's user network with restrict=on offers neither): the host's busybox udhcpd serves
# 192.168.77.2/24, router 192.168.77.1 and DNS 192.168.77.53 on a tap in a network namespace
# this test creates (lib_tap.bash). The guest (udhcpc.rc, no ip= for the kernel) must end up
# with that address, a default route via 192.168.77.1 and "nameserver 192.168.77.53" in
# /etc/resolv.conf written by udhcpc.script, ping the host through it, then renew (SIGUSR1)
# and release (SIGUSR2). Without root, namespaces or /dev/net/tun: SKIP, not passed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_tap.bash"
source "$(dirname "$0")/udhcpc.bash"

work=$(mktemp -d)
dpid=
trap '[ -n "$dpid" ] && kill "$dpid" 2>/dev/null; tap_cleanup; rm -rf "$work"' EXIT
tap_setup || exit 0
cat > "$work/udhcpd.conf" <<CONF
start 192.168.77.2
end 192.168.77.2
interface $TAP_IF
lease_file $work/leases
pidfile $work/udhcpd.pid
option subnet 255.255.255.0
option router 192.168.77.1
option dns 192.168.77.53
option lease 600
CONF
touch "$work/leases"
tap_exec busybox udhcpd -f "$work/udhcpd.conf" > "$work/udhcpd.log" 2>&1 &
dpid=$!
dh_rootfs "$work/rootfs.cpio.gz"
tap_qemu udhcpc-tap 150 -machine pc -m 256M -nic none -device e1000,netdev=n0,mac=52:54:00:77:00:02 \
	-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" -append "console=ttyS0 rdinit=/dhtest dhtest_gw=192.168.77.1"
tap_qemu_wait
dh_check_common 192.168.77.2 192.168.77
dh_check_re default_route route '^0\.0\.0\.0 +192\.168\.77\.1 +0\.0\.0\.0 +UG +0 +0 +0 +eth0$' \
	"no default route via 192.168.77.1"
dh_check_re resolv_conf resolv '^nameserver 192\.168\.77\.53$' "resolv.conf lacks nameserver 192.168.77.53"
if log_text | grep -qxF "dhtest: ping 0" && log_text | grep -qE '^3 packets transmitted, 3 packets received'; then
	pass ping_host; else fail ping_host "ping 192.168.77.1 did not get 3 of 3 answers (log: $LOG)"; fi
