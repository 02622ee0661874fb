"""Mailbox names on the wire: modified UTF-7 (IMAP4rev1) and UTF-8 (IMAP4rev2,
UTF8=ACCEPT).

RFC 3501 §5.1.3: "printable US-ASCII characters, except for "&", represent
themselves ... "&" is used to shift to modified BASE64 and "-" to shift back
to US-ASCII ... The character "&" itself is represented as "&-"" and
"modified BASE64, with a further modification from [UTF-7] that "," is used
instead of "/"". It also says "the encoded form of a name MUST be the shortest
possible", so a decoder here refuses: printable ASCII inside a shift, two
adjacent shifts, non-zero padding bits, and an unterminated shift.

RFC 9051 §5.1 (and RFC 6855 §3): after ENABLE IMAP4rev2 or UTF8=ACCEPT the
name is sent as UTF-8, not modified UTF-7.
"""

from __future__ import annotations

import base64
import binascii
import re

_SHIFT_RE = re.compile(r"&([A-Za-z0-9+,]*)-")
_PRINTABLE = range(0x20, 0x7F)


def encode_mutf7(name: str) -> str:
    """A Unicode mailbox name in modified UTF-7."""
    out: list[str] = []
    pending: list[str] = []
    for char in name:
        if ord(char) in _PRINTABLE:
            _flush(out, pending)
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    _flush(out, pending)
    return "".join(out)


def _flush(out: list[str], pending: list[str]) -> None:
    if pending:
        raw = "".join(pending).encode("utf-16-be", "surrogatepass")
        out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
        pending.clear()


def decode_mutf7(wire: str) -> str:
    """The Unicode name for a modified UTF-7 one; ValueError if it is malformed."""
    out: list[str] = []
    pos = 0
    previous_shift_end = -1
    while pos < len(wire):
        char = wire[pos]
        if ord(char) not in _PRINTABLE:
            raise ValueError(f"octet {char!r} must be encoded in modified UTF-7")
        if char != "&":
            out.append(char)
            pos += 1
            continue
        match = _SHIFT_RE.match(wire, pos)
        if match is None:
            raise ValueError("unterminated or malformed '&' shift")
        if match[1] and pos == previous_shift_end:
            raise ValueError("adjacent encoded sections are not the shortest form")
        if match[1]:
            out.append(_decode_shift(match[1]))
            previous_shift_end = match.end()
        else:
            out.append("&")
        pos = match.end()
    return "".join(out)


def _decode_shift(chunk: str) -> str:
    padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"bad modified BASE64: {exc}") from None
    if len(raw) % 2 or base64.b64encode(raw).decode().rstrip("=") != chunk.replace(",", "/"):
        raise ValueError("modified BASE64 with stray bits")
    text = raw.decode("utf-16-be", "surrogatepass")
    if any(ord(c) in _PRINTABLE for c in text):
        raise ValueError("printable ASCII inside an encoded section")
    try:
        text.encode("utf-16-be")  # lone surrogates are not characters
    except UnicodeEncodeError:
        raise ValueError("unpaired UTF-16 surrogate") from None
    return text


def mailbox_to_wire(name: str, *, utf8: bool) -> str:
    """The form a mailbox name takes on the wire in the connection's mode."""
    return name if utf8 else encode_mutf7(name)


def mailbox_from_wire(wire: str, *, utf8: bool) -> str:
    """The Unicode name of a wire mailbox name (ValueError if malformed)."""
    if utf8:
        wire.encode("utf-8")  # surrogate-escaped octets: not valid UTF-8
        return wire
    return decode_mutf7(wire)
