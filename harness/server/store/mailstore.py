"""``Mailstore``: the synchronous face of the store, for plain threads.

Writes go to the group-commit writer and block the calling thread until the
batch holding them is durably committed; reads borrow a pooled reader
connection. trio code must use ``AsyncMailstore`` (harness.server.store.aio)
instead, which never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from harness.server.store import (
    mailboxes,
    messages,
    queries,
    relay_queue,
    subscriptions,
    users,
)
from harness.server.store.changes import ChangeHub, Subscription
from harness.server.store.errors import NoSuchUser
from harness.server.store.mailbox_state import require_mailbox
from harness.server.store.models import (
    Appended,
    CopyResult,
    Credentials,
    ExpungeResult,
    FlagOperation,
    Mailbox,
    MailboxChanges,
    MailboxSnapshot,
    MailboxStatus,
    MessageInfo,
    QueuedMessage,
    RelayOptions,
    RetryPolicy,
    StoreFlagsResult,
    User,
    WriterStats,
)
from harness.server.store.readers import ReaderPool, ReadOp
from harness.server.store.schema import open_reader_connection, open_writer_connection
from harness.server.store.writer import GroupCommitWriter, WriteOp

T = TypeVar("T")

STORE_FILENAME = "mailstore.sqlite3"


class Mailstore:
    """Users, mailboxes, messages and the relay queue in one SQLite file (WAL).

    Safe to share between threads. Every write method returns only after its
    transaction is committed with fsync; every read sees a consistent snapshot.
    """

    def __init__(
        self, data_dir: Path | str, *, max_batch: int = 1000, max_idle_readers: int = 8
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / STORE_FILENAME
        self._hub = ChangeHub()
        self._writer = GroupCommitWriter(
            partial(open_writer_connection, self.path), self._hub, max_batch=max_batch
        )
        self._writer.start()
        self._readers = ReaderPool(
            partial(open_reader_connection, self.path), max_idle=max_idle_readers
        )

    # -- plumbing -------------------------------------------------------------

    def submit(self, op: WriteOp[T]) -> Future[T]:
        """Queue a write; the future completes once its batch has committed."""
        return self._writer.submit(op)

    def write(self, op: WriteOp[T]) -> T:
        return self.submit(op).result()

    def read(self, op: ReadOp[T]) -> T:
        return self._readers.run(op)

    def subscribe(
        self, mailbox_id: int, callback: Callable[[MailboxChanges], None]
    ) -> Subscription:
        """Call ``callback`` on the writer thread after each commit touching the mailbox."""
        return self._hub.subscribe(mailbox_id, callback)

    def stats(self) -> WriterStats:
        return self._writer.stats()

    def pending_writes(self) -> int:
        return self._writer.pending()

    def close(self) -> None:
        """Commit what was submitted, then close every connection."""
        self._writer.close()
        self._readers.close()

    def __enter__(self) -> Mailstore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- users ----------------------------------------------------------------

    def create_user(self, name: str, credentials: Credentials | None = None) -> User:
        return self.write(
            partial(users.create_user, name=name, credentials=credentials or Credentials())
        )

    def get_user(self, name: str) -> User | None:
        return self.read(partial(users.find_user, name=name))

    def get_user_by_id(self, user_id: int) -> User:
        return self.read(partial(users.require_user_by_id, user_id=user_id))

    def list_users(self) -> tuple[User, ...]:
        return self.read(users.list_users)

    def set_credentials(self, user_id: int, credentials: Credentials) -> User:
        return self.write(partial(users.set_credentials, user_id=user_id, credentials=credentials))

    # -- mailboxes ------------------------------------------------------------

    def list_mailboxes(self, user_id: int) -> tuple[Mailbox, ...]:
        return self.read(partial(mailboxes.list_mailboxes, user_id=user_id))

    def get_mailbox(self, user_id: int, name: str) -> Mailbox | None:
        return self.read(partial(mailboxes.find_mailbox_by_name, user_id=user_id, name=name))

    def get_mailbox_by_id(self, mailbox_id: int) -> Mailbox:
        return self.read(partial(require_mailbox, mailbox_id=mailbox_id))

    def inbox(self, user_name: str) -> Mailbox:
        """The INBOX of the user with this address (what SMTP delivery wants)."""
        user = self.get_user(user_name)
        if user is None:
            raise NoSuchUser(f"no user {user_name!r}")
        return self.read(partial(mailboxes.require_mailbox_by_name, user_id=user.id, name="INBOX"))

    def create_mailbox(self, user_id: int, name: str, *, special_use: str | None = None) -> Mailbox:
        return self.write(
            partial(mailboxes.create_mailbox, user_id=user_id, name=name, special_use=special_use)
        )

    def delete_mailbox(self, user_id: int, name: str) -> None:
        self.write(partial(mailboxes.delete_mailbox, user_id=user_id, name=name))

    def rename_mailbox(self, user_id: int, old: str, new: str) -> Mailbox:
        return self.write(partial(mailboxes.rename_mailbox, user_id=user_id, old=old, new=new))

    def set_subscribed(self, user_id: int, name: str, subscribed: bool) -> None:
        self.write(
            partial(subscriptions.set_subscribed, user_id=user_id, name=name, subscribed=subscribed)
        )

    def list_subscriptions(self, user_id: int) -> tuple[str, ...]:
        return self.read(partial(subscriptions.list_subscriptions, user_id=user_id))

    def status(self, mailbox_id: int) -> MailboxStatus:
        return self.read(partial(queries.mailbox_status, mailbox_id=mailbox_id))

    # -- messages -------------------------------------------------------------

    def append(
        self,
        mailbox_id: int,
        content: bytes,
        *,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> Appended:
        (appended,) = self.deliver([mailbox_id], content, flags=flags, internal_date=internal_date)
        return appended

    def deliver(
        self,
        mailbox_ids: Sequence[int],
        content: bytes,
        *,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> tuple[Appended, ...]:
        """One message into several mailboxes atomically (one SMTP transaction, many RCPT)."""
        return self.write(
            partial(
                messages.deliver,
                mailbox_ids=tuple(mailbox_ids),
                content=bytes(content),
                flags=tuple(flags),
                internal_date=internal_date,
            )
        )

    def list_messages(self, mailbox_id: int) -> tuple[MessageInfo, ...]:
        return self.read(partial(queries.list_messages, mailbox_id=mailbox_id))

    def get_messages(self, mailbox_id: int, uids: Iterable[int]) -> tuple[MessageInfo, ...]:
        return self.read(partial(queries.get_messages, mailbox_id=mailbox_id, uids=tuple(uids)))

    def snapshot(self, mailbox_id: int) -> MailboxSnapshot:
        return self.read(partial(queries.mailbox_snapshot, mailbox_id=mailbox_id))

    def fetch(
        self, mailbox_id: int, uid: int, *, start: int = 0, length: int | None = None
    ) -> bytes:
        return self.read(
            partial(
                queries.fetch_content, mailbox_id=mailbox_id, uid=uid, start=start, length=length
            )
        )

    def fetch_many(self, mailbox_id: int, uids: Iterable[int]) -> dict[int, bytes]:
        """Whole messages by UID, in one read; expunged (or unknown) UIDs are absent."""
        return self.read(partial(queries.fetch_contents, mailbox_id=mailbox_id, uids=uids))

    def store_flags(
        self,
        mailbox_id: int,
        uids: Iterable[int],
        operation: FlagOperation,
        flags: Iterable[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreFlagsResult:
        return self.write(
            partial(
                messages.store_flags,
                mailbox_id=mailbox_id,
                uids=tuple(uids),
                operation=operation,
                flags=tuple(flags),
                unchanged_since=unchanged_since,
            )
        )

    def copy(self, source_id: int, uids: Iterable[int], destination_id: int) -> CopyResult:
        return self.write(
            partial(
                messages.copy_messages,
                source_id=source_id,
                uids=tuple(uids),
                destination_id=destination_id,
            )
        )

    def move(self, source_id: int, uids: Iterable[int], destination_id: int) -> CopyResult:
        return self.write(
            partial(
                messages.move_messages,
                source_id=source_id,
                uids=tuple(uids),
                destination_id=destination_id,
            )
        )

    def expunge(self, mailbox_id: int, uids: Iterable[int] | None = None) -> ExpungeResult:
        chosen = None if uids is None else tuple(uids)
        return self.write(partial(messages.expunge, mailbox_id=mailbox_id, uids=chosen))

    def claim_recent(self, mailbox_id: int) -> tuple[int, ...]:
        return self.write(partial(messages.claim_recent, mailbox_id=mailbox_id))

    def changed_since(self, mailbox_id: int, modseq: int) -> tuple[MessageInfo, ...]:
        return self.read(partial(queries.changed_since, mailbox_id=mailbox_id, modseq=modseq))

    def vanished_since(self, mailbox_id: int, modseq: int) -> tuple[int, ...]:
        return self.read(partial(queries.vanished_since, mailbox_id=mailbox_id, modseq=modseq))

    # -- relay queue ----------------------------------------------------------

    def enqueue_relay(
        self,
        envelope_from: str,
        recipients: Sequence[str],
        content: bytes,
        *,
        not_before: float | None = None,
        options: RelayOptions | None = None,
    ) -> QueuedMessage:
        return self.write(
            partial(
                relay_queue.enqueue,
                envelope_from=envelope_from,
                recipients=tuple(recipients),
                content=bytes(content),
                not_before=not_before,
                options=options,
            )
        )

    def claim_due_relay(
        self, *, now: float, limit: int = 10, lease_seconds: float = 300.0
    ) -> tuple[QueuedMessage, ...]:
        return self.write(
            partial(relay_queue.claim_due, now=now, limit=limit, lease_seconds=lease_seconds)
        )

    def release_relay_leases(self) -> int:
        return self.write(relay_queue.release_leases)

    def complete_relay(self, entry_id: int) -> None:
        self.write(partial(relay_queue.complete, entry_id=entry_id))

    def defer_relay(
        self,
        entry_id: int,
        error: str,
        *,
        now: float,
        policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing is safe
        remaining_recipients: Sequence[str] | None = None,
    ) -> QueuedMessage:
        remaining = None if remaining_recipients is None else tuple(remaining_recipients)
        return self.write(
            partial(
                relay_queue.defer,
                entry_id=entry_id,
                error=error,
                now=now,
                policy=policy,
                remaining_recipients=remaining,
            )
        )

    def relay_queue(self) -> tuple[QueuedMessage, ...]:
        return self.read(relay_queue.list_queue)

    def relay_content(self, entry_id: int) -> bytes:
        return self.read(partial(relay_queue.queue_content, entry_id=entry_id))
