"""The one durable write behind a 250: every local copy and the relay entry.

``commit_delivery`` is a store write operation (it runs in the store's writer
thread, inside that request's savepoint), so all of a transaction's mailbox
deliveries and its relay queue entry are committed together, by one fsync
shared with whatever else the group commit batched, or not at all. RFC 5321
§4.1.1.4: the 250 that follows means "the message has been delivered or
queued"; it is sent only after this returns.

Filing failures follow docs/filing-rules.md: a ``fileinto`` mailbox that is
missing is created (with its superiors); if the store refuses it (a bad
name, say), that recipient's script is abandoned and the message goes to
its INBOX without flags, as if it had no rules. Nothing is lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from harness.server.delivery.filing import Filing
from harness.server.sieve import INBOX, KEEP
from harness.server.store import Appended, QueuedMessage, RelayOptions, StoreError
from harness.server.store.changes import ChangeLog
from harness.server.store.mailboxes import create_mailbox, find_mailbox_by_name
from harness.server.store.messages import deliver
from harness.server.store.relay_queue import enqueue
from harness.server.store.users import find_inbox_id, find_user


@dataclass(frozen=True, slots=True)
class RelayRequest:
    """What goes into the outbound queue (see ``harness.server.delivery``)."""

    envelope_from: str  # "" is the null path
    recipients: tuple[str, ...]
    content: bytes
    options: RelayOptions | None = None  # BODY, SMTPUTF8 and the DSN parameters


@dataclass(frozen=True, slots=True)
class Committed:
    """What was written: one ``Appended`` per mailbox, the queue entry if any,
    and the accounts whose rules fell back to INBOX."""

    stored: tuple[Appended, ...]
    queued: QueuedMessage | None
    fallbacks: tuple[str, ...]


def commit_delivery(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    filings: Sequence[Filing],
    content: bytes,
    relay: RelayRequest | None,
) -> Committed:
    targets: dict[int, set[str]] = {}  # mailbox id -> flags: a mailbox gets one copy
    fallbacks: list[str] = []
    for filing in filings:
        if not _resolve(conn, log, filing, targets):
            fallbacks.append(filing.account)
    stored: list[Appended] = []
    for flags, mailbox_ids in _by_flags(targets).items():
        stored.extend(deliver(conn, log, mailbox_ids=mailbox_ids, content=content, flags=flags))
    queued = None
    if relay is not None:
        queued = enqueue(
            conn,
            log,
            envelope_from=relay.envelope_from,
            recipients=relay.recipients,
            content=relay.content,
            options=relay.options,
        )
    return Committed(tuple(stored), queued, tuple(fallbacks))


def _resolve(
    conn: sqlite3.Connection, log: ChangeLog, filing: Filing, targets: dict[int, set[str]]
) -> bool:
    """Add the account's mailboxes to ``targets``; False if it fell back to INBOX."""
    if filing.deliveries == KEEP.deliver_to:  # no rules: one lookup, nothing to undo
        inbox = find_inbox_id(conn, filing.account)
        if inbox is not None:
            targets.setdefault(inbox, set())
            return True
    user = find_user(conn, filing.account)
    if user is None:  # provisioned at startup, never deleted: a broken store
        raise StoreError(f"account {filing.account!r} has no user in the store")
    chosen: dict[int, set[str]] = {}
    conn.execute("SAVEPOINT filing")
    try:
        for delivery in filing.deliveries:
            mailbox_id = _mailbox_id(conn, log, user.id, delivery.mailbox)
            chosen.setdefault(mailbox_id, set()).update(delivery.flags)
    except StoreError:
        conn.execute("ROLLBACK TO filing")
        conn.execute("RELEASE filing")
        inbox = _mailbox_id(conn, log, user.id, INBOX)
        targets.setdefault(inbox, set())
        return False
    conn.execute("RELEASE filing")
    for mailbox_id, flags in chosen.items():
        targets.setdefault(mailbox_id, set()).update(flags)
    return True


def _mailbox_id(conn: sqlite3.Connection, log: ChangeLog, user_id: int, name: str) -> int:
    mailbox = find_mailbox_by_name(conn, user_id, name)
    if mailbox is None or not mailbox.selectable:
        mailbox = create_mailbox(conn, log, user_id=user_id, name=name)
    return mailbox.id


def _by_flags(targets: dict[int, set[str]]) -> dict[tuple[str, ...], list[int]]:
    """One store call per distinct flag set (the store sets one set per call)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for mailbox_id, flags in targets.items():
        groups.setdefault(tuple(sorted(flags)), []).append(mailbox_id)
    return groups
