"""The byte escapes shared by conformance scripts and transcripts.

In the text after ``C:`` or ``S:`` the only special sequence is ``${...}``;
everything else stands for itself, so IMAP's ``\\Seen`` or SMTP's ``<a@b>``
need no escaping (suites/README.md, "Text and escapes"). Bytes that cannot be
shown literally are written as named constants, hex, or a repeated string:

    ${CR} ${LF} ${CRLF} ${NUL} ${TAB} ${SP} ${$}    ${0x1b} ${0x00ff}    ${"A" * 5000}

This module renders bytes in that form (``escape_text``) and reads back the
literal forms (``literal_bytes`` for one ``${...}`` body, ``unescape_text`` for a
whole text). The conformance parser adds the non-literal forms (wildcards,
captures, expressions) on top of these, so both read the same bytes.
"""

from __future__ import annotations

import re

NAMED_BYTES: dict[str, bytes] = {
    "CRLF": b"\r\n",
    "CR": b"\r",
    "LF": b"\n",
    "NUL": b"\x00",
    "TAB": b"\t",
    "SP": b" ",
    "$": b"$",
}
_NAME_OF_BYTE = {b"\r": "CR", b"\n": "LF", b"\x00": "NUL", b"\t": "TAB"}

_HEX = re.compile(r"0x((?:[0-9A-Fa-f]{2})+)")
_STRING_REPEAT = re.compile(r'"((?:[^"\\]|\\["\\])*)"\s*(?:\*\s*(\d+))?')
# Runs of one printable character at least this long are written as a repeat,
# so a 5000-octet probe line stays readable in a transcript.
DEFAULT_MIN_RUN = 32
_QUOTABLE = frozenset(range(0x20, 0x7F)) - {ord('"'), ord("\\")}


class EscapeError(ValueError):
    """Malformed ``${...}`` text; ``column`` is 0-based within the text."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def find_closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start``.

    Double-quoted strings inside the body may contain ``}``; ``\\"`` and
    ``\\\\`` are the only escapes inside them.
    """
    i = start
    in_string = False
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "}":
            return i
        i += 1
    raise EscapeError(start - 2, "'${' is not closed by '}'")


def decode_string_literal(body: str) -> bytes:
    """The bytes of a double-quoted string's body (UTF-8; ``\\"`` and ``\\\\`` unescaped)."""
    return re.sub(r'\\(["\\])', r"\1", body).encode("utf-8")


def literal_bytes(body: str) -> bytes | None:
    """Bytes for a literal ``${...}`` body, or None if it is not a literal form."""
    body = body.strip()
    if body in NAMED_BYTES:
        return NAMED_BYTES[body]
    hex_match = _HEX.fullmatch(body)
    if hex_match:
        return bytes.fromhex(hex_match.group(1))
    repeat = _STRING_REPEAT.fullmatch(body)
    if repeat:
        count = int(repeat.group(2)) if repeat.group(2) is not None else 1
        return decode_string_literal(repeat.group(1)) * count
    return None


def unescape_text(text: str) -> bytes:
    """Bytes of a text made only of literal characters and literal escapes."""
    out = bytearray()
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            out += text[i:].encode("utf-8")
            return bytes(out)
        out += text[i:start].encode("utf-8")
        end = find_closing_brace(text, start + 2)
        value = literal_bytes(text[start + 2 : end])
        if value is None:
            raise EscapeError(start, f"'{text[start : end + 1]}' is not a literal escape")
        out += value
        i = end + 1


def escape_text(data: bytes, *, min_run: int | None = DEFAULT_MIN_RUN) -> str:
    """Render bytes as script text that ``unescape_text`` reads back exactly.

    Printable ASCII and printable UTF-8 characters are written as themselves;
    CR, LF, NUL and TAB by name; other bytes as hex. A final space becomes
    ``${SP}`` because editors strip trailing whitespace.
    """
    parts: list[str] = []
    pending_hex = bytearray()
    i = 0
    while i < len(data):
        piece, width = _render_at(data, i, min_run)
        if piece is None:
            pending_hex.append(data[i])
            i += 1
            continue
        if pending_hex:
            parts.append("${0x" + pending_hex.hex() + "}")
            pending_hex.clear()
        parts.append(piece)
        i += width
    if pending_hex:
        parts.append("${0x" + pending_hex.hex() + "}")
    if parts and parts[-1] == " ":
        parts[-1] = "${SP}"
    return "".join(parts)


def _render_at(data: bytes, i: int, min_run: int | None) -> tuple[str | None, int]:
    """The text for the bytes at ``i`` and how many bytes it covers (None: hex)."""
    byte = data[i]
    run = _run_length(data, i)
    if min_run is not None and run >= min_run and byte in _QUOTABLE:
        return f'${{"{chr(byte)}" * {run}}}', run
    if data.startswith(b"\r\n", i):
        return "${CRLF}", 2
    name = _NAME_OF_BYTE.get(data[i : i + 1])
    if name:
        return "${" + name + "}", 1
    if byte == ord("$"):
        return ("${$}" if data.startswith(b"{", i + 1) else "$"), 1
    if 0x20 <= byte < 0x7F:
        return chr(byte), 1
    if byte >= 0x80:
        return _utf8_char_at(data, i)
    return None, 1


def _utf8_char_at(data: bytes, i: int) -> tuple[str | None, int]:
    """A printable UTF-8 character starting at ``i``, or None (then: hex)."""
    lead = data[i]
    width = (
        2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 0
    )
    if not width:
        return None, 1
    try:
        char = data[i : i + width].decode("utf-8")
    except UnicodeDecodeError:
        return None, 1
    # Non-printable code points (bidi controls, U+2028 ...) would hide or move text.
    return (char, width) if char.isprintable() else (None, 1)


def _run_length(data: bytes, i: int) -> int:
    end = i + 1
    while end < len(data) and data[end] == data[i]:
        end += 1
    return end - i
