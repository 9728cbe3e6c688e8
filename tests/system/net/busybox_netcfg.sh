#!/bin/bash
# Interface configuration with Debian's busybox and no ip= for the kernel: ifconfig sets eth0's
# address, netmask, up flag and MTU (SIOCSIFADDR/SIOCSIFNETMASK/SIOCSIFFLAGS/SIOCSIFMTU), route
# adds and deletes the default route (SIOCADDRT/SIOCDELRT); ifconfig, route -n, netstat -rn and
# ip addr/route/link (rtnetlink dumps) must show it as Linux would, and a TFTP fetch from
# QEMU's server through that configuration must bring the file intact. busybox ping (a raw
# ICMP socket, as root) must get 3 of 3 answers from QEMU's gateway 10.0.2.2, the guest's own
# address and 127.0.0.1, and busybox traceroute (UDP probes with IP_TTL, port unreachable read
# on a raw socket) must reach 127.0.0.1 in one hop. Then ip addr del/add and ip route add/del
# (rtnetlink changes) do the configuration again, and a gateway off every subnet is refused.
# Last, ifconfig eth0 down drops its routes, a new MAC is set, and up brings back the subnet's
# route.
source "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tftp"
head -c 20000 /dev/urandom > "$work/tftp/ferrite-tftp.bin"
sum=$(md5sum < "$work/tftp/ferrite-tftp.bin" | cut -d' ' -f1)
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/busybox_netcfg.rc:/iftest"
qemu_boot busybox_netcfg 120 -machine pc -m 256M -nic "user,model=e1000,restrict=on,tftp=$work/tftp" \
	-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" -append "console=ttyS0 rdinit=/iftest"
if [ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "iftest: end"; then pass powered_off; else
	fail powered_off "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
section() { log_text | sed -n "/^iftest: $1\$/,/^iftest: $1-end\$/p"; }
check_re() { # NAME SECTION REGEX WHY
	if section "$2" | grep -qE -- "$3"; then pass "$1"; else fail "$1" "$4 (log: $LOG)"; fi
}
for step in "ifconfig ok" "route add ok" "mtu ok" "route del ok" "second del refused" "down ok" \
	"ip addr del ok" "noaddr 0" "ip addr add ok" "ip route add ok" "ping after ip ok" "ip route del ok" \
	"unreachable gateway refused" "routes-down 0" "hw ok" "up again ok"; do
	if log_text | grep -qxF "iftest: $step"; then pass "${step// /_}"; else
		fail "${step// /_}" "the script did not say 'iftest: $step' (log: $LOG)"; fi
done
check_re ifconfig_eth0 ifconfig '^eth0 +Link encap:Ethernet +HWaddr 52:54:00:12:34:56' "no eth0 with its MAC"
check_re ifconfig_inet ifconfig 'inet addr:10\.0\.2\.15 +Bcast:10\.0\.2\.255 +Mask:255\.255\.255\.0' "eth0's address, broadcast or mask wrong"
check_re ifconfig_flags ifconfig 'UP BROADCAST RUNNING +MTU:1400' "eth0 not UP BROADCAST RUNNING with MTU 1400"
check_re ifconfig_lo ifconfig 'inet addr:127\.0\.0\.1 +Mask:255\.0\.0\.0' "lo's address missing"
check_re ifconfig_lo_flags ifconfig 'UP LOOPBACK RUNNING +MTU:65536' "lo not UP LOOPBACK RUNNING"
check_re route_default route '^0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG +0 +0 +0 +eth0$' "route -n lacks the default route"
check_re route_connected route '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' "route -n lacks 10.0.2.0/24"
check_re netstat_default netstat '^0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG +0 +0 +0 +eth0$' "netstat -rn lacks the default route"
check_re ip_link ip '^[0-9]+: eth0: <[A-Z_,]*UP[A-Z_,]*> mtu 1400 ' "ip addr lacks eth0 up with MTU 1400"
check_re ip_ether ip '^ +link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff' "ip addr lacks eth0's MAC"
check_re ip_inet ip '^ +inet 10\.0\.2\.15/24 brd 10\.0\.2\.255 scope global eth0' "ip addr lacks 10.0.2.15/24"
check_re ip_lo ip '^ +inet 127\.0\.0\.1/8 scope host lo' "ip addr lacks lo's 127.0.0.1/8"
check_re ip_route_default ip '^default via 10\.0\.2\.2 dev eth0' "ip route lacks the default route"
check_re ip_route_connected ip '^10\.0\.2\.0/24 dev eth0 .*scope link +src 10\.0\.2\.15' "ip route lacks 10.0.2.0/24"
check_re ip2_inet ip2 '^ +inet 10\.0\.2\.15/24 brd 10\.0\.2\.255 scope global eth0' "ip addr add did not give eth0 10.0.2.15/24"
check_re ip2_route ip2 '^0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG +0 +0 +0 +eth0$' "ip route add did not add the default route"
check_re ip2_connected ip2 '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' "ip addr add did not add the subnet's route"
trace=$(log_text | sed -n '/^iftest: traceroute$/,/^iftest: traceroute-end/p')
if grep -qE '^ 1  127\.0\.0\.1  [0-9.]+ ms$' <<< "$trace" && grep -qxF "iftest: traceroute-end 0" <<< "$trace"; then
	pass traceroute_lo; else fail traceroute_lo "busybox traceroute 127.0.0.1 did not reach it in one hop (log: $LOG)"; fi
if log_text | grep -qxF "iftest: tftp $sum  /tmp/t.bin"; then pass tftp_through_config; else
	fail tftp_through_config "the TFTP fetch failed or brought other bytes (log: $LOG)"; fi
if section route2 | grep -qE '^0\.0\.0\.0 '; then fail route_deleted "the default route is still there (log: $LOG)"
else pass route_deleted; fi
if log_text | grep -qxF "iftest: flags-down 0"; then pass down_flag; else
	fail down_flag "eth0 still UP after ifconfig down (log: $LOG)"; fi
for host in 10.0.2.2 10.0.2.15 127.0.0.1; do
	out=$(log_text | sed -n "/^iftest: ping $host\$/,/^iftest: ping $host end/p")
	if grep -qF "3 packets transmitted, 3 packets received, 0% packet loss" <<< "$out" &&
		grep -qxF "iftest: ping $host end 0" <<< "$out" &&
		[ "$(grep -cE "^64 bytes from ${host//./\\.}: seq=[0-2] ttl=(64|255) time=" <<< "$out")" -eq 3 ]; then
		pass "ping_$host"
	else
		fail "ping_$host" "busybox ping -c 3 $host did not get 3 answers (log: $LOG)"
	fi
done
check_re after_up_mac after-up '^eth0 +Link encap:Ethernet +HWaddr 52:54:00:12:34:57' "the new MAC did not take"
check_re after_up_route after-up '^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 +eth0$' "up did not restore the subnet's route"
check_re after_up_flags after-up 'UP BROADCAST RUNNING' "eth0 not up again"
