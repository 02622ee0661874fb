"""Pieces of the command grammar every state module uses.

RFC 1939 §3: "Commands in the POP3 consist of a case-insensitive keyword,
possibly followed by one or more arguments. All commands are terminated by a
CRLF pair. Keywords and arguments consist of printable ASCII characters.
Keywords and arguments are each separated by a single SPACE character."

RFC 2449 §9:

    command  = keyword *(SP param) CRLF    ; 255 octets maximum
    keyword  = 3*4VCHAR
    param    = 1*VCHAR

RFC 6856 §2: after UTF8, arguments may also hold UTF-8 octets.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.pop3.events import Command
from harness.protocols.pop3.text import CRLF, DIGITS, VCHAR, VCHAR_UTF8

MAX_DIGITS = 19  # numbers beyond 2**63 are not message numbers or sizes

Parser = Callable[[bytes | None, bool], Command]
"""``(arguments after the first SP or None, utf8 mode) -> Command``."""


class CommandSyntaxError(ValueError):
    """The client's line breaks the grammar; ``str(exc)`` goes into the -ERR reply."""


def params(args: bytes | None, *, utf8: bool) -> list[bytes]:
    """Split arguments at single spaces; each must be 1*VCHAR (or UTF-8 after UTF8)."""
    if args is None:
        return []
    pattern = VCHAR_UTF8 if utf8 else VCHAR
    parts = args.split(b" ")
    if not all(pattern.fullmatch(part) for part in parts):
        raise CommandSyntaxError("arguments are printable words separated by single spaces")
    return parts


def arity(keyword: str, parts: list[bytes], low: int, high: int) -> list[bytes]:
    """``parts`` if it holds between ``low`` and ``high`` arguments."""
    if not low <= len(parts) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise CommandSyntaxError(f"{keyword} takes {wanted} argument(s)")
    return parts


def no_arguments(keyword: str) -> Callable[[bytes | None, bool], list[bytes]]:
    def check(args: bytes | None, utf8: bool) -> list[bytes]:
        return arity(keyword, params(args, utf8=utf8), 0, 0)

    return check


def number(octets: bytes, *, minimum: int, what: str) -> int:
    """A decimal number >= ``minimum`` (RFC 1939 §3: message numbers start at 1)."""
    if not DIGITS.fullmatch(octets) or len(octets) > MAX_DIGITS:
        raise CommandSyntaxError(f"{what} must be a decimal number")
    value = int(octets)
    if value < minimum:
        raise CommandSyntaxError(f"{what} must be at least {minimum}")
    return value


def format_number(value: int, *, minimum: int, what: str) -> bytes:
    if value < minimum or len(str(value)) > MAX_DIGITS:
        raise LocalProtocolError(f"{what} {value} out of range")
    return str(value).encode()


def command_line(keyword: str, *args: bytes) -> bytes:
    return b" ".join((keyword.encode(), *args)) + CRLF
