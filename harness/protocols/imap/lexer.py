"""Stage 2 primitives: read the tokens of RFC 9051 §9 from a framed unit.

The ``Reader`` walks the lines of a ``FramedUnit``; where a line ends with a
literal announcement, the literal's octets come from the unit's literal list
(they were counted off the wire by stage 1, never scanned). Every token is
matched with a compiled regular expression on the whole line, so the cost is
per token, not per byte.

Character classes, RFC 9051 §9::

    ATOM-CHAR     = <any CHAR except atom-specials>
    atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
                    quoted-specials / resp-specials
    ASTRING-CHAR  = ATOM-CHAR / resp-specials
    list-char     = ATOM-CHAR / list-wildcards / resp-specials
    QUOTED-CHAR   = <any TEXT-CHAR except quoted-specials> / "\\" quoted-specials
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import NoReturn, TypeVar

from harness.protocols.imap.framing import MAX_NUMBER64, FramedUnit, IMAPLimits, marker_at
from harness.protocols.imap.values import STAR, SequenceSet

T = TypeVar("T")

_ATOM_SPECIALS = b'(){ %*"\\]'
ATOM_CHARS = bytes(c for c in range(0x21, 0x7F) if c not in _ATOM_SPECIALS)


def _char_class(chars: bytes) -> bytes:
    return b"[" + b"".join(re.escape(bytes([c])) for c in chars) + b"]"


ATOM_RE = re.compile(_char_class(ATOM_CHARS) + b"+")
ASTRING_ATOM_RE = re.compile(_char_class(ATOM_CHARS + b"]") + b"+")
LIST_MAILBOX_RE = re.compile(_char_class(ATOM_CHARS + b"%*]") + b"+")
NUMBER_RE = re.compile(rb"[0-9]+")
QUOTED_RE = re.compile(rb'"((?:[^"\\\r\n\x00]|\\["\\])*)"')
QUOTED_ASCII_RE = re.compile(rb'"((?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]|\\["\\])*)"')
_UNESCAPE_RE = re.compile(rb'\\(["\\])')
FLAG_RE = re.compile(rb"\\?" + _char_class(ATOM_CHARS) + rb"+|\\\*")
TEXT_RE = re.compile(rb"[^\r\n\x00]*")
SEQ_SET_RE = re.compile(
    rb"(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?(?:,(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?)*|\$"
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {m.upper().encode(): i + 1 for i, m in enumerate(MONTHS)}
# date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
DATE_TIME_RE = re.compile(
    rb'"([ 0-9][0-9])-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([-+])([0-9]{2})([0-9]{2})"'
)
# date-text = date-day "-" date-month "-" date-year; date = date-text / DQUOTE date-text DQUOTE
DATE_RE = re.compile(
    rb'([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})|"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})"'
)
MAX_NUMBER = 0xFFFFFFFF  # number = 1*DIGIT ; Unsigned 32-bit integer (RFC 9051 §9)


def decode(raw: bytes) -> str:
    """Wire octets to ``str``; undecodable octets survive as surrogates."""
    return raw.decode("utf-8", "surrogateescape")


class ParseError(Exception):
    """The unit does not match the grammar; ``message`` says where and why."""


class Reader:
    """A cursor over one framed unit (stage 2 input)."""

    __slots__ = (
        "_index",
        "_lines",
        "_literals",
        "depth",
        "limits",
        "line",
        "pos",
        "strict",
        "utf8",
    )

    def __init__(
        self, unit: FramedUnit, limits: IMAPLimits, *, utf8: bool = True, strict: bool = False
    ) -> None:
        self._lines = unit.lines
        self._literals = unit.literals
        self._index = 0
        self.line = unit.lines[0]
        self.pos = 0
        self.limits = limits
        self.utf8 = utf8  # 8-bit UTF-8 allowed in quoted strings (rev2, UTF8=ACCEPT)
        self.depth = 0
        self.strict = strict  # server role: hold the client to the letter (NUL in literals)

    # -- position ----------------------------------------------------------

    def fail(self, what: str) -> NoReturn:
        got = self.line[self.pos : self.pos + 12]
        near = repr(got)[2:-1] if got else "end of line"  # ASCII, CR/LF escaped
        raise ParseError(f"expected {what} at [{near}]")

    def peek(self) -> int:
        """The next octet, or -1 at the end of the line."""
        return self.line[self.pos] if self.pos < len(self.line) else -1

    def at_end(self) -> bool:
        return self.pos == len(self.line) and self._index == len(self._lines) - 1

    def end(self) -> None:
        """The unit must be fully consumed (no trailing garbage, no spare literal)."""
        if not self.at_end():
            self.fail("end of command")

    def take(self, token: bytes) -> bool:
        """Consume ``token`` exactly if it is next."""
        if self.line.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: bytes) -> None:
        if not self.line.startswith(token, self.pos):
            self.fail(repr(token.decode())[1:-1])
        self.pos += len(token)

    def sp(self) -> None:
        if self.pos >= len(self.line) or self.line[self.pos] != 0x20:
            self.fail("SP")
        self.pos += 1

    def take_word(self, word: bytes) -> bool:
        """Consume a case-insensitive keyword ``word`` that ends at a non-atom octet."""
        end = self.pos + len(word)
        if self.line[self.pos : end].upper() != word:
            return False
        if end < len(self.line) and self.line[end] in ATOM_CHARS:
            return False
        self.pos = end
        return True

    # -- nesting and item caps (IMAPLimits) -----------------------------------

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise ParseError("nesting too deep")

    def leave(self) -> None:
        self.depth -= 1

    def check_items(self, count: int) -> None:
        if count > self.limits.max_items:
            raise ParseError("too many items")

    def paren_list(self, read: Callable[[], T], *, allow_empty: bool = True) -> list[T]:
        """ "(" [item *(SP item)] ")" where ``read`` reads one item."""
        self.expect(b"(")
        self.enter()
        out: list[T] = []
        if not self.take(b")"):
            out.append(read())
            while not self.take(b")"):
                self.sp()
                out.append(read())
                if len(out) > self.limits.max_items:
                    raise ParseError("too many items")
        elif not allow_empty:
            self.fail("a list item")
        self.leave()
        return out

    # -- atoms and numbers -------------------------------------------------

    def atom(self) -> str:
        match = ATOM_RE.match(self.line, self.pos)
        if match is None:
            self.fail("atom")
        self.pos = match.end()
        return match[0].decode("ascii")

    def keyword(self) -> str:
        """An atom, upper-cased: command names and other case-insensitive tokens."""
        return self.atom().upper()

    def number(self, maximum: int = MAX_NUMBER) -> int:
        match = NUMBER_RE.match(self.line, self.pos)
        if match is None:
            self.fail("number")
        value = int(match[0])
        if value > maximum:
            self.fail(f"number <= {maximum}")
        self.pos = match.end()
        return value

    def nz_number(self) -> int:
        value = self.number()
        if value == 0:
            self.pos -= 1
            self.fail("non-zero number")
        return value

    def number64(self) -> int:
        return self.number(MAX_NUMBER64)

    # -- strings -------------------------------------------------------------

    def quoted_bytes(self) -> bytes:
        pattern = QUOTED_RE if self.utf8 else QUOTED_ASCII_RE
        match = pattern.match(self.line, self.pos)
        if match is None:
            self.fail("quoted string")
        self.pos = match.end()
        raw: bytes = match[1]
        return _UNESCAPE_RE.sub(rb"\1", raw) if b"\\" in raw else raw

    def literal(self, *, binary: bool = False) -> bytes:
        """literal / literal8: the announcement must end the line (stage 1 framed it)."""
        marker = marker_at(self.line, self.pos)
        if marker is None or (marker.binary and not binary):
            self.fail("literal8 not allowed here" if marker else "literal")
        if self._index >= len(self._literals):
            self.fail("literal octets")
        data = self._literals[self._index]
        self._index += 1
        self.line = self._lines[self._index]
        self.pos = 0
        if self.strict and not marker.binary and b"\x00" in data:
            raise ParseError("NUL in a literal (only literal8 may carry NUL)")
        return data

    def string_bytes(self, *, binary: bool = False) -> bytes:
        """string = quoted / literal."""
        char = self.peek()
        if char == 0x22:
            return self.quoted_bytes()
        if char == 0x7B or (char == 0x7E and binary):
            return self.literal(binary=binary)
        self.fail("string")

    def string(self) -> str:
        return decode(self.string_bytes())

    def astring(self) -> str:
        """astring = 1*ASTRING-CHAR / string."""
        match = ASTRING_ATOM_RE.match(self.line, self.pos)
        if match is not None:
            self.pos = match.end()
            return decode(match[0])
        return self.string()

    def nstring_bytes(self, *, binary: bool = False) -> bytes | None:
        """nstring = string / nil."""
        if self.take_word(b"NIL"):
            return None
        return self.string_bytes(binary=binary)

    def nstring(self) -> str | None:
        raw = self.nstring_bytes()
        return None if raw is None else decode(raw)

    def mailbox(self) -> str:
        """mailbox = "INBOX" / astring ; INBOX is case-insensitive (RFC 9051 §9)."""
        name = self.astring()
        return "INBOX" if name.upper() == "INBOX" else name

    def list_mailbox(self) -> str:
        """list-mailbox = 1*list-char / string."""
        match = LIST_MAILBOX_RE.match(self.line, self.pos)
        if match is not None:
            self.pos = match.end()
            return decode(match[0])
        return self.string()

    def text(self) -> str:
        """text = 1*TEXT-CHAR, to the end of the unit's last line (may be empty)."""
        match = TEXT_RE.match(self.line, self.pos)
        assert match is not None
        self.pos = match.end()
        return decode(match[0])

    # -- flags ---------------------------------------------------------------

    def flag(self) -> str:
        """flag = "\\Answered" / ... / flag-keyword / flag-extension (and "\\*" where allowed)."""
        match = FLAG_RE.match(self.line, self.pos)
        if match is None:
            self.fail("flag")
        self.pos = match.end()
        return match[0].decode("ascii")

    def flag_list(self) -> tuple[str, ...]:
        """flag-list = "(" [flag *(SP flag)] ")"."""
        return tuple(self.paren_list(self.flag))

    # -- dates ---------------------------------------------------------------

    def date_time(self) -> datetime:
        match = DATE_TIME_RE.match(self.line, self.pos)
        if match is None:
            self.fail("date-time")
        day, mon, year, hh, mm, ss, sign, zh, zm = match.groups()
        zone = timedelta(hours=int(zh), minutes=int(zm))
        try:
            tz = timezone(-zone if sign == b"-" else zone)
            value = datetime(int(year), _month(mon), int(day), int(hh), int(mm), int(ss), tzinfo=tz)
        except (ValueError, KeyError):
            self.fail("a valid date-time")
        self.pos = match.end()
        return value

    def date(self) -> date:
        match = DATE_RE.match(self.line, self.pos)
        if match is None:
            self.fail("date")
        day, mon, year = match.groups()[:3] if match[1] else match.groups()[3:]
        try:
            value = date(int(year), _month(mon), int(day))
        except (ValueError, KeyError):
            self.fail("a valid date")
        self.pos = match.end()
        return value

    # -- sequence sets -------------------------------------------------------

    def sequence_set(self) -> SequenceSet:
        """sequence-set = (seq-number / seq-range) ["," sequence-set] / "$"."""
        match = SEQ_SET_RE.match(self.line, self.pos)
        if match is None:
            self.fail("sequence set")
        raw = match[0]
        if raw == b"$":
            self.pos = match.end()
            return SequenceSet(saved=True)
        items = raw.split(b",")
        self.check_items(len(items))
        ranges = []
        for item in items:
            low, _, high = item.partition(b":")
            start = self._seq_number(low)
            ranges.append((start, self._seq_number(high) if high else start))
        self.pos = match.end()
        return SequenceSet(tuple(ranges))

    def _seq_number(self, raw: bytes) -> int:
        # seq-number = nz-number / "*"
        if raw == b"*":
            return STAR
        value = int(raw)
        if not 0 < value <= MAX_NUMBER:
            self.fail("seq-number (nz-number or *)")
        return value


def _month(raw: bytes) -> int:
    return _MONTH_NUMBER[raw.upper()]
