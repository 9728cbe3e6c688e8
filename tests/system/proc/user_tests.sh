#!/bin/bash
# The user-space test programs (user/tests/*.c, unmodified musl static binaries that also pass on
# the host Linux: tests/host/user-on-linux.sh) run inside Ferrite from an initramfs, one after
# another under user/init/runtests as PID 1, which powers the machine off at the end. Every
# "PASS prog.check" / "FAIL prog.check" line they print becomes a result; a program that ends
# by a signal, prints no DONE line or is killed at the time limit fails. The syscall fuzzer runs
# last (100 000 calls in re-forked children), then a sanity check proves the kernel still works.
source "$(dirname "$0")/../lib.sh"

tree=$BUILD/user-tests-initrd
rm -rf "$tree"
mkdir -p "$tree/tests"
cp "$BUILD/user/init/runtests" "$tree/init"
progs=()
for bin in "$BUILD"/user/tests/*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	cp "$bin" "$tree/tests/$name"
	[ "$name" = fuzz ] || progs+=("$name")
done
if [ ${#progs[@]} -eq 0 ]; then
	fail setup "no test programs in $BUILD/user/tests (make user-tests)"
	exit 0
fi
(cd "$tree" && find . | cpio -o -H newc --quiet > "$BUILD/user-tests.cpio")

# init's arguments: each program by absolute path, separated by ",", the fuzzer last.
args=()
for p in "${progs[@]}"; do args+=("/tests/$p" ","); done
[ -x "$tree/tests/fuzz" ] && args+=("/tests/fuzz" "100000" "1")

qemu_boot user_tests 1500 -machine q35 -m 512M -smp 2 -nic none -kernel "$KERNEL" \
	-initrd "$BUILD/user-tests.cpio" -append "console=ttyS0 -- ${args[*]}"

log_text | awk '
	/^PASS [^ ]+$/ { print "PASS system/proc/user_tests/" $2 }
	/^FAIL / { line = $0; sub(/^FAIL /, "", line); print "FAIL system/proc/user_tests/" line }'
checked=("${progs[@]}")
[ -x "$tree/tests/fuzz" ] && checked+=(fuzz)
for p in "${checked[@]}"; do
	if log_text | grep -qE "^RUNNER $p ended: exit 0 "; then
		pass "$p/exit"
	else
		fail "$p/exit" "$(log_text | grep -E "^RUNNER $p ended" || echo "did not end") (log: $LOG)"
	fi
	log_text | grep -qE "^DONE $p " && pass "$p/done" || fail "$p/done" "no DONE line (log: $LOG)"
done
expect_log runner_done "RUNNER done"
if grep -qiE "panic|unhandled .* in kernel" "$LOG"; then
	fail no_panic "the kernel panicked (log: $LOG)"
else
	pass no_panic
fi
[ "$QEMU_RC" -eq 124 ] && fail power_off "timed out (log: $LOG)" || pass power_off
