"""Message bytes and their parsed views for the selected mailbox, cached.

A message's content never changes under its UID (RFC 9051 §2.3.1.1), so the
last few messages read are kept: a client that fetches ENVELOPE, then
BODYSTRUCTURE, then BODY[1] of one message reads the store once and parses
once. The cache is bounded by count and by octets, and dies with the
selection.
"""

from __future__ import annotations

from collections import OrderedDict

from harness.server.imap.message_view import MessageView
from harness.server.store import AsyncMailstore, NoSuchMailbox, NoSuchMessage

MAX_ENTRIES = 16
MAX_OCTETS = 8 << 20


class Expunged(Exception):
    """The message is no longer in the store (another session expunged it)."""


class ContentCache:
    def __init__(self, store: AsyncMailstore, mailbox_id: int) -> None:
        self._store = store
        self._mailbox_id = mailbox_id
        self._raw: OrderedDict[int, bytes] = OrderedDict()
        self._views: dict[int, MessageView] = {}
        self._octets = 0

    async def raw(self, uid: int) -> bytes:
        """The message exactly as stored; ``Expunged`` if it is gone."""
        data = self._raw.get(uid)
        if data is not None:
            self._raw.move_to_end(uid)
            return data
        try:
            data = await self._store.fetch(self._mailbox_id, uid)
        except (NoSuchMessage, NoSuchMailbox):
            raise Expunged(f"UID {uid} was expunged") from None
        self._keep(uid, data)
        return data

    async def view(self, uid: int) -> MessageView:
        """The parsed message (ENVELOPE, BODYSTRUCTURE, sections), parsed once."""
        data = await self.raw(uid)
        view = self._views.get(uid)
        if view is None:
            view = self._views[uid] = MessageView(data)
        return view

    def _keep(self, uid: int, data: bytes) -> None:
        self._raw[uid] = data
        self._octets += len(data)
        while len(self._raw) > MAX_ENTRIES or (self._octets > MAX_OCTETS and len(self._raw) > 1):
            old, old_data = self._raw.popitem(last=False)
            self._octets -= len(old_data)
            self._views.pop(old, None)

    def forget(self, uid: int) -> None:
        data = self._raw.pop(uid, None)
        if data is not None:
            self._octets -= len(data)
        self._views.pop(uid, None)
