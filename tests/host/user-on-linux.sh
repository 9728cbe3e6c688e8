#!/bin/bash
# Runs the user-space test programs (user/tests/, built into $BUILD/user/tests/) on the host
# Linux, where every check must pass: a check that fails on Linux is a wrong test. Each program
# runs by its absolute path (they execute themselves again), with TMPDIR set to a fresh
# directory, stdin from /dev/null and a 60 s timeout; fuzz makes $FUZZ_CALLS calls (default
# 20000). Its PASS/FAIL lines come out with "linux:" in front of the name
# ("PASS linux:files.o_excl_eexist"); a program that crashes, times out or ends without its
# DONE line is a FAIL too. Full output: $BUILD/user-test-logs/<program>.log.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/user/tests
LOGS=$BUILD/user-test-logs
FUZZ_CALLS=${FUZZ_CALLS:-20000}
FUZZ_SEED=${FUZZ_SEED:-1}
mkdir -p "$LOGS"

if ! command -v musl-gcc > /dev/null; then
	echo "FAIL linux:user-tests: musl-gcc is missing (Debian package musl-tools); programs not built"
	exit 1
fi
if ! make -s -C "$ROOT" BUILD="$BUILD" user-tests > "$LOGS/build.log" 2>&1; then
	echo "FAIL linux:user-tests: building them failed (see $LOGS/build.log)"
	exit 1
fi

status=0
for src in "$ROOT"/user/tests/*.c; do
	name=$(basename "$src" .c)
	bin=$BIN/$name
	log=$LOGS/$name.log
	args=()
	[ "$name" = fuzz ] && args=("$FUZZ_CALLS" "$FUZZ_SEED")
	if [ ! -x "$bin" ]; then
		echo "FAIL linux:$name: $bin was not built"
		status=1
		continue
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferrite-user-$name.XXXXXX")
	# (The braces keep bash's own "Segmentation fault" notice out of the output.)
	{ timeout --kill-after=5 60 env TMPDIR="$tmp" "$bin" "${args[@]}" < /dev/null > "$log" 2>&1; } 2> /dev/null
	rc=$?
	rm -rf "$tmp"
	sed -n -e 's/^PASS /PASS linux:/p' -e 's/^FAIL /FAIL linux:/p' "$log"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "FAIL linux:$name: timed out after 60 s (log: $log)"
	elif ! grep -q "^DONE $name " "$log"; then
		echo "FAIL linux:$name: ended without its DONE line, exit status $rc (log: $log)"
	elif [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL linux:$name: exit status $rc without a FAIL line (log: $log)"
	fi
	[ $rc -eq 0 ] || status=1
done
exit $status
