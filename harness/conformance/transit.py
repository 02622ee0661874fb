"""Did a message survive transit? Pure comparisons of the octets sent and the octets read back.

RFC 5321 §4.4: a server receiving a message prepends trace fields
(``Return-Path``, ``Received``) and must not change the rest. So a message
read back (IMAP ``BODY[]``, POP3 ``RETR`` after un-stuffing) is judged as
*leading trace fields* + *exactly the octets sent*: ``strip_trace`` removes
only whole header fields of the allowed names from the top, one at a time,
and stops at the first that is not one, so anything else a server adds or
changes is a difference. ``describe_difference`` says where and how the
octets differ, in a form a person can read in a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.protocols.common import DotStuffDecoder
from harness.transcript import escape_text

CONTEXT = 40  # octets shown either side of a difference


@dataclass(frozen=True)
class Stripped:
    trace: bytes  # the leading trace fields removed
    rest: bytes  # what followed them: must equal the message sent

    @property
    def trace_fields(self) -> list[str]:
        return [name for name, _ in iter_fields(self.trace)]


def iter_fields(header: bytes) -> Iterable[tuple[str, bytes]]:
    """(name, whole field with its folded lines and CRLF) for each complete header field."""
    position = 0
    while position < len(header):
        end = field_end(header, position)
        if end is None:
            return
        name = header[position:end].split(b":", 1)[0].decode("ascii", "replace")
        yield name, header[position:end]
        position = end


def field_end(data: bytes, start: int) -> int | None:
    """The end (after CRLF) of the header field starting at ``start``, folded lines included.

    None when ``start`` is not the start of a field (the empty line, a line
    without a colon, or no CRLF at all).
    """
    line_end = data.find(b"\r\n", start)
    if line_end <= start or b":" not in data[start:line_end]:
        return None
    end = line_end + 2
    while data[end : end + 1] in (b" ", b"\t"):  # RFC 5322 §2.2.3: folded continuation
        next_end = data.find(b"\r\n", end)
        if next_end < 0:
            return None
        end = next_end + 2
    return end


def strip_trace(retrieved: bytes, sent: bytes, trace_fields: Iterable[str]) -> Stripped:
    """Remove leading trace fields until the rest equals ``sent`` or no trace field is left."""
    allowed = {name.lower() for name in trace_fields}
    position = 0
    while retrieved[position:] != sent:  # bounded: each pass moves past one field
        end = field_end(retrieved, position)
        if end is None:
            break
        name = retrieved[position:end].split(b":", 1)[0].strip().decode("ascii", "replace")
        if name.lower() not in allowed:
            break
        position = end
    return Stripped(retrieved[:position], retrieved[position:])


def first_difference(one: bytes, other: bytes) -> int | None:
    """The first offset at which the two differ (the shorter length if one is a prefix)."""
    if one == other:
        return None
    limit = min(len(one), len(other))
    low, high = 0, limit
    while low < high:  # binary search on equal prefixes: messages may be megabytes
        middle = (low + high) // 2
        if one[: middle + 1] == other[: middle + 1]:
            low = middle + 1
        else:
            high = middle
    return low


def excerpt(data: bytes, offset: int) -> str:
    start = max(0, offset - CONTEXT)
    shown = escape_text(data[start : offset + CONTEXT])
    return ("…" if start else "") + shown + ("…" if offset + CONTEXT < len(data) else "")


def describe_difference(what: str, got: bytes, sent: bytes, stripped: Stripped) -> str:
    """One line: where ``got`` (after its trace fields) first differs from ``sent``."""
    rest = stripped.rest
    offset = first_difference(rest, sent)
    assert offset is not None, "describe_difference is for messages that differ"
    added = _unexpected_field(rest, sent)
    if added is not None:
        return f"{what} has a header field {added!r} above the message that is not a trace field"
    where = f"octet {offset + len(stripped.trace):,} of {what}"
    if offset == len(sent):
        return f"{what} has {len(rest) - len(sent):,} octets more than were sent, from {where}"
    if offset == len(rest):
        return f"{what} lacks the last {len(sent) - len(rest):,} octets sent, from {where}"
    return (
        f"{what} differs from the message sent at {where} "
        f"(sent {len(sent):,} octets, got {len(rest):,} after {len(stripped.trace):,} of trace)"
    )


def difference_excerpts(got: bytes, sent: bytes) -> tuple[str, str]:
    """(what was sent, what came back) around the first difference, escaped."""
    offset = first_difference(got, sent) or 0
    return excerpt(sent, offset), excerpt(got, offset)


def _unexpected_field(rest: bytes, sent: bytes) -> str | None:
    """The name of a whole header field the server put above the message, if that is the change."""
    end = field_end(rest, 0)
    if end is None or rest[end:] != sent:
        return None
    return rest[:end].split(b":", 1)[0].decode("ascii", "replace")


def unstuff(body_lines: Iterable[bytes]) -> bytes | None:
    """A POP3 multi-line body, as sent (dot-stuffed, terminator line last) -> its octets.

    None when the terminating ``.`` line is missing.
    """
    decoder = DotStuffDecoder()
    buffer = bytearray(b"".join(body_lines))
    octets = decoder.decode(buffer)
    return octets if decoder.finished else None
