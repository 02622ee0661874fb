"""Telling the client what other sessions changed: EXISTS, RECENT, EXPUNGE,
FETCH FLAGS and FLAGS, from the store's change feed (RFC 9051 §5.2, §7.4, §7.5).

When the session loop calls ``announce``, the batches committed since the
last call are folded into one ``Changes`` and applied to the view:

* expunges first (each renumbers at once, RFC 9051 §7.5.1), but only where
  allowed: "An EXPUNGE response MUST NOT be sent when no command is in
  progress, nor while responding to a FETCH, STORE, or SEARCH command"
  (RFC 3501 §7.4.1; UID FETCH/STORE/SEARCH may carry one). Held back, the
  message keeps its number (``SelectedMailbox.vanished``);
* then new messages (EXISTS, and RECENT for rev1 clients);
* then flag changes as unsolicited FETCH, with UID for rev2 (RFC 9051 §7.5.2
  "MUST include UID") and MODSEQ once CONDSTORE is on (RFC 7162 §3.1.4.1).

The store publishes a batch before it completes the write that caused it,
so after any of this session's own writes the feed already holds its echo;
the view dedupes that by UID and mod-sequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.protocols.imap import (
    ExistsResponse,
    ExpungeResponse,
    FetchResponse,
    FlagsResponse,
    RecentResponse,
    ResponseCode,
    UntaggedStatus,
)
from harness.server.imap.base import Session
from harness.server.imap.selected.view import SelectedMailbox
from harness.server.store import MailboxChanges, NoSuchMailbox, StoreError


@dataclass
class Changes:
    """Several committed batches, folded: what vanished, arrived and was re-flagged."""

    expunged: set[int] = field(default_factory=set)
    appended: set[int] = field(default_factory=set)
    flags: dict[int, tuple[frozenset[str], int]] = field(default_factory=dict)
    highestmodseq: int = 0
    resync: bool = False
    deleted: bool = False

    def fold(self, batch: MailboxChanges) -> None:
        self.expunged.update(batch.expunged)
        self.appended.update(batch.appended)
        for update in batch.flags:
            known = self.flags.get(update.uid)
            if known is None or update.modseq > known[1]:
                self.flags[update.uid] = (update.flags, update.modseq)
        self.highestmodseq = max(self.highestmodseq, batch.highestmodseq)
        self.resync = self.resync or batch.resync
        self.deleted = self.deleted or batch.deleted


async def announce(s: Session, *, expunge: bool, waited: Iterable[MailboxChanges] = ()) -> None:
    """Apply what the feed holds (plus ``waited`` batches) and queue the responses."""
    view = s.selected
    if view is None:
        return
    batches = (*waited, *view.feed.receive_nowait())
    if not batches:  # the common case: nobody else touched the mailbox
        if expunge and view.vanished:
            emit_expunges(s, view)
        return
    changes = Changes()
    for batch in batches:
        changes.fold(batch)
    if changes.resync and not changes.deleted:
        await _reread(s, view, changes)
    if changes.deleted:
        view.gone = True
        changes.expunged.update(view.uids)
    view.vanished.update(uid for uid in changes.expunged if uid in view.info)
    if expunge:
        emit_expunges(s, view)
    await _announce_new(s, view, changes.appended - changes.expunged)
    _announce_flags(s, view, changes)
    view.highestmodseq = max(view.highestmodseq, changes.highestmodseq)


def emit_expunges(s: Session, view: SelectedMailbox) -> None:
    """One EXPUNGE per vanished message, ascending; each renumbers the rest."""
    for uid in sorted(view.vanished):
        s.emit(ExpungeResponse(view.remove(uid)))


async def _reread(s: Session, view: SelectedMailbox, changes: Changes) -> None:
    """The feed overflowed: compare the whole mailbox with the view instead."""
    try:
        present = {m.uid: m for m in await s.ctx.store.list_messages(view.id)}
    except NoSuchMailbox:
        changes.deleted = True
        return
    changes.expunged.update(uid for uid in view.uids if uid not in present)
    changes.appended.update(present)
    for uid, info in present.items():
        changes.flags[uid] = (info.flags, info.modseq)


async def _announce_new(s: Session, view: SelectedMailbox, appended: set[int]) -> None:
    last = view.uids[-1] if view.uids else 0
    fresh = sorted(uid for uid in appended if uid > last)
    if not fresh or view.gone:
        return
    try:
        messages = await s.ctx.store.get_messages(view.id, fresh)
    except NoSuchMailbox:
        return  # deleted meanwhile: the feed says so next time
    if not view.add(messages):
        return
    if view.note_keywords(m.flags for m in messages):
        emit_flag_definitions(s, view)
    s.emit(ExistsResponse(view.exists))
    if not s.rev2:  # RFC 9051 removed RECENT
        await _claim_recent(s, view, [m.uid for m in messages if m.recent])
        s.emit(RecentResponse(sum(1 for uid in view.recent if uid in view.info)))


async def _claim_recent(s: Session, view: SelectedMailbox, marked: list[int]) -> None:
    """RFC 3501 §2.3.2: \\Recent goes to one session; a read-only one only looks."""
    if view.read_only:
        view.recent.update(marked)
        return
    try:
        view.recent.update(await s.ctx.store.claim_recent(view.id))
    except StoreError:
        return


def _announce_flags(s: Session, view: SelectedMailbox, changes: Changes) -> None:
    changed = [
        uid for uid, (flags, modseq) in changes.flags.items() if view.set_flags(uid, flags, modseq)
    ]
    if not changed:
        return
    if view.note_keywords(view.info.flags(uid) for uid in changed):
        emit_flag_definitions(s, view)
    for uid in sorted(changed):
        emit_flags(s, view, uid, with_uid=s.rev2)


def emit_flags(s: Session, view: SelectedMailbox, uid: int, *, with_uid: bool) -> None:
    """``* n FETCH (FLAGS ...)`` for one message, as the client's mode wants it."""
    seq = view.seq_of(uid)
    assert seq is not None
    s.emit(
        FetchResponse(
            seq,
            flags=view.flags_of(uid, rev2=s.rev2),
            uid=uid if with_uid else None,
            modseq=view.info.modseq(uid) if s.condstore else None,
        )
    )


def emit_flag_definitions(s: Session, view: SelectedMailbox) -> None:
    """FLAGS and PERMANENTFLAGS again, once a new keyword is in use (RFC 9051 §7.3.5)."""
    s.emit(FlagsResponse(view.defined_flags()))
    permanent = ResponseCode("PERMANENTFLAGS", view.permanent_flags())
    s.emit(UntaggedStatus("OK", "flags permitted", permanent))
