#!/bin/bash
# busybox_proc.sh's checks with eth0 an e1000e.
NIC_MODEL=e1000e
source "$(dirname "$0")/busybox_proc.sh"
