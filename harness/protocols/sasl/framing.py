"""Base64 framing of SASL data as the mail protocols carry it.

SMTP (RFC 4954 §4), POP3 (RFC 5034 §4) and IMAP (RFC 3501 §6.2.2, RFC 4959)
send challenges and responses base64-encoded, one per line:

    initial-response = base64 / "="      ; "=" is an empty initial response
    client-response  = base64 / "*"      ; "*" cancels the exchange
    base64           = *(4base64-char) [base64-terminal]

RFC 5034 §4: "If the server cannot Base64 decode any client response, it MUST
reject the AUTH command with an -ERR reply." Decoding here is strict (no
whitespace, correct padding, nothing after padding), so a core can enforce that.
The protocol prefixes ("+ ", "334 ") belong to the cores, not to this module.
"""

from __future__ import annotations

import base64
import binascii

CANCEL = b"*"
EMPTY_INITIAL_RESPONSE = b"="


class Base64Error(ValueError):
    """The text is not canonical base64."""


def encode_payload(data: bytes) -> bytes:
    """Base64 of ``data`` (empty for empty data), for challenges and responses."""
    return base64.b64encode(data)


def decode_payload(text: bytes) -> bytes:
    """Strictly decode a challenge or response line (without its CRLF)."""
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as exc:
        raise Base64Error(f"invalid base64: {exc}") from None


def encode_initial_response(data: bytes | None) -> bytes | None:
    """The initial-response argument: None if absent, "=" if empty (RFC 4954, 5034)."""
    if data is None:
        return None
    return encode_payload(data) if data else EMPTY_INITIAL_RESPONSE


def decode_initial_response(text: bytes) -> bytes:
    """Decode an initial-response argument; "=" means an empty response."""
    if text == EMPTY_INITIAL_RESPONSE:
        return b""
    if not text:
        raise Base64Error("an empty initial response must be sent as '='")
    return decode_payload(text)


def is_cancel(text: bytes) -> bool:
    """True for the client's cancel line "*" (without CRLF)."""
    return text == CANCEL
