"""A mailbox's counters: UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ.

RFC 3501 §2.3.1.1: UIDs strictly ascend and are never reused; a new
UIDVALIDITY must be issued whenever a name is (re)created, so UIDVALIDITY
comes from a store-wide counter that only grows. RFC 7162 §3.1: every change
to a message's metadata gets a mod-sequence higher than any before it in the
mailbox; one operation gives all the messages it changes the same new value.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from harness.server.store.errors import NoSuchMailbox
from harness.server.store.models import Mailbox

MAILBOX_COLUMNS = "id, user_id, name, special_use, selectable, uidvalidity, uidnext, highestmodseq"


def mailbox_from_row(row: Any) -> Mailbox:
    return Mailbox(
        id=row[0],
        user_id=row[1],
        name=row[2],
        special_use=row[3],
        selectable=bool(row[4]),
        uidvalidity=row[5],
        uidnext=row[6],
        highestmodseq=row[7],
    )


def find_mailbox(conn: sqlite3.Connection, mailbox_id: int) -> Mailbox | None:
    row = conn.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE id = ?", (mailbox_id,)
    ).fetchone()
    return None if row is None else mailbox_from_row(row)


def require_mailbox(conn: sqlite3.Connection, mailbox_id: int) -> Mailbox:
    mailbox = find_mailbox(conn, mailbox_id)
    if mailbox is None:
        raise NoSuchMailbox(f"no mailbox with id {mailbox_id}")
    return mailbox


def require_selectable(conn: sqlite3.Connection, mailbox_id: int) -> Mailbox:
    mailbox = require_mailbox(conn, mailbox_id)
    if not mailbox.selectable:
        raise NoSuchMailbox(f"mailbox {mailbox.name!r} holds no messages (\\Noselect)")
    return mailbox


def allocate_uids(conn: sqlite3.Connection, mailbox_id: int, count: int) -> tuple[int, int, int]:
    """Reserve ``count`` UIDs and one new modseq: (first uid, modseq, uidvalidity)."""
    row = conn.execute(
        """UPDATE mailboxes SET uidnext = uidnext + :count, highestmodseq = highestmodseq + 1
           WHERE id = :id AND selectable
           RETURNING uidnext - :count, highestmodseq, uidvalidity""",
        {"count": count, "id": mailbox_id},
    ).fetchone()
    if row is None:
        require_selectable(conn, mailbox_id)  # raises the precise reason
        raise NoSuchMailbox(f"no mailbox with id {mailbox_id}")
    return int(row[0]), int(row[1]), int(row[2])


def next_modseq(conn: sqlite3.Connection, mailbox_id: int) -> int:
    row = conn.execute(
        """UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ?
           RETURNING highestmodseq""",
        (mailbox_id,),
    ).fetchone()
    if row is None:
        raise NoSuchMailbox(f"no mailbox with id {mailbox_id}")
    return int(row[0])


def new_uidvalidity(conn: sqlite3.Connection) -> int:
    """A UIDVALIDITY never issued before by this store (time-based when possible).

    Starting from the clock keeps values distinct from an older store at the
    same path that was deleted and recreated; the counter keeps them distinct
    when the clock stands still or steps back.
    """
    row = conn.execute("SELECT value FROM counters WHERE name = 'uidvalidity'").fetchone()
    last = 0 if row is None else int(row[0])
    value = max(last + 1, int(time.time()))
    conn.execute(
        """INSERT INTO counters (name, value) VALUES ('uidvalidity', :value)
           ON CONFLICT (name) DO UPDATE SET value = :value""",
        {"value": value},
    )
    return value
