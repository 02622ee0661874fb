"""SELECT and EXAMINE (RFC 9051 §6.3.2-3, RFC 3501 §6.3.1-2), and leaving a
mailbox (the common part of CLOSE, UNSELECT and a new SELECT).

RFC 3501 §6.3.1 lists the "REQUIRED untagged responses": FLAGS, EXISTS,
RECENT, and OK [UIDVALIDITY], [UIDNEXT], [PERMANENTFLAGS] and [UNSEEN] (when
a message is unseen). RFC 9051 §6.3.2 drops RECENT and UNSEEN and adds a LIST
response for the mailbox. RFC 7162 §3.1.2.1: a server with persistent
mod-sequences sends OK [HIGHESTMODSEQ] "with every successful SELECT or
EXAMINE". "If a mailbox is selected and a SELECT command that fails is
attempted, no mailbox is selected" (§6.3.1), so the old one is left first.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import trio

from harness.protocols.imap import (
    Examine,
    ExistsResponse,
    FlagsResponse,
    ListResponse,
    RecentResponse,
    ResponseCode,
    Select,
    UntaggedStatus,
)
from harness.server.imap.authenticated.listing import DELIMITER, list_attributes
from harness.server.imap.authenticated.lookup import find_selectable
from harness.server.imap.base import Bad, Done, Session
from harness.server.imap.selected.content import ContentCache
from harness.server.imap.selected.view import SelectedMailbox
from harness.server.store import Mailbox


async def select(s: Session, command: Select | Examine) -> Done:
    if command.qresync is not None:  # RFC 7162 §3.2.5: only after ENABLE QRESYNC
        raise Bad("QRESYNC is not enabled")
    was_selected = s.selected is not None
    await leave_mailbox(s)
    if was_selected and s.rev2:  # RFC 9051 §6.3.2: OK [CLOSED] ends the old mailbox's data
        s.emit(UntaggedStatus("OK", "previous mailbox closed", ResponseCode("CLOSED")))
    mailbox = await find_selectable(s, command.mailbox)
    read_only = isinstance(command, Examine)
    view = await _open_view(s, mailbox, read_only=read_only)
    if command.condstore:  # RFC 7162 §3.1.8: a CONDSTORE-enabling command
        s.condstore = True
    s.selected = view
    await _emit_selection_data(s, view)
    code = "READ-ONLY" if read_only else "READ-WRITE"
    return Done(f"{command.name} completed", ResponseCode(code))


async def leave_mailbox(s: Session) -> None:
    """Deselect: stop watching; SEARCHRES's "$" is emptied too (RFC 5182 §2.1)."""
    if s.selected is None:
        return
    s.selected = None
    s.saved_uids = ()
    watch, s.watch = s.watch, AsyncExitStack()
    await watch.aclose()


async def _open_view(s: Session, mailbox: Mailbox, *, read_only: bool) -> SelectedMailbox:
    """Watch first, then read: a change in between is then seen twice, never missed."""
    store = s.ctx.store
    feed = await s.watch.enter_async_context(store.watch(mailbox.id))
    try:
        snapshot = await store.snapshot(mailbox.id)
        if read_only:  # EXAMINE "does not ... cause messages to lose the \Recent flag"
            recent = [m.uid for m in snapshot.messages if m.recent]
        else:
            recent = list(await store.claim_recent(mailbox.id))
    except BaseException:
        watch, s.watch = s.watch, AsyncExitStack()  # deleted meanwhile: stop watching
        with trio.CancelScope(shield=True):
            await watch.aclose()
        raise
    return SelectedMailbox(
        snapshot.mailbox,
        snapshot.messages,
        feed,
        ContentCache(store, mailbox.id),
        read_only=read_only,
        recent=recent,
    )


async def _emit_selection_data(s: Session, view: SelectedMailbox) -> None:
    mailbox = view.mailbox
    s.emit(FlagsResponse(view.defined_flags()))
    s.emit(ExistsResponse(view.exists))
    if not s.rev2:
        s.emit(RecentResponse(sum(1 for uid in view.recent if uid in view.info)))
        unseen = view.unseen_first()
        if unseen is not None:
            _ok(s, ResponseCode("UNSEEN", unseen), f"message {unseen} is the first unseen")
    _ok(s, ResponseCode("UIDVALIDITY", mailbox.uidvalidity), "UIDs valid")
    _ok(s, ResponseCode("UIDNEXT", mailbox.uidnext), "predicted next UID")
    _ok(s, ResponseCode("PERMANENTFLAGS", view.permanent_flags()), "flags permitted")
    _ok(s, ResponseCode("HIGHESTMODSEQ", mailbox.highestmodseq), "highest modseq")
    if s.rev2:  # RFC 9051 §6.3.2: "the server MUST return a LIST response"
        everything = await s.ctx.store.list_mailboxes(s.account.id)
        attributes = list_attributes(mailbox, mailbox.name, everything, subscribed=False)
        s.emit(ListResponse(attributes, DELIMITER, s.wire_name(mailbox.name)))


def _ok(s: Session, code: ResponseCode, text: str) -> None:
    s.emit(UntaggedStatus("OK", text, code))
