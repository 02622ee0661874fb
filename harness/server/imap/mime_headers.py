"""Header sections located in stored bytes (RFC 5322 §2.2, §3.6).

FETCH must return header octets exactly as stored, so a header section is
kept as raw field slices (``Field``); their meaning (Content-Type parameters,
RFC 2231, RFC 2047) comes from the standard library's ``email`` package,
which is handed the same fields (``parse_fields``).

    field    = field-name ":" unstructured CRLF   ; RFC 5322 §2.2
    folding  = CRLF WSP                           ; §2.2.3, removed by unfolding
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.message import Message
from email.parser import BytesHeaderParser

_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_LINE = re.compile(rb"[^\n]*\n|[^\n]+")  # LF ends a line; a bare CR is content
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")  # RFC 5322 §3.6.8 ftext
_WSP = b" \t"
_HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)


@dataclass(frozen=True, slots=True)
class Field:
    """One header field as stored: ``raw`` runs from the name to the final line end."""

    name: str  # as written, without the colon; "" for a line that is no field
    raw: bytes

    @property
    def value(self) -> bytes:
        """The unfolded value: RFC 5322 §2.2.3 "simply removing any CRLF that is
        immediately followed by WSP", without the WSP after the colon."""
        _, _, rest = self.raw.partition(b":")
        rest = _FOLD.sub(b"", rest)
        if rest.endswith(b"\n"):
            rest = rest[:-2] if rest.endswith(b"\r\n") else rest[:-1]
        return rest.lstrip(_WSP)

    def named(self, name: str) -> bool:
        return self.name.lower() == name.lower()


@dataclass(frozen=True, slots=True)
class HeaderBounds:
    """Where a header section lies in a buffer.

    ``fields_end`` is where the empty line starts (or the entity's end if it
    has none); ``body_start`` is just after that empty line.
    """

    fields_end: int
    body_start: int

    @property
    def has_blank_line(self) -> bool:
        return self.body_start > self.fields_end


def find_header_end(buf: bytes, start: int, end: int) -> HeaderBounds:
    """The header section of the entity at ``buf[start:end]``: up to the first
    empty line (CRLF, or a bare LF as stored by lenient peers)."""
    pos = start
    while pos < end:
        newline = buf.find(b"\n", pos, end)
        line_end = end if newline < 0 else newline + 1
        if buf[pos:line_end] in (b"\r\n", b"\n"):
            return HeaderBounds(pos, line_end)
        pos = line_end
    return HeaderBounds(end, end)


def split_fields(header: bytes) -> list[Field]:
    """The fields of a header section (without its empty line), in order."""
    fields: list[Field] = []
    for line in _LINE.findall(header):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] = Field(fields[-1].name, fields[-1].raw + line)
            continue
        name, colon, _ = line.partition(b":")
        name = name.rstrip(_WSP)  # obs-optional allows WSP before the colon
        valid = bool(colon) and _FIELD_NAME.fullmatch(name) is not None
        fields.append(Field(name.decode("latin-1") if valid else "", line))
    return fields


def parse_fields(fields: list[Field]) -> Message:
    """The fields as an ``email`` message, for its MIME parameter parsing.

    Lines that are no field are left out: ``email`` would otherwise take the
    first of them for the start of the body and drop every field after it.
    """
    good = [f.name.encode("latin-1") + b":" + f.raw.partition(b":")[2] for f in fields if f.name]
    return _HEADER_PARSER.parsebytes(b"".join(good) + b"\r\n")


def wire_text(value: bytes) -> str:
    """Header octets as IMAP core strings: UTF-8 with surrogateescape, so
    8-bit octets that are not UTF-8 survive to the wire unchanged."""
    return value.decode("utf-8", "surrogateescape")


def email_text(value: str) -> str:
    """A string from ``email`` (8-bit octets as surrogates) as ``wire_text``."""
    return wire_text(value.encode("utf-8", "surrogateescape"))


def decoded_text(name: str, value: bytes) -> str:
    """A field value for SEARCH: RFC 3501 §6.4.4 "encoded [MIME-HDRS] header
    fields ... MUST be decoded before comparing text"; 8-bit octets are read
    as UTF-8 (RFC 6532), undecodable ones replaced."""
    text = value.decode("utf-8", "replace")
    try:
        return str(policy.default.header_factory(name, text))
    except (HeaderParseError, ValueError, IndexError, TypeError, AttributeError):
        # email's structured-header parser still trips over some hostile
        # input; SEARCH then falls back to the undecoded value.
        return text
