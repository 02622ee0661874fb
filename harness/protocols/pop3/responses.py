"""Status lines and response codes (RFC 1939 §3, RFC 2449 §8-9, RFC 3206, RFC 5034).

RFC 2449 §9:

    single-line = status [SP text] CRLF        ; 512 octets maximum
    status      = "+OK" / "-ERR"
    text        = *schar / resp-code *CHAR
    resp-code   = "[" resp-level *("/" resp-level) "]"
    resp-level  = 1*rchar
    rchar       = %x21-2E / %x30-5C / %x5E-7F  ; printable ASCII, excluding "/" and "]"

RFC 5034 §6:  continue-req = "+" SP [base64] CRLF

RFC 1939 §3: "Servers MUST send the "+OK" and "-ERR" in upper case." The
client core enforces it: a lower-case status is a protocol error. Text that
starts with "[" but is not a valid resp-code is plain text (RFC 2449 §8 lets
servers without RESP-CODES send such text).
"""

from __future__ import annotations

import re

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.pop3.events import AuthChallenge, Err, Ok, Response
from harness.protocols.pop3.text import CRLF, NO_CONTROLS, decode, encode, encode_checked
from harness.protocols.sasl.framing import decode_payload, encode_payload

# RFC 2449 §8.1, RFC 3206 §4, RFC 6856 §2: codes the harness gives names to.
IN_USE = "IN-USE"
LOGIN_DELAY = "LOGIN-DELAY"
SYS_TEMP = "SYS/TEMP"
SYS_PERM = "SYS/PERM"
AUTH = "AUTH"
UTF8 = "UTF8"

_RESP_CODE = re.compile(rb"[\x21-\x2e\x30-\x5c\x5e-\x7f]+(?:/[\x21-\x2e\x30-\x5c\x5e-\x7f]+)*")
_STATUS: dict[bytes, type[Ok] | type[Err]] = {b"+OK": Ok, b"-ERR": Err}


class ResponseSyntaxError(ValueError):
    """A server line that is not a status line (framing of what follows is unknown)."""


def parse_status_line(line: bytes) -> Ok | Err:
    """Parse a status line given without its CRLF."""
    status, sep, rest = line.partition(b" ")
    kind = _STATUS.get(status)
    if kind is None:
        if status.upper() in _STATUS:
            raise ResponseSyntaxError("status must be upper-case +OK/-ERR (RFC 1939 section 3)")
        raise ResponseSyntaxError(f"not a POP3 status line: {line[:40]!r}")
    code, text = split_code(rest) if sep else (None, b"")
    return kind(decode(text), code)


def split_code(text: bytes) -> tuple[str | None, bytes]:
    """(resp-code or None, remaining text) from the text after the status."""
    if not text.startswith(b"["):
        return None, text
    end = text.find(b"]")
    if end < 0 or not _RESP_CODE.fullmatch(text, 1, end):
        return None, text
    rest = text[end + 1 :]
    return text[1:end].decode("ascii"), rest[1:] if rest.startswith(b" ") else rest


def format_status(response: Response, max_line: int) -> bytes:
    """The status line for ``response`` (LocalProtocolError if it cannot be sent)."""
    status = b"+OK" if isinstance(response, Ok) else b"-ERR"
    text = encode_checked(response.text, NO_CONTROLS, "response text")
    if response.code is not None:
        code = encode(response.code)
        if not _RESP_CODE.fullmatch(code):
            raise LocalProtocolError(f"invalid response code {response.code!r}")
        text = b"[" + code + b"]" + (b" " + text if text else b"")
    elif split_code(text)[0] is not None:
        raise LocalProtocolError("text starting with a [code] needs code= (RFC 2449 section 8)")
    line = status + (b" " + text if text else b"") + CRLF
    if len(line) > max_line:
        raise LocalProtocolError(f"response line over {max_line} octets (RFC 2449 section 4)")
    return line


def is_continuation(line: bytes) -> bool:
    """A "+ " continue-req (RFC 5034 §6); the line is given without CRLF."""
    return line.startswith(b"+ ")


def parse_continuation(line: bytes) -> AuthChallenge:
    """The challenge of a continue-req line (Base64Error if not base64)."""
    return AuthChallenge(decode_payload(line[2:]))


def format_continuation(challenge: AuthChallenge) -> bytes:
    return b"+ " + encode_payload(challenge.data) + CRLF


def err_reply(message: str, code: str | None = None) -> bytes:
    """The -ERR line a server core attaches to a RemoteProtocolError."""
    return format_status(Err(message, code), 512)
