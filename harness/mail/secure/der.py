"""Just enough ASN.1 for CMS (RFC 5652): a DER writer and a BER reader.

``cryptography`` signs CMS but cannot verify it, and its envelope builder
draws its keys from the system RNG; the corpus needs both verification and
seeded envelopes, so the few structures involved are written and read here.
The reader accepts BER (indefinite lengths, constructed OCTET STRINGs),
because ``openssl smime -sign`` streams its output that way, and raises
``DerError`` on anything truncated or malformed so callers can report it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# X.690 §8.1.2: class and constructed bits of the identifier octet.
SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
CONSTRUCTED = 0x20
CONTEXT = 0x80


class DerError(ValueError):
    """The octets are not the ASN.1 structure they should be."""


# -- writing (DER, X.690 §10) -------------------------------------------------


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(items: Iterable[bytes]) -> bytes:
    # X.690 §11.6: DER orders the encodings of a SET OF as octet strings.
    return tlv(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    size = value.bit_length() // 8 + 1  # room for the sign bit
    return tlv(INTEGER, value.to_bytes(size, "big", signed=True))


def octet_string(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def null() -> bytes:
    return tlv(NULL, b"")


def oid(dotted: str) -> bytes:
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def explicit(number: int, content: bytes) -> bytes:
    """``[number] EXPLICIT``: a constructed context tag around a whole encoding."""
    return tlv(CONTEXT | CONSTRUCTED | number, content)


def implicit(number: int, content: bytes, *, constructed: bool = False) -> bytes:
    """``[number] IMPLICIT``: the context tag replaces the type's own tag."""
    return tlv(CONTEXT | (CONSTRUCTED if constructed else 0) | number, content)


# -- reading (BER, X.690 §8) --------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One decoded TLV: its tag octet, its content octets and its whole encoding."""

    tag: int
    content: bytes
    encoded: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & CONSTRUCTED)

    def is_context(self, number: int) -> bool:
        return self.tag & 0xC0 == CONTEXT and self.tag & 0x1F == number

    def children(self) -> list[Node]:
        if not self.constructed:
            raise DerError(f"tag 0x{self.tag:02x} is primitive, it has no children")
        return read_all(self.content)

    def as_int(self) -> int:
        self._expect(INTEGER)
        return int.from_bytes(self.content, "big", signed=True)

    def as_oid(self) -> str:
        self._expect(OID)
        return _decode_oid(self.content)

    def as_octets(self) -> bytes:
        """An OCTET STRING's value; BER may split it into constructed segments."""
        if self.tag == OCTET_STRING:
            return self.content
        if self.tag == OCTET_STRING | CONSTRUCTED:
            return b"".join(child.as_octets() for child in self.children())
        raise DerError(f"expected an OCTET STRING, found tag 0x{self.tag:02x}")

    def _expect(self, tag: int) -> None:
        if self.tag != tag:
            raise DerError(f"expected tag 0x{tag:02x}, found 0x{self.tag:02x}")


def _decode_oid(body: bytes) -> str:
    if not body or body[-1] & 0x80:
        raise DerError("truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for octet in body:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def read(data: bytes, offset: int = 0) -> tuple[Node, int]:
    """The TLV starting at ``offset`` and the offset just past it."""
    if offset + 2 > len(data):
        raise DerError("truncated: no room for a tag and a length")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-octet tags do not occur in CMS")
    first = data[offset + 1]
    start = offset + 2
    if first == 0x80:  # indefinite length: children up to an end-of-contents (00 00)
        return _read_indefinite(data, offset, tag, start)
    if first & 0x80:
        count = first & 0x7F
        if start + count > len(data):
            raise DerError("truncated length")
        size = int.from_bytes(data[start : start + count], "big")
        start += count
    else:
        size = first
    end = start + size
    if end > len(data):
        raise DerError(f"truncated: {size} content octets announced, {len(data) - start} present")
    return Node(tag, data[start:end], data[offset:end]), end


def _read_indefinite(data: bytes, offset: int, tag: int, start: int) -> tuple[Node, int]:
    if not tag & CONSTRUCTED:
        raise DerError("indefinite length on a primitive type")
    position = start
    while data[position : position + 2] != b"\0\0":
        _, position = read(data, position)
    # Children re-read from content still end with the 00 00 marker; strip it here.
    return Node(tag, data[start:position], data[offset : position + 2]), position + 2


def read_all(data: bytes) -> list[Node]:
    nodes = []
    position = 0
    while position < len(data):
        node, position = read(data, position)
        nodes.append(node)
    return nodes


def read_one(data: bytes) -> Node:
    """``data`` as exactly one TLV; trailing octets are an error."""
    node, end = read(data)
    if end != len(data):
        raise DerError(f"{len(data) - end} stray octets after the structure")
    return node
