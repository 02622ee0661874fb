"""MIME parts as exact bytes: leaves, multiparts and the record of what went in.

A ``Part`` is a header block plus a body already in its transfer encoding.
Every leaf also records a ``Leaf``: its content type and the *decoded*
octets, so a test (or a fidelity check over IMAP ``BINARY``) can compare what
a parser decodes with what was put in. Leaves are listed in document order,
which is the order of ``email.message.Message.walk()`` over non-multipart
parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.mail.encoding import CRLF, base64_body, parameter_header, quoted_printable

TRANSFER_ENCODINGS = ("7bit", "8bit", "binary", "quoted-printable", "base64")


@dataclass(frozen=True)
class Leaf:
    """One non-multipart part as a parser should decode it."""

    content_type: str  # lower case "type/subtype"
    payload: bytes  # the octets after transfer decoding
    filename: str | None = None


@dataclass(frozen=True)
class Part:
    """A MIME entity on the wire: header lines (each ending CRLF) and encoded body."""

    headers: tuple[bytes, ...]
    body: bytes
    leaves: tuple[Leaf, ...]

    def to_bytes(self) -> bytes:
        return b"".join(self.headers) + CRLF + self.body


def _encode(payload: bytes, transfer_encoding: str) -> bytes:
    if transfer_encoding == "base64":
        return base64_body(payload)
    if transfer_encoding == "quoted-printable":
        return quoted_printable(payload)
    if transfer_encoding in ("7bit", "8bit", "binary"):
        return payload
    raise ValueError(f"unknown transfer encoding {transfer_encoding!r}")


def leaf(
    content_type: str,
    payload: bytes,
    *,
    transfer_encoding: str = "7bit",
    type_parameters: Sequence[str] = (),
    extra_headers: Sequence[bytes] = (),
    filename: str | None = None,
) -> Part:
    """A single part: ``payload`` encoded with ``transfer_encoding`` under its headers.

    ``type_parameters`` are written after the type (``charset=utf-8``,
    ``name=...``); ``extra_headers`` are complete lines (Content-Disposition,
    Content-ID) placed after Content-Transfer-Encoding.
    """
    if transfer_encoding in ("7bit", "8bit"):
        check_line_data(payload, transfer_encoding)
    headers = (
        parameter_header("Content-Type", content_type, type_parameters),
        f"Content-Transfer-Encoding: {transfer_encoding}".encode("ascii") + CRLF,
        *extra_headers,
    )
    record = Leaf(content_type.lower(), payload, filename)
    return Part(headers, _encode(payload, transfer_encoding), (record,))


def text(
    content: str | bytes,
    *,
    subtype: str = "plain",
    charset: str = "utf-8",
    transfer_encoding: str = "7bit",
) -> Part:
    """A ``text/<subtype>`` part; ``content`` should already use CRLF line breaks."""
    payload = content.encode(charset) if isinstance(content, str) else content
    return leaf(
        f"text/{subtype}",
        payload,
        transfer_encoding=transfer_encoding,
        type_parameters=(f"charset={charset}",),
    )


def attachment(
    payload: bytes,
    content_type: str,
    filename: str,
    *,
    disposition_parameters: Sequence[str] | None = None,
    transfer_encoding: str = "base64",
) -> Part:
    """An attachment; by default ``filename="..."``, or the given (RFC 2231) parameters."""
    parameters = disposition_parameters or (f'filename="{filename}"',)
    disposition = parameter_header("Content-Disposition", "attachment", parameters)
    return leaf(
        content_type,
        payload,
        transfer_encoding=transfer_encoding,
        extra_headers=(disposition,),
        filename=filename,
    )


def multipart(
    subtype: str,
    parts: Sequence[Part],
    boundary: str,
    *,
    preamble: bytes = b"",
    epilogue: bytes = b"",
    transport_padding: bytes = b"",
    extra_parameters: Sequence[str] = (),
) -> Part:
    """``multipart/<subtype>`` with ``parts`` between ``--boundary`` delimiter lines.

    RFC 2046 §5.1.1: the CRLF before each delimiter belongs to the delimiter,
    so a part's content ends where its own octets end. ``transport_padding``
    (spaces or tabs) follows each delimiter, as the grammar allows.
    ``preamble`` and ``epilogue`` must end in CRLF when not empty.
    """
    _check_boundary(boundary, parts, preamble + epilogue)
    dash = b"--" + boundary.encode("ascii")
    chunks = [preamble]
    for index, part in enumerate(parts):
        separator = b"" if index == 0 and not preamble else CRLF
        chunks.append(separator + dash + transport_padding + CRLF + part.to_bytes())
    chunks.append(CRLF + dash + b"--" + transport_padding + CRLF + epilogue)
    quoted = f'boundary="{boundary}"'
    content_type = parameter_header(
        "Content-Type", f"multipart/{subtype}", [quoted, *extra_parameters]
    )
    leaves = tuple(record for part in parts for record in part.leaves)
    return Part((content_type,), b"".join(chunks), leaves)


def message_rfc822(inner_message: bytes, inner_leaves: tuple[Leaf, ...]) -> Part:
    """A ``message/rfc822`` part holding ``inner_message`` verbatim (RFC 2046 §5.2.1)."""
    headers = (
        b"Content-Type: message/rfc822" + CRLF,
        b"Content-Disposition: attachment" + CRLF,
    )
    return Part(headers, inner_message, inner_leaves)


# RFC 2046 §5.1.1: bchars := bcharsnospace / " "
_BCHARS_NO_SPACE = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"
)


def _check_boundary(boundary: str, parts: Sequence[Part], around: bytes) -> None:
    """Refuse a boundary the grammar forbids or that occurs inside the content.

    RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, and the
    delimiter "must not appear inside any of the encapsulated parts".
    """
    if not 1 <= len(boundary) <= 70 or boundary[-1] == " ":
        raise ValueError(f"boundary must be 1-70 characters not ending in a space: {boundary!r}")
    if any(char not in _BCHARS_NO_SPACE and char != " " for char in boundary):
        raise ValueError(f"boundary has a character outside bchars: {boundary!r}")
    dash = b"--" + boundary.encode("ascii")
    for chunk in (around, *(part.to_bytes() for part in parts)):
        if _contains_delimiter(chunk, dash):
            raise ValueError(f"boundary {boundary!r} occurs inside the content")


def _contains_delimiter(chunk: bytes, dash: bytes) -> bool:
    """True when a line of ``chunk`` starts with ``--boundary``.

    RFC 2046 §5.1.1 forbids the delimiter anywhere in the encapsulated
    material, even as the start of a longer line, so an inner boundary may be
    a prefix of an outer one but not the other way round. Lines are split on
    CR and LF alike, the way a lenient parser would.
    """
    return any(line.startswith(dash) for line in chunk.replace(b"\r", b"\n").split(b"\n"))


MAX_LINE = 998  # RFC 5322 §2.1.1 and RFC 2045 §2.7/§2.8, CRLF excluded


def check_line_data(payload: bytes, transfer_encoding: str) -> None:
    """Refuse 7bit/8bit data that the RFC 2045 §2.7/§2.8 definitions exclude.

    "CR and LF octets only occur as part of CRLF line separation sequences",
    no NUL, lines at most 998 octets; 7bit adds "octets with decimal values
    greater than 127 are not allowed".
    """
    if transfer_encoding == "7bit" and not payload.isascii():
        raise ValueError("7bit content must be ASCII (RFC 2045 §2.7)")
    lines = payload.split(CRLF)
    if b"\0" in payload or any(b"\r" in line or b"\n" in line for line in lines):
        raise ValueError(f"{transfer_encoding} content has NUL or a bare CR/LF (RFC 2045 §2.8)")
    if any(len(line) > MAX_LINE for line in lines):
        raise ValueError(f"{transfer_encoding} content has a line over 998 octets")
