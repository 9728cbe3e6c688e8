#!/bin/bash
# TCP with real peers: Ferrite on the e1000 (virtio-net: tcp_peers_virtio_net.sh) behind QEMU's
# user network (restrict=on; hostfwd on 127.0.0.1 only, guestfwd for the host's servers), busybox
# inside (tcp_init.rc as PID 1):
#   - the host's curl fetches a 16 MiB file from Ferrite's busybox httpd (same sha256);
#   - 8 concurrent requests to that httpd (its backlog is 9) and 100 concurrent connections to
#     a poll-based server (tcp_many_server.c, backlog 128) all complete;
#   - Ferrite's busybox wget fetches a file from a host python http.server (guestfwd);
#   - nc both ways: the host sends 1 MiB to Ferrite's nc -l, Ferrite's nc sends 300 KB to the host;
#   - busybox netstat -tln lists the listeners from /proc/net/tcp.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

if ! command -v curl > /dev/null || ! command -v busybox > /dev/null; then
	fail setup "curl and busybox are needed on the host"
	exit 0
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir -p "$work/www" "$work/host"
head -c $((16 << 20)) /dev/urandom > "$work/www/big.bin"
echo "small file for many clients" > "$work/www/small.txt"
head -c $((2 << 20)) /dev/urandom > "$work/host/host.bin"
big_sha=$(sha256sum < "$work/www/big.bin" | cut -d' ' -f1)
host_sha=$(sha256sum < "$work/host/host.bin" | cut -d' ' -f1)
out_sha=$(head -c 300000 "$work/www/big.bin" | sha256sum | cut -d' ' -f1)

py_port=$(freeport)
(cd "$work/host" && exec python3 -m http.server --bind 127.0.0.1 "$py_port") > "$work/http.log" 2>&1 &
pids+=($!)
http_port=$(freeport) nc_port=$(freeport) stop_port=$(freeport) many_port=$(freeport)

if ! musl-gcc -static -O2 -o "$work/tcp_many_server" "$ROOT/tests/system/net/tcp_many_server.c"; then
	fail setup "musl-gcc could not build tcp_many_server"
	exit 0
fi
rootfs=$work/rootfs.cpio.gz
sh "$ROOT/tools/mkrootfs.sh" "$rootfs" "$ROOT/tests/system/net/tcp_init.rc:/tcptest" \
	"$work/tcp_many_server:/tcp_many_server" \
	"$work/www/big.bin:/www/big.bin" "$work/www/small.txt:/www/small.txt"
nic="user,model=$NIC_MODEL,restrict=on"
nic+=",hostfwd=tcp:127.0.0.1:$http_port-:80,hostfwd=tcp:127.0.0.1:$nc_port-:81,hostfwd=tcp:127.0.0.1:$stop_port-:83,hostfwd=tcp:127.0.0.1:$many_port-:84"
nic+=",guestfwd=tcp:10.0.2.100:80-cmd:busybox nc 127.0.0.1 $py_port"
nic+=",guestfwd=tcp:10.0.2.100:82-cmd:sh -c 'cat > $work/nc_out'"
LOG=$LOGDIR/$NIC_RUN.log
rm -f "$LOG"
timeout --kill-after=5 170 qemu-system-x86_64 -accel tcg -display none -monitor none \
	-serial "file:$LOG" -no-reboot -machine pc -m 512M -smp 2 -nic "$nic" \
	-kernel "$KERNEL" -initrd "$rootfs" \
	-append "console=ttyS0 rdinit=/tcptest ip=10.0.2.15::10.0.2.2:255.255.255.0" \
	> "$LOGDIR/$NIC_RUN.qemu.txt" 2>&1 &
qpid=$!
for _ in $(seq 1 90); do
	grep -qF "tcptest: ready" "$LOG" 2> /dev/null && break
	sleep 1
done
expect_log ready "tcptest: ready"

# 16 MiB from Ferrite's httpd
t0=$(date +%s.%N)
got=$(curl -s --max-time 90 "http://127.0.0.1:$http_port/big.bin" | sha256sum | cut -d' ' -f1)
t1=$(date +%s.%N)
if [ "$got" = "$big_sha" ]; then
	pass curl_16mib_sha256
	echo "INFO tcp_peers: 16 MiB in $(python3 -c "print(round($t1 - $t0, 1))") s"
else
	fail curl_16mib_sha256 "got $got, expected $big_sha (log: $LOG)"
fi

# Concurrent clients: python threads that each connect, wait until all N are connected, then
# send a request and read the whole reply: N connections open at once in the guest.
# The connects are 20 ms apart because QEMU's slirp listens on the host port with a backlog of
# 1: a burst of connects overflows the host's accept queue, and those handshakes then wait for
# the host kernel's SYN-ACK retransmissions (1, 3, 7, 15, 31 s...) — host timing, not the guest's.
# concurrent PORT N REQUEST EXPECT: prints how many of N replies contained EXPECT.
concurrent() {
	timeout 100 python3 - "$@" << 'PY'
import socket, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req, expect = (a.encode().decode("unicode_escape") for a in sys.argv[3:5])
fill = lambda t, i: t % i if "%d" in t else t
ok, errs, times, ctimes = [], [], [], []
t0 = time.time()
all_connected = threading.Barrier(n)
def one(i):
    stage = "connect"
    try:
        time.sleep(0.02 * i)
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        ctimes.append(time.time() - t0)
        stage = "others' connects"
        try:
            all_connected.wait(30)
        except threading.BrokenBarrierError:
            pass  # send anyway: a slow peer must not turn this one's result into an error
        stage = "reply"
        s.sendall(fill(req, i).encode())
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        if fill(expect, i).encode() in data:
            ok.append(i)
            times.append(time.time() - t0)
        else:
            errs.append("short reply %r" % data[:40])
    except OSError as e:
        errs.append(stage + ": " + repr(e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(len(ok))
times.sort()
ctimes.sort()
if ctimes:
    print("INFO tcp_peers: %d clients: connected by %.1f s (median %.1f s)" % (n, ctimes[-1], ctimes[len(ctimes) // 2]), file=sys.stderr)
if times:
    print("INFO tcp_peers: %d clients: first done %.1f s, median %.1f s, last %.1f s" % (n, times[0], times[len(times) // 2], times[-1]), file=sys.stderr)
for e in sorted(set(errs)):
    print("INFO tcp_peers: %d x %s" % (errs.count(e), e), file=sys.stderr)
PY
}
# busybox httpd forks per connection and listens with a backlog of 9: a burst it can queue.
n=$(concurrent "$http_port" 8 "GET /small.txt?%d HTTP/1.0\r\n\r\n" "small file for many clients")
[ "$n" = 8 ] && pass httpd_concurrent || fail httpd_concurrent "$n of 8 completed (log: $LOG)"
# 100 at once to a poll-based server with a backlog of 128.
n=$(concurrent "$many_port" 100 "hello %d\n" "ok hello %d\n")
[ "$n" = 100 ] && pass hundred_concurrent || fail hundred_concurrent "$n of 100 completed (log: $LOG)"

# 1 MiB from the host to Ferrite's nc -l
head -c $((1 << 20)) "$work/www/big.bin" > "$work/nc_in"
in_sha=$(sha256sum < "$work/nc_in" | cut -d' ' -f1)
python3 - "$nc_port" "$work/nc_in" << 'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(open(sys.argv[2], "rb").read())
s.close()
PY
for _ in $(seq 1 60); do
	grep -qF "tcptest: nc_in" "$LOG" && grep -qE "tcptest: nc_out|tcptest: wget failed" "$LOG" && break
	sleep 1
done
expect_log nc_host_to_ferrite "tcptest: nc_in $in_sha 1048576"
expect_log wget_from_host "tcptest: wget $host_sha 2097152"
expect_log nc_ferrite_sends "tcptest: nc_out $out_sha"
sleep 1
if [ -f "$work/nc_out" ] && [ "$(sha256sum < "$work/nc_out" | cut -d' ' -f1)" = "$out_sha" ]; then
	pass nc_ferrite_to_host
else
	fail nc_ferrite_to_host "the host got $(stat -c %s "$work/nc_out" 2> /dev/null || echo no) bytes (log: $LOG)"
fi
python3 -c "import socket; socket.create_connection(('127.0.0.1', $stop_port), timeout=10).close()" 2> /dev/null
QEMU_RC=0
wait $qpid || QEMU_RC=$?
[ "$QEMU_RC" -eq 0 ] && pass powered_off || fail powered_off "QEMU status $QEMU_RC (log: $LOG)"
expect_log_re netstat_listen_80 '^tcp +0 +0 0\.0\.0\.0:80 +0\.0\.0\.0:\* +LISTEN'
expect_log many_server_done "tcptest: many served 100"
expect_log_re netstat_listen_81 '^tcp +0 +0 0\.0\.0\.0:81 +0\.0\.0\.0:\* +LISTEN'
if grep -qiE "panic|unhandled .* in kernel" "$LOG"; then fail no_panic "(log: $LOG)"; else pass no_panic; fi
