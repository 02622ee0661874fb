"""The FETCH response (RFC 9051 §7.5.2), with MODSEQ (RFC 7162 §3.1.4) and
BINARY items (RFC 3516 §4.3).

    message-data     = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
    msg-att          = "(" (msg-att-dynamic / msg-att-static)
                       *(SP (msg-att-dynamic / msg-att-static)) ")"
    msg-att-dynamic  = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")" /
                       "MODSEQ" SP "(" permsg-modsequence ")"
    msg-att-static   = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time /
                       "RFC822" [".HEADER" / ".TEXT"] SP nstring /
                       "RFC822.SIZE" SP number64 / "BODY" ["STRUCTURE"] SP body /
                       "BODY" section ["<" number ">"] SP nstring /
                       "BINARY" section-binary SP (nstring / literal8) /
                       "BINARY.SIZE" section-binary SP number / "UID" SP uniqueid

Item order is not fixed (RFC 9051 §7.5.2 lists none, and servers differ), so a
response is a record with one field per item; sections, which can repeat,
are a tuple. This is the client's hot path: each item is read with one regular
expression match on the whole line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.protocols.imap.bodystructure import (
    read_body,
    read_envelope,
    write_body,
    write_envelope,
)
from harness.protocols.imap.events import Event
from harness.protocols.imap.fetch import read_section, write_section
from harness.protocols.imap.lexer import FLAG_RE, NUMBER_RE, ParseError, Reader
from harness.protocols.imap.values import Body, Envelope, Section
from harness.protocols.imap.writer import Writer

_NAME_RE = re.compile(rb"[A-Za-z0-9.]+")
_FLAG = rb"(?:" + FLAG_RE.pattern + rb")"
_FLAGS_RE = re.compile(rb"\((?:" + _FLAG + rb"(?: " + _FLAG + rb")*)?\)")
_ORIGIN_RE = re.compile(rb"<([0-9]+)>")
_SIMPLE_ITEM_RE = re.compile(
    rb"(UID|RFC822\.SIZE) ([0-9]{1,19})(?=[ )])"
    rb"|(FLAGS) \(((?:" + _FLAG + rb"(?: " + _FLAG + rb")*)?)\)"
    rb"|(MODSEQ) \(([0-9]{1,19})\)",
    re.I,
)
RFC822_ITEMS = ("RFC822", "RFC822.HEADER", "RFC822.TEXT")
_REPEATED = ("sections", "binary_sizes")


@dataclass(frozen=True, slots=True)
class BodySection:
    """Data of BODY[section]<origin>, BINARY[part], or RFC822(.HEADER/.TEXT).

    ``item`` is "BODY", "BINARY" or one of the RFC822 names (whose ``section``
    stays empty). ``data`` None is NIL.
    """

    item: str = "BODY"
    section: Section = field(default_factory=Section)
    data: bytes | None = b""
    origin: int | None = None

    @property
    def key(self) -> str:
        """The item as written on the wire, e.g. ``BODY[HEADER]``, ``RFC822``."""
        if self.item in RFC822_ITEMS:
            return self.item
        return f"{self.item}[{self.section}]"


@dataclass(frozen=True, slots=True)
class FetchResponse(Event):
    """``* seq FETCH (...)``: every item is optional."""

    seq: int
    flags: tuple[str, ...] | None = None
    uid: int | None = None
    modseq: int | None = None
    internal_date: datetime | None = None
    rfc822_size: int | None = None
    envelope: Envelope | None = None
    body: Body | None = None
    body_structure: Body | None = None
    sections: tuple[BodySection, ...] = ()
    binary_sizes: tuple[tuple[tuple[int, ...], int], ...] = ()

    def data(self, key: str = "BODY[]") -> bytes | None:
        """The octets of the section written as ``key`` (``BODY[1.MIME]``, ``RFC822``...).

        Raises KeyError when the response does not carry it.
        """
        wanted = key.upper()
        for section in self.sections:
            if section.key.upper() == wanted:
                return section.data
        raise KeyError(key)

    def encode(self, w: Writer) -> None:
        w.raw(b"* %d FETCH (" % self.seq)
        first = True
        for name, write in _WRITERS:
            value = getattr(self, name)
            if value is None or (name in _REPEATED and not value):
                continue
            if not first:
                w.sp()
            write(w, value)
            first = False
        if first:
            raise ValueError("a FETCH response needs at least one item")
        w.raw(b")")


# -- reading -----------------------------------------------------------------

Fields = dict[str, Any]


def read_fetch(r: Reader, seq: int) -> FetchResponse:
    """msg-att, after "FETCH": one record; a repeated item keeps its last value.

    The common items (UID, FLAGS, RFC822.SIZE, MODSEQ) are read by one regular
    expression each time round; everything else goes through the item table.
    """
    r.expect(b" (")
    fields: Fields = {}
    sections: list[BodySection] = []
    line, pos = r.line, r.pos
    while True:
        match = _SIMPLE_ITEM_RE.match(line, pos)
        if match is not None:
            _store_simple(match, fields)
            pos = match.end()
        else:
            r.pos = pos
            _read_item(r, fields, sections)
            line, pos = r.line, r.pos
        end = line[pos : pos + 1]
        if end == b")":
            r.pos = pos + 1
            break
        if end != b" ":
            r.pos = pos
            r.fail("SP or ) after a FETCH item")
        pos += 1
        if len(sections) + len(fields) > r.limits.max_items:
            raise ParseError("too many items")
    if sections:
        fields["sections"] = tuple(sections)
    return FetchResponse(seq, **fields)


def _store_simple(match: re.Match[bytes], fields: Fields) -> None:
    if match[1] is not None:
        fields["rfc822_size" if len(match[1]) > 3 else "uid"] = int(match[2])
    elif match[3] is not None:
        inner = match[4]
        fields["flags"] = tuple(inner.decode("ascii").split(" ")) if inner else ()
    else:
        fields["modseq"] = int(match[6])


def _read_item(r: Reader, fields: Fields, sections: list[BodySection]) -> None:
    match = _NAME_RE.match(r.line, r.pos)
    if match is None:
        r.fail("fetch item")
    name = match[0].upper()
    r.pos = match.end()
    reader = _ITEM_READERS.get(name)
    if reader is not None:
        reader(r, fields)
    elif name in _SECTION_NAMES:
        _read_section_item(r, name.decode("ascii"), fields, sections)
    else:
        raise ParseError(f"unknown FETCH item {name.decode('ascii', 'replace')!r}")


def _read_flags(r: Reader, fields: Fields) -> None:
    r.sp()
    match = _FLAGS_RE.match(r.line, r.pos)
    if match is None:
        r.fail("flag list")
    r.pos = match.end()
    inner = match[0][1:-1]
    fields["flags"] = tuple(inner.decode("ascii").split(" ")) if inner else ()


def _number_reader(key: str) -> Callable[[Reader, Fields], None]:
    def read(r: Reader, fields: Fields) -> None:
        r.sp()
        match = NUMBER_RE.match(r.line, r.pos)
        if match is None:
            r.fail("number")
        r.pos = match.end()
        fields[key] = int(match[0])

    return read


def _read_modseq(r: Reader, fields: Fields) -> None:
    r.sp()
    r.expect(b"(")
    fields["modseq"] = r.number64()
    r.expect(b")")


def _read_internal_date(r: Reader, fields: Fields) -> None:
    r.sp()
    fields["internal_date"] = r.date_time()


def _read_envelope(r: Reader, fields: Fields) -> None:
    r.sp()
    fields["envelope"] = read_envelope(r)


def _body_reader(key: str) -> Callable[[Reader, Fields], None]:
    def read(r: Reader, fields: Fields) -> None:
        r.sp()
        fields[key] = read_body(r)

    return read


def _read_section_item(r: Reader, name: str, fields: Fields, sections: list[BodySection]) -> None:
    if name in RFC822_ITEMS:
        r.sp()
        sections.append(BodySection(name, Section(), r.nstring_bytes()))
        return
    if name == "BODY" and r.peek() != 0x5B:  # BODY SP body: the structure, not a section
        r.sp()
        fields["body"] = read_body(r)
        return
    section = read_section(r, binary=name != "BODY")
    if name == "BINARY.SIZE":
        r.sp()
        sizes = fields.setdefault("binary_sizes", ())
        fields["binary_sizes"] = (*sizes, (section.part, r.number64()))
        return
    origin = None
    if name == "BODY" and r.peek() == 0x3C:
        match = _ORIGIN_RE.match(r.line, r.pos)
        if match is None:
            r.fail("<origin>")
        origin = int(match[1])
        r.pos = match.end()
    r.sp()
    data = r.nstring_bytes(binary=name == "BINARY")
    sections.append(BodySection(name, section, data, origin))


_ITEM_READERS: dict[bytes, Callable[[Reader, Fields], None]] = {
    b"FLAGS": _read_flags,
    b"UID": _number_reader("uid"),
    b"RFC822.SIZE": _number_reader("rfc822_size"),
    b"MODSEQ": _read_modseq,
    b"INTERNALDATE": _read_internal_date,
    b"ENVELOPE": _read_envelope,
    b"BODYSTRUCTURE": _body_reader("body_structure"),
}
_SECTION_NAMES = frozenset(
    {b"BODY", b"BINARY", b"BINARY.SIZE", b"RFC822", b"RFC822.HEADER", b"RFC822.TEXT"}
)


# -- writing -----------------------------------------------------------------


def _write_flags(w: Writer, flags: tuple[str, ...]) -> None:
    w.raw(b"FLAGS ")
    w.flag_list(flags)


def _write_number(label: bytes) -> Callable[[Writer, int], None]:
    def write(w: Writer, value: int) -> None:
        w.raw(label)
        w.number(value)

    return write


def _write_modseq(w: Writer, value: int) -> None:
    w.raw(b"MODSEQ (%d)" % value)


def _write_internal_date(w: Writer, value: datetime) -> None:
    w.raw(b"INTERNALDATE ")
    w.date_time(value)


def _write_envelope(w: Writer, value: Envelope) -> None:
    w.raw(b"ENVELOPE ")
    write_envelope(w, value)


def _write_body(label: bytes) -> Callable[[Writer, Body], None]:
    def write(w: Writer, value: Body) -> None:
        w.raw(label)
        write_body(w, value)

    return write


def _write_sections(w: Writer, sections: tuple[BodySection, ...]) -> None:
    for index, s in enumerate(sections):
        if index:
            w.sp()
        if s.item in RFC822_ITEMS:
            w.raw(s.item.encode("ascii"))
        else:
            w.raw(s.item.encode("ascii"))
            write_section(w, s.section)
            if s.origin is not None:
                w.raw(b"<%d>" % s.origin)
        w.sp()
        w.nstring(s.data, binary=s.item == "BINARY")


def _write_binary_sizes(w: Writer, sizes: tuple[tuple[tuple[int, ...], int], ...]) -> None:
    for index, (part, size) in enumerate(sizes):
        if index:
            w.sp()
        w.raw(b"BINARY.SIZE")
        write_section(w, Section(part))
        w.raw(b" %d" % size)


_WRITERS: tuple[tuple[str, Callable[[Writer, Any], None]], ...] = (
    ("uid", _write_number(b"UID ")),
    ("flags", _write_flags),
    ("modseq", _write_modseq),
    ("internal_date", _write_internal_date),
    ("rfc822_size", _write_number(b"RFC822.SIZE ")),
    ("envelope", _write_envelope),
    ("body", _write_body(b"BODY ")),
    ("body_structure", _write_body(b"BODYSTRUCTURE ")),
    ("sections", _write_sections),
    ("binary_sizes", _write_binary_sizes),
)
