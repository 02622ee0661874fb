"""The EHLO reply: the server's name, then one line per extension.

RFC 5321 §4.1.1.1:

    ehlo-ok-rsp  = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
                   / ( "250-" Domain [ SP ehlo-greet ] CRLF
                       *( "250-" ehlo-line CRLF )
                       "250" SP ehlo-line CRLF )
    ehlo-line    = ehlo-keyword *( SP ehlo-param )
    ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    ehlo-param   = 1*(%d33-126)

Keywords are case-insensitive (§2.4), so the mapping uses upper case. The
pre-RFC 2554 spelling "AUTH=LOGIN PLAIN" (still sent for old Outlook clients)
is folded into AUTH. Lines that are not ehlo-lines are skipped: a client must
be able to talk to a server that says something odd in its EHLO reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.protocols.smtp.events import Reply

_KEYWORD_RE = re.compile("[A-Za-z0-9][A-Za-z0-9-]*")

Extensions = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class EhloInfo:
    """A parsed EHLO reply: ``extensions`` maps KEYWORD -> its parameters."""

    domain: str
    greeting: str = ""
    extensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def size_limit(self) -> int | None:
        """RFC 1870: SIZE with no or a zero value means no fixed limit."""
        params = self.extensions.get("SIZE")
        if not params or not params[0].isdigit() or int(params[0]) == 0:
            return None
        return int(params[0])

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        return tuple(mech.upper() for mech in self.extensions.get("AUTH", ()))


def parse_ehlo_reply(reply: Reply) -> EhloInfo:
    """Split a 250 EHLO reply into domain, greeting and extensions."""
    domain, _, greeting = reply.lines[0].partition(" ")
    extensions: dict[str, tuple[str, ...]] = {}
    for line in reply.lines[1:]:
        keyword, _, rest = line.partition(" ")
        if keyword.upper().startswith("AUTH="):
            params = (keyword[5:], *rest.split())
            keyword = "AUTH"
        else:
            params = tuple(rest.split())
        if _KEYWORD_RE.fullmatch(keyword) is None:
            continue
        key = keyword.upper()
        merged = extensions.get(key, ()) + params
        extensions[key] = tuple(dict.fromkeys(merged))
    return EhloInfo(domain, greeting, extensions)


def ehlo_reply(domain: str, extensions: Mapping[str, Sequence[str]], greeting: str = "") -> Reply:
    """Build the 250 reply to EHLO (no enhanced status code: RFC 2034 §4 omits it)."""
    first = f"{domain} {greeting}" if greeting else domain
    lines = [first]
    for keyword, params in extensions.items():
        lines.append(" ".join((keyword.upper(), *params)))
    return Reply(250, tuple(lines))
