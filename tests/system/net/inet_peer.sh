#!/bin/bash
# AF_INET UDP sockets against real peers on QEMU's user network (restrict=on, hostfwd on
# 127.0.0.1 only):
#   - host to guest: udp_client.py sends datagrams of 14 to 20000 bytes through hostfwd to a
#     user-space sink (udp_user_sink.c, a musl program on an AF_INET socket), which logs each
#     one's length and hash: byte for byte, fragmented ones included;
#   - busybox netstat -uan lists the sink's socket from /proc/net/udp;
#   - guest to host: busybox tftp fetches a file from QEMU's TFTP server over a UDP socket; its
#     md5sum must match the host's.
# restrict=on drops every other datagram the guest sends (replies to hostfwd peers too), so
# the sink cannot echo.
source "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! musl-gcc -static -O2 -Wall -Wextra -Werror -o "$work/udp_user_sink" "$ROOT/tests/system/net/udp_user_sink.c"; then
	fail build "musl-gcc could not build udp_user_sink.c"
	exit 0
fi
mkdir -p "$work/tftp"
head -c 70000 /dev/urandom > "$work/tftp/ferrite-tftp.bin"
sum=$(md5sum < "$work/tftp/ferrite-tftp.bin" | cut -d' ' -f1)
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/inet_peer.rc:/peertest" \
	"$work/udp_user_sink:/udp_user_sink"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

LOG=$LOGDIR/inet_peer.log
rm -f "$LOG"
# As qemu_boot, but in the background while the host side talks to it.
timeout --kill-after=5 150 qemu-system-x86_64 -accel tcg -display none -monitor none \
	-serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-machine pc -m 256M \
	-nic "user,model=e1000,restrict=on,tftp=$work/tftp,hostfwd=udp:127.0.0.1:$port-:7777" \
	-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" \
	-append "console=ttyS0 rdinit=/peertest ip=10.0.2.15::10.0.2.2:255.255.255.0" \
	> "$LOGDIR/inet_peer.qemu.txt" 2>&1 &
qpid=$!
for _ in $(seq 1 120); do
	grep -qF "user udp sink: listening" "$LOG" 2>/dev/null && break
	sleep 1
done
if grep -qF "user udp sink: listening" "$LOG" 2>/dev/null; then
	timeout 90 python3 "$(dirname "$0")/udp_client.py" "$port" "$LOG" "system/$TEST_NAME/udp"
else
	fail udp "the user-space UDP sink never started (log: $LOG)"
fi
QEMU_RC=0
wait $qpid || QEMU_RC=$?
if [ "$QEMU_RC" -eq 0 ] && grep -qF "peertest: end" "$LOG"; then pass powered_off; else
	fail powered_off "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
if log_text | grep -qE '^user udp sink: 14 bytes fnv1a64 [0-9a-f]{16} from 10\.0\.2\.2$'; then
	pass udp_sender; else fail udp_sender "recvfrom did not name 10.0.2.2 as the sender (log: $LOG)"; fi
expect_log sink_exit "peertest: sink exit 0"
netstat=$(log_text | sed -n '/^peertest: netstat$/,/^peertest: netstat-end$/p')
if grep -qE '^udp +0 +0 +0\.0\.0\.0:7777 +0\.0\.0\.0:\* *$' <<< "$netstat"; then
	pass netstat_udp; else fail netstat_udp "netstat -uan lacks 0.0.0.0:7777 (log: $LOG)"; fi
expect_log tftp_md5 "peertest: tftp $sum  /tmp/t.bin"
