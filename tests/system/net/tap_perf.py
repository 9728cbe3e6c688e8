#!/usr/bin/env python3
"""Raw UDP throughput through the tap (tools/net-perf.sh; not a pass/fail test). Against the
net_udp_echo ktest: the host floods 1472-byte "blast" datagrams for SECS seconds and asks the
guest how many it got and over how long; then asks the guest to send COUNT datagrams of 1472
bytes and counts what arrives. Prints one line per direction, then tells the guest to quit.
Usage: tap_perf.py GUEST SECS COUNT"""
import select
import socket
import sys
import time

guest, secs, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
dst = (guest, 7777)


def ask(msg, wait=2.0, tries=5):
    for _ in range(tries):
        s.sendto(msg, dst)
        if select.select([s], [], [], wait)[0]:
            return s.recv(65536)
    return None


ask(b"ping")  # ARP resolved, the guest listening
payload = b"blast" + bytes(1467)
sent, t0 = 0, time.monotonic()
while time.monotonic() - t0 < secs:
    try:
        s.sendto(payload, dst)
        sent += 1
    except OSError:
        time.sleep(0.0005)
host_secs = time.monotonic() - t0
time.sleep(0.5)
while select.select([s], [], [], 0)[0]:
    s.recv(65536)
reply = ask(b"report")
n, nbytes, us = (int(x) for x in reply.split()) if reply else (0, 0, 0)
print(f"host->guest: host sent {sent} datagrams of 1472 bytes in {host_secs:.2f} s; guest received {n} "
      f"({100.0 * n / max(sent, 1):.1f}%) in {us / 1e6:.2f} s: {n / max(us / 1e6, 1e-9):.0f} datagrams/s, "
      f"{nbytes / max(us, 1):.2f} MB/s of payload")
s.sendto(b"send %d 1472" % count, dst)
got, first, last = 0, None, None
while select.select([s], [], [], 1.5 if got else 5.0)[0]:
    s.recv(65536)
    last = time.monotonic()
    first = first or last
    got += 1
span = (last - first) if got > 1 else 0
print(f"guest->host: guest sent {count} datagrams of 1472 bytes; host received {got} in {span:.2f} s: "
      f"{got / max(span, 1e-9):.0f} datagrams/s, {got * 1472 / max(span, 1e-9) / 1e6:.2f} MB/s of payload")
print("quit echoed:", ask(b"quit") == b"quit")
