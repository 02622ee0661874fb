"""FETCH (RFC 9051 §6.4.5) and its response (§7.5.2), with CONDSTORE/QRESYNC
modifiers (RFC 7162 §3.1.4, §3.2.6) and BINARY (RFC 3516).

    fetch          = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
                     fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
    fetch-att      = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
                     "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
                     "BODY" ["STRUCTURE"] / "UID" /
                     "BODY" section [partial] / "BODY.PEEK" section [partial] /
                     "BINARY" [".PEEK"] section-binary [partial] /
                     "BINARY.SIZE" section-binary / "MODSEQ"
    partial        = "<" number "." nz-number ">"
    section        = "[" [section-spec] "]"
    section-spec   = section-msgtext / (section-part ["." section-text])
    section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    section-part   = nz-number *("." nz-number)
    section-text   = section-msgtext / "MIME"
    section-binary = "[" [section-part] "]"

The response side (``FetchResponse``, message-data "FETCH") is in
``fetch_response``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.values import Section, SequenceSet
from harness.protocols.imap.writer import Writer

SIMPLE_ATTS = frozenset(
    {"ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE"}
    | {"RFC822.TEXT", "BODY", "BODYSTRUCTURE", "UID", "MODSEQ"}
)
MACROS: dict[str, tuple[str, ...]] = {
    # RFC 9051 §6.4.5: ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE), FAST, FULL
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
SECTION_ITEMS = ("BODY", "BINARY", "BINARY.SIZE")
_ITEM_NAME_RE = re.compile(rb"[A-Za-z0-9.]+")
_PART_RE = re.compile(rb"[1-9][0-9]*(?:\.[1-9][0-9]*)*")
_SECTION_TEXT_RE = re.compile(rb"HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME", re.I)
_PARTIAL_RE = re.compile(rb"<([0-9]+)\.([0-9]+)>")


@dataclass(frozen=True, slots=True)
class FetchSection:
    """A fetch-att with a section: BODY[...]<p>, BODY.PEEK, BINARY[.PEEK], BINARY.SIZE.

    ``partial`` is (origin, count); ``peek`` is the .PEEK form (no \\Seen).
    """

    item: str = "BODY"
    section: Section = field(default_factory=Section)
    partial: tuple[int, int] | None = None
    peek: bool = False


FetchAtt = str | FetchSection


@dataclass(frozen=True, slots=True)
class Fetch(Command):
    """FETCH / UID FETCH; either ``macro`` (ALL, FAST, FULL) or ``items``."""

    sequence_set: SequenceSet
    items: tuple[FetchAtt, ...] = ()
    macro: str | None = None
    uid: bool = False
    changedsince: int | None = None
    vanished: bool = False
    name: ClassVar[str] = "FETCH"

    def attributes(self) -> tuple[FetchAtt, ...]:
        """The items to return: the macro expanded, and UID for UID FETCH
        (RFC 9051 §6.4.9: "UID FETCH ... MUST include the UID")."""
        items = MACROS[self.macro] if self.macro else self.items
        if self.uid and "UID" not in items:
            items = ("UID", *items)
        return items

    def encode(self, w: Writer) -> None:
        w.raw(b"FETCH ")
        w.sequence_set(self.sequence_set)
        w.sp()
        if self.macro:
            w.atom(self.macro)
        else:
            w.paren(self.items, lambda att: write_fetch_att(w, att))
        modifiers = []
        if self.changedsince is not None:
            modifiers.append(f"CHANGEDSINCE {self.changedsince}")
        if self.vanished:
            modifiers.append("VANISHED")
        if modifiers:
            w.raw(f" ({' '.join(modifiers)})".encode("ascii"))


def parse_fetch(r: Reader, tag: str, *, uid: bool = False) -> Fetch:
    r.sp()
    sequence_set = r.sequence_set()
    r.sp()
    items: tuple[FetchAtt, ...] = ()
    macro = None
    if r.peek() == 0x28:
        items = tuple(r.paren_list(lambda: read_fetch_att(r), allow_empty=False))
    else:
        att = read_fetch_att(r, macros=True)
        if isinstance(att, str) and att in MACROS:
            macro = att
        else:
            items = (att,)
    changedsince, vanished = None, False
    if r.take(b" "):
        for modifier in r.paren_list(lambda: _read_modifier(r), allow_empty=False):
            if modifier is None:
                vanished = True
            else:
                changedsince = modifier
    if vanished and (not uid or changedsince is None):
        # RFC 7162 §3.2.6: VANISHED only with UID FETCH and CHANGEDSINCE
        raise ParseError("VANISHED needs UID FETCH with CHANGEDSINCE")
    return Fetch(tag, sequence_set, items, macro, uid, changedsince, vanished)


def _read_modifier(r: Reader) -> int | None:
    """fetch-modifier = "CHANGEDSINCE" SP mod-sequence-value / "VANISHED"."""
    if r.take_word(b"VANISHED"):
        return None
    if not r.take_word(b"CHANGEDSINCE"):
        r.fail("fetch modifier")
    r.sp()
    return r.number64()


def read_fetch_att(r: Reader, *, macros: bool = False) -> FetchAtt:
    match = _ITEM_NAME_RE.match(r.line, r.pos)
    if match is None:
        r.fail("fetch attribute")
    name = match[0].decode("ascii").upper()
    r.pos = match.end()
    if r.peek() != 0x5B:  # "["
        if name in SIMPLE_ATTS or (macros and name in MACROS):
            return name
        raise ParseError(f"unknown fetch attribute {name!r}")
    peek = name.endswith(".PEEK")
    item = name[:-5] if peek else name
    if item not in SECTION_ITEMS or (peek and item == "BINARY.SIZE"):
        raise ParseError(f"unknown fetch attribute {name!r}")
    section = read_section(r, binary=item != "BODY")
    partial = None
    if item != "BINARY.SIZE" and r.peek() == 0x3C:  # "<"
        partial = _read_partial(r)
    return FetchSection(item, section, partial, peek)


def _read_partial(r: Reader) -> tuple[int, int]:
    match = _PARTIAL_RE.match(r.line, r.pos)
    if match is None or int(match[2]) == 0:
        r.fail("partial <origin.count>")
    r.pos = match.end()
    return (int(match[1]), int(match[2]))


def read_section(r: Reader, *, binary: bool = False) -> Section:
    """section = "[" [section-spec] "]"; section-binary = "[" [section-part] "]"."""
    r.expect(b"[")
    part: tuple[int, ...] = ()
    match = _PART_RE.match(r.line, r.pos)
    if match is not None:
        part = tuple(int(p) for p in match[0].split(b"."))
        r.check_items(len(part))
        r.pos = match.end()
    text: str | None = None
    fields: tuple[str, ...] = ()
    if not binary and (not part or r.take(b".")):
        text, fields = _read_section_text(r, after_part=bool(part))
    r.expect(b"]")
    return Section(part, text, fields)


def _read_section_text(r: Reader, *, after_part: bool) -> tuple[str | None, tuple[str, ...]]:
    match = _SECTION_TEXT_RE.match(r.line, r.pos)
    if match is None:
        if after_part:
            r.fail("section text")
        return None, ()
    text = match[0].decode("ascii").upper()
    if text == "MIME" and not after_part:
        r.fail("section part before MIME")
    r.pos = match.end()
    fields: tuple[str, ...] = ()
    if text.startswith("HEADER.FIELDS"):
        r.sp()
        fields = tuple(r.paren_list(r.astring, allow_empty=False))
    return text, fields


def write_section(w: Writer, section: Section) -> None:
    w.raw(b"[")
    spec = ".".join(str(p) for p in section.part)
    if section.text:
        spec = f"{spec}.{section.text}" if spec else section.text
    w.raw(spec.encode("ascii"))
    if section.fields:
        w.sp()
        w.paren(section.fields, w.astring)
    w.raw(b"]")


def write_fetch_att(w: Writer, att: FetchAtt) -> None:
    if isinstance(att, str):
        w.atom(att)
        return
    w.raw(att.item.encode("ascii"))
    if att.peek:
        w.raw(b".PEEK")
    write_section(w, att.section)
    if att.partial is not None:
        w.raw(f"<{att.partial[0]}.{att.partial[1]}>".encode("ascii"))


def _uid_fetch(r: Reader, tag: str) -> Fetch:
    return parse_fetch(r, tag, uid=True)


PARSERS: dict[str, CommandParser] = {"FETCH": parse_fetch}
UID_PARSERS: dict[str, CommandParser] = {"FETCH": _uid_fetch}
