#!/bin/bash
# tap_e1000.sh's checks (ping and UDP echo through a tap in a network namespace, clean and
# with netem) on e1000e.
NIC_MODEL=e1000e
source "$(dirname "$0")/tap_e1000.sh"
