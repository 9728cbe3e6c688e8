#!/bin/bash
# virtio-net's offloads end to end on a clean tap (lib_tap.bash; QEMU offers the offloads only to
# a backend that takes the virtio header, so the impaired tcp_tap_virtio_net.sh, which goes
# through tap_impair.py's datagram relay, never negotiates them). Two boots with busybox nc
# moving 16 MiB each way (virtio_net_offload.rc, tcp_tap_host.py), both byte-exact:
#   offload: the driver negotiates tx-csum, tso4, rx-csum and rx-tso4 (merged buffers); TSO
#            frames out, frames whose checksum the device vouched for and large segments in
#            are seen (the driver logs the first of each);
#   off:     virtio_net.offload=0 negotiates none and the software paths carry the same bytes.
# In both a packet socket (pkt_csum_check.c) sees frames both ways with correct IP and TCP/UDP
# checksums (finished by the kernel for partial frames), TSO frames (both ways) whole with
# offloads only.
# Without root, namespaces or /dev/net/tun: SKIP.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_tap.bash"

work=$(mktemp -d)
trap 'tap_cleanup; rm -rf "$work"' EXIT
tap_setup || exit 0 # SKIP printed: nothing here can run
if ! musl-gcc -static -O2 -Wall -Wextra -Werror -o "$work/pkt_csum_check" "$ROOT/tests/system/net/pkt_csum_check.c"; then
	fail build "musl-gcc could not build pkt_csum_check.c"
	exit 0
fi
head -c $((16 << 20)) /dev/urandom > "$work/host.bin"
want=$(sha256sum < "$work/host.bin" | cut -d' ' -f1)
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/virtio_net_offload.rc:/vnetoff" \
	"$work/pkt_csum_check:/pkt_csum_check"
base=$TEST_NAME

check() { # NAME CONDITION-RESULT WHY
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3 (log: $LOG)"; fi
}

run() { # MODE EXTRA-CMDLINE
	local mode=$1 extra=$2
	TEST_NAME=$base/$mode
	tap_setup || return
	tap_qemu "virtio_net_offload-$mode" 260 -machine q35 -smp 2 -m 512M -nic none \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:77:00:02" \
		-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" \
		-append "console=ttyS0 rdinit=/vnetoff $TAP_CMDLINE_IP $extra"
	if tap_wait_log "vnetoff: ready" 90; then
		tap_exec timeout 210 python3 "$ROOT/tests/system/net/tcp_tap_host.py" "$TAP_GUEST" "$work/host.bin" 200 \
			> "$work/host.txt" 2>&1
	else
		fail ready "Ferrite never got to its nc (log: $LOG)"
	fi
	tap_qemu_wait
	sed 's/^/INFO /' "$work/host.txt"
	log_text | grep -E "^pktcheck: out|offloads:|first (TSO|frame|large)" | sed 's/^/INFO /'

	if [ "$mode" = offload ]; then
		log_text | grep -q "virtio-net: .* eth0 .*offloads: tx-csum tso4 rx-csum rx-tso4$"
		check negotiated $? "the boot line does not list tx-csum tso4 rx-csum rx-tso4"
		log_text | grep -q "virtio-net: eth0: first TSO frame: "
		check tso_used $? "no TSO frame was sent"
		log_text | grep -q "virtio-net: eth0: first frame with a checksum the device vouched for"
		check rx_csum_used $? "no received frame had its checksum vouched for"
		log_text | grep -q "virtio-net: eth0: first large TCP segment received: "
		check rx_tso_used $? "no large segment came in merged buffers"
	else
		log_text | grep -q "virtio-net: .* eth0 .*offloads: none$"
		check negotiated_none $? "the boot line does not say offloads: none"
		! log_text | grep -q "first TSO frame\|first frame with a checksum\|first large TCP"
		check no_offload_used $? "an offload was used although switched off"
	fi
	log_text | grep -qxF "vnetoff: in $want $((16 << 20))"
	check host_to_ferrite_16mib $? "Ferrite did not get the host's 16 MiB intact"
	local out
	out=$(log_text | sed -n 's/^vnetoff: out \([0-9a-f]*\) 16777216$/\1/p')
	[ -n "$out" ] && grep -qE "^host: got $out 16777216 " "$work/host.txt" && log_text | grep -qxF "vnetoff: sent"
	check ferrite_to_host_16mib $? "the host did not get Ferrite's 16 MiB intact"
	# The packet socket saw traffic both ways, every checksum right; TSO frames only with offloads.
	local pk
	pk=$(log_text | sed -n 's/^pktcheck: out \([0-9]*\) in \([0-9]*\) big \([0-9]*\) bad \([0-9]*\) short \([0-9]*\)$/\1 \2 \3 \4/p')
	set -- $pk
	[ -n "$pk" ] && [ "$1" -gt 100 ] && [ "$2" -gt 100 ] && [ "$4" = 0 ]
	check packet_socket_checksums $? "packet socket counts '$pk' (out in big bad): want >100 each way, 0 bad"
	if [ "$mode" = offload ]; then [ -n "$pk" ] && [ "$3" -gt 0 ]; else [ -n "$pk" ] && [ "$3" = 0 ]; fi
	check packet_socket_tso_frames $? "TSO frames seen by the packet socket: '${3:-none}'"
	[ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "vnetoff: end"
	check powered_off $? "QEMU status $QEMU_RC, or the script did not finish"
	tap_cleanup
}

run offload ""
run off "virtio_net.offload=0"
