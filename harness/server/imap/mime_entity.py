"""MIME entities located in stored bytes: the tree that FETCH sections,
BODYSTRUCTURE and SEARCH read (RFC 2045 §2.4, RFC 2046 §5.1, §5.2.1).

An ``Entity`` is a header section and a body at known offsets of a buffer,
so every FETCH section is a slice of the stored octets, never a
re-serialisation. ``email`` reads each header section (content type,
boundary, defaults); the parts of a multipart are found by scanning the
body for its boundary exactly as ``email``'s feed parser recognises one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from email.message import Message

from harness.server.imap.mime_content import (
    IDENTITY_ENCODINGS,
    decode_transfer,
    transfer_encoding,
)
from harness.server.imap.mime_headers import (
    Field,
    HeaderBounds,
    find_header_end,
    parse_fields,
    split_fields,
)

MAX_DEPTH = 64
"""Nesting below this depth is left unparsed (a leaf): a hostile message
must not exhaust the stack."""

ENCAPSULATING = frozenset({"message/rfc822", "message/global"})
"""RFC 2046 §5.2.1 and RFC 6532 §3.5: the body is a whole message."""


class Kind(enum.Enum):
    LEAF = "leaf"
    MULTIPART = "multipart"
    MESSAGE = "message"  # message/rfc822: the body is an encapsulated message


@dataclass(frozen=True, eq=False)
class Entity:
    """One entity of ``buf``: header ``[start, bounds.body_start)``, body up to ``end``."""

    buf: bytes
    start: int
    end: int
    bounds: HeaderBounds
    fields: tuple[Field, ...]
    headers: Message
    kind: Kind
    children: tuple[Entity, ...] = ()
    message: Entity | None = None  # the encapsulated message of a MESSAGE
    encoding: str = "7bit"  # Content-Transfer-Encoding mechanism, lower case

    @property
    def whole(self) -> bytes:
        return self.buf[self.start : self.end]

    @property
    def header(self) -> bytes:
        """The header section including its empty line (RFC 3501 §6.4.5:
        "the blank line is included in all header fetches")."""
        return self.buf[self.start : self.bounds.body_start]

    @property
    def blank_line(self) -> bytes:
        return self.buf[self.bounds.fields_end : self.bounds.body_start]

    @property
    def body(self) -> bytes:
        return self.buf[self.bounds.body_start : self.end]

    @property
    def content_type(self) -> str:
        """Lower-case type/subtype, with RFC 2045 §5.2's default for a missing
        or invalid Content-Type (message/rfc822 inside multipart/digest)."""
        return self.headers.get_content_type()

    def field(self, name: str) -> Field | None:
        """The first field called ``name`` (a later duplicate is ignored, as
        Dovecot does)."""
        return next((f for f in self.fields if f.named(name)), None)


def parse_message(raw: bytes) -> Entity:
    """The entity tree of a whole stored message."""
    return parse_entity(raw, 0, len(raw))


def parse_entity(
    buf: bytes, start: int, end: int, *, digest_child: bool = False, depth: int = 0
) -> Entity:
    bounds = find_header_end(buf, start, end)
    fields = tuple(split_fields(buf[start : bounds.fields_end]))
    headers = parse_fields(list(fields))
    if digest_child:  # RFC 2046 §5.1.5: a digest's parts default to message/rfc822
        headers.set_default_type("message/rfc822")
    encoding_field = next((f for f in fields if f.named("Content-Transfer-Encoding")), None)
    encoding = transfer_encoding(encoding_field.value.decode("latin-1") if encoding_field else None)
    entity = Entity(buf, start, end, bounds, fields, headers, Kind.LEAF, encoding=encoding)
    if depth >= MAX_DEPTH:
        return entity
    if headers.get_content_maintype() == "multipart":
        children = _parse_children(entity, depth)
        return Entity(
            buf, start, end, bounds, fields, headers, Kind.MULTIPART, children, encoding=encoding
        )
    if entity.content_type in ENCAPSULATING:
        inner = _encapsulated(entity, depth)
        return Entity(
            buf, start, end, bounds, fields, headers, Kind.MESSAGE, message=inner, encoding=encoding
        )
    return entity


def _parse_children(entity: Entity, depth: int) -> tuple[Entity, ...]:
    boundary = entity.headers.get_boundary()
    if not boundary:  # no boundary parameter: no part can be found
        return ()
    digest = entity.headers.get_content_subtype() == "digest"
    spans = split_multipart(
        entity.buf,
        entity.bounds.body_start,
        entity.end,
        boundary.encode("utf-8", "surrogateescape"),
    )
    return tuple(
        parse_entity(entity.buf, s, e, digest_child=digest, depth=depth + 1) for s, e in spans
    )


def _encapsulated(entity: Entity, depth: int) -> Entity:
    """RFC 2046 §5.2.1 allows only 7bit, 8bit and binary here; a message
    encoded anyway is described from its decoded octets."""
    if entity.encoding in IDENTITY_ENCODINGS:
        return parse_entity(entity.buf, entity.bounds.body_start, entity.end, depth=depth + 1)
    decoded = decode_transfer(entity.encoding, entity.body)
    inner = entity.body if decoded is None else decoded
    return parse_entity(inner, 0, len(inner), depth=depth + 1)


def split_multipart(buf: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """The (start, end) of each body part of the multipart body ``buf[start:end]``.

    RFC 2046 §5.1.1:

        dash-boundary := "--" boundary
        delimiter     := CRLF dash-boundary
        close-delimiter := delimiter "--"
        encapsulation := delimiter transport-padding CRLF body-part

    "The CRLF preceding the boundary delimiter line is conceptually attached
    to the boundary", so a part ends before it. Like ``email``, a line is a
    delimiter only if nothing but whitespace follows the boundary (and "--"):
    nested boundaries that are prefixes of outer ones stay apart. Without a
    close delimiter the last part runs to ``end``; the preamble and epilogue
    belong to no part.
    """
    dash_boundary = b"--" + boundary
    spans: list[tuple[int, int]] = []
    part_start: int | None = None
    pos = start
    while (hit := buf.find(dash_boundary, pos, end)) >= 0:
        pos = hit + len(dash_boundary)
        if hit > start and buf[hit - 1] != 0x0A:  # not at the start of a line
            continue
        newline = buf.find(b"\n", pos, end)
        line_end = end if newline < 0 else newline + 1
        tail = buf[pos:line_end]
        closing = tail.startswith(b"--")
        if tail[2 if closing else 0 :].strip(b" \t\r\n"):
            continue  # "--boundaryX": another boundary, or content
        if part_start is not None:
            spans.append((part_start, _before_line_break(buf, part_start, hit)))
        if closing:
            return spans
        part_start = pos = line_end
    if part_start is not None:
        spans.append((part_start, end))
    return spans


def _before_line_break(buf: bytes, low: int, pos: int) -> int:
    """``pos`` moved before the CRLF (or bare LF) that ends at it, not below ``low``."""
    if pos > low and buf[pos - 1] == 0x0A:
        pos -= 1
        if pos > low and buf[pos - 1] == 0x0D:
            pos -= 1
    return pos
