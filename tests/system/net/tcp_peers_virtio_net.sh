#!/bin/bash
# tcp_peers.sh's checks (curl, wget, nc, 100 concurrent connections against real peers through
# QEMU's user network) on virtio-net-pci.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/tcp_peers.sh"
