#!/bin/bash
# Ferrite as the TCP sender through loss: 8 MiB from Ferrite's busybox nc to a host peer
# through a tap whose relay (tap_impair.py) drops 5% of the guest's frames and 5% of the
# host's (its ACKs), with 5% reordering and 1 ms delay. The data must arrive byte-exact; the
# time it took is printed (SACK recovery, RFC 6675, against the host's SACK blocks: every hole
# resent in one round trip instead of NewReno's one per round trip). e1000 unless NIC_MODEL
# says otherwise (nic.bash).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"
source "$(dirname "$0")/lib_tap.bash"

work=$(mktemp -d)
trap 'tap_cleanup; rm -rf "$work"' EXIT
sh "$ROOT/tools/mkrootfs.sh" "$work/rootfs.cpio.gz" "$ROOT/tests/system/net/tcp_tap_sack.rc:/tcpsack"
cat > "$work/recv.py" <<'PY'
import hashlib, socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 5002))
l.listen(1)
l.settimeout(float(sys.argv[1]))
c, _ = l.accept()
c.settimeout(float(sys.argv[1]))
h, n, t0 = hashlib.sha256(), 0, time.time()
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
print(f"host: got {h.hexdigest()} {n} {time.time() - t0:.1f}", flush=True)
PY

tap_setup 5 5 0 1 5 || exit 0 # SKIP printed: nothing here can run
tap_exec timeout 150 python3 "$work/recv.py" 140 > "$work/host.txt" 2>&1 &
recv_pid=$!
tap_qemu "$NIC_RUN" 150 -machine q35 -m 512M -nic none \
	-device "$NIC_MODEL$NIC_OPTS,netdev=n0,mac=52:54:00:77:00:02" \
	-kernel "$KERNEL" -initrd "$work/rootfs.cpio.gz" \
	-append "console=ttyS0 rdinit=/tcpsack $TAP_CMDLINE_IP"
tap_qemu_wait
wait "$recv_pid"
cat "$LOGDIR/$NIC_RUN.impair.txt"
sed 's/^/INFO /' "$work/host.txt"
out=$(log_text | sed -n 's/^tcpsack: out \([0-9a-f]*\) 8388608$/\1/p')
if [ -n "$out" ] && grep -qE "^host: got $out 8388608 " "$work/host.txt" && log_text | grep -qxF "tcpsack: sent"; then
	pass "ferrite_to_host_8mib_5pct_loss"
else
	fail "ferrite_to_host_8mib_5pct_loss" "the host did not get Ferrite's 8 MiB intact (log: $LOG)"
fi
if [ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "tcpsack: end"; then pass "powered_off"
else fail "powered_off" "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
