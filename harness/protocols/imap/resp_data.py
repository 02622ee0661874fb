"""Untagged data responses (RFC 9051 §7.2-§7.5) other than FETCH and status.

capability-data = "CAPABILITY" *(SP capability)
mailbox-data    = "FLAGS" SP flag-list / "LIST" SP mailbox-list /
                  "ESEARCH" ... / "STATUS" SP mailbox SP "(" [status-att-list] ")" /
                  number SP "EXISTS" / "NAMESPACE" SP namespace-response /
                  "SEARCH" *(SP nz-number) / "LSUB" SP mailbox-list /
                  number SP "RECENT"                                  ; rev1
mailbox-list    = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
                  SP mailbox [SP mbox-list-extended]
mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val
enable-data     = "ENABLED" *(SP capability)
expunged-resp   = "VANISHED" [SP "(EARLIER)"] SP known-uids   ; RFC 7162 §3.2.10
id-response     = "ID" SP id-params-list                       ; RFC 2971 §4
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.protocols.imap.cmd_any import IdParams, read_id_params, write_id_params
from harness.protocols.imap.events import Event
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.values import NamespaceDescr, SequenceSet
from harness.protocols.imap.writer import Writer

TaggedExtValue = str | int | tuple["TaggedExtValue", ...]
_DELIMITER_RE = re.compile(rb'"(\\["\\]|[^"\\\r\n])"')
_SIMPLE_EXT_RE = re.compile(rb"[0-9:,*$]+")
_SEARCH_NUMBERS_RE = re.compile(rb"(?: [0-9]+)*")


@dataclass(frozen=True, slots=True)
class CapabilityResponse(Event):
    capabilities: tuple[str, ...]

    def encode(self, w: Writer) -> None:
        w.raw(b"* CAPABILITY")
        for capability in self.capabilities:
            w.sp()
            w.atom(capability)


@dataclass(frozen=True, slots=True)
class ListResponse(Event):
    """``* LIST`` (or ``* LSUB`` with ``lsub``): attributes, delimiter, name,
    and LIST-EXTENDED items such as ("CHILDINFO", ("SUBSCRIBED",))."""

    attributes: tuple[str, ...]
    delimiter: str | None
    mailbox: str
    extended: tuple[tuple[str, TaggedExtValue], ...] = ()
    lsub: bool = False

    def encode(self, w: Writer) -> None:
        w.raw(b"* LSUB " if self.lsub else b"* LIST ")
        w.flag_list(self.attributes)
        w.sp()
        if self.delimiter is None:
            w.raw(b"NIL")
        elif len(self.delimiter) != 1 or not " " <= self.delimiter <= "~":
            raise ValueError(
                f"a hierarchy delimiter is one printable ASCII character: {self.delimiter!r}"
            )
        else:
            w.quoted(self.delimiter.encode("ascii"))
        w.sp()
        w.astring(self.mailbox)
        if self.extended:
            w.raw(b" (")
            for index, (tag, value) in enumerate(self.extended):
                if index:
                    w.sp()
                w.astring(tag)
                w.sp()
                _write_tagged_ext(w, value, top=True)
            w.raw(b")")


@dataclass(frozen=True, slots=True)
class MailboxStatus(Event):
    """``* STATUS mailbox (MESSAGES 3 UIDNEXT 7 ...)``."""

    mailbox: str
    items: tuple[tuple[str, int], ...]

    def encode(self, w: Writer) -> None:
        w.raw(b"* STATUS ")
        w.astring(self.mailbox)
        w.raw(b" (")
        w.raw(" ".join(f"{name} {value}" for name, value in self.items).encode("ascii"))
        w.raw(b")")


@dataclass(frozen=True, slots=True)
class SearchResponse(Event):
    """``* SEARCH 2 5 [(MODSEQ n)]`` (rev1; rev2 uses ESEARCH)."""

    numbers: tuple[int, ...] = ()
    modseq: int | None = None

    def encode(self, w: Writer) -> None:
        w.raw(b"* SEARCH")
        if self.numbers:
            w.raw(b" " + " ".join(map(str, self.numbers)).encode("ascii"))
        if self.modseq is not None:
            w.raw(b" (MODSEQ %d)" % self.modseq)


@dataclass(frozen=True, slots=True)
class ESearchResponse(Event):
    """``* ESEARCH (TAG "a") UID MIN 2 MAX 9 COUNT 3 ALL 2:9 MODSEQ n`` (RFC 4731 §3.1)."""

    tag: str | None = None
    uid: bool = False
    min: int | None = None
    max: int | None = None
    count: int | None = None
    all: SequenceSet | None = None
    modseq: int | None = None

    def encode(self, w: Writer) -> None:
        w.raw(b"* ESEARCH")
        if self.tag is not None:
            w.raw(b" (TAG ")
            w.string(self.tag)
            w.raw(b")")
        if self.uid:
            w.raw(b" UID")
        for name in ("min", "max", "count"):
            value = getattr(self, name)
            if value is not None:
                w.raw(b" %s %d" % (name.upper().encode(), value))
        if self.all is not None:
            w.raw(b" ALL ")
            w.sequence_set(self.all)
        if self.modseq is not None:
            w.raw(b" MODSEQ %d" % self.modseq)


@dataclass(frozen=True, slots=True)
class FlagsResponse(Event):
    flags: tuple[str, ...]

    def encode(self, w: Writer) -> None:
        w.raw(b"* FLAGS ")
        w.flag_list(self.flags)


@dataclass(frozen=True, slots=True)
class ExistsResponse(Event):
    count: int

    def encode(self, w: Writer) -> None:
        w.raw(b"* %d EXISTS" % self.count)


@dataclass(frozen=True, slots=True)
class RecentResponse(Event):
    count: int

    def encode(self, w: Writer) -> None:
        w.raw(b"* %d RECENT" % self.count)


@dataclass(frozen=True, slots=True)
class ExpungeResponse(Event):
    """``* n EXPUNGE``: renumbers at once (RFC 9051 §7.5.1)."""

    seq: int

    def encode(self, w: Writer) -> None:
        if self.seq < 1:
            raise ValueError("EXPUNGE needs a non-zero number")
        w.raw(b"* %d EXPUNGE" % self.seq)


@dataclass(frozen=True, slots=True)
class EnabledResponse(Event):
    capabilities: tuple[str, ...] = ()

    def encode(self, w: Writer) -> None:
        w.raw(b"* ENABLED")
        for capability in self.capabilities:
            w.sp()
            w.atom(capability)


@dataclass(frozen=True, slots=True)
class NamespaceResponse(Event):
    """``* NAMESPACE personal other shared``; None is NIL for a class."""

    personal: tuple[NamespaceDescr, ...] | None = None
    other: tuple[NamespaceDescr, ...] | None = None
    shared: tuple[NamespaceDescr, ...] | None = None

    def encode(self, w: Writer) -> None:
        w.raw(b"* NAMESPACE")
        for group in (self.personal, self.other, self.shared):
            w.sp()
            _write_namespace(w, group)


@dataclass(frozen=True, slots=True)
class IdResponse(Event):
    params: IdParams = None

    def encode(self, w: Writer) -> None:
        w.raw(b"* ID ")
        write_id_params(w, self.params)


@dataclass(frozen=True, slots=True)
class VanishedResponse(Event):
    """``* VANISHED [(EARLIER)] uids`` (RFC 7162 §3.2.10)."""

    uids: SequenceSet
    earlier: bool = False

    def encode(self, w: Writer) -> None:
        w.raw(b"* VANISHED (EARLIER) " if self.earlier else b"* VANISHED ")
        w.sequence_set(self.uids)


# -- reading (the Reader stands after the keyword) -------------------------------


def read_capability(r: Reader) -> CapabilityResponse:
    return CapabilityResponse(_read_atoms(r))


def read_enabled(r: Reader) -> EnabledResponse:
    return EnabledResponse(_read_atoms(r))


def _read_atoms(r: Reader) -> tuple[str, ...]:
    atoms = []
    while r.take(b" "):
        atoms.append(r.atom())
        r.check_items(len(atoms))
    return tuple(atoms)


def read_list(r: Reader, *, lsub: bool = False) -> ListResponse:
    r.sp()
    attributes = r.flag_list()
    r.sp()
    delimiter = None
    if not r.take_word(b"NIL"):
        match = _DELIMITER_RE.match(r.line, r.pos)
        if match is None:
            r.fail("hierarchy delimiter")
        r.pos = match.end()
        delimiter = match[1][-1:].decode("ascii")
    r.sp()
    mailbox = r.mailbox()
    extended: list[tuple[str, TaggedExtValue]] = []
    if r.take(b" "):
        r.expect(b"(")
        while not r.take(b")"):
            if extended:
                r.sp()
            tag = r.astring()
            r.sp()
            extended.append((tag, _read_tagged_ext(r, top=True)))
            r.check_items(len(extended))
    return ListResponse(attributes, delimiter, mailbox, tuple(extended), lsub)


def _read_tagged_ext(r: Reader, *, top: bool = False) -> TaggedExtValue:
    """tagged-ext-val = tagged-ext-simple / "(" [tagged-ext-comp] ")"."""
    if r.peek() == 0x28:
        r.enter()
        values = tuple(r.paren_list(lambda: _read_tagged_ext(r)))
        r.leave()
        return values
    if top:
        match = _SIMPLE_EXT_RE.match(r.line, r.pos)
        if match is None:
            r.fail("tagged-ext-simple")
        r.pos = match.end()
        raw = match[0].decode("ascii")
        return int(raw) if raw.isdigit() else raw
    return r.astring()


def _write_tagged_ext(w: Writer, value: TaggedExtValue, *, top: bool = False) -> None:
    if isinstance(value, tuple):
        w.paren(value, lambda item: _write_tagged_ext(w, item))
    elif isinstance(value, int):
        w.number(value)
    elif top:
        if _SIMPLE_EXT_RE.fullmatch(value.encode("ascii", "replace")) is None:
            raise ValueError(f"not a tagged-ext-simple value: {value!r}")
        w.raw(value.encode("ascii"))
    else:
        w.astring(value)


def read_status(r: Reader) -> MailboxStatus:
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    r.expect(b"(")
    items: list[tuple[str, int]] = []
    while not r.take(b")"):
        if items:
            r.sp()
        name = r.keyword()
        r.sp()
        items.append((name, r.number64()))
        r.check_items(len(items))
    return MailboxStatus(mailbox, tuple(items))


def read_search(r: Reader) -> SearchResponse:
    match = _SEARCH_NUMBERS_RE.match(r.line, r.pos)
    assert match is not None
    raw = match[0].split()
    r.check_items(len(raw))
    r.pos = match.end()
    modseq = None
    if r.take(b" ("):
        if not r.take_word(b"MODSEQ"):
            r.fail("MODSEQ")
        r.sp()
        modseq = r.number64()
        r.expect(b")")
    numbers = tuple(int(n) for n in raw)
    if 0 in numbers:
        raise ParseError("SEARCH results are nz-numbers")
    return SearchResponse(numbers, modseq)


def read_esearch(r: Reader) -> ESearchResponse:
    tag = None
    if r.take(b" ("):
        if not r.take_word(b"TAG"):
            r.fail("TAG")
        r.sp()
        tag = r.astring()
        r.expect(b")")
    uid = False
    numbers: dict[str, int] = {}
    all_set = None
    while r.take(b" "):
        name = r.keyword()
        if name == "UID" and not uid and not numbers and all_set is None:
            uid = True
            continue
        r.sp()
        if name in ("MIN", "MAX", "COUNT", "MODSEQ"):
            numbers[name] = r.number64()
        elif name == "ALL":
            all_set = r.sequence_set()
        else:
            raise ParseError(f"unknown ESEARCH return data {name!r}")
    get = numbers.get
    return ESearchResponse(tag, uid, get("MIN"), get("MAX"), get("COUNT"), all_set, get("MODSEQ"))


def read_flags(r: Reader) -> FlagsResponse:
    r.sp()
    return FlagsResponse(r.flag_list())


def read_namespace(r: Reader) -> NamespaceResponse:
    groups = []
    for _ in range(3):
        r.sp()
        groups.append(_read_namespace(r))
    return NamespaceResponse(*groups)


def _read_namespace(r: Reader) -> tuple[NamespaceDescr, ...] | None:
    """namespace = nil / "(" 1*namespace-descr ")"."""
    if r.take_word(b"NIL"):
        return None
    r.expect(b"(")
    descriptions = [_read_namespace_descr(r)]
    while not r.take(b")"):
        r.take(b" ")
        descriptions.append(_read_namespace_descr(r))
        r.check_items(len(descriptions))
    return tuple(descriptions)


def _read_namespace_descr(r: Reader) -> NamespaceDescr:
    """ "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) *(namespace-response-extension) ")"."""
    r.expect(b"(")
    prefix = r.string()
    r.sp()
    delimiter = None
    if not r.take_word(b"NIL"):
        delimiter = r.string()
    extensions = []
    while r.take(b" "):
        name = r.string()
        r.sp()
        extensions.append((name, tuple(r.paren_list(r.string, allow_empty=False))))
        r.check_items(len(extensions))
    r.expect(b")")
    return NamespaceDescr(prefix, delimiter, tuple(extensions))


def _write_namespace(w: Writer, group: tuple[NamespaceDescr, ...] | None) -> None:
    if not group:
        w.raw(b"NIL")
        return
    w.raw(b"(")
    for ns in group:
        w.raw(b"(")
        w.string(ns.prefix)
        w.sp()
        w.nstring(ns.delimiter)
        for name, values in ns.extensions:
            w.sp()
            w.string(name)
            w.sp()
            w.paren(values, w.string)
        w.raw(b")")
    w.raw(b")")


def read_id(r: Reader) -> IdResponse:
    r.sp()
    return IdResponse(read_id_params(r))


def read_vanished(r: Reader) -> VanishedResponse:
    r.sp()
    earlier = r.line[r.pos : r.pos + 9].upper() == b"(EARLIER)"
    if earlier:
        r.pos += 9
        r.sp()
    return VanishedResponse(r.sequence_set(), earlier)
