"""Mailboxes: CREATE, DELETE, RENAME and listing (RFC 3501 §6.3).

Names are hierarchical with "/" as the delimiter. Every superior of a
mailbox exists as a row (CREATE makes missing superiors, as §6.3.3 says a
server SHOULD; DELETE of a name with inferiors only empties it and marks it
\\Noselect, §6.3.4), so "does this name have children" is one query and a
rename can move a whole subtree with one UPDATE. Subscriptions are names, not
mailboxes, and live apart (``subscriptions``).
"""

from __future__ import annotations

import sqlite3

from harness.server.store.changes import ChangeLog
from harness.server.store.content import drop_unreferenced
from harness.server.store.errors import (
    InvalidMailboxName,
    MailboxExists,
    MailboxHasChildren,
    NoSuchMailbox,
    NoSuchUser,
)
from harness.server.store.mailbox_state import (
    MAILBOX_COLUMNS,
    mailbox_from_row,
    new_uidvalidity,
    require_mailbox,
)
from harness.server.store.messages import move_messages
from harness.server.store.models import Mailbox

DELIMITER = "/"
INBOX = "INBOX"

# RFC 6154 special-use mailboxes every new user gets, subscribed, beside INBOX.
DEFAULT_MAILBOXES: tuple[tuple[str, str | None], ...] = (
    (INBOX, None),
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
)


def normalize_name(name: str) -> str:
    """Validate a mailbox name; INBOX (and an INBOX/ prefix) in upper case.

    RFC 3501 §5.1: "The case-insensitive mailbox name INBOX is a special name
    reserved to mean 'the primary mailbox for this user on this server'."
    """
    parts = name.split(DELIMITER)
    if any(not part for part in parts):
        raise InvalidMailboxName(f"empty hierarchy level in {name!r}")
    if any(ch in "*%" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise InvalidMailboxName(f"wildcard or control character in {name!r}")
    if parts[0].upper() == INBOX:
        parts[0] = INBOX
    return DELIMITER.join(parts)


def superiors(name: str) -> list[str]:
    """ "a/b/c" -> ["a", "a/b"]."""
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:depth]) for depth in range(1, len(parts))]


def find_mailbox_by_name(conn: sqlite3.Connection, user_id: int, name: str) -> Mailbox | None:
    row = conn.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE user_id = ? AND name = ?",
        (user_id, normalize_name(name)),
    ).fetchone()
    return None if row is None else mailbox_from_row(row)


def require_mailbox_by_name(conn: sqlite3.Connection, user_id: int, name: str) -> Mailbox:
    mailbox = find_mailbox_by_name(conn, user_id, name)
    if mailbox is None:
        raise NoSuchMailbox(f"no mailbox named {name!r}")
    return mailbox


def list_mailboxes(conn: sqlite3.Connection, user_id: int) -> tuple[Mailbox, ...]:
    """The user's mailboxes, INBOX first, then by name (superiors before inferiors)."""
    rows = conn.execute(
        f"""SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE user_id = ?
            ORDER BY name != 'INBOX', name""",
        (user_id,),
    )
    return tuple(mailbox_from_row(row) for row in rows)


def _insert_mailbox(
    conn: sqlite3.Connection, user_id: int, name: str, special_use: str | None
) -> None:
    conn.execute(
        """INSERT INTO mailboxes (user_id, name, special_use, uidvalidity)
           VALUES (?, ?, ?, ?)""",
        (user_id, name, special_use, new_uidvalidity(conn)),
    )


def create_default_mailboxes(conn: sqlite3.Connection, user_id: int) -> None:
    """The defaults, each subscribed so that clients listing LSUB see them."""
    for name, special_use in DEFAULT_MAILBOXES:
        _insert_mailbox(conn, user_id, name, special_use)
        conn.execute("INSERT INTO subscriptions (user_id, name) VALUES (?, ?)", (user_id, name))


def create_mailbox(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    user_id: int,
    name: str,
    special_use: str | None = None,
) -> Mailbox:
    """CREATE (RFC 3501 §6.3.3), making missing superiors; revives a \\Noselect name."""
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise NoSuchUser(f"no user with id {user_id}")
    name = normalize_name(name)
    existing = find_mailbox_by_name(conn, user_id, name)
    if existing is not None and existing.selectable:
        raise MailboxExists(f"mailbox {name!r} exists")
    for superior in superiors(name):
        if find_mailbox_by_name(conn, user_id, superior) is None:
            _insert_mailbox(conn, user_id, superior, None)
    if existing is None:
        _insert_mailbox(conn, user_id, name, special_use)
    else:  # a fresh mailbox under an old name: new UIDVALIDITY, UIDs from 1
        conn.execute(
            """UPDATE mailboxes SET selectable = 1, special_use = ?, uidvalidity = ?,
                   uidnext = 1, highestmodseq = 1 WHERE id = ?""",
            (special_use, new_uidvalidity(conn), existing.id),
        )
    return require_mailbox_by_name(conn, user_id, name)


def _has_inferiors(conn: sqlite3.Connection, user_id: int, name: str) -> bool:
    prefix = name + DELIMITER
    row = conn.execute(
        "SELECT 1 FROM mailboxes WHERE user_id = ? AND substr(name, 1, ?) = ? LIMIT 1",
        (user_id, len(prefix), prefix),
    ).fetchone()
    return row is not None


def _purge_messages(conn: sqlite3.Connection, mailbox_id: int) -> None:
    removed = conn.execute(
        "DELETE FROM messages WHERE mailbox_id = ? RETURNING content_id", (mailbox_id,)
    ).fetchall()
    conn.execute("DELETE FROM vanished WHERE mailbox_id = ?", (mailbox_id,))
    drop_unreferenced(conn, (row[0] for row in removed))


def delete_mailbox(conn: sqlite3.Connection, log: ChangeLog, *, user_id: int, name: str) -> None:
    """DELETE (RFC 3501 §6.3.4); with inferiors the name stays as \\Noselect."""
    mailbox = require_mailbox_by_name(conn, user_id, name)
    if mailbox.name == INBOX:
        raise InvalidMailboxName("INBOX cannot be deleted")
    has_inferiors = _has_inferiors(conn, user_id, mailbox.name)
    if has_inferiors and not mailbox.selectable:
        raise MailboxHasChildren(f"{mailbox.name!r} is \\Noselect and has inferiors")
    _purge_messages(conn, mailbox.id)
    if has_inferiors:
        conn.execute("UPDATE mailboxes SET selectable = 0 WHERE id = ?", (mailbox.id,))
    else:
        conn.execute("DELETE FROM mailboxes WHERE id = ?", (mailbox.id,))
    log.mailbox_deleted(mailbox.id)


def rename_mailbox(
    conn: sqlite3.Connection, log: ChangeLog, *, user_id: int, old: str, new: str
) -> Mailbox:
    """RENAME (RFC 3501 §6.3.5): the mailbox and all its inferiors move.

    Renaming INBOX is special: its messages move to a new mailbox with the new
    name and INBOX stays, empty; INBOX's inferiors do not move.
    """
    source = require_mailbox_by_name(conn, user_id, old)
    target = normalize_name(new)
    if find_mailbox_by_name(conn, user_id, target) is not None:
        raise MailboxExists(f"mailbox {target!r} exists")
    if target.startswith(source.name + DELIMITER):
        raise InvalidMailboxName(f"cannot move {source.name!r} under itself")
    if source.name == INBOX:
        return _rename_inbox(conn, log, source, target)
    for superior in superiors(target):
        if find_mailbox_by_name(conn, user_id, superior) is None:
            _insert_mailbox(conn, user_id, superior, None)
    prefix = source.name + DELIMITER
    conn.execute(
        """UPDATE mailboxes SET name = :new || substr(name, :cut)
           WHERE user_id = :user AND (name = :old OR substr(name, 1, :plen) = :prefix)""",
        {
            "new": target,
            "cut": len(source.name) + 1,
            "user": user_id,
            "old": source.name,
            "plen": len(prefix),
            "prefix": prefix,
        },
    )
    return require_mailbox(conn, source.id)


def _rename_inbox(conn: sqlite3.Connection, log: ChangeLog, inbox: Mailbox, target: str) -> Mailbox:
    created = create_mailbox(conn, log, user_id=inbox.user_id, name=target)
    uids = [
        row[0] for row in conn.execute("SELECT uid FROM messages WHERE mailbox_id = ?", (inbox.id,))
    ]
    move_messages(conn, log, source_id=inbox.id, uids=uids, destination_id=created.id)
    return require_mailbox(conn, created.id)
