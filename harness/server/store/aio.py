"""``AsyncMailstore``: the store for trio code, without blocking the event loop.

Writes are queued to the group-commit writer and awaited on a ``trio.Event``
that the writer thread sets through ``TrioToken.run_sync_soon``: no thread is
tied up per waiting session, however many sessions wait on one fsync. Reads
run in worker threads (``trio.to_thread``) bounded by a ``CapacityLimiter``.

Cancellation: a write cancelled before the writer took it is dropped; once
its batch is running it still commits, and the cancelled caller does not see
the result (an SMTP session that was cancelled never sends its 250).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar, TypeVarTuple

import trio

from harness.server.store import mailboxes, messages, relay_queue, subscriptions, users
from harness.server.store.feed import ChangeFeed
from harness.server.store.mailstore import Mailstore
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
)
from harness.server.store.writer import WriteOp

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _Wakeups:
    """Wakes trio tasks from other threads: one trio callback per burst.

    The writer completes a whole batch of futures at once. Waking each waiter
    with its own ``run_sync_soon`` costs a write to trio's wake-up socket and
    a pass of its entry queue per message; here the first completion of a
    burst schedules one callback and the rest ride along with it.
    """

    def __init__(self, token: trio.lowlevel.TrioToken) -> None:
        self._token = token
        self._lock = threading.Lock()
        self._pending: list[Callable[[], object]] = []

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` in the trio thread soon (callable from any thread)."""
        with self._lock:
            self._pending.append(fn)
            if len(self._pending) > 1:
                return  # a callback is already on its way
        try:
            self._token.run_sync_soon(self._run_pending)
        except trio.RunFinishedError:  # the waiters' trio run is gone; nobody to wake
            pass

    def _run_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for fn in pending:
            fn()


_WAKEUPS: trio.lowlevel.RunVar[_Wakeups] = trio.lowlevel.RunVar("mailstore_wakeups")


def _wakeups() -> _Wakeups:
    try:
        return _WAKEUPS.get()
    except LookupError:
        wakeups = _Wakeups(trio.lowlevel.current_trio_token())
        _WAKEUPS.set(wakeups)
        return wakeups


async def wait_for_future(future: Future[T]) -> T:
    """Await a future completed by another thread, holding no thread meanwhile.

    Cancelled, the wait ends at once; the future is cancelled too, which only
    succeeds if the writer has not taken it yet (else it still commits).
    """
    task = trio.lowlevel.current_task()
    wakeups = _wakeups()
    waiting = True

    def wake() -> None:  # in the trio thread
        nonlocal waiting
        if waiting:
            waiting = False
            trio.lowlevel.reschedule(task)

    def abort(_: object) -> trio.lowlevel.Abort:
        nonlocal waiting
        waiting = False
        future.cancel()
        return trio.lowlevel.Abort.SUCCEEDED

    future.add_done_callback(lambda _: wakeups.call_soon(wake))
    await trio.lowlevel.wait_task_rescheduled(abort)
    return future.result()


def _forward_to_feed(wakeups: _Wakeups, feed: ChangeFeed, changes: MailboxChanges) -> None:
    # Through the same queue as the writers' wake-ups: a session woken by its
    # write has already been given the changes committed with it.
    wakeups.call_soon(partial(feed.deliver, changes))


@asynccontextmanager
async def open_mailstore(
    data_dir: Path | str, *, max_reader_threads: int = 8, max_batch: int = 1000
) -> AsyncIterator[AsyncMailstore]:
    """Open (or create) the store under ``data_dir``; close it on the way out."""
    store = await trio.to_thread.run_sync(partial(Mailstore, data_dir, max_batch=max_batch))
    async_store = AsyncMailstore(store, max_reader_threads=max_reader_threads)
    try:
        yield async_store
    finally:
        await async_store.aclose()


class AsyncMailstore:
    """The same operations as ``Mailstore``, as coroutines (see that class)."""

    def __init__(self, store: Mailstore, *, max_reader_threads: int = 8) -> None:
        self.sync = store
        self._limiter = trio.CapacityLimiter(max_reader_threads)

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):  # pending writes must finish committing
            await trio.to_thread.run_sync(self.sync.close)

    async def write(self, op: WriteOp[T]) -> T:
        return await wait_for_future(self.sync.submit(op))

    async def _read(self, fn: Callable[[*Ts], T], *args: *Ts) -> T:
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    @asynccontextmanager
    async def watch(self, mailbox_id: int, *, max_pending: int = 1024) -> AsyncIterator[ChangeFeed]:
        """Committed changes of one mailbox, for IDLE and untagged updates.

        Subscribe first, then read the mailbox: a change committed in between
        is then both in the snapshot and in the feed, never in neither.
        """
        feed = ChangeFeed(mailbox_id, max_pending=max_pending)
        subscription = self.sync.subscribe(mailbox_id, partial(_forward_to_feed, _wakeups(), feed))
        try:
            yield feed
        finally:
            subscription.cancel()
            feed.closed = True

    # -- users ----------------------------------------------------------------

    async def create_user(self, name: str, credentials: Credentials | None = None) -> User:
        return await self.write(
            partial(users.create_user, name=name, credentials=credentials or Credentials())
        )

    async def get_user(self, name: str) -> User | None:
        return await self._read(self.sync.get_user, name)

    async def get_user_by_id(self, user_id: int) -> User:
        return await self._read(self.sync.get_user_by_id, user_id)

    async def list_users(self) -> tuple[User, ...]:
        return await self._read(self.sync.list_users)

    async def set_credentials(self, user_id: int, credentials: Credentials) -> User:
        return await self.write(
            partial(users.set_credentials, user_id=user_id, credentials=credentials)
        )

    # -- mailboxes ------------------------------------------------------------

    async def list_mailboxes(self, user_id: int) -> tuple[Mailbox, ...]:
        return await self._read(self.sync.list_mailboxes, user_id)

    async def get_mailbox(self, user_id: int, name: str) -> Mailbox | None:
        return await self._read(self.sync.get_mailbox, user_id, name)

    async def get_mailbox_by_id(self, mailbox_id: int) -> Mailbox:
        return await self._read(self.sync.get_mailbox_by_id, mailbox_id)

    async def inbox(self, user_name: str) -> Mailbox:
        return await self._read(self.sync.inbox, user_name)

    async def create_mailbox(
        self, user_id: int, name: str, *, special_use: str | None = None
    ) -> Mailbox:
        return await self.write(
            partial(mailboxes.create_mailbox, user_id=user_id, name=name, special_use=special_use)
        )

    async def delete_mailbox(self, user_id: int, name: str) -> None:
        await self.write(partial(mailboxes.delete_mailbox, user_id=user_id, name=name))

    async def rename_mailbox(self, user_id: int, old: str, new: str) -> Mailbox:
        return await self.write(
            partial(mailboxes.rename_mailbox, user_id=user_id, old=old, new=new)
        )

    async def set_subscribed(self, user_id: int, name: str, subscribed: bool) -> None:
        await self.write(
            partial(subscriptions.set_subscribed, user_id=user_id, name=name, subscribed=subscribed)
        )

    async def list_subscriptions(self, user_id: int) -> tuple[str, ...]:
        return await self._read(self.sync.list_subscriptions, user_id)

    async def status(self, mailbox_id: int) -> MailboxStatus:
        return await self._read(self.sync.status, mailbox_id)

    # -- messages -------------------------------------------------------------

    async def append(
        self,
        mailbox_id: int,
        content: bytes,
        *,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> Appended:
        (appended,) = await self.deliver(
            [mailbox_id], content, flags=flags, internal_date=internal_date
        )
        return appended

    async def deliver(
        self,
        mailbox_ids: Sequence[int],
        content: bytes,
        *,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> tuple[Appended, ...]:
        return await self.write(
            partial(
                messages.deliver,
                mailbox_ids=tuple(mailbox_ids),
                content=bytes(content),
                flags=tuple(flags),
                internal_date=internal_date,
            )
        )

    async def list_messages(self, mailbox_id: int) -> tuple[MessageInfo, ...]:
        return await self._read(self.sync.list_messages, mailbox_id)

    async def get_messages(self, mailbox_id: int, uids: Iterable[int]) -> tuple[MessageInfo, ...]:
        return await self._read(self.sync.get_messages, mailbox_id, tuple(uids))

    async def snapshot(self, mailbox_id: int) -> MailboxSnapshot:
        return await self._read(self.sync.snapshot, mailbox_id)

    async def fetch(
        self, mailbox_id: int, uid: int, *, start: int = 0, length: int | None = None
    ) -> bytes:
        return await self._read(
            partial(self.sync.fetch, mailbox_id, uid, start=start, length=length)
        )

    async def store_flags(
        self,
        mailbox_id: int,
        uids: Iterable[int],
        operation: FlagOperation,
        flags: Iterable[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreFlagsResult:
        return await self.write(
            partial(
                messages.store_flags,
                mailbox_id=mailbox_id,
                uids=tuple(uids),
                operation=operation,
                flags=tuple(flags),
                unchanged_since=unchanged_since,
            )
        )

    async def copy(self, source_id: int, uids: Iterable[int], destination_id: int) -> CopyResult:
        return await self.write(
            partial(
                messages.copy_messages,
                source_id=source_id,
                uids=tuple(uids),
                destination_id=destination_id,
            )
        )

    async def move(self, source_id: int, uids: Iterable[int], destination_id: int) -> CopyResult:
        return await self.write(
            partial(
                messages.move_messages,
                source_id=source_id,
                uids=tuple(uids),
                destination_id=destination_id,
            )
        )

    async def expunge(self, mailbox_id: int, uids: Iterable[int] | None = None) -> ExpungeResult:
        chosen = None if uids is None else tuple(uids)
        return await self.write(partial(messages.expunge, mailbox_id=mailbox_id, uids=chosen))

    async def claim_recent(self, mailbox_id: int) -> tuple[int, ...]:
        return await self.write(partial(messages.claim_recent, mailbox_id=mailbox_id))

    async def changed_since(self, mailbox_id: int, modseq: int) -> tuple[MessageInfo, ...]:
        return await self._read(self.sync.changed_since, mailbox_id, modseq)

    async def vanished_since(self, mailbox_id: int, modseq: int) -> tuple[int, ...]:
        return await self._read(self.sync.vanished_since, mailbox_id, modseq)

    # -- relay queue ----------------------------------------------------------

    async def enqueue_relay(
        self,
        envelope_from: str,
        recipients: Sequence[str],
        content: bytes,
        *,
        not_before: float | None = None,
        options: RelayOptions | None = None,
    ) -> QueuedMessage:
        return await self.write(
            partial(
                relay_queue.enqueue,
                envelope_from=envelope_from,
                recipients=tuple(recipients),
                content=bytes(content),
                not_before=not_before,
                options=options,
            )
        )

    async def claim_due_relay(
        self, *, now: float, limit: int = 10, lease_seconds: float = 300.0
    ) -> tuple[QueuedMessage, ...]:
        return await self.write(
            partial(relay_queue.claim_due, now=now, limit=limit, lease_seconds=lease_seconds)
        )

    async def release_relay_leases(self) -> int:
        return await self.write(relay_queue.release_leases)

    async def complete_relay(self, entry_id: int) -> None:
        await self.write(partial(relay_queue.complete, entry_id=entry_id))

    async def defer_relay(
        self,
        entry_id: int,
        error: str,
        *,
        now: float,
        policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing is safe
        remaining_recipients: Sequence[str] | None = None,
    ) -> QueuedMessage:
        remaining = None if remaining_recipients is None else tuple(remaining_recipients)
        return await self.write(
            partial(
                relay_queue.defer,
                entry_id=entry_id,
                error=error,
                now=now,
                policy=policy,
                remaining_recipients=remaining,
            )
        )

    async def relay_queue(self) -> tuple[QueuedMessage, ...]:
        return await self._read(self.sync.relay_queue)

    async def relay_content(self, entry_id: int) -> bytes:
        return await self._read(self.sync.relay_content, entry_id)
