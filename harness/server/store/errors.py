"""What can go wrong in the mail store, as exceptions the sessions can map.

Each error carries the IMAP response code (RFC 5530 / RFC 9051 §7.1) a session
should put in its tagged NO, so sessions never have to guess from a message.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error the store raises on purpose."""

    imap_code: str | None = None


class StoreClosed(StoreError):
    """The store was closed; no more reads or writes are accepted."""

    imap_code = "UNAVAILABLE"


class CommitFailed(StoreError):
    """The batch's COMMIT failed (disk full, I/O error): nothing was stored."""

    imap_code = "SERVERBUG"


class NoSuchUser(StoreError):
    """No user with that name (or id) exists."""


class UserExists(StoreError):
    """A user with that name already exists."""

    imap_code = "ALREADYEXISTS"


class InvalidAddress(StoreError):
    """A user name that is not a plain ``local@domain`` address."""


class NoSuchMailbox(StoreError):
    """The mailbox does not exist (or is not selectable where one must be)."""

    imap_code = "NONEXISTENT"


class MailboxExists(StoreError):
    """CREATE or RENAME onto a name that already exists."""

    imap_code = "ALREADYEXISTS"


class InvalidMailboxName(StoreError):
    """The name is empty, malformed, or not allowed for this operation."""

    imap_code = "CANNOT"


class MailboxHasChildren(StoreError):
    """RFC 3501 §6.3.4: a \\Noselect name with inferiors cannot be deleted."""

    imap_code = "HASCHILDREN"


class InvalidFlag(StoreError):
    """A flag that is neither a known system flag nor a valid keyword atom."""

    imap_code = "CANNOT"


class NoSuchMessage(StoreError):
    """No message with that UID in the mailbox."""

    imap_code = "NONEXISTENT"


class NoSuchQueueEntry(StoreError):
    """No relay queue entry with that id."""
