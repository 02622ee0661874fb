"""10,000 idle IMAP sessions (logged in, INBOX selected, in IDLE) held against the reference server.

    .venv/bin/python -m benchmarks.bench_idle_connections [--quick] [--connections N]

Reports the server's resident memory per session: RSS of the server process
with every session in IDLE, minus its RSS before (after one warm-up session
came and went), divided by N. Twice, each with a fresh server: sessions on an
empty INBOX, and on an INBOX of 200 messages (a selected session keeps the
mailbox's UIDs, flags and sizes, so it grows with the mailbox). Target
(issue 3): < 50 KB per session.

The sessions are held by a separate client process (this module with
``--hold``): raw non-blocking sockets on one epoll selector, each taken
through greeting, LOGIN, SELECT INBOX and IDLE, at most ``IN_FLIGHT`` at a
time so the listen queue never overflows. Both processes raise their open
file limit (RLIMIT_NOFILE, which needs root past the hard limit); the server
gets a config raising its per-address connection cap, since every session
comes from 127.0.0.1.

What limits it: LOGIN checks the password against a SCRAM verifier (PBKDF2,
about a millisecond of CPU each), so opening 10,000 sessions takes tens of
seconds on 2 cores; RSS counts what the allocator holds, so the figure
includes free space inside Python's arenas (it is what the machine pays).
Kernel socket buffers are not in RSS.
"""

from __future__ import annotations

import argparse
import errno
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.peers import (
    HOST,
    REFERENCE_PASSWORD,
    ReferenceProcess,
    machine_note,
    print_table,
    raise_nofile,
    reference_server,
    rss_bytes,
)

IN_FLIGHT = 200  # sessions being opened at once
OPEN_TIMEOUT = 900.0  # seconds for the client to get every session into IDLE
SETTLE_SECONDS = 2.0
FULL_INBOX = 200
NOFILE = 65536
EMPTY_USER, FULL_USER = "load1@example.test", "load2@example.test"


# -- the client process: hold N sessions in IDLE ---------------------------------


@dataclass
class _Session:
    sock: socket.socket
    step: int = 0  # index into STEPS: what we wait for next
    buffer: bytes = b""


# (what ends the wait, what to send then); {user}/{password} filled in per run
STEPS = (
    (b"* OK", b"a LOGIN {user} {password}\r\n"),
    (b"a OK", b"b SELECT INBOX\r\n"),
    (b"b OK", b"c IDLE\r\n"),
    (b"+ ", b""),
)


def hold(port: int, user: str, password: str, count: int) -> None:
    """Open ``count`` sessions, print "ready", keep them until stdin closes."""
    raise_nofile(NOFILE)
    selector = selectors.DefaultSelector()
    login = {b"{user}": user.encode(), b"{password}": password.encode()}
    steps = [(end, _fill(send, login)) for end, send in STEPS]
    opened = idle = 0
    deadline = time.monotonic() + OPEN_TIMEOUT
    held: list[socket.socket] = []
    while idle < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{idle} of {count} sessions idle after {OPEN_TIMEOUT} s")
        while opened < count and opened - idle < IN_FLIGHT:
            _connect(selector, port)
            opened += 1
        for key, _ in selector.select(timeout=1.0):
            session: _Session = key.data
            if _advance(session, steps):
                selector.unregister(session.sock)
                held.append(session.sock)
                idle += 1
    print(f"ready {idle}", flush=True)
    sys.stdin.read()  # the parent closes our stdin when it has measured
    for sock in held:
        sock.close()


def _fill(template: bytes, values: dict[bytes, bytes]) -> bytes:
    for name, value in values.items():
        template = template.replace(name, value)
    return template


def _connect(selector: selectors.BaseSelector, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    code = sock.connect_ex((HOST, port))
    if code not in (0, errno.EINPROGRESS):
        raise OSError(code, f"connect: {errno.errorcode.get(code, code)}")
    selector.register(sock, selectors.EVENT_READ, _Session(sock))


def _advance(session: _Session, steps: list[tuple[bytes, bytes]]) -> bool:
    """Read what arrived; send the next command when its reply is complete.
    True once the server has answered IDLE with its continuation."""
    data = session.sock.recv(65536)
    if not data:
        raise ConnectionError(f"server closed a session at step {session.step}")
    session.buffer += data
    while session.step < len(steps):
        end, send = steps[session.step]
        found = _line_starting(session.buffer, end)
        if found is None:
            return False
        session.buffer = session.buffer[found:]
        session.step += 1
        if send:
            session.sock.sendall(send)  # a few bytes: the socket buffer takes them
    return True


def _line_starting(buffer: bytes, start: bytes) -> int | None:
    """The offset just past the first complete line starting with ``start``;
    a tagged reply other than the awaited one (NO, BAD) is an error."""
    tag = start.split(b" ")[0] + b" " if start[:1].isalpha() else None
    offset = 0
    while (end := buffer.find(b"\r\n", offset)) >= 0:
        if buffer.startswith(start, offset):
            return end + 2
        if tag is not None and buffer.startswith(tag, offset):
            raise RuntimeError(f"refused: {buffer[offset:end]!r}")
        offset = end + 2
    return None


# -- the measuring process ------------------------------------------------------


@dataclass
class Figure:
    label: str
    sessions: int
    before: int
    after: int
    seconds: float

    @property
    def per_session(self) -> float:
        return (self.after - self.before) / self.sessions


def fill_inbox(port: int, user: str, count: int) -> None:
    import imaplib

    from benchmarks.bench_server_imap import message

    with imaplib.IMAP4(HOST, port) as imap:
        imap.login(user, REFERENCE_PASSWORD)
        for _ in range(count):
            imap.append("INBOX", None, None, message())
        imap.logout()


def warm_up(port: int, user: str) -> None:
    """One session through the same steps, so code and caches are loaded before 'before'."""
    import imaplib

    with imaplib.IMAP4(HOST, port) as imap:
        imap.login(user, REFERENCE_PASSWORD)
        imap.select("INBOX")
        imap.logout()


def settled_rss(pid: int) -> int:
    """RSS once two readings SETTLE_SECONDS apart agree within 1% (at most 30 s)."""
    last = rss_bytes(pid)
    for _ in range(15):
        time.sleep(SETTLE_SECONDS)
        now = rss_bytes(pid)
        if abs(now - last) <= last // 100:
            return now
        last = now
    return last


def measure(server: ReferenceProcess, label: str, user: str, sessions: int) -> Figure:
    port = server.ports["imap"]
    warm_up(port, user)
    before = settled_rss(server.pid)
    hold_command = [sys.executable, "-m", "benchmarks.bench_idle_connections"]
    hold_command += ["--hold", str(port), user, "--count", str(sessions)]
    client = subprocess.Popen(
        hold_command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        started = time.perf_counter()
        assert client.stdout is not None and client.stdin is not None
        line = client.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError(f"the client failed ({client.wait()}): {line!r}")
        seconds = time.perf_counter() - started
        after = settled_rss(server.pid)
    finally:
        if client.stdin is not None:
            client.stdin.close()
        client.wait(120)
    return Figure(label, sessions, before, after, seconds)


def run(sessions: int, workdir: Path) -> tuple[list[Figure], str]:
    figures = []
    command = ""
    for label, user, messages in (
        ("empty INBOX", EMPTY_USER, 0),
        (f"INBOX of {FULL_INBOX} messages", FULL_USER, FULL_INBOX),
    ):
        workspace = workdir / ("full" if messages else "empty")
        with reference_server(
            workspace, max_connections_per_ip=sessions + 100, nofile=NOFILE
        ) as server:
            command = server.command
            if messages:
                fill_inbox(server.ports["imap"], user, messages)
            figure = measure(server, label, user, sessions)
            print(f"  {label}: {figure.per_session / 1024:.1f} KB per session")
            figures.append(figure)
    return figures, command


def report(figures: list[Figure], sessions: int, command: str) -> None:
    print()
    print(
        f"{sessions} idle IMAP sessions (LOGIN, SELECT INBOX, IDLE) on the reference server; {machine_note()}"
    )
    rows = [
        [
            f.label,
            f.sessions,
            f"{f.before / 2**20:.1f} MB",
            f"{f.after / 2**20:.1f} MB",
            f"{f.per_session / 1024:.1f} KB",
            f"{f.sessions / f.seconds:.0f}/s",
        ]
        for f in figures
    ]
    print_table(["mailbox", "sessions", "RSS before", "RSS after", "per session", "opened"], rows)
    worst = max(f.per_session for f in figures) / 1024
    print(
        f"target < 50 KB per session: {worst:.1f} KB at worst {'MET' if worst < 50 else 'MISSED'}"
    )
    print("commands:")
    print(f"  server: {command}  (RLIMIT_NOFILE {NOFILE}, max_connections_per_ip raised)")
    print("  client: python -m benchmarks.bench_idle_connections --hold PORT USER  (N sessions)")
    print(
        "limits: LOGIN runs PBKDF2 per session (SCRAM verifier), so opening is CPU-bound; "
        "RSS includes free space inside the allocator's arenas; kernel socket buffers are not in RSS."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 sessions")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="scratch space (default: /tmp)")
    parser.add_argument("--hold", nargs=2, metavar=("PORT", "USER"), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sessions = 1000 if args.quick else args.connections
    if args.hold:
        hold(int(args.hold[0]), args.hold[1], REFERENCE_PASSWORD, args.count or sessions)
        return
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-idle-") as tmp:
        figures, command = run(sessions, Path(tmp))
    report(figures, sessions, command)


if __name__ == "__main__":
    main()
