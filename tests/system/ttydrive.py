#!/usr/bin/env python3
"""Drives Ferrite's serial console from outside, like a person at a terminal.

QEMU runs with its first serial port on a Unix socket (QEMU is the server); this module
connects, sends keystrokes and waits for output. Everything received is appended to a log.

    qemu = Qemu(logpath, args, timeout)   # starts qemu-system-x86_64 with the socket serial
    qemu.expect(rb"# $")                  # waits for a regex over what arrived since the mark
    qemu.send(b"echo hi\\r")
    qemu.check("name", cond, why)         # prints PASS/FAIL system/<test>/<name>
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


class Qemu:
    def __init__(self, test, log, qemu_args, timeout=120, qmp=False):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="ferrite-tty.", dir="/tmp")
        self.sock_path = os.path.join(self.dir, "serial.sock")
        self.qmp_path = os.path.join(self.dir, "qmp.sock") if qmp else None
        self.log = open(log, "wb")
        self.buf = b""
        self.mark = 0
        self.failed = 0
        args = ["timeout", "--kill-after=5", str(timeout), "qemu-system-x86_64", "-accel", "tcg",
                "-display", "none", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-chardev", "socket,id=ser0,path=%s,server=on,wait=off" % self.sock_path,
                "-serial", "chardev:ser0"]
        if qmp:
            args += ["-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        self.proc = subprocess.Popen(args + qemu_args, stdout=subprocess.DEVNULL,
                                     stderr=open(log + ".qemu.txt", "wb"))
        self.sock = None
        for _ in range(200):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock_path)
                self.sock = s
                break
            except OSError:
                time.sleep(0.05)
        if not self.sock:
            raise RuntimeError("no serial socket from QEMU")
        self.sock.settimeout(0.1)

    def _pump(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.buf += data
        self.log.write(data)
        self.log.flush()
        return True

    def expect(self, pattern, timeout=30):
        """Waits until pattern (bytes regex) matches the output after the mark; moves the mark
        past the match and returns the match, or None on timeout or when QEMU ends."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf, self.mark)
            if m:
                self.mark = m.end()
                return m
            if time.time() > end or not self._pump():
                return None

    def output_since(self, start):
        return self.buf[start:]

    def send(self, data, delay=0.02):
        """Types data one byte at a time, as a person would."""
        for b in data:
            self.sock.sendall(bytes([b]))
            time.sleep(delay)

    def key(self, seq):
        """Sends a key's whole escape sequence at once, as a terminal does (ash tells an Escape
        key from an arrow key's sequence by how soon the rest follows)."""
        self.sock.sendall(seq)
        time.sleep(0.05)

    def wait_exit(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            self._pump()
            if self.proc.poll() is not None:
                while self._pump() and self.proc.poll() is None:
                    pass
                return self.proc.returncode
        return None

    def qmp(self):
        import json
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.qmp_path)
        f = s.makefile("rw")

        def reply():
            while True:
                msg = json.loads(f.readline())
                if "event" not in msg:
                    return msg

        def command(name, **args):
            f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
            f.flush()
            return reply()

        reply()
        command("qmp_capabilities")
        return command

    # Characters as PS/2 keys (QMP qcodes) on a US layout; for type_keys.
    KEYS = {" ": ["spc"], "\n": ["ret"], "|": ["shift", "backslash"], ">": ["shift", "dot"],
            "-": ["minus"], "$": ["shift", "4"], "?": ["shift", "slash"], "/": ["slash"],
            ".": ["dot"], "=": ["equal"], "'": ["apostrophe"], ";": ["semicolon"],
            "&": ["shift", "7"], "\x03": ["ctrl", "c"], "\x1a": ["ctrl", "z"],
            "\x7f": ["backspace"], "\x1b[A": ["up"]}

    def type_keys(self, command, text, delay=0.05):
        """Presses the keys that type text on the emulated PS/2 keyboard (QMP send-key)."""
        i = 0
        while i < len(text):
            if text.startswith("\x1b[A", i):
                keys, i = self.KEYS["\x1b[A"], i + 3
            else:
                c = text[i]
                i += 1
                if c in self.KEYS:
                    keys = self.KEYS[c]
                elif c.isupper():
                    keys = ["shift", c.lower()]
                else:
                    keys = [c]
            r = command("send-key", keys=[{"type": "qcode", "data": k} for k in keys])
            if "error" in r:
                raise RuntimeError("send-key %s: %s" % (keys, r))
            time.sleep(delay)

    def check(self, name, ok, why=""):
        if ok:
            print("PASS system/%s/%s" % (self.test, name))
        else:
            self.failed += 1
            print("FAIL system/%s/%s: %s (log: %s)" % (self.test, name, why, self.log.name))
        sys.stdout.flush()
        return ok

    def close(self):
        if self.proc.poll() is None:
            # SIGTERM to timeout(1), which passes it on to QEMU (a SIGKILL would orphan QEMU).
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.sock:
            self.sock.close()
        self.log.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)
