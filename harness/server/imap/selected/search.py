"""SEARCH and UID SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with ESEARCH's
RETURN options (RFC 4731 §3.1), SEARCHRES's SAVE (RFC 5182) and CONDSTORE's
MODSEQ key (RFC 7162 §3.1.5).

The key tree is compiled by ``search_eval``; keys that read headers or bodies
run in a worker thread that loads each message from the store only when a
cheaper key has not already ruled it out. A rev1 client without RETURN gets
``* SEARCH``; RETURN, or IMAP4rev2, gets ``* ESEARCH (TAG ...)`` (RFC 9051
§7.3.4: rev2 has no SEARCH response).
"""

from __future__ import annotations

from collections.abc import Callable

import trio

from harness.protocols.imap import (
    ESearchResponse,
    ResponseCode,
    Search,
    SearchAnd,
    SearchKey,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchResponse,
)
from harness.server.imap.base import Bad, Done, No, Session
from harness.server.imap.message_view import MessageView
from harness.server.imap.search_eval import (
    SUPPORTED_CHARSETS,
    SearchCandidate,
    SearchError,
    check_charset,
    compile_search,
    needs_content,
)
from harness.server.imap.selected.view import SelectedMailbox, compact
from harness.server.store import Mailstore, NoSuchMailbox, NoSuchMessage


async def search(s: Session, command: Search) -> Done:
    view = s.require_selected()
    key = command.criteria[0] if len(command.criteria) == 1 else SearchAnd(command.criteria)
    _check_charset(command.charset)
    if _uses_modseq(key):  # RFC 7162 §3.1: a CONDSTORE-enabling command
        s.condstore = True
    matches = await _evaluate(s, view, key)
    numbers = [uid if command.uid else seq for seq, uid in matches]
    modseq = None
    if _uses_modseq(key) and matches:  # RFC 7162 §3.1.5: the highest among the results
        modseq = max(view.info.modseq(uid) for _, uid in matches)
    options = command.return_options
    if options is None and not s.rev2:
        s.emit(SearchResponse(tuple(numbers), modseq))
        return Done("SEARCH completed")
    _answer_extended(s, command, options or ("ALL",), numbers, [uid for _, uid in matches], modseq)
    return Done("SEARCH completed")


def _check_charset(charset: str | None) -> None:
    try:
        check_charset(charset)
    except SearchError:
        # RFC 3501 §6.4.4: "it MUST return a tagged NO response (not a BAD)"
        raise No(f"charset {charset} is not supported", _badcharset()) from None


def _badcharset() -> ResponseCode:
    return ResponseCode("BADCHARSET", SUPPORTED_CHARSETS)


def _uses_modseq(key: SearchKey) -> bool:
    match key:
        case SearchModSeq():
            return True
        case SearchNot(key=inner):
            return _uses_modseq(inner)
        case SearchOr(left=left, right=right):
            return _uses_modseq(left) or _uses_modseq(right)
        case SearchAnd(keys=keys):
            return any(_uses_modseq(k) for k in keys)
    return False


async def _evaluate(s: Session, view: SelectedMailbox, key: SearchKey) -> list[tuple[int, int]]:
    """(sequence number, UID) of every matching message, ascending."""
    last_uid = view.uids[-1] if view.uids else 0
    try:
        predicate = compile_search(
            key, max_seq=view.exists, max_uid=last_uid, saved_uids=frozenset(s.saved_uids)
        )
    except SearchError as exc:
        raise Bad(str(exc)) from None
    loader = _loader(s.ctx.store.sync, view.id)
    candidates = [
        SearchCandidate(
            seq, uid, info.flags, info.internal_date, info.size, info.modseq,
            uid in view.recent, _bind(loader, uid),
        )
        for seq, uid in enumerate(view.uids, 1)
        for info in (view.info[uid],)
    ]  # fmt: skip

    def run() -> list[tuple[int, int]]:
        return [(c.seq, c.uid) for c in candidates if predicate(c)]

    if needs_content(key):  # store reads and MIME parsing stay off the event loop
        return await trio.to_thread.run_sync(run)
    return run()


def _loader(store: Mailstore, mailbox_id: int) -> Callable[[int], MessageView]:
    """Runs in the worker thread: the blocking store API is thread-safe."""

    def load(uid: int) -> MessageView:
        try:
            return MessageView(store.fetch(mailbox_id, uid))
        except (NoSuchMessage, NoSuchMailbox):  # expunged meanwhile: matches no text
            return MessageView(b"")

    return load


def _bind(loader: Callable[[int], MessageView], uid: int) -> Callable[[], MessageView]:
    return lambda: loader(uid)


def _answer_extended(
    s: Session,
    command: Search,
    options: tuple[str, ...],
    numbers: list[int],
    uids: list[int],
    modseq: int | None,
) -> None:
    """RFC 4731 §3.1: MIN, MAX, COUNT, ALL; RETURN () means ALL. RFC 5182 §2.1:
    SAVE alone sends no ESEARCH; with MIN/MAX but not ALL/COUNT it saves those."""
    if "SAVE" in options:
        s.saved_uids = _saved(options, uids)
    shown = [o for o in options if o != "SAVE"]
    if not shown:
        return
    found = bool(numbers)
    s.emit(
        ESearchResponse(
            tag=command.tag,
            uid=command.uid,
            min=min(numbers) if found and "MIN" in shown else None,
            max=max(numbers) if found and "MAX" in shown else None,
            count=len(numbers) if "COUNT" in shown else None,
            all=compact(numbers) if found and "ALL" in shown else None,
            modseq=modseq,
        )
    )


def _saved(options: tuple[str, ...], uids: list[int]) -> tuple[int, ...]:
    if not uids or "ALL" in options or "COUNT" in options:
        return tuple(uids)
    picked = {uids[0]} if "MIN" in options else set()
    if "MAX" in options:
        picked.add(uids[-1])
    return tuple(sorted(picked)) if picked else tuple(uids)
