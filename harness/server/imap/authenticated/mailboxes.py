"""Authenticated state, the mailbox namespace: CREATE, DELETE, RENAME,
SUBSCRIBE, UNSUBSCRIBE (RFC 9051 §6.3.4-8), NAMESPACE (RFC 2342) and ENABLE
(RFC 5161). The store enforces the hierarchy rules; its errors carry the
RFC 5530 code each NO gets ([ALREADYEXISTS], [NONEXISTENT], [HASCHILDREN]...).
"""

from __future__ import annotations

from harness.protocols.imap import (
    Create,
    Delete,
    Enable,
    EnabledResponse,
    Namespace,
    NamespaceDescr,
    NamespaceResponse,
    Rename,
    Subscribe,
    Unsubscribe,
)
from harness.server.imap.authenticated.listing import DELIMITER
from harness.server.imap.base import Done, No, Session, store_failure
from harness.server.imap.capabilities import ENABLEABLE
from harness.server.store import StoreError

# RFC 6154 §2 uses a server can give a real mailbox; \All and \Flagged are virtual
CREATABLE_USES = frozenset({"\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"})


def _new_name(s: Session, wire: str) -> str:
    """RFC 3501 §6.3.3: a trailing delimiter only declares that inferiors will follow."""
    name = s.mailbox_name(wire)
    stripped = name[:-1] if name.endswith(DELIMITER) else name
    if not stripped:
        raise No("a mailbox needs a name", "CANNOT")
    return stripped


async def create(s: Session, command: Create) -> Done:
    name = _new_name(s, command.mailbox)
    special_use = _special_use(command.special_use)
    try:
        await s.ctx.store.create_mailbox(s.account.id, name, special_use=special_use)
    except StoreError as exc:
        raise store_failure(exc) from None
    return Done("CREATE completed")


def _special_use(uses: tuple[str, ...]) -> str | None:
    """RFC 6154 §3: "the server MUST return NO [USEATTR]" for a use it cannot give."""
    if not uses:
        return None
    canonical = {use.lower(): use for use in CREATABLE_USES}
    if len(uses) > 1 or uses[0].lower() not in canonical:
        raise No(f"cannot create a mailbox with use {' '.join(uses)}", "USEATTR")
    return canonical[uses[0].lower()]


async def delete(s: Session, command: Delete) -> Done:
    """RFC 9051 §6.3.5; a name with inferiors stays as \\Noselect. Sessions that
    have it selected see every message expunged (their change feed says so)."""
    try:
        await s.ctx.store.delete_mailbox(s.account.id, s.mailbox_name(command.mailbox))
    except StoreError as exc:
        raise store_failure(exc) from None
    return Done("DELETE completed")


async def rename(s: Session, command: Rename) -> Done:
    """RFC 9051 §6.3.6; renaming INBOX moves its messages and leaves it empty."""
    old = s.mailbox_name(command.mailbox)
    new = _new_name(s, command.new_name)
    try:
        await s.ctx.store.rename_mailbox(s.account.id, old, new)
    except StoreError as exc:
        raise store_failure(exc) from None
    return Done("RENAME completed")


async def subscribe(s: Session, command: Subscribe | Unsubscribe) -> Done:
    """RFC 9051 §6.3.7-8: any valid name, existing or not (checking is a MAY),
    and both are idempotent. A subscription outlives its mailbox (RFC 3501
    §6.3.9 "MUST NOT unilaterally remove"), and RENAME leaves it on the old
    name (RFC 9051 §6.3.6), so neither DELETE nor RENAME touches the list."""
    name = s.mailbox_name(command.mailbox)
    try:
        await s.ctx.store.set_subscribed(s.account.id, name, isinstance(command, Subscribe))
    except StoreError as exc:
        raise store_failure(exc) from None
    return Done(f"{command.name} completed")


async def namespace(s: Session, command: Namespace) -> Done:
    """RFC 2342 §5: one personal namespace, no prefix; no others, no shared."""
    s.emit(NamespaceResponse(personal=(NamespaceDescr("", DELIMITER),)))
    return Done("NAMESPACE completed")


async def enable(s: Session, command: Enable) -> Done:
    """RFC 5161 §3.1: ENABLED lists what this command newly enabled; unknown
    names are ignored. The core switches to UTF-8 names when it sends ENABLED."""
    newly: list[str] = []
    for requested in command.capabilities:
        name = ENABLEABLE.get(requested.upper())
        if name is not None and name.upper() not in s.conn.enabled and name not in newly:
            newly.append(name)
    s.emit(EnabledResponse(tuple(newly)))
    if "CONDSTORE" in newly:
        s.condstore = True
    return Done("ENABLE completed")
