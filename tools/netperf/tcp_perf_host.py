#!/usr/bin/env python3
"""The host half of tools/tcp-perf.sh, run inside the tap's network namespace. ROUNDS times:
sends MIB MiB to GUEST:5001 and times it from connect() until the guest's nc has read
everything and closed (host->guest), then accepts the guest's connection on port 5002 and times
it from accept() to end of stream (guest->host). Prints one line per transfer:
"perf: h2g|g2h ROUND BYTES SECONDS MBIT/S RETRANS", RETRANS being the segments the host's TCP
retransmitted during the transfer (RetransSegs of the namespace's /proc/net/snmp).
Usage: tcp_perf_host.py GUEST ROUNDS MIB TIMEOUT_S"""
import socket
import sys
import time

guest, rounds, mib, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.time() + limit
size = mib << 20
chunk = bytes(1 << 20)

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("0.0.0.0", 5002))
lsock.listen(1)


def retrans():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    return int(rows[1][rows[0].index("RetransSegs")])


def tcpext():
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    return dict(zip(rows[0][1:], map(int, rows[1][1:])))


# Why the host retransmitted, over the whole run (timeouts vs fast retransmits, spurious ones).
EXT = ("TCPTimeouts", "TCPSpuriousRTOs", "TCPFastRetrans", "TCPLossProbes", "TCPSACKReorder",
       "TCPDSACKRecv", "TCPSlowStartRetrans", "TCPLostRetransmit")
ext0 = tcpext()


def report(kind, rnd, n, secs, r0):
    print(f"perf: {kind} {rnd} {n} {secs:.3f} {n * 8 / secs / 1e6:.1f} {retrans() - r0}", flush=True)


for rnd in range(rounds):
    r0 = retrans()
    while True:
        try:
            t0 = time.time()
            s = socket.create_connection((guest, 5001), timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("perf: connect failed")
            time.sleep(0.2)
    s.settimeout(max(1, deadline - time.time()))
    for _ in range(mib):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # EOF once the guest's nc has read everything and exited
    report("h2g", rnd, size, time.time() - t0, r0)
    s.close()

    lsock.settimeout(max(1, deadline - time.time()))
    c, _ = lsock.accept()
    c.settimeout(max(1, deadline - time.time()))
    t0, n, r0 = time.time(), 0, retrans()
    while True:
        b = c.recv(1 << 18)
        if not b:
            break
        n += len(b)
    report("g2h", rnd, n, time.time() - t0, r0)
    c.close()
ext1 = tcpext()
print("perf: host tcpext " + " ".join(f"{k}={ext1.get(k, 0) - ext0.get(k, 0)}" for k in EXT), flush=True)
