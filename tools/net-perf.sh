#!/bin/bash
# Raw UDP throughput through a tap in a network namespace, per NIC model (numbers for
# docs/PERFORMANCE.md; not part of make test). Needs root, netns and /dev/net/tun.
# Usage: tools/net-perf.sh [MODEL...]   (default: virtio-net-pci e1000 e1000e)
source "$(dirname "$0")/../tests/system/lib.sh"
source "$ROOT/tests/system/net/lib_tap.bash"
for NIC_MODEL in "${@:-virtio-net-pci e1000 e1000e}"; do
	for model in $NIC_MODEL; do
		tap_setup || exit 1
		tap_qemu "net-perf-$model" 120 -machine q35 -m 256M -nic none -device "$model,netdev=n0" \
			-kernel "$KERNEL" -append "ktest=net_udp_echo console=ttyS0 $TAP_CMDLINE_IP"
		tap_wait_log "udp echo: listening" 90 || { echo "$model: the guest never listened (log: $LOG)"; exit 1; }
		echo "== $model"
		tap_exec timeout 60 python3 "$ROOT/tests/system/net/tap_perf.py" "$TAP_GUEST" 3 20000
		grep -E "udp echo: (sent|blast)" "$LOG" | sed 's/^/guest log: /'
		tap_qemu_wait
	done
done
tap_cleanup
