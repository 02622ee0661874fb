"""Commands valid in every state: CAPABILITY, NOOP, LOGOUT (RFC 9051 §6.1) and
ID (RFC 2971), with CHECK (RFC 3501 §6.4.1), which rev1 servers treat as NOOP.
"""

from __future__ import annotations

from harness import __version__
from harness.protocols.imap import (
    Capability,
    CapabilityResponse,
    Check,
    Id,
    IdResponse,
    Logout,
    Noop,
    TaggedResponse,
    UntaggedStatus,
)
from harness.server.imap.base import Bad, Done, Session
from harness.server.imap.capabilities import capabilities

MAX_ID_PAIRS = 30  # RFC 2971 §3.3: "MUST NOT send more than 30 field-value pairs"
SERVER_ID = (("name", "mailharness"), ("version", __version__), ("vendor", "mailharness"))


async def capability(s: Session, command: Capability) -> Done:
    """RFC 9051 §6.1.1: exactly one untagged CAPABILITY, then OK."""
    s.emit(CapabilityResponse(capabilities(s)))
    return Done("CAPABILITY completed")


async def noop(s: Session, command: Noop | Check) -> Done:
    """RFC 9051 §6.1.2: nothing, but a chance for the updates the loop announces."""
    return Done(f"{command.name} completed")


async def logout(s: Session, command: Logout) -> None:
    """RFC 9051 §6.1.3: "The server MUST send a BYE untagged response before the
    (tagged) OK response, and then close the network connection." """
    s.emit(UntaggedStatus("BYE", "mailharness logging out"))
    s.emit(TaggedResponse(command.tag, "OK", "LOGOUT completed"))
    await s.flush()
    s.record.result = "logout"
    s.finished = True


async def identify(s: Session, command: Id) -> Done:
    """RFC 2971 §3.1: answer with our identity; §3 "Servers MUST NOT deny access
    ... based on information from the ID command", so nothing else happens."""
    if command.params is not None and len(command.params) > MAX_ID_PAIRS:
        raise Bad(f"ID takes at most {MAX_ID_PAIRS} field-value pairs")
    s.emit(IdResponse(SERVER_ID))
    return Done("ID completed")
