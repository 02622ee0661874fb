"""One stored message as FETCH and SEARCH see it: ENVELOPE, BODY[STRUCTURE],
BODY[section], BINARY, and the header and text that SEARCH compares.

The message is parsed on first use and every answer is cached: a view
lives as long as the server keeps the message's bytes in hand, and the
octets never change (RFC 3501 §2.3: message data is immutable).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from email.utils import parsedate_tz

from harness.protocols.imap.bodystructure import strip_extensions
from harness.protocols.imap.values import Body, Envelope, Section
from harness.server.imap.mime_content import decode_charset, decode_transfer
from harness.server.imap.mime_entity import Entity, Kind, parse_message
from harness.server.imap.mime_envelope import build_envelope
from harness.server.imap.mime_headers import decoded_text
from harness.server.imap.mime_section import locate, section_bytes
from harness.server.imap.mime_structure import body_structure

_SEARCHED_TYPES = ("text", "message")  # a BODY search reads these leaves, not attachments


class MessageView:
    """FETCH and SEARCH answers for the message ``raw`` (its stored octets)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._root: Entity | None = None
        self._envelope: Envelope | None = None
        # (BODYSTRUCTURE, BODY) for IMAP4rev1 and for IMAP4rev2 sessions
        self._structures: dict[bool, tuple[Body, Body]] = {}
        self._header_text: str | None = None
        self._body_texts: list[str] | None = None

    @property
    def root(self) -> Entity:
        if self._root is None:
            self._root = parse_message(self.raw)
        return self._root

    def envelope(self) -> Envelope:
        if self._envelope is None:
            self._envelope = build_envelope(self.root)
        return self._envelope

    def body_structure(self, *, extensions: bool, rev2: bool = False) -> Body:
        """BODYSTRUCTURE, or with ``extensions=False`` BODY (RFC 9051 §7.5.2:
        "Extension data is never returned with the BODY fetch"); ``rev2`` for
        a session that enabled IMAP4rev2 (RFC 2231 parameters decoded)."""
        structures = self._structures.get(rev2)
        if structures is None:
            full = body_structure(self.root, extensions=True, rev2=rev2)
            structures = self._structures[rev2] = (full, strip_extensions(full))
        return structures[0 if extensions else 1]

    def section(self, section: Section) -> bytes:
        """BODY[section]; RFC 3501 §6.4.5 answers a part that does not exist
        with an empty string."""
        if not section.part and section.text is None:
            return self.raw  # BODY[] is the message, unparsed
        return section_bytes(self.root, section)

    def binary(self, part: tuple[int, ...]) -> bytes | None:
        """BINARY[part] (RFC 3516 §4.2, RFC 9051 §6.4.5): the part's content
        with its Content-Transfer-Encoding undone; None for an encoding the
        server does not know ([UNKNOWN-CTE]); b"" for a missing part."""
        if not part:
            root = self.root
            if root.kind is not Kind.LEAF:
                return self.raw
            decoded = decode_transfer(root.encoding, root.body)
            return None if decoded is None else root.header + decoded
        node = locate(self.root, part)
        if node is None:
            return b""
        return decode_transfer(node.encoding, node.body)

    def binary_size(self, part: tuple[int, ...]) -> int | None:
        """BINARY.SIZE[part]: the size of what BINARY[part] returns."""
        content = self.binary(part)
        return None if content is None else len(content)

    def header_values(self, name: str) -> list[str]:
        """Every value of the top-level field ``name``, RFC 2047-decoded."""
        return [decoded_text(f.name, f.value) for f in self.root.fields if f.named(name)]

    def sent_date(self) -> datetime.date | None:
        """The date of the Date: field, as written there (RFC 3501 §6.4.4
        SENT*: "disregarding time and timezone"); None if absent or invalid."""
        found = self.root.field("Date")
        parsed = parsedate_tz(found.value.decode("latin-1")) if found else None
        if parsed is None:
            return None
        try:
            return datetime.date(parsed[0], parsed[1], parsed[2])
        except (ValueError, OverflowError):  # "31 Feb", a year of 20 digits
            return None

    def text_contains(self, needle: str, *, headers: bool) -> bool:
        """SEARCH BODY (``headers=False``) or TEXT: a case-insensitive
        substring of the decoded content (RFC 3501 §6.4.4: "In all search keys
        that use strings, a message matches the key if the string is a
        substring of the field. The matching is case-insensitive.")."""
        folded = needle.casefold()
        if headers and folded in self._folded_header():
            return True
        return any(folded in text for text in self._folded_body())

    def _folded_header(self) -> str:
        if self._header_text is None:
            self._header_text = _header_text(self.root).casefold()
        return self._header_text

    def _folded_body(self) -> list[str]:
        if self._body_texts is None:
            self._body_texts = [text.casefold() for text in _body_texts(self.root)]
        return self._body_texts


def partial(data: bytes, origin_count: tuple[int, int] | None) -> bytes:
    """BODY[...]<origin.count> (RFC 3501 §6.4.5): "If the starting octet is
    beyond the end of the text, an empty string is returned"; a count past
    the end returns what there is. Octets count from 0 (RFC 2683 EID 3129)."""
    if origin_count is None:
        return data
    origin, count = origin_count
    return data[origin : origin + count]


def _header_text(message: Entity) -> str:
    return "\r\n".join(f"{f.name}: {decoded_text(f.name, f.value)}" for f in message.fields)


def _body_texts(entity: Entity) -> Iterator[str]:
    """The decoded text of ``entity``'s body: its text leaves, and the header
    and text of each encapsulated message (all part of the outer body)."""
    if entity.kind is Kind.MULTIPART:
        for child in entity.children:
            yield from _body_texts(child)
    elif entity.kind is Kind.MESSAGE and entity.message is not None:
        yield _header_text(entity.message)
        yield from _body_texts(entity.message)
    elif entity.headers.get_content_maintype() in _SEARCHED_TYPES:
        decoded = decode_transfer(entity.encoding, entity.body)
        raw = entity.body if decoded is None else decoded
        yield decode_charset(raw, entity.headers.get_content_charset())
