"""Content and header encodings, written out byte by byte.

The corpus builds its wire form here instead of through ``email.generator``
because fidelity tests need to know every octet they sent (catalogue §7 item
32: libraries re-fold headers and re-wrap base64, the very bugs under test).
Each encoder follows its RFC and is checked against the stdlib *decoder* in
tests/mail, so what we emit is what a parser reads back.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

CRLF = b"\r\n"

# RFC 2045 §6.8: "The encoded output stream must be represented in lines of
# no more than 76 characters each."
BASE64_LINE = 76
# RFC 2045 §6.7 rule 5: "The Quoted-Printable encoding REQUIRES that encoded
# lines be no more than 76 characters long."
QP_LINE = 76
# RFC 2047 §2: "An 'encoded-word' may not be more than 75 characters long".
ENCODED_WORD_MAX = 75
# RFC 5322 §2.1.1: lines "SHOULD be no more than 78 characters".
FOLD_WIDTH = 78


def base64_body(data: bytes, line_length: int = BASE64_LINE) -> bytes:
    """``data`` in base64, ``line_length`` characters a line, every line ending in CRLF."""
    if line_length % 4 or not 4 <= line_length <= BASE64_LINE:
        raise ValueError(f"base64 line length must be a multiple of 4 in 4..76, not {line_length}")
    encoded = base64.b64encode(data)
    lines = [encoded[i : i + line_length] for i in range(0, len(encoded), line_length)]
    return b"".join(line + CRLF for line in lines)


# RFC 2045 §6.7 rule 2: octets 33-60 and 62-126 may stand for themselves.
_QP_LITERAL = frozenset(range(33, 61)) | frozenset(range(62, 127))


def _qp_tokens(line: bytes) -> list[bytes]:
    """One token per input octet: the octet itself or its ``=XX`` escape."""
    tokens = []
    for index, octet in enumerate(line):
        is_last = index == len(line) - 1
        # Rule 3: space and tab may stand for themselves "except at the end
        # of an encoded line", where a transport could strip them.
        if octet in _QP_LITERAL or (octet in (0x20, 0x09) and not is_last):
            tokens.append(bytes([octet]))
        else:
            tokens.append(b"=%02X" % octet)
    return tokens


def _qp_soft_wrap(tokens: list[bytes]) -> list[bytes]:
    """Group tokens into physical lines of at most 76 characters, soft break ``=`` included."""
    lines: list[bytes] = []
    current: list[bytes] = []
    width = 0
    for token in tokens:
        if width + len(token) > QP_LINE - 1:
            # Rule 3: a space or tab must not end an encoded line, where a
            # transport could strip it; carry it over to start the next one.
            carried = [current.pop()] if current[-1] in (b" ", b"\t") else []
            lines.append(b"".join(current) + b"=")
            current, width = carried, len(carried)
        current.append(token)
        width += len(token)
    lines.append(b"".join(current))
    return lines


def quoted_printable(text: bytes) -> bytes:
    """``text`` (CRLF line breaks) in quoted-printable, every physical line ≤ 76 characters.

    Hard line breaks stay CRLF (rule 4); long lines get soft breaks (rule 5).
    """
    physical: list[bytes] = []
    for line in text.split(CRLF):
        physical.extend(_qp_soft_wrap(_qp_tokens(line)))
    return CRLF.join(physical)


# RFC 2047 §5 (3): in a phrase, a "Q"-encoded word may use only letters,
# digits and "!", "*", "+", "-", "/"; "=" and "_" are the escape and the space.
_Q_PHRASE_LITERAL = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/"
)


def _q_encode(raw: bytes) -> str:
    out = []
    for octet in raw:
        if octet == 0x20:
            out.append("_")  # RFC 2047 §4.2 (2)
        elif octet in _Q_PHRASE_LITERAL:
            out.append(chr(octet))
        else:
            out.append(f"={octet:02X}")
    return "".join(out)


def _encode_word(raw: bytes, charset: str, method: str) -> str:
    payload = base64.b64encode(raw).decode("ascii") if method == "B" else _q_encode(raw)
    return f"=?{charset}?{method}?{payload}?="


def encoded_words(text: str, charset: str, method: str = "B") -> list[str]:
    """``text`` as RFC 2047 encoded-words, each at most 75 characters.

    RFC 2047 §5: "Each 'encoded-word' MUST represent an integral number of
    characters. A multi-octet character may not be split across adjacent
    'encoded-word's." So the text is cut between characters, never inside one.
    """
    if method not in ("B", "Q"):
        raise ValueError(f"encoded-word method is B or Q, not {method!r}")
    words: list[str] = []
    chunk = ""
    for char in text:
        candidate = chunk + char
        if len(_encode_word(candidate.encode(charset), charset, method)) > ENCODED_WORD_MAX:
            words.append(_encode_word(chunk.encode(charset), charset, method))
            candidate = char
        chunk = candidate
    if chunk:
        words.append(_encode_word(chunk.encode(charset), charset, method))
    return words


def fold(name: str, tokens: Iterable[str], separator: str = " ") -> bytes:
    """A header field ``name: token token ...``, folded before a token that would pass 78.

    Folding puts CRLF before the whitespace that separates tokens (RFC 5322
    §2.2.3), so unfolding (removing the CRLFs) gives back the tokens joined by
    ``separator``. A token longer than a line stays whole on its own line.
    """
    line = f"{name}:"
    lines: list[str] = []
    for token in tokens:
        piece = f"{separator}{token}"
        if len(line) + len(piece) > FOLD_WIDTH and line.strip() != f"{name}:":
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\r\n".join(lines).encode("utf-8") + CRLF


# RFC 2231 §7: attribute-char := <any (US-ASCII) CHAR except SPACE, CTLs,
# "*", "'", "%", or tspecials>; everything else travels as %XX.
_ATTRIBUTE_CHAR_SAFE = "!#$&+-.^_`|~"


def percent_encode(value: str, charset: str = "utf-8") -> str:
    """``value`` in the RFC 2231 §4 extended-value form (octets outside attribute-char as %XX)."""
    return quote(value.encode(charset), safe=_ATTRIBUTE_CHAR_SAFE)


def _split_percent_encoded(encoded: str, section: int) -> list[str]:
    """Cut an extended value into sections of about ``section`` characters, never inside %XX."""
    pieces: list[str] = []
    current = ""
    index = 0
    while index < len(encoded):
        unit = encoded[index : index + 3] if encoded[index] == "%" else encoded[index]
        if current and len(current) + len(unit) > section:
            pieces.append(current)
            current = ""
        current += unit
        index += len(unit)
    pieces.append(current)
    return pieces


def rfc2231_parameter(name: str, value: str, charset: str = "UTF-8", section: int = 0) -> list[str]:
    """``name*=charset''value``, or its ``name*0*=``/``name*1*=`` continuations.

    With ``section`` > 0 the encoded value is split into continuations of
    about that many characters (RFC 2231 §3, §4.1); only the first carries
    the charset and the (empty) language.
    """
    encoded = percent_encode(value, charset)
    if section <= 0:
        return [f"{name}*={charset}''{encoded}"]
    pieces = _split_percent_encoded(encoded, section)
    first = f"{name}*0*={charset}''{pieces[0]}"
    return [first, *(f"{name}*{i}*={piece}" for i, piece in enumerate(pieces[1:], start=1))]


def quoted_continuations(name: str, value: str, section: int) -> list[str]:
    """``name*0="..."; name*1="..."``: RFC 2231 §3 continuations of a plain ASCII value."""
    if not value.isascii() or '"' in value or "\\" in value:
        raise ValueError("quoted continuations carry plain ASCII without quotes or backslashes")
    pieces = [value[i : i + section] for i in range(0, len(value), section)]
    return [f'{name}*{i}="{piece}"' for i, piece in enumerate(pieces)]


def parameter_header(name: str, value: str, parameters: Iterable[str]) -> bytes:
    """``Name: value;`` followed by one parameter a line, folded with a tab."""
    parts = [value, *parameters]
    return (f"{name}: " + ";\r\n\t".join(parts)).encode("utf-8") + CRLF
