#!/usr/bin/env python3
"""netem in user space, for hosts whose kernel lacks sch_netem (tests/system/net/lib_tap.bash
falls back to it). Bridges QEMU's "-netdev dgram" (UDP on 127.0.0.1, one Ethernet frame per
datagram) to an existing tap device, and impairs the frames the host sends to the guest as
"tc qdisc add dev TAP root netem loss L% reorder R% duplicate D% delay Dms" would on the tap's
egress: a frame is dropped with probability L, sent twice with probability D, and each copy
goes out at once with probability R (netem's reorder: those overtake) or after the delay.
Frames from the guest pass unchanged, unless FROM_GUEST_LOSS% is given: then that share of them
is dropped (so that the guest's TCP sender has losses to recover from). Runs until killed;
prints counts to stderr at exit.
Usage: tap_impair.py TAP QEMU_PORT RELAY_PORT LOSS% REORDER% DUP% DELAY_MS [FROM_GUEST_LOSS%]"""
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000

tap_name, qemu_port, relay_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
loss, reorder, dup = (float(a.rstrip("%")) / 100 for a in sys.argv[4:7])
delay = float(sys.argv[7]) / 1000
up_loss = float(sys.argv[8].rstrip("%")) / 100 if len(sys.argv) > 8 else 0.0

tap = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", tap_name.encode(), IFF_TAP | IFF_NO_PI))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", relay_port))
qemu = ("127.0.0.1", qemu_port)
stats = {"to_guest": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "from_guest": 0, "from_guest_dropped": 0}
pending = []  # (due, seq, frame)
seq = 0


def report(*_):
    print("tap_impair: " + ", ".join(f"{k} {v}" for k, v in stats.items()), file=sys.stderr, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
signal.signal(signal.SIGINT, report)
while True:
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        sock.sendto(heapq.heappop(pending)[2], qemu)
    timeout = max(0.0, pending[0][0] - now) if pending else 1.0
    ready = select.select([tap, sock], [], [], timeout)[0]
    if sock in ready:
        frame = sock.recv(65536)
        stats["from_guest"] += 1
        if up_loss and random.random() < up_loss:
            stats["from_guest_dropped"] += 1
        else:
            os.write(tap, frame)
    if tap in ready:
        frame = os.read(tap, 65536)
        stats["to_guest"] += 1
        if random.random() < loss:
            stats["dropped"] += 1
            continue
        copies = 2 if random.random() < dup else 1
        stats["duplicated"] += copies - 1
        for _ in range(copies):
            if random.random() < reorder:
                stats["reordered"] += 1
                sock.sendto(frame, qemu)
            else:
                seq += 1
                heapq.heappush(pending, (time.monotonic() + delay, seq, frame))
