"""The unit the runner feeds the matcher: one whole server response.

The runner decodes the server's bytes with the protocol core of the session
(client role) and hands each response over as the exact bytes it was framed
from (suites/README.md, "Matching server responses"):

* SMTP: one reply, every line of it;
* POP3: a status line, or status + dot-stuffed body + ``.`` line, or ``+ ...``;
* IMAP: one untagged, continuation or tagged response, literals included.

``complete`` is False only for the bytes left when the connection ended inside
a response. ``problem`` is set when the core could not frame the bytes as a
response at all (say, an SMTP line without a reply code); such a response
never matches, and the problem is quoted in the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from harness.transcript.text import split_lines


@dataclass(frozen=True)
class Response:
    raw: bytes
    complete: bool = True
    problem: str | None = None

    @cached_property
    def lines(self) -> tuple[bytes, ...]:
        """The response split after each LF, terminators kept (what S: lines walk)."""
        return tuple(split_lines(self.raw))

    @classmethod
    def of_lines(cls, *lines: bytes | str) -> Response:
        """A complete response from lines given without their CRLF (tests, examples)."""
        encoded = (line.encode("utf-8") if isinstance(line, str) else line for line in lines)
        return cls(b"".join(line + b"\r\n" for line in encoded))


def split_terminator(line: bytes) -> tuple[bytes, bytes]:
    """A line's content and its terminator: CRLF, a bare LF, or nothing."""
    if line.endswith(b"\r\n"):
        return line[:-2], b"\r\n"
    if line.endswith(b"\n"):
        return line[:-1], b"\n"
    return line, b""
