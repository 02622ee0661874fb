"""Server bytes -> Response units, framed by the protocol cores in the client role.

The runner never matches raw reads (suites/README.md, "Matching server
responses"). Each session owns one decoder: it is fed every byte the server
sends, is told every byte the script sends (``note_sent``: POP3 needs it to
know which responses are multi-line), and hands out whole responses as the
exact bytes they were framed from.

The decoders follow the sans-IO shape ``ProtocolStream`` drives
(``receive_data`` / ``next_event`` / ``start_tls``), so the I/O side is the
one adapter in ``harness.net``:

* SMTP: every line goes through the core's ``ReplyDecoder``; a reply ends at
  its last line, whatever command it answers.
* IMAP: stage 1 of the core (``Framer``: lines plus literals) cuts units,
  stage 2 (``decode_response``) checks their grammar.
* POP3 (``pop3_decoder``): the client core, told the commands sent, decides
  where a multi-line response ends.

A response the core cannot frame or parse carries the core's complaint in
``Response.problem`` and never matches (rule 7). Memory stays bounded: a
line without an end is cut after ``MAX_LINE`` octets.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from harness.conformance.response import Response
from harness.protocols.common import NEED_DATA, NeedData, RemoteProtocolError
from harness.protocols.imap.codec import decode_response
from harness.protocols.imap.framing import FramedUnit, Framer, FramingError, IMAPLimits
from harness.protocols.imap.lexer import ParseError
from harness.protocols.smtp.replies import ReplyDecoder

MAX_LINE = 1 << 20  # octets; a server line longer than this is cut and reported
MAX_REPLY_LINES = 10_000
UNKNOWN_UNTAGGED = "unknown untagged response"


class ResponseDecoder(Protocol):
    """What a session needs from a decoder; also the shape ProtocolStream drives."""

    def receive_data(self, data: bytes) -> None: ...

    def next_event(self) -> Response | NeedData: ...

    def send(self, event: object) -> bytes: ...

    def start_tls(self) -> None: ...

    def note_sent(self, data: bytes) -> None: ...

    @property
    def buffered(self) -> bytes:
        """Bytes received that are not part of a whole response yet."""
        ...


class RawLines:
    """Splits received bytes after each LF; a line with no end is cut at ``max_line``.

    Unlike the cores' LineBuffer this keeps the head of an over-long line, so
    the failure can show what the server sent.
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buffer = bytearray()
        self._scanned = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def pending(self) -> bytes:
        return bytes(self._buffer)

    def next_line(self) -> bytes | None:
        """The next line with its LF; an over-long run is returned cut (no LF)."""
        end = self._buffer.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buffer)
            if len(self._buffer) <= self.max_line:
                return None
            end = self.max_line - 1
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        self._scanned = 0
        return line

    def take_rest(self) -> bytes:
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        return rest


class _QueueingDecoder:
    """The parts every decoder shares: the queue of framed responses, EOF."""

    def __init__(self) -> None:
        self._ready: deque[Response] = deque()
        self._closed = False

    def next_event(self) -> Response | NeedData:
        return self._ready.popleft() if self._ready else NEED_DATA

    def send(self, event: object) -> bytes:
        raise TypeError("scripts write raw bytes: use note_sent() and send them as they are")

    def note_sent(self, data: bytes) -> None:
        """SMTP and IMAP responses frame themselves; POP3 overrides this."""

    def _emit(self, raw: bytes, problem: str | None = None, complete: bool = True) -> None:
        # The matcher walks a response's lines: never hand it an empty one.
        self._ready.append(Response(raw or b"(no bytes)", complete=complete, problem=problem))


class SMTPDecoder(_QueueingDecoder):
    """SMTP replies (RFC 5321 §4.2), one Response per reply, multi-line included."""

    def __init__(self) -> None:
        super().__init__()
        self._lines = RawLines()
        self._reply = bytearray()  # the lines of the reply being read
        self._core = self._new_core()

    @staticmethod
    def _new_core() -> ReplyDecoder:
        # Bare-LF lines are framed, not refused: the matcher decides (an S:
        # line never matches them, an S-: ...${LF} line does).
        return ReplyDecoder(MAX_LINE + 1, MAX_REPLY_LINES, accept_bare_lf=True)

    @property
    def buffered(self) -> bytes:
        return bytes(self._reply) + self._lines.pending

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._closed = True
            rest = bytes(self._reply) + self._lines.take_rest()
            self._reply.clear()
            if rest:
                self._emit(rest, complete=False)
            return
        self._lines.feed(data)
        while (line := self._lines.next_line()) is not None:
            self._add_line(line)

    def _add_line(self, line: bytes) -> None:
        self._reply += line
        if not line.endswith(b"\n"):
            self._finish(f"reply line longer than {MAX_LINE} octets")
            return
        self._core.feed(line)
        try:
            reply = self._core.next_reply()
        except RemoteProtocolError as error:
            self._finish(str(error))
            return
        if reply is not None:
            self._finish(None)

    def _finish(self, problem: str | None) -> None:
        raw = bytes(self._reply)
        self._reply.clear()
        if problem is not None:
            self._core = self._new_core()  # start afresh at the next line
        self._emit(raw, problem)

    def start_tls(self) -> None:
        self._lines = RawLines()
        self._reply.clear()
        self._core = self._new_core()


class IMAPDecoder(_QueueingDecoder):
    """IMAP responses (RFC 9051 §7): untagged, continuation or tagged, literals included."""

    def __init__(self) -> None:
        super().__init__()
        self._limits = IMAPLimits.for_client()
        self._framer = self._new_framer()

    def _new_framer(self) -> Framer:
        return Framer(self._limits, decide_sync_literals=False, allow_nonsync=False)

    @property
    def buffered(self) -> bytes:
        return b"" if self._framer.idle else b"(part of a response)"

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._closed = True
            self._framer.peer_closed = True
        else:
            self._framer.feed(data)
        self._frame()

    def _frame(self) -> None:
        # Bounded: every pass takes a unit or a rejected unit out of the framer.
        while True:
            try:
                unit = self._framer.next_unit()
            except FramingError as error:
                self._emit(f"(bytes dropped: {error.message})".encode(), error.message)
                continue
            if unit is None:
                return
            assert isinstance(unit, FramedUnit)  # the client role never decides literals
            self._add_unit(unit)

    def _add_unit(self, unit: FramedUnit) -> None:
        raw = unit_bytes(unit)
        try:
            decode_response(unit, self._limits)
        except ParseError as error:
            message = str(error)
            # RFC 9051 §7: a client must accept responses it does not know;
            # only a broken grammar is the server's fault.
            known = not message.startswith(UNKNOWN_UNTAGGED)
            self._emit(raw, f"bad response: {message}" if known else None)
            return
        self._emit(raw)

    def start_tls(self) -> None:
        self._framer = self._new_framer()


def unit_bytes(unit: FramedUnit) -> bytes:
    """The wire bytes of a framed unit: each line, its CRLF, then its literal."""
    parts: list[bytes] = []
    for index, line in enumerate(unit.lines):
        parts += [line, b"\r\n"]
        if index < len(unit.literals):
            parts.append(unit.literals[index])
    return b"".join(parts)
