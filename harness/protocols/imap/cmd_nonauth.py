"""Not-authenticated state commands: RFC 9051 §6.2 (STARTTLS, AUTHENTICATE,
LOGIN), with SASL-IR (RFC 4959), and the client's lines inside AUTHENTICATE.

    command-nonauth = login / authenticate / "STARTTLS"
    authenticate    = "AUTHENTICATE" SP auth-type [SP initial-resp] *(CRLF base64)
    initial-resp    = (base64 / "=")       ; RFC 4959 §7, RFC 9051 §9
    login           = "LOGIN" SP userid SP password
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser, no_arguments
from harness.protocols.imap.events import Event
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.writer import Writer

_BASE64_RE = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


@dataclass(frozen=True, slots=True)
class StartTLS(Command):
    """RFC 9051 §6.2.1. After the tagged OK the client starts TLS at once; any
    octets it sent after the command line are an injection and are dropped."""

    name: ClassVar[str] = "STARTTLS"


@dataclass(frozen=True, slots=True)
class Authenticate(Command):
    """RFC 9051 §6.2.2; ``initial_response`` is decoded SASL-IR data (b"" is "=")."""

    mechanism: str
    initial_response: bytes | None = None
    name: ClassVar[str] = "AUTHENTICATE"

    def encode(self, w: Writer) -> None:
        w.raw(b"AUTHENTICATE ")
        w.atom(self.mechanism)
        if self.initial_response is not None:
            w.sp()
            w.raw(encode_base64(self.initial_response) or b"=")


@dataclass(frozen=True, slots=True)
class Login(Command):
    """RFC 9051 §6.2.3: user name and password as astrings."""

    username: str
    password: str
    name: ClassVar[str] = "LOGIN"

    def encode(self, w: Writer) -> None:
        w.raw(b"LOGIN ")
        w.astring(self.username)
        w.sp()
        w.astring(self.password)


@dataclass(frozen=True, slots=True)
class AuthenticationData(Event):
    """A client response inside AUTHENTICATE: one line of base64 (decoded here)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AuthenticationCancel(Event):
    """RFC 9051 §6.2.2: 'If the client wishes to cancel an authentication
    exchange, it issues a line consisting of a single "*".' The server then
    answers the AUTHENTICATE with a tagged BAD."""


def encode_base64(data: bytes) -> bytes:
    return base64.b64encode(data)


def decode_base64(raw: bytes) -> bytes:
    """base64 = *(4base64-char) [base64-terminal]; strict, no line breaks or spaces."""
    if _BASE64_RE.fullmatch(raw) is None:
        raise ParseError("invalid base64")
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise ParseError(f"invalid base64: {exc}") from None


def parse_sasl_line(line: bytes) -> AuthenticationData | AuthenticationCancel:
    """One client line during AUTHENTICATE: base64 data or the "*" cancel."""
    if line == b"*":
        return AuthenticationCancel()
    return AuthenticationData(decode_base64(line))


def write_sasl_line(event: AuthenticationData | AuthenticationCancel) -> bytes:
    if isinstance(event, AuthenticationCancel):
        return b"*\r\n"
    return encode_base64(event.data) + b"\r\n"


def parse_authenticate(r: Reader, tag: str) -> Authenticate:
    r.sp()
    mechanism = r.atom()
    initial: bytes | None = None
    if r.take(b" "):
        raw = r.line[r.pos :]
        if not raw:
            r.fail("initial response")
        initial = b"" if raw == b"=" else decode_base64(raw)
        r.pos = len(r.line)
    return Authenticate(tag, mechanism, initial)


def parse_login(r: Reader, tag: str) -> Login:
    r.sp()
    username = r.astring()
    r.sp()
    return Login(tag, username, r.astring())


PARSERS: dict[str, CommandParser] = {
    "STARTTLS": no_arguments(StartTLS),
    "AUTHENTICATE": parse_authenticate,
    "LOGIN": parse_login,
}
