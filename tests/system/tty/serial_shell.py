#!/usr/bin/env python3
"""busybox's shell on the serial console (console=ttyS0), typed at from outside: the prompt,
commands, ash's line editing and history, the kernel's canonical editing (ash's `read`), ^C,
^Z/jobs/fg, background jobs and SIGTTIN, ^D, termios through stty, /dev/tty, poweroff -f; then
a second boot for reboot -f. Usage: serial_shell.py KERNEL INITRD LOGDIR"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ttydrive import Qemu  # noqa: E402

kernel, initrd, logdir = sys.argv[1:4]
TEST = "tty/serial_shell"
PROMPT = rb"ferrite:[^\r\n#]*# (\x1b\[6n)?$"
boot = ["-machine", "q35", "-m", "256M", "-kernel", kernel, "-initrd", initrd,
        "-append", "console=ttyS0 quiet"]

q = Qemu(TEST, os.path.join(logdir, "tty_serial_shell.log"), boot, timeout=110)


def prompt(timeout=20):
    return q.expect(PROMPT, timeout) is not None


def run(cmd, want, timeout=15):
    """Types cmd + Enter at a fresh prompt; true when want (a regex) appears and a prompt follows."""
    q.send(cmd + b"\r")
    return q.expect(want, timeout) is not None and prompt(timeout)


try:
    q.check("prompt", prompt(60), "no shell prompt on ttyS0")
    q.check("command", run(b"echo hello $((6*7))", rb"\r\nhello 42\r\n"), "echo did not run")

    # ash's own line editing: backspace and cursor keys in raw mode.
    q.send(b"echo abX\x7fc\r")
    q.check("line_editing", q.expect(rb"\r\nabc\r\n", 10) is not None and prompt(), "backspace")
    q.send(b"echo hist-one\r")
    prompt()
    q.key(b"\x1b[A")  # up arrow recalls the last command
    q.send(b"\r")
    q.check("history", q.expect(rb"\r\nhist-one\r\n", 10) is not None and prompt(), "up arrow")

    # The kernel's canonical mode: ash's `read` reads a line from the terminal as it is.
    q.send(b"read v; echo \"got[$v]\"\r")
    time.sleep(0.5)
    q.send(b"abX\x7fc\r")
    q.check("canon_erase", q.expect(rb"got\[abc\]", 10) is not None and prompt(), "erase in canonical mode")
    q.send(b"read v; echo \"got[$v]\"\r")
    time.sleep(0.5)
    q.send(b"zzz\x15one two\x17three\r")
    q.check("canon_kill_werase", q.expect(rb"got\[one three\]", 10) is not None and prompt(),
            "^U / ^W in canonical mode")
    q.send(b"cat\r")
    time.sleep(0.5)
    q.send(b"line1\r")
    got = q.expect(rb"line1\r\nline1\r\n", 10) is not None
    q.send(b"\x04")  # ^D at the start of a line: end of file
    q.check("eof", got and prompt(), "cat did not echo its line or end at ^D")

    # ^C interrupts the foreground job; the shell survives.
    q.send(b"sleep 100\r")
    time.sleep(1.5)
    q.send(b"\x03")
    ok = q.expect(rb"\^C", 10) is not None and prompt()
    q.check("ctrl_c", ok and run(b"echo alive $?", rb"alive 130"), "sleep not interrupted")

    # ^Z stops it, jobs lists it, fg resumes it, ^C ends it.
    q.send(b"sleep 100\r")
    time.sleep(1.5)
    q.send(b"\x1a")
    q.check("ctrl_z", q.expect(rb"Stopped\s+sleep 100", 10) is not None and prompt(), "no Stopped")
    q.check("jobs", run(b"jobs", rb"\[1\]\+\s+Stopped\s+sleep 100"), "jobs did not list it")
    q.send(b"fg\r")
    ok = q.expect(rb"sleep 100\r\n", 10) is not None
    time.sleep(1.5)
    q.send(b"\x03")
    q.check("fg", ok and prompt() and run(b"jobs; echo jobs-done", rb"\r\njobs-done"), "fg/^C")

    # A background job and wait; a background reader stops with SIGTTIN.
    start = time.time()
    ok = run(b"sleep 1 & wait; echo waited", rb"\r\nwaited\r\n")
    q.check("background_wait", ok and time.time() - start >= 1, "sleep 1 & wait")
    q.send(b"cat &\r")
    prompt()
    time.sleep(1)
    q.check("sigttin", run(b"jobs", rb"Stopped \(tty input\)\s+cat"), "background cat not stopped")
    # A stopped job keeps a SIGTERM pending until continued (Linux); SIGKILL ends it at once.
    q.send(b"kill -9 %1; sleep 0.2; jobs; echo killed\r")
    start = q.mark
    ok = q.expect(rb"\r\nkilled\r\n", 10) is not None
    q.check("kill_job", ok and b"Stopped" not in q.buf[start:q.mark] and prompt(), "kill -9 %1")

    # termios and window size through busybox stty; the controlling terminal as /dev/tty.
    q.check("stty", run(b"stty -a", rb"icanon") and run(b"stty size", rb"\r\n24 80\r\n"), "stty")
    q.check("stty_raw", run(b"stty -echo; stty -a | grep -o ' -echo '; stty echo", rb" -echo "),
            "stty -echo")
    q.check("dev_tty", run(b"echo via-tty > /dev/tty", rb"\r\nvia-tty\r\n"), "/dev/tty")

    # TOSTOP: a background writer stops with SIGTTOU; without it, it writes.
    q.send(b"stty tostop; echo bg-out &\r")
    prompt()
    time.sleep(1)
    q.check("sigttou", run(b"jobs", rb"Stopped \(tty output\)"), "background writer not stopped")
    q.send(b"stty -tostop; fg\r")
    q.check("sigttou_fg", q.expect(rb"bg-out\r\n", 10) is not None and prompt(), "no output after fg")

    # The shell exits: busybox init starts another, which gets the terminal as its own
    # controlling terminal again (the old session let go of it), with working job control.
    q.send(b"exit\r")
    ok = prompt(30)
    q.send(b"sleep 100\r")
    time.sleep(1.5)
    q.send(b"\x03")
    q.check("respawn", ok and q.expect(rb"\^C", 10) is not None and prompt() and
            run(b"echo again $?", rb"again 130"), "no working shell after exit")

    q.send(b"poweroff -f\r")
    rc = q.wait_exit(30)
    q.check("poweroff", rc == 0, "QEMU did not end cleanly after poweroff -f (status %s)" % rc)
except Exception as e:  # a broken driver must show as a failure, not silence
    q.check("driver", False, repr(e))
finally:
    q.close()

# reboot -f: with -no-reboot, QEMU ends when the guest resets.
r = Qemu(TEST, os.path.join(logdir, "tty_serial_reboot.log"), boot, timeout=80)
try:
    ok = r.expect(PROMPT, 60) is not None
    r.send(b"reboot -f\r")
    rc = r.wait_exit(30)
    r.check("reboot", ok and rc == 0, "QEMU did not end cleanly after reboot -f (status %s)" % rc)
except Exception as e:
    r.check("driver", False, repr(e))
finally:
    r.close()
sys.exit(1 if q.failed or r.failed else 0)
