# Sourced by tap network tests (after lib.sh; not a test itself: no .sh suffix). A throw-away
# network namespace holding a tap device, the host side 192.168.77.1/24, optionally impaired by
# netem, and QEMU started inside the namespace on that tap. Everything (namespace, tap, QEMU) is
# removed on exit by a trap.
#
#   tap_setup [LOSS REORDER DUP DELAY_MS]
#                               creates the namespace and tap. With the four numbers (percentages
#                               and milliseconds), impairs what the host sends to the guest with
#                               "tc qdisc add dev TAP root netem loss L% reorder R% duplicate D%
#                               delay Nms"; where the host kernel has no sch_netem, with
#                               tap_impair.py doing the same in user space between the tap and
#                               QEMU (-netdev dgram). TAP_IMPAIR says which ("netem", "relay" or
#                               "none"). Returns 1 (after printing SKIP) when the host cannot: not
#                               root, no netns, no /dev/net/tun.
#   tap_setup LOSS REORDER DUP DELAY_MS UP_LOSS
#                               the same, and UP_LOSS% of the guest's frames dropped too: always
#                               through tap_impair.py (netem on the tap only sees one way).
#   tap_qemu LOGNAME SECS ARGS  QEMU in the background inside the namespace, its NIC on the tap as
#                               netdev n0 (add -device MODEL,netdev=n0); QEMU_PID, LOG set.
#   tap_wait_log TEXT SECS      waits until the serial log holds TEXT (0) or QEMU ends (1).
#   tap_exec CMD...             runs CMD inside the namespace (the host end of the tap).
#   tap_qemu_wait               waits for QEMU; sets QEMU_RC as qemu_boot does.
#
# A test for another protocol (the TCP transfers to come) does the same: tap_setup, tap_qemu
# with its ktest or user program, then tap_exec a host-side client (python3 in the namespace
# reaches 192.168.77.2 directly) and compare what both sides logged.
TAP_HOST=192.168.77.1
TAP_GUEST=192.168.77.2
TAP_CMDLINE_IP="ip=$TAP_GUEST::$TAP_HOST:255.255.255.0"
TAP_NS=
TAP_IF=ftap0
TAP_IMPAIR=none
TAP_RELAY_ARGS=()
QEMU_PID=
RELAY_PID=
# Inside the private namespace: its own loopback, so fixed ports cannot collide.
TAP_QEMU_PORT=40001
TAP_RELAY_PORT=40002

tap_cleanup() {
	if [ -n "$QEMU_PID" ]; then
		kill "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
		QEMU_PID=
	fi
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	fi
	if [ -n "$TAP_NS" ]; then
		# Deleting the namespace deletes the tap (and its qdisc) with it.
		ip netns del "$TAP_NS" 2>/dev/null
		TAP_NS=
	fi
}
trap tap_cleanup EXIT

# skip WHY: the test cannot run here; nothing counts as passed or failed.
tap_skip() {
	echo "SKIP system/$TEST_NAME: $1"
}

tap_setup() {
	tap_cleanup
	if [ "$(id -u)" -ne 0 ] || ! command -v ip > /dev/null; then
		tap_skip "needs root and iproute2 for a network namespace"
		return 1
	fi
	if [ ! -c /dev/net/tun ]; then
		tap_skip "no /dev/net/tun"
		return 1
	fi
	local ns=ferrite-tap-$$-$RANDOM
	if ! ip netns add "$ns" 2> /dev/null; then
		tap_skip "ip netns add failed (no namespace support in this container)"
		return 1
	fi
	TAP_NS=$ns
	if ! ip -n "$ns" tuntap add dev "$TAP_IF" mode tap 2> /dev/null ||
		! ip -n "$ns" addr add "$TAP_HOST/24" dev "$TAP_IF" ||
		! ip -n "$ns" link set "$TAP_IF" up || ! ip -n "$ns" link set lo up; then
		tap_skip "could not create the tap device in the namespace"
		tap_cleanup
		return 1
	fi
	TAP_IMPAIR=none
	TAP_RELAY_ARGS=()
	[ "$#" -ge 4 ] || return 0
	if [ "$#" -ge 5 ]; then
		TAP_IMPAIR=relay
		TAP_RELAY_ARGS=("$1" "$2" "$3" "$4" "$5")
		return 0
	fi
	if ip netns exec "$ns" tc qdisc add dev "$TAP_IF" root netem loss "$1%" reorder "$2%" duplicate "$3%" \
		delay "${4}ms" 2> /dev/null; then
		TAP_IMPAIR=netem
	else
		echo "note: tc netem refused here (no sch_netem in the host kernel): impairing with tap_impair.py"
		TAP_IMPAIR=relay
		TAP_RELAY_ARGS=("$1" "$2" "$3" "$4")
	fi
	return 0
}

tap_exec() {
	ip netns exec "$TAP_NS" "$@"
}

tap_qemu() {
	local name=$1 secs=$2 netdev
	shift 2
	LOG=$LOGDIR/$name.log
	rm -f "$LOG"
	netdev="tap,id=n0,ifname=$TAP_IF,script=no,downscript=no"
	if [ "$TAP_IMPAIR" = relay ]; then
		ip netns exec "$TAP_NS" python3 "$ROOT/tests/system/net/tap_impair.py" "$TAP_IF" "$TAP_QEMU_PORT" \
			"$TAP_RELAY_PORT" "${TAP_RELAY_ARGS[@]}" 2> "$LOGDIR/$name.impair.txt" &
		RELAY_PID=$!
		netdev="dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$TAP_QEMU_PORT"
		netdev+=",remote.type=inet,remote.host=127.0.0.1,remote.port=$TAP_RELAY_PORT"
	fi
	ip netns exec "$TAP_NS" timeout --kill-after=5 "$secs" qemu-system-x86_64 -accel tcg -display none \
		-monitor none -serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-netdev "$netdev" "$@" > "$LOGDIR/$name.qemu.txt" 2>&1 &
	QEMU_PID=$!
}

tap_wait_log() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		grep -qF -- "$1" "$LOG" 2> /dev/null && return 0
		kill -0 "$QEMU_PID" 2> /dev/null || return 1
		sleep 0.2
	done
	return 1
}

tap_qemu_wait() {
	QEMU_RC=0
	wait "$QEMU_PID" || QEMU_RC=$?
	QEMU_PID=
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null # it prints its counts on the way out
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	fi
}
