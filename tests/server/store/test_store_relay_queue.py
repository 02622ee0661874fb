"""The relay queue: due claims under a lease, backoff, give-up, completion."""

from __future__ import annotations

import sqlite3

import pytest

from harness.server.store import Mailstore, NoSuchQueueEntry, QueueStatus, RetryPolicy

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
