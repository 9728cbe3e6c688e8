#!/bin/bash
# The e1000 on QEMU's user network (restrict=on, hostfwd on 127.0.0.1 only):
#   - ping: ARP for the gateway 10.0.2.2, then ICMP echo answered by it (net_ping_gateway);
#   - host to guest: UDP datagrams of 14 to 20000 bytes through hostfwd to an in-kernel sink
#     that logs each one's length and hash (net_udp_sink): the big ones arrive fragmented;
#   - guest to host: a TFTP read from QEMU's server (net_tftp_fetch) with a 3000-byte request
#     sent in three fragments; the file's length and hash must match what the host wrote.
# restrict=on drops every other UDP datagram a guest sends, so echoes cannot come back.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tftpdir=$(mktemp -d)
trap 'rm -rf "$tftpdir"' EXIT
head -c 5000 /dev/urandom > "$tftpdir/ferrite-tftp.bin"
hash=$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$tftpdir/ferrite-tftp.bin")

cmdline="ktest=net_ping_gateway,net_udp_sink,net_tftp_fetch console=ttyS0 ip=10.0.2.15::10.0.2.2:255.255.255.0"
LOG=$LOGDIR/$NIC_RUN.log
rm -f "$LOG"
# As qemu_boot, but in the background while the host side talks to it.
timeout --kill-after=5 150 qemu-system-x86_64 -accel tcg -display none -monitor none \
	-serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-machine pc -m 256M -smp 2 \
	-nic none -device "$NIC_MODEL$NIC_OPTS,netdev=n0" \
	-netdev "user,id=n0,restrict=on,tftp=$tftpdir,hostfwd=udp:127.0.0.1:$port-:7777" \
	-kernel "$KERNEL" -append "$cmdline" > "$LOGDIR/$NIC_RUN.qemu.txt" 2>&1 &
qpid=$!
for _ in $(seq 1 120); do
	grep -qF "udp sink: listening" "$LOG" 2>/dev/null && break
	sleep 1
done
if grep -qF "udp sink: listening" "$LOG" 2>/dev/null; then
	timeout 90 python3 "$(dirname "$0")/udp_client.py" "$port" "$LOG" "system/$TEST_NAME/udp"
else
	fail udp "the UDP sink never started (log: $LOG)"
fi
QEMU_RC=0
wait $qpid || QEMU_RC=$?
expect_exit exit_status 33
expect_log_re probe "$(nic_probe_re '0000:00:03\.0')"
expect_log address "net: eth0: address 10.0.2.15/24"
expect_log tftp_file "tftp: ferrite-tftp.bin: 5000 bytes fnv1a64 $hash (request in 3 fragments)"
ktest_results ktest
