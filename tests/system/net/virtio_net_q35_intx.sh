#!/bin/bash
# e1000_q35.sh's checks on virtio-net without MSI-X (vectors=0): INTx through the ICH9 PIRQ
# routing to the IOAPIC, the ISR register read in the handler.
NIC_MODEL=virtio-net-pci
NIC_OPTS=,vectors=0
source "$(dirname "$0")/e1000_q35.sh"
expect_log_re intx 'virtio-net: 0000:00:0[0-9a-f]\.0: eth0 \[1af4:1000\], INTx, '
