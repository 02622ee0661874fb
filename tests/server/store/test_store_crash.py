"""Crash safety: what was acknowledged survives SIGKILL, and nothing torn shows."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from harness.server.store import Mailstore
from harness.server.store.changes import ChangeLog

APPENDER = Path(__file__).with_name("crash_appender.py")


def run_and_kill(data_dir: Path, acks_before_kill: int) -> dict[int, tuple[str, int]]:
    """Start the appender, SIGKILL it after enough acks; return uid -> (sha256, size)."""
    proc = subprocess.Popen(
        [sys.executable, str(APPENDER), str(data_dir), "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    acked: dict[int, tuple[str, int]] = {}
    try:
        assert proc.stdout.readline() == b"ready\n", proc.stderr.read() if proc.stderr else ""
        while len(acked) < acks_before_kill:
            line = proc.stdout.readline()
            assert line, f"appender died: {proc.stderr.read() if proc.stderr else ''!r}"
            record_ack(acked, line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    for line in proc.stdout.read().splitlines(keepends=True):  # printed before the kill
        if line.endswith(b"\n"):
            record_ack(acked, line)
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return acked


def record_ack(acked: dict[int, tuple[str, int]], line: bytes) -> None:
    word, uid, digest, size = line.decode().split()
    assert word == "ack"
    acked[int(uid)] = (digest, int(size))


def assert_whole(message: bytes) -> None:
    headers, _, body = message.partition(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in headers.split(b"\r\n"))
    assert int(fields[b"X-Body-Length"]) == len(body)
    assert fields[b"X-Body-SHA256"].decode() == hashlib.sha256(body).hexdigest()


def test_acknowledged_appends_survive_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    acked = run_and_kill(data_dir, acks_before_kill=300)
    acked.update(run_and_kill(data_dir, acks_before_kill=100))  # recovery, then more
    with Mailstore(data_dir) as store:
        inbox = store.inbox("storm@example.test")
        stored = {m.uid: m for m in store.list_messages(inbox.id)}
        missing = sorted(set(acked) - set(stored))
        assert missing == [], f"acknowledged but lost: {missing[:10]}"
        for uid, (digest, size) in acked.items():
            content = store.fetch(inbox.id, uid)
            assert (hashlib.sha256(content).hexdigest(), len(content)) == (digest, size)
        for uid, info in stored.items():  # unacknowledged ones may exist, but whole
            content = store.fetch(inbox.id, uid)
            assert len(content) == info.size
            assert_whole(content)
        assert store.append(inbox.id, b"after").uid > max(stored)


def test_commits_fsync_the_wal(tmp_path: Path) -> None:
    """Power loss is not testable here; the settings that cover it are."""

    def pragmas(conn: sqlite3.Connection, log: ChangeLog) -> tuple[int, str]:
        (synchronous,) = conn.execute("PRAGMA synchronous").fetchone()
        (journal_mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        return synchronous, journal_mode

    with Mailstore(tmp_path / "data") as store:
        assert store.write(pragmas) == (2, "wal")  # 2 = FULL: fsync at every commit
