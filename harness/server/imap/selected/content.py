"""Message bytes and their parsed views for the selected mailbox, cached.

A message's content never changes under its UID (RFC 9051 §2.3.1.1), so the
last few messages read are kept: a client that fetches ENVELOPE, then
BODYSTRUCTURE, then BODY[1] of one message reads the store once and parses
once. The cache is bounded by count and by octets, and dies with the
selection.

A FETCH over many messages loads them in batches (``load``), one worker
thread trip per batch instead of one per message: the store's blocking API
is thread-safe, and the hop to a thread costs more than reading 1 KB.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import trio

from harness.server.imap.message_view import MessageView
from harness.server.store import AsyncMailstore

# A worker-thread trip costs about as much as reading 100 small messages, so
# batches are large; the octet bounds keep big messages to a few at a time.
MAX_ENTRIES = 256
MAX_OCTETS = 4 << 20
BATCH_MESSAGES = 128  # per worker-thread trip (at most MAX_ENTRIES: all stay cached)
BATCH_OCTETS = 2 << 20
READ_AHEAD = 64  # a lone message read brings the next ones along
READ_AHEAD_OCTETS = 1 << 20


class Expunged(Exception):
    """The message is no longer in the store (another session expunged it)."""


class ContentCache:
    def __init__(self, store: AsyncMailstore, mailbox_id: int) -> None:
        self._store = store
        self._mailbox_id = mailbox_id
        self._raw: OrderedDict[int, bytes] = OrderedDict()
        self._views: dict[int, MessageView] = {}
        self._octets = 0
        self._gone: set[int] = set()  # found expunged by the last load

    def cached(self, uid: int) -> bool:
        return uid in self._raw

    async def load(self, uids: Sequence[int]) -> None:
        """Read the messages ``raw`` and ``view`` will be asked for next, in one trip."""
        wanted = [uid for uid in uids if uid not in self._raw]
        if not wanted:
            return
        found = await trio.to_thread.run_sync(self._read_many, wanted)
        self._gone = {uid for uid, data in found.items() if data is None}
        for uid, data in found.items():
            if data is not None:
                self._raw[uid] = data
                self._octets += len(data)
        self._evict()  # once per batch, the oldest first

    def _read_many(self, uids: list[int]) -> dict[int, bytes | None]:
        """Runs in a worker thread (the blocking store API is thread-safe): one
        query for the whole batch; None for a message no longer there."""
        stored = self._store.sync.fetch_many(self._mailbox_id, uids)
        return {uid: stored.get(uid) for uid in uids}

    async def raw(self, uid: int) -> bytes:
        """The message exactly as stored; ``Expunged`` if it is gone."""
        data = self._raw.get(uid)
        if data is not None:
            self._raw.move_to_end(uid)
            return data
        if uid not in self._gone:
            await self.load([uid])
        if uid not in self._raw:
            raise Expunged(f"UID {uid} was expunged")
        return self._raw[uid]

    async def view(self, uid: int) -> MessageView:
        """The parsed message (ENVELOPE, BODYSTRUCTURE, sections), parsed once."""
        data = self._raw.get(uid)  # a FETCH over a range finds it loaded: no await
        if data is None:
            data = await self.raw(uid)
        else:
            self._raw.move_to_end(uid)
        view = self._views.get(uid)
        if view is None:
            view = self._views[uid] = MessageView(data)
        return view

    def _evict(self) -> None:
        while len(self._raw) > MAX_ENTRIES or (self._octets > MAX_OCTETS and len(self._raw) > 1):
            old, old_data = self._raw.popitem(last=False)
            self._octets -= len(old_data)
            self._views.pop(old, None)

    def forget(self, uid: int) -> None:
        data = self._raw.pop(uid, None)
        if data is not None:
            self._octets -= len(data)
        self._views.pop(uid, None)

    def clear(self) -> None:
        """Drop everything (a session about to idle for long holds no content)."""
        self._raw.clear()
        self._views.clear()
        self._octets = 0
        self._gone = set()


def batches(uids: Sequence[int], sizes: dict[int, int]) -> list[list[int]]:
    """``uids`` cut into batches of at most BATCH_MESSAGES and about BATCH_OCTETS."""
    return _cut(uids, sizes, BATCH_MESSAGES, BATCH_OCTETS)


def read_ahead(following: Sequence[int], sizes: dict[int, int]) -> list[int]:
    """The messages after a lone one worth reading with it (clients read in order)."""
    return _cut(following[:READ_AHEAD], sizes, READ_AHEAD, READ_AHEAD_OCTETS)[0]


def _cut(uids: Sequence[int], sizes: dict[int, int], count: int, octets: int) -> list[list[int]]:
    result: list[list[int]] = []
    current: list[int] = []
    total = 0
    for uid in uids:
        if current and (len(current) >= count or total >= octets):
            result.append(current)
            current, total = [], 0
        current.append(uid)
        total += sizes.get(uid, 0)
    if current:
        result.append(current)
    return result or [[]]
