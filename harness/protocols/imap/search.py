"""SEARCH (RFC 9051 §6.4.4): the search key grammar parsed into a tree, with
ESEARCH return options (RFC 4731 §3.1), SEARCHRES "$" (RFC 5182) and the
CONDSTORE MODSEQ key (RFC 7162 §3.1.5).

    search          = "SEARCH" [search-return-opts] SP search-program
    search-program  = ["CHARSET" SP charset SP] search-key *(SP search-key)
    search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
    search-key      = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date /
                      "BODY" SP astring / "CC" SP astring / "DELETED" / "FLAGGED" /
                      "FROM" SP astring / "KEYWORD" SP flag-keyword / "ON" SP date /
                      "SEEN" / "SINCE" SP date / "SUBJECT" SP astring /
                      "TEXT" SP astring / "TO" SP astring / "UNANSWERED" /
                      "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword /
                      "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
                      "LARGER" SP number64 / "NOT" SP search-key /
                      "OR" SP search-key SP search-key / "SENTBEFORE" SP date /
                      "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number64 /
                      "UID" SP sequence-set / "UNDRAFT" / sequence-set /
                      "(" search-key *(SP search-key) ")"
                      ; rev1 also "NEW" / "OLD" / "RECENT" (RFC 3501 §6.4.4)
    search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer
    search-modseq-ext  = SP entry-name SP entry-type-req
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.values import SequenceSet
from harness.protocols.imap.writer import Writer

SIMPLE_KEYS = frozenset(
    {"ALL", "ANSWERED", "DELETED", "FLAGGED", "SEEN", "UNANSWERED", "UNDELETED"}
    | {"UNFLAGGED", "UNSEEN", "DRAFT", "UNDRAFT", "NEW", "OLD", "RECENT"}
)
TEXT_KEYS = frozenset({"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"})
DATE_KEYS = frozenset({"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"})
SIZE_KEYS = frozenset({"LARGER", "SMALLER"})
RETURN_OPTIONS = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})
ENTRY_TYPES = frozenset({"priv", "shared", "all"})


@dataclass(frozen=True, slots=True)
class SearchKey:
    """Base of the search-key tree."""


@dataclass(frozen=True, slots=True)
class SearchSimple(SearchKey):
    """A key without argument: ALL, SEEN, UNDRAFT, NEW, ..."""

    name: str


@dataclass(frozen=True, slots=True)
class SearchText(SearchKey):
    """BCC / BODY / CC / FROM / SUBJECT / TEXT / TO with an astring."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class SearchKeyword(SearchKey):
    """KEYWORD / UNKEYWORD with a flag-keyword."""

    name: str
    keyword: str


@dataclass(frozen=True, slots=True)
class SearchHeader(SearchKey):
    """HEADER header-fld-name astring."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class SearchDate(SearchKey):
    """BEFORE / ON / SINCE (internal date) and SENTBEFORE / SENTON / SENTSINCE."""

    name: str
    date: date


@dataclass(frozen=True, slots=True)
class SearchSize(SearchKey):
    """LARGER / SMALLER n."""

    name: str
    size: int


@dataclass(frozen=True, slots=True)
class SearchSet(SearchKey):
    """A sequence set, or with ``uid`` the UID key."""

    sequence_set: SequenceSet
    uid: bool = False


@dataclass(frozen=True, slots=True)
class SearchModSeq(SearchKey):
    """MODSEQ [entry-name entry-type] n (RFC 7162 §3.1.5)."""

    modseq: int
    entry: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class SearchNot(SearchKey):
    key: SearchKey


@dataclass(frozen=True, slots=True)
class SearchOr(SearchKey):
    left: SearchKey
    right: SearchKey


@dataclass(frozen=True, slots=True)
class SearchAnd(SearchKey):
    """ "(" search-key *(SP search-key) ")": all must match."""

    keys: tuple[SearchKey, ...]


@dataclass(frozen=True, slots=True)
class Search(Command):
    """SEARCH / UID SEARCH; ``criteria`` are ANDed (the search-program).

    ``return_options`` None means no RETURN (a rev1 SEARCH response); an empty
    tuple is "RETURN ()", which RFC 4731 §3.1 reads as RETURN (ALL).
    """

    criteria: tuple[SearchKey, ...]
    charset: str | None = None
    return_options: tuple[str, ...] | None = None
    uid: bool = False
    name: ClassVar[str] = "SEARCH"

    def encode(self, w: Writer) -> None:
        w.raw(b"SEARCH")
        if self.return_options is not None:
            w.raw(b" RETURN ")
            w.paren(self.return_options, w.atom)
        if self.charset is not None:
            w.raw(b" CHARSET ")
            w.astring(self.charset)
        for key in self.criteria:
            w.sp()
            write_search_key(w, key)


def parse_search(r: Reader, tag: str, *, uid: bool = False) -> Search:
    r.sp()
    options = None
    if r.take_word(b"RETURN"):
        r.sp()
        options = tuple(r.paren_list(lambda: _return_option(r)))
        r.sp()
    charset = None
    if r.take_word(b"CHARSET"):
        r.sp()
        charset = r.astring()
        r.sp()
    criteria = [read_search_key(r)]
    while r.take(b" "):
        criteria.append(read_search_key(r))
        r.check_items(len(criteria))
    return Search(tag, tuple(criteria), charset, options, uid)


def _return_option(r: Reader) -> str:
    option = r.keyword()
    if option not in RETURN_OPTIONS:
        raise ParseError(f"unknown SEARCH return option {option!r}")
    return option


def read_search_key(r: Reader) -> SearchKey:
    char = r.peek()
    if char == 0x28:
        r.enter()
        keys = r.paren_list(lambda: read_search_key(r), allow_empty=False)
        r.leave()
        return SearchAnd(tuple(keys))
    if 0x30 <= char <= 0x39 or char in (0x2A, 0x24):  # digit, "*", "$"
        return SearchSet(r.sequence_set())
    name = r.keyword()
    if name in SIMPLE_KEYS:
        return SearchSimple(name)
    if name in TEXT_KEYS:
        r.sp()
        return SearchText(name, r.astring())
    if name in DATE_KEYS:
        r.sp()
        return SearchDate(name, r.date())
    if name in SIZE_KEYS:
        r.sp()
        return SearchSize(name, r.number64())
    return _read_compound_key(r, name)


def _read_compound_key(r: Reader, name: str) -> SearchKey:
    r.sp()
    if name in ("KEYWORD", "UNKEYWORD"):
        return SearchKeyword(name, r.atom())
    if name == "HEADER":
        header = r.astring()
        r.sp()
        return SearchHeader(header, r.astring())
    if name == "UID":
        return SearchSet(r.sequence_set(), uid=True)
    if name == "MODSEQ":
        return _read_modseq_key(r)
    if name not in ("NOT", "OR"):
        raise ParseError(f"unknown search key {name!r}")
    r.enter()
    first = read_search_key(r)
    if name == "NOT":
        key: SearchKey = SearchNot(first)
    else:
        r.sp()
        key = SearchOr(first, read_search_key(r))
    r.leave()
    return key


def _read_modseq_key(r: Reader) -> SearchModSeq:
    entry = None
    if r.peek() == 0x22:  # entry-name = DQUOTE "/flags/" attr-flag DQUOTE
        entry_name = r.string()
        if not entry_name.lower().startswith("/flags/"):
            raise ParseError("MODSEQ entry name must start with /flags/")
        r.sp()
        entry_type = r.atom().lower()
        if entry_type not in ENTRY_TYPES:
            raise ParseError("MODSEQ entry type must be priv, shared or all")
        entry = (entry_name, entry_type)
        r.sp()
    return SearchModSeq(r.number64(), entry)


def write_search_key(w: Writer, key: SearchKey) -> None:
    match key:
        case SearchSimple(name):
            w.atom(name)
        case SearchText(name, value):
            w.atom(name)
            w.sp()
            w.astring(value)
        case SearchKeyword(name, keyword):
            w.atom(name)
            w.sp()
            w.atom(keyword)
        case SearchHeader(field, value):
            w.raw(b"HEADER ")
            w.astring(field)
            w.sp()
            w.astring(value)
        case SearchDate(name, when):
            w.atom(name)
            w.sp()
            w.date(when)
        case SearchSize(name, size):
            w.atom(name)
            w.sp()
            w.number(size)
        case _:
            _write_compound_key(w, key)


def _write_compound_key(w: Writer, key: SearchKey) -> None:
    match key:
        case SearchSet(sequence_set, uid):
            if uid:
                w.raw(b"UID ")
            w.sequence_set(sequence_set)
        case SearchModSeq(modseq, entry):
            w.raw(b"MODSEQ ")
            if entry is not None:
                w.quoted(entry[0].encode())
                w.sp()
                w.atom(entry[1])
                w.sp()
            w.number(modseq)
        case SearchNot(inner):
            w.raw(b"NOT ")
            write_search_key(w, inner)
        case SearchOr(left, right):
            w.raw(b"OR ")
            write_search_key(w, left)
            w.sp()
            write_search_key(w, right)
        case SearchAnd(keys):
            if not keys:
                raise ValueError("an AND list needs at least one key")
            w.paren(keys, lambda k: write_search_key(w, k))
        case _:
            raise ValueError(f"not a search key: {key!r}")


def _uid_search(r: Reader, tag: str) -> Search:
    return parse_search(r, tag, uid=True)


PARSERS: dict[str, CommandParser] = {"SEARCH": parse_search}
UID_PARSERS: dict[str, CommandParser] = {"SEARCH": _uid_search}
