"""Mailboxes and paths: the values inside MAIL FROM:<...> and RCPT TO:<...>.

RFC 5321 §4.1.2:

    Reverse-path = Path / "<>"
    Forward-path = Path
    Path         = "<" [ A-d-l ":" ] Mailbox ">"
    Mailbox      = Local-part "@" ( Domain / address-literal )

§4.1.1.3: RCPT also takes "<Postmaster>" without a domain, and "MUST
recognize the source route syntax" but "SHOULD strip off the source route
specification": ``Path.source_route`` keeps it so the server can refuse or
ignore it; it never silently disappears.

The local part is kept *unquoted* ("john doe", not '"john doe"'), and quoted
again on output only when it is not a Dot-string, so two spellings of the same
mailbox are equal values. §2.4: "The local-part of a mailbox MUST BE treated as
case sensitive", so nothing here folds case.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.protocols.smtp.construct import builder2
from harness.protocols.smtp.grammar import DOT_STRING_RE, PATH_RE, address_literal_ok


class PathSyntaxError(ValueError):
    """The text is not a Path in the RFC 5321 §4.1.2 grammar (or passes a limit)."""


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox: ``local_part`` (unquoted) and ``domain`` (or "[literal]").

    ``domain`` is "" only for the special recipient <Postmaster>.
    """

    local_part: str
    domain: str

    @property
    def is_address_literal(self) -> bool:
        return self.domain.startswith("[")

    @property
    def is_postmaster(self) -> bool:
        """RFC 5321 §4.5.1: "Postmaster" is case-insensitive."""
        return self.local_part.lower() == "postmaster"

    @property
    def is_utf8(self) -> bool:
        """Needs SMTPUTF8 (RFC 6531) to be sent."""
        return not (self.local_part.isascii() and self.domain.isascii())

    def __str__(self) -> str:
        local = quote_local_part(self.local_part)
        return f"{local}@{self.domain}" if self.domain else local


@dataclass(frozen=True, slots=True)
class Path:
    """A reverse- or forward-path. ``address`` None is the null path "<>"."""

    address: Address | None = None
    source_route: tuple[str, ...] = ()

    @property
    def is_null(self) -> bool:
        return self.address is None

    @property
    def has_source_route(self) -> bool:
        return bool(self.source_route)

    def __str__(self) -> str:
        if self.address is None:
            return "<>"
        route = ",".join("@" + hop for hop in self.source_route)
        return f"<{route}:{self.address}>" if route else f"<{self.address}>"


NULL_PATH = Path()
new_address = builder2(Address)
new_path = builder2(Path)


def quote_local_part(local: str) -> str:
    """Dot-string if possible, else Quoted-string (RFC 5321 §4.1.2).

    §4.1.2: "a local-part SHOULD be in Dot-string form"; only where it cannot
    be is it quoted, with "\\" and DQUOTE escaped as quoted-pairSMTP.
    """
    if DOT_STRING_RE.fullmatch(local):
        return local
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in local):
        raise PathSyntaxError(f"local part {local!r} holds a control character")
    return '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(local: str) -> str:
    if not local.startswith('"'):
        return local
    body = local[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    escaped = False
    for ch in body:
        if escaped or ch != "\\":
            out.append(ch)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _octets(text: str, start: int, end: int) -> int:
    span = text[start:end]
    return len(span) if span.isascii() else len(span.encode())


def parse_path(
    text: str, pos: int, max_local: int, max_domain: int, max_path: int
) -> tuple[Path, int]:
    """Parse a (non-null) Path starting at ``text[pos]``; return it and the end.

    RFC 5321 §4.5.3.1.1-3: the local part, domain and path limits are the
    minimums a server MUST accept; longer ones are refused here.
    """
    match = PATH_RE.match(text, pos)
    if match is None:
        raise PathSyntaxError("not a path: expected <local-part@domain>")
    local, domain, adl = match.group("local", "domain", "adl")
    if domain[0] == "[" and not address_literal_ok(domain):
        raise PathSyntaxError(f"bad address literal {domain}")
    end = match.end()
    if _octets(text, pos, end) > max_path or len(domain) > max_domain:
        raise PathSyntaxError("path too long")
    address = Address(_unquote(local), domain)
    if _octets(local, 0, len(local)) > max_local:
        raise PathSyntaxError("local part too long")
    route = tuple(hop[1:] for hop in adl.split(",")) if adl else ()
    return Path(address, route), end
