"""Sub-dialogues that read something other than command lines.

Each is a small object the server core hands its buffer to while the
dialogue lasts (wsproto's handshake-phase idiom):

* ``DataPhase``: message text after 354, un-dot-stuffed, until CRLF.CRLF.
* ``BdatPhase``: exactly ``size`` raw octets after a BDAT line (RFC 3030).
* ``AuthPhase``: one base64 line per 334 challenge (RFC 4954 §4).

A phase returns an event, None when it needs more bytes, or raises
``RemoteProtocolError`` with the reply that ends it.
"""

from __future__ import annotations

from harness.protocols.common import DotStuffDecoder, LineBuffer, LineTooLong, RemoteProtocolError
from harness.protocols.smtp import replies as R
from harness.protocols.smtp.commands import CommandParser, decode_base64
from harness.protocols.smtp.events import (
    AuthLine,
    Bdat,
    BdatChunk,
    ChunkEnd,
    Event,
    MessageData,
    MessageEnd,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy


def normalize_newlines(data: bytes) -> bytes:
    """Bare CR and bare LF become CRLF (a chunk never ends between CR and LF)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


class DataPhase:
    """Message text after 354 (RFC 5321 §4.1.1.4, §4.5.2).

    §4.1.1.4: "<LF>.<LF> ... MUST NOT be treated as equivalent to
    <CRLF>.<CRLF>": only the shared ``DotStuffDecoder`` decides where the text
    ends, whatever the bare-newline policy. A message that passes the size
    limit, or breaks a "reject" policy, is read to its end and then refused
    (§4.5.3.1.10: 552 for size); no more ``MessageData`` is yielded for it.
    """

    def __init__(self, limits: SMTPLimits, policy: SMTPPolicy, max_size: int | None) -> None:
        self._decoder = DotStuffDecoder()
        self._max_size = max_size
        self._max_line = limits.max_text_line
        self._reject_bare = policy.bare_newlines == "reject"
        self._normalize = policy.bare_newlines == "normalize"
        self._reject_long = policy.long_text_lines == "reject"
        self._line_len = 0  # octets of the current, unfinished line
        self.long_lines = False
        self.too_large = False

    @property
    def doomed(self) -> bool:
        decoder = self._decoder
        bare = decoder.saw_bare_cr or decoder.saw_bare_lf
        return (
            self.too_large
            or (self._reject_bare and bare)
            or (self._reject_long and self.long_lines)
        )

    def next_event(self, lines: LineBuffer) -> Event | None:
        decoder, buf = self._decoder, lines.buffer
        while True:
            data = decoder.decode(buf)
            if data:
                self._observe(data)
                if not self.doomed:
                    return MessageData(self._maybe_normalize(data))
                continue  # discard, keep reading towards CRLF.CRLF
            if decoder.finished:
                return self._end()
            return None

    def _observe(self, data: bytes) -> None:
        if self._max_size is not None and self._decoder.decoded_octets > self._max_size:
            self.too_large = True
        if not self.long_lines:
            self._scan_line_lengths(data)

    def _maybe_normalize(self, data: bytes) -> bytes:
        if self._normalize and data.count(b"\n") + data.count(b"\r") != 2 * data.count(b"\r\n"):
            return normalize_newlines(data)
        return data

    def _scan_line_lengths(self, data: bytes) -> None:
        """Track whether a line passes ``max_text_line`` (§4.5.3.1.6: 1000 with CRLF).

        Jumps from LF to the last LF within the next ``limit`` octets, so the
        work is per ``limit`` octets, not per line.
        """
        limit = self._max_line
        first = data.find(b"\n")
        if first < 0:
            self._line_len += len(data)
            self.long_lines = self._line_len >= limit
            return
        if self._line_len + first + 1 > limit:
            self.long_lines = True
            return
        last = data.rfind(b"\n")
        pos = first + 1
        while last + 1 - pos > limit:
            found = data.rfind(b"\n", pos, pos + limit)
            if found < 0:
                self.long_lines = True
                return
            pos = found + 1
        self._line_len = len(data) - last - 1

    def _end(self) -> Event:
        decoder = self._decoder
        if self.too_large:
            raise RemoteProtocolError("message larger than the limit", reply=R.SIZE_EXCEEDED)
        if self._reject_bare and (decoder.saw_bare_cr or decoder.saw_bare_lf):
            raise RemoteProtocolError("bare CR or LF in message text", reply=R.BARE_NEWLINE_DATA)
        if self._reject_long and self.long_lines:
            raise RemoteProtocolError("message text line too long", reply=R.LONG_TEXT_LINE)
        return MessageEnd(decoder.saw_bare_cr, decoder.saw_bare_lf, self.long_lines)


class BdatPhase:
    """The ``size`` octets after a BDAT line (RFC 3030 §2).

    They are consumed even when the BDAT is refused: the client sent them
    already, and reading them as commands would let chunk content smuggle
    commands. RFC 3030 §2: the receiver "MUST be prepared to accept and
    discard additional BDAT chunks already in the pipeline after the failed
    BDAT". ``refusal`` (a reply) or ``too_large`` is raised once they are in.
    """

    def __init__(self, command: Bdat, refusal: bytes | None, too_large: bool) -> None:
        self.command = command
        self.remaining = command.size
        self.refusal = refusal
        self.too_large = too_large

    @property
    def discarding(self) -> bool:
        return self.refusal is not None or self.too_large

    def next_event(self, lines: LineBuffer) -> Event | None:
        while self.remaining:
            if not len(lines):
                return None
            chunk = lines.take(self.remaining)
            self.remaining -= len(chunk)
            if not self.discarding:
                return BdatChunk(chunk)
        if self.refusal is not None:
            raise RemoteProtocolError("BDAT refused", reply=self.refusal)
        if self.too_large:
            raise RemoteProtocolError("message larger than the limit", reply=R.SIZE_EXCEEDED)
        return ChunkEnd(self.command.size, self.command.last)


class AuthPhase:
    """One client response per 334 challenge (RFC 4954 §4).

    "If the client wishes to cancel an authentication exchange, it issues a
    line with a single '*'. If the server receives such a response, it MUST
    reject the AUTH command by sending a 501 reply." The core yields
    ``AuthLine(cancelled=True)`` and insists the reply is 501. A line that is
    not base64 gets 501, one past the limit 500 5.5.6, ending the exchange.
    """

    def __init__(self, parser: CommandParser, max_line: int) -> None:
        self._parser = parser
        self._max_line = max_line

    def next_event(self, lines: LineBuffer) -> Event | None:
        try:
            line = lines.next_line()
        except LineTooLong:
            raise RemoteProtocolError("AUTH line too long", reply=R.AUTH_LINE_TOO_LONG) from None
        if line is None:
            return None
        if len(line) > self._max_line:
            raise RemoteProtocolError("AUTH line too long", reply=R.AUTH_LINE_TOO_LONG)
        text = self._parser.line_text(line)
        if text == "*":
            return AuthLine(b"", cancelled=True)
        return AuthLine(decode_base64(text))
