"""Octets <-> str for POP3 fields, and the character classes the grammars use.

Fields are decoded as UTF-8 with surrogateescape: valid UTF-8 reads naturally,
and any other octet survives a round trip. Encoding refuses what cannot be
sent (a lone surrogate outside the escape range) as our own misuse.
"""

from __future__ import annotations

import re

from harness.protocols.common.errors import LocalProtocolError

CRLF = b"\r\n"
VCHAR = re.compile(rb"[\x21-\x7e]+")  # RFC 5234 VCHAR: printable ASCII, no SP
VCHAR_UTF8 = re.compile(rb"[\x21-\x7e\x80-\xff]+")  # after UTF8 (RFC 6856 §2)
NO_CONTROLS = re.compile(rb"[^\x00-\x1f\x7f]*")  # free text: anything but CTLs
DIGITS = re.compile(rb"[0-9]+")


def decode(octets: bytes) -> str:
    return octets.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"cannot encode {text!r}: {exc.reason}") from None


def encode_checked(text: str, pattern: re.Pattern[bytes], what: str) -> bytes:
    """Encode ``text`` and insist it matches ``pattern`` entirely (LocalProtocolError)."""
    octets = encode(text)
    if not pattern.fullmatch(octets):
        raise LocalProtocolError(f"{what} {text!r} cannot be sent on a POP3 line")
    return octets
