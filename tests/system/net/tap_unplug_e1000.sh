#!/bin/bash
# Hot-unplug under load: on q35 with native PCIe hot-plug, the NIC sits on a root port and a tap
# in a throw-away network namespace (lib_tap.bash). The host floods it (UDP to a closed port, so
# the guest transmits ICMP errors too, and echo requests) while QMP removes and re-adds the card
# three times: the driver's remove must free everything with frames in flight in both
# directions, QEMU must complete each removal, each new card must come back as eth0 with its
# link up, and nothing may panic. Needs root, netns and /dev/net/tun (else SKIP).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"
source "$(dirname "$0")/lib_tap.bash"

tap_setup || exit 0
sock=$(mktemp -u /tmp/ferrite-tapqmp.XXXXXX)
tap_qemu "$NIC_RUN" 150 -machine q35 -m 256M -nic none \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off -device pcie-root-port,id=rp1,chassis=1,slot=1 \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0,id=nic0,bus=rp1,mac=52:54:00:77:00:02" \
	-kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio" -append "console=ttyS0 $TAP_CMDLINE_IP" \
	-qmp "unix:$sock,server=on,wait=off"
tap_exec timeout 120 python3 "$(dirname "$0")/tap_unplug_load.py" "$ROOT" "$sock" "$LOG" "system/$TEST_NAME" \
	"$QEMU_PID" "$NIC_MODEL" "$TAP_GUEST"
rm -f "$sock"
tap_cleanup
