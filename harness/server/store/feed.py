"""``ChangeFeed``: committed mailbox changes, delivered to one trio task.

The writer thread hands each batch to the event loop with
``TrioToken.run_sync_soon``; the feed queues it and wakes the waiting task.
The queue is bounded: a watcher that falls ``max_pending`` batches behind gets
one ``resync`` marker instead of an ever-growing backlog, and must re-read the
mailbox (an IMAP session would do a full resynchronisation, as after a
reconnect).
"""

from __future__ import annotations

from dataclasses import replace

import trio

from harness.server.store.models import MailboxChanges


class ChangeFeed:
    """Iterate with ``async for batches in feed`` or poll with ``receive_nowait()``.

    Each receive returns every batch that arrived since the last one, oldest
    first. A batch may name a UID the reader already saw in a snapshot taken
    after subscribing; sessions dedupe by UID.
    """

    def __init__(self, mailbox_id: int, *, max_pending: int = 1024) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.mailbox_id = mailbox_id
        self._max_pending = max_pending
        self._pending: list[MailboxChanges] = []
        self._arrived = trio.Event()
        self.closed = False

    def deliver(self, changes: MailboxChanges) -> None:
        """Called on the trio thread (scheduled from the writer thread)."""
        if self.closed:
            return
        if self._pending and self._pending[-1].resync:
            self._pending[-1] = _merge_into_resync(self._pending[-1], changes)
        elif len(self._pending) >= self._max_pending:
            marker = MailboxChanges(self.mailbox_id, changes.highestmodseq, resync=True)
            self._pending = [_merge_into_resync(marker, changes)]
        else:
            self._pending.append(changes)
        self._arrived.set()

    def receive_nowait(self) -> tuple[MailboxChanges, ...]:
        """Whatever has arrived (possibly nothing), without waiting."""
        pending, self._pending = tuple(self._pending), []
        return pending

    async def receive(self) -> tuple[MailboxChanges, ...]:
        """Wait until at least one batch has arrived, then take them all."""
        while not self._pending:
            self._arrived = trio.Event()
            await self._arrived.wait()
        return self.receive_nowait()

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> tuple[MailboxChanges, ...]:
        return await self.receive()


def _merge_into_resync(marker: MailboxChanges, changes: MailboxChanges) -> MailboxChanges:
    """A resync marker only needs the newest modseq and whether the mailbox is gone."""
    return replace(
        marker,
        highestmodseq=max(marker.highestmodseq, changes.highestmodseq),
        deleted=marker.deleted or changes.deleted,
    )
