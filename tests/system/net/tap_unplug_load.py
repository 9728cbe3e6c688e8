#!/usr/bin/env python3
"""Host side of tap_unplug_load.sh (run in the test's network namespace): checks the datapath
with a ping, then floods the guest with UDP (full frames and fragmented datagrams to a closed
port, so the guest also transmits: ICMP port unreachable, rate-limited) and ICMP echo while
removing and re-adding its NIC over QMP three times. Every removal must complete (the driver's
remove ran, QEMU's DEVICE_DELETED came), every re-added card must register as eth0 with its
link up, and the kernel must not panic. Prints PASS/FAIL lines.
Usage: tap_unplug_load.py ROOT QMP_SOCKET LOG PREFIX QEMU_PID MODEL GUEST"""
import os
import re
import socket
import struct
import sys
import threading
import time

root, sock_path, log, prefix, pid, model, guest = sys.argv[1:4] + [sys.argv[4], int(sys.argv[5])] + sys.argv[6:8]
sys.path.insert(0, os.path.join(root, "tests/system"))
from qmp import QMP, log_text, wait_log  # noqa: E402


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


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def echo_request(seq, payload=b"ferrite-unplug-test!" * 3):
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0x7171, seq) + payload
    return struct.pack("!BBHHH", 8, 0, csum(hdr), 0x7171, seq) + payload


def ping_once(icmp, seq, timeout=2.0):
    icmp.sendto(echo_request(seq), (guest, 0))
    end = time.monotonic() + timeout
    icmp.settimeout(0.2)
    while time.monotonic() < end:
        try:
            pkt = icmp.recv(65536)
        except socket.timeout:
            continue
        ihl = (pkt[0] & 15) * 4
        if pkt[ihl] == 0 and struct.unpack("!H", pkt[ihl + 4:ihl + 6])[0] == 0x7171:
            return True
    return False


if not result("boot", wait_log(log, lambda t: "idle-init: up" in t and "address 192.168.77.2/24" in t, 120, alive)
              is not None, "no idle init or no address"):
    sys.exit(0)
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
result("ping_before", any(ping_once(icmp, s) for s in range(5)), "no echo reply before the flood")

stop = threading.Event()
sent = [0]


def flood():
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big, frame = os.urandom(4000), os.urandom(1472)
    seq = 0
    while not stop.is_set():
        try:
            udp.sendto(frame, (guest, 9))
            udp.sendto(big, (guest, 9))
            icmp.sendto(echo_request(seq & 0xffff), (guest, 0))
            sent[0] += 3
        except OSError:
            time.sleep(0.001)  # the tap's queue is full while the card is away
        seq += 1


flooder = threading.Thread(target=flood, daemon=True)
flooder.start()
q = QMP(sock_path)
time.sleep(1)
for cycle in range(1, 4):
    t0 = time.monotonic()
    q.command("device_del", id="nic0")
    ev = q.wait_event("DEVICE_DELETED", 15.0, since=t0, device="nic0")
    result(f"cycle{cycle}/unregistered", wait_count(r"^net: eth0: unregistered$", cycle), "eth0 was not unregistered")
    result(f"cycle{cycle}/device_deleted", ev is not None, "no DEVICE_DELETED within 15 s")
    time.sleep(0.3)
    q.command("device_add", driver=model, id="nic0", bus="rp1", netdev="n0", mac="52:54:00:77:00:02")
    result(f"cycle{cycle}/readded", wait_count(r"^net: eth0: registered, MAC 52:54:00:77:00:02", cycle + 1),
           "the re-added card did not register as eth0")
    result(f"cycle{cycle}/link_up", wait_count(r"^net: eth0: link up$", cycle + 1), "no link up after re-adding")
    time.sleep(1)  # traffic on the new card before the next removal
stop.set()
flooder.join()
print(f"flood: {sent[0]} packets sent", flush=True)
result("no_panic", alive() and count(r"panic|unhandled|exception") == 0, "the kernel panicked or QEMU died")
