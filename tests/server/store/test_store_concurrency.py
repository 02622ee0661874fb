"""Readers and the writer at the same time: snapshots are whole, nobody waits."""

from __future__ import annotations

import sqlite3
import threading
import time

from harness.server.store import Mailbox, Mailstore
from harness.server.store.changes import ChangeLog
from harness.server.store.messages import deliver


def body_for(uid: int) -> bytes:
    return b"message %d\r\n" % uid * (uid % 7 + 1)


def test_readers_see_whole_snapshots_during_writes(store: Mailstore, inbox: Mailbox) -> None:
    total = 80
    problems: list[str] = []
    writing_done = threading.Event()

    def write_all() -> None:
        for uid in range(1, total + 1):
            assert store.append(inbox.id, body_for(uid)).uid == uid
        writing_done.set()

    def read_until_done() -> None:
        while not writing_done.is_set():
            snapshot = store.snapshot(inbox.id)
            uids = [m.uid for m in snapshot.messages]
            if uids != list(range(1, snapshot.mailbox.uidnext)):
                problems.append(f"uids {uids[-3:]} vs uidnext {snapshot.mailbox.uidnext}")
            for message in snapshot.messages[-3:]:
                if store.fetch(inbox.id, message.uid) != body_for(message.uid):
                    problems.append(f"uid {message.uid} content differs")

    readers = [threading.Thread(target=read_until_done) for _ in range(4)]
    for reader in readers:
        reader.start()
    write_all()
    for reader in readers:
        reader.join(30)
    assert problems == []
    assert store.status(inbox.id).messages == total


def test_reads_do_not_wait_for_an_open_write(store: Mailstore, inbox: Mailbox) -> None:
    store.append(inbox.id, b"committed")
    inserted, release = threading.Event(), threading.Event()

    def slow_write(conn: sqlite3.Connection, log: ChangeLog) -> None:
        deliver(conn, log, mailbox_ids=[inbox.id], content=b"uncommitted")
        inserted.set()
        release.wait(10)

    pending = store.submit(slow_write)
    assert inserted.wait(10)
    started = time.monotonic()
    status = store.status(inbox.id)
    listing = store.list_messages(inbox.id)
    elapsed = time.monotonic() - started
    release.set()
    pending.result(10)
    assert status.messages == 1 and [m.uid for m in listing] == [1]  # no dirty reads
    assert elapsed < 2.0
    assert store.status(inbox.id).messages == 2
