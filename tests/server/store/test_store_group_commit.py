"""Group commit: queued writes share one transaction, and fail one by one."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

import pytest

from harness.server.store import Appended, Mailbox, MailboxChanges, Mailstore, StoreClosed
from harness.server.store.changes import ChangeLog
from harness.server.store.messages import deliver
from harness.server.store.writer import WriteOp


class Boom(Exception):
    pass


@contextmanager
def writer_held(store: Mailstore) -> Iterator[Callable[[int], None]]:
    """Park the writer inside a request; yields a function that waits until
    ``n`` more requests are queued behind it. The writer resumes on exit."""
    entered, release = threading.Event(), threading.Event()

    def park(conn: sqlite3.Connection, log: ChangeLog) -> None:
        entered.set()
        release.wait(10)

    parked = store.submit(park)
    assert entered.wait(10)

    def wait_queued(n: int) -> None:
        deadline = time.monotonic() + 10
        while store.pending_writes() < n:
            assert time.monotonic() < deadline, "requests never queued"
            time.sleep(0.001)

    try:
        yield wait_queued
    finally:
        release.set()
        parked.result(10)


def append_op(mailbox: Mailbox, body: bytes) -> WriteOp[tuple[Appended, ...]]:
    return partial(deliver, mailbox_ids=[mailbox.id], content=body)


def test_queued_requests_commit_together(store: Mailstore, inbox: Mailbox) -> None:
    before = store.stats()
    with writer_held(store) as wait_queued:
        futures = [store.submit(append_op(inbox, b"m%d" % n)) for n in range(50)]
        wait_queued(50)
    uids = sorted(f.result(10)[0].uid for f in futures)
    after = store.stats()
    assert uids == list(range(1, 51))
    assert after.requests - before.requests == 51  # the parked request + 50
    assert after.commits - before.commits == 2  # the parked one's batch + one for all 50
    assert after.largest_batch == 50


def test_failed_request_does_not_lose_its_batch(store: Mailstore, inbox: Mailbox) -> None:
    def half_done_then_fail(conn: sqlite3.Connection, log: ChangeLog) -> None:
        deliver(conn, log, mailbox_ids=[inbox.id], content=b"never visible")
        raise Boom

    with writer_held(store) as wait_queued:
        first = store.submit(append_op(inbox, b"first"))
        failing = store.submit(half_done_then_fail)
        last = store.submit(append_op(inbox, b"last"))
        wait_queued(3)
    with pytest.raises(Boom):
        failing.result(10)
    # the failed request's UID allocation was rolled back with it: never seen, so reusable
    assert [first.result(10)[0].uid, last.result(10)[0].uid] == [1, 2]
    assert [store.fetch(inbox.id, m.uid) for m in store.list_messages(inbox.id)] == [
        b"first",
        b"last",
    ]
    assert store.stats().failed_requests == 1


def test_request_that_aborts_the_transaction_fails_alone(store: Mailstore, inbox: Mailbox) -> None:
    def abort_everything(conn: sqlite3.Connection, log: ChangeLog) -> None:
        deliver(conn, log, mailbox_ids=[inbox.id], content=b"rolled back")
        conn.execute("ROLLBACK")  # as SQLite itself does on SQLITE_FULL or an I/O error
        raise Boom

    with writer_held(store) as wait_queued:
        first = store.submit(append_op(inbox, b"first"))
        aborting = store.submit(abort_everything)
        last = store.submit(append_op(inbox, b"last"))
        wait_queued(3)
    with pytest.raises(Boom):
        aborting.result(10)
    first.result(10)
    last.result(10)
    assert [store.fetch(inbox.id, m.uid) for m in store.list_messages(inbox.id)] == [
        b"first",
        b"last",
    ]


def test_concurrent_writers_are_batched(store: Mailstore, inbox: Mailbox) -> None:
    before = store.stats()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda n: store.append(inbox.id, b"%d" % n), range(480)))
    after = store.stats()
    assert sorted(r.uid for r in results) == list(range(1, 481))
    requests, commits = after.requests - before.requests, after.commits - before.commits
    assert requests == 480
    assert commits < requests, f"{commits} commits for {requests} requests: no batching"


def test_cancelled_request_is_dropped_before_it_runs(store: Mailstore, inbox: Mailbox) -> None:
    with writer_held(store) as wait_queued:
        doomed: Future[tuple[Appended, ...]] = store.submit(append_op(inbox, b"cancelled"))
        kept = store.submit(append_op(inbox, b"kept"))
        wait_queued(2)
        assert doomed.cancel()
    kept.result(10)
    assert [store.fetch(inbox.id, m.uid) for m in store.list_messages(inbox.id)] == [b"kept"]


def test_close_commits_queued_writes_then_refuses(store: Mailstore, inbox: Mailbox) -> None:
    with writer_held(store) as wait_queued:
        queued = [store.submit(append_op(inbox, b"m%d" % n)) for n in range(5)]
        wait_queued(5)
        closer = threading.Thread(target=store.close)
        closer.start()
    closer.join(10)
    assert all(f.done() and f.exception() is None for f in queued)
    with pytest.raises(StoreClosed):
        store.append(inbox.id, b"late")
    with pytest.raises(StoreClosed):
        store.status(inbox.id)
    with Mailstore(store.data_dir) as reopened:
        assert reopened.status(inbox.id).messages == 5


def test_watchers_hear_only_committed_requests(store: Mailstore, inbox: Mailbox) -> None:
    heard: list[MailboxChanges] = []
    subscription = store.subscribe(inbox.id, heard.append)

    def fail_after_append(conn: sqlite3.Connection, log: ChangeLog) -> None:
        deliver(conn, log, mailbox_ids=[inbox.id], content=b"x")
        raise Boom

    with writer_held(store) as wait_queued:
        good = store.submit(append_op(inbox, b"a"))
        bad = store.submit(fail_after_append)
        wait_queued(2)
        assert heard == []  # nothing is announced before the commit
    good.result(10)
    with pytest.raises(Boom):
        bad.result(10)
    assert [(c.appended, c.highestmodseq) for c in heard] == [((1,), 2)]
    subscription.cancel()
    store.append(inbox.id, b"unheard")
    assert len(heard) == 1


def test_a_raising_watcher_is_dropped_not_fatal(store: Mailstore, inbox: Mailbox) -> None:
    def broken(changes: MailboxChanges) -> None:
        raise Boom

    subscription = store.subscribe(inbox.id, broken)
    store.append(inbox.id, b"one")
    assert isinstance(subscription.error, Boom)
    assert store.append(inbox.id, b"two").uid == 2
