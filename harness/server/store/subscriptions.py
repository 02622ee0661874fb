"""Subscriptions: the per-user list of "active" mailbox names (RFC 9051 §6.3.7-8).

A subscription is a name, not a mailbox: it lives in its own table so that it
outlives the mailbox. RFC 3501 §6.3.9: "The server MUST NOT unilaterally
remove an existing mailbox name from the subscription list even if a mailbox
by that name no longer exists" (RFC 9051 §6.3.7 keeps it as a SHOULD NOT).
For the same reason DELETE and RENAME leave the list alone; RFC 9051 §6.3.6:
"renaming a mailbox doesn't update subscription information on the original
name".
"""

from __future__ import annotations

import sqlite3

from harness.server.store.changes import ChangeLog
from harness.server.store.errors import NoSuchUser
from harness.server.store.mailboxes import normalize_name


def set_subscribed(
    conn: sqlite3.Connection, log: ChangeLog, *, user_id: int, name: str, subscribed: bool
) -> None:
    """SUBSCRIBE / UNSUBSCRIBE of any valid name, existing or not.

    RFC 9051 §6.3.7 makes checking that the mailbox exists a MAY, and both
    commands are idempotent: OK "if the mailbox is already subscribed"
    (§6.3.7), OK "if the mailbox is not subscribed" (§6.3.8).
    """
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise NoSuchUser(f"no user with id {user_id}")
    if subscribed:
        statement = "INSERT OR IGNORE INTO subscriptions (user_id, name) VALUES (?, ?)"
    else:
        statement = "DELETE FROM subscriptions WHERE user_id = ? AND name = ?"
    conn.execute(statement, (user_id, normalize_name(name)))


def list_subscriptions(conn: sqlite3.Connection, user_id: int) -> tuple[str, ...]:
    """The subscribed names, INBOX first, then by name (superiors before inferiors)."""
    rows = conn.execute(
        "SELECT name FROM subscriptions WHERE user_id = ? ORDER BY name != 'INBOX', name",
        (user_id,),
    )
    return tuple(row[0] for row in rows)
