#!/bin/bash
# tap_e1000.sh's checks (ping and UDP echo through a tap in a network namespace, clean and
# with netem) on virtio-net-pci.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/tap_e1000.sh"
