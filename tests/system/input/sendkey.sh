#!/bin/bash
# The PS/2 keyboard end to end: QEMU's send-key (over QMP) presses keys on the emulated i8042
# keyboard; the keyboard_echo ktest prints what reaches the console input and passes on "ok\r".
# Once with the IRQ routed through the IOAPIC, once through the 8259 PIC; then a boot without an
# i8042, which must be reported quickly, not hang.
source "$(dirname "$0")/../lib.sh"

# A Unix socket path must stay short (108 bytes), so it lives in a fresh directory under /tmp.
qmpdir=$(mktemp -d /tmp/ferrite-qmp.XXXXXX)
trap 'rm -rf "$qmpdir"' EXIT
sock=$qmpdir/qmp.sock

# keyboard_run NAME MACHINE EXTRA-CMDLINE: boots the keyboard_echo ktest, types Shift+h, i, o, k,
# Enter through QMP, checks what was echoed.
keyboard_run() {
	local name=$1 machine=$2 extra=$3 qemu waiting got
	LOG=$LOGDIR/sendkey_$name.log
	rm -f "$LOG"
	timeout --kill-after=5 120 qemu-system-x86_64 -accel tcg -display none -monitor none \
		-serial "file:$LOG" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-machine "$machine" -m 256M -kernel "$KERNEL" -append "ktest=keyboard_echo $extra" \
		-qmp "unix:$sock,server=on,wait=off" > "$LOGDIR/sendkey_$name.qemu.txt" 2>&1 &
	qemu=$!

	# Wait (up to 90 s) for the test to ask for keys, or for QEMU to end early.
	waiting=0
	for _ in $(seq 450); do
		if grep -q 'ktest: keyboard_echo: waiting' "$LOG" 2>/dev/null; then waiting=1; break; fi
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.2
	done

	if [ "$waiting" -eq 1 ]; then
		# A minimal QMP client: greeting, capabilities, then one send-key per key (send-key
		# presses the listed keys in order and releases them in reverse: shift-h is a capital H).
		python3 - "$sock" <<-'EOF' > "$LOGDIR/sendkey_$name.qmp.txt" 2>&1 || fail "$name/send_keys" "QMP client failed (see $LOGDIR/sendkey_$name.qmp.txt)"
	import json, socket, sys, time

	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(10)
	s.connect(sys.argv[1])
	f = s.makefile("rw")

	def reply():
	    while True:
	        msg = json.loads(f.readline())
	        if "event" not in msg:
	            return msg

	def command(name, **args):
	    f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
	    f.flush()
	    r = reply()
	    print(name, args, "->", r)
	    if "error" in r:
	        sys.exit(1)

	print("greeting:", reply())
	command("qmp_capabilities")
	for keys in (["shift", "h"], ["i"], ["o"], ["k"], ["ret"]):
	    command("send-key", keys=[{"type": "qcode", "data": k} for k in keys])
	    time.sleep(0.3)
	EOF
	else
		fail "$name/send_keys" "the ktest never waited for keys (log: $LOG)"
	fi

	wait "$qemu"
	QEMU_RC=$?
	expect_exit "$name/exit_status" 33
	expect_log_re "$name/driver" 'ps2kbd: i8042 keyboard on IRQ 1 \(GSI [0-9]+\), scan code set 1 via translation'
	expect_log "$name/echo_shift_h" "ktest: keyboard_echo: got 'H'"
	expect_log "$name/echo_i" "ktest: keyboard_echo: got 'i'"
	expect_log "$name/echo_o" "ktest: keyboard_echo: got 'o'"
	expect_log "$name/echo_k" "ktest: keyboard_echo: got 'k'"
	expect_log "$name/echo_enter" "ktest: keyboard_echo: got 0x0d"
	# Exactly those five characters, in order: no stray bytes from break codes or the reset.
	got=$(log_text | sed -n "s/^ktest: keyboard_echo: got \(.*\)$/\1/p" | tr '\n' ' ')
	if [ "$got" = "'H' 'i' 'o' 'k' 0x0d " ]; then pass "$name/echo_exact"; else
		fail "$name/echo_exact" "echoed: $got (log: $LOG)"; fi
	ktest_results "$name/ktest"
}

# Through the IOAPIC (q35), and through the 8259 PIC (pc, noapic).
keyboard_run ioapic q35 ""
keyboard_run pic pc noapic

# Without an i8042 the probe gives up quickly and says so; the ktest fails (exit 35), no hang.
qemu_boot sendkey_no_i8042 60 -machine q35,i8042=off -m 256M -kernel "$KERNEL" -append "ktest=keyboard_echo"
expect_exit no_i8042/exit_status 35
expect_log no_i8042/reported "ps2kbd: no i8042"
