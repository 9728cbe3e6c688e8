#!/bin/bash
# tcp_tap_e1000.sh's checks (32 MiB each way through an impaired tap) on virtio-net-pci.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/tcp_tap_e1000.sh"
