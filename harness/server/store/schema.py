"""The SQLite schema and how connections to it are opened.

Durability choice: WAL mode with ``synchronous=FULL``. In WAL mode FULL makes
every COMMIT fsync the write-ahead log before it returns, so a commit that
returned survives SIGKILL and power loss (as far as the disk honours fsync).
``synchronous=NORMAL`` would only fsync at checkpoints: a SIGKILL is still
safe (the WAL is in the OS page cache), but a power cut may lose the last
commits, and an SMTP 250 must never be taken back. The price of FULL is one
fsync per commit, which the group-commit writer amortises over every request
that queued up while the previous fsync ran.

Message content lives in ``contents``, content-addressed by SHA-256, so a
message delivered to many mailboxes or copied is stored once; ``messages`` and
``relay_queue`` rows reference it, and unreferenced content is deleted in the
same transaction that dropped its last reference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

SCHEMA_VERSION = 3

_TABLES = """
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    domain           TEXT NOT NULL COLLATE NOCASE,
    password_hash    TEXT,
    scram_salt       BLOB,
    scram_iterations INTEGER,
    scram_stored_key BLOB,
    scram_server_key BLOB,
    cram_secret      TEXT
);
CREATE TABLE IF NOT EXISTS mailboxes (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    special_use   TEXT,
    selectable    INTEGER NOT NULL DEFAULT 1,
    uidvalidity   INTEGER NOT NULL,
    uidnext       INTEGER NOT NULL DEFAULT 1,
    highestmodseq INTEGER NOT NULL DEFAULT 1,
    UNIQUE (user_id, name)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id),
    name    TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contents (
    id     INTEGER PRIMARY KEY,
    sha256 BLOB NOT NULL UNIQUE,
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id),
    uid           INTEGER NOT NULL,
    content_id    INTEGER NOT NULL REFERENCES contents(id),
    size          INTEGER NOT NULL,
    internal_date TEXT NOT NULL,
    system_flags  INTEGER NOT NULL DEFAULT 0,
    keywords      TEXT NOT NULL DEFAULT '',
    recent        INTEGER NOT NULL DEFAULT 1,
    modseq        INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_modseq ON messages (mailbox_id, modseq);
CREATE INDEX IF NOT EXISTS messages_by_content ON messages (content_id);
CREATE TABLE IF NOT EXISTS vanished (
    mailbox_id INTEGER NOT NULL,
    uid        INTEGER NOT NULL,
    modseq     INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relay_queue (
    id            INTEGER PRIMARY KEY,
    envelope_from TEXT NOT NULL,
    recipients    TEXT NOT NULL,
    content_id    INTEGER NOT NULL REFERENCES contents(id),
    enqueued_at   REAL NOT NULL,
    next_attempt  REAL NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    status        TEXT NOT NULL DEFAULT 'queued',
    lease_until   REAL,
    options       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS relay_queue_due ON relay_queue (status, next_attempt);
CREATE INDEX IF NOT EXISTS relay_queue_by_content ON relay_queue (content_id);
"""


def _subscriptions_outlive_mailboxes(conn: sqlite3.Connection) -> None:
    """3: subscriptions move from a mailbox column to a table of names, so a
    subscription survives DELETE (RFC 3501 §6.3.9). _TABLES has made the table."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(mailboxes)")}
    if "subscribed" not in columns:  # the mailboxes table was only just created
        return
    conn.execute(
        """INSERT OR IGNORE INTO subscriptions (user_id, name)
           SELECT user_id, name FROM mailboxes WHERE subscribed"""
    )
    conn.execute("ALTER TABLE mailboxes DROP COLUMN subscribed")


# _UPGRADES[n - 1] takes a version-n store to version n + 1, after _TABLES has
# created any table that is new. A new store gets every column from _TABLES;
# an empty one (version 0) skips the upgrades too.
_UPGRADES: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    # 2: the relay queue keeps the envelope parameters (BODY, RET, ENVID, NOTIFY...)
    "ALTER TABLE relay_queue ADD COLUMN options TEXT NOT NULL DEFAULT '{}'",
    _subscriptions_outlive_mailboxes,
)
assert len(_UPGRADES) == SCHEMA_VERSION - 1

# A writer waiting on a lock held by a crashed-and-recovering process, or a
# reader meeting a checkpoint, should wait rather than fail at once.
_BUSY_TIMEOUT_MS = 10_000


def open_writer_connection(path: Path) -> sqlite3.Connection:
    """The one connection that writes; creates or upgrades the schema."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    _create_schema(conn)
    return conn


def open_reader_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection; the pool hands it to one thread at a time."""
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    conn.execute("PRAGMA query_only = ON")
    return conn


def _create_schema(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"store schema {version} is newer than this code ({SCHEMA_VERSION})")
    if version == SCHEMA_VERSION:
        return
    # executescript() would commit first; one statement at a time keeps the
    # whole schema in one transaction, so a crash never leaves half of it.
    conn.execute("BEGIN IMMEDIATE")
    for statement in _TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)
    for upgrade in _UPGRADES[version - 1 :] if version else ():
        if isinstance(upgrade, str):
            conn.execute(upgrade)
        else:
            upgrade(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")
