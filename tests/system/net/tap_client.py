#!/usr/bin/env python3
"""Host side of the tap tests (run inside the test's network namespace): ICMP echo to the
guest, and UDP datagrams to its in-kernel echo on port 7777 (the net_udp_echo ktest, drivers/net/nic_ktest.c),
each of which must come back byte for byte and be logged by the guest with its length and
FNV-1a hash. Retries cover an impaired (netem) link. Prints PASS/FAIL lines.
Usage: tap_client.py GUEST LOG PREFIX TRIES MIN_PING_PERCENT"""
import os
import select
import socket
import struct
import sys
import time


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


guest, log, prefix, tries, min_ping = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])


def result(name, ok, why=""):
    print(f"PASS {prefix}/{name}" if ok else f"FAIL {prefix}/{name}: {why} (log: {log})", flush=True)


def ping(count, size, ident):
    """Echo requests 50 ms apart; the number of distinct sequence numbers answered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    payload = bytes((i * 7) & 0xff for i in range(size))
    answered = set()
    deadline = None
    for seq in range(count):
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload, (guest, 0))
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            if select.select([s], [], [], max(0, end - time.monotonic()))[0]:
                pkt = s.recv(65536)
                ihl = (pkt[0] & 15) * 4
                t, _, _, i, q = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
                if t == 0 and i == ident and pkt[ihl + 8:] == payload:
                    answered.add(q)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(answered) < count:
        if select.select([s], [], [], 0.1)[0]:
            pkt = s.recv(65536)
            ihl = (pkt[0] & 15) * 4
            t, _, _, i, q = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
            if t == 0 and i == ident and pkt[ihl + 8:] == payload:
                answered.add(q)
    return len(answered)


for name, count, size in (("ping", 20, 56), ("ping_1400", 10, 1400)):
    got = ping(count, size, 0x7700 + size % 256)
    result(name, got * 100 >= count * min_ping, f"{got} of {count} echo requests answered, {min_ping}% needed")

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cases = [("udp_small", b"hello, ferrite"), ("udp_frame", os.urandom(1472)), ("udp_fragmented_3000", os.urandom(3000)),
         ("udp_fragmented_8000", os.urandom(8000)), ("udp_quit", b"quit")]
for name, data in cases:
    want = "udp echo: %d bytes fnv1a64 %016x" % (len(data), fnv1a64(data))
    echoed = False
    for attempt in range(tries):
        sock.sendto(data, (guest, 7777))
        end = time.monotonic() + 2
        while not echoed and time.monotonic() < end:
            if select.select([sock], [], [], 0.1)[0]:
                echoed = sock.recv(65536) == data  # stale duplicates of earlier cases are skipped
        if echoed:
            break
    with open(log, errors="replace") as f:
        logged = want in f.read()
    result(name, echoed and logged, f"echoed {echoed}, guest logged '{want}' {logged}, {tries} tries")
