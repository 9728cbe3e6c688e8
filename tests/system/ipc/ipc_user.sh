#!/bin/bash
# The IPC user tests (user/tests/sysv_ipc.c, posix_ipc.c, ipc_leak.c; each also passes on the
# host Linux) booted alone under user/init/runtests, so that IPC work can be checked without
# the whole user_tests.sh run (which runs them too). Every PASS/FAIL line they print becomes a
# result; a program that does not exit 0 with its DONE line fails.
# Two CPUs, so that senders, receivers and semaphore holders really run at once.
source "$(dirname "$0")/../lib.sh"

progs=(sysv_ipc posix_ipc ipc_leak)
tree=$BUILD/ipc-tests-initrd
rm -rf "$tree"
mkdir -p "$tree/tests"
cp "$BUILD/user/init/runtests" "$tree/init" || { fail setup "no runtests (make user-tests)"; exit 0; }
args=()
for p in "${progs[@]}"; do
	if [ ! -x "$BUILD/user/tests/$p" ]; then
		fail setup "no $BUILD/user/tests/$p (make user-tests)"
		exit 0
	fi
	cp "$BUILD/user/tests/$p" "$tree/tests/$p"
	args+=("/tests/$p" ",")
done
(cd "$tree" && find . | cpio -o -H newc --quiet > "$BUILD/ipc-tests.cpio")

qemu_boot ipc_user 240 -machine q35 -m 512M -smp 2 -nic none -kernel "$KERNEL" \
	-initrd "$BUILD/ipc-tests.cpio" -append "console=ttyS0 -- ${args[*]}"

log_text | awk '
	/^PASS [^ ]+( # skipped.*)?$/ { print "PASS system/ipc/ipc_user/" $2 }
	/^FAIL / { line = $0; sub(/^FAIL /, "", line); print "FAIL system/ipc/ipc_user/" line }'
for p in "${progs[@]}"; do
	if log_text | grep -qE "^RUNNER $p ended: exit 0 "; then
		pass "$p/exit"
	else
		fail "$p/exit" "$(log_text | grep -E "^RUNNER $p ended" || echo "did not end") (log: $LOG)"
	fi
	log_text | grep -qE "^DONE $p " && pass "$p/done" || fail "$p/done" "no DONE line (log: $LOG)"
done
log_text | grep -E "^INFO " | sed 's/^/# /'
if grep -qiE "panic|unhandled .* in kernel" "$LOG"; then
	fail no_panic "the kernel panicked (log: $LOG)"
else
	pass no_panic
fi
[ "$QEMU_RC" -eq 124 ] && fail power_off "timed out (log: $LOG)" || pass power_off
