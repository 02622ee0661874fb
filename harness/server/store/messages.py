"""Write operations on messages: deliver/APPEND, STORE, COPY, MOVE, EXPUNGE.

Each function runs inside the writer's transaction (under the request's
savepoint) and records what it changed in the ChangeLog; it is atomic as a
whole because a raised error rolls the savepoint back.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from harness.server.store.changes import ChangeLog
from harness.server.store.content import drop_unreferenced, put_content
from harness.server.store.flags import (
    DELETED,
    apply_flag_operation,
    canonical_flags,
    decode_flags,
    encode_flags,
)
from harness.server.store.mailbox_state import allocate_uids, next_modseq, require_selectable
from harness.server.store.models import (
    Appended,
    CopyResult,
    ExpungeResult,
    FlagOperation,
    FlagUpdate,
    StoreFlagsResult,
)

# json_each() turns one bound JSON array into a set of UIDs: no limit on the
# number of SQL variables, and one cached statement whatever the set's size.
IN_UIDS = "uid IN (SELECT value FROM json_each(:uids))"


def uid_array(uids: Iterable[int]) -> str:
    return json.dumps(sorted(set(uids)))


def internal_date_text(internal_date: datetime | None) -> str:
    """RFC 3501 INTERNALDATE has a zone, so a naive datetime is refused."""
    if internal_date is None:
        return _utc_second_text(int(time.time()))
    if internal_date.tzinfo is None:
        raise ValueError("internal_date must be timezone-aware")
    return internal_date.isoformat()


@lru_cache(maxsize=2)  # a batch of deliveries shares its second: format it once
def _utc_second_text(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).isoformat()


def deliver(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    mailbox_ids: Sequence[int],
    content: bytes,
    flags: Iterable[str] = (),
    internal_date: datetime | None = None,
) -> tuple[Appended, ...]:
    """Add one message to each mailbox, all or none; the bytes are stored once."""
    if not mailbox_ids:
        raise ValueError("deliver needs at least one mailbox")
    bits, keywords = encode_flags(canonical_flags(flags))
    date = internal_date_text(internal_date)
    content_id = put_content(conn, content)
    appended = []
    for mailbox_id in mailbox_ids:
        uid, modseq, uidvalidity = allocate_uids(conn, mailbox_id, 1)
        conn.execute(
            """INSERT INTO messages (mailbox_id, uid, content_id, size, internal_date,
                                     system_flags, keywords, recent, modseq)
               VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)""",
            (mailbox_id, uid, content_id, len(content), date, bits, keywords, modseq),
        )
        log.appended(mailbox_id, [uid], modseq)
        appended.append(Appended(mailbox_id, uidvalidity, uid, modseq))
    return tuple(appended)


def store_flags(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    mailbox_id: int,
    uids: Iterable[int],
    operation: FlagOperation,
    flags: Iterable[str],
    unchanged_since: int | None = None,
) -> StoreFlagsResult:
    """STORE (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3)."""
    mailbox = require_selectable(conn, mailbox_id)
    operand = canonical_flags(flags)
    rows = conn.execute(
        f"""SELECT uid, system_flags, keywords, modseq FROM messages
            WHERE mailbox_id = :mailbox AND {IN_UIDS} ORDER BY uid""",
        {"mailbox": mailbox_id, "uids": uid_array(uids)},
    ).fetchall()
    modified: list[int] = []
    updated: list[FlagUpdate] = []
    new_modseq: int | None = None
    for uid, bits, keywords, modseq in rows:
        if unchanged_since is not None and modseq > unchanged_since:
            modified.append(uid)
            continue
        current = decode_flags(bits, keywords)
        after = apply_flag_operation(current, operation, operand)
        if after == current:
            updated.append(FlagUpdate(uid, current, modseq, changed=False))
            continue
        if new_modseq is None:
            new_modseq = next_modseq(conn, mailbox_id)
        _write_flags(conn, mailbox_id, uid, after, new_modseq)
        updated.append(FlagUpdate(uid, after, new_modseq, changed=True))
    if new_modseq is not None:
        log.flags_changed(mailbox_id, [u for u in updated if u.changed], new_modseq)
    return StoreFlagsResult(tuple(updated), tuple(modified), new_modseq or mailbox.highestmodseq)


def _write_flags(
    conn: sqlite3.Connection, mailbox_id: int, uid: int, flags: frozenset[str], modseq: int
) -> None:
    bits, keywords = encode_flags(flags)
    conn.execute(
        """UPDATE messages SET system_flags = ?, keywords = ?, modseq = ?
           WHERE mailbox_id = ? AND uid = ?""",
        (bits, keywords, modseq, mailbox_id, uid),
    )


def copy_messages(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    source_id: int,
    uids: Iterable[int],
    destination_id: int,
) -> CopyResult:
    """COPY (RFC 3501 §6.4.7): flags and internal date kept, new UIDs in UID order."""
    require_selectable(conn, source_id)
    destination = require_selectable(conn, destination_id)
    rows = conn.execute(
        f"""SELECT uid, content_id, size, internal_date, system_flags, keywords FROM messages
            WHERE mailbox_id = :mailbox AND {IN_UIDS} ORDER BY uid""",
        {"mailbox": source_id, "uids": uid_array(uids)},
    ).fetchall()
    if not rows:
        return CopyResult(destination.uidvalidity, (), ())
    first_uid, modseq, uidvalidity = allocate_uids(conn, destination_id, len(rows))
    new_uids = tuple(range(first_uid, first_uid + len(rows)))
    conn.executemany(
        """INSERT INTO messages (mailbox_id, uid, content_id, size, internal_date,
                                 system_flags, keywords, recent, modseq)
           VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)""",
        [
            (destination_id, new_uid, *row[1:], modseq)
            for new_uid, row in zip(new_uids, rows, strict=True)
        ],
    )
    log.appended(destination_id, new_uids, modseq)
    return CopyResult(uidvalidity, tuple(row[0] for row in rows), new_uids)


def move_messages(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    source_id: int,
    uids: Iterable[int],
    destination_id: int,
) -> CopyResult:
    """MOVE (RFC 6851): a copy and an expunge of the source messages, atomically."""
    copied = copy_messages(conn, log, source_id=source_id, uids=uids, destination_id=destination_id)
    if copied.source_uids:
        remove_messages(conn, log, source_id, copied.source_uids)
    return copied


def expunge(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    mailbox_id: int,
    uids: Iterable[int] | None = None,
) -> ExpungeResult:
    """EXPUNGE every \\Deleted message, or (UID EXPUNGE, RFC 4315) those among ``uids``."""
    mailbox = require_selectable(conn, mailbox_id)
    query = "SELECT uid FROM messages WHERE mailbox_id = :mailbox AND system_flags & :deleted"
    params: dict[str, object] = {"mailbox": mailbox_id, "deleted": DELETED}
    if uids is not None:
        query += f" AND {IN_UIDS}"
        params["uids"] = uid_array(uids)
    doomed = tuple(row[0] for row in conn.execute(query + " ORDER BY uid", params))
    if not doomed:
        return ExpungeResult((), mailbox.highestmodseq)
    return ExpungeResult(doomed, remove_messages(conn, log, mailbox_id, doomed))


def remove_messages(
    conn: sqlite3.Connection, log: ChangeLog, mailbox_id: int, uids: Sequence[int]
) -> int:
    """Delete the messages, remember them as vanished (QRESYNC), free their content."""
    modseq = next_modseq(conn, mailbox_id)
    removed = conn.execute(
        f"""DELETE FROM messages WHERE mailbox_id = :mailbox AND {IN_UIDS}
            RETURNING uid, content_id""",
        {"mailbox": mailbox_id, "uids": uid_array(uids)},
    ).fetchall()
    conn.executemany(
        "INSERT OR REPLACE INTO vanished (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
        [(mailbox_id, uid, modseq) for uid, _ in removed],
    )
    drop_unreferenced(conn, (content_id for _, content_id in removed))
    log.expunged(mailbox_id, sorted(uid for uid, _ in removed), modseq)
    return modseq


def claim_recent(conn: sqlite3.Connection, log: ChangeLog, *, mailbox_id: int) -> tuple[int, ...]:
    """Take the \\Recent UIDs for one session (RFC 3501 §2.3.2) and clear them."""
    require_selectable(conn, mailbox_id)
    rows = conn.execute(
        "UPDATE messages SET recent = 0 WHERE mailbox_id = ? AND recent RETURNING uid",
        (mailbox_id,),
    ).fetchall()
    return tuple(sorted(row[0] for row in rows))
