#!/bin/bash
# The IPC ktests alone (they also run with every other ktest on the test ISO): message type
# selection, sleepers woken by a send, a semop and IPC_RMID, and 1000 create/destroy cycles of
# each System V object giving every page back. Two CPUs, so sleepers and wakers meet across them.
source "$(dirname "$0")/../lib.sh"

qemu_boot sysvipc_ktest 120 -machine q35 -m 256M -smp 2 -nic none -kernel "$KERNEL" \
	-append "console=ttyS0 ktest=sysvipc_msg_select,sysvipc_msg_sleep_and_rmid,sysvipc_sem_sleep_and_rmid,sysvipc_no_leak"
expect_exit exit_status 33
expect_log_re dev_shm_and_mqueue 'ipc: System V tables of [0-9]+ ids each; tmpfs at /dev/shm, mqueue at /dev/mqueue'
ktest_results ktest
