#!/bin/bash
# PCI enumeration against QEMU's own view of the machine. Ferrite boots (no ktest: to an idle init
# after the boot listing), the QEMU monitor's `info pci` is read over QMP in the same run, and
# both are parsed and compared: every function (bus:device.function and vendor:device ids),
# every BAR (kind, address, size), every bridge's bus numbers and windows. Machines: q35 with
# five pcie-root-ports holding e1000e, virtio-net, nvme, ahci and virtio-blk (ECAM, SeaBIOS),
# the same under OVMF (UEFI firmware assigns differently), the same with acpi=off (no MCFG: the
# 0xcf8 ports), and pc with its defaults. Then the PCI ktests on q35 and pc.
source "$(dirname "$0")/../lib.sh"

# Unix socket paths must stay short, so the scratch directory lives under /tmp.
dir=$(mktemp -d /tmp/ferrite-pci.XXXXXX)
trap 'rm -rf "$dir"' EXIT
truncate -s 1M "$dir/d0.img" "$dir/d1.img"

Q35_DEVICES=(
	-device pcie-root-port,id=rp1,chassis=1,slot=1 -device e1000e,bus=rp1
	-device pcie-root-port,id=rp2,chassis=2,slot=2 -device virtio-net-pci,bus=rp2
	-device pcie-root-port,id=rp3,chassis=3,slot=3 -device nvme,bus=rp3,serial=x,drive=d0
	-drive "if=none,id=d0,file=$dir/d0.img,format=raw"
	-device pcie-root-port,id=rp4,chassis=4,slot=4 -device ahci,bus=rp4
	-device pcie-root-port,id=rp5,chassis=5,slot=5 -device virtio-blk-pci,bus=rp5,drive=d1
	-drive "if=none,id=d1,file=$dir/d1.img,format=raw"
)

# Reads what both sides say and prints one line per difference; exits 1 when there is one.
# argv: Ferrite's log text (timestamps stripped), the `info pci` text.
COMPARE=$(cat <<'EOF'
import re, sys

def size_of(text):
    n, unit = text.split()
    return int(n) << {"bytes": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[unit]

def ferrite(path):
    devs = {}
    for line in open(path, errors="replace"):
        m = re.match(r"pci: ([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) \[([0-9a-f]{4}):([0-9a-f]{4})\] (.*)$", line.strip())
        if not m:
            continue
        rest = m.group(7)
        bdf = "%s:%s.%s" % (m.group(2), m.group(3), m.group(4))
        d = {"id": m.group(5) + ":" + m.group(6), "bars": {}, "windows": {}, "buses": None}
        for b in re.finditer(r"BAR(\d) (io|mem) (0x[0-9a-f]+) \(([^,)]*)", rest):
            d["bars"][int(b.group(1))] = (b.group(2), int(b.group(3), 16), size_of(b.group(4)))
        for b in re.finditer(r"BAR(\d) (io|mem) unassigned", rest):
            d["bars"][int(b.group(1))] = (b.group(2), None, None)
        for w in re.finditer(r"(io|mem|pref) window (0x[0-9a-f]+)-(0x[0-9a-f]+)", rest):
            d["windows"][w.group(1)] = (int(w.group(2), 16), int(w.group(3), 16))
        b = re.search(r"buses ([0-9a-f]{2})-([0-9a-f]{2})", rest)
        if b:
            d["buses"] = (int(b.group(1), 16), int(b.group(2), 16))
        devs[bdf] = d
    return devs

def qemu(path):
    devs, d = {}, None
    for line in open(path, errors="replace"):
        line = line.strip()
        m = re.match(r"Bus +(\d+), device +(\d+), function +(\d+):", line)
        if m:
            d = {"id": None, "bars": {}, "windows": {}, "buses": None, "sec": None}
            devs["%02x:%02x.%x" % tuple(int(x) for x in m.groups())] = d
            continue
        if d is None:
            continue
        m = re.search(r"PCI device ([0-9a-f]{4}:[0-9a-f]{4})", line)
        if m and d["id"] is None:
            d["id"] = m.group(1)
        m = re.match(r"BAR(\d): (I/O|32 bit|64 bit).* at (0x[0-9a-f]+) \[(0x[0-9a-f]+)\]", line)
        if m and int(m.group(1)) < 6:
            base, end = int(m.group(3), 16), int(m.group(4), 16)
            kind = "io" if m.group(2) == "I/O" else "mem"
            d["bars"][int(m.group(1))] = (kind, None, None) if base == 0xffffffffffffffff else (kind, base, end - base + 1)
        m = re.match(r"secondary bus (\d+)\.", line)
        if m:
            d["sec"] = int(m.group(1))
        m = re.match(r"subordinate bus (\d+)\.", line)
        if m:
            d["buses"] = (d["sec"], int(m.group(1)))
        m = re.match(r"(IO|memory|prefetchable memory) range \[(0x[0-9a-f]+), (0x[0-9a-f]+)\]", line)
        if m:
            lo, hi = int(m.group(2), 16), int(m.group(3), 16)
            if lo <= hi:
                d["windows"][{"IO": "io", "memory": "mem", "prefetchable memory": "pref"}[m.group(1)]] = (lo, hi)
    for d in devs.values():
        d.pop("sec")
    return devs

f, q = ferrite(sys.argv[1]), qemu(sys.argv[2])
bad = 0
for bdf in sorted(set(f) | set(q)):
    if bdf not in f:
        print("only QEMU lists %s [%s]" % (bdf, q[bdf]["id"])); bad += 1; continue
    if bdf not in q:
        print("only Ferrite lists %s [%s]" % (bdf, f[bdf]["id"])); bad += 1; continue
    for key in ("id", "bars", "windows", "buses"):
        if f[bdf][key] != q[bdf][key]:
            print("%s %s: Ferrite %s, QEMU %s" % (bdf, key, f[bdf][key], q[bdf][key])); bad += 1
print("%d functions compared, %d differences" % (len(q), bad))
sys.exit(1 if bad or not q else 0)
EOF
)

# listing_run NAME MACHINE CMDLINE QEMU-ARGS...: boots, waits for the idle line, reads `info pci`
# through QMP, ends QEMU, compares. Sets LOG.
listing_run() {
	local name=$1 machine=$2 cmdline=$3 qemu idle
	shift 3
	local sock=$dir/$name.qmp info=$LOGDIR/pci_$name.info-pci.txt
	LOG=$LOGDIR/pci_$name.log
	rm -f "$LOG" "$info"
	timeout --kill-after=5 240 qemu-system-x86_64 -accel tcg -display none -monitor none \
		-serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-machine "$machine" -m 256M -qmp "unix:$sock,server=on,wait=off" "$@" \
		${cmdline:+-append "$cmdline"} > "$LOGDIR/pci_$name.qemu.txt" 2>&1 &
	qemu=$!

	idle=0
	for _ in $(seq 900); do # up to 180 s (UEFI under TCG is slow)
		if grep -q 'idle-init: up' "$LOG" 2>/dev/null; then idle=1; break; fi
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.2
	done
	if [ "$idle" -eq 1 ]; then
		python3 - "$sock" "$info" <<-'EOF' > "$LOGDIR/pci_$name.qmp.txt" 2>&1 || fail "$name/info_pci" "QMP client failed (see $LOGDIR/pci_$name.qmp.txt)"
	import json, socket, sys

	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(20)
	s.connect(sys.argv[1])
	f = s.makefile("rw")

	def command(name, **args):
	    f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
	    f.flush()
	    while True:
	        msg = json.loads(f.readline())
	        if "event" not in msg:
	            print(name, "->", "error" if "error" in msg else "ok")
	            if "error" in msg:
	                print(msg)
	                sys.exit(1)
	            return msg["return"]

	print("greeting:", json.loads(f.readline()))
	command("qmp_capabilities")
	open(sys.argv[2], "w").write(command("human-monitor-command", **{"command-line": "info pci"}))
	command("quit")
	EOF
	else
		fail "$name/idle" "Ferrite never reached its idle loop (log: $LOG)"
	fi
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null

	if [ -s "$info" ]; then
		log_text > "$LOGDIR/pci_$name.text.txt"
		if python3 -c "$COMPARE" "$LOGDIR/pci_$name.text.txt" "$info" > "$LOGDIR/pci_$name.compare.txt" 2>&1; then
			pass "$name/matches_info_pci"
		else
			fail "$name/matches_info_pci" "$(grep -v ' differences$' "$LOGDIR/pci_$name.compare.txt" | head -3 | tr '\n' ';') (see $LOGDIR/pci_$name.compare.txt)"
		fi
	else
		fail "$name/matches_info_pci" "no info pci output"
	fi
	# Nothing went wrong on the way: no loops, no allocation failures, no out-of-memory.
	if grep -qE 'pci: .*(loops|no room|no bus number|out of memory|not registered|disagrees)' "$LOG"; then
		fail "$name/no_warnings" "$(grep -E 'pci: .*(loops|no room|no bus number|out of memory|not registered|disagrees)' "$LOG" | head -1)"
	else
		pass "$name/no_warnings"
	fi
	expect_log_re "$name/summary" 'pci: [0-9]+ functions on [0-9]+ bus(es)?, config via '
}

# The devices behind the root ports, on buses other than 0, with what QEMU gives them.
check_q35_devices() {
	local c=$1
	expect_log_re "$c/e1000e" 'pci: 0000:0[1-9a-f]:00\.0 \[8086:10d3\] class 02\.00\.00 Ethernet controller, BAR0 mem 0x[0-9a-f]+ \(128 KiB\)'
	expect_log_re "$c/virtio_net" 'pci: 0000:0[1-9a-f]:00\.0 \[1af4:1041\] class 02\.00\.00 Ethernet controller, .*BAR4 mem 0x[0-9a-f]+ \(16 KiB, 64-bit, prefetch\)'
	expect_log_re "$c/nvme" 'pci: 0000:0[1-9a-f]:00\.0 \[1b36:0010\] class 01\.08\.02 Non-Volatile memory controller, BAR0 mem 0x[0-9a-f]+ \(16 KiB, 64-bit\)'
	expect_log_re "$c/ahci" 'pci: 0000:0[1-9a-f]:00\.0 \[8086:2922\] class 01\.06\.01 SATA controller'
	expect_log_re "$c/virtio_blk" 'pci: 0000:0[1-9a-f]:00\.0 \[1af4:1042\] class 01\.00\.00 SCSI storage controller'
	expect_log_re "$c/root_ports" 'pci: 0000:00:0[0-9a-f]\.0 \[1b36:000c\] class 06\.04\.00 PCI bridge, buses 0[1-9a-f]-0[1-9a-f]'
}

listing_run q35 q35 "console=ttyS0" -kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio" "${Q35_DEVICES[@]}"
expect_log q35/ecam "pci: ECAM for segment 0 buses 0-255 at 0xb0000000"
expect_log_re q35/summary_ecam 'pci: 16 functions on 6 buses, config via ECAM'
check_q35_devices q35

listing_run q35_acpi_off q35 "acpi=off console=ttyS0" -kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio" "${Q35_DEVICES[@]}"
expect_log q35_acpi_off/ports "pci: configuration through ports 0xcf8/0xcfc (256 bytes per function), no MCFG"
check_q35_devices q35_acpi_off

listing_run pc pc "console=ttyS0" -kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio"
expect_log pc/ports "pci: configuration through ports 0xcf8/0xcfc (256 bytes per function), no MCFG"
expect_log pc/host_bridge "pci: 0000:00:00.0 [8086:1237] class 06.00.00 Host bridge"
expect_log_re pc/ide 'pci: 0000:00:01\.1 \[8086:7010\] class 01\.01\.80 IDE interface, BAR4 io 0x[0-9a-f]+ \(16 bytes\)'

# UEFI: OVMF's own resource assignment, through GRUB (its own ISO: the default one runs ktests).
iso=$LOGDIR/pci_uefi.iso
if sh "$ROOT/tools/mkiso.sh" "$KERNEL" "$iso" "console=ttyS0" "$BUILD/idle-initrd.cpio" > /dev/null 2>&1; then
	listing_run uefi_q35 q35 "" -cdrom "$iso" $(ovmf_args pci_uefi) "${Q35_DEVICES[@]}"
	check_q35_devices uefi_q35
else
	fail uefi_q35/iso "tools/mkiso.sh failed"
fi

# The in-kernel PCI core tests, with and without ECAM.
KTESTS=pci_host_bridge,pci_config_readable,pci_ecam,pci_caps,pci_driver_bind,pci_proc_format
qemu_boot pci_ktest_q35 120 -machine q35 -m 256M -kernel "$KERNEL" -append "ktest=$KTESTS" "${Q35_DEVICES[@]}"
expect_exit ktest_q35/exit_status 33
ktest_results q35-ktest
qemu_boot pci_ktest_pc 120 -machine pc -m 256M -kernel "$KERNEL" -append "ktest=$KTESTS"
expect_exit ktest_pc/exit_status 33
ktest_results pc-ktest
