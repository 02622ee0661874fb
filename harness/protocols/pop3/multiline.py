"""The multi-line sub-dialogue: listings and message bodies after ``+OK``.

RFC 1939 §3: "Responses to certain commands are multi-line. In these cases
... each line is terminated by a CRLF pair. When all lines of the response
have been sent, a final line is sent, consisting of a termination octet
(decimal code 046, ".") and a CRLF pair. If any line of the multi-line
response begins with the termination octet, the line is "byte-stuffed" by
pre-pending the termination octet to that line of the response."

Bodies (RETR, TOP) stream: the writer stuffs chunk by chunk and the reader
un-stuffs with the shared ``DotStuffDecoder`` straight from the receive buffer,
so neither side holds a whole message. The terminator is only CRLF "." CRLF;
a body that does not end in CRLF gets one before the "." (POP3-FINAL-CRLF).
Listing lines are short; they are framed by the bounded ``LineBuffer``.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.protocols.common.dotstuff import DotStuffDecoder
from harness.protocols.common.errors import LocalProtocolError, RemoteProtocolError
from harness.protocols.common.lines import LineBuffer, LineTooLong
from harness.protocols.common.roles import NEED_DATA, NeedData
from harness.protocols.pop3.capabilities import (
    format_capability,
    format_language_listing,
    parse_capability,
    parse_language_listing,
)
from harness.protocols.pop3.events import (
    Capability,
    LanguageListing,
    MessageData,
    MultilineEnd,
    MultilinePart,
    ScanListing,
    ServerEvent,
    UniqueIdListing,
)
from harness.protocols.pop3.grammar import CommandSyntaxError
from harness.protocols.pop3.state import Body
from harness.protocols.pop3.text import CRLF
from harness.protocols.pop3.transaction import (
    format_scan_listing,
    format_unique_id_listing,
    parse_scan_listing,
    parse_unique_id_listing,
)

TERMINATOR = b".\r\n"

_LISTING_TYPES: dict[Body, type[MultilinePart]] = {
    Body.SCAN: ScanListing,
    Body.UNIQUE_ID: UniqueIdListing,
    Body.CAPABILITY: Capability,
    Body.LANGUAGE: LanguageListing,
}
_FORMAT: dict[Body, Callable[..., bytes]] = {
    Body.SCAN: format_scan_listing,
    Body.UNIQUE_ID: format_unique_id_listing,
    Body.CAPABILITY: format_capability,
    Body.LANGUAGE: format_language_listing,
}
_PARSE: dict[Body, Callable[[bytes], MultilinePart]] = {
    Body.SCAN: parse_scan_listing,
    Body.UNIQUE_ID: parse_unique_id_listing,
    Body.CAPABILITY: parse_capability,
    Body.LANGUAGE: parse_language_listing,
}


class DotStuffEncoder:
    """Incremental byte-stuffing: any chunking gives the same octets as ``dot_stuff``."""

    def __init__(self) -> None:
        self._tail = b"\r\n"  # the status line ended in CRLF: a line starts here

    def encode(self, chunk: bytes) -> bytes:
        if not chunk:
            return b""
        stuffed = chunk.replace(b"\r\n.", b"\r\n..")
        joined = self._tail[-1:] + chunk[:2]
        if self._tail == b"\r\n" and chunk.startswith(b"."):
            stuffed = b"." + stuffed  # a dot opens the first line of this chunk
        elif joined == b"\r\n.":
            stuffed = b"\n." + stuffed[1:]  # CR | LF "." split across chunks
        self._tail = (self._tail + chunk)[-2:]
        return stuffed

    def end(self) -> bytes:
        """The terminator, preceded by CRLF if the body did not end with one."""
        return TERMINATOR if self._tail == b"\r\n" else CRLF + TERMINATOR


class MultilineWriter:
    """Server side: checks and encodes the parts the application sends."""

    def __init__(self, body: Body, max_line: int) -> None:
        self.body = body
        self.max_line = max_line
        self._encoder = DotStuffEncoder()

    def write(self, part: ServerEvent) -> bytes:
        if isinstance(part, MultilineEnd):
            return self._encoder.end()
        if self.body is Body.MESSAGE:
            if not isinstance(part, MessageData):
                raise LocalProtocolError(f"a {self.body.value} takes MessageData, not {part!r}")
            return self._encoder.encode(part.data)
        if type(part) is not _LISTING_TYPES[self.body]:
            raise LocalProtocolError(f"a {self.body.value} cannot carry {part!r}")
        line = _FORMAT[self.body](part) + CRLF
        if len(line) > self.max_line:
            raise LocalProtocolError(f"listing line over {self.max_line} octets")
        return self._encoder.encode(line)


class MultilineReader:
    """Client side: turns the bytes after ``+OK`` into parts, then ``MultilineEnd``."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.decoder = DotStuffDecoder()
        self.finished = False

    def next_part(self, lines: LineBuffer) -> MultilinePart | NeedData:
        if self.body is Body.MESSAGE:
            return self._next_chunk(lines)
        return self._next_listing(lines)

    def _next_chunk(self, lines: LineBuffer) -> MultilinePart | NeedData:
        data = self.decoder.decode(lines.buffer)
        if data:
            return MessageData(data)
        if self.decoder.finished:
            self.finished = True
            return MultilineEnd()
        return NEED_DATA

    def _next_listing(self, lines: LineBuffer) -> MultilinePart | NeedData:
        try:
            line = lines.next_line()
        except LineTooLong:
            raise RemoteProtocolError(f"{self.body.value} line too long") from None
        if line is None:
            return NEED_DATA
        if line == TERMINATOR:
            self.finished = True
            return MultilineEnd()
        if not line.endswith(CRLF):
            raise RemoteProtocolError(f"{self.body.value} line not ended by CRLF")
        unstuffed = line[1:-2] if line.startswith(b".") else line[:-2]
        try:
            return _PARSE[self.body](unstuffed)
        except CommandSyntaxError as exc:
            raise RemoteProtocolError(f"bad {self.body.value} line: {exc}") from None
