#!/usr/bin/env python3
"""busybox's shell on the virtual terminal (no console= option: /dev/console is tty1, the
screen and the PS/2 keyboard). Keys are pressed through QMP send-key; the shell's answers are
sent to /dev/ttyS0, whose output the test reads on the serial port (the kernel log is there
too). Checks: a command typed on the keyboard runs, backspace edits, ^C from the keyboard
interrupts the foreground job, the serial port has a shell as well, and poweroff (through busybox
init's shutdown) ends the machine.
Usage: vt_keyboard.py KERNEL INITRD LOGDIR"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ttydrive import Qemu  # noqa: E402

kernel, initrd, logdir = sys.argv[1:4]
q = Qemu("tty/vt_keyboard", os.path.join(logdir, "tty_vt_keyboard.log"),
         ["-machine", "q35", "-m", "256M", "-kernel", kernel, "-initrd", initrd, "-append", "loglevel=7"],
         timeout=110, qmp=True)


def screen_text(cmd, path):
    """The VGA text screen (80x25 cells of character + attribute at 0xb8000), read through QMP."""
    r = cmd("pmemsave", val=0xb8000, size=80 * 25 * 2, filename=path)
    if "error" in r:
        return "(pmemsave: %s)" % r["error"]
    cells = open(path, "rb").read()
    rows = ("".join(chr(c) if 32 <= c < 127 else " " for c in cells[r * 160:(r + 1) * 160:2])
            for r in range(25))
    return "\n".join("   screen| " + row.rstrip() for row in rows)


try:
    booted = q.expect(rb"tty: tty1 on \S+ \(\d+x\d+\) and the keyboard; console on tty1", 60)
    q.check("console_on_tty1", booted is not None, "no tty1 console report")
    # busybox init starts a shell on each terminal; the serial one answering means both were
    # started. Then wait (through it) until the shell on tty1 (4/1 = 1025) sleeps in a read, so
    # the test does not depend on how fast a loaded host boots.
    q.send(b"\r")
    q.send(b"echo serial-$((40+2))\r")
    q.check("serial_shell_too", q.expect(rb"\r\nserial-42\r\n", 60) is not None, "no shell on ttyS0")
    q.send(b"for i in $(seq 100); do for s in /proc/[0-9]*/stat; do read -r p c st x y z t r < $s;"
           b" [ \"$c$st$t\" = \"(sh)S1025\" ] && break 2; done; sleep 0.2; done; echo tty1-$((6*7))\r")
    q.check("tty1_shell_waits", q.expect(rb"\r\ntty1-42\r\n", 40) is not None, "no shell reading tty1")
    cmd = q.qmp()
    q.type_keys(cmd, "echo kbd okX\x7f | tr a-z A-Z > /dev/ttyS0\n", delay=0.1)
    if not q.check("keyboard_command", q.expect(rb"KBD OK\r\n", 30) is not None,
                   "typed command gave no output"):
        print(screen_text(cmd, os.path.join(q.dir, "screen.bin")))
        start = len(q.buf)
        q.send(b"grep -e i8042 -e ttyS0 /proc/interrupts; echo diag-$((1+1))\r")
        q.expect(rb"diag-2\r\n", 10)
        print("   serial| " + q.output_since(start).decode("latin-1").replace("\n", "\n   serial| "))
    q.type_keys(cmd, "sleep 100\n")
    time.sleep(2)
    q.type_keys(cmd, "\x03")
    time.sleep(1)
    q.type_keys(cmd, "echo status $? > /dev/ttyS0\n")
    q.check("keyboard_ctrl_c", q.expect(rb"status 130\r\n", 30) is not None, "^C did not interrupt sleep")
    # The orderly way (busybox init's shutdown: SIGTERM, SIGKILL to all, then reboot(2));
    # serial_shell.sh checks poweroff -f and reboot -f.
    q.type_keys(cmd, "poweroff\n")
    rc = q.wait_exit(30)
    q.check("poweroff", rc == 0 and q.expect(rb"reboot: power down", 1) is not None,
            "QEMU did not end after poweroff (status %s)" % rc)
except Exception as e:  # a broken driver must show as a failure, not silence
    q.check("driver", False, repr(e))
finally:
    q.close()
sys.exit(1 if q.failed else 0)
