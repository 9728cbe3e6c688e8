#!/bin/bash
# e1000_slirp.sh's checks on the e1000e (82574L, legacy descriptors, same driver file): the same suite.
NIC_MODEL=e1000e
source "$(dirname "$0")/e1000_slirp.sh"
