"""Bounded line framing shared by the three cores.

Every mail protocol is line based with an occasional run of raw octets (SMTP
DATA/BDAT, POP3 multi-line bodies, IMAP literals). ``LineBuffer`` owns the
bytes received so far and hands them out either as lines or as raw runs.

Lines are split at LF, and returned with their terminator, so the caller can
tell a proper CRLF from a bare LF and apply its own policy (RFC 5321 §2.3.8:
"lines consist of zero or more data characters terminated by the sequence ASCII
character CR followed immediately by ASCII character LF").

Memory stays bounded: a line longer than ``max_line`` raises ``LineTooLong``
once, its bytes are dropped up to and including the next LF, and framing
resumes after it, so a session can answer "line too long" and carry on.
"""

from __future__ import annotations


class LineTooLong(Exception):
    """A line exceeded the limit; its bytes are being discarded up to the next LF."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"line longer than {limit} octets")
        self.limit = limit


class LineBuffer:
    """Accumulates received bytes; yields complete lines under a length cap."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._scanned = 0  # bytes already known to hold no LF (no O(n^2) rescans)
        self._discarding = False  # inside an over-long line, dropping until LF

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def buffer(self) -> bytearray:
        """The raw pending bytes, for codecs that consume in place (dot-stuffing)."""
        return self._buf

    def next_line(self) -> bytes | None:
        """Return the next line including its LF, or None if none is complete.

        Raises ``LineTooLong`` (once per offending line) when a line passes
        ``max_line`` octets including its terminator.
        """
        if self._discarding and not self._skip_rest_of_line():
            return None
        end = self._buf.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buf)
            if len(self._buf) > self.max_line:
                self._buf.clear()
                self._scanned = 0
                self._discarding = True
                raise LineTooLong(self.max_line)
            return None
        line = bytes(self._buf[: end + 1])
        del self._buf[: end + 1]
        self._scanned = 0
        if len(line) > self.max_line:
            raise LineTooLong(self.max_line)
        return line

    def _skip_rest_of_line(self) -> bool:
        """Drop bytes through the next LF; True once the over-long line is gone."""
        end = self._buf.find(b"\n")
        if end < 0:
            self._buf.clear()
            return False
        del self._buf[: end + 1]
        self._discarding = False
        self._scanned = 0
        return True

    def take(self, limit: int) -> bytes:
        """Remove and return up to ``limit`` raw bytes (literals, BDAT chunks)."""
        chunk = bytes(self._buf[:limit])
        del self._buf[:limit]
        self._scanned = 0
        return chunk


def strip_eol(line: bytes) -> bytes:
    """The line without its CRLF (or bare LF) terminator."""
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line
