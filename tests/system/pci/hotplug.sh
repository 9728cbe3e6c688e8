#!/bin/bash
# PCIe native hot-plug on q35. Empty root ports (two generic pcie-root-ports, whose slot events
# come by MSI-X, and an ioh3420, by MSI); the kernel boots to an init that only idles. Over QMP:
# device_add an e1000e (rp1) and a virtio-blk-pci (rp2); the kernel must enumerate both and bind
# their drivers (the e1000e test driver "pcitest", enabled by "pcitest" on the command line; the real virtio-blk). device_del both: the driver's remove must run and QEMU must emit
# DEVICE_DELETED within 5 s each. An e1000e in and out of the ioh3420. Then 20 add/remove cycles
# of both, after which free memory must be where it was after cycle 2 (cycle 1 may warm caches
# up). A second boot with pci_nomsi takes slot events by INTx. Last, ktest boots with the
# devices present from the start (MSI, MSI-X and INTx on q35, q35 with the 8259, and pc).
#
# QEMU >= 6.1 hands q35's PCIe slots to ACPI hot-plug by default, which replaces the native slot
# events with a GPE the kernel cannot serve without an AML interpreter; the ICH9-LPC switch
# below restores native hot-plug.
source "$(dirname "$0")/../lib.sh"

# A Unix socket path must stay short (108 bytes), so it lives in a fresh directory under /tmp.
tmp=$(mktemp -d /tmp/ferrite-pcihp.XXXXXX)
qemu=
cleanup() {
	[ -n "$qemu" ] && kill "$qemu" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock=$tmp/qmp.sock
truncate -s 16M "$tmp/disk0.img" "$tmp/disk1.img"

NATIVE_HP="-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"
PORTS="-device pcie-root-port,id=rp1,chassis=1,slot=1 -device pcie-root-port,id=rp2,chassis=2,slot=2"

# The QMP side of the test: boots are driven from Python (tests/system/qmp.py). Arguments:
# MODE (full | intx), the serial log, the result prefix, QEMU's pid.
cat > "$tmp/driver.py" <<'EOF'
import os, re, sys, time
root, sock, mode, log, prefix, pid = sys.argv[1:6] + [int(sys.argv[6])]
sys.path.insert(0, os.path.join(root, "tests/system"))
from qmp import QMP, QMPError, log_text, wait_log

def result(name, ok, why=""):
    if ok:
        print(f"PASS {prefix}/{name}", flush=True)
    else:
        print(f"FAIL {prefix}/{name}: {why} (log: {log})", flush=True)
    return ok

def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def text():
    return re.sub(r"(?m)^\[ *[0-9]+\.[0-9]+\] ", "", log_text(log))

def count(pattern):
    return len(re.findall(pattern, text(), re.M))

def wait_count(pattern, n, timeout=60):
    return wait_log(log, lambda _: count(pattern) >= n, timeout, alive) is not None

NIC = r"8086:10d3"
BLK = r"1af4:10(?:42|01)"

# ---- boot: every port set up for native hot-plug ----
booted = wait_log(log, lambda t: "idle-init: up" in t, 120, alive) is not None
if not result("boot", booted, "the kernel did not start its idle init"):
    sys.exit(0)
ports, via = {}, {}
for m in re.finditer(r"^pcihp: (\S+) slot (\d+): native hot-plug.*events by (MSI-X|MSI|INTx), empty$", text(), re.M):
    ports[m.group(2)], via[m.group(2)] = m.group(1), m.group(3)
want_via = {"1": "MSI-X", "2": "MSI-X", "3": "MSI"} if mode == "full" else {"1": "INTx", "2": "INTx"}
if not result("ports", via == want_via, f"slots and their event interrupts: {via}, expected {want_via}"):
    sys.exit(0)

q = QMP(sock)

def add(dev_id, driver, bus, **extra):
    q.command("device_add", driver=driver, id=dev_id, bus=bus, **extra)

def delete(dev_id):
    """device_del; seconds until DEVICE_DELETED, or None when it did not come within 5 s."""
    t0 = time.monotonic()
    q.command("device_del", id=dev_id)
    ev = q.wait_event("DEVICE_DELETED", 5.0, since=t0, device=dev_id)
    return None if ev is None else time.monotonic() - t0

# What each driver prints when it binds and when its remove runs.
DRIVER = {NIC: "pcitest", BLK: "virtio-blk"}
def bound_re(ids, name=r"\S+"):
    if ids == BLK:
        return rf"^virtio-blk: vd[a-z]: {name} \[{ids}\], "
    return rf"^pcitest: bound {name} {ids} "

def removed_re(ids, name):
    if ids == BLK:
        return rf"^virtio-blk: removed vd[a-z] \({re.escape(name)}, "
    return rf"^pcitest: removed {re.escape(name)} "

def bound_names(vendor_device):
    return re.findall(bound_re(vendor_device, r"(\S+)"), text(), re.M)

def add_check(check, dev_id, driver, slot, ids, **extra):
    """Adds a device to slot's port; its name once bound and listed as added, else None."""
    n = len(bound_names(ids)) + 1
    add(dev_id, driver, "rp" + slot, **extra)
    ok = wait_count(bound_re(ids), n)
    result(f"{check}/bound", ok, f"no new {DRIVER[ids]} bound line for {ids}")
    name = bound_names(ids)[-1] if ok else None
    port = re.escape(ports[slot])
    result(f"{check}/link_up", wait_count(rf"^pcihp: {port} slot {slot}: card present, link up$", 1, 20),
           f"no 'card present, link up' line for slot {slot}")
    # "added" follows "bound" by a few lines: wait for it too, never just look once.
    listed = bool(name) and wait_count(rf"^pcihp: {port} slot {slot}: added {re.escape(name)} {ids} \({DRIVER[ids]}\)$", 1, 20)
    result(f"{check}/enumerated", listed, f"no 'added ... ({DRIVER[ids]})' line for slot {slot}")
    return name if listed else None

def del_check(check, dev_id, name, slot, ids):
    took = delete(dev_id)
    result(f"{check}/device_deleted", took is not None, "no DEVICE_DELETED within 5 s")
    removed = bool(name) and wait_count(removed_re(ids, name), 1, 10)
    result(f"{check}/driver_remove", removed, f"no {DRIVER[ids]} removed line for {name}")
    result(f"{check}/slot_removed",
           bool(name) and count(rf"^pcihp: {re.escape(ports[slot])} slot {slot}: removed {re.escape(name)}$") >= 1,
           f"no 'pcihp: ... slot {slot}: removed {name}' line")
    if took is not None:
        print(f"{dev_id}: DEVICE_DELETED {took:.2f} s after device_del", flush=True)

def free_pages():
    return [int(x) for x in re.findall(r"^pcihp: free pages (\d+)$", text(), re.M)]

try:
    if mode == "intx":
        nic = add_check("intx_add", "nic0", "e1000e", "1", NIC)
        result("intx_no_msi", bool(nic) and count(rf"^pcitest: bound {re.escape(nic or '')} .*no MSI$") == 1,
               "the placeholder driver should have gone without MSI")
        del_check("intx_del", "nic0", nic, "1", NIC)
    else:
        # ---- one e1000e and one virtio-blk: added, enumerated, bound, removed ----
        nic = add_check("add_e1000e", "nic0", "e1000e", "1", NIC)
        blk = add_check("add_virtio_blk", "blk0", "virtio-blk-pci", "2", BLK, drive="drv0")
        result("msi", count(rf"^pcitest: bound \S+ {NIC} .*MSI on$") >= 1 and
               count(rf"^virtio-blk: vd[a-z]: \S+ \[{BLK}\], .*MSI-X") >= 1,
               "the drivers did not enable MSI (e1000e placeholder) and MSI-X (virtio-blk)")
        del_check("del_e1000e", "nic0", nic, "1", NIC)
        del_check("del_virtio_blk", "blk0", blk, "2", BLK)
        # ---- the ioh3420 port: slot events by MSI ----
        nic = add_check("ioh3420_add", "nic9", "e1000e", "3", NIC)
        del_check("ioh3420_del", "nic9", nic, "3", NIC)

        # ---- 20 add/remove cycles; free pages after each removal ----
        per_cycle, slowest, why = [], 0.0, None
        for cycle in range(1, 21):
            n_nic, n_blk = len(bound_names(NIC)) + 1, len(bound_names(BLK)) + 1
            add(f"nic{cycle}", "e1000e", "rp1")
            add(f"blk{cycle}", "virtio-blk-pci", "rp2", drive="blk1")
            if not (wait_count(bound_re(NIC), n_nic) and wait_count(bound_re(BLK), n_blk)):
                why = f"cycle {cycle}: the devices were not bound"
                break
            n_free = len(free_pages()) + 2
            for dev_id in (f"nic{cycle}", f"blk{cycle}"):
                took = delete(dev_id)
                if took is None:
                    why = f"cycle {cycle}: no DEVICE_DELETED for {dev_id} within 5 s"
                    break
                slowest = max(slowest, took)
            if why:
                break
            if not wait_count(r"^pcihp: free pages \d+$", n_free, 10):
                why = f"cycle {cycle}: no 'pcihp: free pages' line after the removals"
                break
            per_cycle.append(free_pages()[-1])
        if result("cycles", why is None, why):
            print(f"20 cycles: slowest DEVICE_DELETED {slowest:.2f} s after device_del", flush=True)
            print("free pages after each cycle: " + " ".join(map(str, per_cycle)), flush=True)
            result("free_memory", per_cycle[-1] >= per_cycle[1],
                   f"free pages after cycle 2: {per_cycle[1]}, after cycle 20: {per_cycle[-1]}")
            bound, removed = count(r"^pcitest: bound "), count(r"^pcitest: removed ")
            vbound, vremoved = count(bound_re(BLK)), count(r"^virtio-blk: removed ")
            result("all_removed", bound == removed == 22 and vbound == vremoved == 21,
                   f"e1000e: {bound} bound, {removed} removed, expected 22 each; "
                   f"virtio-blk: {vbound} bound, {vremoved} removed, expected 21 each")
except QMPError as e:
    result("qmp", False, str(e))

t = text()
warn = r"not completed|link down|no function|failed|not registered" + ("" if mode == "intx" else "|MSI not enabled")
result("no_warnings",
       not re.search(rf"^(pcihp|pcitest|pci|virtio-blk|virtio|block): .*({warn}|not bound)", t, re.M) and not re.search(r"panic|exception", t, re.I),
       "the log has hot-plug warnings, a panic or an exception")
try:
    q.command("quit")
except (QMPError, OSError):
    pass
EOF

# hotplug_run NAME MODE EXTRA-CMDLINE QEMU-ARGS...: boots with a QMP socket, runs the driver.
hotplug_run() {
	local name=$1 mode=$2 extra=$3
	shift 3
	LOG=$LOGDIR/$name.log
	rm -f "$LOG" "$sock"
	timeout --kill-after=5 600 qemu-system-x86_64 -accel tcg -display none -monitor none \
		-serial "file:$LOG" -no-reboot -machine q35 -m 256M -nic none "$@" \
		-kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio" -append "console=ttyS0 pcitest $extra" -qmp "unix:$sock,server=on,wait=off" \
		> "$LOGDIR/$name.qemu.txt" 2>&1 &
	qemu=$!
	python3 "$tmp/driver.py" "$ROOT" "$sock" "$mode" "$LOG" "system/$TEST_NAME/$mode" "$qemu" 2>&1 |
		tee "$LOGDIR/$name.driver.txt"
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	qemu=
}

# The first virtio disk uses -drive if=none (QEMU deletes such a drive together with its device);
# the cycles use a -blockdev node, which outlives each device.
# shellcheck disable=SC2086
hotplug_run pci_hotplug full "" $NATIVE_HP $PORTS -device ioh3420,id=rp3,chassis=3,slot=3 \
	-drive "if=none,id=drv0,format=raw,file=$tmp/disk0.img" \
	-blockdev "driver=raw,node-name=blk1,file.driver=file,file.filename=$tmp/disk1.img"
# shellcheck disable=SC2086
hotplug_run pci_hotplug_intx intx pci_nomsi $NATIVE_HP $PORTS

# expect_text_re CHECK REGEX: like expect_log_re, on log_text (no CRs, no timestamps), so that
# a regex may end with $.
expect_text_re() {
	if log_text | grep -qE -- "$2"; then pass "$1"; else fail "$1" "log lacks /$2/ (log: $LOG)"; fi
}

# ---- the same devices present from boot: ktests for MSI, MSI-X, INTx and the slots ----
PCI_KTESTS=pci_intx_route_matches_firmware,pci_irq_e1000e,pci_msix_virtio,pci_hotplug_ports_bound
# shellcheck disable=SC2086
qemu_boot pci_hotplug_ktest_q35 120 -machine q35 -m 256M -nic none $NATIVE_HP $PORTS \
	-device e1000e,bus=rp1 -drive "if=none,id=drv0,format=raw,file=$tmp/disk0.img" \
	-device virtio-blk-pci,bus=rp2,drive=drv0 -kernel "$KERNEL" -append "ktest=$PCI_KTESTS pcitest console=ttyS0"
expect_exit ktest_q35/exit_status 33
expect_text_re ktest_q35/slot_on '^pcihp: [0-9a-f:.]+ slot 1: native hot-plug.*, on$'
expect_text_re ktest_q35/msi_delivered 'pci_irq_e1000e: [0-9a-f:.]+: MSI delivered'
expect_text_re ktest_q35/intx_ioapic 'pci_irq_e1000e: [0-9a-f:.]+: INTx pin A delivered on GSI (1[6-9]|2[0-3])$'
ktest_results ktest_q35

# q35 with the 8259: INTx through the ICH9 PIRQ route registers (no MSI without the local APIC).
qemu_boot pci_hotplug_ktest_q35_pic 120 -machine q35 -m 256M -nic none -device e1000e \
	-kernel "$KERNEL" -append "ktest=$PCI_KTESTS pcitest noapic console=ttyS0"
expect_exit ktest_q35_pic/exit_status 33
expect_text_re ktest_q35_pic/intx_pic 'pci_irq_e1000e: [0-9a-f:.]+: INTx pin A delivered on GSI (1[01]|[3-79])$'
ktest_results ktest_q35_pic

# pc: PIIX3 PIRQ links, MSI on the root bus.
qemu_boot pci_hotplug_ktest_pc 120 -machine pc -m 256M -nic none -device e1000e \
	-kernel "$KERNEL" -append "ktest=$PCI_KTESTS pcitest console=ttyS0"
expect_exit ktest_pc/exit_status 33
expect_text_re ktest_pc/msi_delivered 'pci_irq_e1000e: [0-9a-f:.]+: MSI delivered'
expect_text_re ktest_pc/intx_piix 'pci_irq_e1000e: [0-9a-f:.]+: INTx pin A delivered on GSI (1[01]|[3-79])$'
ktest_results ktest_pc
