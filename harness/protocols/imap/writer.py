"""Serialisation primitives: typed values to the tokens of RFC 9051 §9.

The writer picks the representation a value needs: an atom where the grammar
allows one and every octet is an ATOM-CHAR, a quoted string for short
printable text, and a literal for anything else. RFC 9051 §4.3: a quoted
string cannot hold CR or LF, so "a string with CR/LF or 8-bit octets" (8-bit
only before UTF8=ACCEPT/IMAP4rev2) always goes out as a literal.

Literals are written three ways, by who is sending:

* a server writes ``{n}`` CRLF and the octets at once (RFC 9051 §4.3);
* a client writes ``{n}`` CRLF and must stop until the server's "+"
  continuation (RFC 9051 §7.5: "The client is not permitted to send the octets
  of the literal unless the server indicates that it is expected"), so the
  output is split into *segments* at each synchronising literal;
* a client whose server offers LITERAL+ (any size) or LITERAL- (up to 4096
  octets, RFC 7888 §5) writes ``{n+}`` and the octets at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TypeVar

from harness.protocols.imap.lexer import ASTRING_ATOM_RE, ATOM_RE, FLAG_RE, MONTHS
from harness.protocols.imap.values import SequenceSet

T = TypeVar("T")

_QUOTABLE_ASCII = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*")
_QUOTABLE_UTF8 = re.compile(rb"[^\x00\r\n]*")
_QUOTED_MAX = 1024
NONSYNC_UNLIMITED = -1


def encode(text: str) -> bytes:
    """``str`` to wire octets, restoring any octets kept as surrogates."""
    return text.encode("utf-8", "surrogateescape")


class Writer:
    """Accumulates one command or response; ``finish()`` returns its segments.

    ``sync_literals``: client role, split at each synchronising literal.
    ``nonsync_max``: the largest literal a client may send as ``{n+}``
    (0: never, ``NONSYNC_UNLIMITED``: LITERAL+).
    ``utf8``: 8-bit UTF-8 may go in quoted strings (IMAP4rev2, UTF8=ACCEPT).
    """

    __slots__ = ("_parts", "_segments", "nonsync_max", "sync_literals", "utf8")

    def __init__(self, *, sync_literals: bool = False, nonsync_max: int = 0, utf8: bool = False):
        self._parts: list[bytes] = []
        self._segments: list[bytes] = []
        self.sync_literals = sync_literals
        self.nonsync_max = nonsync_max
        self.utf8 = utf8

    def finish(self) -> list[bytes]:
        """The unit's segments; the last ends with CRLF. Client segments after
        the first may only be sent once the server's "+" arrived."""
        self._parts.append(b"\r\n")
        self._segments.append(b"".join(self._parts))
        self._parts = []
        segments, self._segments = self._segments, []
        return segments

    # -- raw pieces ------------------------------------------------------------

    def raw(self, data: bytes) -> None:
        self._parts.append(data)

    def sp(self) -> None:
        self._parts.append(b" ")

    def atom(self, text: str) -> None:
        data = text.encode("ascii", "replace")
        if ATOM_RE.fullmatch(data) is None:
            raise ValueError(f"not an atom: {text!r}")
        self._parts.append(data)

    def number(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"negative number: {value}")
        self._parts.append(str(value).encode("ascii"))

    # -- strings ---------------------------------------------------------------

    def literal(self, data: bytes, *, binary: bool = False) -> None:
        """literal / literal8 (``~{n}``, RFC 3516 §4.2), per the writer's role."""
        prefix = b"~{" if binary else b"{"
        size = str(len(data)).encode("ascii")
        if not self.sync_literals:
            self._parts += (prefix, size, b"}\r\n", data)
        elif self.nonsync_max == NONSYNC_UNLIMITED or len(data) <= self.nonsync_max:
            self._parts += (prefix, size, b"+}\r\n", data)
        else:
            self._parts += (prefix, size, b"}\r\n")
            self._segments.append(b"".join(self._parts))
            self._parts = [data]

    def quoted(self, data: bytes) -> None:
        self._parts += (b'"', data.replace(b"\\", b"\\\\").replace(b'"', b'\\"'), b'"')

    def string(self, text: str | bytes) -> None:
        """string = quoted / literal: quoted when the octets allow it."""
        data = encode(text) if isinstance(text, str) else text
        pattern = _QUOTABLE_UTF8 if self.utf8 else _QUOTABLE_ASCII
        quotable = len(data) <= _QUOTED_MAX and pattern.fullmatch(data) is not None
        if quotable and (not self.utf8 or _valid_utf8(data)):
            self.quoted(data)
            return
        self.literal(data)

    def astring(self, text: str) -> None:
        """astring = 1*ASTRING-CHAR / string."""
        data = encode(text)
        if ASTRING_ATOM_RE.fullmatch(data) is not None:
            self._parts.append(data)
        else:
            self.string(data)

    def nstring(self, text: str | bytes | None, *, binary: bool = False) -> None:
        """nstring = string / nil; with ``binary``, data holding NUL goes as literal8."""
        if text is None:
            self._parts.append(b"NIL")
        elif binary and isinstance(text, bytes) and b"\x00" in text:
            self.literal(text, binary=True)
        else:
            self.string(text)

    def list_mailbox(self, text: str) -> None:
        """list-mailbox = 1*list-char / string (wildcards may stay bare)."""
        data = encode(text)
        if data and re.fullmatch(rb"[^\x00-\x20\x7f-\xff(){\"\\]+", data):
            self._parts.append(data)
        else:
            self.string(data)

    # -- structured values -----------------------------------------------------

    def paren(self, items: Iterable[T], write: Callable[[T], None]) -> None:
        """ "(" [item *(SP item)] ")"."""
        self._parts.append(b"(")
        first = True
        for item in items:
            if not first:
                self._parts.append(b" ")
            write(item)
            first = False
        self._parts.append(b")")

    def flag(self, flag: str) -> None:
        data = flag.encode("ascii", "replace")
        if FLAG_RE.fullmatch(data) is None:
            raise ValueError(f"not a flag: {flag!r}")
        self._parts.append(data)

    def flag_list(self, flags: Iterable[str]) -> None:
        self.paren(flags, self.flag)

    def sequence_set(self, value: SequenceSet) -> None:
        text = str(value)
        if not text:
            raise ValueError("empty sequence set")
        self._parts.append(text.encode("ascii"))

    def date_time(self, value: datetime) -> None:
        """date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE."""
        offset = value.utcoffset()
        if offset is None:
            raise ValueError("date-time needs a time zone")
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(int(offset.total_seconds())) // 60
        text = (
            f'"{value.day:2d}-{MONTHS[value.month - 1]}-{value.year:04d} '
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} "
            f'{sign}{minutes // 60:02d}{minutes % 60:02d}"'
        )
        self._parts.append(text.encode("ascii"))

    def date(self, value: date) -> None:
        """date-text = date-day "-" date-month "-" date-year."""
        text = f"{value.day}-{MONTHS[value.month - 1]}-{value.year:04d}"
        self._parts.append(text.encode("ascii"))


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
