"""The relay queue: due claims under a lease, backoff, give-up, completion."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.server.store import (
    STORE_FILENAME,
    Mailstore,
    NoSuchQueueEntry,
    QueueStatus,
    RecipientOptions,
    RelayOptions,
    RetryPolicy,
)

POLICY = RetryPolicy(initial=60.0, factor=2.0, maximum=300.0, max_attempts=3)


def test_enqueue_and_claim_due_entries(store: Mailstore) -> None:
    now = 1_000_000.0
    due = store.enqueue_relay(
        "a@example.test", ["x@remote.test", "y@remote.test"], b"body", not_before=now - 1
    )
    store.enqueue_relay("a@example.test", ["z@remote.test"], b"later", not_before=now + 100)
    assert due.recipients == ("x@remote.test", "y@remote.test") and due.size == 4
    claimed = store.claim_due_relay(now=now, limit=10, lease_seconds=30)
    assert [entry.id for entry in claimed] == [due.id]
    assert store.relay_content(due.id) == b"body"
    assert store.claim_due_relay(now=now + 1, limit=10, lease_seconds=30) == ()  # leased
    reclaimed = store.claim_due_relay(now=now + 31, limit=10, lease_seconds=300)
    assert [entry.id for entry in reclaimed] == [due.id]  # lease ran out: worker died
    later = store.claim_due_relay(now=now + 200, limit=10, lease_seconds=30)
    assert [entry.recipients for entry in later] == [("z@remote.test",)]


def test_defer_backs_off_then_gives_up(store: Mailstore) -> None:
    now = 5000.0
    entry = store.enqueue_relay("a@example.test", ["x@r.test", "y@r.test"], b"m", not_before=now)
    first = store.defer_relay(
        entry.id, "451 try later", now=now, policy=POLICY, remaining_recipients=["y@r.test"]
    )
    assert (first.attempts, first.next_attempt, first.status) == (1, now + 60, QueueStatus.QUEUED)
    assert first.recipients == ("y@r.test",) and first.last_error == "451 try later"
    assert store.claim_due_relay(now=now + 59, limit=5) == ()
    second = store.defer_relay(entry.id, "451 again", now=now + 60, policy=POLICY)
    assert second.next_attempt == now + 60 + 120
    third = store.defer_relay(entry.id, "451 still", now=now + 180, policy=POLICY)
    assert third.status is QueueStatus.FAILED
    assert store.claim_due_relay(now=now + 10_000, limit=5) == ()
    assert store.relay_content(entry.id) == b"m"  # kept for the bounce


def test_complete_removes_entry_and_content(store: Mailstore) -> None:
    entry = store.enqueue_relay("a@example.test", ["x@r.test"], b"content")
    store.complete_relay(entry.id)
    assert store.relay_queue() == ()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT count(*) FROM contents").fetchone()[0] == 0
    with pytest.raises(NoSuchQueueEntry):
        store.complete_relay(entry.id)


def test_queue_needs_recipients(store: Mailstore) -> None:
    with pytest.raises(ValueError):
        store.enqueue_relay("a@example.test", [], b"m")


def test_envelope_options_round_trip(store: Mailstore) -> None:
    options = RelayOptions(
        body="8BITMIME",
        smtputf8=True,
        ret="HDRS",
        envid="QQ314159",
        recipients={
            "x@r.test": RecipientOptions(
                notify=("SUCCESS", "FAILURE"), orcpt=("rfc822", "x@r.test")
            ),
            "y@r.test": RecipientOptions(notify=("NEVER",)),
        },
    )
    entry = store.enqueue_relay("a@example.test", ["x@r.test", "y@r.test"], b"m", options=options)
    assert entry.options == options
    deferred = store.defer_relay(
        entry.id, "451", now=entry.enqueued_at, policy=POLICY, remaining_recipients=["y@r.test"]
    )
    assert deferred.options.for_recipient("y@r.test").notify == ("NEVER",)
    assert store.enqueue_relay("a@example.test", ["z@r.test"], b"n").options == RelayOptions()


def test_version_1_store_gains_the_options_column(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir()
    with sqlite3.connect(data / STORE_FILENAME) as conn:  # the version-1 relay_queue
        conn.executescript(
            """CREATE TABLE relay_queue (id INTEGER PRIMARY KEY, envelope_from TEXT NOT NULL,
                 recipients TEXT NOT NULL, content_id INTEGER NOT NULL, enqueued_at REAL NOT NULL,
                 next_attempt REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                 last_error TEXT, status TEXT NOT NULL DEFAULT 'queued', lease_until REAL);
               PRAGMA user_version = 1;"""
        )
    with Mailstore(data) as store:
        entry = store.enqueue_relay(
            "a@example.test", ["x@r.test"], b"m", options=RelayOptions(ret="FULL")
        )
        assert store.relay_queue()[0].options.ret == "FULL" == entry.options.ret
