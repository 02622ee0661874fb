"""Decoded content: Content-Transfer-Encoding (RFC 2045 §6) for BINARY and
SEARCH, and charsets (RFC 2046 §4.1.2) for SEARCH's text comparison."""

from __future__ import annotations

from email import policy
from email.message import Message

IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})
"""RFC 2045 §6.2: "no encoding has been performed"; the only ones RFC 2045
§6.4 allows on multipart and message entities."""

KNOWN_ENCODINGS = IDENTITY_ENCODINGS | {"base64", "quoted-printable"}


def transfer_encoding(field_value: str | None) -> str:
    """The mechanism token of a Content-Transfer-Encoding value, lower case;
    RFC 2045 §6.1: absent means "7BIT"."""
    words = (field_value or "").split()
    return words[0].lower() if words else "7bit"


def decode_transfer(encoding: str, body: bytes) -> bytes | None:
    """``body`` with its transfer encoding undone; None for an encoding this
    server does not know (RFC 3516 §4.2: the server answers NO [UNKNOWN-CTE]).

    base64 and quoted-printable are undone by ``email``, leniently, as mail
    readers do: garbage characters in base64 are skipped, missing padding
    is supplied.
    """
    encoding = encoding.lower()
    if encoding in IDENTITY_ENCODINGS:
        return body
    if encoding not in KNOWN_ENCODINGS:
        return None
    carrier = Message(policy=policy.compat32)
    carrier["Content-Transfer-Encoding"] = encoding
    carrier.set_payload(body.decode("ascii", "surrogateescape"))
    decoded = carrier.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else body


def decode_charset(data: bytes, charset: str | None) -> str:
    """Text for SEARCH comparison; undecodable octets become U+FFFD.

    us-ascii (the RFC 2046 default) is read as UTF-8: it reads ASCII the
    same, and 8-bit text under a wrong or missing label is mostly UTF-8.
    """
    name = (charset or "utf-8").strip().lower()
    if name in ("us-ascii", "ascii", ""):
        name = "utf-8"
    try:
        return data.decode(name, "replace")
    except (LookupError, ValueError):  # unknown, or not a text codec
        return data.decode("utf-8", "replace")
