#!/bin/bash
# Captures QEMU's real ACPI tables for the host unit tests: boots the kernel with the hidden
# "acpidump" option (every verified table printed in hex on the serial log) on pc and q35 with
# 1, 2, 4 and 8 CPUs, and once on q35 under UEFI (OVMF, through a GRUB ISO with that command
# line), then rebuilds the tables into tests/unit/data/acpi/<config>/<SIG>.bin.
# Left out: the DSDT and SSDTs (AML, several KiB each; no unit test reads them) and OVMF's BGRT
# (it points at the boot logo's buffer, which moves from run to run).
# usage: tools/acpi-capture.sh [KERNEL]   (default build/ferrite.elf; run `make kernel` first)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNEL=${1:-$ROOT/build/ferrite.elf}
OUT=$ROOT/tests/unit/data/acpi
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
DONE='acpi: [0-9]+ tables? in the (RSDT|XSDT)|running without ACPI'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -f "$KERNEL" ] || { echo "acpi-capture: no kernel at $KERNEL (make kernel)" >&2; exit 1; }

# boot LOG SECONDS QEMU-ARGS...: runs QEMU until acpi_init has printed its summary line (the
# dumps come before it; the kernel never exits on its own without ktest), or the time is up;
# then stops that QEMU.
boot() {
	local log=$1 secs=$2
	shift 2
	: > "$log"
	qemu-system-x86_64 -accel tcg -m 256M -display none -monitor none -serial "file:$log" \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" > "$log.qemu" 2>&1 &
	local pid=$! t=0
	while [ $t -lt "$secs" ] && kill -0 "$pid" 2> /dev/null; do
		grep -qaE "$DONE" "$log" && break
		sleep 1
		t=$((t + 1))
	done
	kill "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
	grep -qaE "$DONE" "$log" || { echo "acpi-capture: no ACPI summary line (log: $log)" >&2; return 1; }
}

# extract LOG DIR: one DIR/<SIG>.bin per dumped table (SIG2.bin, ... for repeats), each checked
# against the length its dump announced.
extract() {
	local log=$1 dir=$2
	rm -rf "$dir"
	mkdir -p "$dir"
	tr -d '\r' < "$log" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' | awk -v dir="$dir" '
		/^acpidump: .... @0x[0-9a-f]+ len [0-9]+$/ {
			sig = substr($0, 11, 4); name = sig
			for (n = 2; (name in seen); n++) name = sig n
			seen[name] = 1
			cur = (sig == "DSDT" || sig == "SSDT" || sig == "BGRT") ? "" : dir "/" name
			if (cur != "") { print $NF > (cur ".len"); close(cur ".len"); printf "" > (cur ".hex") }
			next
		}
		/^acpidump: .... [0-9a-f]+ [0-9a-f]+$/ && cur != "" { print $NF >> (cur ".hex") }
	'
	local f want got
	for f in "$dir"/*.hex; do
		[ -e "$f" ] || { echo "acpi-capture: no tables in $log" >&2; return 1; }
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
			"$f" > "${f%.hex}.bin"
		want=$(cat "${f%.hex}.len")
		got=$(stat -c %s "${f%.hex}.bin")
		[ "$want" -eq "$got" ] || { echo "acpi-capture: ${f%.hex}.bin has $got bytes, dump said $want" >&2; return 1; }
		rm -f "$f" "${f%.hex}.len"
	done
	echo "$(basename "$dir"): $(cd "$dir" && ls | tr '\n' ' ')"
}

for machine in pc q35; do
	for smp in 1 2 4 8; do
		log=$work/$machine-smp$smp.log
		boot "$log" 120 -machine "$machine" -smp "$smp" -kernel "$KERNEL" -append acpidump
		extract "$log" "$OUT/$machine-smp$smp"
	done
done

# UEFI: OVMF cannot boot the ELF directly, so through GRUB with the acpidump command line.
if [ -f "$OVMF_CODE" ] && command -v grub-mkrescue > /dev/null; then
	sh "$ROOT/tools/mkiso.sh" "$KERNEL" "$work/acpidump.iso" "acpidump console=ttyS0"
	cp "$OVMF_VARS" "$work/vars.fd"
	log=$work/q35-ovmf-smp4.log
	boot "$log" 300 -machine q35 -smp 4 -cdrom "$work/acpidump.iso" \
		-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,file=$work/vars.fd"
	extract "$log" "$OUT/q35-ovmf-smp4"
else
	echo "acpi-capture: OVMF or grub-mkrescue missing, UEFI tables not captured" >&2
fi
