"""Read operations on messages and mailbox status.

Each runs on a reader connection inside one read transaction, so a listing
and the mailbox counters it is reported with come from the same snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from harness.server.store.content import read_content
from harness.server.store.errors import NoSuchMessage
from harness.server.store.flags import SEEN, decode_flags
from harness.server.store.mailbox_state import require_mailbox
from harness.server.store.messages import IN_UIDS, uid_array
from harness.server.store.models import MailboxSnapshot, MailboxStatus, MessageInfo

_MESSAGE_COLUMNS = "uid, system_flags, keywords, size, modseq, internal_date, recent"


def _message_from_row(row: Any, uidvalidity: int) -> MessageInfo:
    uid, bits, keywords, size, modseq, internal_date, recent = row
    return MessageInfo(
        uid=uid,
        flags=decode_flags(bits, keywords),
        size=size,
        modseq=modseq,
        internal_date=datetime.fromisoformat(internal_date),
        recent=bool(recent),
        uidvalidity=uidvalidity,
    )


def _messages_where(
    conn: sqlite3.Connection, mailbox_id: int, condition: str, params: dict[str, object]
) -> tuple[MessageInfo, ...]:
    uidvalidity = require_mailbox(conn, mailbox_id).uidvalidity
    rows = conn.execute(
        f"""SELECT {_MESSAGE_COLUMNS} FROM messages
            WHERE mailbox_id = :mailbox AND {condition} ORDER BY uid""",
        {"mailbox": mailbox_id, **params},
    )
    return tuple(_message_from_row(row, uidvalidity) for row in rows)


def list_messages(conn: sqlite3.Connection, mailbox_id: int) -> tuple[MessageInfo, ...]:
    """Every message of the mailbox in UID order."""
    return _messages_where(conn, mailbox_id, "1", {})


def get_messages(
    conn: sqlite3.Connection, mailbox_id: int, uids: Iterable[int]
) -> tuple[MessageInfo, ...]:
    """The messages with these UIDs (missing ones are skipped), in UID order."""
    return _messages_where(conn, mailbox_id, IN_UIDS, {"uids": uid_array(uids)})


def mailbox_snapshot(conn: sqlite3.Connection, mailbox_id: int) -> MailboxSnapshot:
    return MailboxSnapshot(require_mailbox(conn, mailbox_id), list_messages(conn, mailbox_id))


def changed_since(
    conn: sqlite3.Connection, mailbox_id: int, modseq: int
) -> tuple[MessageInfo, ...]:
    """CHANGEDSINCE (RFC 7162 §3.1.4): messages whose modseq is above ``modseq``."""
    return _messages_where(conn, mailbox_id, "modseq > :since", {"since": modseq})


def vanished_since(conn: sqlite3.Connection, mailbox_id: int, modseq: int) -> tuple[int, ...]:
    """UIDs expunged after ``modseq`` (RFC 7162 §3.2.10 VANISHED (EARLIER))."""
    require_mailbox(conn, mailbox_id)
    rows = conn.execute(
        "SELECT uid FROM vanished WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
        (mailbox_id, modseq),
    )
    return tuple(row[0] for row in rows)


def fetch_content(
    conn: sqlite3.Connection,
    mailbox_id: int,
    uid: int,
    start: int = 0,
    length: int | None = None,
) -> bytes:
    """The message's bytes exactly as delivered, or a byte range of them."""
    row = conn.execute(
        "SELECT content_id FROM messages WHERE mailbox_id = ? AND uid = ?", (mailbox_id, uid)
    ).fetchone()
    if row is None:
        raise NoSuchMessage(f"no message with UID {uid} in mailbox {mailbox_id}")
    return read_content(conn, row[0], start, length)


def fetch_contents(
    conn: sqlite3.Connection, mailbox_id: int, uids: Iterable[int]
) -> dict[int, bytes]:
    """Many messages' bytes in one query (a FETCH over a range); UIDs not in
    the mailbox are left out."""
    rows = conn.execute(
        f"""SELECT uid, data FROM messages JOIN contents ON contents.id = content_id
            WHERE mailbox_id = :mailbox AND {IN_UIDS}""",
        {"mailbox": mailbox_id, "uids": uid_array(uids)},
    )
    return {uid: bytes(data) for uid, data in rows}


def mailbox_status(conn: sqlite3.Connection, mailbox_id: int) -> MailboxStatus:
    mailbox = require_mailbox(conn, mailbox_id)
    messages, recent, unseen, size = conn.execute(
        """SELECT count(*), coalesce(sum(recent), 0),
                  coalesce(sum((system_flags & :seen) = 0), 0), coalesce(sum(size), 0)
           FROM messages WHERE mailbox_id = :mailbox""",
        {"seen": SEEN, "mailbox": mailbox_id},
    ).fetchone()
    return MailboxStatus(
        messages=messages,
        recent=recent,
        unseen=unseen,
        uidnext=mailbox.uidnext,
        uidvalidity=mailbox.uidvalidity,
        highestmodseq=mailbox.highestmodseq,
        size=size,
    )
