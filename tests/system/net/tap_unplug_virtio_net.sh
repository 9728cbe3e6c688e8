#!/bin/bash
# tap_unplug_e1000.sh's checks (hot-unplug and re-add under a flood) on virtio-net-pci.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/tap_unplug_e1000.sh"
