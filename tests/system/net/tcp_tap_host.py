#!/usr/bin/env python3
"""The host end of tests/system/net/tcp_tap_e1000.sh, run inside the test's network namespace:
listens on port 5002, sends FILE to the guest's port 5001 (retrying the connect until the guest
listens), then accepts the guest's connection on 5002 and reads it to the end. Prints
"host: sent SHA LEN SECONDS" and "host: got SHA LEN SECONDS".
Usage: tcp_tap_host.py GUEST_IP FILE TIMEOUT_S"""
import hashlib
import socket
import sys
import time

guest, path, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.time() + limit
data = open(path, "rb").read()

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("0.0.0.0", 5002))
lsock.listen(1)

while True:
    try:
        s = socket.create_connection((guest, 5001), timeout=5)
        break
    except OSError:
        if time.time() > deadline:
            print("host: connect failed", flush=True)
            sys.exit(1)
        time.sleep(0.5)
t0 = time.time()
s.settimeout(max(1, deadline - time.time()))
s.sendall(data)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # the guest's nc closes when it has everything
s.close()
print(f"host: sent {hashlib.sha256(data).hexdigest()} {len(data)} {time.time() - t0:.1f}", flush=True)

lsock.settimeout(max(1, deadline - time.time()))
c, _ = lsock.accept()
c.settimeout(max(1, deadline - time.time()))
h, n, t0 = hashlib.sha256(), 0, time.time()
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
print(f"host: got {h.hexdigest()} {n} {time.time() - t0:.1f}", flush=True)
