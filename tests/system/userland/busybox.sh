#!/bin/bash
# The busybox command suite: Debian's busybox-static in an initramfs made by tools/mkrootfs.sh,
# busybox-suite.init run as PID 1 (rdinit=). The suite runs on the host first (busybox applets
# only, BB_HOST=1): every check it passes there must pass in Ferrite, and the values it prints
# (sha256 of tar/gzip round trips) must agree.
source "$(dirname "$0")/../lib.sh"

suite=$ROOT/tests/system/userland/busybox-suite.init
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! "$busybox" --list | grep -qx top; then
	fail setup "no busybox on the host (Debian package busybox-static)"
	exit 0
fi

# On the host: a directory of applet links is the whole PATH.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/tmp"
for a in $("$busybox" --list); do ln -s "$busybox" "$work/bin/$a"; done
BB_HOST=1 BB_PATH=$work/bin BB_TMP=$work/tmp BB_EXE=$(readlink -f "$busybox") \
	"$busybox" sh "$suite" > "$work/host.out" 2> /dev/null
if ! grep -q '^BB DONE' "$work/host.out"; then
	fail host_run "the suite did not finish on the host"
fi
grep '^BB FAIL' "$work/host.out" | sed 's/^BB FAIL /host: /' | while read -r line; do
	fail host_run "$line (a check that fails on Linux is a wrong check)"
done

img=$BUILD/busybox-suite.cpio.gz
BUSYBOX=$busybox sh "$ROOT/tools/mkrootfs.sh" "$img" "$suite:/suite.sh" || {
	fail setup "mkrootfs failed"
	exit 0
}
qemu_boot busybox 240 -machine q35 -m 512M -smp 2 -nic none -kernel "$KERNEL" -initrd "$img" \
	-append "console=ttyS0 rdinit=/suite.sh"
rm -f "$img"
log_text > "$work/ferrite.out"

expect_log finished "BB DONE"
expect_log powered_off "reboot: power down"
if grep -q "Kernel panic\|PANIC\|end Kernel panic" "$work/ferrite.out"; then
	# Keep the report: the log is overwritten by the next run.
	cp "$LOG" "$LOG.panic.$(date +%s)"
	fail no_panic "the kernel panicked: $(grep -m 1 -A 2 'Kernel panic\|PANIC' "$work/ferrite.out" | tr '\n' ' ') (log kept: $LOG.panic.*)"
fi
# Every check: its Ferrite result; the host's PASS set must be covered.
grep -E '^BB (PASS|FAIL) ' "$work/ferrite.out" | while read -r _ res name rest; do
	name=${name%:}
	if [ "$res" = PASS ]; then pass "$name"; else fail "$name" "${rest# } (log: $LOG)"; fi
done
grep '^BB PASS ' "$work/host.out" | while read -r _ _ name; do
	grep -q "^BB \(PASS\|FAIL\) $name\(:\|\$\)" "$work/ferrite.out" || fail "$name" "never ran in Ferrite (log: $LOG)"
done
grep '^BB VALUE ' "$work/host.out" | while read -r _ _ name val; do
	got=$(sed -n "s/^BB VALUE $name //p" "$work/ferrite.out" | head -n 1)
	if [ "$got" = "$val" ]; then pass "value_$name"; else fail "value_$name" "host $val, Ferrite '$got'"; fi
done
