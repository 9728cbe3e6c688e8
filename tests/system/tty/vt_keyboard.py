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
try:
    # The shell's start is not visible on the serial port: wait for init, then give ash time.
    # Keys typed early are not lost anyway: the terminal keeps them (canonical typeahead).
    booted = q.expect(rb"tty: tty1 on \S+ \(\d+x\d+\) and the keyboard; console on tty1", 60)
    q.check("console_on_tty1", booted is not None, "no tty1 console report")
    time.sleep(4)
    cmd = q.qmp()
    q.type_keys(cmd, "echo kbd okX\x7f | tr a-z A-Z > /dev/ttyS0\n")
    q.check("keyboard_command", q.expect(rb"KBD OK\r\n", 30) is not None, "typed command gave no output")
    q.type_keys(cmd, "sleep 100\n")
    time.sleep(2)
    q.type_keys(cmd, "\x03")
    time.sleep(1)
    q.type_keys(cmd, "echo status $? > /dev/ttyS0\n")
    q.check("keyboard_ctrl_c", q.expect(rb"status 130\r\n", 30) is not None, "^C did not interrupt sleep")
    # /init gives the serial port a shell too when the console is the screen.
    q.send(b"\r")
    q.send(b"echo serial-$((40+2))\r")
    q.check("serial_shell_too", q.expect(rb"\r\nserial-42\r\n", 20) is not None, "no shell on ttyS0")
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
