"""SIGKILL during a send storm loses no acknowledged message (issue 3, "Done means").

`mailharness serve` runs in its own process on a data dir; several SMTP
sessions send self-describing messages as fast as the server takes them and
record each 250 they receive; the server is killed with SIGKILL mid-storm,
started again on the same data dir, and stopped cleanly. Then every
acknowledged message must be in the store byte for byte, and every stored
message whole (RFC 5321 §4.1.1.4, §6.1: after 250 the server MUST NOT lose it).
"""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from harness.server.delivery import split_trace
from harness.server.store import open_mailstore
from tests.server.smtp.helpers import RawSMTP

pytestmark = pytest.mark.timeout(120)

USER = "storm@example.test"
SESSIONS = 8
ACKS_BEFORE_KILL = 150
CONFIG = f"""
domains = ["example.test"]
[[accounts]]
user = "{USER}"
password = "stormpw"
[limits]
auth_failure_delay = 0.0
[listeners.submission]
enabled = false
[listeners.smtps]
enabled = false
[listeners.pop3]
enabled = false
[listeners.pop3s]
enabled = false
[listeners.imap]
enabled = false
[listeners.imaps]
enabled = false
"""
_LISTENER_LINE = re.compile(rb"^\s+smtp\s+127\.0\.0\.1:(\d+)\s")


def storm_message(session: int, seq: int) -> bytes:
    body = hashlib.sha256(b"%d/%d" % (session, seq)).hexdigest().encode() * (1 + seq % 40)
    body += b"\r\n"
    digest = hashlib.sha256(body).hexdigest().encode()
    return b"X-Seq: %d/%d\r\nX-Body-SHA256: %s\r\n\r\n%s" % (session, seq, digest, body)


def is_whole(message: bytes) -> bool:
    header, _, body = message.partition(b"\r\n\r\n")
    match = re.search(rb"X-Body-SHA256: ([0-9a-f]{64})", header)
    return match is not None and hashlib.sha256(body).hexdigest().encode() == match[1]


class Server:
    """``mailharness serve`` in a child process; ``port`` once it says it is ready."""

    def __init__(self, config: Path, data_dir: Path) -> None:
        self.argv = [
            sys.executable, "-m", "harness.cli", "serve",
            "--config", str(config), "--data-dir", str(data_dir),
        ]  # fmt: skip
        self.process: trio.Process | None = None
        self.port = 0

    async def start(self) -> None:
        self.process = await trio.lowlevel.open_process(self.argv, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        pending = b""
        with trio.fail_after(60):
            while b"ready;" not in pending:
                chunk = await self.process.stdout.receive_some(4096)
                assert chunk, f"the server exited early: {pending.decode(errors='replace')}"
                pending += chunk
        for line in pending.splitlines():
            found = _LISTENER_LINE.match(line)
            if found:
                self.port = int(found[1])
        assert self.port, pending

    async def stop(self, how: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(how)
        with trio.fail_after(30):
            return await self.process.wait()


async def storm(port: int, session: int, acked: list[bytes], enough: trio.Event) -> None:
    """Send until the connection breaks; record each message the server acknowledged."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    smtp = RawSMTP(stream)
    try:
        await smtp.reply()
        await smtp.ehlo(f"storm{session}.example")
        for seq in range(1_000_000):
            message = storm_message(session, seq)
            codes = await smtp.codes(
                f"MAIL FROM:<s{session}@remote.example>\r\nRCPT TO:<{USER}>\r\nDATA\r\n".encode(),
                3,
            )
            assert codes == [250, 250, 354]
            reply = await smtp.command(message + b".\r\n")
            assert reply.code == 250, reply
            acked.append(message)
            if len(acked) >= ACKS_BEFORE_KILL:
                enough.set()
    except (EOFError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        return  # killed under us: whatever was not acknowledged may or may not be stored
    finally:
        await trio.aclose_forcefully(stream)


async def test_sigkill_mid_storm_loses_no_acknowledged_message(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(CONFIG)
    data_dir = tmp_path / "data"
    server = Server(config, data_dir)
    await server.start()
    acked: list[bytes] = []
    enough = trio.Event()
    async with trio.open_nursery() as nursery:
        for session in range(SESSIONS):
            nursery.start_soon(storm, server.port, session, acked, enough)
        with trio.fail_after(60):
            await enough.wait()
        assert await server.stop(signal.SIGKILL) == -signal.SIGKILL
    assert len(acked) >= ACKS_BEFORE_KILL

    restarted = Server(config, data_dir)  # recovery happens on open
    await restarted.start()
    assert await restarted.stop(signal.SIGTERM) == 0

    async with open_mailstore(data_dir) as store:
        inbox = await store.inbox(USER)
        stored = [
            split_trace(await store.fetch(inbox.id, info.uid))[1]
            for info in await store.list_messages(inbox.id)
        ]
    assert all(is_whole(message) for message in stored)
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged messages lost"
    assert len(stored) >= len(acked)
