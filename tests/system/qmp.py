#!/usr/bin/env python3
"""A small QMP client for the system tests: connect to QEMU's -qmp unix socket, run commands,
wait for events (kept while waiting for replies, so none is lost), and wait for text in the
serial log. Import it (sys.path.insert(0, "tests/system")) or run it for one command:

    python3 tests/system/qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
"""
import json
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, connect_timeout=30.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.events = []  # (monotonic time received, event dict), oldest first
        self.greeting = self._read(10.0)
        self.command("qmp_capabilities")

    def close(self):
        self.sock.close()

    def _read(self, timeout):
        """The next message, or None when nothing arrived within timeout seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise QMPError("QEMU closed the QMP connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, name, /, timeout=30.0, **args):
        """Runs a command; returns its "return" value, raises QMPError on an error reply."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                raise QMPError(f"no reply to {name} within {timeout} s")
            if "event" in reply:
                self.events.append((time.monotonic(), reply))
                continue
            if "error" in reply:
                raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def wait_event(self, name, timeout, since=0.0, **data):
        """The first event called name (received after `since`, a time.monotonic() value)
        whose data has the given items; None after timeout seconds. Consumes it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (when, ev) in enumerate(self.events):
                if when < since or ev.get("event") != name:
                    continue
                evdata = ev.get("data", {})
                if all(evdata.get(k) == v for k, v in data.items()):
                    del self.events[i]
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            msg = self._read(left)
            if msg is not None and "event" in msg:
                self.events.append((time.monotonic(), msg))

    def hmp(self, cmdline):
        """A human monitor command (e.g. "info pci"); its text output."""
        return self.command("human-monitor-command", **{"command-line": cmdline})


def log_text(path):
    """The serial log without carriage returns; "" until it exists."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r", "")
    except FileNotFoundError:
        return ""


def wait_log(path, predicate, timeout, alive=None):
    """Polls the serial log until predicate(text) is true; returns the text then, None after
    timeout seconds or once alive() says QEMU is gone."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_text(path)
        if predicate(text):
            return text
        if time.monotonic() > deadline or (alive is not None and not alive()):
            return None
        time.sleep(0.1)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    q = QMP(sys.argv[1])
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    print(json.dumps(q.command(sys.argv[2], **args), indent=2))
