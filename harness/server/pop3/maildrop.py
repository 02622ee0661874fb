"""The maildrop one POP3 session works on: the user's INBOX as it was at login.

RFC 1939 §5: once in TRANSACTION, messages are numbered from 1 and "message
numbers ... do not change during a session"; deleted messages are only
*marked* (§5 DELE), RSET unmarks them, and only QUIT from TRANSACTION (the
UPDATE state, §6) removes them, here by expunging their UIDs from the store.
A session that ends any other way removes nothing.

Sizes are the exact octets a client un-stuffs from RETR (``wire.wire_form``),
found in the same scan as whether the header section holds UTF-8 (RFC 6856
§2.1). Messages never change once stored, so each is scanned once per store
and then cached; for ordinary CRLF mail the size equals the stored size.
Message data is read from the store in chunks, so a large message is never
held whole.

UIDL (RFC 1939 §7) is the store's ``uidvalidity-uid``: stable across
sessions, never reused, and the same message IMAP sees.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import trio

from harness.server.pop3.wire import LineEndNormaliser, WireForm, wire_form
from harness.server.store import (
    AsyncMailstore,
    ExpungeResult,
    FlagOperation,
    Mailstore,
    MessageInfo,
    messages,
)
from harness.server.store.changes import ChangeLog

DELETED = "\\Deleted"

# Each slice read walks the message's overflow pages from its start, so
# slices are large: few per message, still bounded memory per session.
CHUNK_OCTETS = 1024 * 1024  # what RETR/TOP read and send at a time
SCAN_CHUNK_OCTETS = 16 * 1024 * 1024  # what the size scan reads at a time

# store -> mailbox id -> (UIDVALIDITY, UID) -> wire size and header kind
_FormCache = dict[int, dict[tuple[int, int], WireForm]]
_WIRE_FORMS: weakref.WeakKeyDictionary[Mailstore, _FormCache] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class DropMessage:
    number: int  # 1-based, fixed for the session
    uid: int
    uidl: str
    size: int  # octets as RETR sends them (before stuffing)
    utf8_header: bool  # needs UTF8 mode to be sent as is (RFC 6856 §2.1)


class Maildrop:
    """Numbered messages, deletion marks, and the commit done in UPDATE."""

    def __init__(
        self, store: AsyncMailstore, mailbox_id: int, messages: Sequence[DropMessage]
    ) -> None:
        self.store = store
        self.mailbox_id = mailbox_id
        self._messages = tuple(messages)
        self._deleted: set[int] = set()  # message numbers marked by DELE

    @classmethod
    async def open(cls, store: AsyncMailstore, account: str) -> Maildrop:
        """The account's INBOX as it is now."""
        inbox = await store.inbox(account)
        snapshot = await store.snapshot(inbox.id)
        forms = await trio.to_thread.run_sync(_wire_forms, store.sync, inbox.id, snapshot.messages)
        messages = [
            DropMessage(number, info.uid, info.uidl, form.size, form.non_ascii_header)
            for number, (info, form) in enumerate(zip(snapshot.messages, forms, strict=True), 1)
        ]
        return cls(store, inbox.id, messages)

    def get(self, number: int) -> DropMessage | None:
        """Message ``number``, or None if there is none or it is marked deleted."""
        if not 1 <= number <= len(self._messages) or number in self._deleted:
            return None
        return self._messages[number - 1]

    def present(self) -> Iterator[DropMessage]:
        """The messages not marked deleted, by number."""
        return (m for m in self._messages if m.number not in self._deleted)

    def stat(self) -> tuple[int, int]:
        """(messages, octets) of the messages not marked deleted (RFC 1939 §5 STAT)."""
        present = list(self.present())
        return len(present), sum(m.size for m in present)

    def delete(self, number: int) -> bool:
        """Mark message ``number``; False if it does not exist or is already marked."""
        if self.get(number) is None:
            return False
        self._deleted.add(number)
        return True

    def reset(self) -> int:
        """Unmark every message (RSET); the number unmarked."""
        count = len(self._deleted)
        self._deleted.clear()
        return count

    @property
    def deleted_uids(self) -> tuple[int, ...]:
        return tuple(self._messages[n - 1].uid for n in sorted(self._deleted))

    async def commit(self) -> tuple[int, ...]:
        """UPDATE (RFC 1939 §6): remove the marked messages; the UIDs removed."""
        if not self._deleted:
            return ()
        op = partial(remove_messages, mailbox_id=self.mailbox_id, uids=self.deleted_uids)
        result = await self.store.write(op)
        self._deleted.clear()
        _forget_forms(self.store.sync, self.mailbox_id, result.uids)
        return result.uids

    async def content(self, message: DropMessage) -> AsyncGenerator[bytes, None]:
        """The message in its wire form (CRLF line ends), chunk by chunk.

        The first chunk is read before anything is yielded, so a message removed
        meanwhile (by IMAP) raises ``NoSuchMessage`` before the caller answers.
        """
        normaliser = LineEndNormaliser()
        for start in range(0, message.size + CHUNK_OCTETS, CHUNK_OCTETS):
            chunk = await self.store.fetch(
                self.mailbox_id, message.uid, start=start, length=CHUNK_OCTETS
            )
            data = normaliser.feed(chunk)
            if data:
                yield data
            if len(chunk) < CHUNK_OCTETS:
                break
        tail = normaliser.end()
        if tail:
            yield tail


def remove_messages(
    conn: sqlite3.Connection, log: ChangeLog, *, mailbox_id: int, uids: Sequence[int]
) -> ExpungeResult:
    """One store transaction: mark \\Deleted and expunge exactly these UIDs.

    The store's expunge is IMAP's (only \\Deleted messages go); doing both in
    one write means a crash can never leave POP3's deletions half done, and
    IMAP sessions see them as one EXPUNGE (RFC 1939 §6 "remove all messages
    marked as deleted").
    """
    messages.store_flags(
        conn, log, mailbox_id=mailbox_id, uids=uids, operation=FlagOperation.ADD, flags=[DELETED]
    )
    return messages.expunge(conn, log, mailbox_id=mailbox_id, uids=uids)


def _wire_forms(
    store: Mailstore, mailbox_id: int, messages: Sequence[MessageInfo]
) -> list[WireForm]:
    """Every message's wire form, from the cache or by reading it (in a worker thread)."""
    cache = _WIRE_FORMS.setdefault(store, {}).setdefault(mailbox_id, {})
    forms = []
    for info in messages:
        key = (info.uidvalidity, info.uid)
        if key not in cache:
            cache[key] = wire_form(_stored_chunks(store, mailbox_id, info))
        forms.append(cache[key])
    return forms


def _forget_forms(store: Mailstore, mailbox_id: int, uids: Sequence[int]) -> None:
    cache = _WIRE_FORMS.get(store, {}).get(mailbox_id, {})
    removed = set(uids)
    for key in [key for key in cache if key[1] in removed]:
        del cache[key]


def _stored_chunks(store: Mailstore, mailbox_id: int, info: MessageInfo) -> Iterator[bytes]:
    for start in range(0, max(info.size, 1), SCAN_CHUNK_OCTETS):
        yield store.fetch(mailbox_id, info.uid, start=start, length=SCAN_CHUNK_OCTETS)
