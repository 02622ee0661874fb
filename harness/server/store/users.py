"""Users: the full address is the login name; credentials are opaque to the store.

Local parts are matched case-insensitively (``COLLATE NOCASE``), as every
mainstream server does for logins, though RFC 5321 §2.4 lets them differ.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from harness.server.store.changes import ChangeLog
from harness.server.store.errors import InvalidAddress, NoSuchUser, UserExists
from harness.server.store.mailboxes import create_default_mailboxes
from harness.server.store.models import Credentials, ScramCredentials, User

_USER_COLUMNS = (
    "id, name, domain, password_hash, scram_salt, scram_iterations,"
    " scram_stored_key, scram_server_key, cram_secret"
)


@lru_cache(maxsize=1024)  # every delivery looks its account up by name
def canonical_address(name: str) -> tuple[str, str]:
    """``Local@Domain`` -> ("Local@domain", "domain"); refuses anything else."""
    local, at, domain = name.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() or ord(ch) < 0x20 for ch in name):
        raise InvalidAddress(f"not a local@domain address: {name!r}")
    domain = domain.lower()
    return f"{local}@{domain}", domain


def _user_from_row(row: Any) -> User:
    scram = None
    if row[4] is not None:
        scram = ScramCredentials(
            salt=row[4], iterations=row[5], stored_key=row[6], server_key=row[7]
        )
    credentials = Credentials(password_hash=row[3], scram_sha256=scram, cram_secret=row[8])
    return User(id=row[0], name=row[1], domain=row[2], credentials=credentials)


def _credential_params(credentials: Credentials) -> dict[str, object]:
    scram = credentials.scram_sha256
    return {
        "password_hash": credentials.password_hash,
        "scram_salt": scram.salt if scram else None,
        "scram_iterations": scram.iterations if scram else None,
        "scram_stored_key": scram.stored_key if scram else None,
        "scram_server_key": scram.server_key if scram else None,
        "cram_secret": credentials.cram_secret,
    }


def create_user(
    conn: sqlite3.Connection,
    log: ChangeLog,
    *,
    name: str,
    credentials: Credentials = Credentials(),  # noqa: B008 - frozen, so sharing is safe
) -> User:
    """A new user with INBOX and the special-use mailboxes (RFC 6154)."""
    address, domain = canonical_address(name)
    if find_user(conn, address) is not None:
        raise UserExists(f"user {address!r} exists")
    cursor = conn.execute(
        """INSERT INTO users (name, domain, password_hash, scram_salt, scram_iterations,
                              scram_stored_key, scram_server_key, cram_secret)
           VALUES (:name, :domain, :password_hash, :scram_salt, :scram_iterations,
                   :scram_stored_key, :scram_server_key, :cram_secret)""",
        {"name": address, "domain": domain, **_credential_params(credentials)},
    )
    assert cursor.lastrowid is not None
    create_default_mailboxes(conn, cursor.lastrowid)
    return User(cursor.lastrowid, address, domain, credentials)


def set_credentials(
    conn: sqlite3.Connection, log: ChangeLog, *, user_id: int, credentials: Credentials
) -> User:
    cursor = conn.execute(
        """UPDATE users SET password_hash = :password_hash, scram_salt = :scram_salt,
               scram_iterations = :scram_iterations, scram_stored_key = :scram_stored_key,
               scram_server_key = :scram_server_key, cram_secret = :cram_secret
           WHERE id = :id""",
        {"id": user_id, **_credential_params(credentials)},
    )
    if cursor.rowcount == 0:
        raise NoSuchUser(f"no user with id {user_id}")
    return require_user_by_id(conn, user_id)


def find_user(conn: sqlite3.Connection, name: str) -> User | None:
    try:
        address, _ = canonical_address(name)
    except InvalidAddress:
        return None
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (address,)).fetchone()
    return None if row is None else _user_from_row(row)


def find_inbox_id(conn: sqlite3.Connection, user_name: str) -> int | None:
    """The id of an account's INBOX in one lookup (the delivery fast path), or
    None if the account or a selectable INBOX is missing."""
    try:
        address, _ = canonical_address(user_name)
    except InvalidAddress:
        return None
    row = conn.execute(
        """SELECT mailboxes.id FROM users JOIN mailboxes ON mailboxes.user_id = users.id
           WHERE users.name = ? AND mailboxes.name = 'INBOX' AND mailboxes.selectable""",
        (address,),
    ).fetchone()
    return None if row is None else int(row[0])


def require_user_by_id(conn: sqlite3.Connection, user_id: int) -> User:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NoSuchUser(f"no user with id {user_id}")
    return _user_from_row(row)


def list_users(conn: sqlite3.Connection) -> tuple[User, ...]:
    rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
    return tuple(_user_from_row(row) for row in rows)
