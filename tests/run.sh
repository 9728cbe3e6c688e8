#!/bin/bash
# Runs every test: host unit tests, the user-space test programs on the host Linux, then the
# QEMU system tests (in parallel; they include the in-kernel ktest runs). Each test prints
# "PASS name" or "FAIL name: why"; the last line is the total, "N passed, N failed". Exit
# status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
results=$BUILD/test-results
rm -rf "$results"
mkdir -p "$results"
jobs=${JOBS:-$(nproc)}
start=$(date +%s)

# A suite that ends without saying anything (a crash, a missing binary) is a failure too.
run_suite() { # run_suite NAME COMMAND...
	local name=$1 out=$results/$1.txt t0=$(date +%s)
	shift
	"$@" > "$out" 2>&1
	local rc=$?
	echo "$(($(date +%s) - t0)) $name" > "$results/$name.secs"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name: exited with status $rc" >> "$out"
	fi
	# A broken test script must not pass by saying less.
	if grep -qE '(syntax error|command not found|unbound variable|No such file or directory)' "$out"; then
		echo "FAIL $name: the test script itself failed (see $out)" >> "$out"
	fi
	if ! grep -qE '^(PASS|FAIL) ' "$out"; then
		echo "FAIL $name: reported no result" >> "$out"
	fi
	grep -E '^(PASS|FAIL) ' "$out"
}
export -f run_suite
export results BUILD

echo "== host unit tests"
for bin in "$BUILD"/unit/test_*; do
	[ -x "$bin" ] && run_suite "unit-$(basename "$bin")" timeout 300 "$bin"
done

echo "== user-space tests (user/tests/) on the host Linux"
run_suite "user-on-linux" bash tests/host/user-on-linux.sh

echo "== system tests (QEMU, $jobs in parallel)"
find tests/system -name '*.sh' ! -name 'lib.sh' | sort |
	xargs -P "$jobs" -I{} bash -c 'n={}; n=${n#tests/system/}; n=${n%.sh}; run_suite "system-${n//\//-}" bash {}'

pass=$(cat "$results"/*.txt | grep -c '^PASS ')
fail=$(cat "$results"/*.txt | grep -c '^FAIL ')
if [ "$fail" -ne 0 ]; then
	echo "== failures (logs in $results and $BUILD/system-logs)"
	cat "$results"/*.txt | grep '^FAIL '
	# CI keeps only this output: the end of each failing run's serial log (a panic, the last
	# command a script reached) is the evidence a successor needs.
	cat "$results"/*.txt | grep '^FAIL ' | grep -oE '\(log: [^)]*\)' | sort -u | head -6 |
		sed -E 's/^\(log: (.*)\)$/\1/' | while read -r log; do
			[ -f "$log" ] || continue
			echo "== last lines of $log"
			tr -d '\r' < "$log" | tail -n 25 | sed 's/^/   | /'
		done
fi
echo "== slowest suites (seconds)"
cat "$results"/*.secs | sort -rn | head -8 | sed 's/^/   /'
echo "== took $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
