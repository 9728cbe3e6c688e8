#!/bin/bash
# The socket layer and AF_UNIX through kernel interfaces, and the IPC leak check (1000 rounds
# of socketpairs with queued data and a descriptor in flight, pipes and FIFOs must give back
# every page), the collector for sockets sent over themselves and a 2000-deep chain of queued
# sockets freed without deep recursion: the ktests unix_pair_kernel, ipc_no_leak and
# unix_gc_and_chains on 2 CPUs.
source "$(dirname "$0")/../lib.sh"

qemu_boot ipc_ktest 120 -machine q35 -m 256M -smp 2 -nic none -kernel "$KERNEL" \
	-append "console=ttyS0 ktest=unix_pair_kernel,ipc_no_leak,unix_gc_and_chains"
expect_exit exit_status 33
ktest_results ktest
