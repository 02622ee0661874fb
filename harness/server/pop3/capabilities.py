"""CAPA (RFC 2449 §5) and LANG (RFC 6856 §3): valid in AUTHORIZATION and TRANSACTION.

The list follows the session's TLS state: USER and SASL appear only where a
login is allowed (so not before STLS while TLS is required), STLS only on a
STARTTLS listener before TLS and login. Logging in removes nothing else: RFC
2449 §5, "Capabilities available in the AUTHORIZATION state MUST be announced
in both states", and §6.2 (USER) and §6.3 (SASL) say "both / no". Every
capability listed works in AUTHORIZATION; nothing is probed for.

    TOP, UIDL, USER          RFC 2449 §6.1, §6.2, §6.8 (RFC 1939 optional commands)
    SASL mech...             RFC 2449 §6.3, RFC 5034
    RESP-CODES               RFC 2449 §6.4: [IN-USE], [SYS/TEMP], ...
    AUTH-RESP-CODE           RFC 3206 §6: login failures carry [AUTH]
    PIPELINING               RFC 2449 §6.6
    EXPIRE NEVER             RFC 2449 §6.7: this server deletes nothing by itself
    STLS                     RFC 2595 §4
    UTF8, LANG               RFC 6856 §2, §3 (responses are in English only)
    IMPLEMENTATION           RFC 2449 §6.9
"""

from __future__ import annotations

from harness.protocols.pop3 import (
    Capa,
    Capability,
    Command,
    Lang,
    LanguageListing,
    MultilineEnd,
    Ok,
)
from harness.protocols.pop3 import State as Pop3State
from harness.server.pop3.session_state import CommandHandler, Pop3Session
from harness.targets import TLSMode

LANGUAGES = (LanguageListing("en", "English"),)  # the one language responses are in

_ALWAYS = (
    Capability("TOP"),
    Capability("UIDL"),
    Capability("RESP-CODES"),
    Capability("AUTH-RESP-CODE"),
    Capability("PIPELINING"),
    Capability("EXPIRE", ("NEVER",)),
    Capability("UTF8"),
    Capability("LANG"),
    Capability("IMPLEMENTATION", ("mailharness",)),
)


def capabilities(session: Pop3Session) -> list[Capability]:
    """The capability list for the session as it is now."""
    listed = list(_ALWAYS)
    mechanisms = session.ctx.auth.mechanisms(tls=session.tls)
    if session.ctx.auth.may_authenticate(tls=session.tls):
        listed.append(Capability("USER"))
    if mechanisms:
        listed.append(Capability("SASL", mechanisms))
    # RFC 2595 §4: STLS is "Only permitted in AUTHORIZATION state"
    authorizing = session.conn.state is Pop3State.AUTHORIZATION
    if authorizing and session.listener.tls is TLSMode.STARTTLS and not session.tls:
        listed.append(Capability("STLS"))
    return listed


async def on_capa(session: Pop3Session, command: Capa) -> None:
    await session.reply_all([Ok("capability list follows"), *capabilities(session), MultilineEnd()])


async def on_lang(session: Pop3Session, command: Lang) -> None:
    if command.language is None:
        await session.reply_all([Ok("language listing follows"), *LANGUAGES, MultilineEnd()])
        return
    selected = _select_language(command.language)
    if selected is None:  # the client's tag is not echoed: it may not be ASCII
        await session.err("that language is not available")
        return
    # RFC 6856 §3.2: "the server returns a +OK response followed by a single
    # space, the exact language tag selected, and another space."
    await session.ok(f"{selected.tag} responses are in {selected.description}")


def _select_language(wanted: str) -> LanguageListing | None:
    """The language a LANG argument picks: "*" the default (RFC 6856 §3.2);
    tags compare case-insensitively, and a more specific tag ("en-GB") falls
    back to its prefix (RFC 4647 §3.4 lookup)."""
    if wanted == "*":
        return LANGUAGES[0]
    subtags = wanted.lower().split("-")
    for length in range(len(subtags), 0, -1):
        prefix = "-".join(subtags[:length])
        for listing in LANGUAGES:
            if listing.tag.lower() == prefix:
                return listing
    return None


CAPABILITY_COMMANDS: dict[type[Command], CommandHandler] = {Capa: on_capa, Lang: on_lang}
