"""APPEND (RFC 9051 §6.3.12, RFC 3501 §6.3.11) with UIDPLUS's APPENDUID
(RFC 4315 §3), BINARY's literal8 (RFC 3516 §4.4) and UTF8's "UTF8 (...)"
(RFC 6855 §4).

The message is stored byte for byte (the store adds nothing), durably
before the OK. "If the destination mailbox does not exist, a server MUST
return an error, and MUST NOT automatically create the mailbox" (§6.3.12):
NO [TRYCREATE]. Too large: NO [TOOBIG] (RFC 7889 §4); the session loop
already refuses an announced literal over the limit before any octet comes.
"""

from __future__ import annotations

from harness.protocols.imap import Append, ResponseCode, SequenceSet
from harness.server.imap.authenticated.lookup import find_destination
from harness.server.imap.base import Bad, Done, No, Session, store_failure
from harness.server.store import StoreError


async def append(s: Session, command: Append) -> Done:
    _check_message(s, command)
    destination = await find_destination(s, command.mailbox)
    flags = _flags(command.flags or ())
    try:
        appended = await s.ctx.store.append(
            destination.id, command.message, flags=flags, internal_date=command.internal_date
        )
    except StoreError as exc:
        raise store_failure(exc) from None
    s.record.message(
        "appended", mailbox=destination.name, uid=appended.uid, size=len(command.message)
    )
    uids = SequenceSet.of(appended.uid)
    return Done("APPEND completed", ResponseCode("APPENDUID", (appended.uidvalidity, uids)))


def _check_message(s: Session, command: Append) -> None:
    message = command.message
    if command.utf8 and "UTF8=ACCEPT" not in s.conn.enabled:
        # RFC 6855 §4: the UTF8 data item is for clients that enabled UTF8=ACCEPT
        raise Bad("APPEND UTF8 needs ENABLE UTF8=ACCEPT first")
    if not (command.binary or command.utf8) and b"\x00" in message:
        # RFC 9051 §4.3: a literal is CHAR8 (no NUL); NUL needs literal8 (RFC 3516 §4.4)
        raise Bad("a message with NUL octets must be sent as a literal8 (~{n})")
    if not message:
        raise No("an empty message cannot be stored", "CANNOT")
    if len(message) > s.ctx.limits.max_message_size:
        raise No(f"message exceeds {s.ctx.limits.max_message_size} octets", "TOOBIG")


def _flags(flags: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 3501 §2.3.2: \\Recent "is not ... alterable by the client"."""
    if any(flag.lower() == "\\recent" for flag in flags):
        raise No("\\Recent cannot be set by a client", "CANNOT")
    for flag in flags:
        if flag == "\\*":
            raise Bad("\\* is not a flag")
    return flags
