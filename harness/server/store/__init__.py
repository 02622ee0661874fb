"""The durable mail store shared by the SMTP, POP3 and IMAP sessions.

One SQLite file in WAL mode (``schema``) holds users, mailboxes, messages
(content stored once, by SHA-256), and the outbound relay queue. One writer
thread (``writer``) batches the writes of every session into one transaction
and one fsync (group commit); readers borrow pooled connections (``readers``).
``Mailstore`` (``mailstore``) is the blocking API for plain threads;
``AsyncMailstore`` (``aio``) is the same API for trio code, and ``watch()``
gives IMAP sessions the committed changes of a mailbox (``changes``, ``feed``).
The SQL operations themselves live in ``users``, ``mailboxes``, ``messages``,
``queries`` and ``relay_queue``; the values they return in ``models``.
"""

from harness.server.store.aio import AsyncMailstore, open_mailstore
from harness.server.store.changes import Subscription
from harness.server.store.errors import (
    CommitFailed,
    InvalidAddress,
    InvalidFlag,
    InvalidMailboxName,
    MailboxExists,
    MailboxHasChildren,
    NoSuchMailbox,
    NoSuchMessage,
    NoSuchQueueEntry,
    NoSuchUser,
    StoreClosed,
    StoreError,
    UserExists,
)
from harness.server.store.feed import ChangeFeed
from harness.server.store.mailstore import STORE_FILENAME, Mailstore
from harness.server.store.models import (
    Appended,
    CopyResult,
    Credentials,
    ExpungeResult,
    FlagOperation,
    FlagUpdate,
    Mailbox,
    MailboxChanges,
    MailboxSnapshot,
    MailboxStatus,
    MessageInfo,
    QueuedMessage,
    QueueStatus,
    RecipientOptions,
    RelayOptions,
    RetryPolicy,
    ScramCredentials,
    StoreFlagsResult,
    User,
    WriterStats,
    pop3_uidl,
)

__all__ = [
    "STORE_FILENAME",
    "Appended",
    "AsyncMailstore",
    "ChangeFeed",
    "CommitFailed",
    "CopyResult",
    "Credentials",
    "ExpungeResult",
    "FlagOperation",
    "FlagUpdate",
    "InvalidAddress",
    "InvalidFlag",
    "InvalidMailboxName",
    "Mailbox",
    "MailboxChanges",
    "MailboxExists",
    "MailboxHasChildren",
    "MailboxSnapshot",
    "MailboxStatus",
    "Mailstore",
    "MessageInfo",
    "NoSuchMailbox",
    "NoSuchMessage",
    "NoSuchQueueEntry",
    "NoSuchUser",
    "QueueStatus",
    "QueuedMessage",
    "RecipientOptions",
    "RelayOptions",
    "RetryPolicy",
    "ScramCredentials",
    "StoreClosed",
    "StoreError",
    "StoreFlagsResult",
    "Subscription",
    "User",
    "UserExists",
    "WriterStats",
    "open_mailstore",
    "pop3_uidl",
]
