#!/bin/bash
# dhcp.sh's checks on virtio-net with MSI-X switched off (vectors=0): the driver must fall back
# to the INTx line (PIIX routing on the pc machine) and still get its lease and ping.
NIC_MODEL=virtio-net-pci
NIC_OPTS=,vectors=0
source "$(dirname "$0")/dhcp.sh"
expect_log_re intx 'virtio-net: 0000:00:03\.0: eth0 \[1af4:1000\], INTx, '
