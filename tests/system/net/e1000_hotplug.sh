#!/bin/bash
# Network devices are named as the driver model finds them, hot-plugged ones too. On q35 with
# native PCIe hot-plug, two e1000s added over QMP become eth0 and eth1; removing the first
# unregisters eth0 (the driver frees its rings and interrupt; QEMU completes the removal); a card
# added again takes the free name eth0 and reports its link, and follows it down and up.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

tmp=$(mktemp -d /tmp/ferrite-nethp.XXXXXX)
qemu=
cleanup() {
	[ -n "$qemu" ] && kill "$qemu" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock=$tmp/qmp.sock

cat > "$tmp/driver.py" <<'PYEOF'
import os, re, sys, time
root, sock, log, prefix, pid, model = sys.argv[1:5] + [int(sys.argv[5]), sys.argv[6]]
sys.path.insert(0, os.path.join(root, "tests/system"))
from qmp import QMP, log_text, wait_log

def result(name, ok, why=""):
    print(f"PASS {prefix}/{name}" if ok else f"FAIL {prefix}/{name}: {why} (log: {log})", flush=True)
    return ok

def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def count(pattern):
    text = re.sub(r"(?m)^\[ *[0-9]+\.[0-9]+\] ", "", log_text(log))
    return len(re.findall(pattern, text, re.M))

def wait_count(pattern, n, timeout=30):
    return wait_log(log, lambda _: count(pattern) >= n, timeout, alive) is not None

if not result("boot", wait_log(log, lambda t: "idle-init: up" in t, 120, alive) is not None, "no idle init"):
    sys.exit(0)
q = QMP(sock)
q.command("device_add", driver=model, id="nic1", bus="rp1", netdev="n1", mac="52:54:00:00:00:01")
result("first_is_eth0", wait_count(r"^net: eth0: registered, MAC 52:54:00:00:00:01", 1), "no eth0 for the first card")
q.command("device_add", driver=model, id="nic2", bus="rp2", netdev="n2", mac="52:54:00:00:00:02")
result("second_is_eth1", wait_count(r"^net: eth1: registered, MAC 52:54:00:00:00:02", 1), "no eth1 for the second card")
t0 = time.monotonic()
q.command("device_del", id="nic1")
ev = q.wait_event("DEVICE_DELETED", 10.0, since=t0, device="nic1")
result("unregistered", wait_count(r"^net: eth0: unregistered$", 1), "eth0 was not unregistered")
result("device_deleted", ev is not None, "no DEVICE_DELETED within 10 s")
q.command("device_add", driver=model, id="nic3", bus="rp1", netdev="n1", mac="52:54:00:00:00:03")
result("readded_takes_eth0", wait_count(r"^net: eth0: registered, MAC 52:54:00:00:00:03", 1),
       "the re-added card did not get the free name eth0")
result("link_up", wait_count(r"^net: eth0: link up$", 2), "no link up for the re-added card")
# The cable pulled and plugged back (QMP set_link): the driver must see both changes (an
# interrupt for the e1000s' LSC cause, a configuration change for virtio-net's status).
q.command("set_link", name="nic3", up=False)
result("link_down", wait_count(r"^net: eth0: link down$", 1), "set_link off: no link down")
q.command("set_link", name="nic3", up=True)
result("link_up_again", wait_count(r"^net: eth0: link up$", 3), "set_link on: no link up")
result("no_panic", count(r"panic|unhandled") == 0, "the kernel panicked")
PYEOF

LOG=$LOGDIR/$NIC_RUN.log
rm -f "$LOG"
timeout --kill-after=5 180 qemu-system-x86_64 -accel tcg -display none -monitor none \
	-serial "file:$LOG" -no-reboot -machine q35 -m 256M -nic none \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 -device pcie-root-port,id=rp2,chassis=2,slot=2 \
	-netdev user,id=n1,restrict=on -netdev user,id=n2,restrict=on \
	-kernel "$KERNEL" -initrd "$BUILD/idle-initrd.cpio" -append "console=ttyS0" \
	-qmp "unix:$sock,server=on,wait=off" > "$LOGDIR/$NIC_RUN.qemu.txt" 2>&1 &
qemu=$!
python3 "$tmp/driver.py" "$ROOT" "$sock" "$LOG" "system/$TEST_NAME" "$qemu" "$NIC_MODEL" 2>&1
kill "$qemu" 2>/dev/null
wait "$qemu" 2>/dev/null
qemu=
