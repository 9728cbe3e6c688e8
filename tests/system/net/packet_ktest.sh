#!/bin/bash
# AF_PACKET through kernel interfaces on lo: the ktest packet_sockets (frames sent by a
# SOCK_DGRAM socket seen leaving and arriving by an ETH_P_ALL SOCK_RAW socket, a classic BPF
# filter keeping one of two, runt frames ignored) and packet_hostile (random frames under
# random checked filters).
source "$(dirname "$0")/../lib.sh"

qemu_boot packet_ktest 90 -machine q35 -m 256M -nic none -kernel "$KERNEL" \
	-append "console=ttyS0 ktest=packet_sockets,packet_hostile"
expect_exit exit_status 33
ktest_results ktest
