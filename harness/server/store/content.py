"""Message bytes, stored once per distinct content (keyed by SHA-256).

The bytes are kept exactly as received: no line-ending or charset changes,
so what a client fetches is what SMTP DATA or APPEND delivered.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable


def put_content(conn: sqlite3.Connection, data: bytes) -> int:
    """Store ``data`` unless identical bytes are already there; return its id."""
    digest = hashlib.sha256(data).digest()
    # New bytes are the common case: one statement inserts them; only a
    # duplicate (no row returned) costs a second to find the stored copy.
    row = conn.execute(
        """INSERT INTO contents (sha256, size, data) VALUES (?, ?, ?)
           ON CONFLICT (sha256) DO NOTHING RETURNING id""",
        (digest, len(data), data),
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM contents WHERE sha256 = ?", (digest,)).fetchone()
    return int(row[0])


def read_content(
    conn: sqlite3.Connection, content_id: int, start: int = 0, length: int | None = None
) -> bytes:
    """The content's bytes, or the slice [start, start+length) of them.

    SQLite's substr() counts bytes (1-based) on BLOBs, so a partial FETCH
    reads only the slice, not the whole message.
    """
    if start < 0 or (length is not None and length < 0):
        raise ValueError("start and length must not be negative")
    if length is None:
        row = conn.execute(
            "SELECT substr(data, ?) FROM contents WHERE id = ?", (start + 1, content_id)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT substr(data, ?, ?) FROM contents WHERE id = ?",
            (start + 1, length, content_id),
        ).fetchone()
    if row is None:
        raise LookupError(f"content {content_id} is missing")
    return bytes(row[0]) if row[0] is not None else b""


def drop_unreferenced(conn: sqlite3.Connection, content_ids: Iterable[int]) -> int:
    """Delete the given contents that no message and no queue entry uses any more."""
    dropped = 0
    for content_id in set(content_ids):
        cursor = conn.execute(
            """DELETE FROM contents WHERE id = :id
               AND NOT EXISTS (SELECT 1 FROM messages WHERE content_id = :id)
               AND NOT EXISTS (SELECT 1 FROM relay_queue WHERE content_id = :id)""",
            {"id": content_id},
        )
        dropped += cursor.rowcount
    return dropped
