"""The small frozen values the store hands out; sessions never see SQL rows.

Flags are ``frozenset[str]`` in their canonical spelling (system flags as
``\\Seen``, keywords as first stored). ``\\Recent`` is not a stored flag; it is
the separate ``recent`` attribute (RFC 3501 §2.3.2), claimed by one session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

Flags = frozenset[str]


@dataclass(frozen=True, slots=True)
class ScramCredentials:
    """RFC 5802 / RFC 7677 stored secrets: what a SCRAM-SHA-256 server keeps."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


@dataclass(frozen=True, slots=True)
class Credentials:
    """Opaque secrets; the auth layer creates and checks them, the store keeps them.

    ``cram_secret`` is plaintext-equivalent (CRAM-MD5 needs it); leave it None
    unless the server is configured to offer CRAM-MD5.
    """

    password_hash: str | None = None
    scram_sha256: ScramCredentials | None = None
    cram_secret: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str  # the full address, "alice@example.test"
    domain: str
    credentials: Credentials


@dataclass(frozen=True, slots=True)
class Mailbox:
    id: int
    user_id: int
    name: str  # full hierarchical name, "/"-delimited; INBOX always upper case
    special_use: str | None  # RFC 6154 attribute, e.g. "\\Sent"
    selectable: bool  # False: the name only holds inferiors (\Noselect)
    uidvalidity: int
    uidnext: int
    highestmodseq: int


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """What STATUS and SELECT report (RFC 3501 §6.3.10, RFC 7162 §3.1.2.1)."""

    messages: int
    recent: int
    unseen: int
    uidnext: int
    uidvalidity: int
    highestmodseq: int
    size: int  # total octets (RFC 8438 STATUS=SIZE)


@dataclass(frozen=True, slots=True)
class MessageInfo:
    uid: int
    flags: Flags
    size: int
    modseq: int
    internal_date: datetime
    recent: bool
    uidvalidity: int

    @property
    def uidl(self) -> str:
        """POP3 unique-id (RFC 1939 §7): stable while UIDVALIDITY holds."""
        return pop3_uidl(self.uidvalidity, self.uid)


def pop3_uidl(uidvalidity: int, uid: int) -> str:
    return f"{uidvalidity}-{uid}"


@dataclass(frozen=True, slots=True)
class MailboxSnapshot:
    """A mailbox and its messages read in one transaction (for SELECT / POP3 login)."""

    mailbox: Mailbox
    messages: tuple[MessageInfo, ...]


@dataclass(frozen=True, slots=True)
class Appended:
    mailbox_id: int
    uidvalidity: int
    uid: int
    modseq: int


class FlagOperation(Enum):
    """STORE's three forms (RFC 3501 §6.4.6): FLAGS, +FLAGS, -FLAGS."""

    SET = "set"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    uid: int
    flags: Flags  # the message's flags after the operation
    modseq: int
    changed: bool  # False: the flags already were so (modseq not bumped)


@dataclass(frozen=True, slots=True)
class StoreFlagsResult:
    updated: tuple[FlagUpdate, ...]
    # RFC 7162 §3.1.3: UIDs whose modseq exceeded UNCHANGEDSINCE, left untouched
    modified: tuple[int, ...]
    highestmodseq: int


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What COPYUID (RFC 4315 §3) reports: destination UIDVALIDITY and the UID map."""

    uidvalidity: int
    source_uids: tuple[int, ...]
    destination_uids: tuple[int, ...]

    @property
    def mapping(self) -> tuple[tuple[int, int], ...]:
        return tuple(zip(self.source_uids, self.destination_uids, strict=True))


@dataclass(frozen=True, slots=True)
class ExpungeResult:
    uids: tuple[int, ...]
    highestmodseq: int


@dataclass(frozen=True, slots=True)
class MailboxChanges:
    """One committed batch of changes to one mailbox, as published to watchers.

    ``resync`` means the watcher fell too far behind and changes were dropped:
    re-read the mailbox. ``deleted`` means the mailbox is gone.
    """

    mailbox_id: int
    highestmodseq: int
    appended: tuple[int, ...] = ()
    expunged: tuple[int, ...] = ()
    flags: tuple[FlagUpdate, ...] = ()
    deleted: bool = False
    resync: bool = False


class QueueStatus(Enum):
    QUEUED = "queued"
    FAILED = "failed"  # retries exhausted; the relay should bounce, then complete


@dataclass(frozen=True, slots=True)
class RecipientOptions:
    """One recipient's RFC 3461 parameters, as given on its RCPT command.

    ``notify``: None (not given), ("NEVER",) or some of "SUCCESS", "FAILURE",
    "DELAY"; ``orcpt``: (addr-type, decoded original address).
    """

    notify: tuple[str, ...] | None = None
    orcpt: tuple[str, str] | None = None


NO_RECIPIENT_OPTIONS = RecipientOptions()


@dataclass(frozen=True, slots=True)
class RelayOptions:
    """The envelope parameters a queued message carries on to the next hop.

    ``body`` "7BIT"/"8BITMIME"/"BINARYMIME" (RFC 6152, RFC 3030) and
    ``smtputf8`` (RFC 6531) as the sender declared them; ``ret`` and
    ``envid`` (RFC 3461 §4.3-4.4) from MAIL; ``recipients`` maps a queued
    recipient (as in ``QueuedMessage.recipients``) to its NOTIFY and ORCPT.
    The store keeps them as they are; the relay interprets them.
    """

    body: str | None = None
    smtputf8: bool = False
    ret: str | None = None
    envid: str | None = None
    recipients: Mapping[str, RecipientOptions] = field(default_factory=dict)

    def for_recipient(self, recipient: str) -> RecipientOptions:
        return self.recipients.get(recipient, NO_RECIPIENT_OPTIONS)


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: int
    envelope_from: str  # "" is the null reverse-path (a bounce)
    recipients: tuple[str, ...]
    size: int
    enqueued_at: float
    next_attempt: float
    attempts: int
    last_error: str | None
    status: QueueStatus
    options: RelayOptions = field(default_factory=RelayOptions)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for relay retries: initial * factor**(n-1), capped."""

    initial: float = 60.0
    factor: float = 2.0
    maximum: float = 4 * 3600.0
    max_attempts: int = 10

    def delay(self, attempts: int) -> float:
        return min(self.maximum, self.initial * self.factor ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of the group-commit writer: ``requests / commits`` is the batching."""

    commits: int
    requests: int
    failed_requests: int
    largest_batch: int
