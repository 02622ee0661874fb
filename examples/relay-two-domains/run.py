#!/usr/bin/env python3
"""Alice's client -> Alice's server (a.test) -> Bob's server (b.test) -> Bob's client.

Starts two reference servers with ``mailharness serve --config a.toml`` and
``--config b.toml`` (fixed loopback ports, fresh data directories), submits
a message as Alice (submission, STARTTLS, AUTH PLAIN, with smtplib), waits
until Bob's POP3 maildrop has it, prints what crossed each hop, and stops
both servers. Exit status 0 when Bob got the message byte-identical apart
from the trace fields each server prepended.

    .venv/bin/python examples/relay-two-domains/run.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import poplib
import queue
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate, make_msgid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALICE = ("alice@a.test", "alicepw")
BOB = ("bob@b.test", "bobpw")
A_SUBMISSION, B_POP3 = 2587, 2111
STARTUP_TIMEOUT = 30.0
DELIVERY_TIMEOUT = 30.0


class Server:
    """One ``mailharness serve`` process; its output is collected as it comes."""

    def __init__(self, name: str, config: Path, data_dir: Path) -> None:
        self.name = name
        command = [mailharness(), "serve", "--config", str(config), "--data-dir", str(data_dir)]
        command.append("-v")  # session lines and protocol transcripts on stderr
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.put(line.rstrip("\n"))
        self.stdout.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def wait_ready(self) -> None:
        """Until the server prints "ready" (every listener bound), or fail."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                line = self.stdout.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit(f"{self.name}: not ready within {STARTUP_TIMEOUT} s") from None
            if line is None:
                time.sleep(0.2)  # let the stderr reader finish before showing it
                raise SystemExit(f"{self.name} exited:\n" + "\n".join(self.log))
            print(f"[{self.name}] {line}")
            if line.startswith("ready"):
                return

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def mailharness() -> str:
    beside = Path(sys.executable).parent / "mailharness"
    found = str(beside) if beside.exists() else shutil.which("mailharness")
    if found is None:
        raise SystemExit("mailharness is not installed (run `make setup` first)")
    return found


def unverified_tls() -> ssl.SSLContext:
    """The servers use self-signed certificates generated on first start."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def the_message() -> bytes:
    return (
        "From: Alice <alice@a.test>\r\n"
        "To: Bob <bob@b.test>\r\n"
        "Subject: Hello from a.test\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {make_msgid(domain='a.test')}\r\n"
        "\r\n"
        "Hi Bob,\r\n"
        "this went from my client to mail.a.test, then to mail.b.test.\r\n"
        ".and this line starts with a dot.\r\n"
    ).encode()


def submit_as_alice(message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", A_SUBMISSION, timeout=10) as client:
        client.starttls(context=unverified_tls())
        client.login(*ALICE)
        refused = client.sendmail(ALICE[0], [BOB[0]], message)
    if refused:
        raise SystemExit(f"submission refused: {refused}")
    print(f"Alice submitted {len(message)} octets to mail.a.test:{A_SUBMISSION}")


def wait_for_bob() -> bytes:
    """Bob's first message over POP3 (STLS, USER/PASS), polled until it is there."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while time.monotonic() < deadline:
        client = poplib.POP3("127.0.0.1", B_POP3, timeout=10)
        try:
            client.stls(context=unverified_tls())
            client.user(BOB[0])
            client.pass_(BOB[1])
            if client.stat()[0] > 0:
                return b"\r\n".join(client.retr(1)[1]) + b"\r\n"
        finally:
            client.quit()
        time.sleep(0.2)
    raise SystemExit(f"Bob has no mail after {DELIVERY_TIMEOUT} s")


def without_trace(message: bytes) -> bytes:
    """The message without the Return-Path and Received fields the servers added."""
    rest = message
    while rest.startswith((b"Return-Path:", b"Received:")) or rest[:1] in (b" ", b"\t"):
        rest = rest[rest.index(b"\r\n") + 2 :]
    return rest


def show_summary(a: Server, b: Server, fetched: bytes, sent: bytes) -> bool:
    print("\n--- the relay session, mail.a.test -> mail.b.test (C: is A) ---")
    for line in a.log:
        if line.startswith("relay-") or "action=relay" in line:
            print(line)
    print("\n--- what each server logged about the message ---")
    for server in (a, b):
        for line in server.log:
            if line.startswith(("session ", "message ")):
                print(f"[{server.name}] {line}")
    print("\n--- Bob's copy, fetched by POP3 ---")
    print(fetched.decode(errors="replace"))
    identical = without_trace(fetched) == sent
    print("byte-identical apart from the trace fields:", "yes" if identical else "NO")
    return identical


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the data directories here")
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="relay-two-domains-"))
    b = Server("b.test", HERE / "b.toml", scratch / "b")
    a = Server("a.test", HERE / "a.toml", scratch / "a")
    try:
        b.wait_ready()
        a.wait_ready()
        message = the_message()
        submit_as_alice(message)
        fetched = wait_for_bob()
    finally:
        a.stop()
        b.stop()
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if show_summary(a, b, fetched, message) else 1


if __name__ == "__main__":
    sys.exit(main())
