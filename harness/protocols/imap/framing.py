"""Stage 1 of IMAP parsing: frame a command or response as lines plus literals.

RFC 9051 §4.3: "A literal is a sequence of zero or more octets (including CR
and LF), prefix-quoted with an octet count in the form of an open brace ("{"),
the number of octets, a close brace ("}"), and a CRLF."  So a unit of IMAP is
one line, or a line ending in a literal announcement, the announced octets, and
the rest of the unit after them (which may announce another literal)::

    literal   = "{" number64 ["+"] "}" CRLF *CHAR8        ; RFC 9051 §9, RFC 7888
    literal8  = "~{" number64 ["+"] "}" CRLF *OCTET       ; RFC 3516 §4.2

The framer never scans literal octets: it counts them off the buffer as one run
(``LineBuffer.take``), so literal data can never be read as a command. Sizes
are checked against ``IMAPLimits`` *before* any octet is stored. A unit that
breaks a limit is reported once (``FramingError``) and the rest of it is
skipped, following any non-synchronising literal announcements so that their
octets are dropped too and framing resumes at the next real unit.

Lines end at CRLF only (RFC 9051 §2.2: "All interactions ... are in the form of
lines, that is, strings that end with a CRLF"). A bare LF stays inside the line
and the grammar (stage 2) rejects it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.protocols.common import LineBuffer

_CRLF = b"\r\n"
_HEAD_KEEP = 64  # bytes kept from an over-long line, to answer with its tag
_TAIL_KEEP = 32  # bytes kept from its end, to see a literal announcement there

# tag = 1*<any ASTRING-CHAR except "+">  (RFC 9051 §9)
TAG_RE = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\+]+")
_MARKER_RE = re.compile(rb"(~?)\{([0-9]{1,19})(\+?)\}")
MAX_NUMBER64 = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class IMAPLimits:
    """Caps that keep a core's memory and work bounded, whatever the peer sends.

    ``max_nonsync_literal`` is the server's literal policy: ``None`` accepts
    non-synchronising literals of any allowed size (LITERAL+, RFC 7888 §3),
    ``4096`` is LITERAL- (RFC 7888 §5, and IMAP4rev2), ``0`` refuses them.
    """

    max_line: int = 65536
    max_literal: int = 64 << 20
    max_unit: int = 80 << 20
    max_nonsync_literal: int | None = None
    max_depth: int = 48
    max_items: int = 100_000

    @classmethod
    def for_client(cls) -> IMAPLimits:
        """Roomier defaults for parsing responses (long SEARCH lines, big BODY[])."""
        return cls(max_line=8 << 20, max_literal=512 << 20, max_unit=1 << 30, max_items=2_000_000)


@dataclass(frozen=True, slots=True)
class LiteralMarker:
    """A literal announcement found at the end of a line."""

    size: int
    sync: bool
    binary: bool


@dataclass(slots=True)
class FramedUnit:
    """One command or response: ``lines[i]`` ends with the marker of ``literals[i]``.

    Lines are kept without their CRLF; the last line announces no literal.
    """

    lines: list[bytes]
    literals: list[bytes]


class FramingError(Exception):
    """A unit broke a limit or was cut short; ``tag`` is its tag when readable."""

    def __init__(
        self,
        message: str,
        tag: str | None,
        *,
        code: str | None = None,
        fatal: bool = False,
        status: str = "BAD",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.tag = tag
        self.code = code
        self.fatal = fatal
        self.status = status  # a refused synchronising literal is answered NO


def literal_marker(line: bytes) -> LiteralMarker | None:
    """The literal announced at the end of ``line`` (no CRLF), if any."""
    if not line.endswith(b"}"):
        return None
    start = line.rfind(b"{")
    if start > 0 and line[start - 1] == 0x7E:  # "~{" literal8
        start -= 1
    match = _MARKER_RE.fullmatch(line, start) if start >= 0 else None
    if match is None:
        return None
    return LiteralMarker(int(match[2]), sync=not match[3], binary=bool(match[1]))


def marker_at(line: bytes, pos: int) -> LiteralMarker | None:
    """The literal announcement starting at ``pos`` and ending the line, if any."""
    match = _MARKER_RE.fullmatch(line, pos)
    if match is None:
        return None
    return LiteralMarker(int(match[2]), sync=not match[3], binary=bool(match[1]))


def tag_of(line: bytes) -> str | None:
    """The tag a line starts with (for error replies), or None when unreadable."""
    match = TAG_RE.match(line)
    if match is None or line[match.end() : match.end() + 1] != b" ":
        return None
    return match[0].decode("ascii")


class LiteralPhase:
    """Counting the octets of one literal off the wire (never scanning them)."""

    __slots__ = ("chunks", "remaining")

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.chunks: list[bytes] = []

    def take_from(self, lines: LineBuffer) -> bool:
        """Move up to the remaining count out of ``lines``; True when complete."""
        if self.remaining and len(lines):
            chunk = lines.take(self.remaining)
            self.chunks.append(chunk)
            self.remaining -= len(chunk)
        return self.remaining == 0

    def absorb(self, data: bytes) -> bytes:
        """Keep the literal's share of freshly received ``data``; return the rest."""
        share = data[: self.remaining]
        self.chunks.append(share)
        self.remaining -= len(share)
        return data[len(share) :]

    def result(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


class Framer:
    """Stage 1: bytes in, ``FramedUnit`` (or a literal to decide on) out.

    ``decide_sync_literals`` is the server role: a synchronising literal stops
    the framer until the application accepts it ("+" continuation) or refuses
    it (tagged NO/BAD; the client then sends no octets, RFC 9051 §7.5).
    ``allow_nonsync`` is False in the client role: servers never send "{n+}".
    """

    def __init__(self, limits: IMAPLimits, *, decide_sync_literals: bool, allow_nonsync: bool):
        self.limits = limits
        self.decide_sync_literals = decide_sync_literals
        self.allow_nonsync = allow_nonsync
        self.lines = LineBuffer(limits.max_line)
        self._scan = 0
        self._unit: list[bytes] = []
        self._literals: list[bytes] = []
        self._unit_size = 0
        self._literal: LiteralPhase | None = None
        self.pending: LiteralMarker | None = None  # a sync literal awaiting a decision
        self._discarding = False  # the current unit was rejected; skip to its end
        self._skip = 0  # literal octets still to drop while discarding
        self._overlong: bytes | None = None  # tail of an over-long line being dropped
        self.peer_closed = False

    # -- input -------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if not len(self.lines):  # fast path: a literal straight from the wire
            if self._literal is not None and self._literal.remaining:
                data = self._literal.absorb(data)
            elif self._skip:
                dropped = min(self._skip, len(data))
                self._skip -= dropped
                data = data[dropped:]
        if data:
            self.lines.feed(data)

    @property
    def idle(self) -> bool:
        """True between units: nothing of a command or response is half-read."""
        return (
            not self._unit
            and self._literal is None
            and self.pending is None
            and not self._discarding
            and self._overlong is None
            and not len(self.lines)
        )

    def drain(self) -> bytes:
        """Remove and return every buffered byte (STARTTLS injection defence)."""
        data = self.lines.take(len(self.lines))
        self._reset_unit()
        self._scan = 0
        return data

    # -- decisions on synchronising literals (server role) ------------------

    def accept_literal(self) -> None:
        assert self.pending is not None
        self._literal = LiteralPhase(self.pending.size)
        self.pending = None

    def refuse_literal(self) -> None:
        """The command is over: the client sends no octets after a refusal."""
        self.pending = None
        self._reset_unit()

    # -- output --------------------------------------------------------------

    def next_unit(self) -> FramedUnit | LiteralMarker | None:
        """The next complete unit, a sync literal to decide on, or None (need data).

        Raises ``FramingError`` for a unit that breaks a limit (once; the rest
        of it is then skipped) and, fatally, for a peer that closed mid-unit.
        """
        result = self._next_unit()
        if result is None and self.peer_closed and self.pending is None and not self.idle:
            self._cut_short()
        return result

    def next_raw_line(self) -> bytes | None:
        """One whole line, literals not considered (IDLE's DONE, SASL responses)."""
        if self._overlong is not None and not self._finish_overlong():
            line = None
        else:
            line = None if self._skip and not self._skip_octets() else self.read_line()
        if line is None and self.peer_closed and not self.idle:
            self._cut_short()
        return line

    def _next_unit(self) -> FramedUnit | LiteralMarker | None:
        while self.pending is None:
            if self._skip and not self._skip_octets():
                return None
            if self._overlong is not None:
                if not self._finish_overlong():
                    return None
                continue
            if self._literal is not None:
                if not self._literal.take_from(self.lines):
                    return None
                self._literals.append(self._literal.result())
                self._literal = None
                self._scan = 0
            line = self.read_line()
            if line is None:
                return None
            result = self._add_line(line)
            if result is not None:
                return result
        return None

    def read_line(self) -> bytes | None:
        """One CRLF-terminated line without its CRLF, or None if none is complete."""
        buf = self.lines.buffer
        end = buf.find(_CRLF, self._scan)
        if end < 0:
            if len(buf) > self.limits.max_line:
                self._start_overlong(buf)
                return None
            self._scan = max(len(buf) - 1, 0)
            return None
        line = bytes(buf[:end])
        del buf[: end + 2]
        self._scan = 0
        if end + 2 > self.limits.max_line and not self._discarding:
            self._reject(line, "line too long", code=None)
        return line

    # -- internals ---------------------------------------------------------

    def _add_line(self, line: bytes) -> FramedUnit | LiteralMarker | None:
        if not self._unit and not self._discarding and not line.endswith(b"}"):
            return FramedUnit([line], [])  # the common case: a one-line unit
        continuation = not self._unit and line[:1] == b"+" and not self.decide_sync_literals
        marker = None if continuation else literal_marker(line)
        if self._discarding:
            self._discard_through(marker)
            return None
        self._unit.append(line)
        self._unit_size += len(line) + 2
        if marker is None:
            unit = FramedUnit(self._unit, self._literals)
            self._reset_unit()
            return unit
        self._check_marker(marker)
        if marker.sync and self.decide_sync_literals:
            self.pending = marker
            return marker
        self._literal = LiteralPhase(marker.size)
        return None

    def unit_head(self) -> bytes:
        """The first line of the unit being framed (for a ``LiteralRequest``)."""
        return self._unit[0] if self._unit else b""

    def _check_marker(self, marker: LiteralMarker) -> None:
        limits = self.limits
        if not marker.sync:
            if not self.allow_nonsync:
                self._reject(None, "non-synchronising literal from a server", marker=marker)
            cap = limits.max_nonsync_literal
            if cap is not None and marker.size > cap:
                self._reject(None, "non-synchronising literal too big", "TOOBIG", marker)
        if marker.size > limits.max_literal or self._unit_size + marker.size > limits.max_unit:
            status = "NO" if marker.sync and self.decide_sync_literals else "BAD"
            self._reject(None, "literal too big", "TOOBIG", marker, status)

    def _reject(
        self,
        line: bytes | None,
        message: str,
        code: str | None = None,
        marker: LiteralMarker | None = None,
        status: str = "BAD",
    ) -> None:
        """Report the unit; skip the rest of it (its literal octets included)."""
        first = self._unit[0] if self._unit else (line or b"")
        tag = tag_of(first)
        if marker is None and line is not None:
            marker = literal_marker(line)
        self._reset_unit()
        self._discard_through(marker)
        raise FramingError(message, tag, code=code, status=status)

    def _discard_through(self, marker: LiteralMarker | None) -> None:
        """While skipping a rejected unit: drop the literal a line announced.

        A synchronising literal is never sent once the command is refused, so
        the unit ends with it; a non-synchronising one arrives regardless.
        """
        if marker is not None and (not marker.sync or not self.decide_sync_literals):
            self._discarding = True
            self._skip = marker.size
        else:
            self._discarding = False

    def _skip_octets(self) -> bool:
        dropped = len(self.lines.take(self._skip))
        self._skip -= dropped
        self._scan = 0
        return self._skip == 0

    def _start_overlong(self, buf: bytearray) -> None:
        """Drop an over-long line as it arrives, keeping only its ends."""
        head = bytes(buf[:_HEAD_KEEP])
        self._overlong = bytes(buf[-_TAIL_KEEP:])
        del buf[:]
        self._scan = 0
        if self._discarding:
            return  # the unit was already reported
        first = self._unit[0] if self._unit else head
        self._reset_unit(keep_overlong=True)
        self._discarding = True
        raise FramingError("line too long", tag_of(first))

    def _finish_overlong(self) -> bool:
        """Drop an over-long line through its CRLF; then honour its literal, if any."""
        assert self._overlong is not None
        buf = self.lines.buffer
        window = self._overlong + bytes(buf[: len(_CRLF) + 1])
        end = window.find(_CRLF, max(len(self._overlong) - 1, 0))
        if end >= 0:
            tail = window[:end]
            del buf[: end + 2 - len(self._overlong)]
        else:
            end = buf.find(_CRLF)
            if end < 0:
                self._overlong = bytes((self._overlong + bytes(buf[-_TAIL_KEEP:]))[-_TAIL_KEEP:])
                del buf[:]
                return False
            tail = (self._overlong + bytes(buf[max(end - _TAIL_KEEP, 0) : end]))[-_TAIL_KEEP:]
            del buf[: end + 2]
        self._overlong = None
        self._scan = 0
        self._discard_through(literal_marker(tail))
        return True

    def _cut_short(self) -> None:
        first = self._unit[0] if self._unit else bytes(self.lines.buffer[:_HEAD_KEEP])
        tag = tag_of(first)
        self._reset_unit()
        self.lines.take(len(self.lines))
        raise FramingError("connection closed in the middle of a unit", tag, fatal=True)

    def _reset_unit(self, *, keep_overlong: bool = False) -> None:
        self._unit = []
        self._literals = []
        self._unit_size = 0
        self._literal = None
        self.pending = None
        self._discarding = False
        self._skip = 0
        if not keep_overlong:
            self._overlong = None
