#!/bin/bash
# dhcp.sh's checks on the e1000e.
NIC_MODEL=e1000e
source "$(dirname "$0")/dhcp.sh"
