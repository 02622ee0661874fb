"""STORE and UID STORE (RFC 9051 §6.4.6, RFC 3501 §6.4.6) with CONDSTORE's
UNCHANGEDSINCE (RFC 7162 §3.1.3).

Each message's new flags come back as an untagged FETCH ("The server
SHOULD send an untagged FETCH response", unless .SILENT). With
UNCHANGEDSINCE, a message changed since that mod-sequence is left alone and
named in the tagged OK's [MODIFIED set] (RFC 7162 §3.1.3: "the server MUST
return ... MODIFIED"), by sequence number for STORE and by UID for UID
STORE; .SILENT still reports the new MODSEQ of what changed (§3.1.3 ex. 3).
"""

from __future__ import annotations

from harness.protocols.imap import FetchResponse, ResponseCode, Store
from harness.server.imap.base import Done, No, Session, store_failure
from harness.server.imap.selected.updates import emit_flag_definitions, emit_flags
from harness.server.imap.selected.view import SelectedMailbox, compact
from harness.server.store import FlagOperation, FlagUpdate, StoreError

OPERATIONS = {"": FlagOperation.SET, "+": FlagOperation.ADD, "-": FlagOperation.REMOVE}


async def store(s: Session, command: Store) -> Done:
    view = s.require_selected()
    if view.read_only:
        raise No("the mailbox is read-only (EXAMINE)")
    uids = view.resolve(command.sequence_set, uid=command.uid, saved=s.saved_uids)
    _check_flags(command.flags)
    if command.unchangedsince is not None:  # RFC 7162 §3.1: CONDSTORE-enabling
        s.condstore = True
    live = [uid for uid in uids if uid not in view.vanished]
    try:
        result = await s.ctx.store.store_flags(
            view.id,
            live,
            OPERATIONS[command.action],
            command.flags,
            unchanged_since=command.unchangedsince,
        )
    except StoreError as exc:
        raise store_failure(exc) from None
    _report(s, view, command, result.updated)
    if not result.modified:
        return Done("STORE completed")
    numbers = result.modified if command.uid else [view.seq_of(u) or 0 for u in result.modified]
    return Done("STORE partly done", ResponseCode("MODIFIED", compact(sorted(numbers))))


def _check_flags(flags: tuple[str, ...]) -> None:
    """RFC 3501 §2.3.2: \\Recent "is not ... alterable by the client"."""
    for flag in flags:
        if flag.lower() == "\\recent" or flag == "\\*":
            raise No(f"{flag} cannot be stored", "CANNOT")


def _report(
    s: Session, view: SelectedMailbox, command: Store, updates: tuple[FlagUpdate, ...]
) -> None:
    for update in updates:
        view.set_flags(update.uid, update.flags, update.modseq)
    if view.note_keywords(u.flags for u in updates):
        emit_flag_definitions(s, view)
    for update in updates:
        if not command.silent:
            emit_flags(s, view, update.uid, with_uid=command.uid or s.rev2)
        elif update.changed and command.unchangedsince is not None:
            seq = view.seq_of(update.uid) or 0
            uid = update.uid if command.uid else None
            s.emit(FetchResponse(seq, uid=uid, modseq=update.modseq))
