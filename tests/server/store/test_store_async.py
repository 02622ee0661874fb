"""The trio facade: many tasks, no blocked event loop, committed-change feeds."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from harness.server.store import AsyncMailstore, FlagOperation, Mailbox, open_mailstore
from harness.server.store.changes import ChangeLog


@pytest.fixture
async def astore(tmp_path: Path) -> AsyncIterator[AsyncMailstore]:
    async with open_mailstore(tmp_path / "data") as opened:
        yield opened


@pytest.fixture
async def ainbox(astore: AsyncMailstore) -> Mailbox:
    user = await astore.create_user("alice@example.test")
    return await astore.inbox(user.name)


async def test_many_tasks_append_concurrently(astore: AsyncMailstore, ainbox: Mailbox) -> None:
    uids: list[int] = []

    async def deliver_some(task: int) -> None:
        for n in range(10):
            appended = await astore.append(ainbox.id, b"task %d message %d" % (task, n))
            uids.append(appended.uid)
            assert await astore.fetch(ainbox.id, appended.uid) == b"task %d message %d" % (task, n)

    async with trio.open_nursery() as nursery:
        for task in range(50):
            nursery.start_soon(deliver_some, task)
    assert sorted(uids) == list(range(1, 501))
    assert (await astore.status(ainbox.id)).messages == 500
    stats = astore.sync.stats()
    assert stats.commits < stats.requests  # fifty waiters shared fsyncs


async def test_event_loop_runs_while_a_write_waits(astore: AsyncMailstore, ainbox: Mailbox) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_write(conn: sqlite3.Connection, log: ChangeLog) -> str:
        entered.set()
        release.wait(10)
        return "done"

    ticks = 0
    async with trio.open_nursery() as nursery:

        async def wait_for_write() -> None:
            assert await astore.write(slow_write) == "done"

        nursery.start_soon(wait_for_write)
        while not entered.is_set() or ticks < 100:
            await trio.sleep(0.001)
            ticks += 1
        release.set()
    assert ticks >= 100


async def test_cancelled_write_is_dropped_if_not_started(
    astore: AsyncMailstore, ainbox: Mailbox
) -> None:
    entered, release = threading.Event(), threading.Event()

    def park(conn: sqlite3.Connection, log: ChangeLog) -> None:
        entered.set()
        release.wait(10)

    parked = astore.sync.submit(park)
    await trio.to_thread.run_sync(entered.wait, 10)
    with trio.move_on_after(0.05) as scope:
        await astore.append(ainbox.id, b"abandoned")
    assert scope.cancelled_caught
    release.set()
    await trio.to_thread.run_sync(parked.result, 10)
    assert (await astore.append(ainbox.id, b"kept")).uid == 1
    assert [m.uid for m in await astore.list_messages(ainbox.id)] == [1]


async def test_watch_reports_appends_flags_expunges(
    astore: AsyncMailstore, ainbox: Mailbox
) -> None:
    async with astore.watch(ainbox.id) as feed:
        assert feed.receive_nowait() == ()
        first = await astore.append(ainbox.id, b"one")
        (batch,) = await feed.receive()
        assert batch.appended == (first.uid,) and batch.highestmodseq == first.modseq
        stored = await astore.store_flags(ainbox.id, [first.uid], FlagOperation.ADD, ["\\Deleted"])
        expunged = await astore.expunge(ainbox.id)
        batches = await feed.receive()
        assert batches[0].flags == stored.updated
        assert batches[-1].expunged == (first.uid,)
        assert batches[-1].highestmodseq == expunged.highestmodseq


async def test_watch_sees_other_mailboxes_changes_only(
    astore: AsyncMailstore, ainbox: Mailbox
) -> None:
    user = await astore.get_user("alice@example.test")
    assert user is not None
    other = await astore.create_mailbox(user.id, "Other")
    async with astore.watch(ainbox.id) as feed:
        await astore.append(other.id, b"elsewhere")
        await astore.deliver([other.id, ainbox.id], b"both")
        (batch,) = await feed.receive()
        assert batch.mailbox_id == ainbox.id and batch.appended == (1,)
        await astore.delete_mailbox(user.id, "Other")
        assert feed.receive_nowait() == ()


async def test_feed_overflow_turns_into_resync(astore: AsyncMailstore, ainbox: Mailbox) -> None:
    user = await astore.get_user("alice@example.test")
    assert user is not None
    box = await astore.create_mailbox(user.id, "Busy")
    async with astore.watch(box.id, max_pending=3) as feed:
        for n in range(6):
            await astore.append(box.id, b"%d" % n)
        await astore.delete_mailbox(user.id, "Busy")
        batches = await feed.receive()
        assert len(batches) == 1 and batches[0].resync and batches[0].deleted


async def test_deleted_mailbox_is_announced(astore: AsyncMailstore, ainbox: Mailbox) -> None:
    user = await astore.get_user("alice@example.test")
    assert user is not None
    box = await astore.create_mailbox(user.id, "Gone")
    async with astore.watch(box.id) as feed:
        await astore.delete_mailbox(user.id, "Gone")
        (batch,) = await feed.receive()
        assert batch.deleted and not batch.resync
