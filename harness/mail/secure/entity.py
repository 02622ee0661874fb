"""Read a MIME entity as exact octets: header fields and multipart bodies.

Verification must see the signed octets exactly as they arrived, so this
never re-serialises anything (catalogue §7 item 32). Header values are
parsed only to learn a content type and its parameters. Lines may end in
CRLF or, in damaged copies, a bare LF: both are understood, so such a copy
is reported as a bad signature rather than as an unreadable message.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

_HEADER_END = re.compile(rb"\r?\n\r?\n")


class EntityError(ValueError):
    """The message is not the MIME structure its headers announce."""


@dataclass(frozen=True)
class Entity:
    """A MIME entity: its header section (empty line excluded) and its body."""

    header: bytes
    body: bytes

    @property
    def raw(self) -> bytes:
        return self.header + self.separator + self.body

    @property
    def separator(self) -> bytes:
        return b"\r\n" if self.header.endswith(b"\r\n") else b"\n"

    def fields(self) -> Message:
        # The stdlib parses the fields only; the octets are never written back.
        return BytesHeaderParser().parsebytes(self.header + self.separator)

    @property
    def content_type(self) -> str:
        return self.fields().get_content_type()

    def parameter(self, name: str) -> str | None:
        value = self.fields().get_param(name)
        if value is None or isinstance(value, tuple):
            return None if value is None else str(value[2])
        return value

    @property
    def transfer_encoding(self) -> str:
        return str(self.fields().get("Content-Transfer-Encoding", "7bit")).strip().lower()

    def decoded_body(self) -> bytes:
        """The body after base64 decoding; other encodings are not expected here."""
        encoding = self.transfer_encoding
        if encoding != "base64":
            raise EntityError(f"expected base64, found Content-Transfer-Encoding {encoding}")
        try:
            return base64.b64decode(re.sub(rb"[\r\n\t ]", b"", self.body), validate=True)
        except (binascii.Error, ValueError) as error:
            raise EntityError(f"bad base64: {error}") from None


def split_entity(raw: bytes) -> Entity:
    """Cut ``raw`` at its first empty line (RFC 5322 §2.1)."""
    if raw.startswith((b"\r\n", b"\n")):
        return Entity(b"", raw[raw.index(b"\n") + 1 :])
    match = _HEADER_END.search(raw)
    if match is None:
        return Entity(raw, b"")
    newline_end = match.start() + (2 if raw[match.start() : match.start() + 1] == b"\r" else 1)
    return Entity(raw[:newline_end], raw[match.end() :])


def body_parts(entity: Entity) -> list[Entity]:
    """The parts of a multipart entity, each exactly as it lies between delimiters.

    RFC 2046 §5.1.1: a delimiter is CRLF "--" boundary at the start of a
    line; the CRLF belongs to the delimiter, not to the part before it.
    """
    boundary = entity.parameter("boundary")
    if not boundary:
        raise EntityError(f"{entity.content_type} without a boundary parameter")
    dash = b"--" + boundary.encode("ascii", "replace")
    delimiter = re.compile(rb"(?:^|\r?\n)" + re.escape(dash) + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[Entity] = []
    start: int | None = None
    for match in delimiter.finditer(entity.body):
        if start is not None:
            parts.append(split_entity(entity.body[start : match.start()]))
        if match.group(1):  # the close delimiter
            return parts
        start = match.end()
    raise EntityError(f"multipart body has no closing delimiter --{boundary}--")
