#!/bin/bash
# busybox_proc.sh's checks (busybox route -n and /proc/net/dev) with eth0 a virtio-net card.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/busybox_proc.sh"
