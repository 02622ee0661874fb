"""Change notifications: collected per request, published after the commit.

Each write operation records what it did to which mailbox in a ``ChangeLog``.
The writer keeps a request's log only if the request's savepoint was released,
merges the logs of a batch, and publishes them through the ``ChangeHub`` only
after COMMIT returned, so a watcher is never told about a change that a crash
could still take back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from harness.server.store.models import FlagUpdate, MailboxChanges

ChangeCallback = Callable[[MailboxChanges], None]


@dataclass
class _PendingChanges:
    highestmodseq: int = 0
    appended: list[int] = field(default_factory=list)
    expunged: list[int] = field(default_factory=list)
    flags: list[FlagUpdate] = field(default_factory=list)
    deleted: bool = False


class ChangeLog:
    """What one request (or one merged batch) changed, per mailbox, in order."""

    def __init__(self) -> None:
        self._by_mailbox: dict[int, _PendingChanges] = {}

    def _entry(self, mailbox_id: int, modseq: int) -> _PendingChanges:
        entry = self._by_mailbox.setdefault(mailbox_id, _PendingChanges())
        entry.highestmodseq = max(entry.highestmodseq, modseq)
        return entry

    def appended(self, mailbox_id: int, uids: Iterable[int], modseq: int) -> None:
        self._entry(mailbox_id, modseq).appended.extend(uids)

    def expunged(self, mailbox_id: int, uids: Iterable[int], modseq: int) -> None:
        self._entry(mailbox_id, modseq).expunged.extend(uids)

    def flags_changed(self, mailbox_id: int, updates: Iterable[FlagUpdate], modseq: int) -> None:
        self._entry(mailbox_id, modseq).flags.extend(updates)

    def mailbox_deleted(self, mailbox_id: int) -> None:
        self._entry(mailbox_id, 0).deleted = True

    def absorb(self, other: ChangeLog) -> None:
        for mailbox_id, theirs in other._by_mailbox.items():
            ours = self._entry(mailbox_id, theirs.highestmodseq)
            ours.appended.extend(theirs.appended)
            ours.expunged.extend(theirs.expunged)
            ours.flags.extend(theirs.flags)
            ours.deleted = ours.deleted or theirs.deleted

    def batches(self) -> list[MailboxChanges]:
        return [
            MailboxChanges(
                mailbox_id=mailbox_id,
                highestmodseq=entry.highestmodseq,
                appended=tuple(entry.appended),
                expunged=tuple(entry.expunged),
                flags=tuple(entry.flags),
                deleted=entry.deleted,
            )
            for mailbox_id, entry in self._by_mailbox.items()
        ]


class Subscription:
    """One watcher of one mailbox; ``error`` is set if its callback raised."""

    def __init__(self, hub: ChangeHub, mailbox_id: int, callback: ChangeCallback) -> None:
        self.mailbox_id = mailbox_id
        self.error: BaseException | None = None
        self._hub = hub
        self._callback = callback

    def cancel(self) -> None:
        self._hub.unsubscribe(self)

    def _notify(self, changes: MailboxChanges) -> bool:
        """Run the callback; False (and ``error`` set) if it failed."""
        try:
            self._callback(changes)
        except Exception as exc:
            self.error = exc
            return False
        return True


class ChangeHub:
    """Fan-out of committed changes to subscribers, called on the writer thread.

    Callbacks must be quick and must not block (they run between commits); the
    trio facade's callback only schedules work on the event loop. A callback
    that raises is unsubscribed and its exception kept on the Subscription,
    where its owner finds it, instead of stopping the writer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[Subscription]] = {}

    def subscribe(self, mailbox_id: int, callback: ChangeCallback) -> Subscription:
        subscription = Subscription(self, mailbox_id, callback)
        with self._lock:
            self._subscribers.setdefault(mailbox_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            watchers = self._subscribers.get(subscription.mailbox_id)
            if watchers is not None:
                watchers.discard(subscription)
                if not watchers:
                    del self._subscribers[subscription.mailbox_id]

    def publish(self, batches: Iterable[MailboxChanges]) -> None:
        for changes in batches:
            with self._lock:
                watchers = list(self._subscribers.get(changes.mailbox_id, ()))
            for subscription in watchers:
                if not subscription._notify(changes):
                    self.unsubscribe(subscription)
