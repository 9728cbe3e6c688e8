#!/bin/bash
# Bulk TCP through a tap device in a network namespace (tests/system/net/lib_tap.bash), with what
# the host sends to the guest impaired as issue 11 asks: "netem loss 10% reorder 25% duplicate
# 1%" (1 ms delay; tap_impair.py stands in where the host kernel has no sch_netem). The host
# sends 32 MiB to Ferrite's busybox nc and receives 32 MiB from it (tcp_tap.rc, tcp_tap_host.py);
# both must arrive byte-exact. virtio-net runs the same checks (tcp_tap_virtio_net.sh).
# Without root, namespaces or /dev/net/tun the run is reported as SKIP, not passed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"
source "$(dirname "$0")/lib_tap.bash"

work=$(mktemp -d)
trap 'tap_cleanup; rm -rf "$work"' EXIT
head -c $((32 << 20)) /dev/urandom > "$work/host.bin"
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/tcp_tap.rc:/tcptap"

tap_setup 10 25 1 1 || exit 0 # SKIP printed: nothing here can run
tap_qemu "$NIC_RUN" 300 -machine q35 -m 512M -nic none \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0,mac=52:54:00:77:00:02" \
	-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" \
	-append "console=ttyS0 rdinit=/tcptap $TAP_CMDLINE_IP"
if tap_wait_log "tcptap: ready" 90; then
	tap_exec timeout 280 python3 "$ROOT/tests/system/net/tcp_tap_host.py" "$TAP_GUEST" "$work/host.bin" 270 \
		> "$work/host.txt" 2>&1
else
	fail ready "Ferrite never got to its nc (log: $LOG)"
fi
tap_qemu_wait
[ "$TAP_IMPAIR" = relay ] && cat "$LOGDIR/$NIC_RUN.impair.txt"
sed 's/^/INFO /' "$work/host.txt"
want=$(sha256sum < "$work/host.bin" | cut -d' ' -f1)
if log_text | grep -qxF "tcptap: in $want $((32 << 20))"; then pass "$TAP_IMPAIR/host_to_ferrite_32mib"
else fail "$TAP_IMPAIR/host_to_ferrite_32mib" "Ferrite did not get the host's 32 MiB intact (log: $LOG)"; fi
out=$(log_text | sed -n 's/^tcptap: out \([0-9a-f]*\) 33554432$/\1/p')
if [ -n "$out" ] && grep -qE "^host: got $out 33554432 " "$work/host.txt" && log_text | grep -qxF "tcptap: sent"; then
	pass "$TAP_IMPAIR/ferrite_to_host_32mib"
else
	fail "$TAP_IMPAIR/ferrite_to_host_32mib" "the host did not get Ferrite's 32 MiB intact (log: $LOG)"
fi
if [ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "tcptap: end"; then pass "$TAP_IMPAIR/powered_off"
else fail "$TAP_IMPAIR/powered_off" "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
