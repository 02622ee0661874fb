"""Finding a mailbox named in a command, with the NO a missing one deserves.

RFC 5530 §3: [NONEXISTENT] for "the operation attempts to access a mailbox
that does not exist"; APPEND, COPY and MOVE say [TRYCREATE] instead (RFC 9051
§6.3.12, §6.4.7), which is their own business.
"""

from __future__ import annotations

from harness.server.imap.base import No, Session
from harness.server.store import Mailbox


async def find_mailbox_any(s: Session, wire_name: str) -> Mailbox:
    """The mailbox, selectable or a \\Noselect name; NO [NONEXISTENT] if none."""
    mailbox = await s.ctx.store.get_mailbox(s.account.id, s.mailbox_name(wire_name))
    if mailbox is None:
        raise No(f"no mailbox named {wire_name}", "NONEXISTENT")
    return mailbox


async def find_selectable(s: Session, wire_name: str) -> Mailbox:
    """A mailbox that holds messages; NO [NONEXISTENT] for a missing or \\Noselect name."""
    mailbox = await find_mailbox_any(s, wire_name)
    if not mailbox.selectable:
        raise No(f"no mailbox named {wire_name}", "NONEXISTENT")
    return mailbox


async def find_destination(s: Session, wire_name: str) -> Mailbox:
    """Where APPEND, COPY and MOVE put messages: NO [TRYCREATE] if it cannot take them.

    RFC 9051 §6.3.12: "If the destination mailbox does not exist, a server
    MUST return an error, and MUST NOT automatically create the mailbox ...
    the server SHOULD [return] the "[TRYCREATE]" response code".
    """
    mailbox = await s.ctx.store.get_mailbox(s.account.id, s.mailbox_name(wire_name))
    if mailbox is None or not mailbox.selectable:
        raise No(f"no mailbox named {wire_name}", "TRYCREATE")
    return mailbox
