"""COPY and MOVE, and their UID forms (RFC 9051 §6.4.7-8, RFC 6851, UIDPLUS's
COPYUID from RFC 4315 §3).

"If the destination mailbox does not exist, a server SHOULD return an error
... [TRYCREATE]" and nothing is created (RFC 9051 §6.4.7). COPY is atomic in
the store: all messages or none ("MUST restore the destination mailbox"). MOVE
sends its COPYUID in an untagged OK before the EXPUNGEs (RFC 6851 §3.3:
"servers SHOULD send the COPYUID response code in an untagged OK before
sending EXPUNGE or VANISHED responses").
"""

from __future__ import annotations

from harness.protocols.imap import Copy, Move, ResponseCode, UntaggedStatus
from harness.server.imap.authenticated.lookup import find_destination
from harness.server.imap.base import Done, No, Session, store_failure
from harness.server.imap.selected.updates import emit_expunges
from harness.server.imap.selected.view import compact
from harness.server.store import CopyResult, StoreError


async def copy(s: Session, command: Copy | Move) -> Done:
    view = s.require_selected()
    moving = isinstance(command, Move)
    if moving and view.read_only:
        raise No("the mailbox is read-only (EXAMINE): nothing can move out of it")
    uids = view.resolve(command.sequence_set, uid=command.uid, saved=s.saved_uids)
    destination = await find_destination(s, command.mailbox)
    live = [uid for uid in uids if uid not in view.vanished]
    try:
        if moving:
            result = await s.ctx.store.move(view.id, live, destination.id)
        else:
            result = await s.ctx.store.copy(view.id, live, destination.id)
    except StoreError as exc:
        raise store_failure(exc) from None
    code = _copyuid(result)
    if not moving:
        return Done("COPY completed", code)
    if code is not None:
        s.emit(UntaggedStatus("OK", "moved", code))
    view.vanished.update(uid for uid in result.source_uids if uid in view.info)
    emit_expunges(s, view)
    return Done("MOVE completed")


def _copyuid(result: CopyResult) -> ResponseCode | None:
    """RFC 4315 §3: COPYUID uidvalidity source-uids destination-uids, in the same order."""
    if not result.source_uids:
        return None
    value = (result.uidvalidity, compact(result.source_uids), compact(result.destination_uids))
    return ResponseCode("COPYUID", value)
