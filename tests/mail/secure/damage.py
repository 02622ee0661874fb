"""What careless servers do to a signed part, as functions on the message's octets.

Each damage rewrites only the first body part of the message's
multipart/signed (the signed entity), the way a gateway that "normalises"
text would, and leaves the rest alone.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Callable

from harness.mail.secure.entity import body_parts, split_entity

Damage = Callable[[bytes], bytes]


def _signed_span(raw: bytes) -> tuple[int, int]:
    first = body_parts(split_entity(raw))[0].raw
    start = raw.index(first)
    return start, start + len(first)


def in_signed_part(change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        start, end = _signed_span(raw)
        return raw[:start] + change(raw[start:end]) + raw[end:]

    damage.__name__ = change.__name__
    return damage


@in_signed_part
def strip_trailing_whitespace(part: bytes) -> bytes:
    return re.sub(rb"[ \t]+\r\n", b"\r\n", part)


@in_signed_part
def pad_trailing_space(part: bytes) -> bytes:
    """Some MTAs pad lines with spaces (RFC 2045 §6.7 rule 3 names them)."""
    return part.replace(b"\r\n", b" \r\n")


@in_signed_part
def rewrap_lines(part: bytes) -> bytes:
    """Every line longer than 72 octets broken at 72."""
    lines = part.split(b"\r\n")
    wrapped = [
        b"\r\n".join(line[i : i + 72] for i in range(0, len(line), 72)) if len(line) > 72 else line
        for line in lines
    ]
    return b"\r\n".join(wrapped)


@in_signed_part
def rewrap_base64(part: bytes) -> bytes:
    """Runs of 64-character base64 lines joined and cut again at 76 (SendGrid did this)."""

    def rewrap(match: re.Match[bytes]) -> bytes:
        joined = match.group(0).replace(b"\r\n", b"")
        return b"".join(joined[i : i + 76] + b"\r\n" for i in range(0, len(joined), 76))

    return re.sub(rb"(?:[A-Za-z0-9+/]{64}\r\n){2,}[A-Za-z0-9+/=]*\r\n", rewrap, part)


@in_signed_part
def unfold_headers(part: bytes) -> bytes:
    """Folded header fields joined onto one line (RFC 5322 §2.2.3 unfolding)."""
    return (
        re.sub(rb"\r\n([ \t])", rb"\1", part.split(b"\r\n\r\n", 1)[0])
        + b"\r\n\r\n"
        + part.split(b"\r\n\r\n", 1)[1]
    )


@in_signed_part
def escape_from_lines(part: bytes) -> bytes:
    """What an mbox store does on write: ">From " for every line starting "From "."""
    return part.replace(b"\r\nFrom ", b"\r\n>From ")


@in_signed_part
def change_transfer_encoding(part: bytes) -> bytes:
    """The text part re-encoded: 7bit/8bit to quoted-printable, quoted-printable to 8bit."""
    header_end = part.index(b"\r\n\r\n", part.index(b"Content-Type: text/plain"))
    text_start = part.index(b"Content-Type: text/plain")
    text_header = part[text_start:header_end]
    body_end = part.index(b"\r\n--", header_end)
    body = part[header_end + 4 : body_end]
    if b"quoted-printable" in text_header:
        new_header = text_header.replace(b"quoted-printable", b"8bit")
        new_body = quopri.decodestring(body)
    else:
        new_header = re.sub(rb"7bit|8bit", b"quoted-printable", text_header)
        new_body = quopri.encodestring(body.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    return part[:text_start] + new_header + b"\r\n\r\n" + new_body + part[body_end:]


def crlf_to_lf(raw: bytes) -> bytes:
    """The whole message stored with Unix line ends and served that way."""
    return raw.replace(b"\r\n", b"\n")


def strip_signature(raw: bytes) -> bytes:
    """A "helpful" server that replaces multipart/signed with its first part."""
    header_end = raw.index(b"\r\n\r\n")
    kept = [
        line
        for line in re.split(rb"\r\n(?![ \t])", raw[:header_end])
        if not line.lower().startswith(b"content-type:")
    ]
    return b"\r\n".join(kept) + b"\r\n" + body_parts(split_entity(raw))[0].raw


SIGNED_PART_DAMAGE = (
    strip_trailing_whitespace,
    pad_trailing_space,
    rewrap_lines,
    rewrap_base64,
    unfold_headers,
    escape_from_lines,
    change_transfer_encoding,
    crlf_to_lf,
)


def flip_base64_character(raw: bytes, marker: bytes) -> bytes:
    """One base64 character changed in the first body line after ``marker``'s part header."""
    start = raw.index(b"\r\n\r\n", raw.index(marker)) + 4 + 10
    replacement = b"A" if raw[start : start + 1] != b"A" else b"B"
    return raw[:start] + replacement + raw[start + 1 :]


def decode_base64(data: bytes) -> bytes:
    return base64.b64decode(data)
