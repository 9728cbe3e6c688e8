#!/bin/bash
# tap_unplug_e1000.sh's checks (hot-unplug and re-add under a flood) on e1000e.
NIC_MODEL=e1000e
source "$(dirname "$0")/tap_unplug_e1000.sh"
