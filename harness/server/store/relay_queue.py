"""The outbound relay queue: messages accepted for remote recipients.

A relay worker claims due entries under a lease (so two workers never send
the same entry, and an entry claimed by a worker that died comes back when
the lease runs out), then completes them, or defers them with backoff. When
retries run out the entry turns FAILED and stays, with its content, until the
relay has sent the bounce and completes it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from harness.server.store.changes import ChangeLog
from harness.server.store.content import drop_unreferenced, put_content, read_content
from harness.server.store.errors import NoSuchQueueEntry
from harness.server.store.models import (
    QueuedMessage,
    QueueStatus,
    RecipientOptions,
    RelayOptions,
    RetryPolicy,
)

_QUEUE_COLUMNS = (
    "q.id, q.envelope_from, q.recipients, c.size, q.enqueued_at, q.next_attempt,"
    " q.attempts, q.last_error, q.status, q.options"
)
_FROM_QUEUE = "FROM relay_queue AS q JOIN contents AS c ON c.id = q.content_id"


def _entry_from_row(row: Any) -> QueuedMessage:
    return QueuedMessage(
        id=row[0],
        envelope_from=row[1],
        recipients=tuple(json.loads(row[2])),
        size=row[3],
        enqueued_at=row[4],
        next_attempt=row[5],
        attempts=row[6],
        last_error=row[7],
        status=QueueStatus(row[8]),
        options=options_from_json(row[9]),
    )


def options_to_json(options: RelayOptions) -> str:
    recipients = {
        recipient: {"notify": rcpt.notify, "orcpt": rcpt.orcpt}
        for recipient, rcpt in options.recipients.items()
    }
    document = {
        "body": options.body,
        "smtputf8": options.smtputf8,
        "ret": options.ret,
        "envid": options.envid,
        "recipients": recipients,
    }
    return json.dumps(document, separators=(",", ":"))


def options_from_json(text: str) -> RelayOptions:
    document = json.loads(text)
    recipients = {
        recipient: RecipientOptions(
            notify=None if rcpt.get("notify") is None else tuple(rcpt["notify"]),
            orcpt=None if rcpt.get("orcpt") is None else (rcpt["orcpt"][0], rcpt["orcpt"][1]),
        )
        for recipient, rcpt in document.get("recipients", {}).items()
    }
    return RelayOptions(
        body=document.get("body"),
        smtputf8=bool(document.get("smtputf8", False)),
        ret=document.get("ret"),
        envid=document.get("envid"),
        recipients=recipients,
    )


def get_queue_entry(conn: sqlite3.Connection, entry_id: int) -> QueuedMessage:
    row = conn.execute(f"SELECT {_QUEUE_COLUMNS} {_FROM_QUEUE} WHERE q.id = ?", (entry_id,))
    found = row.fetchone()
    if found is None:
        raise NoSuchQueueEntry(f"no relay queue entry {entry_id}")
    return _entry_from_row(found)


def list_queue(conn: sqlite3.Connection) -> tuple[QueuedMessage, ...]:
    rows = conn.execute(f"SELECT {_QUEUE_COLUMNS} {_FROM_QUEUE} ORDER BY q.next_attempt, q.id")
    return tuple(_entry_from_row(row) for row in rows)


def queue_content(conn: sqlite3.Connection, entry_id: int) -> bytes:
    row = conn.execute("SELECT content_id FROM relay_queue WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise NoSuchQueueEntry(f"no relay queue entry {entry_id}")
    return read_content(conn, row[0])


def enqueue(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    envelope_from: str,
    recipients: Sequence[str],
    content: bytes,
    not_before: float | None = None,
    options: RelayOptions | None = None,
) -> QueuedMessage:
    """Queue ``content`` for ``recipients``; ``options`` carries the envelope
    parameters (BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT) to the next hop."""
    if not recipients:
        raise ValueError("a relay queue entry needs at least one recipient")
    now = time.time()
    cursor = conn.execute(
        """INSERT INTO relay_queue (envelope_from, recipients, content_id, enqueued_at,
                                    next_attempt, options)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            envelope_from,
            json.dumps(list(recipients)),
            put_content(conn, content),
            now,
            now if not_before is None else not_before,
            options_to_json(options or RelayOptions()),
        ),
    )
    assert cursor.lastrowid is not None
    return get_queue_entry(conn, cursor.lastrowid)


def claim_due(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    now: float,
    limit: int,
    lease_seconds: float,
) -> tuple[QueuedMessage, ...]:
    """Lease up to ``limit`` queued entries due at ``now`` that no live lease holds."""
    rows = conn.execute(
        """UPDATE relay_queue SET lease_until = :lease
           WHERE id IN (SELECT id FROM relay_queue
                        WHERE status = 'queued' AND next_attempt <= :now
                          AND (lease_until IS NULL OR lease_until <= :now)
                        ORDER BY next_attempt, id LIMIT :limit)
           RETURNING id""",
        {"lease": now + lease_seconds, "now": now, "limit": limit},
    ).fetchall()
    entries = [get_queue_entry(conn, row[0]) for row in rows]
    return tuple(sorted(entries, key=lambda entry: (entry.next_attempt, entry.id)))


def release_leases(conn: sqlite3.Connection, log: ChangeLog) -> int:
    """Drop every lease: for a relay starting up, whose predecessor in this data
    directory stopped mid-attempt. Returns how many entries were leased."""
    return conn.execute(
        "UPDATE relay_queue SET lease_until = NULL WHERE lease_until IS NOT NULL"
    ).rowcount


def complete(conn: sqlite3.Connection, log: ChangeLog, *, entry_id: int) -> None:
    """Delivered (or bounced): drop the entry, and its content if nothing else uses it."""
    row = conn.execute(
        "DELETE FROM relay_queue WHERE id = ? RETURNING content_id", (entry_id,)
    ).fetchone()
    if row is None:
        raise NoSuchQueueEntry(f"no relay queue entry {entry_id}")
    drop_unreferenced(conn, [row[0]])


def defer(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    entry_id: int,
    error: str,
    now: float,
    policy: RetryPolicy,
    remaining_recipients: Sequence[str] | None = None,
) -> QueuedMessage:
    """A failed attempt: retry later with backoff, or FAILED once attempts run out.

    ``remaining_recipients`` narrows the entry to the recipients still owed a
    delivery (the others were accepted or rejected permanently on this attempt).
    """
    entry = get_queue_entry(conn, entry_id)
    attempts = entry.attempts + 1
    exhausted = attempts >= policy.max_attempts
    recipients = entry.recipients if remaining_recipients is None else remaining_recipients
    conn.execute(
        """UPDATE relay_queue SET attempts = ?, last_error = ?, next_attempt = ?, status = ?,
               recipients = ?, lease_until = NULL WHERE id = ?""",
        (
            attempts,
            error,
            now + policy.delay(attempts),
            (QueueStatus.FAILED if exhausted else QueueStatus.QUEUED).value,
            json.dumps(list(recipients)),
            entry_id,
        ),
    )
    return get_queue_entry(conn, entry_id)
