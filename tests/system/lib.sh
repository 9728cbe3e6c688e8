# Shared helpers for system tests: boot QEMU (TCG, with a timeout), capture the serial log,
# and report results as "PASS system/<test>/<check>" or "FAIL ...: why" lines.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KERNEL=$BUILD/ferrite.elf
TEST_ISO=$BUILD/ferrite-test.iso
LOGDIR=$BUILD/system-logs
mkdir -p "$LOGDIR"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd

# The test's name, from its path: tests/system/boot/bios.sh -> boot/bios
TEST_NAME=$(realpath --relative-to="$ROOT/tests/system" "$0")
TEST_NAME=${TEST_NAME%.sh}

pass() { echo "PASS system/$TEST_NAME/$1"; }
fail() { echo "FAIL system/$TEST_NAME/$1: $2"; }

# qemu_boot LOGNAME TIMEOUT QEMU-ARGS...: boots under TCG with the serial port in
# $LOGDIR/LOGNAME.log; sets QEMU_RC (124 = timed out) and LOG.
qemu_boot() {
	local name=$1 secs=$2
	shift 2
	LOG=$LOGDIR/$name.log
	QEMU_RC=0
	timeout --kill-after=5 "$secs" qemu-system-x86_64 -accel tcg -display none -monitor none \
		-serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"$@" > "$LOGDIR/$name.qemu.txt" 2>&1 || QEMU_RC=$?
	return 0
}

# A fresh copy of the OVMF variable store for one run (a reused one was seen to fall into the
# EFI shell). Prints the pflash arguments.
ovmf_args() {
	local vars=$LOGDIR/$1.vars.fd
	cp "$OVMF_VARS" "$vars"
	echo "-drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE -drive if=pflash,format=raw,file=$vars"
}

# expect_exit CHECK CODE: QEMU ended with isa-debug-exit CODE (33 pass, 35 fail, 37 panic).
expect_exit() {
	if [ "$QEMU_RC" -eq "$2" ]; then
		pass "$1"
	elif [ "$QEMU_RC" -eq 124 ]; then
		fail "$1" "timed out (log: $LOG)"
	else
		fail "$1" "QEMU exit status $QEMU_RC, expected $2 (log: $LOG)"
	fi
}

# expect_log CHECK TEXT: the serial log contains TEXT (a fixed string).
expect_log() {
	if grep -qF -- "$2" "$LOG"; then pass "$1"; else fail "$1" "log lacks '$2' (log: $LOG)"; fi
}

# expect_log_re CHECK REGEX
expect_log_re() {
	if grep -qE -- "$2" "$LOG"; then pass "$1"; else fail "$1" "log lacks /$2/ (log: $LOG)"; fi
}

# The serial log without carriage returns and without the "[    1.234567] " timestamps that
# log lines carry once the clock runs.
log_text() {
	tr -d '\r' < "$LOG" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //'
}

# ktest_results PREFIX: each "ktest: PASS name" becomes a result line; a run without the
# summary line is a failure.
ktest_results() {
	log_text | awk -v base="system/$TEST_NAME/$1" '
		/^ktest: PASS / { print "PASS " base "/" $3 }
		/^ktest: FAIL [^(]/ { name = $3; sub(/:$/, "", name); line = $0
			sub(/^ktest: FAIL [^ ]*/, "", line); print "FAIL " base "/" name line }'
	log_text | grep -q '^ktest: summary:' || fail "$1/summary" "no ktest summary (log: $LOG)"
}

# memory_accounting CHECK: the kernel's usable RAM equals the usable entries of the memory map
# it printed (the firmware's view) within 2%, and it manages at least 90% of it.
memory_accounting() {
	local fw kernel managed reserved
	fw=$(log_text | sed -n 's/^  \[mem 0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\] usable.*/\1 \2/p' |
		while read -r a b; do echo $(((0x$b - 0x$a + 1) / 1024)); done | awk '{s += $1} END {print s + 0}')
	read -r kernel managed reserved < <(log_text | sed -n 's/^memory: \([0-9]*\) KiB usable per firmware, \([0-9]*\) KiB managed, \([0-9]*\) KiB reserved.*/\1 \2 \3/p')
	if [ -z "${kernel:-}" ] || [ "$fw" -eq 0 ]; then
		fail "$1" "no memory report (log: $LOG)"
	elif [ $((kernel * 100)) -lt $((fw * 98)) ] || [ $((kernel * 100)) -gt $((fw * 102)) ]; then
		fail "$1" "kernel sees $kernel KiB usable, firmware map says $fw KiB (log: $LOG)"
	elif [ $((managed + reserved)) -ne "$kernel" ] || [ $((managed * 10)) -lt $((kernel * 9)) ]; then
		fail "$1" "managed $managed + reserved $reserved KiB do not account for $kernel KiB (log: $LOG)"
	else
		pass "$1"
	fi
}
