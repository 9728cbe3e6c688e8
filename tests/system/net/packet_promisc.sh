#!/bin/bash
# Promiscuous reception for real (PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC on an e1000, which
# sets RCTL.UPE): on a tap in a namespace (lib_tap.bash), the host sends frames of EtherType
# 0x88b5 to the guest's MAC and to a foreign MAC from an AF_PACKET socket on the tap, three
# rounds; the guest's packet socket (packet_promisc.c) must see its own 5 every round and the
# 5 foreign ones only while a socket holds the membership. e1000, then e1000e (virtio-net in
# QEMU filters nothing, so it would see them every round). Without root, namespaces or
# /dev/net/tun: SKIP.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_tap.bash"

work=$(mktemp -d)
trap 'tap_cleanup; rm -rf "$work"' EXIT
tap_setup || exit 0
if ! musl-gcc -static -O2 -Wall -Wextra -Werror -o "$work/packet_promisc" "$ROOT/tests/system/net/packet_promisc.c"; then
	fail build "musl-gcc could not build packet_promisc.c"
	exit 0
fi
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/packet_promisc.rc:/promisctest" \
	"$work/packet_promisc:/packet_promisc"
guest_mac=52:54:00:77:00:02
base=$TEST_NAME
expect_line() { # CHECK LINE
	if log_text | grep -qxF "$2"; then pass "$1"; else fail "$1" "log lacks '$2' (log: $LOG)"; fi
}
run_nic() {
	local nic=$1 round
	TEST_NAME=$base/$nic
	tap_qemu "packet_promisc-$nic" 150 -machine pc -m 256M -nic none -device "$nic,netdev=n0,mac=$guest_mac" \
		-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" -append "console=ttyS0 rdinit=/promisctest"
	for round in 1 2 3; do
		if ! tap_wait_log "promisc: ready $round" 90; then
			fail "round$round" "the guest never got ready (log: $LOG)"
			break
		fi
		sleep 0.5
		tap_exec python3 - "$TAP_IF" "$guest_mac" "$round" <<'PY'
import socket, sys, time
ifname, guest, rnd = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = bytes.fromhex("020000000001")
foreign = bytes.fromhex("020000000099")
for i in range(5):
    for dst in (guest, foreign):
        payload = ("round%s-%d" % (rnd, i)).encode().ljust(46, b"\0")
        s.send(dst + src + b"\x88\xb5" + payload)
    time.sleep(0.05)
PY
	done
	tap_qemu_wait
	expect_line before_membership "promisc: round 1 host 5 other 0"
	expect_line with_membership "promisc: round 2 host 5 other 5"
	expect_line after_close "promisc: round 3 host 5 other 0"
	expect_line exited "promisc: exit 0"
}
for nic in e1000 e1000e; do run_nic "$nic"; done
