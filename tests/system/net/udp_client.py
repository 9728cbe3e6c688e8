#!/usr/bin/env python3
"""Host side of tests/system/net/e1000_slirp.sh: sends UDP datagrams to the guest's sink
(QEMU hostfwd on 127.0.0.1) and checks that the guest logged each one's length and FNV-1a
hash, i.e. received it byte for byte. Prints PASS/FAIL lines.
Usage: udp_client.py PORT LOG PREFIX"""
import os
import socket
import sys
import time


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


port, log, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# A full frame (1472 = 1500 - 20 - 8), one byte more (two fragments), the 3000-byte datagram
# of the issue (three fragments) and a 20000-byte one (fourteen).
cases = [("small", b"hello, ferrite"), ("frame", os.urandom(1472)), ("frame_plus_one", os.urandom(1473)),
         ("fragmented_3000", os.urandom(3000)), ("fragmented_20000", os.urandom(20000)), ("quit", b"quit")]
for name, data in cases:
    want = "udp sink: %d bytes fnv1a64 %016x" % (len(data), fnv1a64(data))
    ok = False
    for attempt in range(3):
        sock.sendto(data, ("127.0.0.1", port))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not ok:
            with open(log, errors="replace") as f:
                ok = want in f.read()
            time.sleep(0.2)
        if ok:
            break
    print(f"PASS {prefix}/{name}" if ok else f"FAIL {prefix}/{name}: the guest never logged '{want}'")
    sys.stdout.flush()
