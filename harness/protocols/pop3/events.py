"""POP3 events: what the client sends, what the server answers.

Commands (client -> server) are named after their keywords (RFC 1939 §§4-7,
RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH, RFC 6856 UTF8/LANG). ``AuthLine``
is a client line inside an AUTH exchange (base64 data, or the "*" cancel).

Responses (server -> client): ``Ok`` / ``Err`` status lines with an optional
RFC 2449 response code, ``AuthChallenge`` ("+ " continuation, RFC 5034), and
the pieces of a multi-line response: listing lines (``ScanListing``,
``UniqueIdListing``, ``Capability``, ``LanguageListing``), ``MessageData``
chunks of a RETR/TOP body (already un-stuffed; a large message never has to be
held whole), then ``MultilineEnd``. ``ConnectionClosed``: the peer closed.

Text fields are ``str``: UTF-8 decoded with surrogateescape, so any octets a
peer sends survive a parse/emit round trip unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class Event:
    """Base of everything ``next_event`` returns and ``send`` accepts."""

    __slots__ = ()


class ClientEvent(Event):
    """Sent by the client."""

    __slots__ = ()


class Command(ClientEvent):
    """A command line; ``keyword`` is its RFC keyword."""

    __slots__ = ()
    keyword: ClassVar[str] = ""


class ServerEvent(Event):
    """Sent by the server."""

    __slots__ = ()


class Response(ServerEvent):
    """A status line: ``+OK`` or ``-ERR``."""

    __slots__ = ()
    text: str
    code: str | None


# --- AUTHORIZATION state (RFC 1939 §4, §7; RFC 2595; RFC 5034; RFC 6856) ---


@dataclass(frozen=True)
class User(Command):
    keyword: ClassVar[str] = "USER"
    name: str


@dataclass(frozen=True)
class Pass(Command):
    keyword: ClassVar[str] = "PASS"
    password: str


@dataclass(frozen=True)
class Apop(Command):
    keyword: ClassVar[str] = "APOP"
    name: str
    digest: str


@dataclass(frozen=True)
class Auth(Command):
    """``initial_response``: decoded octets; b"" is the "=" form; None: absent."""

    keyword: ClassVar[str] = "AUTH"
    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True)
class AuthLine(ClientEvent):
    """A client line inside AUTH: decoded ``data``, or ``cancelled`` for "*"."""

    data: bytes = b""
    cancelled: bool = False


@dataclass(frozen=True)
class Stls(Command):
    keyword: ClassVar[str] = "STLS"


@dataclass(frozen=True)
class Utf8(Command):
    keyword: ClassVar[str] = "UTF8"


# --- TRANSACTION state (RFC 1939 §5, §7) ---


@dataclass(frozen=True)
class Stat(Command):
    keyword: ClassVar[str] = "STAT"


@dataclass(frozen=True)
class List(Command):
    keyword: ClassVar[str] = "LIST"
    msg: int | None = None


@dataclass(frozen=True)
class Retr(Command):
    keyword: ClassVar[str] = "RETR"
    msg: int


@dataclass(frozen=True)
class Dele(Command):
    keyword: ClassVar[str] = "DELE"
    msg: int


@dataclass(frozen=True)
class Noop(Command):
    keyword: ClassVar[str] = "NOOP"


@dataclass(frozen=True)
class Rset(Command):
    keyword: ClassVar[str] = "RSET"


@dataclass(frozen=True)
class Top(Command):
    keyword: ClassVar[str] = "TOP"
    msg: int
    lines: int


@dataclass(frozen=True)
class Uidl(Command):
    keyword: ClassVar[str] = "UIDL"
    msg: int | None = None


# --- More than one state (RFC 2449 CAPA, RFC 6856 LANG) and UPDATE (QUIT) ---


@dataclass(frozen=True)
class Capa(Command):
    keyword: ClassVar[str] = "CAPA"


@dataclass(frozen=True)
class Lang(Command):
    """``language`` is a lang-range ("*" allowed); None asks for the listing."""

    keyword: ClassVar[str] = "LANG"
    language: str | None = None


@dataclass(frozen=True)
class Quit(Command):
    keyword: ClassVar[str] = "QUIT"


# --- Responses ---


@dataclass(frozen=True)
class Ok(Response):
    """``+OK [code] text``; ``code`` is an RFC 2449 §8 response code such as "SYS/TEMP"."""

    text: str = ""
    code: str | None = None


@dataclass(frozen=True)
class Err(Response):
    """``-ERR [code] text``. Always a single line, whatever the command."""

    text: str = ""
    code: str | None = None


@dataclass(frozen=True)
class AuthChallenge(ServerEvent):
    """``+ base64`` during AUTH; ``data`` is the decoded challenge."""

    data: bytes = b""


# --- Multi-line response pieces ---


class MultilinePart(ServerEvent):
    """A piece of a multi-line response body."""

    __slots__ = ()


@dataclass(frozen=True)
class ScanListing(MultilinePart):
    """``msg SP size [SP info]``: a LIST line (or, parsed from ``+OK``, LIST n)."""

    msg: int
    size: int
    info: str = ""


@dataclass(frozen=True)
class UniqueIdListing(MultilinePart):
    """``msg SP unique-id``: a UIDL line."""

    msg: int
    uid: str


@dataclass(frozen=True)
class Capability(MultilinePart):
    """``capa-tag *(SP param)``: a CAPA line."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageListing(MultilinePart):
    """``language-tag SP description``: a LANG listing line (RFC 6856 §3)."""

    tag: str
    description: str = ""


@dataclass(frozen=True)
class MessageData(MultilinePart):
    """Un-stuffed octets of a RETR/TOP body; chunk boundaries carry no meaning."""

    data: bytes


@dataclass(frozen=True)
class MultilineEnd(MultilinePart):
    """The terminating "." line."""


@dataclass(frozen=True)
class ConnectionClosed(Event):
    """The peer closed its side (``receive_data(b"")``) and all input is consumed."""
