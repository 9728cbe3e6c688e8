#!/bin/bash
# Ferrite on a tap device in a network namespace this test creates (tests/system/net/lib_tap.bash),
# configured by ip=192.168.77.2::192.168.77.1:255.255.255.0: the host pings it (56 and 1400
# bytes) and sends UDP datagrams (up to 8000 bytes, so fragmented) to its in-kernel echo on
# port 7777, each of which must come back byte for byte. Twice: on a clean link (every echo
# request answered), then with netem impairing what the host sends (loss 10%, reorder 25%,
# duplicate 1%, delay 1ms), where retries must get every datagram through; on hosts without
# sch_netem the same impairment comes from tap_impair.py (the run is then named "relay", not
# "netem"). Without root, namespaces or /dev/net/tun the runs are reported as SKIP, not passed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/nic.bash"
source "$(dirname "$0")/lib_tap.bash"

# tap_run NAME TRIES MIN_PING_PERCENT: one boot with the sink, the host client against it.
tap_run() {
	local name=$1
	tap_qemu "$NIC_RUN-$name" 120 -machine q35 -m 256M -nic none \
		-device "$NIC_MODEL$NIC_OPTS,netdev=n0,mac=52:54:00:77:00:02" \
		-kernel "$KERNEL" -append "ktest=net_udp_echo console=ttyS0 $TAP_CMDLINE_IP"
	if tap_wait_log "udp echo: listening" 90; then
		tap_exec timeout 100 python3 "$(dirname "$0")/tap_client.py" "$TAP_GUEST" "$LOG" \
			"system/$TEST_NAME/$name" "$2" "$3"
	else
		fail "$name/udp" "the UDP sink never started (log: $LOG)"
	fi
	tap_qemu_wait
	expect_exit "$name/exit_status" 33
	expect_log_re "$name/probe" "$(nic_probe_re '0000:00:0[0-9a-f]\.0')"
	ktest_results "$name/ktest"
}

tap_setup || exit 0 # SKIP printed: nothing here can run
tap_run clean 1 100
if tap_setup 10 25 1 1; then
	tap_run "$TAP_IMPAIR" 10 50
	[ "$TAP_IMPAIR" = relay ] && cat "$LOGDIR/$NIC_RUN-relay.impair.txt"
fi
tap_cleanup
