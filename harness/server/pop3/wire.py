"""A stored message as POP3 sends it: CRLF line ends, and TOP's cut.

RFC 1939 §3: a multi-line response's lines are "terminated by a CRLF pair",
and §11 (message sizes) counts octets "with the line ending being CRLF". The
store keeps messages exactly as delivered, so a message that holds bare LF or
bare CR (possible through IMAP APPEND) is normalised on the way out
(POP3-CRLF-NORMALISE), and its LIST/STAT size is that of the normalised form
(POP3-SIZE-EXACT). A message that does not end with CRLF gets one before the
terminating "." (the core's encoder adds it; ``wire_size`` counts it), because
that CRLF is what the client's un-stuffing returns as the last line's end.

RFC 6856 §2.1 asks whether a message has UTF-8 in its header section before
it is sent to a client that has not enabled UTF8 mode; ``wire_form`` answers
that in the same pass that measures the size.

Every piece streams: chunk boundaries may fall anywhere, even between CR and LF.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CRLF = b"\r\n"
_LINE_END = re.compile(rb"\r\n|\r|\n")


class LineEndNormaliser:
    """Bare CR and bare LF become CRLF; CRLF stays. Feed chunks in order."""

    def __init__(self) -> None:
        self._held_cr = False  # a chunk ended in CR: whether it is bare depends on the next
        self.last_two = b""  # the last two octets emitted, to know if the form ends in CRLF

    def feed(self, chunk: bytes) -> bytes:
        if self._held_cr:
            chunk = b"\r" + chunk
        self._held_cr = chunk.endswith(b"\r")
        if self._held_cr:
            chunk = chunk[:-1]
        if not _only_crlf(chunk):
            chunk = _LINE_END.sub(CRLF, chunk)
        return self._emit(chunk)

    def end(self) -> bytes:
        """What is still held: a final bare CR, as CRLF."""
        return self._emit(CRLF) if self._held_cr else b""

    def _emit(self, data: bytes) -> bytes:
        if data:
            self.last_two = (self.last_two + data)[-2:]
        return data


def _only_crlf(chunk: bytes) -> bool:
    """No bare CR or LF: counted with bytes.count (memchr speed), no regex per octet."""
    pairs = chunk.count(CRLF)
    return chunk.count(b"\n") == pairs and chunk.count(b"\r") == pairs


class HeaderScanner:
    """Whether the header section holds an octet outside ASCII (RFC 6532 allows
    UTF-8 there). The section ends at the first empty line; a message without
    one is all header, as for TOP. Fed the normalised (CRLF-only) form."""

    def __init__(self) -> None:
        self._tail = CRLF  # what precedes the next chunk; a message may start empty
        self.done = False
        self.non_ascii = False

    def feed(self, chunk: bytes) -> None:
        if self.done or not chunk:
            return
        data = self._tail + chunk
        end = data.find(CRLF + CRLF)
        self.done = end >= 0
        if not (data[:end] if self.done else data).isascii():
            self.non_ascii = True
        self._tail = data[-3:]  # an empty line may straddle two chunks


@dataclass(frozen=True)
class WireForm:
    size: int  # octets as a client un-stuffs them from RETR (see the module doc)
    non_ascii_header: bool  # a UTF-8 (or other 8-bit) header section


def wire_form(chunks: Iterable[bytes]) -> WireForm:
    normaliser = LineEndNormaliser()
    header = HeaderScanner()
    size = 0
    for chunk in chunks:
        data = normaliser.feed(chunk)
        header.feed(data)
        size += len(data)
    tail = normaliser.end()
    header.feed(tail)
    size += len(tail)
    if size and normaliser.last_two != CRLF:
        size += len(CRLF)
    return WireForm(size, header.non_ascii)


def wire_size(chunks: Iterable[bytes]) -> int:
    """Octets of the message as a client un-stuffs it from RETR."""
    return wire_form(chunks).size


class TopCutter:
    """TOP (RFC 1939 §7): the header, the blank line, then ``lines`` body lines.

    Fed the normalised (CRLF-only) form chunk by chunk; ``feed`` returns what
    to send of each chunk, and ``done`` turns True once the cut is reached.
    A message without a blank line is all header and is sent whole.
    """

    def __init__(self, lines: int) -> None:
        self._body_lines_left = lines
        self._in_header = True
        self._line_octets = 0  # of the line in progress, across chunks
        self.done = False

    def feed(self, chunk: bytes) -> bytes:
        if self.done:
            return b""
        pos = 0
        for _ in range(len(chunk) + 1):  # at most one pass per line end in the chunk
            newline = chunk.find(b"\n", pos)
            if newline < 0:
                self._line_octets += len(chunk) - pos
                return chunk
            self._line_octets += newline + 1 - pos
            pos = newline + 1
            if self._line_finished():
                self.done = True
                return chunk[:pos]
        raise AssertionError("unreachable: each pass consumes a line end")

    def _line_finished(self) -> bool:
        """Account for one complete line; True if the cut falls right after it."""
        empty = self._line_octets == len(CRLF)
        self._line_octets = 0
        if self._in_header:
            if empty:
                self._in_header = False
                return self._body_lines_left == 0
            return False
        self._body_lines_left -= 1
        return self._body_lines_left == 0
