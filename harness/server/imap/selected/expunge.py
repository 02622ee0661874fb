"""Leaving and cleaning a mailbox: EXPUNGE, UID EXPUNGE (RFC 4315 §2.1),
CLOSE and UNSELECT (RFC 9051 §6.4.1-3, RFC 3691).

EXPUNGE answers with one untagged EXPUNGE per removed message (RFC 9051
§7.5.1: each renumbers the rest at once). CLOSE removes \\Deleted messages
silently ("No untagged EXPUNGE responses are sent", §6.4.1) and not at all
in a read-only mailbox; UNSELECT never removes anything.
"""

from __future__ import annotations

from harness.protocols.imap import Close, Expunge, Unselect
from harness.server.imap.authenticated.select import leave_mailbox
from harness.server.imap.base import Done, No, Session, store_failure
from harness.server.imap.selected.updates import emit_expunges
from harness.server.store import StoreError


async def expunge(s: Session, command: Expunge) -> Done:
    view = s.require_selected()
    if view.read_only:  # RFC 9051 §6.4.3 applies to a read-write mailbox only
        raise No("the mailbox is read-only (EXAMINE)")
    chosen = None
    if command.uids is not None:
        chosen = view.resolve(command.uids, uid=True)
        if not chosen:
            return Done("UID EXPUNGE completed")
    try:
        result = await s.ctx.store.expunge(view.id, chosen)
    except StoreError as exc:
        raise store_failure(exc) from None
    view.vanished.update(uid for uid in result.uids if uid in view.info)
    emit_expunges(s, view)
    return Done(f"{'UID ' if chosen is not None else ''}EXPUNGE completed")


async def close(s: Session, command: Close) -> Done:
    view = s.require_selected()
    if not view.read_only and not view.gone:
        try:
            await s.ctx.store.expunge(view.id)
        except StoreError:
            pass  # deleted under us: nothing is left to expunge
    await leave_mailbox(s)
    return Done("CLOSE completed")


async def unselect(s: Session, command: Unselect) -> Done:
    await leave_mailbox(s)
    return Done("UNSELECT completed")
