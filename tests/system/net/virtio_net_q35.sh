#!/bin/bash
# e1000_q35.sh's checks on virtio-net (virtio 1.0 modern PCI, MSI-X): the same suite, another driver.
NIC_MODEL=virtio-net-pci
source "$(dirname "$0")/e1000_q35.sh"
